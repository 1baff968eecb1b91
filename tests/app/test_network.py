"""Tests of the connectivity state machine and the transfer watchdog.

Time is fake: `FakeClock.sleep` records each delay, moves the clock forward
and yields once to the event loop, so no test waits in real time.
"""

from __future__ import annotations

import asyncio

import pytest

from app.errors import ConfigError
from app.network import (
    ConnectionState,
    NetworkMonitor,
    ProbeBackoff,
    TransferTimeout,
    TransferWatchdog,
)

# Real seconds after which a check that never ends fails its test. Every
# passing test finishes in milliseconds, so this never waits in a good run.
HANG_LIMIT = 5.0

OFFLINE_TEXT = (
    "You are offline. Uploads are paused and will resume when the connection returns."
)


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


class ScriptedProbe:
    """Return scripted results. With a gate set, each call first waits for it."""

    def __init__(self, clock: FakeClock, results: list[bool | Exception]) -> None:
        self.clock = clock
        self.results = list(results)
        self.called_at: list[float] = []
        self.gate: asyncio.Event | None = None

    async def __call__(self) -> bool:
        self.called_at.append(self.clock.now)
        if self.gate is not None:
            await self.gate.wait()
        result = self.results.pop(0)
        if isinstance(result, Exception):
            raise result
        return result


class Recorder:
    def __init__(self) -> None:
        self.states: list[ConnectionState] = []
        self.resumes = 0
        self.probe_errors: list[Exception] = []

    def on_change(self, state: ConnectionState) -> None:
        self.states.append(state)

    def on_resume(self) -> None:
        self.resumes += 1


def make_monitor(
    results: list[bool | Exception], *, online: bool
) -> tuple[NetworkMonitor, ScriptedProbe, FakeClock, Recorder]:
    clock = FakeClock()
    probe = ScriptedProbe(clock, results)
    recorder = Recorder()
    monitor = NetworkMonitor(
        probe,
        online=online,
        sleep=clock.sleep,
        clock=clock,
        on_change=recorder.on_change,
        on_resume=recorder.on_resume,
        on_probe_error=recorder.probe_errors.append,
    )
    return monitor, probe, clock, recorder


async def settle(monitor: NetworkMonitor) -> None:
    """Wait until no check runs, failing instead of hanging if one never ends."""
    await asyncio.wait_for(monitor.wait_until_settled(), HANG_LIMIT)


async def yield_to_loop(times: int = 3) -> None:
    for _ in range(times):
        await asyncio.sleep(0)


async def test_monitor_initial_online() -> None:
    monitor, probe, _, recorder = make_monitor([], online=True)

    assert monitor.state is ConnectionState.ONLINE
    assert monitor.is_paused is False
    assert monitor.status_message() is None
    assert monitor.server_reachable is True
    assert probe.called_at == []
    assert recorder.states == []


async def test_monitor_initial_offline() -> None:
    monitor, probe, _, _ = make_monitor([], online=False)

    assert monitor.state is ConnectionState.OFFLINE
    assert monitor.is_paused is True
    assert monitor.status_message() == OFFLINE_TEXT
    assert probe.called_at == []


async def test_monitor_recovery_resumes_once() -> None:
    monitor, probe, clock, recorder = make_monitor([True], online=True)

    monitor.browser_offline()
    monitor.browser_online()
    assert monitor.state is ConnectionState.CHECKING
    assert monitor.status_message() == "Reconnecting…"
    await settle(monitor)

    assert monitor.state is ConnectionState.ONLINE
    assert recorder.resumes == 1
    assert probe.called_at == [1000.0]
    assert clock.sleeps == []
    assert recorder.states == [
        ConnectionState.OFFLINE,
        ConnectionState.CHECKING,
        ConnectionState.ONLINE,
    ]


async def test_monitor_backoff_then_resume() -> None:
    monitor, probe, clock, recorder = make_monitor([False, False, True], online=False)

    monitor.browser_online()
    await settle(monitor)

    assert clock.sleeps == [1.0, 2.0]
    assert probe.called_at == [1000.0, 1001.0, 1003.0]
    assert recorder.resumes == 1
    assert monitor.state is ConnectionState.ONLINE
    assert monitor.server_reachable is True


async def test_monitor_backoff_caps_at_fifteen() -> None:
    results = [False] * 7 + [True]
    monitor, _, clock, recorder = make_monitor(results, online=False)

    monitor.browser_online()
    await settle(monitor)

    assert clock.sleeps == [1.0, 2.0, 4.0, 8.0, 15.0, 15.0, 15.0]
    assert recorder.resumes == 1


async def test_monitor_online_event_restarts_backoff() -> None:
    monitor, probe, clock, recorder = make_monitor(
        [False, False, False, True], online=False
    )
    monitor.browser_online()
    await yield_to_loop(1)
    assert probe.called_at == [1000.0]

    # The first failure sleeps 1 s and the second 2 s. A new online event
    # during the 2 s sleep probes at once and starts the delays from 1 s.
    probe.gate = asyncio.Event()
    await yield_to_loop(2)
    assert probe.called_at == [1000.0, 1001.0]
    probe.gate.set()
    await yield_to_loop(1)
    monitor.browser_online()
    await settle(monitor)

    assert clock.sleeps == [1.0, 2.0, 1.0]
    assert len(probe.called_at) == 4
    assert recorder.resumes == 1


async def test_monitor_ten_flaps_ending_online() -> None:
    monitor, probe, _, recorder = make_monitor([True], online=True)
    probe.gate = asyncio.Event()

    for _ in range(10):
        monitor.browser_offline()
        await yield_to_loop()
        monitor.browser_online()
        await yield_to_loop()
    probe.gate.set()
    await settle(monitor)

    assert recorder.resumes == 1
    assert monitor.state is ConnectionState.ONLINE
    assert len(probe.called_at) == 10
    assert probe.results == []


async def test_monitor_ten_flaps_ending_offline() -> None:
    monitor, probe, _, recorder = make_monitor([True] * 10, online=True)
    probe.gate = asyncio.Event()

    for _ in range(10):
        monitor.browser_offline()
        await yield_to_loop()
        monitor.browser_online()
        await yield_to_loop()
    monitor.browser_offline()
    probe.gate.set()
    await yield_to_loop()
    await settle(monitor)

    assert recorder.resumes == 0
    assert monitor.state is ConnectionState.OFFLINE
    assert len(probe.results) == 10


async def test_monitor_repeated_online_joins_probe() -> None:
    monitor, probe, _, recorder = make_monitor([True], online=False)
    probe.gate = asyncio.Event()

    monitor.browser_online()
    await yield_to_loop()
    for _ in range(5):
        monitor.browser_online()
        await yield_to_loop()
    probe.gate.set()
    await settle(monitor)

    assert len(probe.called_at) == 1
    assert recorder.resumes == 1


async def test_monitor_offline_cancels_check() -> None:
    monitor, probe, _, recorder = make_monitor([True], online=False)
    probe.gate = asyncio.Event()

    monitor.browser_online()
    await yield_to_loop()
    monitor.browser_offline()
    probe.gate.set()
    await yield_to_loop()

    assert monitor.state is ConnectionState.OFFLINE
    assert recorder.resumes == 0
    assert probe.results == [True]


async def test_monitor_offline_cancels_backoff() -> None:
    monitor, probe, clock, recorder = make_monitor([False, True], online=False)

    monitor.browser_online()
    await yield_to_loop(1)
    assert clock.sleeps == [1.0]
    monitor.browser_offline()
    await yield_to_loop()

    assert monitor.state is ConnectionState.OFFLINE
    assert probe.called_at == [1000.0]
    assert recorder.resumes == 0


async def test_monitor_network_error_server_up() -> None:
    monitor, probe, _, recorder = make_monitor([True], online=True)

    monitor.network_error_seen()
    assert monitor.state is ConnectionState.CHECKING
    assert monitor.is_paused is True
    await settle(monitor)

    assert monitor.state is ConnectionState.ONLINE
    assert monitor.server_reachable is True
    assert recorder.resumes == 0
    assert len(probe.called_at) == 1


async def test_monitor_network_error_server_down() -> None:
    monitor, probe, clock, recorder = make_monitor([False, False, True], online=True)
    probe.gate = asyncio.Event()

    monitor.network_error_seen()
    probe.gate.set()
    await yield_to_loop(1)
    assert monitor.state is ConnectionState.CHECKING
    assert monitor.server_reachable is False
    assert monitor.status_message() == (
        "The server is not reachable. "
        "Uploads are paused and will resume when it answers."
    )
    await settle(monitor)

    assert monitor.state is ConnectionState.ONLINE
    assert monitor.server_reachable is True
    assert recorder.resumes == 1
    assert clock.sleeps == [1.0, 2.0]


async def test_monitor_network_error_when_offline() -> None:
    monitor, probe, _, recorder = make_monitor([], online=False)

    monitor.network_error_seen()

    assert monitor.state is ConnectionState.OFFLINE
    assert probe.called_at == []
    assert recorder.states == []


async def test_monitor_offline_resets_server_reachable() -> None:
    monitor, probe, _, _ = make_monitor([False, True], online=True)

    monitor.network_error_seen()
    await yield_to_loop(1)
    assert monitor.server_reachable is False
    monitor.browser_offline()

    assert monitor.server_reachable is True
    assert monitor.status_message() == OFFLINE_TEXT


async def test_monitor_online_while_online_does_nothing() -> None:
    monitor, probe, _, recorder = make_monitor([], online=True)

    for _ in range(5):
        monitor.browser_online()
    await yield_to_loop()

    assert monitor.state is ConnectionState.ONLINE
    assert probe.called_at == []
    assert recorder.states == []
    assert recorder.resumes == 0


async def test_monitor_offline_repeats_notify_once() -> None:
    monitor, _, _, recorder = make_monitor([], online=True)

    for _ in range(5):
        monitor.browser_offline()

    assert recorder.states == [ConnectionState.OFFLINE]


async def test_monitor_probe_exception_is_failure() -> None:
    error = OSError("health check failed")
    monitor, _, clock, recorder = make_monitor([error, True], online=False)

    monitor.browser_online()
    await settle(monitor)

    assert recorder.probe_errors == [error]
    assert clock.sleeps == [1.0]
    assert recorder.resumes == 1


async def test_monitor_resumes_once_per_recovery() -> None:
    monitor, _, _, recorder = make_monitor([True, True], online=True)

    monitor.browser_offline()
    monitor.browser_online()
    await settle(monitor)
    monitor.browser_offline()
    monitor.browser_online()
    await settle(monitor)

    assert recorder.resumes == 2


async def test_monitor_wait_until_online() -> None:
    monitor, probe, _, _ = make_monitor([True], online=False)
    probe.gate = asyncio.Event()
    waiter = asyncio.ensure_future(monitor.wait_until_online())

    monitor.browser_online()
    await yield_to_loop()
    assert not waiter.done()
    probe.gate.set()
    await settle(monitor)
    await yield_to_loop()

    assert waiter.done()


async def test_monitor_changed_at_follows_clock() -> None:
    monitor, _, clock, _ = make_monitor([], online=True)

    clock.now = 1234.0
    monitor.browser_offline()

    assert monitor.changed_at == 1234.0


async def test_monitor_close_cancels_check() -> None:
    monitor, probe, _, recorder = make_monitor([True], online=False)
    probe.gate = asyncio.Event()

    monitor.browser_online()
    await yield_to_loop()
    monitor.close()
    probe.gate.set()
    await yield_to_loop()

    assert recorder.resumes == 0
    assert probe.results == [True]


def test_backoff_delays() -> None:
    backoff = ProbeBackoff()

    delays = [backoff.delay(n) for n in range(0, 8)]

    assert delays == [0.0, 1.0, 2.0, 4.0, 8.0, 15.0, 15.0, 15.0]
    assert backoff.delay(10_000) == 15.0


@pytest.mark.parametrize(
    "arguments",
    [
        {"initial": 0},
        {"initial": -1.0},
        {"maximum": float("inf")},
        {"multiplier": 0.5},
        {"multiplier": True},
        {"initial": "1"},
    ],
)
def test_backoff_rejects_invalid(arguments: dict) -> None:
    with pytest.raises(ConfigError):
        ProbeBackoff(**arguments)


def test_watchdog_stall_at_boundary() -> None:
    clock = FakeClock(now=0.0)
    watchdog = TransferWatchdog(stall_timeout=30.0, clock=clock)
    watchdog.progress(100)

    assert watchdog.check(29.999) is None
    assert watchdog.check(30.0) is TransferTimeout.STALL
    assert watchdog.deadline() == 30.0


def test_watchdog_no_progress_stalls() -> None:
    clock = FakeClock(now=5.0)
    watchdog = TransferWatchdog(stall_timeout=30.0, clock=clock)

    assert watchdog.check(34.9) is None
    assert watchdog.check(35.0) is TransferTimeout.STALL


def test_watchdog_same_loaded_not_progress() -> None:
    clock = FakeClock(now=0.0)
    watchdog = TransferWatchdog(stall_timeout=30.0, clock=clock)
    watchdog.progress(500)

    clock.now = 20.0
    watchdog.progress(500)
    watchdog.progress(400)

    assert watchdog.loaded == 500
    assert watchdog.check(30.0) is TransferTimeout.STALL


def test_watchdog_steady_progress_never_times_out() -> None:
    clock = FakeClock(now=0.0)
    watchdog = TransferWatchdog(
        stall_timeout=30.0, processing_timeout=300.0, clock=clock
    )

    # Ten hours of one byte every 29 seconds, checked every second.
    loaded = 0
    for second in range(1, 10 * 3600):
        clock.now = float(second)
        if second % 29 == 0:
            loaded += 1
            watchdog.progress(loaded)
        assert watchdog.check() is None, f"timed out at {second} s"


def test_watchdog_processing_timeout_after_body_sent() -> None:
    clock = FakeClock(now=0.0)
    watchdog = TransferWatchdog(
        stall_timeout=30.0, processing_timeout=300.0, clock=clock
    )
    clock.now = 10.0
    watchdog.progress(1000)
    clock.now = 20.0
    watchdog.body_sent()

    # After body_sent no stall applies, however long the server works.
    assert watchdog.check(100.0) is None
    assert watchdog.check(319.999) is None
    assert watchdog.check(320.0) is TransferTimeout.PROCESSING_TIMEOUT
    assert watchdog.deadline() == 320.0


def test_watchdog_progress_after_body_sent_ignored() -> None:
    clock = FakeClock(now=0.0)
    watchdog = TransferWatchdog(processing_timeout=300.0, clock=clock)
    watchdog.body_sent()

    clock.now = 200.0
    watchdog.progress(10)
    watchdog.body_sent()

    assert watchdog.check(300.0) is TransferTimeout.PROCESSING_TIMEOUT


@pytest.mark.parametrize(
    "arguments",
    [
        {"stall_timeout": 0},
        {"stall_timeout": -5.0},
        {"processing_timeout": 0.0},
        {"processing_timeout": float("nan")},
        {"stall_timeout": None},
    ],
)
def test_watchdog_rejects_invalid_timeouts(arguments: dict) -> None:
    with pytest.raises(ConfigError):
        TransferWatchdog(**arguments)


async def test_monitor_hook_error_ends_check() -> None:
    def broken_hook(error: Exception) -> None:
        raise RuntimeError("hook failed")

    async def probe() -> bool:
        raise OSError("health check failed")

    # The hook's exception ends the check task, and asyncio reports it to the
    # loop's exception handler. The list keeps that report out of the log.
    loop = asyncio.get_running_loop()
    reported: list[dict] = []
    loop.set_exception_handler(lambda _loop, context: reported.append(context))
    monitor = NetworkMonitor(probe, online=False, on_probe_error=broken_hook)

    monitor.browser_online()
    await settle(monitor)

    assert monitor.state is ConnectionState.CHECKING
