"""Reading request bodies at a set rate and with scripted faults.

`BodyReader` wraps aiohttp's request body stream (`request.content`) and offers
the methods `aiohttp.MultipartReader` calls on it. Each read passes through a
rate limit (`LiveConfig.read_bytes_per_second`) and, when a fault rule applies
to the request, a stall or an abrupt close after a number of body bytes.
Because aiohttp pauses the socket while its buffer is full, reading slowly
here slows the client's upload too.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import time
from collections.abc import Awaitable, Callable

from aiohttp import web

from .faults import FaultAction, FaultRule
from .settings import LiveConfig

__all__ = [
    "BODY_READER",
    "BodyReader",
    "ConnectionDropped",
    "abort_connection",
    "body_reader_of",
]

# Receive buffer asked of the kernel while a rate limit applies, so that the
# client's progress follows the limited reading instead of running ahead.
_THROTTLED_RECEIVE_BUFFER = 64 * 1024
# Reads are cut to about a tenth of a second's worth of bytes, so the rate
# limit sleeps in short steps.
_STEPS_PER_SECOND = 10
_DRAIN_CHUNK = 64 * 1024


class ConnectionDropped(Exception):
    """The server aborted the connection on purpose, following a fault rule."""


def abort_connection(request: web.BaseRequest) -> None:
    """Close the request's connection at once with a TCP reset."""
    transport = request.transport
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        # A zero linger time makes close() send RST instead of FIN.
        with contextlib.suppress(OSError):
            linger = struct.pack("ii", 1, 0)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
    transport.abort()


def body_reader_of(request: web.Request, config: LiveConfig) -> BodyReader:
    """Return the request's body reader, made by the fault middleware or now."""
    reader = request.get(BODY_READER)
    if reader is None:
        reader = request[BODY_READER] = BodyReader(request, config)
    return reader


class BodyReader:
    """A request body stream that applies the rate limit and fault rules."""

    def __init__(
        self,
        request: web.BaseRequest,
        config: LiveConfig,
        rule: FaultRule | None = None,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._request = request
        self._content = request.content
        self._config = config
        self._rule = rule
        self._sleep = sleep
        self._monotonic = monotonic
        self._fault_done = rule is None or rule.action not in (
            FaultAction.DROP,
            FaultAction.STALL,
        )
        self._rate = 0
        self._rate_started = 0.0
        self._rate_bytes = 0
        # Bytes taken from the stream, less bytes given back by unread_data.
        self.bytes_read = 0

    # The part of aiohttp's StreamReader interface that MultipartReader uses.

    def at_eof(self) -> bool:
        return self._content.at_eof()

    def unread_data(self, data: bytes) -> None:
        self.bytes_read -= len(data)
        self._content.unread_data(data)

    async def read(self, n: int = -1) -> bytes:
        await self._apply_fault_before_read()
        n = self._limit_size(n)
        data = await self._content.read(n)
        await self._after_read(len(data))
        return data

    async def readline(self, *, max_line_length: int | None = None) -> bytes:
        await self._apply_fault_before_read()
        data = await self._content.readline(max_line_length=max_line_length)
        await self._after_read(len(data))
        return data

    async def readany(self) -> bytes:
        return await self.read(_DRAIN_CHUNK)

    async def drain(self, limit: int) -> bool:
        """Read and discard up to `limit` bytes; return whether the body ended."""
        remaining = limit
        while remaining > 0:
            chunk = await self.read(min(_DRAIN_CHUNK, remaining))
            if not chunk:
                return True
            remaining -= len(chunk)
        return self.at_eof()

    # Faults and the rate limit.

    async def _apply_fault_before_read(self) -> None:
        if not self._fault_done and self.bytes_read >= self._rule.after_bytes:
            await self._apply_fault()

    async def _apply_fault(self) -> None:
        self._fault_done = True
        if self._rule.action is FaultAction.DROP:
            abort_connection(self._request)
            raise ConnectionDropped(
                f"dropped after {self.bytes_read} body bytes by a fault rule"
            )
        await self._sleep(self._rule.seconds)

    def _limit_size(self, n: int) -> int:
        """Cut a read so it stops at a fault's byte count and a rate step."""
        limits = [] if n < 0 else [n]
        if not self._fault_done:
            limits.append(self._rule.after_bytes - self.bytes_read)
        rate = self._config.read_bytes_per_second
        if rate > 0:
            limits.append(max(1, rate // _STEPS_PER_SECOND))
        if not limits:
            return n
        return max(1, min(limits))

    async def _after_read(self, size: int) -> None:
        self.bytes_read += size
        await self._wait_for_rate(size)
        ended = size == 0 or self.at_eof()
        if self._fault_done:
            return
        if ended or self.bytes_read >= self._rule.after_bytes:
            await self._apply_fault()

    async def _wait_for_rate(self, size: int) -> None:
        """Sleep until `size` more bytes fit in the configured rate."""
        rate = self._config.read_bytes_per_second
        now = self._monotonic()
        if rate != self._rate:
            self._rate = rate
            self._rate_started = now
            self._rate_bytes = 0
            if rate > 0:
                self._shrink_receive_buffer()
        if rate <= 0:
            return
        self._rate_bytes += size
        due = self._rate_started + self._rate_bytes / rate
        if due > now:
            await self._sleep(due - now)

    def _shrink_receive_buffer(self) -> None:
        transport = self._request.transport
        sock = transport.get_extra_info("socket") if transport else None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(
                    socket.SOL_SOCKET, socket.SO_RCVBUF, _THROTTLED_RECEIVE_BUFFER
                )


BODY_READER = web.RequestKey("body_reader", BodyReader)
