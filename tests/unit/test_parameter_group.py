"""ParameterGroup: family, eviction policy, cluster mode, extra parameters, and their rules."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from aws_cdk.assertions import Template

from elasticache_constructs import EngineVersion, EvictionPolicy, ParameterGroup, ValidationError

from .helpers import new_stack

PG = "AWS::ElastiCache::ParameterGroup"


@pytest.fixture(scope="module")
def built() -> dict[str, Any]:
    stack = new_stack()
    groups = {
        "params": ParameterGroup(stack, "Params", engine_version=EngineVersion.VALKEY_8_1,
                                 eviction_policy=EvictionPolicy.ALLKEYS_LRU,
                                 parameters={"maxmemory-samples": "10", "timeout": 300}),
        "cluster": ParameterGroup(stack, "Cluster", engine_version=EngineVersion.REDIS_7_1, cluster_mode=True,
                                  eviction_policy="noeviction", description="leaderboard"),
        "memcached": ParameterGroup(stack, "Mc", engine_version=EngineVersion.MEMCACHED_1_6_22,
                                    parameters={"max_item_size": "2097152"}),
        "bare": ParameterGroup(stack, "Bare", engine_version=EngineVersion.REDIS_6_2),
        # valid edges of the catalog: Valkey 9, the bounds of ranged parameters, a parameter newer than the catalog
        "valkey9": ParameterGroup(stack, "V9", engine_version=EngineVersion.VALKEY_9_0, cluster_mode=True,
                                  parameters={"timeout": 20, "reserved-memory-percent": "100", "databases": 1,
                                              "notify-keyspace-events": ""},
                                  unchecked_parameters={"search-new-knob": "on"}),
    }
    return {"stack": stack, "t": Template.from_stack(stack), "groups": groups}


def test_parameters_family_and_policy(built: dict[str, Any]) -> None:
    t = built["t"]
    t.has_resource_properties(PG, {"CacheParameterGroupFamily": "valkey8", "Properties": {
        "maxmemory-policy": "allkeys-lru", "maxmemory-samples": "10", "timeout": "300"}})
    t.has_resource_properties(PG, {"CacheParameterGroupFamily": "redis7", "Description": "leaderboard",
                                   "Properties": {"maxmemory-policy": "noeviction", "cluster-enabled": "yes"}})
    t.has_resource_properties(PG, {"CacheParameterGroupFamily": "memcached1.6",
                                   "Properties": {"max_item_size": "2097152"}})
    t.has_resource_properties(PG, {"CacheParameterGroupFamily": "valkey9", "Properties": {
        "timeout": "20", "reserved-memory-percent": "100", "databases": "1", "notify-keyspace-events": "",
        "search-new-knob": "on", "cluster-enabled": "yes"}})
    bare = next(r for k, r in t.find_resources(PG).items() if k.startswith("Bare"))
    assert bare["Properties"]["CacheParameterGroupFamily"] == "redis6.x" and "Properties" not in bare["Properties"]


def test_group_is_named_by_cloudformation_so_family_changes_never_block(built: dict[str, Any]) -> None:
    # AWS::ElastiCache::ParameterGroup has no name property: a family change creates a new group, moves the
    # cache to it and deletes the old one in cleanup, instead of failing on a fixed name "in use".
    for res in built["t"].find_resources(PG).values():
        assert set(res["Properties"]) <= {"CacheParameterGroupFamily", "Description", "Properties", "Tags"}
    g = built["groups"]["params"]
    assert built["stack"].resolve(g.parameter_group_name) == {"Ref": built["stack"].resolve(g.node.default_child.logical_id)}
    assert g.node.default_child.node.id == "Resource"


def test_attributes(built: dict[str, Any]) -> None:
    g = built["groups"]
    assert g["params"].family == "valkey8" and g["params"].eviction_policy is EvictionPolicy.ALLKEYS_LRU
    assert g["cluster"].cluster_mode is True and g["params"].cluster_mode is False
    assert g["bare"].eviction_policy is EvictionPolicy.VOLATILE_LRU  # ElastiCache's default
    assert g["memcached"].eviction_policy is None


def test_defaults_and_imports() -> None:
    d = ParameterGroup.default_for(EngineVersion.VALKEY_8_1, cluster_mode=True)
    assert d.parameter_group_name == "default.valkey8.cluster.on" and d.cluster_mode
    assert ParameterGroup.default_for(EngineVersion.REDIS_6_2).parameter_group_name == "default.redis6.x"
    imp = ParameterGroup.from_parameter_group_name("my-group", engine_version=EngineVersion.VALKEY_7_2)
    assert (imp.parameter_group_name, imp.family, imp.cluster_mode) == ("my-group", "valkey7", False)


_ids = itertools.count()
INVALID = [
    ("policy on memcached", dict(engine_version=EngineVersion.MEMCACHED_1_6_22, eviction_policy="allkeys-lru"),
     r"eviction_policy: got 'allkeys-lru'; memcached 1.6.22 has no eviction policy parameter"),
    ("cluster on memcached", dict(engine_version=EngineVersion.MEMCACHED_1_6_22, cluster_mode=True),
     r"cluster_mode: got True; memcached 1.6.22 has no cluster mode"),
    ("redis key on memcached", dict(engine_version=EngineVersion.MEMCACHED_1_6_22,
                                    parameters={"maxmemory-policy": "allkeys-lru"}),
     r"parameters\['maxmemory-policy'\]: got 'allkeys-lru'; memcached 1.6.22 has no 'maxmemory-policy' parameter"),
    ("policy in parameters", dict(engine_version=EngineVersion.VALKEY_8_1,
                                  parameters={"maxmemory-policy": "allkeys-lru"}),
     r"parameters\['maxmemory-policy'\]: got 'allkeys-lru'; set it with the eviction_policy= property instead"),
    ("bad policy in parameters", dict(engine_version=EngineVersion.VALKEY_8_1,
                                      parameters={"maxmemory-policy": "lru"}),
     r"parameters\['maxmemory-policy'\]: got 'lru'; allowed: noeviction, allkeys-lru"),
    ("cluster-enabled in parameters", dict(engine_version=EngineVersion.VALKEY_8_1,
                                           parameters={"cluster-enabled": "yes"}),
     r"parameters\['cluster-enabled'\]: got 'yes'; set it with the cluster_mode= property instead"),
    ("cluster-enabled bad value", dict(engine_version=EngineVersion.VALKEY_8_1,
                                       parameters={"cluster-enabled": "true"}),
     r"parameters\['cluster-enabled'\]: got 'true'; allowed: 'yes', 'no'"),
    ("bad eviction policy", dict(engine_version=EngineVersion.VALKEY_8_1, eviction_policy="random"),
     r"eviction_policy: got 'random'; allowed: noeviction"),
    ("empty key", dict(engine_version=EngineVersion.VALKEY_8_1, parameters={"": "1"}),
     r"parameters key: got ''; parameter names are non-empty strings"),
    ("bool value", dict(engine_version=EngineVersion.VALKEY_8_1, parameters={"activedefrag": True}),
     r"parameters\['activedefrag'\]: got True; parameter values are strings or whole numbers"),
    ("engine as string", dict(engine_version="valkey8"), r"engine_version: got 'valkey8'; pass an EngineVersion"),
    # the parameter catalog (parameters.json)
    ("typo in a name", dict(engine_version=EngineVersion.VALKEY_8_1, parameters={"maxmemory-sample": "10"}),
     r"parameters key: got 'maxmemory-sample'; valkey8 has no parameter 'maxmemory-sample'; did you mean "
     r"'maxmemory-samples'"),
    ("memcached name", dict(engine_version=EngineVersion.MEMCACHED_1_6_22, parameters={"max_item_sizes": "1048576"}),
     r"memcached1.6 has no parameter 'max_item_sizes'; did you mean 'max_item_size'"),
    ("value out of range", dict(engine_version=EngineVersion.REDIS_7_1, parameters={"reserved-memory-percent": 150}),
     r"parameters\['reserved-memory-percent'\]: got '150'; allowed: a whole number from 0 to 100"),
    ("timeout gap", dict(engine_version=EngineVersion.VALKEY_9_0, parameters={"timeout": 10}),
     r"parameters\['timeout'\]: got '10'; allowed: 0 or 20 or more"),
    ("not modifiable", dict(engine_version=EngineVersion.VALKEY_8_1, parameters={"appendonly": "yes"}),
     r"parameters\['appendonly'\]: got 'yes'; 'appendonly' is not modifiable in valkey8 parameter groups"),
    ("unchecked twice", dict(engine_version=EngineVersion.VALKEY_8_1, parameters={"timeout": 0},
                             unchecked_parameters={"timeout": 0}),
     r"unchecked_parameters key: got 'timeout'; set each parameter once"),
    ("unchecked managed", dict(engine_version=EngineVersion.VALKEY_8_1,
                               unchecked_parameters={"maxmemory-policy": "allkeys-lru"}),
     r"unchecked_parameters key: got 'maxmemory-policy'; set each parameter once"),
    ("unchecked bad shape", dict(engine_version=EngineVersion.VALKEY_8_1, unchecked_parameters={"x": 1.5}),
     r"unchecked_parameters\['x'\]: got 1.5; parameter values are strings or whole numbers"),
]


@pytest.mark.parametrize(("case", "kwargs", "message"), INVALID, ids=[c[0] for c in INVALID])
def test_invalid_parameter_groups(case: str, kwargs: dict[str, Any], message: str) -> None:
    stack = new_stack(id=f"Pg{next(_ids)}")
    with pytest.raises(ValidationError, match=message):
        ParameterGroup(stack, "Bad", **kwargs)
