"""Processes of the benchmark: servers pinned to one core, wrk on another, a private Redis, and
what they cost (the server's CPU time from ``/proc/<pid>/stat``)."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.configs import Config

__all__ = [
    "Cores",
    "RedisServer",
    "Run",
    "Server",
    "cores",
    "free_port",
    "run_wrk",
]

ROOT = Path(__file__).resolve().parent.parent
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Cores:
    """Where servers and the load generator run: ``taskset`` prefixes (empty: not pinned)."""

    server: tuple[str, ...]
    load: tuple[str, ...]
    description: str


def cores() -> Cores:
    """The servers on the first core this process may use, wrk (and Redis) on the second --
    when there are two and ``taskset`` is there; otherwise nothing is pinned."""
    allowed = sorted(os.sched_getaffinity(0))
    if len(allowed) < 2 or shutil.which("taskset") is None:
        return Cores((), (), f"not pinned ({len(allowed)} core(s) available)")
    server, load = allowed[0], allowed[1]
    return Cores(
        ("taskset", "-c", str(server)),
        ("taskset", "-c", str(load)),
        f"servers on core {server}, wrk and Redis on core {load}",
    )


_GIVEN: set[int] = set()
"""Ports handed out already: a server binds its port only once it has started, so the system may
offer a port twice meanwhile -- and the second server would fail while the first answered for
it."""


def free_port() -> int:
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port: int = sock.getsockname()[1]
        if port not in _GIVEN:
            _GIVEN.add(port)
            return port


def wait_listening(port: int, process: subprocess.Popen[bytes], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server for port {port} exited ({process.returncode})")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port} after {seconds} s")


class Server:
    """One configuration's server process."""

    def __init__(
        self, config: Config, python: str, pin: tuple[str, ...], redis_url: str | None
    ) -> None:
        self.config = config
        self.port = free_port()
        command = [*pin, python, "-m", "benchmarks.servers", config.kind, str(self.port)]
        command.append(str(config.size))
        if config.redis:
            assert redis_url is not None
            command.append(redis_url)
        self.process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL)

    def wait(self) -> None:
        wait_listening(self.port, self.process)

    def check(self) -> None:
        """Raise if the server is gone (a port taken by another process, a crash)."""
        if self.process.poll() is not None:
            raise RuntimeError(f"the server of {self.config.name} exited")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server so far (of the process itself, which is
        ``taskset``'s replacement: taskset execs the command)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@dataclass(frozen=True)
class Run:
    """One wrk run against one server."""

    rate: float
    """Requests per second."""
    requests: int
    cpu: float
    """Server CPU seconds spent meanwhile."""
    errors: int
    """Non-2xx/3xx answers and socket errors."""


_SCRIPT = """
local token = "{token}"
local unique = {unique}
local n = 0
{headers}
request = function()
  n = n + 1
  if unique then
    return wrk.format("GET", "/item?id=" .. token .. "-" .. n)
  end
  return wrk.format("GET", "/item?id=1")
end
"""


def run_wrk(
    server: Server, seconds: int, connections: int, pin: tuple[str, ...], timeout: float = 60
) -> Run:
    config = server.config
    headers = "\n".join(f'wrk.headers["{name}"] = "{value}"' for name, value in config.headers)
    script = _SCRIPT.format(
        token=secrets.token_hex(8), unique="true" if config.unique else "false", headers=headers
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as file:
        file.write(script)
    try:
        before = server.cpu_seconds()
        completed = subprocess.run(
            [
                *pin,
                "wrk",
                "-t1",
                f"-c{connections}",
                f"-d{seconds}s",
                "--timeout",
                "10s",
                "-s",
                file.name,
                server.url,
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=seconds + timeout,
        )
        cpu = server.cpu_seconds() - before
    finally:
        os.unlink(file.name)
    out = completed.stdout
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    count = re.search(r"(\d+) requests in", out)
    if rate is None or count is None:
        raise RuntimeError(f"cannot read wrk's output for {config.name}:\n{out}")
    errors = 0
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non_2xx:
        errors += int(non_2xx.group(1))
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    if socket_errors:
        errors += sum(int(group) for group in socket_errors.groups())
    return Run(float(rate.group(1)), int(count.group(1)), cpu, errors)


class RedisServer:
    """A private redis-server on a free port, without persistence."""

    def __init__(self, pin: tuple[str, ...]) -> None:
        executable = shutil.which("redis-server")
        if executable is None:
            raise RuntimeError("redis-server is not on PATH (Debian: apt-get install redis-server)")
        self.port = free_port()
        self._dir = tempfile.TemporaryDirectory(prefix="apim-bench-redis-")
        self.process = subprocess.Popen(
            [
                *pin,
                executable,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self._dir.name,
            ],
            stdout=subprocess.DEVNULL,
        )
        wait_listening(self.port, self.process)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        self._dir.cleanup()
