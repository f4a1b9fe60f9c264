"""Catalog of current ElastiCache node types: memory, vCPUs, network, data tiering, Global Datastore."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from ._validation import fail, is_unresolved

if TYPE_CHECKING:  # pragma: no cover
    from .engine import EngineVersion

_NAME_RE = re.compile(r"^cache\.[a-z0-9]+\.[a-z0-9]+$")


@dataclass(frozen=True)
class NodeType:
    """An ElastiCache node type. Use the constants (``NodeType.R7G_LARGE``) or ``NodeType.of("cache.r7g.large")``.

    Unknown names are an error, so a typo fails at synth, not 15 minutes into a deployment. For a type newer than
    this catalog, pass its specification: ``NodeType.of("cache.r8g.large", memory_gib=13.07, vcpus=2)``.
    """

    #: The node type name, e.g. ``cache.r7g.large``.
    name: str
    #: Memory available to the engine, GiB (``None`` when unknown, e.g. a token).
    memory_gib: float | None = None
    vcpus: int | None = None
    #: Network bandwidth, Gbit/s (baseline, or the burst ceiling when ``network_burst``).
    network_gbps: float | None = None
    #: True when ``network_gbps`` is an "up to" burst figure.
    network_burst: bool = False
    #: Supports data tiering (memory + SSD; the r6gd family).
    data_tiering: bool = False
    #: Supports Global Datastore membership: families M5, M6g, M7g, R5, R6g, R6gd, R7g and C7gn, size large and up.
    #: Source: https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/Redis-Global-Datastores-Getting-Started.html
    global_datastore: bool = False
    #: SSD capacity for data tiering, GiB.
    ssd_gib: float | None = None

    _CATALOG: ClassVar[dict[str, NodeType]]
    T3_MICRO: ClassVar[NodeType]
    T3_SMALL: ClassVar[NodeType]
    T3_MEDIUM: ClassVar[NodeType]
    T4G_MICRO: ClassVar[NodeType]
    T4G_SMALL: ClassVar[NodeType]
    T4G_MEDIUM: ClassVar[NodeType]
    M5_LARGE: ClassVar[NodeType]
    M5_XLARGE: ClassVar[NodeType]
    M5_2XLARGE: ClassVar[NodeType]
    M5_4XLARGE: ClassVar[NodeType]
    M5_12XLARGE: ClassVar[NodeType]
    M5_24XLARGE: ClassVar[NodeType]
    M6G_LARGE: ClassVar[NodeType]
    M6G_XLARGE: ClassVar[NodeType]
    M6G_2XLARGE: ClassVar[NodeType]
    M6G_4XLARGE: ClassVar[NodeType]
    M6G_8XLARGE: ClassVar[NodeType]
    M6G_12XLARGE: ClassVar[NodeType]
    M6G_16XLARGE: ClassVar[NodeType]
    M7G_LARGE: ClassVar[NodeType]
    M7G_XLARGE: ClassVar[NodeType]
    M7G_2XLARGE: ClassVar[NodeType]
    M7G_4XLARGE: ClassVar[NodeType]
    M7G_8XLARGE: ClassVar[NodeType]
    M7G_12XLARGE: ClassVar[NodeType]
    M7G_16XLARGE: ClassVar[NodeType]
    R5_LARGE: ClassVar[NodeType]
    R5_XLARGE: ClassVar[NodeType]
    R5_2XLARGE: ClassVar[NodeType]
    R5_4XLARGE: ClassVar[NodeType]
    R5_12XLARGE: ClassVar[NodeType]
    R5_24XLARGE: ClassVar[NodeType]
    R6G_LARGE: ClassVar[NodeType]
    R6G_XLARGE: ClassVar[NodeType]
    R6G_2XLARGE: ClassVar[NodeType]
    R6G_4XLARGE: ClassVar[NodeType]
    R6G_8XLARGE: ClassVar[NodeType]
    R6G_12XLARGE: ClassVar[NodeType]
    R6G_16XLARGE: ClassVar[NodeType]
    R7G_LARGE: ClassVar[NodeType]
    R7G_XLARGE: ClassVar[NodeType]
    R7G_2XLARGE: ClassVar[NodeType]
    R7G_4XLARGE: ClassVar[NodeType]
    R7G_8XLARGE: ClassVar[NodeType]
    R7G_12XLARGE: ClassVar[NodeType]
    R7G_16XLARGE: ClassVar[NodeType]
    R6GD_XLARGE: ClassVar[NodeType]
    R6GD_2XLARGE: ClassVar[NodeType]
    R6GD_4XLARGE: ClassVar[NodeType]
    R6GD_8XLARGE: ClassVar[NodeType]
    R6GD_12XLARGE: ClassVar[NodeType]
    R6GD_16XLARGE: ClassVar[NodeType]
    C7GN_LARGE: ClassVar[NodeType]
    C7GN_XLARGE: ClassVar[NodeType]
    C7GN_2XLARGE: ClassVar[NodeType]
    C7GN_4XLARGE: ClassVar[NodeType]
    C7GN_8XLARGE: ClassVar[NodeType]
    C7GN_12XLARGE: ClassVar[NodeType]
    C7GN_16XLARGE: ClassVar[NodeType]
    @property
    def family(self) -> str:
        """Instance family, e.g. ``r7g``."""
        return self.name.split(".")[1] if self.name.count(".") == 2 else ""

    @property
    def is_known(self) -> bool:
        """True when the specification is known (catalog entry or given to ``of``)."""
        return self.memory_gib is not None

    @property
    def network(self) -> str:
        """Network performance as AWS prints it, e.g. ``Up to 12.5 Gigabit``."""
        if self.network_gbps is None:
            return "unknown"
        figure = f"{self.network_gbps:g} Gigabit"
        return f"Up to {figure}" if self.network_burst else figure

    @classmethod
    def catalog(cls) -> list[NodeType]:
        """Every cataloged node type, smallest memory first."""
        return sorted(cls._CATALOG.values(), key=lambda n: (n.memory_gib or 0.0, n.name))

    @classmethod
    def of(
        cls,
        name: str,
        *,
        memory_gib: float | None = None,
        vcpus: int | None = None,
        network_gbps: float | None = None,
        data_tiering: bool = False,
        global_datastore: bool = False,
    ) -> NodeType:
        """The node type called ``name``.

        Cataloged names return the catalog entry. A name outside the catalog needs ``memory_gib`` (its
        specification), otherwise it is an error listing the closest known names. A token name is accepted as
        is, with an unknown specification (feature checks are then left to CloudFormation).
        """
        if is_unresolved(name):
            return cls(name)
        known = cls._CATALOG.get(name) or _OLDER_TYPES.get(name)
        if known is not None:
            return known
        if not isinstance(name, str) or not _NAME_RE.match(name):
            raise fail("node_type", name, "must look like 'cache.<family>.<size>', e.g. 'cache.r7g.large'")
        family = name.split(".")[1]
        if family in RETIRED_FAMILIES:
            raise fail(
                "node_type",
                name,
                f"{family} is a previous-generation family ElastiCache no longer creates clusters on; use "
                f"{RETIRED_FAMILIES[family]}",
            )
        if memory_gib is None:
            close = difflib.get_close_matches(name, list(cls._CATALOG), n=3)
            hint = f"did you mean {', '.join(close)}? " if close else ""
            raise fail(
                "node_type",
                name,
                f"unknown ElastiCache node type; {hint}known families: "
                + ", ".join(sorted({n.family for n in cls._CATALOG.values()}))
                + " (for a newer type pass its memory_gib= and vcpus= to NodeType.of)",
            )
        if memory_gib <= 0:
            raise fail("memory_gib", memory_gib, "must be greater than 0")
        return cls(name, float(memory_gib), vcpus, network_gbps, False, data_tiering, global_datastore)

    def __str__(self) -> str:
        return self.name


def _spec(
    name: str,
    memory_gib: float,
    vcpus: int,
    network_gbps: float,
    *,
    burst: bool,
    tiering: bool,
    gds: bool,
    ssd: float | None,
) -> NodeType:
    """A catalog row: burst = "up to" network, tiering = data tiering, gds = Global Datastore, ssd = GiB."""
    return NodeType(name, memory_gib, vcpus, network_gbps, burst, tiering, gds, ssd)


#: Families new clusters cannot use, with the replacement to name: "Previous generation: (not recommended. Existing
#: clusters are still supported but creation of new clusters is not supported for these types.)" (T1, M1, M3, C1,
#: M2, R3: https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_CacheNode.html); T2: "You will no
#: longer be able to create new ElastiCache clusters using T2 instances" (CacheNodes.SupportedTypes).
RETIRED_FAMILIES: dict[str, str] = {
    "t1": "t4g or t3", "t2": "t4g or t3", "m1": "m7g", "m2": "r7g", "m3": "m7g", "c1": "c7gn", "r3": "r7g",
}

# Memory and network figures: "Supported node types" in the ElastiCache user guide (current generation).
NodeType._CATALOG = {n.name: n for n in [
    _spec("cache.t3.micro", 0.5, 2, 5, burst=True, tiering=False, gds=False, ssd=None),
    _spec("cache.t3.small", 1.37, 2, 5, burst=True, tiering=False, gds=False, ssd=None),
    _spec("cache.t3.medium", 3.09, 2, 5, burst=True, tiering=False, gds=False, ssd=None),
    _spec("cache.t4g.micro", 0.5, 2, 5, burst=True, tiering=False, gds=False, ssd=None),
    _spec("cache.t4g.small", 1.37, 2, 5, burst=True, tiering=False, gds=False, ssd=None),
    _spec("cache.t4g.medium", 3.09, 2, 5, burst=True, tiering=False, gds=False, ssd=None),
    _spec("cache.m5.large", 6.38, 2, 10, burst=True, tiering=False, gds=True, ssd=None),
    _spec("cache.m5.xlarge", 12.93, 4, 10, burst=True, tiering=False, gds=True, ssd=None),
    _spec("cache.m5.2xlarge", 26.04, 8, 10, burst=True, tiering=False, gds=True, ssd=None),
    _spec("cache.m5.4xlarge", 52.26, 16, 10, burst=True, tiering=False, gds=True, ssd=None),
    _spec("cache.m5.12xlarge", 157.12, 48, 10, burst=False, tiering=False, gds=True, ssd=None),
    _spec("cache.m5.24xlarge", 314.32, 96, 25, burst=False, tiering=False, gds=True, ssd=None),
    _spec("cache.m6g.large", 6.38, 2, 10, burst=True, tiering=False, gds=True, ssd=None),
    _spec("cache.m6g.xlarge", 12.93, 4, 10, burst=True, tiering=False, gds=True, ssd=None),
    _spec("cache.m6g.2xlarge", 26.04, 8, 10, burst=True, tiering=False, gds=True, ssd=None),
    _spec("cache.m6g.4xlarge", 52.26, 16, 10, burst=True, tiering=False, gds=True, ssd=None),
    _spec("cache.m6g.8xlarge", 103.68, 32, 12, burst=False, tiering=False, gds=True, ssd=None),
    _spec("cache.m6g.12xlarge", 157.12, 48, 20, burst=False, tiering=False, gds=True, ssd=None),
    _spec("cache.m6g.16xlarge", 209.55, 64, 25, burst=False, tiering=False, gds=True, ssd=None),
    _spec("cache.m7g.large", 6.38, 2, 12.5, burst=True, tiering=False, gds=True, ssd=None),
    _spec("cache.m7g.xlarge", 12.93, 4, 12.5, burst=True, tiering=False, gds=True, ssd=None),
    _spec("cache.m7g.2xlarge", 26.04, 8, 15, burst=True, tiering=False, gds=True, ssd=None),
    _spec("cache.m7g.4xlarge", 52.26, 16, 15, burst=True, tiering=False, gds=True, ssd=None),
    _spec("cache.m7g.8xlarge", 103.68, 32, 15, burst=False, tiering=False, gds=True, ssd=None),
    _spec("cache.m7g.12xlarge", 157.12, 48, 22.5, burst=False, tiering=False, gds=True, ssd=None),
    _spec("cache.m7g.16xlarge", 209.55, 64, 30, burst=False, tiering=False, gds=True, ssd=None),
    _spec("cache.r5.large", 13.07, 2, 10, burst=True, tiering=False, gds=True, ssd=None),
    _spec("cache.r5.xlarge", 26.32, 4, 10, burst=True, tiering=False, gds=True, ssd=None),
    _spec("cache.r5.2xlarge", 52.82, 8, 10, burst=True, tiering=False, gds=True, ssd=None),
    _spec("cache.r5.4xlarge", 105.81, 16, 10, burst=True, tiering=False, gds=True, ssd=None),
    _spec("cache.r5.12xlarge", 317.77, 48, 10, burst=False, tiering=False, gds=True, ssd=None),
    _spec("cache.r5.24xlarge", 635.61, 96, 25, burst=False, tiering=False, gds=True, ssd=None),
    _spec("cache.r6g.large", 13.07, 2, 10, burst=True, tiering=False, gds=True, ssd=None),
    _spec("cache.r6g.xlarge", 26.32, 4, 10, burst=True, tiering=False, gds=True, ssd=None),
    _spec("cache.r6g.2xlarge", 52.82, 8, 10, burst=True, tiering=False, gds=True, ssd=None),
    _spec("cache.r6g.4xlarge", 105.81, 16, 10, burst=True, tiering=False, gds=True, ssd=None),
    _spec("cache.r6g.8xlarge", 209.55, 32, 12, burst=False, tiering=False, gds=True, ssd=None),
    _spec("cache.r6g.12xlarge", 317.77, 48, 20, burst=False, tiering=False, gds=True, ssd=None),
    _spec("cache.r6g.16xlarge", 419.09, 64, 25, burst=False, tiering=False, gds=True, ssd=None),
    _spec("cache.r7g.large", 13.07, 2, 12.5, burst=True, tiering=False, gds=True, ssd=None),
    _spec("cache.r7g.xlarge", 26.32, 4, 12.5, burst=True, tiering=False, gds=True, ssd=None),
    _spec("cache.r7g.2xlarge", 52.82, 8, 15, burst=True, tiering=False, gds=True, ssd=None),
    _spec("cache.r7g.4xlarge", 105.81, 16, 15, burst=True, tiering=False, gds=True, ssd=None),
    _spec("cache.r7g.8xlarge", 209.55, 32, 15, burst=False, tiering=False, gds=True, ssd=None),
    _spec("cache.r7g.12xlarge", 317.77, 48, 22.5, burst=False, tiering=False, gds=True, ssd=None),
    _spec("cache.r7g.16xlarge", 419.09, 64, 30, burst=False, tiering=False, gds=True, ssd=None),
    _spec("cache.r6gd.xlarge", 26.32, 4, 10, burst=True, tiering=True, gds=True, ssd=99.33),
    _spec("cache.r6gd.2xlarge", 52.82, 8, 10, burst=True, tiering=True, gds=True, ssd=199.07),
    _spec("cache.r6gd.4xlarge", 105.81, 16, 10, burst=True, tiering=True, gds=True, ssd=398.14),
    _spec("cache.r6gd.8xlarge", 209.55, 32, 12, burst=False, tiering=True, gds=True, ssd=796.28),
    _spec("cache.r6gd.12xlarge", 317.77, 48, 20, burst=False, tiering=True, gds=True, ssd=1194.42),
    _spec("cache.r6gd.16xlarge", 419.09, 64, 25, burst=False, tiering=True, gds=True, ssd=1592.56),
    _spec("cache.c7gn.large", 3.09, 2, 30, burst=True, tiering=False, gds=True, ssd=None),
    _spec("cache.c7gn.xlarge", 6.38, 4, 40, burst=True, tiering=False, gds=True, ssd=None),
    _spec("cache.c7gn.2xlarge", 12.94, 8, 50, burst=True, tiering=False, gds=True, ssd=None),
    _spec("cache.c7gn.4xlarge", 26.05, 16, 50, burst=False, tiering=False, gds=True, ssd=None),
    _spec("cache.c7gn.8xlarge", 52.26, 32, 100, burst=False, tiering=False, gds=True, ssd=None),
    _spec("cache.c7gn.12xlarge", 78.56, 48, 150, burst=False, tiering=False, gds=True, ssd=None),
    _spec("cache.c7gn.16xlarge", 105.81, 64, 200, burst=False, tiering=False, gds=True, ssd=None),]}

NodeType.T3_MICRO = NodeType.of("cache.t3.micro")
NodeType.T3_SMALL = NodeType.of("cache.t3.small")
NodeType.T3_MEDIUM = NodeType.of("cache.t3.medium")
NodeType.T4G_MICRO = NodeType.of("cache.t4g.micro")
NodeType.T4G_SMALL = NodeType.of("cache.t4g.small")
NodeType.T4G_MEDIUM = NodeType.of("cache.t4g.medium")
NodeType.M5_LARGE = NodeType.of("cache.m5.large")
NodeType.M5_XLARGE = NodeType.of("cache.m5.xlarge")
NodeType.M5_2XLARGE = NodeType.of("cache.m5.2xlarge")
NodeType.M5_4XLARGE = NodeType.of("cache.m5.4xlarge")
NodeType.M5_12XLARGE = NodeType.of("cache.m5.12xlarge")
NodeType.M5_24XLARGE = NodeType.of("cache.m5.24xlarge")
NodeType.M6G_LARGE = NodeType.of("cache.m6g.large")
NodeType.M6G_XLARGE = NodeType.of("cache.m6g.xlarge")
NodeType.M6G_2XLARGE = NodeType.of("cache.m6g.2xlarge")
NodeType.M6G_4XLARGE = NodeType.of("cache.m6g.4xlarge")
NodeType.M6G_8XLARGE = NodeType.of("cache.m6g.8xlarge")
NodeType.M6G_12XLARGE = NodeType.of("cache.m6g.12xlarge")
NodeType.M6G_16XLARGE = NodeType.of("cache.m6g.16xlarge")
NodeType.M7G_LARGE = NodeType.of("cache.m7g.large")
NodeType.M7G_XLARGE = NodeType.of("cache.m7g.xlarge")
NodeType.M7G_2XLARGE = NodeType.of("cache.m7g.2xlarge")
NodeType.M7G_4XLARGE = NodeType.of("cache.m7g.4xlarge")
NodeType.M7G_8XLARGE = NodeType.of("cache.m7g.8xlarge")
NodeType.M7G_12XLARGE = NodeType.of("cache.m7g.12xlarge")
NodeType.M7G_16XLARGE = NodeType.of("cache.m7g.16xlarge")
NodeType.R5_LARGE = NodeType.of("cache.r5.large")
NodeType.R5_XLARGE = NodeType.of("cache.r5.xlarge")
NodeType.R5_2XLARGE = NodeType.of("cache.r5.2xlarge")
NodeType.R5_4XLARGE = NodeType.of("cache.r5.4xlarge")
NodeType.R5_12XLARGE = NodeType.of("cache.r5.12xlarge")
NodeType.R5_24XLARGE = NodeType.of("cache.r5.24xlarge")
NodeType.R6G_LARGE = NodeType.of("cache.r6g.large")
NodeType.R6G_XLARGE = NodeType.of("cache.r6g.xlarge")
NodeType.R6G_2XLARGE = NodeType.of("cache.r6g.2xlarge")
NodeType.R6G_4XLARGE = NodeType.of("cache.r6g.4xlarge")
NodeType.R6G_8XLARGE = NodeType.of("cache.r6g.8xlarge")
NodeType.R6G_12XLARGE = NodeType.of("cache.r6g.12xlarge")
NodeType.R6G_16XLARGE = NodeType.of("cache.r6g.16xlarge")
NodeType.R7G_LARGE = NodeType.of("cache.r7g.large")
NodeType.R7G_XLARGE = NodeType.of("cache.r7g.xlarge")
NodeType.R7G_2XLARGE = NodeType.of("cache.r7g.2xlarge")
NodeType.R7G_4XLARGE = NodeType.of("cache.r7g.4xlarge")
NodeType.R7G_8XLARGE = NodeType.of("cache.r7g.8xlarge")
NodeType.R7G_12XLARGE = NodeType.of("cache.r7g.12xlarge")
NodeType.R7G_16XLARGE = NodeType.of("cache.r7g.16xlarge")
NodeType.R6GD_XLARGE = NodeType.of("cache.r6gd.xlarge")
NodeType.R6GD_2XLARGE = NodeType.of("cache.r6gd.2xlarge")
NodeType.R6GD_4XLARGE = NodeType.of("cache.r6gd.4xlarge")
NodeType.R6GD_8XLARGE = NodeType.of("cache.r6gd.8xlarge")
NodeType.R6GD_12XLARGE = NodeType.of("cache.r6gd.12xlarge")
NodeType.R6GD_16XLARGE = NodeType.of("cache.r6gd.16xlarge")
NodeType.C7GN_LARGE = NodeType.of("cache.c7gn.large")
NodeType.C7GN_XLARGE = NodeType.of("cache.c7gn.xlarge")
NodeType.C7GN_2XLARGE = NodeType.of("cache.c7gn.2xlarge")
NodeType.C7GN_4XLARGE = NodeType.of("cache.c7gn.4xlarge")
NodeType.C7GN_8XLARGE = NodeType.of("cache.c7gn.8xlarge")
NodeType.C7GN_12XLARGE = NodeType.of("cache.c7gn.12xlarge")
NodeType.C7GN_16XLARGE = NodeType.of("cache.c7gn.16xlarge")


#: Lowest engine versions a node family runs, per engine ("available only for Redis OSS engine version 5.0.6 onward
#: and for Memcached engine version 1.5.16 onward" for M6g, R6g and T4g; R6gd nodes need data tiering, whose
#: version rule, Redis OSS 6.2+, ``EngineVersion.supports_data_tiering`` holds).
#: Source: https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_CacheNode.html
#: Families without an entry have no documented minimum above the lowest version node-based caches offer.
FAMILY_MIN_ENGINE_VERSION: dict[str, dict[str, tuple[int, int, int]]] = {
    "m6g": {"redis": (5, 0, 6), "memcached": (1, 5, 16)},
    "r6g": {"redis": (5, 0, 6), "memcached": (1, 5, 16)},
    "t4g": {"redis": (5, 0, 6), "memcached": (1, 5, 16)},
}


def check_engine_support(node_type: NodeType, engine_version: EngineVersion, prop: str = "node_type") -> None:
    """Reject a node family on an engine version older than the family's documented minimum."""
    if is_unresolved(node_type.name):
        return
    low = FAMILY_MIN_ENGINE_VERSION.get(node_type.family, {}).get(engine_version.engine.value)
    if low is None or engine_version._at_least(*low):
        return
    raise fail(
        prop,
        node_type.name,
        f"{node_type.family} nodes need {engine_version.engine.value} {'.'.join(map(str, low))} or later "
        f"(got {engine_version})",
    )


#: M4 and R4: still offered for new node-based clusters (listed as current generation in API_CacheNode), but older
#: than the catalog: ``NodeType.of`` knows them, ``NodeType.catalog()`` (what sizing recommends from) does not. They
#: support neither Global Datastore ("Previous generation instance types (such as M4 and R4) are not supported",
#: Redis-Global-Datastores-Getting-Started) nor auto scaling (not in its families). Memory and baseline network
#: (Gbit/s) as the "Supported node types" tables print them.
_OLDER_TYPES: dict[str, NodeType] = {n.name: n for n in [
    _spec("cache.m4.large", 6.42, 2, 1.2, burst=True, tiering=False, gds=False, ssd=None),
    _spec("cache.m4.xlarge", 14.28, 4, 2.8, burst=True, tiering=False, gds=False, ssd=None),
    _spec("cache.m4.2xlarge", 29.70, 8, 10, burst=True, tiering=False, gds=False, ssd=None),
    _spec("cache.m4.4xlarge", 60.78, 16, 10, burst=True, tiering=False, gds=False, ssd=None),
    _spec("cache.m4.10xlarge", 154.64, 40, 10, burst=True, tiering=False, gds=False, ssd=None),
    _spec("cache.r4.large", 12.3, 2, 10, burst=True, tiering=False, gds=False, ssd=None),
    _spec("cache.r4.xlarge", 25.05, 4, 10, burst=True, tiering=False, gds=False, ssd=None),
    _spec("cache.r4.2xlarge", 50.47, 8, 10, burst=True, tiering=False, gds=False, ssd=None),
    _spec("cache.r4.4xlarge", 101.38, 16, 10, burst=True, tiering=False, gds=False, ssd=None),
    _spec("cache.r4.8xlarge", 203.26, 32, 12, burst=False, tiering=False, gds=False, ssd=None),
    _spec("cache.r4.16xlarge", 407.0, 64, 25, burst=False, tiering=False, gds=False, ssd=None),
]}
