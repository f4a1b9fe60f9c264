"""Network type (IPv4, IPv6, dual stack) and IP discovery of node-based caches, validated against the engine
version, node type and subnets ElastiCache requires.

Source: https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/network-type.html -- IPv6 needs Valkey 7.2+,
Redis OSS 6.2+ or Memcached 1.6.6+ on Nitro nodes; dual stack needs dual-stack subnets (IPv4 and IPv6 CIDRs),
IPv6-only needs IPv6-only subnets; the network type cannot be changed after creation.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import Any

from aws_cdk import aws_ec2 as ec2

from ._validation import fail
from .engine import EngineVersion
from .node_type import NodeType

#: Node families not built on the Nitro system (no IPv6): previous generations and t2/m4/r4.
#: https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/network-type.html (Nitro only) and
#: https://aws.amazon.com/ec2/nitro/ (instance types built on Nitro: t3+, m5+, r5+, Graviton).
NON_NITRO_FAMILIES = frozenset({"t1", "t2", "m1", "m2", "m3", "m4", "c1", "r3", "r4"})


class NetworkType(enum.StrEnum):
    """IP protocol(s) the cache's nodes accept connections on (create-time only)."""

    IPV4 = "ipv4"
    IPV6 = "ipv6"
    DUAL_STACK = "dual_stack"


class ConnectionType(enum.StrEnum):
    """How clients reach a serverless cache (``AWS::ElastiCache::ServerlessCache`` ``ConnectionType``;
    create-only)."""

    VPC = "vpc"
    PUBLIC = "public"


class IpDiscovery(enum.StrEnum):
    """Which addresses discovery (``CLUSTER SLOTS``/``SHARDS``, Memcached auto discovery) returns. Only a choice
    with ``NetworkType.DUAL_STACK``; it can be changed later without downtime."""

    IPV4 = "ipv4"
    IPV6 = "ipv6"


def _parse(enum_cls: type[enum.StrEnum], prop: str, value: Any) -> Any:
    if value is None or isinstance(value, enum_cls):
        return value
    try:
        return enum_cls(str(value).lower())
    except ValueError:
        allowed = ", ".join(f"{enum_cls.__name__}.{m.name}" for m in enum_cls)
        raise fail(prop, value, f"allowed: {allowed}") from None


def _subnet_kind(subnet: ec2.ISubnet) -> str | None:
    """``ipv4``, ``dual_stack`` or ``ipv6`` for subnets defined in this app; ``None`` when unknown (imported)."""
    cfn = subnet.node.default_child if isinstance(subnet, ec2.Subnet) else None
    if not isinstance(cfn, ec2.CfnSubnet):
        return None
    if cfn.ipv6_native:
        return "ipv6"
    return "dual_stack" if cfn.ipv6_cidr_block is not None else "ipv4"


def parse_connection_type(value: ConnectionType | str | None) -> ConnectionType | None:
    """``None`` or a ``ConnectionType``."""
    parsed: ConnectionType | None = _parse(ConnectionType, "connection_type", value)
    return parsed


def validate_network(
    network_type: NetworkType | str | None,
    ip_discovery: IpDiscovery | str | None,
    *,
    engine_version: EngineVersion | None,
    node_type: NodeType | None,
    subnets: Sequence[ec2.ISubnet],
) -> dict[str, str | None]:
    """Check the network settings and return the CloudFormation properties ``network_type``/``ip_discovery``
    (``None``: ElastiCache's default, IPv4). ``engine_version``/``node_type`` ``None``: not checked (serverless)."""
    network = _parse(NetworkType, "network_type", network_type)
    discovery = _parse(IpDiscovery, "ip_discovery", ip_discovery)
    if network is None and discovery is None:
        return {"network_type": None, "ip_discovery": None}
    effective = network or NetworkType.IPV4
    if discovery is IpDiscovery.IPV6 and effective is NetworkType.IPV4:
        raise fail("ip_discovery", "ipv6", "IPv6 discovery needs network_type=NetworkType.IPV6 or DUAL_STACK")
    if discovery is IpDiscovery.IPV4 and effective is NetworkType.IPV6:
        raise fail("ip_discovery", "ipv4", "an IPv6-only cache discovers IPv6 addresses; use IpDiscovery.IPV6")
    if effective is not NetworkType.IPV4:
        if engine_version is not None and not engine_version.supports_ipv6:
            raise fail(
                "network_type", effective.value,
                f"{engine_version} lacks IPv6 (valkey 7.2+, redis 6.2+, memcached 1.6.6+)",
            )
        if node_type is not None and node_type.family in NON_NITRO_FAMILIES:
            raise fail(
                "network_type", effective.value,
                f"node type {node_type.name} is not built on the Nitro system; IPv6 needs a Nitro node type "
                "(e.g. t3/t4g, m5+, r5+, m6g/r6g/m7g/r7g)",
            )
    want = {NetworkType.IPV4: "ipv4", NetworkType.DUAL_STACK: "dual_stack", NetworkType.IPV6: "ipv6"}[effective]
    needs = {
        "ipv4": "subnets with IPv4 CIDRs",
        "dual_stack": "dual-stack subnets (an IPv6 CIDR besides the IPv4 one; ec2.Vpc(ip_protocol=DUAL_STACK))",
        "ipv6": "IPv6-only subnets (ipv6_native)",
    }[want]
    for subnet in subnets:
        kind = _subnet_kind(subnet)
        if kind is not None and kind != want and not (want == "ipv4" and kind == "dual_stack"):
            raise fail("vpc_subnets", f"{subnet.node.path} ({kind})", f"network_type={want} needs {needs}")
    return {"network_type": network.value if network else None, "ip_discovery": discovery.value if discovery else None}


__all__ = [
    "NON_NITRO_FAMILIES", "ConnectionType", "IpDiscovery", "NetworkType", "parse_connection_type", "validate_network",
]
