"""Interrupting ``up`` safely: SIGTERM behaves like Ctrl-C, cleanup cannot be interrupted, bootstrap threads stop.

``up`` records every process the moment it starts (``state.record_started``), so whatever stops it - Ctrl-C,
SIGTERM, a node that fails to start - its cleanup stops exactly those processes by PID; and when ``up`` itself is
killed (SIGKILL), ``down`` finds them in the journal. Tests pause ``up`` at a named stage with the environment
variable ``ELASTICACHE_LOCAL_PAUSE_AT=<stage>`` (it writes ``<state dir>/paused-<stage>`` and waits for a signal).
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

from .errors import EmulatorError

PAUSE_ENV = "ELASTICACHE_LOCAL_PAUSE_AT"
#: The stages ``up`` passes, in order (names accepted by ``ELASTICACHE_LOCAL_PAUSE_AT``).
STAGES = ("servers-spawned", "servers-listening", "sentinels-spawned", "groups-ready", "outputs-written")
#: Set when ``up`` is being cancelled: bootstrap waits in worker threads give up at once.
CANCELLED = threading.Event()


class Cancelled(EmulatorError):
    """``up`` is being cancelled (raised in bootstrap worker threads)."""


def check_cancelled() -> None:
    """Raise :class:`Cancelled` when ``up`` is being cancelled."""
    if CANCELLED.is_set():
        raise Cancelled("cancelled")


def _raise_interrupt(signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signal.Signals(signum).name}")


@contextlib.contextmanager
def interruptible() -> Iterator[None]:
    """SIGTERM raises ``KeyboardInterrupt`` like SIGINT while inside (main thread only; elsewhere a no-op)."""
    CANCELLED.clear()
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def shielded() -> Iterator[None]:
    """Cleanup that a second Ctrl-C/SIGTERM must not cut short: both are ignored inside; workers are cancelled."""
    CANCELLED.set()
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    saved = {s: signal.signal(s, signal.SIG_IGN) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, handler in saved.items():
            signal.signal(s, handler)


def checkpoint(stage: str, state_dir: Path) -> None:
    """Test hook: when ``ELASTICACHE_LOCAL_PAUSE_AT`` names ``stage``, mark it and wait (up to 60 s) for a signal."""
    assert stage in STAGES, stage
    if os.environ.get(PAUSE_ENV) != stage:
        return
    (state_dir / f"paused-{stage}").write_text(str(os.getpid()))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        time.sleep(0.05)
