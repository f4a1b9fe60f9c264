"""``--failover``: rehearse a failover of one shard while a probe keeps writing and reading.

The trigger is ElastiCache's ``TestFailover`` for a deployed replication group
(https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/AutoFailover.html#auto-failover-test, API
https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_TestFailover.html), or the local emulator's
failover drill (``elasticache_local.failover.drill``) for an emulated group. Either way the same probe measures
what an application sees: the error window (first to last failed operation), the time to recover (trigger to the
first success after the last error) and acknowledged writes lost (a write is acknowledged when ``SET`` returned
OK and ``WAIT 1`` confirmed a replica had it; every acknowledged key is read back afterwards).

Serverless caches and Memcached are refused (neither has a failover to test), and so is any run without the
explicit confirmation, because a failover disrupts production traffic.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis

from elasticache_connect import ClientOptions, Target, redis_client
from elasticache_connect.outputs import ClientFactory, client_error, default_factory

from .errors import DiscoveryError, UsageError

WAIT_TIMEOUT_MS = 200
PROBE_INTERVAL = 0.01
SETTLE_SECONDS = 1.0
CONFIRM_FLAG = "--confirm-failover"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


@dataclass
class ProbeResult:
    """What the probe saw; times are seconds on the monotonic clock."""

    started: float
    trigger_at: float | None = None
    writes: int = 0
    acknowledged: int = 0
    lost: int = 0
    errors: int = 0
    first_error: float | None = None
    last_error: float | None = None
    recovered: float | None = None
    ended: float = 0.0
    error_kinds: dict[str, int] = field(default_factory=dict)

    @property
    def error_window(self) -> float:
        """Seconds from the first to the last failed operation (0 when none failed)."""
        if self.first_error is None or self.last_error is None:
            return 0.0
        return self.last_error - self.first_error

    @property
    def time_to_recover(self) -> float | None:
        """Seconds from the trigger to the first success after the last error (``None``: never recovered)."""
        if self.trigger_at is None or self.recovered is None:
            return None
        return max(0.0, self.recovered - self.trigger_at)

    @property
    def ok(self) -> bool:
        """Recovered and no acknowledged write lost."""
        return self.recovered is not None and self.lost == 0

    def lines(self) -> list[str]:
        """The figures, one per line."""
        recover = f"{self.time_to_recover:.2f}s" if self.time_to_recover is not None else "not recovered"
        kinds = ", ".join(f"{k} x{n}" for k, n in sorted(self.error_kinds.items())) or "none"
        return [
            f"probe: {self.writes} writes, {self.acknowledged} acknowledged (SET + WAIT 1), "
            f"{self.errors} errors ({kinds})",
            f"error window: {self.error_window:.2f}s; time to recover: {recover}",
            f"acknowledged writes lost: {self.lost}",
        ]

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe figures."""
        return {
            "writes": self.writes,
            "acknowledged": self.acknowledged,
            "lost": self.lost,
            "errors": self.errors,
            "error_window_seconds": round(self.error_window, 4),
            "time_to_recover_seconds": None if self.time_to_recover is None else round(self.time_to_recover, 4),
            "error_kinds": dict(self.error_kinds),
            "ok": self.ok,
        }


def _tag_in_slots(client: Any, ranges: list[tuple[int, int]], run_id: str) -> str:
    for i in range(100_000):
        tag = f"probe:{run_id}:{i}"
        slot = int(client.keyslot(tag))
        if any(a <= slot <= b for a, b in ranges):
            return tag
    raise UsageError("no hash tag found for the shard's slots")  # pragma: no cover - 16384 slots, 100k tags


def shard_slots(client: Any, shard: int) -> list[tuple[int, int]]:
    """Slot ranges of the ``shard``-th shard (1-based, in slot order, as ElastiCache numbers node groups)."""
    # RedisCluster parses CLUSTER SLOTS into {(start, end): {"primary": (host, port), "replicas": [...]}}.
    rows = client.execute_command("CLUSTER SLOTS")
    by_primary: dict[str, list[tuple[int, int]]] = {}
    for (start, end), row in dict(rows).items():
        name = f"{row['primary'][0]}:{row['primary'][1]}"
        by_primary.setdefault(name, []).append((int(start), int(end)))
    shards = sorted(by_primary.values(), key=lambda ranges: min(a for a, _ in ranges))
    if not 1 <= shard <= len(shards):
        raise UsageError(f"--failover-shard {shard}: the group has shards 1..{len(shards)}")
    return shards[shard - 1]


class Probe:
    """A thread that writes ``SET key i`` + ``WAIT 1`` and reads each key back, recording every failure."""

    def __init__(self, target: Target, *, cluster: bool, shard: int = 1, run_id: str = "", replicas: bool = True):
        # Short timeouts, one retry: the probe must see the failover, not hide it behind the production retries.
        self.options = ClientOptions(retries=1, socket_timeout=0.5, connect_timeout=0.5, backoff_cap=0.1)
        self.target = target
        self.cluster = cluster
        self.client = redis_client(target, self.options, cluster=cluster)
        tag = f"probe:{run_id or int(time.time() * 1000)}"
        if cluster:
            tag = _tag_in_slots(self.client, shard_slots(self.client, shard), run_id or tag)
        self.prefix = f"{{{tag}}}:w:"
        self.wait_replicas = replicas
        self.result = ProbeResult(started=time.monotonic())
        self._acked: list[int] = []
        self._successes: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="failover-probe", daemon=True)

    def key(self, i: int) -> str:
        """The probe's i-th key (all share one hash tag: one shard)."""
        return f"{self.prefix}{i}"

    def start(self) -> None:
        """Start writing."""
        self._thread.start()

    def _fail(self, exc: BaseException) -> None:
        now = time.monotonic()
        r = self.result
        r.errors += 1
        r.error_kinds[type(exc).__name__] = r.error_kinds.get(type(exc).__name__, 0) + 1
        r.first_error = r.first_error if r.first_error is not None else now
        r.last_error = now

    def _run(self) -> None:
        i = 0
        while not self._stop.is_set():
            i += 1
            key = self.key(i)
            self.result.writes = i
            try:
                self.client.set(key, str(i))
                acked = True
                if self.wait_replicas:
                    node = {"target_nodes": self.client.get_node_from_key(key)} if self.cluster else {}
                    acked = int(self.client.execute_command("WAIT", 1, WAIT_TIMEOUT_MS, **node)) >= 1
                if acked:
                    self._acked.append(i)
                value = self.client.get(key)
                if value != str(i):
                    raise redis.DataError(f"read back {value!r} for {key}")
                self._successes.append(time.monotonic())
            except redis.RedisError as exc:
                self._fail(exc)
            self._stop.wait(PROBE_INTERVAL)

    def mark_trigger(self) -> None:
        """Record the moment the failover was requested."""
        self.result.trigger_at = time.monotonic()

    def healthy_since(self, seconds: float) -> bool:
        """True when the probe has succeeded continuously for ``seconds`` after the trigger."""
        r = self.result
        if r.trigger_at is None or not self._successes:
            return False
        since = max(r.trigger_at, r.last_error or r.trigger_at)
        after = [t for t in self._successes if t > since]
        return bool(after) and time.monotonic() - after[0] >= seconds

    def stop(self) -> ProbeResult:
        """Stop writing, read every acknowledged key back, delete every key written; return the figures."""
        self._stop.set()
        self._thread.join(timeout=10)
        r = self.result
        r.ended = time.monotonic()
        r.acknowledged = len(self._acked)
        last = r.last_error if r.last_error is not None else r.trigger_at
        if last is not None:
            r.recovered = next((t for t in self._successes if t > last), None)
        checker = redis_client(self.target, ClientOptions(), cluster=self.cluster)
        try:
            for start in range(0, len(self._acked), 500):
                batch = self._acked[start:start + 500]
                values = checker.mget([self.key(i) for i in batch])
                r.lost += sum(1 for i, v in zip(batch, values, strict=True) if v != str(i))
            for start in range(1, r.writes + 1, 500):
                checker.delete(*[self.key(i) for i in range(start, min(r.writes, start + 499) + 1)])
        finally:
            checker.close()
            self.client.close()
        return r


Trigger = Callable[[Callable[[str], None]], None]


def aws_trigger(target: Target, shard: int, *, factory: ClientFactory | None = None, timeout: float = 900.0) -> Trigger:
    """``TestFailover`` for node group ``000<shard>`` of the target's replication group, then wait for available."""
    if target.host in LOOPBACK_HOSTS:
        raise UsageError(
            f"--failover: {target.host} is not a deployed ElastiCache endpoint; for the local emulator pass "
            "--local-state DIR (the emulator's state directory)"
        )
    if not target.region:
        raise UsageError("--failover needs the group's region: pass --region")
    node_group = f"{shard:04d}"

    def trigger(log: Callable[[str], None]) -> None:
        client = (factory or default_factory)("elasticache", target.region)
        try:
            client.test_failover(ReplicationGroupId=target.resource_id, NodeGroupId=node_group)
        except Exception as exc:
            raise client_error(exc, "elasticache:TestFailover", f"replication group {target.resource_id}") from None
        log(f"TestFailover requested for {target.resource_id} node group {node_group}")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                group = client.describe_replication_groups(ReplicationGroupId=target.resource_id)[
                    "ReplicationGroups"
                ][0]
            except Exception as exc:
                raise client_error(
                    exc, "elasticache:DescribeReplicationGroups", f"replication group {target.resource_id}"
                ) from None
            if group.get("Status") == "available":
                log(f"{target.resource_id} is available again")
                return
            time.sleep(5)
        raise DiscoveryError(f"{target.resource_id} was not available again within {timeout:.0f}s after TestFailover")

    return trigger


def local_trigger(target: Target, shard: int, state_dir: Path) -> Trigger:
    """The emulator's failover drill (kills the shard's primary) on the target's group."""

    def trigger(log: Callable[[str], None]) -> None:
        from elasticache_local import failover

        failover.drill(state_dir, str(target.resource_id), shard=shard, log=log)

    return trigger


def check_failover_allowed(target: Target, confirmed: bool) -> None:
    """Refuse serverless, Memcached and unconfirmed runs with a message that says why."""
    if not target.is_redis:
        raise UsageError("--failover: Memcached has no replicas and no failover; allowed: replication groups")
    if target.resource_type == "ServerlessCache":
        raise UsageError(
            "--failover: a serverless cache has no TestFailover (it fails over on its own); "
            "allowed: replication groups"
        )
    if target.resource_type not in (None, "ReplicationGroup") or not target.resource_id:
        raise UsageError("--failover needs a replication group from --outputs or --stack (its ResourceId)")
    if not confirmed:
        raise UsageError(
            f"--failover replaces a primary and disrupts clients of {target.resource_id}; "
            f"add {CONFIRM_FLAG} to run it"
        )


def run_failover(
    target: Target,
    trigger: Trigger,
    *,
    cluster: bool,
    shard: int = 1,
    warmup: float = 1.0,
    timeout: float = 120.0,
    log: Callable[[str], None] = print,
) -> ProbeResult:
    """Probe for ``warmup`` s, trigger, keep probing until healthy for 1 s (or ``timeout``), return the figures."""
    probe = Probe(target, cluster=cluster, shard=shard)
    probe.start()
    try:
        time.sleep(warmup)
        probe.mark_trigger()
        trigger(log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not probe.healthy_since(SETTLE_SECONDS):
            time.sleep(0.05)
    finally:
        result = probe.stop()
    return result
