"""Slow-log / engine-log delivery on both group constructs: template assertions and every validation rule."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk.assertions import Annotations, Match, Template

from elasticache_constructs import (
    Engine,
    EngineVersion,
    LogDelivery,
    LogFormat,
    LogType,
    ReplicationGroup,
    ShardedReplicationGroup,
    ValidationError,
)

from .helpers import new_stack, new_vpc

RG = "AWS::ElastiCache::ReplicationGroup"
LOG_GROUP = "AWS::Logs::LogGroup"


@pytest.fixture(scope="module")
def built() -> dict[str, Any]:
    stack = new_stack()
    vpc = new_vpc(stack)
    existing = logs.LogGroup.from_log_group_name(stack, "Existing", "/shared/elasticache")
    same_spec = LogDelivery.cloudwatch_logs(retention=logs.RetentionDays.ONE_WEEK)
    groups: dict[str, Any] = {
        "Both": ShardedReplicationGroup(stack, "Both", vpc=vpc, slow_log=True, engine_log=True),
        "Custom": ReplicationGroup(
            stack, "Custom", vpc=vpc,
            slow_log=existing,
            engine_log=LogDelivery.cloudwatch_logs(log_group_name="/cache/custom/engine", log_format="text",
                                                   retention=logs.RetentionDays.THREE_MONTHS,
                                                   removal_policy=cdk.RemovalPolicy.DESTROY),
        ),
        "Firehose": ReplicationGroup(stack, "Firehose", vpc=vpc,
                                     slow_log=LogDelivery.firehose("cache-slow-log", log_format=LogFormat.TEXT)),
        "SameSpec": ReplicationGroup(stack, "SameSpec", vpc=vpc, slow_log=same_spec, engine_log=same_spec),
        "SharedExisting": ReplicationGroup(stack, "SharedExisting", vpc=vpc, slow_log=existing, engine_log=existing),
        "Redis60": ReplicationGroup(stack, "Redis60", vpc=vpc, engine_version=EngineVersion.of(Engine.REDIS, "6.0"),
                                    slow_log=True),
        "Off": ReplicationGroup(stack, "Off", vpc=vpc),
    }
    return {"stack": stack, "t": Template.from_stack(stack), "groups": groups}


def _configs(built: dict[str, Any], name: str) -> list[dict[str, Any]]:
    group = built["groups"][name]
    logical = built["stack"].get_logical_id(group.resource)
    return list(built["t"].to_json()["Resources"][logical]["Properties"].get("LogDeliveryConfigurations", []))


def _log_group(built: dict[str, Any], log_group: Any) -> dict[str, Any]:
    return dict(built["t"].to_json()["Resources"][built["stack"].get_logical_id(log_group.node.default_child)])


def test_both_log_types_get_their_own_generated_log_group(built: dict[str, Any]) -> None:
    group = built["groups"]["Both"]
    stack = built["stack"]
    slow, engine = group.slow_log_group, group.engine_log_group
    assert slow is not None and engine is not None and slow is not engine
    assert _configs(built, "Both") == [
        {"DestinationDetails": {"CloudWatchLogsDetails": {"LogGroup": {"Ref": stack.get_logical_id(lg.node.default_child)}}},
         "DestinationType": "cloudwatch-logs", "LogFormat": "json", "LogType": log_type}
        for lg, log_type in ((slow, "slow-log"), (engine, "engine-log"))
    ]
    for lg, log_type in ((slow, "slow-log"), (engine, "engine-log")):
        res = _log_group(built, lg)
        assert res["Properties"] == {"LogGroupName": _vended_name("TestBoth63526C72", log_type), "RetentionInDays": 30}
        assert res["DeletionPolicy"] == "Retain"
    # construct ids (and so logical ids) are unchanged: only the name moved under /aws/vendedlogs/
    assert slow.node.path == "Test/Both/SlowLog" and engine.node.path == "Test/Both/EngineLog"


def _vended_name(unique_id: str, log_type: str) -> dict[str, Any]:
    """/aws/vendedlogs/elasticache/<group unique id>/<stack uuid>/<log type>: the stack uuid is the third
    '/'-separated part of AWS::StackId (arn:...:stack/<name>/<uuid>)."""
    uuid = {"Fn::Select": [2, {"Fn::Split": ["/", {"Ref": "AWS::StackId"}]}]}
    return {"Fn::Join": ["/", [f"/aws/vendedlogs/elasticache/{unique_id}", uuid, log_type]]}


def test_generated_names_are_under_the_vended_logs_prefix_and_distinct(built: dict[str, Any]) -> None:
    """CloudWatch Logs recommends /aws/vendedlogs/ for vended logs (one wildcard statement in the account's
    5120-character delivery resource policy instead of one per log group)."""
    names = []
    for resource in built["t"].find_resources(LOG_GROUP).values():
        name = resource["Properties"]["LogGroupName"]
        if isinstance(name, dict):
            parts = name["Fn::Join"][1]
            assert parts[0].startswith("/aws/vendedlogs/elasticache/")
            names.append((parts[0], parts[2]))
    assert len(names) == 5 and len(set(names)) == 5  # Both x2, SameSpec x2, Redis60: one per group and type


def test_explicit_name_outside_the_prefix_is_a_warning(built: dict[str, Any]) -> None:
    warnings = Annotations.from_stack(built["stack"]).find_warning("*", Match.string_like_regexp("not under /aws/vendedlogs/"))
    assert [w.id for w in warnings] == ["/Test/Custom/EngineLog"]
    assert "5120 characters" in str(warnings[0].entry.data)


def test_existing_and_named_log_groups_text_format_and_retention(built: dict[str, Any]) -> None:
    slow, engine = _configs(built, "Custom")
    assert slow["DestinationDetails"] == {"CloudWatchLogsDetails": {"LogGroup": "/shared/elasticache"}}
    assert (slow["LogType"], slow["LogFormat"]) == ("slow-log", "json")
    assert (engine["LogType"], engine["LogFormat"]) == ("engine-log", "text")
    res = _log_group(built, built["groups"]["Custom"].engine_log_group)
    assert res["Properties"] == {"LogGroupName": "/cache/custom/engine", "RetentionInDays": 90}
    assert res["DeletionPolicy"] == "Delete"


def test_firehose_destination(built: dict[str, Any]) -> None:
    assert _configs(built, "Firehose") == [{
        "DestinationDetails": {"KinesisFirehoseDetails": {"DeliveryStream": "cache-slow-log"}},
        "DestinationType": "kinesis-firehose", "LogFormat": "text", "LogType": "slow-log",
    }]
    assert built["groups"]["Firehose"].slow_log_group is None
    assert built["groups"]["Firehose"].log_deliveries[LogType.SLOW_LOG].delivery.delivery_stream_name == "cache-slow-log"


def test_one_spec_for_both_types_still_creates_two_log_groups(built: dict[str, Any]) -> None:
    group = built["groups"]["SameSpec"]
    assert group.slow_log_group is not group.engine_log_group
    for lg in (group.slow_log_group, group.engine_log_group):
        assert _log_group(built, lg)["Properties"]["RetentionInDays"] == 7


def test_an_existing_log_group_may_take_both_types(built: dict[str, Any]) -> None:
    """ElastiCache writes each type to its own stream (elasticache/<engine>/<cluster>/<node>/<log-type>)."""
    configs = _configs(built, "SharedExisting")
    assert [c["LogType"] for c in configs] == ["slow-log", "engine-log"]
    assert {c["DestinationDetails"]["CloudWatchLogsDetails"]["LogGroup"] for c in configs} == {"/shared/elasticache"}


def test_redis_6_0_slow_log_and_default_off(built: dict[str, Any]) -> None:
    assert [c["LogType"] for c in _configs(built, "Redis60")] == ["slow-log"]
    assert _configs(built, "Off") == []
    assert built["groups"]["Off"].log_deliveries == {}
    # 2 (Both) + 1 (Custom) + 2 (SameSpec) + 1 (Redis60) log groups are created; existing ones are not
    assert len(built["t"].find_resources(LOG_GROUP)) == 6


def test_a_key_of_the_app_lets_cloudwatch_logs_encrypt_that_log_group_only() -> None:
    """CreateLogGroup with a KMS key fails unless the key policy allows logs.<region>.amazonaws.com, scoped by the
    kms:EncryptionContext:aws:logs:arn condition (CloudWatch Logs, "Encrypt log data using AWS KMS")."""
    stack = new_stack()
    key = kms.Key(stack, "LogKey", enable_key_rotation=True)
    group = ReplicationGroup(stack, "G", vpc=new_vpc(stack, azs=2),
                             slow_log=LogDelivery.cloudwatch_logs(encryption_key=key))
    t = Template.from_stack(stack).to_json()
    (key_res,) = [r for r in t["Resources"].values() if r["Type"] == "AWS::KMS::Key"]
    (logs_statement,) = [s for s in key_res["Properties"]["KeyPolicy"]["Statement"]
                         if s["Principal"] == {"Service": "logs.us-east-1.amazonaws.com"}]
    assert sorted(logs_statement["Action"]) == ["kms:Decrypt*", "kms:Describe*", "kms:Encrypt*",
                                                "kms:GenerateDataKey*", "kms:ReEncrypt*"]
    arn = json.dumps(logs_statement["Condition"]["ArnEquals"]["kms:EncryptionContext:aws:logs:arn"])
    assert ":logs:us-east-1:123456789012:log-group:" in arn and "/aws/vendedlogs/elasticache/TestG" in arn
    lg = t["Resources"][stack.get_logical_id(group.slow_log_group.node.default_child)]
    assert lg["Properties"]["KmsKeyId"] == {"Fn::GetAtt": [stack.get_logical_id(key.node.default_child), "Arn"]}


INVALID = [
    ({"engine_version": EngineVersion.of(Engine.REDIS, "6.0"), "engine_log": True},
     r"engine_log: got 'engine-log'; redis 6.0 cannot deliver engine-log .*this version offers: slow-log"),
    ({"engine_version": EngineVersion.of(Engine.REDIS, "5.0.6"), "slow_log": True},
     r"slow_log: got 'slow-log'; redis 5.0.6 cannot deliver slow-log .*this version offers: none"),
    ({"slow_log": "yes"}, r"slow_log: got 'yes'; pass True \(new log group\), a logs.ILogGroup"),
    ({"engine_log": 1}, r"engine_log: got 1; pass True"),
    ({"slow_log": LogDelivery.cloudwatch_logs(log_group_name="/cache/logs"),
      "engine_log": LogDelivery.cloudwatch_logs(log_group_name="/cache/logs")},
     r"engine_log: got '/cache/logs'; slow_log and engine_log would create two log groups with the same name"),
]


@pytest.mark.parametrize(("options", "message"), INVALID)
def test_invalid_group_log_options(options: dict[str, Any], message: str) -> None:
    stack = new_stack()
    vpc = new_vpc(stack, azs=2)
    with pytest.raises(ValidationError, match=message):
        ReplicationGroup(stack, "G", vpc=vpc, **options)
    assert stack.node.try_find_child("G") is None


INVALID_SPECS = [
    (lambda: LogDelivery.cloudwatch_logs(log_format="xml"), r"log_format: got 'xml'; allowed: 'json', 'text'"),
    (lambda: LogDelivery.firehose("s", log_format="csv"), r"log_format: got 'csv'; allowed: 'json', 'text'"),
    (lambda: LogDelivery.cloudwatch_logs(log_group_name="cache logs!"),
     r"log_group_name: got 'cache logs!'; must be 1-512 letters, digits or the characters _ - / \. #"),
    (lambda: LogDelivery.cloudwatch_logs(log_group_name="aws/elasticache"),
     r"log_group_name: got 'aws/elasticache'; names starting with 'aws/' are reserved by AWS"),
    (lambda: LogDelivery.cloudwatch_logs(logs.LogGroup.from_log_group_name(new_stack(), "L", "/x"),
                                         log_group_name="/y"),
     r"log_group_name: got '/y'; applies to a new log group; it cannot be combined with an existing log_group"),
    (lambda: LogDelivery.cloudwatch_logs("my-log-group"),  # type: ignore[arg-type]
     r"log_group: got 'my-log-group'; pass a logs.ILogGroup, or None for a new log group"),
    (lambda: LogDelivery.cloudwatch_logs(retention=30),  # type: ignore[arg-type]
     r"retention: got 30; pass a logs.RetentionDays"),
    (lambda: LogDelivery.firehose("bad name"),
     r"delivery_stream: got 'bad name'; pass a Firehose stream name \(1-64 letters, digits, _ \. -\)"),
    (lambda: LogDelivery.firehose("x" * 65), r"delivery_stream: got 'x{65}'; pass a Firehose stream name"),
]


@pytest.mark.parametrize(("make", "message"), INVALID_SPECS)
def test_invalid_log_delivery_specs(make: Any, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        make()
