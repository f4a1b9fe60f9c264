"""The sizing model.

1. data = items x item size (decimal units, as the guide writes them: 1 KB = 1,000 B, 1 GB = 10^9 B);
2. required memory = data x overhead factor x (1 + growth headroom);
3. usable memory per node = the node type's memory x (1 - reserved-memory-percent / 100) (ElastiCache reserves
   25 % by default for replication buffers, snapshots and fragmentation);
4. per candidate node type: shards = max(ceil(required / usable), ceil(target ops/s / ops per shard));
5. the recommendation is the *smallest* candidate node type that holds the data in at most ``max_shards`` shards
   (or in the shards throughput needs, when more): within a family memory costs the same per GiB, so smaller
   nodes scale in finer steps and resync faster, and the cap keeps the cluster simple. When none does, the
   largest candidate with however many shards it needs.

Nodes = shards x (1 + replicas); monthly node-hours = nodes x 730 h.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from elasticache_constructs import MAX_REPLICAS, NodeType

#: Hours in a billing month, as AWS pricing pages count them.
HOURS_PER_MONTH = 730.0
#: Most shards (node groups) of one cluster-mode replication group (Valkey, Redis OSS 5.0.6+).
MAX_SHARDS_LIMIT = 500
#: Most nodes of one cluster-mode replication group.
MAX_NODES = 500
GIB = 2**30
_EPSILON = 1e-9

_SIZE_UNITS = {
    "": 1,
    "b": 1,
    "kb": 10**3,
    "mb": 10**6,
    "gb": 10**9,
    "tb": 10**12,
    "kib": 2**10,
    "mib": 2**20,
    "gib": 2**30,
    "tib": 2**40,
}
_COUNT_UNITS = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9, "bn": 10**9}
_NUMBER_RE = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)\s*([a-z]*)\s*$", re.IGNORECASE)


class SizingError(ValueError):
    """An input the model cannot use; the message names the option and what is allowed."""


def _fail(option: str, value: Any, allowed: str) -> SizingError:
    return SizingError(f"{option}: got {value!r}; {allowed}")


def parse_size(text: str | float, option: str = "--item-size") -> float:
    """Bytes from ``28``, ``28B``, ``1KB`` (1,000 B), ``1KiB`` (1,024 B), ``1.5MB``..."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        value, unit = float(text), ""
    else:
        m = _NUMBER_RE.match(str(text))
        if not m or m.group(2).lower() not in _SIZE_UNITS:
            raise _fail(option, text, "a size such as 28, 28B, 1KB, 1KiB, 1.5MB (KB/MB/GB decimal, KiB/MiB/GiB binary)")
        value, unit = float(m.group(1)), m.group(2).lower()
    size = value * _SIZE_UNITS[unit]
    if size <= 0:
        raise _fail(option, text, "must be greater than 0")
    return size


def parse_count(text: str | int, option: str = "--items") -> int:
    """A count from ``50000000``, ``100K``, ``1M``, ``1e6`` or a product ``1Mx50`` / ``1M*50``."""
    if isinstance(text, int) and not isinstance(text, bool):
        factors = [str(text)]
    else:
        factors = re.split(r"\s*[x*\u00d7]\s*", str(text).strip(), flags=re.IGNORECASE)
    total = 1.0
    for factor in factors:
        m = _NUMBER_RE.match(factor)
        if not m or m.group(2).lower() not in _COUNT_UNITS:
            raise _fail(option, text, "a count such as 50000000, 100K, 1M, 1e6 or a product like 1Mx50")
        total *= float(m.group(1)) * _COUNT_UNITS[m.group(2).lower()]
    if total < 1 or abs(total - round(total)) > _EPSILON * max(1.0, total):
        raise _fail(option, text, "must be a whole number of at least 1")
    return round(total)


def known_families() -> list[str]:
    """Node families in the ``NodeType`` catalog."""
    return sorted({n.family for n in NodeType.catalog()})


@dataclass(frozen=True)
class SizingInputs:
    """What the model needs. Defaults are the production defaults; the guide's own arithmetic is
    ``reserved_memory_percent=0, headroom=0, replicas=0`` with its family (``r5``/``m5``)."""

    #: Number of items (keys, or list/set members) cached.
    items: int
    #: Average size of one item, bytes.
    item_bytes: float
    #: Read replicas per shard, 0-5.
    replicas: int = 1
    #: Growth headroom as a fraction (0.25 = 25 % more than today's data).
    headroom: float = 0.25
    #: Target operations per second (0: memory decides alone).
    target_ops: float = 0.0
    #: Memory per byte of data (per-key and encoding overhead); 1.0 when ``item_bytes`` already includes it.
    overhead_factor: float = 1.0
    #: Share of each node's memory kept out of the dataset (ElastiCache ``reserved-memory-percent``), 0-99.
    reserved_memory_percent: float = 25.0
    #: Node families considered (``["all"]`` for the whole catalog).
    families: tuple[str, ...] = ("r7g",)
    #: Prefer node types that fit in at most this many shards.
    max_shards: int = 3
    #: Operations per second one shard's primary serves (assumption for the throughput check).
    ops_per_shard: float = 100_000.0
    #: Only node types that support Global Datastore.
    global_datastore: bool = False
    hours_per_month: float = HOURS_PER_MONTH

    def validate(self) -> None:
        """Reject inputs the model cannot use, naming the option."""
        if isinstance(self.items, bool) or not isinstance(self.items, int) or self.items < 1:
            raise _fail("--items", self.items, "must be a whole number of at least 1")
        if not self.item_bytes > 0:
            raise _fail("--item-size", self.item_bytes, "must be greater than 0")
        if (
            isinstance(self.replicas, bool)
            or not isinstance(self.replicas, int)
            or not 0 <= self.replicas <= MAX_REPLICAS
        ):
            raise _fail("--replicas", self.replicas, f"must be a whole number from 0 to {MAX_REPLICAS}")
        if not 0 <= self.headroom <= 10:
            raise _fail("--headroom", self.headroom, "must be a fraction from 0 to 10 (0.25 = 25 %)")
        if not self.target_ops >= 0:
            raise _fail("--ops", self.target_ops, "must be 0 or more operations per second")
        if not self.overhead_factor >= 1:
            raise _fail("--overhead", self.overhead_factor, "must be 1.0 or more (memory per byte of data)")
        if not 0 <= self.reserved_memory_percent < 100:
            raise _fail("--reserved-memory-percent", self.reserved_memory_percent, "must be from 0 to 99")
        if (
            isinstance(self.max_shards, bool)
            or not isinstance(self.max_shards, int)
            or not (1 <= self.max_shards <= MAX_SHARDS_LIMIT)
        ):
            raise _fail("--max-shards", self.max_shards, f"must be a whole number from 1 to {MAX_SHARDS_LIMIT}")
        if not self.ops_per_shard > 0:
            raise _fail("--ops-per-shard", self.ops_per_shard, "must be greater than 0")
        if not self.hours_per_month > 0:
            raise _fail("--hours-per-month", self.hours_per_month, "must be greater than 0")
        families = known_families()
        unknown = [f for f in self.families if f != "all" and f not in families]
        if unknown or not self.families:
            raise _fail("--family", ",".join(unknown or self.families), "allowed: all, " + ", ".join(families))


@dataclass(frozen=True)
class Candidate:
    """One node type and the shards it needs."""

    node_type: str
    memory_gib: float
    usable_gib: float
    shards_for_memory: int
    shards_for_throughput: int

    @property
    def shards(self) -> int:
        """Shards this node type needs."""
        return max(self.shards_for_memory, self.shards_for_throughput)


@dataclass(frozen=True)
class Recommendation:
    """The chosen topology and the figures behind it."""

    inputs: SizingInputs
    node_type: str
    memory_gib: float
    usable_gib_per_node: float
    shards: int
    shards_for_memory: int
    shards_for_throughput: int
    replicas: int
    nodes: int
    node_hours_per_month: float
    data_bytes: float
    required_gib: float
    #: The preference ``max_shards`` could not be met.
    exceeds_max_shards: bool
    alternatives: list[Candidate] = field(default_factory=list)

    @property
    def data_gb(self) -> float:
        """Data, decimal GB (the guide's unit)."""
        return self.data_bytes / 10**9

    @property
    def data_gib(self) -> float:
        """Data, GiB."""
        return self.data_bytes / GIB

    @property
    def capacity_gib(self) -> float:
        """Usable memory of all shards."""
        return self.usable_gib_per_node * self.shards

    @property
    def fill(self) -> float:
        """Required memory / usable memory (0-1)."""
        return self.required_gib / self.capacity_gib

    @property
    def cluster_mode(self) -> bool:
        """More than one shard needs cluster mode (``ShardedReplicationGroup``)."""
        return self.shards > 1

    @property
    def construct(self) -> str:
        """The construct to build it with."""
        return "ShardedReplicationGroup" if self.cluster_mode else "ReplicationGroup"

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form (``--json``)."""
        inputs = asdict(self.inputs)
        inputs["families"] = list(self.inputs.families)
        return {
            "node_type": self.node_type,
            "shards": self.shards,
            "replicas_per_shard": self.replicas,
            "nodes": self.nodes,
            "node_hours_per_month": self.node_hours_per_month,
            "cluster_mode": self.cluster_mode,
            "construct": self.construct,
            "memory_gib_per_node": self.memory_gib,
            "usable_gib_per_node": round(self.usable_gib_per_node, 4),
            "capacity_gib": round(self.capacity_gib, 4),
            "data_bytes": self.data_bytes,
            "data_gb": round(self.data_gb, 4),
            "data_gib": round(self.data_gib, 4),
            "required_gib": round(self.required_gib, 4),
            "fill": round(self.fill, 4),
            "shards_for_memory": self.shards_for_memory,
            "shards_for_throughput": self.shards_for_throughput,
            "exceeds_max_shards": self.exceeds_max_shards,
            "inputs": inputs,
            "alternatives": [
                {"node_type": c.node_type, "shards": c.shards, "usable_gib_per_node": round(c.usable_gib, 4)}
                for c in self.alternatives
            ],
        }


def _candidates(inputs: SizingInputs) -> list[NodeType]:
    everything = "all" in inputs.families
    found = [
        n
        for n in NodeType.catalog()
        if (everything or n.family in inputs.families)
        and (not inputs.global_datastore or n.global_datastore)
        and n.memory_gib is not None
    ]
    if not found:
        raise _fail(
            "--family",
            ",".join(inputs.families),
            "no cataloged node type of these families supports Global Datastore",
        )
    return found


def recommend(inputs: SizingInputs) -> Recommendation:
    """The smallest node type of the chosen families that fits in ``max_shards`` shards (see module docs)."""
    inputs.validate()
    data_bytes = inputs.items * inputs.item_bytes
    required_gib = data_bytes * inputs.overhead_factor * (1 + inputs.headroom) / GIB
    usable_fraction = 1 - inputs.reserved_memory_percent / 100
    throughput_shards = max(1, math.ceil(inputs.target_ops / inputs.ops_per_shard - _EPSILON))
    candidates = []
    for node in _candidates(inputs):
        assert node.memory_gib is not None
        usable = node.memory_gib * usable_fraction
        memory_shards = max(1, math.ceil(required_gib / usable - _EPSILON))
        candidates.append(Candidate(node.name, node.memory_gib, usable, memory_shards, throughput_shards))
    # Throughput may need more shards than preferred; then memory only decides the node type within that count.
    limit = max(inputs.max_shards, throughput_shards)
    fitting = [c for c in candidates if c.shards <= limit]
    choice = fitting[0] if fitting else max(candidates, key=lambda c: (c.memory_gib, c.node_type))
    nodes = choice.shards * (inputs.replicas + 1)
    if nodes > MAX_NODES:
        raise _fail(
            "--items",
            inputs.items,
            f"needs {choice.shards} shards x {inputs.replicas + 1} nodes = {nodes} nodes of {choice.node_type}; "
            f"one cluster holds at most {MAX_NODES}: split the data or allow larger families",
        )
    return Recommendation(
        inputs=inputs,
        node_type=choice.node_type,
        memory_gib=choice.memory_gib,
        usable_gib_per_node=choice.usable_gib,
        shards=choice.shards,
        shards_for_memory=choice.shards_for_memory,
        shards_for_throughput=choice.shards_for_throughput,
        replicas=inputs.replicas,
        nodes=nodes,
        node_hours_per_month=nodes * inputs.hours_per_month,
        data_bytes=data_bytes,
        required_gib=required_gib,
        exceeds_max_shards=choice.shards > inputs.max_shards,
        alternatives=candidates,
    )


def describe(rec: Recommendation) -> str:
    """The human-readable recommendation the command prints."""
    i = rec.inputs
    lines = [
        f"Data:          {i.items:,} items x {i.item_bytes:,.0f} B = {rec.data_gb:,.2f} GB ({rec.data_gib:,.2f} GiB)",
        f"Required:      {rec.required_gib:,.2f} GiB (x{i.overhead_factor:g} memory overhead, "
        f"+{i.headroom * 100:g} % growth headroom)",
        f"Node type:     {rec.node_type} ({rec.memory_gib:g} GiB, {i.reserved_memory_percent:g} % reserved -> "
        f"{rec.usable_gib_per_node:,.2f} GiB usable per node)",
        f"Shards:        {rec.shards} (memory needs {rec.shards_for_memory}, throughput needs "
        f"{rec.shards_for_throughput}) -> {rec.construct}"
        + (" (cluster mode)" if rec.cluster_mode else " (cluster mode disabled)"),
        f"Replicas:      {rec.replicas} per shard",
        f"Nodes:         {rec.nodes} ({rec.shards} x {rec.replicas + 1})",
        f"Capacity:      {rec.capacity_gib:,.2f} GiB usable, {rec.fill * 100:.0f} % full",
        f"Node-hours:    {rec.node_hours_per_month:,.0f} per month ({rec.nodes} nodes x {i.hours_per_month:g} h)",
    ]
    if rec.exceeds_max_shards and rec.shards_for_throughput > i.max_shards:
        lines.append(f"Note:          the target ops/s needs more than --max-shards {i.max_shards} shards")
    elif rec.exceeds_max_shards:
        lines.append(
            f"Note:          no node type of {', '.join(i.families)} fits in {i.max_shards} shards; "
            "this is the largest one (raise --max-shards or widen --family)"
        )
    return "\n".join(lines)
