"""EngineVersion and Engine: families, features, and the of() escape hatch."""

from __future__ import annotations

import pytest
from aws_cdk import Token

from elasticache_constructs import Engine, EngineVersion, ValidationError


@pytest.mark.parametrize(
    ("version", "engine", "family"),
    [
        (EngineVersion.VALKEY_7_2, Engine.VALKEY, "valkey7"),
        (EngineVersion.VALKEY_8_0, Engine.VALKEY, "valkey8"),
        (EngineVersion.VALKEY_8_1, Engine.VALKEY, "valkey8"),
        (EngineVersion.REDIS_6_2, Engine.REDIS, "redis6.x"),
        (EngineVersion.REDIS_7_0, Engine.REDIS, "redis7"),
        (EngineVersion.REDIS_7_1, Engine.REDIS, "redis7"),
        (EngineVersion.MEMCACHED_1_6_22, Engine.MEMCACHED, "memcached1.6"),
        (EngineVersion.of("redis", "6.x"), Engine.REDIS, "redis6.x"),
        (EngineVersion.of(Engine.REDIS, "5.0.6"), Engine.REDIS, "redis5.0"),
        (EngineVersion.of("redis", "4.0.10"), Engine.REDIS, "redis4.0"),
        (EngineVersion.of("memcached", "1.5.16"), Engine.MEMCACHED, "memcached1.5"),
        (EngineVersion.VALKEY_8_2, Engine.VALKEY, "valkey8"),
        (EngineVersion.VALKEY_9_0, Engine.VALKEY, "valkey9"),
        (EngineVersion.VALKEY_9_1, Engine.VALKEY, "valkey9"),
        (EngineVersion.of("memcached", "1.4.5"), Engine.MEMCACHED, "memcached1.4"),
    ],
)
def test_family_is_derived_from_the_version(version: EngineVersion, engine: Engine, family: str) -> None:
    assert version.engine is engine
    assert version.family == family


def test_constants_carry_the_cloudformation_version_string() -> None:
    assert EngineVersion.VALKEY_8_1.version == "8.1"
    assert EngineVersion.REDIS_6_2.version == "6.2"
    assert str(EngineVersion.VALKEY_8_1) == "valkey 8.1"
    assert Engine.VALKEY == "valkey"


@pytest.mark.parametrize(
    ("version", "feature", "expected"),
    [
        (EngineVersion.VALKEY_7_2, "supports_rbac", True),
        (EngineVersion.of("redis", "5.0.6"), "supports_rbac", False),
        (EngineVersion.of("redis", "6.0"), "supports_rbac", True),
        (EngineVersion.REDIS_6_2, "supports_iam_auth", False),
        (EngineVersion.REDIS_7_0, "supports_iam_auth", True),
        (EngineVersion.REDIS_6_2, "supports_transit_encryption_mode", False),
        (EngineVersion.of("redis", "7.0.4"), "supports_transit_encryption_mode", False),
        (EngineVersion.of("redis", "7.0.5"), "supports_transit_encryption_mode", True),
        (EngineVersion.VALKEY_8_1, "supports_transit_encryption_mode", True),
        (EngineVersion.of("redis", "4.0.10"), "supports_transit_encryption", True),
        (EngineVersion.of("memcached", "1.6.6"), "supports_transit_encryption", False),
        (EngineVersion.MEMCACHED_1_6_12, "supports_transit_encryption", True),
        (EngineVersion.of("redis", "6.0"), "supports_data_tiering", False),
        (EngineVersion.REDIS_6_2, "supports_data_tiering", True),
        (EngineVersion.of("redis", "5.0.5"), "supports_global_datastore", False),
        (EngineVersion.of("redis", "5.0.6"), "supports_global_datastore", True),
        (EngineVersion.REDIS_7_0, "supports_serverless", False),
        (EngineVersion.REDIS_7_1, "supports_serverless", True),
        (EngineVersion.MEMCACHED_1_6_22, "supports_rbac", False),
        (EngineVersion.MEMCACHED_1_6_22, "supports_auth_token", False),
        (EngineVersion.MEMCACHED_1_6_22, "supports_cluster_mode", False),
        (EngineVersion.VALKEY_8_1, "supports_cluster_mode", True),
        (EngineVersion.VALKEY_8_1, "supports_durability", False),
        (EngineVersion.VALKEY_9_0, "supports_durability", True),
        (EngineVersion.VALKEY_9_1, "supports_durability", True),
        (EngineVersion.REDIS_7_1, "supports_durability", False),
        (EngineVersion.VALKEY_8_2, "supports_cluster_mode_databases", False),
        (EngineVersion.VALKEY_9_0, "supports_cluster_mode_databases", True),
        (EngineVersion.VALKEY_9_0, "supports_hash_field_expiration", True),
        (EngineVersion.VALKEY_8_1, "supports_vector_search", False),
        (EngineVersion.VALKEY_8_2, "supports_vector_search", True),
    ],
)
def test_features_follow_aws_version_rules(version: EngineVersion, feature: str, expected: bool) -> None:
    assert getattr(version, feature) is expected


@pytest.mark.parametrize(
    ("version", "log_types"),
    [
        (EngineVersion.of("redis", "5.0.6"), set()),
        (EngineVersion.of("redis", "6.0"), {"slow-log"}),
        (EngineVersion.REDIS_6_2, {"slow-log", "engine-log"}),
        (EngineVersion.VALKEY_7_2, {"slow-log", "engine-log"}),
        (EngineVersion.MEMCACHED_1_6_22, set()),
    ],
)
def test_log_types(version: EngineVersion, log_types: set[str]) -> None:
    assert set(version.log_types) == log_types


def test_node_limit_depends_on_version() -> None:
    assert EngineVersion.VALKEY_8_1.max_nodes_per_cluster == 500
    assert EngineVersion.of("redis", "5.0.5").max_nodes_per_cluster == 250


def test_token_version_needs_and_keeps_an_explicit_family() -> None:
    token = Token.as_string({"Ref": "EngineVersionParam"})
    v = EngineVersion.of("valkey", token, family="valkey8")
    assert v.family == "valkey8"
    assert v.supports_rbac  # unknown patch: left to CloudFormation


@pytest.mark.parametrize(
    ("engine", "version", "kwargs", "message"),
    [
        ("mongodb", "7.0", {}, r"engine: got 'mongodb'; allowed: valkey, redis, memcached"),
        ("redis", "seven", {}, r"engine_version: got 'seven'; must look like"),
        ("redis", "7.0.0.1", {}, r"engine_version: got '7.0.0.1'; must look like"),
        ("valkey", "7.0", {}, r"engine_version: got '7.0'; ElastiCache node-based caches offer valkey 7.2.0 or later"),
        # node-based caches offer Redis OSS 4.0.10 and later, Memcached 1.4.5 and later (supported-engine-versions)
        ("redis", "2.6.13", {}, r"engine_version: got '2.6.13'; ElastiCache node-based caches offer redis 4.0.10 or later"),
        ("redis", "3.2.10", {}, r"engine_version: got '3.2.10'; ElastiCache node-based caches offer redis 4.0.10 or later"),
        ("redis", "4.0.9", {}, r"engine_version: got '4.0.9'; ElastiCache node-based caches offer redis 4.0.10 or later"),
        ("memcached", "1.4.4", {}, r"ElastiCache node-based caches offer memcached 1.4.5 or later"),
        # only the versions ElastiCache lists
        ("redis", "7.2", {}, r"engine_version: got '7.2'; ElastiCache node-based caches offer redis 4.0.10, 5.0.0, "
                             r"5.0.3, 5.0.4, 5.0.5, 5.0.6, 6.0, 6.2, 7.0, 7.1"),
        ("redis", "5.0.2", {}, r"engine_version: got '5.0.2'; ElastiCache node-based caches offer redis"),
        ("redis", "6.1", {}, r"engine_version: got '6.1'; ElastiCache node-based caches offer redis"),
        ("valkey", "8.3", {}, r"engine_version: got '8.3'; ElastiCache node-based caches offer valkey 7.2, 8.0, 8.1, "
                              r"8.2, 9.0, 9.1"),
        ("valkey", "10.0", {}, r"engine_version: got '10.0'; ElastiCache node-based caches offer valkey"),
        ("memcached", "1.6.7", {}, r"engine_version: got '1.6.7'; ElastiCache node-based caches offer memcached 1.4.5"),
        ("memcached", "1.5.12", {}, r"engine_version: got '1.5.12'; ElastiCache node-based caches offer memcached"),
        ("redis", "7.1", {"family": "redis6.x"}, r"family: got 'redis6.x'; redis 7.1 uses parameter-group family 'redis7'"),
        # Explicit id: a token's text depends on how many tokens exist, which differs between xdist workers.
        pytest.param("valkey", Token.as_string({"Ref": "V"}), {}, r"a token version needs an explicit family=",
                     id="token-version"),
    ],
    ids=lambda v: "token" if "${Token" in str(v) else None,  # token ids differ between xdist workers
)
def test_invalid_engine_versions(engine: str, version: str, kwargs: dict[str, str], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        EngineVersion.of(engine, version, **kwargs)


@pytest.mark.parametrize(
    ("engine", "version"),
    [
        # the valid side of every version rule: lowest offered, patch forms, the family names CloudFormation accepts
        ("redis", "4.0.10"), ("redis", "5.0.0"), ("redis", "5.0.6"), ("redis", "6.x"), ("redis", "6.0"),
        ("redis", "6.2.6"), ("redis", "7.0.7"), ("redis", "7.1"), ("valkey", "7.2"), ("valkey", "7.2.6"),
        ("valkey", "8.2"), ("valkey", "9.0"), ("valkey", "9.1"), ("memcached", "1.4.5"), ("memcached", "1.4.34"),
        ("memcached", "1.5.10"), ("memcached", "1.6.6"), ("memcached", "1.6.22"), ("memcached", "1.6.29"),
    ],
)
def test_offered_versions_are_accepted(engine: str, version: str) -> None:
    assert EngineVersion.of(engine, version).version == version
