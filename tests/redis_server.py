"""Private ``redis-server`` processes for the tests: a standalone server and clusters (3 masters,
with or without a replica each).

Each server runs on a free loopback port, in its own directory, with persistence off
(``--save "" --appendonly no``), and can be stopped and started again on the same port (outage
tests). Nothing here touches a Redis the tests did not start: a server is accepted as ready only
when the process answering on the port is the one we started (its ``process_id``), so two test
sessions that pick the same free port cannot talk to each other's server.

The cluster is made by hand (``CLUSTER ADDSLOTS``, ``SET-CONFIG-EPOCH``, ``MEET``) rather than with
``redis-cli --cluster create``: one code path that needs only ``redis-server`` and runs on every
test run, and no slower (a fresh master waits about 2 s before it declares the cluster ok either
way).
"""

from __future__ import annotations

import contextlib
import ctypes
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

__all__ = ["REDIS_SERVER", "RedisClusterServers", "RedisServer", "free_port"]

REDIS_SERVER = shutil.which("redis-server")
"""The ``redis-server`` executable, or ``None`` when it is not on PATH."""

HOST = "127.0.0.1"
_PR_SET_PDEATHSIG = 1  # from <sys/prctl.h>
SLOTS = 16384
_START_ATTEMPTS = 5
_READY_TIMEOUT = 10.0
# A short node timeout, so that a node the tests stop is declared failed (and the cluster down)
# quickly; nothing here runs long enough for a healthy node to miss it.
_CLUSTER_ARGS = ("--cluster-node-timeout", "1000", "--cluster-require-full-coverage", "no")
# With replicas (the failover tests): a replica takes over about a second after its primary is
# killed; the other primaries keep serving their slots meanwhile (Redis's default would refuse
# every key while any slot is uncovered); replicas sync over the socket at once (Redis 7 waits
# 5 s by default).
_FAILOVER_ARGS = (
    "--cluster-node-timeout", "500",
    "--cluster-require-full-coverage", "no",
    "--cluster-allow-reads-when-down", "no",
    "--repl-diskless-sync", "yes",
    "--repl-diskless-sync-delay", "0",
)  # fmt: skip


def free_port(*, with_bus: bool = False) -> int:
    """A loopback port that was free a moment ago (bind to port 0, read it, close).

    ``with_bus``: also require ``port + 10000`` to be free, the port a cluster node's bus takes.
    """
    while True:
        with socket.socket() as sock:
            sock.bind((HOST, 0))
            port: int = sock.getsockname()[1]
        if not with_bus:
            return port
        if port + 10000 > 65535:
            continue
        with socket.socket() as sock:
            try:
                sock.bind((HOST, port + 10000))
            except OSError:
                continue
        return port


def admin(port: int, timeout: float = 2.0) -> redis.Redis:
    """A short-lived synchronous client for administrative commands (close it after use)."""
    return redis.Redis(
        host=HOST,
        port=port,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        retry=Retry(NoBackoff(), 0),  # type: ignore[no-untyped-call,unused-ignore]
    )


def _die_with_parent() -> None:
    """In the child, before exec: on Linux, ask for SIGKILL when the test process dies, so that
    a test run killed outright (a CI timeout) leaves no redis-server behind."""
    if sys.platform == "linux":
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


class RedisServer:
    """One private ``redis-server`` process on ``127.0.0.1``.

    ``start()`` picks a free port the first time (retrying with another if it was taken in the
    meantime) and reuses it on every later start, so clients can reconnect after a restart.
    """

    def __init__(
        self, directory: Path, *, cluster: bool = False, extra_args: Sequence[str] = ()
    ) -> None:
        if REDIS_SERVER is None:
            raise RuntimeError("redis-server is not on PATH")
        self.directory = directory
        self.cluster = cluster
        self.extra_args = list(extra_args)
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._frozen = False

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<RedisServer {HOST}:{self.port} {state}>"

    @property
    def url(self) -> str:
        """``redis://127.0.0.1:<port>/0``."""
        return f"redis://{HOST}:{self.port}/0"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int:
        assert self._process is not None, "the server is not running"
        return self._process.pid

    def start(self) -> None:
        """Start the server, on its port if it had one, and wait until it answers."""
        if self.running:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        if self.port:
            self._spawn()
            if not self._wait_ready():
                raise RuntimeError(f"redis-server did not start again on port {self.port}")
            return
        for _ in range(_START_ATTEMPTS):
            self.port = free_port(with_bus=self.cluster)
            # A new node: what a failed attempt on another port may have left is not ours.
            with contextlib.suppress(FileNotFoundError):
                (self.directory / "nodes.conf").unlink()
            self._spawn()
            if self._wait_ready():
                return
            self.stop()  # the port was taken in between: try another one
        raise RuntimeError(f"redis-server did not start; see {self.directory / 'redis.log'}")

    def stop(self) -> None:
        """Stop the server at once (SIGKILL: an outage, not a shutdown). Idempotent."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
        self._frozen = False

    def restart(self) -> None:
        """Stop the server and start it again on the same port, empty (a cluster node comes
        back with its identity and slots, from its nodes.conf)."""
        self.stop()
        self.start()

    def freeze(self) -> None:
        """Suspend the process (SIGSTOP): connections are accepted, no command gets an answer.
        A hung server, the case a circuit breaker exists for."""
        assert self._process is not None, "the server is not running"
        self._process.send_signal(signal.SIGSTOP)
        self._frozen = True

    def thaw(self) -> None:
        """Resume a frozen server (SIGCONT)."""
        if self._process is not None and self._frozen:
            self._process.send_signal(signal.SIGCONT)
        self._frozen = False

    def command(self, *args: Any) -> Any:
        """Run one command on the server (from a separate, synchronous connection)."""
        with admin(self.port) as client:
            return client.execute_command(*args)

    # -- internals --------------------------------------------------------------------------

    def _spawn(self) -> None:
        assert REDIS_SERVER is not None
        args = [
            REDIS_SERVER,
            "--port", str(self.port),
            "--bind", HOST,
            "--dir", str(self.directory),
            "--save", "",
            "--appendonly", "no",
            "--daemonize", "no",
            "--logfile", "redis.log",
        ]  # fmt: skip
        if self.cluster:
            # nodes.conf keeps the node's identity and slots across a restart.
            args += ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"]
        args += self.extra_args
        self._process = subprocess.Popen(
            args,
            cwd=self.directory,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=_die_with_parent,
        )

    def _wait_ready(self) -> bool:
        """Wait until our process answers on the port; False if it exited (port taken)."""
        assert self._process is not None
        deadline = time.monotonic() + _READY_TIMEOUT
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                return False
            try:
                with admin(self.port, timeout=0.5) as client:
                    info = client.info("server")
            except redis.RedisError:
                time.sleep(0.01)
                continue
            # Someone else's redis-server may hold this port; ours then exits, see above.
            if info.get("process_id") == self._process.pid:
                return True
            time.sleep(0.01)
        return False


class RedisClusterServers:
    """A Redis Cluster of private :class:`RedisServer` processes: ``masters`` primaries sharing
    the slots evenly, each with ``replicas`` replicas (which take over when their primary is
    killed: the failover tests)."""

    def __init__(self, directory: Path, *, nodes: int = 3, replicas: int = 0) -> None:
        args: tuple[str, ...] = _CLUSTER_ARGS
        if replicas:
            args = _FAILOVER_ARGS
        self.replicas = replicas
        self.servers = [
            RedisServer(directory / f"node{i}", cluster=True, extra_args=args)
            for i in range(nodes * (1 + replicas))
        ]
        self.masters = self.servers[:nodes]

    def __repr__(self) -> str:
        return f"<RedisClusterServers ports={self.ports}>"

    @property
    def ports(self) -> list[int]:
        return [server.port for server in self.masters]

    @property
    def url(self) -> str:
        """A startup URL for :meth:`redis.asyncio.cluster.RedisCluster.from_url` (one node)."""
        return self.servers[0].url

    def start(self) -> None:
        """Start the nodes, share the slots out among the masters, join them, attach the
        replicas, wait for ``cluster_state:ok`` (and for every replica to be in sync)."""
        for server in self.servers:
            server.start()
        count = len(self.masters)
        for i, server in enumerate(self.masters):
            first, end = i * SLOTS // count, (i + 1) * SLOTS // count
            server.command("CLUSTER", "ADDSLOTS", *range(first, end))
        for i, server in enumerate(self.servers):
            # Distinct epochs up front, so the nodes need no collision-resolution round.
            server.command("CLUSTER", "SET-CONFIG-EPOCH", i + 1)
        for server in self.servers[1:]:
            self.servers[0].command("CLUSTER", "MEET", HOST, server.port)
        self.wait_ok()
        if self.replicas:
            ids = [server.command("CLUSTER", "MYID") for server in self.masters]
            for i, server in enumerate(self.servers[count:]):
                server.command("CLUSTER", "REPLICATE", ids[i % count])
            self.wait_replicated()

    def wait_ok(self, timeout: float = 20.0) -> None:
        """Wait until every node knows every other and reports ``cluster_state:ok``."""
        deadline = time.monotonic() + timeout
        want = b"cluster_known_nodes:%d" % len(self.servers)
        while True:
            running = [server for server in self.servers if server.running]
            infos = [server.command("CLUSTER", "INFO") for server in running]
            if all(b"cluster_state:ok" in info and want in info for info in infos):
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"the cluster did not come up: {infos!r}")
            time.sleep(0.02)

    def wait_replicated(self, timeout: float = 20.0) -> None:
        """Wait until every replica's link to its primary is up."""
        deadline = time.monotonic() + timeout
        replicas = self.servers[len(self.masters) :]
        while True:
            infos = [server.command("INFO", "replication") for server in replicas]
            if all(info.get("master_link_status") == "up" for info in infos):
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"the replicas did not sync: {infos!r}")
            time.sleep(0.02)

    def primary_ports(self) -> set[int]:
        """The ports of the nodes that are primaries now (after a failover too)."""
        ports = set()
        for server in self.servers:
            if not server.running:
                continue
            info = server.command("INFO", "replication")
            if info.get("role") == "master":
                ports.add(server.port)
        return ports

    def stop(self) -> None:
        for server in self.servers:
            server.stop()

    def replica_of(self, master: RedisServer) -> RedisServer:
        """The replica of ``master`` (the failover tests)."""
        for server in self.servers[len(self.masters) :]:
            info = server.command("INFO", "replication")
            if info.get("role") == "slave" and info.get("master_port") == master.port:
                return server
        raise ValueError(f"{master!r} has no replica")

    def node_for_slot(self, slot: int) -> RedisServer:
        """The master that the harness gave ``slot`` to."""
        count = len(self.masters)
        for i in range(count):
            if slot < (i + 1) * SLOTS // count:
                return self.masters[i]
        raise ValueError(f"no slot {slot}")
