"""The node-type catalog and NodeType.of()."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import Token

from elasticache_constructs import EngineVersion, MemcachedCluster, NodeType, ReplicationGroup, ValidationError
from elasticache_constructs.node_type import check_engine_support

from .helpers import new_stack, new_vpc


def test_catalog_entries_carry_the_documented_specs() -> None:
    r7g = NodeType.of("cache.r7g.large")
    assert r7g is NodeType.R7G_LARGE
    assert (r7g.memory_gib, r7g.vcpus, r7g.network) == (13.07, 2, "Up to 12.5 Gigabit")
    assert r7g.global_datastore and not r7g.data_tiering
    assert NodeType.R5_XLARGE.memory_gib == 26.32  # the guide's feed example node
    assert NodeType.M5_LARGE.memory_gib == 6.38  # the guide's rate-limiter example node
    assert NodeType.R6GD_XLARGE.data_tiering and NodeType.R6GD_XLARGE.ssd_gib == 99.33
    assert not NodeType.T4G_MICRO.global_datastore
    assert NodeType.M7G_16XLARGE.network == "30 Gigabit"


def test_catalog_is_sorted_by_memory_and_complete_for_current_families() -> None:
    cat = NodeType.catalog()
    memories = [n.memory_gib or 0 for n in cat]
    assert memories == sorted(memories)
    families = {n.family for n in cat}
    assert {"t4g", "m7g", "r7g", "r6gd", "c7gn", "m5", "r5"} <= families


def test_newer_type_with_its_specification_is_accepted() -> None:
    r8g = NodeType.of("cache.r8g.large", memory_gib=13.07, vcpus=2, global_datastore=True)
    assert r8g.name == "cache.r8g.large" and r8g.memory_gib == 13.07 and r8g.is_known


def test_token_name_is_accepted_with_unknown_spec() -> None:
    token = Token.as_string({"Ref": "NodeTypeParam"})
    nt = NodeType.of(token)
    assert not nt.is_known


@pytest.mark.parametrize(
    ("name", "kwargs", "message"),
    [
        ("cache.r7g.larg", {}, r"node_type: got 'cache.r7g.larg'; unknown ElastiCache node type; did you mean cache.r7g.large"),
        ("cache.x99.large", {}, r"unknown ElastiCache node type; .*known families: c7gn, m5, m6g"),
        ("r7g.large", {}, r"must look like 'cache.<family>.<size>'"),
        ("cache.r8g.large", {"memory_gib": 0}, r"memory_gib: got 0; must be greater than 0"),
        # previous generation: no new clusters (API_CacheNode; T2 per "Supported node types"), even with a spec
        ("cache.t2.micro", {}, r"node_type: got 'cache.t2.micro'; t2 is a previous-generation family ElastiCache no "
                               r"longer creates clusters on; use t4g or t3"),
        ("cache.t2.medium", {"memory_gib": 3.22}, r"t2 is a previous-generation family"),
        ("cache.m3.large", {}, r"m3 is a previous-generation family .*; use m7g"),
        ("cache.r3.large", {}, r"r3 is a previous-generation family .*; use r7g"),
        ("cache.c1.xlarge", {}, r"c1 is a previous-generation family"),
    ],
)
def test_invalid_node_types(name: str, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        NodeType.of(name, **kwargs)


def test_global_datastore_families_are_those_documented_today() -> None:
    # "Global datastores are supported on the following instance families in size large and above: M5, M6g, M7g,
    # R5, R6g, R6gd, R7g, and C7gn." (Redis-Global-Datastores-Getting-Started)
    gds = {n.family for n in NodeType.catalog() if n.global_datastore}
    assert gds == {"m5", "m6g", "m7g", "r5", "r6g", "r6gd", "r7g", "c7gn"}
    assert all(n.global_datastore for n in NodeType.catalog() if n.family == "c7gn")
    assert not any(n.global_datastore for n in NodeType.catalog() if n.family in ("t3", "t4g"))


ENGINE_MINIMUMS = [
    # M6g, R6g and T4g: "available only for Redis OSS engine version 5.0.6 onward and for Memcached engine version
    # 1.5.16 onward" (API_CacheNode)
    (NodeType.M6G_LARGE, ("redis", "5.0.5"), r"node_type: got 'cache.m6g.large'; m6g nodes need redis 5.0.6 or later"),
    (NodeType.R6G_LARGE, ("redis", "4.0.10"), r"r6g nodes need redis 5.0.6 or later \(got redis 4.0.10\)"),
    (NodeType.T4G_MICRO, ("memcached", "1.5.10"), r"t4g nodes need memcached 1.5.16 or later"),
    (NodeType.M6G_LARGE, ("memcached", "1.4.34"), r"m6g nodes need memcached 1.5.16 or later"),
]


@pytest.mark.parametrize(("node_type", "version", "message"), ENGINE_MINIMUMS, ids=lambda v: str(v))
def test_node_family_engine_minimums(node_type: NodeType, version: tuple[str, str], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        check_engine_support(node_type, EngineVersion.of(*version))


@pytest.mark.parametrize(
    ("node_type", "version"),
    [
        # the valid side of each minimum, and families without one
        (NodeType.M6G_LARGE, ("redis", "5.0.6")), (NodeType.T4G_MICRO, ("memcached", "1.5.16")),
        (NodeType.R6GD_XLARGE, ("redis", "6.2")), (NodeType.R6G_LARGE, ("valkey", "7.2")),
        (NodeType.M5_LARGE, ("redis", "4.0.10")), (NodeType.T3_MICRO, ("memcached", "1.4.5")),
        (NodeType.C7GN_LARGE, ("valkey", "9.0")), (NodeType.of(Token.as_string({"Ref": "N"})), ("redis", "4.0.10")),
    ],
    ids=lambda v: "token" if "${Token" in str(v) else str(v),  # token ids differ between xdist workers
)
def test_node_family_engine_minimums_valid_side(node_type: NodeType, version: tuple[str, str]) -> None:
    check_engine_support(node_type, EngineVersion.of(*version))


def test_constructs_apply_the_engine_minimums() -> None:
    stack = new_stack(id="Minimums")
    vpc = new_vpc(stack)
    with pytest.raises(ValidationError, match=r"node_type: got 'cache.t4g.small'; t4g nodes need memcached 1.5.16"):
        MemcachedCluster(stack, "Mc", vpc=vpc, node_type=NodeType.T4G_SMALL,
                         engine_version=EngineVersion.of("memcached", "1.5.10"))
    with pytest.raises(ValidationError, match=r"node_type: got 'cache.r6g.large'; r6g nodes need redis 5.0.6"):
        ReplicationGroup(stack, "Rg", vpc=vpc, node_type=NodeType.R6G_LARGE,
                         engine_version=EngineVersion.of("redis", "5.0.5"))
    ok = MemcachedCluster(stack, "Ok", vpc=vpc, node_type=NodeType.T4G_SMALL,
                          engine_version=EngineVersion.of("memcached", "1.5.16"))
    assert ok.node_type is NodeType.T4G_SMALL


def test_m4_and_r4_are_known_but_not_recommended() -> None:
    # still creatable (API_CacheNode lists them as current generation), but neither Global Datastore nor the
    # sizing catalog uses them
    m4 = NodeType.of("cache.m4.large")
    assert (m4.memory_gib, m4.vcpus) == (6.42, 2) and not m4.global_datastore
    assert NodeType.of("cache.r4.16xlarge").memory_gib == 407.0
    assert not {"m4", "r4"} & {n.family for n in NodeType.catalog()}
    stack = new_stack(id="Older")
    group = ReplicationGroup(stack, "Rg", vpc=new_vpc(stack), node_type="cache.r4.large")
    assert group.node_type.name == "cache.r4.large"
