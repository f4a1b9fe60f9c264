"""EvictionPolicy: all eight maxmemory-policy values."""

from __future__ import annotations

import pytest

from elasticache_constructs import EvictionPolicy, ValidationError


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
