"""``--probe GROUP``: an application's view of a change while it applies (``up``) or of a failover drill.

One background client per probed group reads and writes a probe key set for as long as the change runs, the way an
application would: through the group's endpoint (the configuration endpoint with redis-py's ``RedisCluster`` in
cluster mode, following ``MOVED``/``ASK`` and failovers; the primary endpoint otherwise), with client retries
(exponential backoff, as redis-py recommends for ElastiCache). It reports:

- operations done and **failed operations** (an operation that still failed after the client's retries);
- the **longest stall**: the longest time between two successful operations;
- **acknowledged writes lost**: every key's last acknowledged value is read back at the end; a key holding an
  older value (or none) lost a write. A write that failed may or may not have applied: either value is fine.

The probe keys (``elasticache-local-probe:{<n>}``, spread over the slots) are deleted at the end, so checksums of
the user's data taken before and after are unaffected.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

from . import state as st
from .acl import ADMIN_USER
from .clients import DRIVER_INFO, LocalCaSSLConnection
from .errors import EmulatorError
from .model import RedisPlan
from .runtime import LOOPBACK

Log = Callable[[str], None]
#: Keys the probe cycles through: enough to touch every shard of a 500-node cluster's worth of slots, small
#: enough to read back at the end in a moment.
PROBE_KEYS = 256
#: Pause between two operations: a steady load (about 1,000 operations/s), not a benchmark.
PAUSE = 0.001
#: Client retries per operation (redis-py ``Retry`` with exponential backoff capped at 0.5 s: about 8 s in all).
RETRIES = 20
#: The probe's own retries of a client-library error (see ``_Prober._once``).
CLIENT_GLITCH_RETRIES = 8


@dataclass
class ProbeReport:
    """What one probed group saw."""

    group: str
    operations: int = 0
    writes: int = 0
    reads: int = 0
    failed: int = 0
    longest_stall_ms: float = 0.0
    lost_writes: int = 0
    first_error: str = ""

    def line(self) -> str:
        """The one-line summary ``up``/``failover`` print."""
        return (f"probe {self.group}: {self.operations} operations ({self.writes} writes, {self.reads} reads), "
                f"{self.failed} failed after retries, longest stall {self.longest_stall_ms:.0f} ms, "
                f"{self.lost_writes} acknowledged writes lost" + (f" (first error: {self.first_error})"
                                                                    if self.first_error else ""))


def resolve(state: st.State | None, names: list[str]) -> list[RedisPlan]:
    """The running groups ``names`` designate (group id, logical id, STACK/LOGICAL, outputs prefix); an error
    naming the known ones otherwise."""
    if not names:
        return []
    from .failover import find_group

    out = []
    for name in names:
        found = None
        if state is not None:
            with contextlib.suppress(EmulatorError):
                found = find_group(state, name)
        if found is None:
            groups = state.redis if state is not None else []
            known = ", ".join(f"{rp.group_id} ({rp.stack}/{rp.logical_id})" for rp in groups) or "none running"
            raise EmulatorError(f"--probe {name!r}: no running emulated Redis OSS/Valkey group of that name "
                                f"(a probe watches a running group while it changes); known: {known}")
        out.append(found)
    return out


def _client(state: st.State, rp: RedisPlan) -> redis.Redis | redis.RedisCluster:
    endpoints = state.endpoints.get(f"{rp.stack}/{rp.logical_id}", {})
    kind = "ConfigurationEndPoint" if rp.cluster_mode else (
        "PrimaryEndPoint" if "PrimaryEndPoint.Port" in endpoints else "Endpoint"
        if "Endpoint.Port" in endpoints else "RedisEndpoint")
    port = int(endpoints[f"{kind}.Port"])
    retry = Retry(ExponentialBackoff(cap=0.5, base=0.01), RETRIES)
    kwargs: dict[str, Any] = {"host": LOOPBACK, "port": port, "username": ADMIN_USER,
                              "password": state.admin_password, "socket_timeout": 2, "socket_connect_timeout": 2,
                              "decode_responses": True, "retry": retry, "driver_info": DRIVER_INFO}
    tls = rp.tls != "off"
    if rp.cluster_mode:
        if tls:
            kwargs.update(ssl=True, ssl_ca_certs=state.ca_file)
        return redis.RedisCluster(**kwargs)
    kwargs["retry_on_error"] = [redis.ConnectionError, redis.TimeoutError, redis.ReadOnlyError]
    if tls:
        return redis.Redis(connection_pool=redis.ConnectionPool(
            connection_class=LocalCaSSLConnection, ssl_ca_certs=state.ca_file, **kwargs))
    return redis.Redis(**kwargs)


class _Prober(threading.Thread):
    def __init__(self, state: st.State, rp: RedisPlan) -> None:
        super().__init__(name=f"probe-{rp.group_id}", daemon=True)
        self.report = ProbeReport(group=rp.group_id)
        self.client = _client(state, rp)
        self.stop = threading.Event()
        self.acked: dict[str, int] = {}
        self.attempted: dict[str, set[int]] = {}

    @staticmethod
    def key(i: int) -> str:
        return f"elasticache-local-probe:{{{i}}}"

    def run(self) -> None:
        try:
            self._loop()
        except Exception as exc:  # a probe that died must say so, not report a clean run
            self.report.failed += 1
            self.report.first_error = f"probe stopped: {type(exc).__name__}: {exc}"

    def _loop(self) -> None:
        r, seq = self.report, 0
        last_ok = time.monotonic()
        while not self.stop.is_set():
            seq += 1
            k = self.key(seq % PROBE_KEYS)
            write = seq % 2 == 0
            if write:
                self.attempted.setdefault(k, set()).add(seq)
            error = self._once(k, seq if write else None)
            if error is None:
                if write:
                    self.acked[k] = seq
                    r.writes += 1
                else:
                    r.reads += 1
                now = time.monotonic()
                r.longest_stall_ms = max(r.longest_stall_ms, (now - last_ok) * 1000)
                last_ok = now
            else:
                r.failed += 1
                r.first_error = r.first_error or error
            r.operations += 1
            time.sleep(PAUSE)

    def _once(self, key: str, value: int | None) -> str | None:
        """One SET (``value``) or GET, after the client's own retries; the error text when it still failed.

        redis-py's cluster client can raise a non-Redis error while it rebuilds its slot table after a MOVED
        (``AttributeError`` on a node it has not learnt yet): the probe retries those itself, as an application's
        retry wrapper would, and counts the operation as failed only when that does not help either.
        """
        for attempt in range(CLIENT_GLITCH_RETRIES + 1):
            try:
                if value is None:
                    self.client.get(key)
                else:
                    self.client.set(key, value)
                return None
            except redis.RedisError as exc:
                return f"{type(exc).__name__}: {exc}"
            except (AttributeError, KeyError, IndexError, TypeError) as exc:
                if attempt == CLIENT_GLITCH_RETRIES:
                    return f"client error {type(exc).__name__}: {exc}"
                time.sleep(0.05 * (attempt + 1))
        return None

    def finish(self) -> ProbeReport:
        self.stop.set()
        self.join(timeout=60)
        r = self.report
        try:
            for k, value in self.acked.items():
                got = self.client.get(k)
                newer = {s for s in self.attempted.get(k, set()) if s >= value}
                if got is None or int(got) not in newer:
                    r.lost_writes += 1
            for i in range(PROBE_KEYS):
                self.client.delete(self.key(i))
        except redis.RedisError as exc:
            r.first_error = r.first_error or f"reading back: {exc}"
            r.lost_writes = max(r.lost_writes, len(self.acked))
        finally:
            self.client.close()
        return r


@contextlib.contextmanager
def probing(state: st.State, groups: list[RedisPlan], log: Log, json_file: Path | None = None) -> Iterator[None]:
    """Probe ``groups`` while the body runs; print (and write to ``json_file``) a report per group at the end."""
    probers = [_Prober(state, rp) for rp in groups]
    for p in probers:
        p.start()
    try:
        yield
    finally:
        reports = [p.finish() for p in probers]
        for r in reports:
            log(r.line())
        if json_file is not None and reports:
            json_file.write_text(json.dumps({"probes": [asdict(r) for r in reports]}, indent=2) + "\n")


@contextlib.contextmanager
def probing_state_dir(state_dir: Path, names: list[str], log: Log, json_file: Path | None = None) -> Iterator[None]:
    """:func:`probing` of the groups ``names`` running from ``state_dir`` (``failover --probe``)."""
    if not names:
        yield
        return
    state = st.load(state_dir.resolve())
    groups = resolve(state, names)
    assert state is not None  # resolve() refused an empty deployment
    with probing(state, groups, log, json_file):
        yield
