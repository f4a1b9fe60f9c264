"""What the planner decides per resource (JSON-serializable, stored in the state file)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from .acl import AclUser

TOTAL_SLOTS = 16384
#: ElastiCache's default parameter groups (``default.redis7``...) use ``volatile-lru``.
DEFAULT_EVICTION_POLICY = "volatile-lru"
EVICTION_POLICIES = (
    "volatile-lru", "allkeys-lru", "volatile-lfu", "allkeys-lfu", "volatile-random", "allkeys-random",
    "volatile-ttl", "noeviction",
)


@dataclass
class ShardPlan:
    """One node group: its slot ranges (cluster mode) and replica count."""

    index: int
    replicas: int
    slots: list[tuple[int, int]] = field(default_factory=list)
    node_group_id: str = ""

    @property
    def slots_text(self) -> str:
        """``0-5460`` style rendering."""
        return ",".join(f"{a}-{b}" if a != b else str(a) for a, b in self.slots)


@dataclass
class RedisPlan:
    """A Redis/Valkey resource: replication group, serverless cache or single-node cache cluster."""

    stack: str
    logical_id: str
    resource_type: str  # ReplicationGroup | ServerlessCache | CacheCluster
    group_id: str
    engine: str
    engine_version: str
    cluster_mode: bool
    shards: list[ShardPlan]
    automatic_failover: bool = False
    tls: str = "off"  # off | required | preferred
    auth_token: str | None = None
    #: ElastiCache's AuthTokenUpdateStrategy for a changed token: ROTATE (old and new both work) or SET (new only).
    auth_token_update_strategy: str = "ROTATE"
    users: list[AclUser] | None = None
    parameters: dict[str, str] = field(default_factory=dict)
    #: ``CacheParameterGroupFamily`` of the group's custom parameter group (None: ElastiCache's default one).
    parameter_group_family: str | None = None
    skipped_parameters: dict[str, str] = field(default_factory=dict)
    maxmemory_policy: str = DEFAULT_EVICTION_POLICY
    maxmemory: int = 0
    node_type: str | None = None
    memory_note: str = ""
    global_primary: tuple[str, str] | None = None  # (stack, logical id) of the global datastore's primary group
    global_secondary: bool = False
    has_reader: bool = False
    notes: list[str] = field(default_factory=list)
    #: Parameter -> value accepted by a reconciling ``up`` that ElastiCache applies only at the next reboot.
    pending_reboot: dict[str, str] = field(default_factory=dict)
    #: True when the template gives the slot ranges (NodeGroupConfiguration Slots); else an even split.
    explicit_slots: bool = False

    @property
    def key(self) -> tuple[str, str]:
        """(stack, logical id)."""
        return (self.stack, self.logical_id)

    @property
    def node_count(self) -> int:
        """Server processes (without Sentinels)."""
        return sum(1 + s.replicas for s in self.shards)

    @property
    def uses_sentinel(self) -> bool:
        """Cluster mode disabled, automatic failover, at least one replica, not a global secondary."""
        return (
            not self.cluster_mode and self.automatic_failover and self.shards[0].replicas > 0
            and not self.global_secondary
        )

    def to_json(self) -> dict[str, Any]:
        """Serializable form (passwords included: the state file lives in the private state dir)."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RedisPlan:
        """Inverse of :meth:`to_json`."""
        data = dict(data)
        data["shards"] = [
            ShardPlan(s["index"], s["replicas"], [tuple(r) for r in s["slots"]], s.get("node_group_id", ""))
            for s in data["shards"]
        ]
        if data.get("users") is not None:
            data["users"] = [AclUser(**u) for u in data["users"]]
        if data.get("global_primary") is not None:
            data["global_primary"] = tuple(data["global_primary"])
        return cls(**data)


@dataclass
class MemcachedPlan:
    """A Memcached cache cluster (or serverless Memcached cache)."""

    stack: str
    logical_id: str
    resource_type: str  # CacheCluster | ServerlessCache
    cluster_id: str
    engine_version: str
    nodes: int
    tls: bool
    memory_mb: int
    node_type: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, str]:
        """(stack, logical id)."""
        return (self.stack, self.logical_id)

    def to_json(self) -> dict[str, Any]:
        """Serializable form."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MemcachedPlan:
        """Inverse of :meth:`to_json`."""
        return cls(**data)


@dataclass
class Skipped:
    """A resource that is not emulated, with the reason."""

    stack: str
    logical_id: str
    resource_type: str
    reason: str


@dataclass
class Plan:
    """Everything ``up`` will start, and everything it will not (with reasons)."""

    redis: list[RedisPlan] = field(default_factory=list)
    memcached: list[MemcachedPlan] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    #: Non-cache resource types without a local equivalent -> count, per stack.
    other_resources: dict[str, dict[str, int]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def parse_slots(text: str, where: str) -> list[tuple[int, int]]:
    """``"0-5460"`` / ``"0-100,200-300"`` / ``"7"`` -> ranges; error naming ``where`` otherwise."""
    ranges: list[tuple[int, int]] = []
    for part in str(text).split(","):
        part = part.strip()
        if not part:
            continue
        lo, sep, hi = part.partition("-")
        try:
            a, b = int(lo), int(hi) if sep else int(lo)
        except ValueError:
            raise ValueError(f"{where}: Slots {text!r} must look like '0-5460' (start-end, 0..16383)") from None
        if not 0 <= a <= b < TOTAL_SLOTS:
            raise ValueError(f"{where}: Slots {text!r} must look like '0-5460' (start-end, 0..16383)")
        ranges.append((a, b))
    return ranges


def even_slots(shards: int) -> list[list[tuple[int, int]]]:
    """ElastiCache's (and redis-cli's) even split: 3 shards -> 0-5460, 5461-10922, 10923-16383."""
    bounds = [round(i * TOTAL_SLOTS / shards) for i in range(shards + 1)]
    return [[(bounds[i], bounds[i + 1] - 1)] for i in range(shards)]


def check_coverage(shards: list[ShardPlan], where: str) -> None:
    """Every slot exactly once; raises ``ValueError`` naming missing/overlapping slots."""
    owner = [-1] * TOTAL_SLOTS
    for shard in shards:
        for a, b in shard.slots:
            for slot in range(a, b + 1):
                if owner[slot] != -1:
                    raise ValueError(f"{where}: slot {slot} is assigned to node groups {owner[slot]} and {shard.index}")
                owner[slot] = shard.index
    missing = [i for i, o in enumerate(owner) if o == -1]
    if missing:
        raise ValueError(f"{where}: {len(missing)} of {TOTAL_SLOTS} slots are not assigned (first: {missing[0]})")
