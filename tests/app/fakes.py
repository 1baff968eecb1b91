"""Fakes for the upload manager's tests: a jumping clock and a scripted transport.

`FakeClock.sleep` never waits in real time. `FakeClock.run` lets every task
run until all of them are blocked, then jumps the clock to the earliest
pending wake-up, like trio's autojump clock.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

from app.errors import UploadError
from app.transport import TransferListener, UploadRequest, UploadResponse

# Event-loop turns that let ready tasks run before the clock jumps.
_SETTLE_TURNS = 20


class FakeClock:
    def __init__(self, start: float = 1_000_000.0) -> None:
        self.now = start
        self._sleepers: list[tuple[float, int, asyncio.Future]] = []
        self._order = itertools.count()

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        future = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + max(0.0, seconds), next(self._order), future))
        await future

    def call_at(self, when: float, callback: Callable[[], None]) -> None:
        """Run `callback` when the clock reaches `when`."""

        async def later() -> None:
            await self.sleep(when - self.now)
            callback()

        asyncio.ensure_future(later())

    async def settle(self) -> None:
        for _ in range(_SETTLE_TURNS):
            await asyncio.sleep(0)

    async def run(self, until: Callable[[], bool], max_seconds: float = 3600.0) -> None:
        """Advance fake time until `until()` holds; fail if it never does."""
        limit = self.now + max_seconds
        while True:
            await self.settle()
            if until():
                return
            while self._sleepers and self._sleepers[0][2].done():
                heapq.heappop(self._sleepers)
            if not self._sleepers:
                raise AssertionError("Nothing left to run and the condition is false.")
            when, _, future = heapq.heappop(self._sleepers)
            if when > limit:
                raise AssertionError(f"Condition still false after {max_seconds} s.")
            self.now = max(self.now, when)
            future.set_result(None)


@dataclass
class Step:
    """How one scripted transfer behaves: progress, then an outcome."""

    outcome: UploadError | str = "ok"  # "ok", "hang" or an error to raise
    duration: float = 1.0  # fake seconds to send the body
    progress_steps: int = 4
    processing: float = 0.5  # fake seconds between body sent and the answer
    stall_after: float | None = None  # stop sending progress at this share


@dataclass
class FakeTransfer:
    request: UploadRequest
    listener: TransferListener
    future: asyncio.Future
    aborted_with: UploadError | None = None

    async def response(self) -> UploadResponse:
        return await self.future

    def abort(self, error: UploadError) -> None:
        self.aborted_with = error
        if not self.future.done():
            self.future.set_exception(error)


@dataclass
class ScriptedTransport:
    """Plays one `Step` per started transfer; the last step repeats."""

    clock: FakeClock
    steps: list[Step] = field(default_factory=lambda: [Step()])
    transfers: list[FakeTransfer] = field(default_factory=list)
    started_at: list[float] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0

    def start(self, request: UploadRequest, listener: TransferListener) -> FakeTransfer:
        index = min(len(self.transfers), len(self.steps) - 1)
        step = self.steps[index]
        future = asyncio.get_running_loop().create_future()
        transfer = FakeTransfer(request, listener, future)
        self.transfers.append(transfer)
        self.started_at.append(self.clock.now)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        future.add_done_callback(self._finished)
        asyncio.ensure_future(self._play(transfer, step))
        return transfer

    def _finished(self, future: asyncio.Future) -> None:
        self.in_flight -= 1
        if not future.cancelled():
            future.exception()  # marks the exception as retrieved

    async def _play(self, transfer: FakeTransfer, step: Step) -> None:
        total = 1000
        for index in range(1, step.progress_steps + 1):
            await self.clock.sleep(step.duration / step.progress_steps)
            if transfer.future.done():
                return
            share = index / step.progress_steps
            if step.stall_after is not None and share > step.stall_after:
                return
            transfer.listener.on_progress(int(total * share), total)
        if step.outcome == "hang":
            return
        transfer.listener.on_body_sent()
        await self.clock.sleep(step.processing)
        if transfer.future.done():
            return
        if isinstance(step.outcome, UploadError):
            transfer.future.set_exception(step.outcome)
        else:
            transfer.future.set_result(
                UploadResponse(
                    status=200,
                    body=f"processed {transfer.request.file_name}",
                    file_name=f"out-{transfer.request.file_name}",
                    content_type="text/plain",
                    size=42,
                    history_id=f"h{len(self.transfers)}",
                )
            )

    @property
    def keys(self) -> list[str]:
        return [transfer.request.idempotency_key for transfer in self.transfers]
