"""Connectivity state and transfer timeouts for the uploader.

The browser reports connectivity through `navigator.onLine` and the window's
`online` and `offline` events. Those only report whether a network interface is
up: they flap on weak Wi-Fi, and "online" does not mean the API answers. This
module turns those reports into a decision the scheduler can trust.

- `NetworkMonitor` is a state machine (`ConnectionState`) fed by the browser
  adapter. It confirms every recovery with a reachability probe of
  `GET /api/health`, retries failed probes with a capped exponential backoff
  (`ProbeBackoff`) and calls `on_resume` once per recovery.
- `TransferWatchdog` decides when one upload request has stalled or has
  waited too long for the server's response.

Neither class imports anything from the browser. The probe, the sleep and the
clock are injected, so tests drive them without waiting. Example::

    monitor = NetworkMonitor(
        probe=check_health, online=js_navigator.onLine, on_resume=queue.resume
    )
    # The adapter forwards window events:
    #   "online"  -> monitor.browser_online()
    #   "offline" -> monitor.browser_offline()
"""

from __future__ import annotations

import asyncio
import enum
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from app.errors import ConfigError

__all__ = [
    "ConnectionState",
    "NetworkMonitor",
    "ProbeBackoff",
    "TransferTimeout",
    "TransferWatchdog",
]

OFFLINE_MESSAGE = (
    "You are offline. Uploads are paused and will resume when the connection returns."
)
RECONNECTING_MESSAGE = "Reconnecting…"
SERVER_UNREACHABLE_MESSAGE = (
    "The server is not reachable. Uploads are paused and will resume when it answers."
)


class ConnectionState(enum.Enum):
    """Whether uploads may run, as far as the monitor can tell."""

    # The browser is online and the last check, if any, reached the server.
    ONLINE = "online"
    # The browser reported that it is offline.
    OFFLINE = "offline"
    # The browser claims to be online and a probe of the server is pending.
    CHECKING = "checking"


def _require_number(name: str, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{name} must be a number, got {value!r}.")
    if not math.isfinite(value):
        raise ConfigError(f"{name} must be a finite number, got {value!r}.")


def _require_seconds(name: str, value: float) -> None:
    """Raise ConfigError unless `value` is a finite number of seconds above 0."""
    _require_number(name, value)
    if value <= 0:
        raise ConfigError(f"{name} must be greater than 0 seconds, got {value!r}.")


@dataclass(frozen=True)
class ProbeBackoff:
    """Delays between failed probes, by default 1, 2, 4, 8, 15, 15, … seconds."""

    initial: float = 1.0
    multiplier: float = 2.0
    maximum: float = 15.0

    def __post_init__(self) -> None:
        _require_seconds("initial", self.initial)
        _require_seconds("maximum", self.maximum)
        _require_number("multiplier", self.multiplier)
        if self.multiplier < 1:
            raise ConfigError(
                f"multiplier must be at least 1, got {self.multiplier!r}."
            )

    def delay(self, failures: int) -> float:
        """Return the wait in seconds after `failures` consecutive failed probes."""
        if failures < 1:
            return 0.0
        if self.multiplier == 1:
            return min(self.initial, self.maximum)

        # Multiplying step by step and stopping at the cap avoids the
        # OverflowError that `multiplier ** failures` raises after many failures.
        delay = self.initial
        for _ in range(failures - 1):
            delay *= self.multiplier
            if delay >= self.maximum:
                break
        return min(delay, self.maximum)


class NetworkMonitor:
    """Connectivity state machine that confirms recoveries with a probe.

    Inputs come from the browser adapter: `browser_online()`,
    `browser_offline()` and `network_error_seen()`. The monitor itself runs
    one check task at a time, which calls `probe()` until it returns True,
    sleeping `backoff.delay(n)` seconds after the n-th consecutive failure.

    Hooks:

    - `on_change(state)` is called after `state` or `server_reachable`
      changes, so the banner can be redrawn. The state passed may be the
      same as before when only `server_reachable` changed.
    - `on_resume()` is called once per recovery from an outage, after a
      probe succeeds. An outage starts when the browser goes offline or when
      a probe fails. Flapping events never add calls: a check cancelled by an
      `offline` event calls nothing, and repeated `online` events join the
      running check.
    - `on_probe_error(exc)` receives an exception raised by `probe()`, which
      counts as a failed probe. The shell can log it.

    `probe()` must finish on its own, so the adapter sets a request timeout
    on the health check and returns False when it expires.
    """

    def __init__(
        self,
        probe: Callable[[], Awaitable[bool]],
        *,
        online: bool,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        backoff: ProbeBackoff | None = None,
        on_change: Callable[[ConnectionState], None] | None = None,
        on_resume: Callable[[], None] | None = None,
        on_probe_error: Callable[[Exception], None] | None = None,
    ) -> None:
        self._probe = probe
        self._sleep = sleep
        self._clock = clock
        self._backoff = backoff if backoff is not None else ProbeBackoff()
        self._on_change = on_change
        self._on_resume = on_resume
        self._on_probe_error = on_probe_error

        self._state = ConnectionState.ONLINE if online else ConnectionState.OFFLINE
        self._changed_at = clock()
        self._server_reachable = True
        # True from the start of an outage until the recovery that ends it.
        self._in_outage = not online
        self._failed_probes = 0
        self._check_task: asyncio.Task[None] | None = None
        # The check task whose probe is awaiting an answer, if any.
        self._probing_task: asyncio.Task[None] | None = None
        self._online_event = asyncio.Event()
        if online:
            self._online_event.set()

    @property
    def state(self) -> ConnectionState:
        return self._state

    @property
    def changed_at(self) -> float:
        """The clock time of the last change of `state`, or of creation."""
        return self._changed_at

    @property
    def is_paused(self) -> bool:
        """Whether the scheduler must hold new uploads (any state but ONLINE)."""
        return self._state is not ConnectionState.ONLINE

    @property
    def server_reachable(self) -> bool:
        """False while the most recent probe failed, True otherwise.

        Reset to True when the browser goes offline, because then the offline
        message is the one the user needs.
        """
        return self._server_reachable

    def status_message(self) -> str | None:
        """Return the banner text for the current state, or None when online."""
        if self._state is ConnectionState.OFFLINE:
            return OFFLINE_MESSAGE
        if self._state is ConnectionState.CHECKING:
            if not self._server_reachable:
                return SERVER_UNREACHABLE_MESSAGE
            return RECONNECTING_MESSAGE
        return None

    def browser_online(self) -> None:
        """Handle the `online` event: start a check unless one already runs."""
        if self._state is ConnectionState.ONLINE:
            return

        # A fresh online event restarts the backoff. A probe in flight is
        # kept, but a backoff sleep is cut short by starting over.
        self._failed_probes = 0
        if self._check_task is not None and self._probing_task is self._check_task:
            return
        self._start_check()

    def browser_offline(self) -> None:
        """Handle the `offline` event: cancel any check and pause uploads."""
        if self._state is ConnectionState.OFFLINE:
            return

        self._cancel_check()
        self._in_outage = True
        self._server_reachable = True
        self._set_state(ConnectionState.OFFLINE)

    def network_error_seen(self) -> None:
        """Check the server after an upload hit a network error while ONLINE.

        If the first probe succeeds the state returns to ONLINE without
        `on_resume`, because nothing was paused for long and the failed
        upload goes through the normal retry path. If it fails, the check
        becomes an outage and its recovery calls `on_resume`.
        """
        if self._state is not ConnectionState.ONLINE:
            return

        self._failed_probes = 0
        self._start_check()

    async def wait_until_online(self) -> None:
        """Wait until the state is ONLINE."""
        await self._online_event.wait()

    async def wait_until_settled(self) -> None:
        """Wait until no check runs, so the state is ONLINE or OFFLINE."""
        while self._check_task is not None:
            await asyncio.wait({self._check_task})

    def close(self) -> None:
        """Cancel the running check, if any, when the page tears down."""
        self._cancel_check()

    def _start_check(self) -> None:
        self._cancel_check()
        self._set_state(ConnectionState.CHECKING)
        self._check_task = asyncio.get_running_loop().create_task(self._run_check())

    def _cancel_check(self) -> None:
        task, self._check_task = self._check_task, None
        if task is not None and not task.done():
            task.cancel()

    async def _run_check(self) -> None:
        try:
            await self._probe_until_reachable()
        finally:
            # A cancelled check was already replaced, so only the current
            # one clears the slot, whether it succeeded or a hook raised.
            if self._check_task is asyncio.current_task():
                self._check_task = None

        self._failed_probes = 0
        resumed = self._in_outage
        self._in_outage = False
        self._server_reachable = True
        self._set_state(ConnectionState.ONLINE)
        if resumed and self._on_resume is not None:
            self._on_resume()

    async def _probe_until_reachable(self) -> None:
        while not await self._probe_once():
            self._failed_probes += 1
            self._in_outage = True
            if self._server_reachable:
                self._server_reachable = False
                self._notify_change()
            await self._sleep(self._backoff.delay(self._failed_probes))

    async def _probe_once(self) -> bool:
        task = asyncio.current_task()
        self._probing_task = task
        try:
            return bool(await self._probe())
        except Exception as exc:
            # The probe is adapter code. A failure of any kind means the
            # server was not confirmed reachable. The hook lets the shell log it.
            if self._on_probe_error is not None:
                self._on_probe_error(exc)
            return False
        finally:
            if self._probing_task is task:
                self._probing_task = None

    def _set_state(self, state: ConnectionState) -> None:
        if state is self._state:
            return

        self._state = state
        self._changed_at = self._clock()
        if state is ConnectionState.ONLINE:
            self._online_event.set()
        else:
            self._online_event.clear()
        self._notify_change()

    def _notify_change(self) -> None:
        if self._on_change is not None:
            self._on_change(self._state)


class TransferTimeout(enum.Enum):
    """Reason returned by `TransferWatchdog.check` for aborting a request."""

    # No upload progress for `stall_timeout` while the body was being sent.
    STALL = "stall"
    # No response for `processing_timeout` after the whole body was sent.
    PROCESSING_TIMEOUT = "processing_timeout"


class TransferWatchdog:
    """Stall and processing timeouts for one upload request.

    Create one per request, just before it is sent. The adapter feeds it the
    XMLHttpRequest upload `progress` events (`progress(loaded)`) and the
    upload `load` event (`body_sent()`), and calls `check()` from a timer.
    The time before the first progress event counts toward the stall timeout,
    so a connection that never opens also stalls. A request whose `loaded`
    keeps increasing never times out while its body is being sent, however
    long that takes. After `body_sent()` only the processing timeout applies,
    measured from that moment. Detection is as late as the timer interval, or
    exact if the timer is set to `deadline()`.
    """

    def __init__(
        self,
        stall_timeout: float = 30.0,
        processing_timeout: float = 300.0,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        _require_seconds("stall_timeout", stall_timeout)
        _require_seconds("processing_timeout", processing_timeout)
        self.stall_timeout = stall_timeout
        self.processing_timeout = processing_timeout
        self._clock = clock

        self._loaded = 0
        self._last_progress_at = clock()
        self._body_sent_at: float | None = None

    @property
    def loaded(self) -> int:
        """The largest byte count reported by `progress`."""
        return self._loaded

    def progress(self, loaded: int) -> None:
        """Record upload progress. Only an increase of `loaded` counts."""
        if self._body_sent_at is not None or loaded <= self._loaded:
            return

        self._loaded = loaded
        self._last_progress_at = self._clock()

    def body_sent(self) -> None:
        """Record that the whole body was sent; the server now processes it."""
        if self._body_sent_at is None:
            self._body_sent_at = self._clock()

    def deadline(self) -> float:
        """Return the clock time at which `check` times out without new events."""
        if self._body_sent_at is not None:
            return self._body_sent_at + self.processing_timeout
        return self._last_progress_at + self.stall_timeout

    def check(self, now: float | None = None) -> TransferTimeout | None:
        """Return the timeout that has expired at `now`, or None.

        A timeout expires when exactly its number of seconds has passed.
        `now` defaults to the injected clock.
        """
        if now is None:
            now = self._clock()
        if now < self.deadline():
            return None

        if self._body_sent_at is not None:
            return TransferTimeout.PROCESSING_TIMEOUT
        return TransferTimeout.STALL
