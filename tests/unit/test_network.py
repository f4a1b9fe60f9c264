"""network_type / ip_discovery on replication groups and Memcached, network and connection type on serverless:
template assertions, defaults, and every validation rule (engine version, Nitro node type, subnet CIDRs)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk.assertions import Template

from elasticache_constructs import (
    ConnectionType,
    EngineVersion,
    IpDiscovery,
    MemcachedCluster,
    NetworkType,
    NodeType,
    ReplicationGroup,
    ServerlessCache,
    ShardedReplicationGroup,
    ValidationError,
)

from .helpers import new_stack, new_vpc
from .helpers import props_of as _props

RG, CC, SC = "AWS::ElastiCache::ReplicationGroup", "AWS::ElastiCache::CacheCluster", "AWS::ElastiCache::ServerlessCache"


def dual_stack_vpc(stack: cdk.Stack, id: str = "DualVpc", ipv6_only: bool = False) -> ec2.Vpc:
    vpc = ec2.Vpc(
        stack, id, ip_protocol=ec2.IpProtocol.DUAL_STACK, availability_zones=["us-east-1a", "us-east-1b"],
        nat_gateways=0,
        subnet_configuration=[ec2.SubnetConfiguration(name="iso", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)],
    )
    if ipv6_only:
        for subnet in vpc.isolated_subnets:
            cfn: Any = subnet.node.default_child
            cfn.ipv6_native = True
            cfn.cidr_block = None
    return vpc



@pytest.fixture(scope="module")
def tmpl() -> Template:
    stack = new_stack()
    vpc4 = new_vpc(stack)
    dual = dual_stack_vpc(stack)
    six = dual_stack_vpc(stack, "SixVpc", ipv6_only=True)
    ReplicationGroup(stack, "Plain", vpc=vpc4)
    ReplicationGroup(stack, "Dual", vpc=dual, network_type=NetworkType.DUAL_STACK, ip_discovery=IpDiscovery.IPV6)
    ReplicationGroup(stack, "V4OnDual", vpc=dual, network_type="ipv4")
    ShardedReplicationGroup(stack, "Six", vpc=six, network_type=NetworkType.IPV6,
                            engine_version=EngineVersion.REDIS_6_2, node_type=NodeType.R6G_LARGE)
    MemcachedCluster(stack, "Mc", vpc=vpc4)
    MemcachedCluster(stack, "McDual", vpc=dual, network_type=NetworkType.DUAL_STACK, ip_discovery=IpDiscovery.IPV4)
    ServerlessCache(stack, "Sl", vpc=vpc4)
    ServerlessCache(stack, "SlDual", vpc=dual, network_type=NetworkType.DUAL_STACK, connection_type=ConnectionType.VPC)
    return Template.from_stack(stack)


def test_defaults_leave_network_to_elasticache(tmpl: Template) -> None:
    for type_, prefix in ((RG, "Plain"), (CC, "Mc"), (SC, "Sl")):
        props = _props(tmpl, type_, prefix)
        assert "NetworkType" not in props and "IpDiscovery" not in props and "ConnectionType" not in props


@pytest.mark.parametrize(("type_", "prefix", "expected"), [
    (RG, "Dual", {"NetworkType": "dual_stack", "IpDiscovery": "ipv6"}),
    (RG, "V4OnDual", {"NetworkType": "ipv4"}),
    (RG, "Six", {"NetworkType": "ipv6"}),
    (CC, "McDual", {"NetworkType": "dual_stack", "IpDiscovery": "ipv4"}),
    (SC, "SlDual", {"NetworkType": "dual_stack", "ConnectionType": "vpc"}),
])
def test_network_props_reach_the_template(tmpl: Template, type_: str, prefix: str, expected: dict[str, str]) -> None:
    props = _props(tmpl, type_, prefix)
    assert {k: props.get(k) for k in expected} == expected
    if "IpDiscovery" not in expected:
        assert "IpDiscovery" not in props


def _rg(**kw: Any) -> Callable[[cdk.Stack], Any]:
    def build(stack: cdk.Stack) -> Any:
        props = dict(kw)
        vpc = props.pop("vpc_factory", dual_stack_vpc)(stack)
        return ReplicationGroup(stack, "G", vpc=vpc, **props)
    return build


INVALID = [
    ("unknown network type", _rg(network_type="ipv5"), "network_type: got 'ipv5'; allowed: NetworkType.IPV4"),
    ("unknown discovery", _rg(ip_discovery="both"), "ip_discovery: got 'both'; allowed: IpDiscovery.IPV4"),
    ("ipv6 discovery on ipv4", _rg(network_type="ipv4", ip_discovery="ipv6"),
     "ip_discovery: got 'ipv6'; IPv6 discovery needs network_type=NetworkType.IPV6 or DUAL_STACK"),
    ("ipv6 discovery default ipv4", _rg(ip_discovery=IpDiscovery.IPV6), "IPv6 discovery needs network_type"),
    ("ipv4 discovery on ipv6", _rg(network_type="ipv6", ip_discovery="ipv4"),
     "ip_discovery: got 'ipv4'; an IPv6-only cache discovers IPv6 addresses"),
    ("old redis", _rg(network_type="dual_stack", engine_version=EngineVersion.of("redis", "6.0")),
     "network_type: got 'dual_stack'; redis 6.0 lacks IPv6 (valkey 7.2+, redis 6.2+, memcached 1.6.6+)"),
    ("non-nitro node", _rg(network_type="dual_stack", node_type=NodeType.of("cache.r4.large", memory_gib=12.3, vcpus=2),
                           engine_version=EngineVersion.REDIS_6_2),
     "network_type: got 'dual_stack'; node type cache.r4.large is not built on the Nitro system"),
    ("dual stack on ipv4 subnets", _rg(network_type="dual_stack", vpc_factory=new_vpc),
     "vpc_subnets: got 'Test/Vpc/isoSubnet1 (ipv4)'; network_type=dual_stack needs dual-stack subnets"),
    ("ipv6 on dual-stack subnets", _rg(network_type="ipv6"),
     "network_type=ipv6 needs IPv6-only subnets"),
    ("memcached too old", lambda s: MemcachedCluster(
        s, "M", vpc=dual_stack_vpc(s), network_type="ipv6", engine_version=EngineVersion.of("memcached", "1.5.16"),
    ), "memcached 1.5.16 lacks IPv6"),  # 1.6.2 is not a version ElastiCache offers (1.6.6 is its first 1.6)
    ("serverless on ipv4 subnets", lambda s: ServerlessCache(s, "S", vpc=new_vpc(s), network_type="dual_stack"),
     "network_type=dual_stack needs dual-stack subnets"),
    ("serverless connection type", lambda s: ServerlessCache(s, "S", vpc=new_vpc(s), connection_type="internet"),
     "connection_type: got 'internet'; allowed: ConnectionType.VPC, ConnectionType.PUBLIC"),
]


@pytest.mark.parametrize(("build", "message"), [c[1:] for c in INVALID], ids=[c[0] for c in INVALID])
def test_invalid_network_settings(build: Callable[[cdk.Stack], Any], message: str) -> None:
    with pytest.raises(ValidationError, match=None) as err:
        build(new_stack())
    assert message in str(err.value)


@pytest.mark.parametrize("engine_version", [EngineVersion.VALKEY_7_2, EngineVersion.REDIS_6_2,
                                            EngineVersion.of("memcached", "1.6.6")], ids=str)
def test_lowest_ipv6_engine_versions_are_accepted(engine_version: EngineVersion) -> None:
    stack = new_stack()
    vpc = dual_stack_vpc(stack)
    group: Any
    if engine_version.is_redis_compatible:
        group = ReplicationGroup(stack, "G", vpc=vpc, engine_version=engine_version,
                                 node_type=NodeType.T3_MICRO, network_type=NetworkType.DUAL_STACK)
    else:
        group = MemcachedCluster(stack, "G", vpc=vpc, engine_version=engine_version,
                                 node_type=NodeType.T3_MICRO, network_type=NetworkType.DUAL_STACK)
    assert group.network_type is NetworkType.DUAL_STACK
