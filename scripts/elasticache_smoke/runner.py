"""``run_smoke``: connect, run the selected suites, always clean up, return a :class:`Report`."""

from __future__ import annotations

import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType
from typing import Any

import redis

from elasticache_connect import ClientOptions, Target, redis_client
from elasticache_connect.probe import DEFAULT_TIMEOUT, connect_memcached, connect_redis, error_text

from .context import KEY_PREFIX_RE, RunState, SuiteContext
from .errors import ConnectError, SmokeInterrupted, UsageError
from .report import CheckResult, Report, SuiteResult
from .suites import ALL_SUITE_NAMES, MEMCACHED_SUITES, REDIS_SUITES, SuiteDef


@dataclass
class ProgressEvent:
    """Reported to the ``progress`` callback: ``kind`` is ``start``, ``check`` or ``end``."""

    kind: str
    suite: str
    index: int
    total: int
    check: CheckResult | None = None
    result: SuiteResult | None = None


ProgressCallback = Callable[[ProgressEvent], None]


def parse_suites(value: str | Sequence[str] | None) -> list[str] | None:
    """Validate suite names (comma-separated string or list); ``None`` means the default set."""
    if value is None:
        return None
    names = [n.strip() for n in (value.split(",") if isinstance(value, str) else value) if n.strip()]
    unknown = [n for n in names if n not in ALL_SUITE_NAMES]
    if unknown or not names:
        raise UsageError(
            f"--suite: unknown suite(s) {', '.join(unknown) or '(empty)'}; allowed: {', '.join(ALL_SUITE_NAMES)}"
        )
    return list(dict.fromkeys(names))


def plan_suites(
    engine: str, cluster: bool, selected: Sequence[str] | None, read_only: bool
) -> list[tuple[SuiteDef | None, str, str | None]]:
    """(suite, name, skip reason) in run order for this engine / cluster mode / read-only flag."""
    registry = MEMCACHED_SUITES if engine == "memcached" else REDIS_SUITES
    names = (
        list(selected) if selected is not None else [n for n, s in registry.items() if not (read_only and s.mutating)]
    )
    if read_only:
        mutating = [n for n in names if n not in registry or registry[n].mutating]
        if selected is not None and mutating:
            allowed = [n for n, s in registry.items() if not s.mutating]
            raise UsageError(
                f"--read-only runs only non-mutating suites; not allowed: {', '.join(mutating)} "
                f"(allowed: {', '.join(allowed)})"
            )
    plan: list[tuple[SuiteDef | None, str, str | None]] = []
    for name in names:
        suite = registry.get(name)
        if suite is None:
            plan.append((None, name, f"not applicable to {engine}"))
        elif suite.cluster_only and not cluster:
            if selected is not None:
                plan.append((suite, name, "target is not in cluster mode"))
        else:
            plan.append((suite, name, None))
    return plan


@contextmanager
def _signal_guard(enabled: bool) -> Iterator[None]:
    """Turn SIGTERM/SIGHUP into :class:`SmokeInterrupted` (SIGINT already raises KeyboardInterrupt)."""
    if not enabled or threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, _frame: FrameType | None) -> None:
        raise SmokeInterrupted(signum)

    saved: dict[signal.Signals, Any] = {}
    for sig in (signal.SIGTERM, signal.SIGHUP):
        saved[sig] = signal.signal(sig, interrupt)
    if signal.getsignal(signal.SIGINT) is signal.SIG_DFL:
        saved[signal.SIGINT] = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        for restore, handler in saved.items():
            signal.signal(restore, handler)


@contextmanager
def _signals_blocked(enabled: bool) -> Iterator[None]:
    """Ignore SIGINT/SIGTERM/SIGHUP while cleanup runs so a second Ctrl-C cannot leave keys behind."""
    if not enabled or threading.current_thread() is not threading.main_thread():
        yield
        return
    saved = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)


def _describe_error(exc: BaseException) -> str:
    if isinstance(exc, redis.ResponseError):
        return error_text(exc)
    return f"{type(exc).__name__}: {exc}"


def _cleanup_redis(target: Target, cluster: bool, state: RunState, timeout: float, report: Report) -> None:
    """Delete every registered key with a fresh connection (the run's may be mid-command after Ctrl-C)."""
    keys = list(state.created)
    if not keys:
        return
    client: Any
    try:
        client = redis_client(target, ClientOptions(retries=1).with_timeout(timeout), cluster=cluster)
    except Exception as exc:
        report.cleanup_errors.append(f"cannot reconnect to delete {len(keys)} keys: {_describe_error(exc)}")
        return
    try:
        for key in keys:
            try:
                report.cleanup_deleted += int(client.delete(key))
            except redis.exceptions.NoPermissionError:
                # This user may not touch the key, so it cannot have created it either.
                continue
            except Exception as exc:
                report.cleanup_errors.append(f"DEL {key}: {_describe_error(exc)}")
    finally:
        client.close()


def _cleanup_memcached(client: Any, state: RunState, report: Report) -> None:
    for key in list(state.created):
        try:
            if client.delete(key, noreply=False):
                report.cleanup_deleted += 1
        except Exception as exc:
            report.cleanup_errors.append(f"delete {key}: {_describe_error(exc)}")


def run_smoke(
    target: Target,
    suites: str | Sequence[str] | None = None,
    *,
    read_only: bool = False,
    key_prefix: str = "",
    progress: ProgressCallback | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    run_id: str | None = None,
    handle_signals: bool = True,
) -> Report:
    """Run the smoke suites against ``target`` and return the :class:`Report`.

    * ``suites``: names (list or comma-separated); default all that apply to the engine / cluster mode.
    * ``read_only``: only non-mutating checks (PING, INFO, missing-key reads, cluster slots).
    * ``key_prefix``: prepended to the run namespace ``{smoke:<runid>}`` (``app:`` for an ACL ``~app:*``).
    * Every key a suite creates is registered and deleted at the end, also after a failure, Ctrl-C or SIGTERM
      (then ``report.interrupted`` is set and ``exit_code`` is 130).
    * Connection failures do not raise: ``report.connect_stage`` / ``connect_error`` say which stage failed.
    """
    selected = parse_suites(suites)
    if not KEY_PREFIX_RE.match(key_prefix):
        raise UsageError(
            f"--key-prefix {key_prefix!r}: up to 64 characters without spaces, braces or glob characters (*?[]\\)"
        )
    started = time.perf_counter()
    report = Report(target=target, read_only=read_only)
    state = RunState(
        run_id=run_id or uuid.uuid4().hex[:12],
        key_prefix=key_prefix,
        cluster=False,
        hash_tags=target.is_redis,
        target=target,
    )
    report.namespace = state.namespace
    client: Any = None
    connection = None
    try:
        if target.is_redis:
            connection = connect_redis(target, timeout, ClientOptions(retries=1).with_timeout(timeout))
            client = connection.client
            state.cluster = connection.cluster
            report.cluster = connection.cluster
            report.server_version = connection.version
            report.notes.extend(connection.notes)
        else:
            client, report.server_version = connect_memcached(target, timeout)
            report.cluster = False
    except ConnectError as exc:
        report.connect_error, report.connect_stage = exc.detail, exc.stage
        report.wall_time = time.perf_counter() - started
        return report
    plan = plan_suites(target.engine, state.cluster, selected, read_only)
    total = len(plan)

    def emit(event: ProgressEvent) -> None:
        if progress is not None:
            progress(event)

    with _signal_guard(handle_signals):
        try:
            for index, (suite, name, skip) in enumerate(plan, start=1):
                result = SuiteResult(name)
                report.suites.append(result)
                if suite is None or skip is not None:
                    result.skipped = skip
                    emit(ProgressEvent("end", name, index, total, result=result))
                    continue
                emit(ProgressEvent("start", name, index, total))

                def on_check(check: CheckResult, suite_name: str = name, position: int = index) -> None:
                    emit(ProgressEvent("check", suite_name, position, total, check=check))

                ctx = SuiteContext(state, result, client, on_check)
                suite_start = time.perf_counter()
                try:
                    suite.func(ctx)
                except (KeyboardInterrupt, SmokeInterrupted):
                    result.error = "interrupted"
                    raise
                except Exception as exc:
                    result.error = _describe_error(exc)
                finally:
                    result.duration = time.perf_counter() - suite_start
                emit(ProgressEvent("end", name, index, total, result=result))
        except (KeyboardInterrupt, SmokeInterrupted):
            report.interrupted = True
        finally:
            with _signals_blocked(handle_signals):
                if target.is_redis:
                    if connection is not None:
                        connection.close()
                    _cleanup_redis(target, state.cluster, state, timeout, report)
                else:
                    _cleanup_memcached(client, state, report)
                    client.close()
    report.operations = state.operations
    report.wall_time = time.perf_counter() - started
    return report
