"""Per-run and per-suite state: the key namespace, the cleanup registry, timing and checks."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from .report import CheckResult, SuiteResult

# Methods of redis-py / pymemcache clients that are not a server command (not timed).
_NOT_TIMED = frozenset(
    {
        "pubsub",
        "pipeline",
        "close",
        "get_primaries",
        "get_replicas",
        "get_nodes",
        "get_node",
        "get_node_from_key",
        "get_redis_connection",
        "get_default_node",
        "keyslot",
        "get_encoder",
        "get_connection_kwargs",
        "register_script",
        "lock",
    }
)

# redis-py method names that differ from the Redis command they send.
_COMMAND_NAMES = {"delete": "DEL", "xgroup_create": "XGROUP CREATE", "xgroup_destroy": "XGROUP DESTROY"}

KEY_PREFIX_RE = re.compile(r"^[^\s{}*?\[\]\\]{0,64}$")


@dataclass
class RunState:
    """What every suite of a run shares."""

    run_id: str
    key_prefix: str
    cluster: bool
    hash_tags: bool = True
    target: Any = None  # the elasticache_connect.Target (suites that open a second client need it)
    operations: dict[str, list[float]] = field(default_factory=dict)
    created: dict[str, None] = field(default_factory=dict)  # insertion-ordered set of keys to delete
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def hash_tag(self) -> str:
        """``{smoke:<runid>}``: keeps every multi-key operation of the run in one cluster slot.

        Memcached has no slots, so its keys use plain ``smoke:<runid>``.
        """
        return f"{{smoke:{self.run_id}}}" if self.hash_tags else f"smoke:{self.run_id}"

    @property
    def namespace(self) -> str:
        """The prefix of every key of this run (``<key_prefix>{smoke:<runid>}``)."""
        return f"{self.key_prefix}{self.hash_tag}"

    def register(self, key: str) -> str:
        """Remember ``key`` for deletion at the end of the run; returns it."""
        with self.lock:
            self.created[key] = None
        return key

    def record(self, op: str, seconds: float) -> None:
        """Add one latency sample for operation ``op``."""
        with self.lock:
            self.operations.setdefault(op, []).append(seconds)


class Timed:
    """Wraps a client so every command method call is timed into the suite and the run."""

    def __init__(self, client: Any, sink: Callable[[str, float], None]) -> None:
        self._client = client
        self._sink = sink

    @property
    def raw(self) -> Any:
        """The wrapped client (untimed)."""
        return self._client

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._client, name)
        if name.startswith("_") or name in _NOT_TIMED or not callable(attr):
            return attr
        sink = self._sink

        def timed(*args: Any, **kwargs: Any) -> Any:
            is_raw = name == "execute_command" and args
            op = str(args[0]).upper() if is_raw else _COMMAND_NAMES.get(name, name.upper())
            start = time.perf_counter()
            try:
                return attr(*args, **kwargs)
            finally:
                sink(op, time.perf_counter() - start)

        return timed


class SuiteContext:
    """Given to each suite function: namespaced keys, a timed client, checks and output lines."""

    def __init__(
        self, run: RunState, result: SuiteResult, client: Any, progress: Callable[[CheckResult], None]
    ) -> None:
        self.run = run
        self.result = result
        self.client = client
        self._progress = progress
        self.r = Timed(client, self._record)

    def _record(self, op: str, seconds: float) -> None:
        self.result.latencies.append(seconds)
        self.run.record(op, seconds)

    @contextmanager
    def timed(self, op: str) -> Iterator[None]:
        """Time a block as operation ``op`` (for calls that do not go through :attr:`r`)."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self._record(op, time.perf_counter() - start)

    def timed_client(self, client: Any) -> Timed:
        """Wrap another client (e.g. a second connection) so its commands are timed too."""
        return Timed(client, self._record)

    def key(self, name: str) -> str:
        """``<namespace>:<suite>:<name>``, registered for cleanup."""
        return self.run.register(f"{self.run.namespace}:{self.result.name}:{name}")

    def spread_key(self, index: int) -> str:
        """A key with its own hash tag (``<prefix>{smoke:<runid>:spread:<i>}``) so keys land in many slots."""
        return self.run.register(f"{self.run.key_prefix}{{smoke:{self.run.run_id}:spread:{index}}}")

    def channel(self, name: str) -> str:
        """A pub/sub channel name under the run namespace (channels are not keys; nothing to clean up)."""
        return f"{self.run.namespace}:{self.result.name}:{name}"

    def check(self, name: str, actual: Any, expected: Any, detail: str = "") -> bool:
        """Record ``actual == expected``."""
        return self._add(CheckResult(name, actual == expected, expected, actual, detail))

    def check_in(self, name: str, actual: Any, allowed: Any, detail: str = "") -> bool:
        """Record ``actual in allowed``."""
        return self._add(CheckResult(name, actual in allowed, f"one of {sorted(allowed, key=str)!r}", actual, detail))

    def check_true(self, name: str, ok: bool, actual: Any, expected: str, detail: str = "") -> bool:
        """Record a condition that is not a plain equality; ``expected`` describes it."""
        return self._add(CheckResult(name, bool(ok), expected, actual, detail))

    def _add(self, check: CheckResult) -> bool:
        self.result.checks.append(check)
        self._progress(check)
        return check.passed

    def out(self, line: str) -> None:
        """Add a line to the suite's printed output."""
        self.result.output.append(line)
