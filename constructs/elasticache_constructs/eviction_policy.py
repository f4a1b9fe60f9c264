"""The ``maxmemory-policy`` values: what Redis/Valkey evicts when memory is full."""

from __future__ import annotations

import enum

from ._validation import fail


class EvictionPolicy(enum.StrEnum):
    """How the engine frees memory once ``maxmemory`` is reached (Redis ``maxmemory-policy``).

    Members compare equal to the Redis string: ``EvictionPolicy.ALLKEYS_LRU == "allkeys-lru"``.
    """

    #: Evict nothing; writes that need memory fail with an OOM error. For data you must never lose.
    NOEVICTION = "noeviction"
    #: Evict the least recently used key of all keys. General-purpose caching.
    ALLKEYS_LRU = "allkeys-lru"
    #: Evict the least frequently used key of all keys. Long-running caches with hot and cold data.
    ALLKEYS_LFU = "allkeys-lfu"
    #: Evict a random key of all keys.
    ALLKEYS_RANDOM = "allkeys-random"
    #: Evict the least recently used key among keys with a TTL (ElastiCache's default). Sessions + cache.
    VOLATILE_LRU = "volatile-lru"
    #: Evict the least frequently used key among keys with a TTL.
    VOLATILE_LFU = "volatile-lfu"
    #: Evict a random key among keys with a TTL.
    VOLATILE_RANDOM = "volatile-random"
    #: Evict the key with the shortest remaining TTL. Session-heavy workloads.
    VOLATILE_TTL = "volatile-ttl"

    @classmethod
    def parse(cls, value: EvictionPolicy | str, prop: str = "eviction_policy") -> EvictionPolicy:
        """Accept a member or its Redis string; anything else raises naming ``prop`` and the allowed values."""
        if isinstance(value, cls):
            return value
        try:
            return cls(value)
        except ValueError:
            raise fail(prop, value, "allowed: " + ", ".join(p.value for p in cls)) from None


#: The ``maxmemory-policy`` values data tiering (r6gd nodes) supports: LRU/LFU and ``noeviction``; the random and
#: TTL policies are not supported, since ElastiCache moves values to SSD by access recency.
#: Source: https://docs.aws.amazon.com/memorydb/latest/devguide/data-tiering-prerequisites.html (same engine
#: feature) and https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/data-tiering.html
DATA_TIERING_POLICIES = (
    EvictionPolicy.VOLATILE_LRU,
    EvictionPolicy.ALLKEYS_LRU,
    EvictionPolicy.VOLATILE_LFU,
    EvictionPolicy.ALLKEYS_LFU,
    EvictionPolicy.NOEVICTION,
)


def check_data_tiering_policy(policy: EvictionPolicy | None, data_tiering: bool, prop: str = "eviction_policy") -> None:
    """Reject an eviction policy data tiering does not support (``None`` = ElastiCache's default, supported)."""
    if data_tiering and policy is not None and policy not in DATA_TIERING_POLICIES:
        raise fail(
            prop, policy.value, "data tiering supports " + ", ".join(p.value for p in DATA_TIERING_POLICIES)
        )
