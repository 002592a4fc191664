"""A fault-injecting TCP proxy for the Redis tests: put it between a client and a private
``redis-server`` and make the path between them slow, silent, broken or paused, on command.

It runs on an event loop of its own, in a thread of its own: the path to Redis is "the network",
which a test's busy event loop (hundreds of requests in flight) must not slow down. A fault set by
a method has taken effect when the method returns:

* ``latency`` -- every chunk is delayed this many seconds, in each direction (the order and the
  throughput of a stream are kept: chunks are queued with their due time, not slept on one by one);
* :meth:`FaultProxy.blackhole` -- connections are accepted (new ones too) and nothing is forwarded,
  either way: a server that vanished without closing anything;
* :meth:`FaultProxy.reset` -- every open connection is reset (an RST to the client);
* :meth:`FaultProxy.truncate_next_reply` -- the next chunk from the server is cut in half and the
  connection reset after the half;
* :meth:`FaultProxy.pause` / :meth:`FaultProxy.resume` -- nothing is forwarded while paused (what
  was sent meanwhile is delivered on resume);
* :meth:`FaultProxy.heal` -- back to a plain proxy.

Combined with :class:`tests.redis_server.RedisServer`'s ``freeze`` (SIGSTOP), ``stop`` (SIGKILL)
and ``start`` these cover the faults the Redis cache must survive.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import contextlib
import socket
import struct
import threading
from collections.abc import Callable
from typing import TypeVar

__all__ = ["FaultProxy"]

HOST = "127.0.0.1"
T = TypeVar("T")


class _Pipe:
    """One direction of one connection: reads, then writes each chunk when it is due."""

    def __init__(
        self,
        proxy: FaultProxy,
        link: _Link,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        from_server: bool,
    ) -> None:
        self.proxy = proxy
        self.link = link
        self.reader = reader
        self.writer = writer
        self.from_server = from_server
        self.queue: collections.deque[tuple[float, bytes]] = collections.deque()
        self.ready = asyncio.Event()
        self.tasks = [
            asyncio.create_task(self._read()),
            asyncio.create_task(self._write()),
        ]

    async def _read(self) -> None:
        proxy, loop = self.proxy, asyncio.get_running_loop()
        try:
            while True:
                data = await self.reader.read(65536)
                if not data:
                    break
                await proxy._running.wait()  # paused: hold the bytes (and stop reading)
                if proxy._blackhole:
                    continue
                if self.from_server and proxy._truncate:
                    proxy._truncate = False
                    self.queue.append((loop.time() + proxy.latency, data[: max(1, len(data) // 2)]))
                    self.queue.append((loop.time() + proxy.latency, b""))  # then reset
                    self.ready.set()
                    return
                self.queue.append((loop.time() + proxy.latency, data))
                self.ready.set()
        except (ConnectionError, OSError):
            pass
        # End of stream: pass the close on (after what is queued).
        self.queue.append((loop.time() + proxy.latency, b"\0eof"))
        self.ready.set()

    async def _write(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while True:
                while not self.queue:
                    self.ready.clear()
                    await self.ready.wait()
                due, data = self.queue.popleft()
                delay = due - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                await self.proxy._running.wait()
                if self.proxy._blackhole:
                    continue
                if data == b"":
                    self.link.reset()
                    return
                if data == b"\0eof":
                    self.link.close()
                    return
                self.writer.write(data)
                await self.writer.drain()
        except (ConnectionError, OSError):
            self.link.close()


class _Link:
    """One client connection and its connection to the server."""

    def __init__(self, proxy: FaultProxy, client: asyncio.StreamWriter) -> None:
        self.proxy = proxy
        self.client = client
        self.server: asyncio.StreamWriter | None = None
        self.pipes: list[_Pipe] = []
        self.closed = False

    def reset(self) -> None:
        """Close the client side with an RST (SO_LINGER 0), and the server side."""
        sock = self.client.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close(abort=True)

    def close(self, *, abort: bool = False) -> None:
        if self.closed:
            return
        self.closed = True
        for writer in (self.client, self.server):
            if writer is None:
                continue
            if abort:
                writer.transport.abort()
            else:
                writer.close()
        for pipe in self.pipes:
            for task in pipe.tasks:
                if task is not asyncio.current_task():
                    task.cancel()
        self.proxy._links.discard(self)


class FaultProxy:
    """A TCP proxy on a free loopback port to ``upstream_port``; see the module docstring."""

    def __init__(self, upstream_port: int, *, upstream_host: str = HOST) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.latency = 0.0
        """Seconds each chunk is delayed, in each direction."""
        self.port = 0
        self.connections = 0
        """Connections accepted so far."""
        self._server: asyncio.Server | None = None
        self._links: set[_Link] = set()
        self._blackhole = False
        self._truncate = False
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="fault-proxy", daemon=True
        )
        self._running: asyncio.Event

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    async def start(self) -> FaultProxy:
        self._thread.start()
        await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(self._start(), self._loop))
        return self

    async def close(self) -> None:
        await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(self._close(), self._loop))
        self._loop.call_soon_threadsafe(self._loop.stop)
        await asyncio.to_thread(self._thread.join, 5)
        self._loop.close()

    # -- faults -----------------------------------------------------------------------------

    def blackhole(self) -> None:
        """Accept, never forward (either way), until :meth:`heal`."""
        self._blackhole = True

    def reset(self) -> int:
        """Reset every open connection; return how many there were."""
        return self._in_proxy(self._reset_all)

    def truncate_next_reply(self) -> None:
        """Cut the next chunk the server sends in half, then reset that connection."""
        self._truncate = True

    def pause(self) -> None:
        """Forward nothing until :meth:`resume`."""
        self._in_proxy(self._running.clear)

    def resume(self) -> None:
        self._in_proxy(self._running.set)

    def heal(self) -> None:
        """No fault any more: no latency, no blackhole, not paused."""
        self.latency = 0.0
        self._blackhole = False
        self._truncate = False
        self._in_proxy(self._running.set)

    # -- internals (in the proxy's thread) ----------------------------------------------------

    def _in_proxy(self, function: Callable[[], T]) -> T:
        """Run ``function`` in the proxy's thread and return its result."""
        done: concurrent.futures.Future[T] = concurrent.futures.Future()

        def run() -> None:
            try:
                done.set_result(function())
            except BaseException as exc:  # handed to the caller
                done.set_exception(exc)

        self._loop.call_soon_threadsafe(run)
        return done.result(timeout=5)

    async def _start(self) -> None:
        self._running = asyncio.Event()
        self._running.set()
        self._server = await asyncio.start_server(self._accept, HOST, self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _close(self) -> None:
        for link in list(self._links):
            link.close(abort=True)
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _reset_all(self) -> int:
        links = list(self._links)
        for link in links:
            link.reset()
        return len(links)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        link = _Link(self, writer)
        self._links.add(link)
        if self._blackhole:
            # Never even connect upstream: read and drop until the client gives up.
            with contextlib.suppress(ConnectionError, OSError):
                while await reader.read(65536):
                    pass
            link.close()
            return
        try:
            server_reader, server_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            link.reset()  # the server is down: the client sees its connection reset
            return
        link.server = server_writer
        if link.closed:
            server_writer.close()
            return
        link.pipes = [
            _Pipe(self, link, reader, server_writer, from_server=False),
            _Pipe(self, link, server_reader, writer, from_server=True),
        ]
