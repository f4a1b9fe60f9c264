"""Durability (Valkey 9.0+) on ShardedReplicationGroup: the template, its default, every documented requirement,
and the valid side of each limit (Durability.Limitations, Durability.Configuring)."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

from elasticache_constructs import (
    Authentication,
    Durability,
    EngineVersion,
    NodeType,
    ShardedReplicationGroup,
    TransitEncryption,
    ValidationError,
)
from elasticache_constructs.durability import DURABILITY_FAMILIES

from .helpers import new_stack, new_vpc, props, template

RG = "AWS::ElastiCache::ReplicationGroup"
_ids = itertools.count()


def _group(**kwargs: Any) -> ShardedReplicationGroup:
    stack = new_stack(id=f"D{next(_ids)}")
    kwargs.setdefault("engine_version", EngineVersion.VALKEY_9_0)
    return ShardedReplicationGroup(stack, "Cache", vpc=new_vpc(stack), **kwargs)


@pytest.fixture(scope="module")
def synthesized() -> dict[str, dict[str, Any]]:
    return {
        "sync": props(template(_group(durability=Durability.SYNC).stack), RG),
        "default": props(template(_group().stack), RG),
    }


def test_durability_reaches_the_template(synthesized: dict[str, dict[str, Any]]) -> None:
    p = synthesized["sync"]
    assert p["Durability"] == "sync"
    assert p["AtRestEncryptionEnabled"] is True and p["TransitEncryptionEnabled"] is True
    assert p["MultiAZEnabled"] is True and p["ReplicasPerNodeGroup"] == 1


def test_durability_is_not_set_by_default(synthesized: dict[str, dict[str, Any]]) -> None:
    assert "Durability" not in synthesized["default"]


def test_values_are_those_the_registry_schema_allows() -> None:
    schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", RG).schema
    allowed = set(schema["properties"]["Durability"]["enumCaseInsensitive"])
    assert {m.value for m in Durability} <= allowed


@pytest.mark.parametrize(
    "kwargs",
    [
        # valid side of every documented limit
        {"durability": Durability.SYNC},
        {"durability": "async"},
        {"durability": "SYNC", "engine_version": EngineVersion.VALKEY_9_1},
        {"durability": Durability.ASYNC, "replicas_per_shard": 1, "shards": 1},
        {"durability": Durability.SYNC, "node_type": NodeType.C7GN_LARGE},
        {"durability": Durability.SYNC, "node_type": NodeType.M6G_LARGE},
        {"durability": Durability.SYNC, "node_type": NodeType.of("cache.r8g.large", memory_gib=13.07, vcpus=2)},
        {"durability": Durability.SYNC, "transit_encryption": TransitEncryption.PREFERRED},
        # disabled is allowed anywhere durability could be configured
        {"durability": Durability.DISABLED, "replicas_per_shard": 0},
        {"durability": Durability.DISABLED, "engine_version": EngineVersion.VALKEY_8_1},
    ],
    ids=lambda k: ",".join(f"{a}={b}" for a, b in k.items()),
)
def test_documented_valid_durable_groups_build(kwargs: dict[str, Any]) -> None:
    group = _group(**kwargs)
    assert group.durability is Durability.parse(kwargs["durability"])


INVALID = [
    ("valkey 8.2", {"durability": Durability.SYNC, "engine_version": EngineVersion.VALKEY_8_2},
     r"durability: got 'sync'; durability needs valkey 9.0 or later \(got valkey 8.2\)"),
    ("redis", {"durability": Durability.ASYNC, "engine_version": EngineVersion.REDIS_7_1},
     r"durability: got 'async'; durability needs valkey 9.0 or later \(got redis 7.1\)"),
    ("r5 nodes", {"durability": Durability.SYNC, "node_type": NodeType.R5_LARGE},
     r"durability: got 'sync'; node type cache.r5.large is not supported; durability runs on the families "
     + ", ".join(DURABILITY_FAMILIES)),
    ("t4g nodes", {"durability": Durability.SYNC, "node_type": NodeType.T4G_MEDIUM},
     r"node type cache.t4g.medium is not supported"),
    ("data tiering", {"durability": Durability.SYNC, "node_type": NodeType.R6GD_XLARGE, "data_tiering": True},
     r"node type cache.r6gd.xlarge is not supported"),
    ("no replica", {"durability": Durability.SYNC, "replicas_per_shard": 0},
     r"durability: got 'sync'; durability needs Multi-AZ with at least one replica per shard"),
    ("no multi-az", {"durability": Durability.SYNC, "multi_az": False},
     r"durability needs Multi-AZ with at least one replica per shard"),
    ("no tls", {"durability": Durability.SYNC, "transit_encryption": TransitEncryption.DISABLED,
                "authentication": Authentication.none()},
     r"durability: got 'sync'; durability needs in-transit encryption \(TLS\) at creation"),
    ("unknown value", {"durability": "always"},
     r"durability: got 'always'; allowed: Durability.SYNC, Durability.ASYNC, Durability.DISABLED"),
    ("bool value", {"durability": True}, r"durability: got True; allowed: Durability.SYNC"),
]


@pytest.mark.parametrize(("case", "kwargs", "message"), INVALID, ids=[c[0] for c in INVALID])
def test_invalid_durability(case: str, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        _group(**kwargs)
