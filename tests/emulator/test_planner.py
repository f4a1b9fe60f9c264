"""Template -> plan, without starting anything: intrinsics, secrets, slots, access strings, cluster-mode detection,
node type memory, and resources that cannot be emulated (listed with the reason, never skipped silently)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest

from elasticache_local.acl import parse_access_string
from elasticache_local.assembly import Assembly, StackTemplate, load_assembly
from elasticache_local.errors import EmulatorError
from elasticache_local.intrinsics import parse_secret_reference
from elasticache_local.model import even_slots, parse_slots
from elasticache_local.nodetypes import local_maxmemory, local_table
from elasticache_local.planner import World, build_plan
from elasticache_local.secrets_store import PUNCTUATION, generate_password, secret_string_for

from .conftest import TEMPLATES


def _world(resources: dict[str, Any], **extra: Any) -> World:
    template = {"Resources": resources, **extra}
    return World(Assembly(Path("."), [StackTemplate("S", template, "eu-central-1", "210987654321")]))


# ------------------------------------------------------------------------------------------------ intrinsics
@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ({"Fn::Join": ["-", ["a", {"Ref": "AWS::Region"}, "b"]]}, "a-eu-central-1-b"),
        ({"Fn::Select": [1, {"Fn::Split": [",", "x,y,z"]}]}, "y"),
        ({"Fn::Sub": "${AWS::AccountId}/${Name}/${!Literal}"}, "210987654321/web/${Literal}"),
        ({"Fn::Sub": ["${A}-${B}", {"A": "1", "B": {"Ref": "Name"}}]}, "1-web"),
        ({"Fn::FindInMap": ["Sizes", "web", "node"]}, "cache.t4g.micro"),
        ({"Fn::If": ["Big", "large", "small"]}, "small"),
        ({"Fn::If": ["NotBig", "yes", "no"]}, "yes"),
        ({"Fn::If": ["Both", "yes", "no"]}, "no"),
        ({"Fn::GetAZs": ""}, ["eu-central-1a", "eu-central-1b", "eu-central-1c"]),
        ({"Ref": "AWS::Partition"}, "aws"),
        ({"Fn::ToJsonString": {"a": [1, True]}}, '{"a":[1,true]}'),
        ({"Fn::Base64": "hi"}, "aGk="),
    ],
)
def test_intrinsics(expr: Any, expected: Any) -> None:
    world = _world(
        {},
        Parameters={"Name": {"Type": "String", "Default": "web"}, "Size": {"Type": "String", "Default": "s"}},
        Mappings={"Sizes": {"web": {"node": "cache.t4g.micro"}}},
        Conditions={
            "Big": {"Fn::Equals": [{"Ref": "Size"}, "l"]},
            "NotBig": {"Fn::Not": [{"Condition": "Big"}]},
            "Both": {"Fn::And": [{"Condition": "Big"}, {"Condition": "NotBig"}]},
        },
    )
    assert world.resolvers["S"].resolve(expr) == expected


def test_unsupported_function_is_a_visible_placeholder_and_a_warning() -> None:
    world = _world({})
    value = world.resolvers["S"].resolve({"Fn::Cidr": ["10.0.0.0/16", 4, 8]})
    assert value == "<unresolved:Fn::Cidr>"
    assert any("Fn::Cidr is not supported locally" in w for w in world.warnings)


def test_malformed_function_is_a_placeholder_not_a_crash() -> None:
    world = _world({})
    assert world.resolvers["S"].resolve({"Fn::Select": [7]}) == "<unresolved:Fn::Select>"
    assert any("malformed Fn::Select" in w for w in world.warnings)


def test_aws_novalue_removes_the_property() -> None:
    world = _world({})
    assert world.resolvers["S"].resolve({"A": {"Ref": "AWS::NoValue"}, "B": [1, {"Ref": "AWS::NoValue"}]}) == {
        "B": [1]
    }


@pytest.mark.parametrize(
    ("rest", "expected"),
    [
        ("arn:aws:secretsmanager:us-east-1:1:secret:tok-AbCdEf:SecretString:::", ("arn:aws:secretsmanager:us-east-1:1:secret:tok-AbCdEf", None)),
        ("arn:aws:secretsmanager:us-east-1:1:secret:tok-AbCdEf:SecretString:password::", ("arn:aws:secretsmanager:us-east-1:1:secret:tok-AbCdEf", "password")),
        ("my-secret:SecretString:token", ("my-secret", "token")),
        ("my-secret", ("my-secret", None)),
    ],
)
def test_secret_dynamic_reference_parsing(rest: str, expected: tuple[str, str | None]) -> None:
    assert parse_secret_reference(rest) == expected


# ------------------------------------------------------------------------------------------------ secrets
def test_generated_password_respects_the_spec() -> None:
    for _ in range(20):
        pw = generate_password({"PasswordLength": 40, "ExcludeCharacters": "abcXYZ019", "ExcludePunctuation": True})
        assert len(pw) == 40
        assert not set(pw) & set("abcXYZ019" + PUNCTUATION)
        assert any(c.islower() for c in pw) and any(c.isupper() for c in pw) and any(c.isdigit() for c in pw)


def test_secret_string_template_produces_json() -> None:
    value = secret_string_for({"GenerateSecretString": {
        "SecretStringTemplate": json.dumps({"username": "app"}), "GenerateStringKey": "password", "PasswordLength": 16,
    }})
    doc = json.loads(value)
    assert doc["username"] == "app" and len(doc["password"]) == 16


def test_auth_token_and_output_see_the_same_secret_value() -> None:
    world = _world({
        "Tok": {"Type": "AWS::SecretsManager::Secret", "Properties": {"GenerateSecretString": {"PasswordLength": 30}}},
        "G": {"Type": "AWS::ElastiCache::ReplicationGroup", "Properties": {
            "AuthToken": {"Fn::Join": ["", ["{{resolve:secretsmanager:", {"Ref": "Tok"}, ":SecretString:::}}"]]},
        }},
    })
    plan = build_plan(world)
    arn = world.ref("S", "Tok")
    assert arn.startswith("arn:aws:secretsmanager:eu-central-1:210987654321:secret:")
    assert plan.redis[0].auth_token == world.store.value(arn)
    assert len(plan.redis[0].auth_token or "") == 30


# ------------------------------------------------------------------------------------------------ slots, ACL
@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("abc", "must look like '0-5460'"),
        ("0-16384", "must look like '0-5460'"),
        ("10-5", "must look like '0-5460'"),
    ],
)
def test_bad_slot_ranges(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_slots(text, "X")


@pytest.mark.parametrize("shards", [1, 2, 3, 5, 7, 500])
def test_even_slot_split_covers_every_slot_once(shards: int) -> None:
    ranges = [r for group in even_slots(shards) for r in group]
    assert ranges[0][0] == 0 and ranges[-1][1] == 16383
    assert all(a[1] + 1 == b[0] for a, b in itertools.pairwise(ranges))
    assert even_slots(3) == [[(0, 5460)], [(5461, 10922)], [(10923, 16383)]]


@pytest.mark.parametrize(
    ("access", "message"),
    [
        ("on >secret ~* +@all", "must not contain passwords"),
        ("on ~* +@all banana", "rule 'banana' is not Redis ACL syntax"),
        ("on (~x +get", "unbalanced"),
    ],
)
def test_bad_access_strings(access: str, message: str) -> None:
    with pytest.raises(EmulatorError, match=message):
        parse_access_string(access, where="S/User")


def test_access_string_keeps_selectors_whole() -> None:
    assert parse_access_string("on ~a:* +get (~b:* +set) -@dangerous", where="x") == [
        "on", "~a:*", "+get", "(~b:* +set)", "-@dangerous",
    ]


# ------------------------------------------------------------------------------------------------ cluster mode
@pytest.mark.parametrize(
    ("props", "params", "cluster"),
    [
        ({}, None, False),
        ({"ClusterMode": "enabled"}, None, True),
        ({"NumNodeGroups": 3}, None, True),
        ({"NumNodeGroups": 1}, None, False),
        ({"CacheParameterGroupName": "default.redis7.cluster.on"}, None, True),
        ({"CacheParameterGroupName": "default.redis7"}, None, False),
        ({"CacheParameterGroupName": {"Ref": "P"}}, {"cluster-enabled": "yes"}, True),
        ({"CacheParameterGroupName": {"Ref": "P"}, "NumNodeGroups": 1}, {"cluster-enabled": "yes"}, True),
        ({"CacheParameterGroupName": {"Ref": "P"}}, {"cluster-enabled": "no"}, False),
    ],
)
def test_cluster_mode_detection(props: dict[str, Any], params: dict[str, str] | None, cluster: bool) -> None:
    resources: dict[str, Any] = {"G": {"Type": "AWS::ElastiCache::ReplicationGroup", "Properties": props}}
    if params is not None:
        resources["P"] = {"Type": "AWS::ElastiCache::ParameterGroup", "Properties": {"Properties": params}}
    (plan,) = build_plan(_world(resources)).redis
    assert plan.cluster_mode is cluster


def test_replica_counts() -> None:
    world = _world({
        "A": {"Type": "AWS::ElastiCache::ReplicationGroup", "Properties": {"NumCacheClusters": 4}},
        "B": {"Type": "AWS::ElastiCache::ReplicationGroup", "Properties": {"ReplicasPerNodeGroup": 2}},
        "C": {"Type": "AWS::ElastiCache::ReplicationGroup", "Properties": {
            "NumNodeGroups": 2, "NodeGroupConfiguration": [{"ReplicaCount": 0}, {"ReplicaCount": 2}]}},
    })
    plans = {p.logical_id: p for p in build_plan(world).redis}
    assert plans["A"].node_count == 4 and not plans["A"].cluster_mode
    assert plans["B"].node_count == 3
    assert [s.replicas for s in plans["C"].shards] == [0, 2] and plans["C"].node_count == 4


# ------------------------------------------------------------------------------------------------ not emulated
def test_resources_that_cannot_be_emulated_are_listed_with_the_reason() -> None:
    plan = build_plan(World(load_assembly(TEMPLATES / "unsupported")))
    reasons = {s.logical_id: s.reason for s in plan.skipped}
    assert "1 of 16384 slots are not assigned (first: 8001)" in reasons["GapSlots"]
    assert "maxmemory-policy 'lru-please' is not one of volatile-lru" in reasons["BadPolicy"]
    assert "user group somebody-elses-group is not in the templates" in reasons["ImportedUsers"]
    assert reasons["Migration"] == "resource type not supported by the emulator"
    assert [p.logical_id for p in plan.redis] == ["Fine"]  # the rest still runs
    assert plan.other_resources == {"Odd": {"AWS::SNS::Topic": 1}}


def test_cluster_mode_global_secondary_is_not_emulated() -> None:
    world = _world({
        "P": {"Type": "AWS::ElastiCache::ReplicationGroup", "Properties": {"ReplicationGroupId": "p", "NumNodeGroups": 2}},
        "G": {"Type": "AWS::ElastiCache::GlobalReplicationGroup", "Properties": {
            "GlobalReplicationGroupIdSuffix": "g", "Members": [{"ReplicationGroupId": "p", "Role": "PRIMARY"}]}},
        "S": {"Type": "AWS::ElastiCache::ReplicationGroup", "Properties": {
            "GlobalReplicationGroupId": "ldgnf-g", "NumNodeGroups": 2}},
    })
    plan = build_plan(world)
    assert [p.logical_id for p in plan.redis] == ["P"]
    assert "REPLICAOF is refused in cluster mode" in plan.skipped[0].reason


# ------------------------------------------------------------------------------------------------ node types
def test_node_type_table_matches_the_construct_library() -> None:
    node_type = pytest.importorskip("elasticache_constructs").NodeType
    catalog = {n.name: n.memory_gib for n in node_type.catalog()}
    assert local_table() == catalog


@pytest.mark.parametrize(("gib", "mib"), [(13.07, 13.07), (0.5, 8.0), (52.82, 52.82), (None, 64.0)])
def test_maxmemory_scale(gib: float | None, mib: float) -> None:
    assert local_maxmemory(gib) == round(mib * 1024 * 1024)


def test_missing_assembly_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(EmulatorError, match=r"--assembly .*no manifest\.json there"):
        load_assembly(tmp_path)
