"""EvictionPolicy: all eight maxmemory-policy values."""

from __future__ import annotations

import itertools

import pytest

from elasticache_constructs import (
    EngineVersion,
    EvictionPolicy,
    NodeType,
    ParameterGroup,
    ReplicationGroup,
    ValidationError,
)
from elasticache_constructs.eviction_policy import DATA_TIERING_POLICIES, check_data_tiering_policy

from .helpers import new_stack, new_vpc


def test_all_eight_policies_with_redis_strings() -> None:
    assert {p.value for p in EvictionPolicy} == {
        "noeviction", "allkeys-lru", "allkeys-lfu", "allkeys-random",
        "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl",
    }
    assert EvictionPolicy.ALLKEYS_LRU == "allkeys-lru"
    assert str(EvictionPolicy.VOLATILE_TTL) == "volatile-ttl"


def test_parse_accepts_strings_and_members() -> None:
    assert EvictionPolicy.parse("volatile-lfu") is EvictionPolicy.VOLATILE_LFU
    assert EvictionPolicy.parse(EvictionPolicy.NOEVICTION) is EvictionPolicy.NOEVICTION


@pytest.mark.parametrize("bad", ["lru", "ALLKEYS-LRU", "", "allkeys_lru"])
def test_parse_rejects_unknown_values_listing_the_allowed_ones(bad: str) -> None:
    with pytest.raises(ValidationError, match=rf"eviction_policy: got '{bad}'; allowed: noeviction, allkeys-lru"):
        EvictionPolicy.parse(bad)


def _tiered(**kwargs: object) -> ReplicationGroup:
    stack = new_stack(id=f"T{next(_ids)}")
    return ReplicationGroup(stack, "Cache", vpc=new_vpc(stack), node_type=NodeType.R6GD_XLARGE, data_tiering=True,
                            **kwargs)


_ids = itertools.count()


@pytest.mark.parametrize("policy", [p for p in EvictionPolicy if p not in DATA_TIERING_POLICIES])
def test_data_tiering_refuses_random_and_ttl_policies(policy: EvictionPolicy) -> None:
    with pytest.raises(ValidationError, match=rf"eviction_policy: got '{policy.value}'; data tiering supports "
                                              r"volatile-lru, allkeys-lru, volatile-lfu, allkeys-lfu, noeviction"):
        _tiered(eviction_policy=policy)


def test_data_tiering_checks_a_given_parameter_groups_policy_too() -> None:
    stack = new_stack(id="TieredPg")
    pg = ParameterGroup(stack, "Pg", engine_version=EngineVersion.VALKEY_8_1, eviction_policy="volatile-ttl")
    with pytest.raises(ValidationError, match=r"eviction_policy: got 'volatile-ttl'; data tiering supports"):
        ReplicationGroup(stack, "Cache", vpc=new_vpc(stack), node_type=NodeType.R6GD_XLARGE, data_tiering=True,
                         parameter_group=pg)


@pytest.mark.parametrize("policy", [None, *DATA_TIERING_POLICIES], ids=str)
def test_data_tiering_accepts_its_documented_policies(policy: EvictionPolicy | None) -> None:
    group = _tiered(eviction_policy=policy)
    assert group.eviction_policy in DATA_TIERING_POLICIES  # None -> ElastiCache's volatile-lru


def test_policies_without_data_tiering_are_all_accepted() -> None:
    check_data_tiering_policy(EvictionPolicy.VOLATILE_TTL, data_tiering=False)
