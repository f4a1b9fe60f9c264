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
        (EngineVersion.of("redis", "4.0.9"), "supports_transit_encryption", False),
        (EngineVersion.of("redis", "4.0.10"), "supports_transit_encryption", True),
        (EngineVersion.of("redis", "3.2.4"), "supports_transit_encryption", False),
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
        ("valkey", "7.0", {}, r"engine_version: got '7.0'; ElastiCache offers valkey 7.2.0 or later"),
        ("redis", "2.6.13", {}, r"ElastiCache offers redis 2.8.0 or later"),
        ("redis", "7.1", {"family": "redis6.x"}, r"family: got 'redis6.x'; redis 7.1 uses parameter-group family 'redis7'"),
        # explicit id: a token's text (${Token[TOKEN.n]}) differs between xdist workers, which must collect alike
        pytest.param("valkey", Token.as_string({"Ref": "V"}), {}, r"a token version needs an explicit family=", id="valkey-token-version"),
    ],
)
def test_invalid_engine_versions(engine: str, version: str, kwargs: dict[str, str], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        EngineVersion.of(engine, version, **kwargs)
