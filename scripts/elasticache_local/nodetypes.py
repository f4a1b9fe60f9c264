"""Node type memory and the documented scale factor that turns it into a local ``maxmemory``.

Scale: **1 GiB of node memory -> 1 MiB locally** (factor 1/1024), with a floor of 8 MiB so the server's own
overhead (about 1 MiB) never dominates. ``cache.r7g.large`` (13.07 GiB) -> 13.07 MiB: eviction really happens after
a few MiB of writes, exactly where the parameter group's ``maxmemory-policy`` matters.

Memory figures come from ``elasticache_constructs.NodeType`` (the construct library's catalog). Importing that
package loads ``aws_cdk`` (about 1 s, a jsii Node process), which would dominate ``up``; so this module keeps a
copy of the memory column for the fast path, and ``tests/emulator/test_planner.py`` checks it against
``NodeType`` so the two cannot drift. Types missing here are looked up in ``NodeType`` (slow path).
"""

from __future__ import annotations

MIB = 1024 * 1024
#: Local bytes per GiB of node memory.
SCALE_BYTES_PER_GIB = MIB
#: Lower bound of the local ``maxmemory``.
FLOOR_BYTES = 8 * MIB
#: ``maxmemory`` when the node type (or a serverless cache's storage limit) is unknown.
DEFAULT_BYTES = 64 * MIB

# Memory (GiB) of the construct library's catalog ("Supported node types", ElastiCache user guide).
_MEMORY_GIB: dict[str, float] = {
    "cache.t3.micro": 0.5, "cache.t3.small": 1.37, "cache.t3.medium": 3.09,
    "cache.t4g.micro": 0.5, "cache.t4g.small": 1.37, "cache.t4g.medium": 3.09,
    "cache.m5.large": 6.38, "cache.m5.xlarge": 12.93, "cache.m5.2xlarge": 26.04, "cache.m5.4xlarge": 52.26,
    "cache.m5.12xlarge": 157.12, "cache.m5.24xlarge": 314.32,
    "cache.m6g.large": 6.38, "cache.m6g.xlarge": 12.93, "cache.m6g.2xlarge": 26.04, "cache.m6g.4xlarge": 52.26,
    "cache.m6g.8xlarge": 103.68, "cache.m6g.12xlarge": 157.12, "cache.m6g.16xlarge": 209.55,
    "cache.m7g.large": 6.38, "cache.m7g.xlarge": 12.93, "cache.m7g.2xlarge": 26.04, "cache.m7g.4xlarge": 52.26,
    "cache.m7g.8xlarge": 103.68, "cache.m7g.12xlarge": 157.12, "cache.m7g.16xlarge": 209.55,
    "cache.r5.large": 13.07, "cache.r5.xlarge": 26.32, "cache.r5.2xlarge": 52.82, "cache.r5.4xlarge": 105.81,
    "cache.r5.12xlarge": 317.77, "cache.r5.24xlarge": 635.61,
    "cache.r6g.large": 13.07, "cache.r6g.xlarge": 26.32, "cache.r6g.2xlarge": 52.82, "cache.r6g.4xlarge": 105.81,
    "cache.r6g.8xlarge": 209.55, "cache.r6g.12xlarge": 317.77, "cache.r6g.16xlarge": 419.09,
    "cache.r7g.large": 13.07, "cache.r7g.xlarge": 26.32, "cache.r7g.2xlarge": 52.82, "cache.r7g.4xlarge": 105.81,
    "cache.r7g.8xlarge": 209.55, "cache.r7g.12xlarge": 317.77, "cache.r7g.16xlarge": 419.09,
    "cache.r6gd.xlarge": 26.32, "cache.r6gd.2xlarge": 52.82, "cache.r6gd.4xlarge": 105.81,
    "cache.r6gd.8xlarge": 209.55, "cache.r6gd.12xlarge": 317.77, "cache.r6gd.16xlarge": 419.09,
    "cache.c7gn.large": 3.09, "cache.c7gn.xlarge": 6.38, "cache.c7gn.2xlarge": 12.94, "cache.c7gn.4xlarge": 26.05,
    "cache.c7gn.8xlarge": 52.26, "cache.c7gn.12xlarge": 78.56, "cache.c7gn.16xlarge": 105.81,
}


def local_table() -> dict[str, float]:
    """The fast-path copy of the catalog's memory column (for the drift test)."""
    return dict(_MEMORY_GIB)


def memory_gib(node_type: str | None) -> float | None:
    """Memory of ``node_type`` in GiB, ``None`` when unknown."""
    if not node_type:
        return None
    if node_type in _MEMORY_GIB:
        return _MEMORY_GIB[node_type]
    try:  # slow path: the construct library's catalog (imports aws_cdk)
        from elasticache_constructs import NodeType

        value = NodeType.of(node_type).memory_gib
    except Exception:
        return None
    return float(value) if value is not None else None


def local_maxmemory(gib: float | None) -> int:
    """Local ``maxmemory`` in bytes for a node with ``gib`` GiB (see the module docstring)."""
    if gib is None:
        return DEFAULT_BYTES
    return max(FLOOR_BYTES, round(gib * SCALE_BYTES_PER_GIB))
