"""Metric helpers, the alarm set and the dashboard: template assertions and every validation rule.

The stack is synthesized once. ``ServerlessLike`` / ``MemcachedLike`` are minimal constructs adopting
``CacheMetricsMixin`` the way the serverless and Memcached constructs do (one series, their own metric names), so
the mixin's contract is tested independently of those modules.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Template
from cfnlint.api import ManualArgs, lint_file
from constructs import Construct

from elasticache_constructs import (
    CacheAlarms,
    CacheDashboard,
    CacheMetricNames,
    CacheMetricsMixin,
    ReplicationGroup,
    ShardedReplicationGroup,
    ValidationError,
)
from elasticache_constructs.monitoring import MAX_METRICS_PER_ALARM

from .helpers import alarm_topic_findings, new_stack, new_vpc, synth_with_nag

ALARM = "AWS::CloudWatch::Alarm"
COMPOSITE = "AWS::CloudWatch::CompositeAlarm"


class ServerlessLike(CacheMetricsMixin, Construct):
    """One series, dimension ``clusterId``, serverless metric names."""

    metric_names = CacheMetricNames.SERVERLESS

    def metric_dimensions(self) -> dict[str, str]:
        return {"clusterId": "sessions-cache"}


class MemcachedLike(CacheMetricsMixin, Construct):
    """One series (the cluster aggregate), Memcached metric names."""

    metric_names = CacheMetricNames.MEMCACHED

    def metric_dimensions(self) -> dict[str, str]:
        return {"CacheClusterId": "pages"}


@pytest.fixture(scope="module")
def built() -> dict[str, Any]:
    stack = new_stack()
    vpc = new_vpc(stack)
    topic = sns.Topic(stack, "Topic")
    groups: dict[str, Any] = {
        "Sessions": ReplicationGroup(stack, "Sessions", vpc=vpc, replicas=2),
        "Board": ShardedReplicationGroup(stack, "Board", vpc=vpc, shards=2, replicas_per_shard=1,
                                         replication_group_id="board"),
        "Single": ReplicationGroup(stack, "Single", vpc=vpc, replicas=0),
        "Big": ShardedReplicationGroup(stack, "Big", vpc=vpc, shards=3, replicas_per_shard=2),
        "Serverless": ServerlessLike(stack, "Serverless"),
        "Memcached": MemcachedLike(stack, "Memcached"),
    }
    alarms = {
        "Sessions": groups["Sessions"].add_alarms(topic=topic),
        "Board": groups["Board"].add_alarms(
            hit_rate_percent_below=95, evictions_above=None, memory_percent_above=70, engine_cpu_percent_above=75,
            replication_lag_seconds_above=5, read_latency_microseconds_above=1000,
            write_latency_microseconds_above=None, connections_above=20000, period=cdk.Duration.minutes(2),
            evaluation_periods=3, datapoints_to_alarm=2,
        ),
        "Single": groups["Single"].add_alarms(),
        "Big": groups["Big"].add_alarms(topic=topic),
        "Serverless": CacheAlarms(stack, "ServerlessAlarms", cache=groups["Serverless"]),
        "Memcached": CacheAlarms(stack, "MemcachedAlarms", cache=groups["Memcached"]),
    }
    dashboard = CacheDashboard(stack, "Dashboard", caches=[groups["Sessions"], groups["Board"]])
    dashboard.add_cache(groups["Serverless"], title="Serverless sessions")
    shared = CacheDashboard.of(groups["Single"])
    shared.add_cache(groups["Single"])
    return {"stack": stack, "t": Template.from_stack(stack), "groups": groups, "alarms": alarms,
            "dashboard": dashboard, "shared": shared, "topic": topic}


def _resolve(stack: cdk.Stack, value: Any) -> Any:
    return stack.resolve(value)


def _alarm_props(built: dict[str, Any], alarms_key: str, kind: str, index: int = 0) -> dict[str, Any]:
    alarm = built["alarms"][alarms_key].metric_alarms[kind][index]
    logical = built["stack"].get_logical_id(alarm.node.default_child)
    return dict(built["t"].to_json()["Resources"][logical]["Properties"])


def _member(ref: str, suffix: str) -> dict[str, Any]:
    return {"Fn::Join": ["", [{"Ref": ref}, suffix]]}


# --- metric helpers -----------------------------------------------------------------------------------------
HELPERS = [
    # helper, metric name, per-node statistic, how nodes combine
    ("metric_evictions", "Evictions", "Sum", "SUM"),
    ("metric_memory_usage_percent", "DatabaseMemoryUsagePercentage", "Average", "MAX"),
    ("metric_engine_cpu_utilization", "EngineCPUUtilization", "Average", "MAX"),
    ("metric_current_connections", "CurrConnections", "Average", "SUM"),
    ("metric_replication_lag", "ReplicationLag", "Maximum", "MAX"),
    ("metric_read_latency", "GetTypeCmdsLatency", "Average", "MAX"),
    ("metric_write_latency", "SetTypeCmdsLatency", "Average", "MAX"),
]


@pytest.mark.parametrize(("helper", "name", "statistic", "combine"), HELPERS)
def test_group_helpers_are_math_over_every_member_cluster(
    built: dict[str, Any], helper: str, name: str, statistic: str, combine: str
) -> None:
    stack, sessions = built["stack"], built["groups"]["Sessions"]
    metric = getattr(sessions, helper)()
    assert isinstance(metric, cloudwatch.MathExpression)
    ids = list(metric.using_metrics)
    assert metric.expression == f"{combine}([{','.join(ids)}])"
    assert len(ids) == 3
    ref = stack.get_logical_id(sessions.resource)
    for n, key in enumerate(ids, start=1):
        m = metric.using_metrics[key]
        assert isinstance(m, cloudwatch.Metric)
        assert (m.namespace, m.metric_name, m.statistic) == ("AWS/ElastiCache", name, statistic)
        assert _resolve(stack, m.dimensions) == {"CacheClusterId": _member(ref, f"-{n:03d}")}
    assert metric.period.to_seconds() == 300


def test_hit_rate_is_hits_over_lookups_summed_over_members(built: dict[str, Any]) -> None:
    stack, sessions = built["stack"], built["groups"]["Sessions"]
    metric = sessions.metric_cache_hit_rate(period=cdk.Duration.minutes(1))
    assert isinstance(metric, cloudwatch.MathExpression)
    hits = "SUM([cachehits0,cachehits1,cachehits2])"
    misses = "SUM([cachemisses0,cachemisses1,cachemisses2])"
    assert metric.expression == f"100*{hits}/({hits}+{misses})"
    m = metric.using_metrics["cachemisses2"]
    assert isinstance(m, cloudwatch.Metric)
    assert (m.metric_name, m.statistic) == ("CacheMisses", "Sum")
    assert _resolve(stack, m.dimensions) == {"CacheClusterId": _member(stack.get_logical_id(sessions.resource), "-003")}
    assert metric.period.to_seconds() == 60


def test_sharded_member_ids_are_shard_then_node(built: dict[str, Any]) -> None:
    board = built["groups"]["Board"]
    stack = built["stack"]
    assert _resolve(stack, board.member_cluster_ids()) == [
        _member(stack.get_logical_id(board.resource), s) for s in ("-0001-001", "-0001-002", "-0002-001", "-0002-002")
    ]
    assert len(built["groups"]["Big"].member_cluster_ids()) == 9


def test_generic_metric_and_single_series_caches_return_plain_metrics(built: dict[str, Any]) -> None:
    sessions, serverless = built["groups"]["Sessions"], built["groups"]["Serverless"]
    net = sessions.metric("NetworkBytesIn", statistic="Sum", combine="SUM")
    assert isinstance(net, cloudwatch.MathExpression) and net.expression.startswith("SUM([networkbytesin0,")
    hit = serverless.metric_cache_hit_rate()
    assert isinstance(hit, cloudwatch.Metric)
    assert (hit.metric_name, hit.statistic, hit.dimensions) == ("CacheHitRate", "Average", {"clusterId": "sessions-cache"})
    read = serverless.metric_read_latency()
    assert isinstance(read, cloudwatch.Metric) and read.metric_name == "SuccessfulReadRequestLatency"
    memcached_hits = built["groups"]["Memcached"].metric_cache_hit_rate()
    assert isinstance(memcached_hits, cloudwatch.MathExpression)
    assert set(memcached_hits.using_metrics) == {"gethits0", "getmisses0"}
    assert built["groups"]["Memcached"].metric_engine_cpu_utilization().metric_name == "CPUUtilization"


# --- alarms -------------------------------------------------------------------------------------------------
def test_default_alarm_set_has_the_guide_thresholds_and_topic_actions(built: dict[str, Any]) -> None:
    expected = {
        # kind: (comparison, threshold, metric)
        "hit_rate": ("LessThanThreshold", 90, "CacheHits"),
        "evictions": ("GreaterThanThreshold", 0, "Evictions"),
        "memory_percent": ("GreaterThanThreshold", 80, "DatabaseMemoryUsagePercentage"),
        "engine_cpu": ("GreaterThanThreshold", 90, "EngineCPUUtilization"),
        "replication_lag": ("GreaterThanThreshold", 30, "ReplicationLag"),
        "read_latency": ("GreaterThanThreshold", 5000, "GetTypeCmdsLatency"),
        "write_latency": ("GreaterThanThreshold", 5000, "SetTypeCmdsLatency"),
    }
    assert set(built["alarms"]["Sessions"].alarms) == set(expected)
    topic_ref = {"Ref": built["stack"].get_logical_id(built["topic"].node.default_child)}
    for kind, (op, threshold, metric) in expected.items():
        p = _alarm_props(built, "Sessions", kind)
        assert (p["ComparisonOperator"], p["Threshold"]) == (op, threshold), kind
        assert (p["EvaluationPeriods"], p["DatapointsToAlarm"], p["TreatMissingData"]) == (5, 5, "notBreaching")
        stats = [q["MetricStat"] for q in p["Metrics"] if "MetricStat" in q]
        assert {s["Metric"]["MetricName"] for s in stats} >= {metric}
        assert {s["Period"] for s in stats} == {60}
        assert p["AlarmActions"] == [topic_ref] and p["OKActions"] == [topic_ref]
        assert "Test/Sessions" in p["AlarmDescription"]


def test_alarm_topic_policy_allows_this_accounts_cloudwatch_alarms(built: dict[str, Any]) -> None:
    """A topic policy replaces SNS's default one: without this Allow, alarms fire and SNS refuses the message."""
    stack, topic = built["stack"], built["topic"]
    assert built["alarms"]["Sessions"].topic_policy_managed and built["alarms"]["Big"].topic_policy_managed
    policies = [r for r in built["t"].find_resources("AWS::SNS::TopicPolicy").values()
                if r["Properties"]["Topics"] == [{"Ref": stack.get_logical_id(topic.node.default_child)}]]
    assert len(policies) == 1  # two alarm sets share the topic: one statement
    (statement,) = policies[0]["Properties"]["PolicyDocument"]["Statement"]
    assert statement == {
        "Sid": "AllowCloudWatchAlarmsToPublish",
        "Effect": "Allow",
        "Principal": {"Service": "cloudwatch.amazonaws.com"},
        "Action": "sns:Publish",
        "Resource": {"Ref": stack.get_logical_id(topic.node.default_child)},
        "Condition": {
            "StringEquals": {"aws:SourceAccount": "123456789012"},
            "ArnLike": {"aws:SourceArn": {"Fn::Join": ["", [
                "arn:", {"Ref": "AWS::Partition"}, ":cloudwatch:us-east-1:123456789012:alarm:*"]]}},
        },
    }


def test_an_imported_topic_is_left_alone_and_reported() -> None:
    stack = new_stack()
    group = ReplicationGroup(stack, "G", vpc=new_vpc(stack, azs=2))
    imported = sns.Topic.from_topic_arn(stack, "Ops", "arn:aws:sns:us-east-1:123456789012:ops")
    alarms = group.add_alarms(topic=imported)
    assert alarms.topic_policy_managed is False
    t = Template.from_stack(stack)
    t.resource_count_is("AWS::SNS::TopicPolicy", 0)
    assert all(r["Properties"]["AlarmActions"] == ["arn:aws:sns:us-east-1:123456789012:ops"]
               for r in t.find_resources(ALARM).values())


def test_custom_thresholds_disabled_alarms_and_windows(built: dict[str, Any]) -> None:
    board = built["alarms"]["Board"]
    assert set(board.alarms) == {"hit_rate", "memory_percent", "engine_cpu", "replication_lag", "read_latency",
                                 "connections"}
    got = {k: _alarm_props(built, "Board", k)["Threshold"] for k in board.alarms}
    assert got == {"hit_rate": 95, "memory_percent": 70, "engine_cpu": 75, "replication_lag": 5,
                   "read_latency": 1000, "connections": 20000}
    p = _alarm_props(built, "Board", "connections")
    assert (p["EvaluationPeriods"], p["DatapointsToAlarm"]) == (3, 2)
    assert {q["MetricStat"]["Period"] for q in p["Metrics"] if "MetricStat" in q} == {120}
    assert "AlarmActions" not in p
    # member ids always derive from the group's Ref (so alarms depend on the group), here with 2 shards x 2 nodes
    dims = [q["MetricStat"]["Metric"]["Dimensions"][0]["Value"] for q in p["Metrics"] if "MetricStat" in q]
    ref = built["stack"].get_logical_id(built["groups"]["Board"].resource)
    assert dims == [_member(ref, s) for s in ("-0001-001", "-0001-002", "-0002-001", "-0002-002")]


def test_no_replication_lag_alarm_without_replicas(built: dict[str, Any]) -> None:
    assert "replication_lag" not in built["alarms"]["Single"].alarms
    assert "replication_lag" not in built["groups"]["Single"].monitored_kinds()


def test_large_groups_split_into_alarms_of_at_most_ten_metrics_joined_by_a_composite(built: dict[str, Any]) -> None:
    big = built["alarms"]["Big"]
    # 9 members: hit rate uses 2 metrics per member -> chunks of 5 members; others fit 9 metrics in one alarm
    assert [len(big.metric_alarms[k]) for k in ("hit_rate", "engine_cpu")] == [2, 1]
    composite = big.alarms["hit_rate"]
    assert isinstance(composite, cloudwatch.CompositeAlarm)
    logical = built["stack"].get_logical_id(composite.node.default_child)
    c = built["t"].to_json()["Resources"][logical]["Properties"]
    rule = json.dumps(c["AlarmRule"])
    for alarm in big.metric_alarms["hit_rate"]:
        assert built["stack"].get_logical_id(alarm.node.default_child) in rule
        assert "AlarmActions" not in _alarm_props(built, "Big", "hit_rate", big.metric_alarms["hit_rate"].index(alarm))
    assert c["AlarmActions"] and c["OKActions"]
    for res in built["t"].find_resources(ALARM).values():
        stats = [q for q in res["Properties"].get("Metrics", []) if "MetricStat" in q]
        assert len(stats) <= MAX_METRICS_PER_ALARM


def test_single_series_caches_alarm_on_what_they_publish(built: dict[str, Any]) -> None:
    assert set(built["alarms"]["Serverless"].alarms) == {"hit_rate", "evictions", "read_latency", "write_latency"}
    (stat,) = [q["MetricStat"] for q in _alarm_props(built, "Serverless", "hit_rate")["Metrics"]]
    assert (stat["Metric"]["MetricName"], stat["Stat"], stat["Metric"]["Dimensions"]) == (
        "CacheHitRate", "Average", [{"Name": "clusterId", "Value": "sessions-cache"}]
    )
    assert set(built["alarms"]["Memcached"].alarms) == {"hit_rate", "evictions", "engine_cpu"}
    (cpu,) = [q["MetricStat"] for q in _alarm_props(built, "Memcached", "engine_cpu")["Metrics"]]
    assert cpu["Metric"]["MetricName"] == "CPUUtilization"


# --- dashboard ----------------------------------------------------------------------------------------------
def test_dashboard_has_a_row_of_graphs_per_cache(built: dict[str, Any]) -> None:
    logical = built["stack"].get_logical_id(built["dashboard"].dashboard.node.default_child)
    body = json.dumps(built["t"].to_json()["Resources"][logical]["Properties"]["DashboardBody"])
    for title in ("Cache hit rate (%)", "Memory used (%)", "Evictions", "Engine CPU (%)", "Current connections",
                  "Latency (microseconds)", "Replication lag (s)", "## Test/Sessions", "## Test/Board",
                  "## Serverless sessions"):
        assert title in body, title
    for metric in ("CacheHits", "DatabaseMemoryUsagePercentage", "EngineCPUUtilization", "CurrConnections",
                   "GetTypeCmdsLatency", "SetTypeCmdsLatency", "ReplicationLag", "SuccessfulReadRequestLatency",
                   "-0002-002"):
        assert metric in body, metric
    assert built["t"].to_json()["Resources"][logical]["Properties"].get("DashboardName") is None


def test_shared_dashboard_is_one_per_stack(built: dict[str, Any]) -> None:
    assert CacheDashboard.of(built["groups"]["Sessions"]) is built["shared"]
    assert built["shared"].node.path == "Test/CacheDashboard"
    assert len(built["t"].find_resources("AWS::CloudWatch::Dashboard")) == 2


# --- validation ---------------------------------------------------------------------------------------------
def _fresh() -> tuple[cdk.Stack, ReplicationGroup, ServerlessLike]:
    stack = new_stack()
    vpc = new_vpc(stack, azs=2)
    return stack, ReplicationGroup(stack, "G", vpc=vpc), ServerlessLike(stack, "S")


INVALID_ALARMS = [
    ({"hit_rate_percent_below": 0}, r"hit_rate_percent_below: got 0; must be a percentage above 0, at most 100"),
    ({"hit_rate_percent_below": 101}, r"hit_rate_percent_below: got 101; must be a percentage above 0, at most 100"),
    ({"hit_rate_percent_below": "90"}, r"hit_rate_percent_below: got '90'; must be a number"),
    ({"hit_rate_percent_below": True}, r"hit_rate_percent_below: got True; must be a number"),
    ({"evictions_above": -1}, r"evictions_above: got -1; must be 0 or more evictions per period"),
    ({"memory_percent_above": 100}, r"memory_percent_above: got 100; must be a percentage above 0, below 100"),
    ({"engine_cpu_percent_above": 0}, r"engine_cpu_percent_above: got 0; must be a percentage above 0, below 100"),
    ({"replication_lag_seconds_above": 0}, r"replication_lag_seconds_above: got 0; must be seconds above 0"),
    ({"read_latency_microseconds_above": -5}, r"read_latency_microseconds_above: got -5; must be microseconds above 0"),
    ({"connections_above": 70000}, r"connections_above: got 70000; must be above 0, at most 65000"),
    ({"period": cdk.Duration.seconds(30)}, r"period: got '30 seconds'; must be whole minutes"),
    ({"period": cdk.Duration.seconds(90)}, r"period: got '90 seconds'; must be whole minutes"),
    ({"evaluation_periods": 0}, r"evaluation_periods: got 0; must be a whole number of 1 or more"),
    ({"evaluation_periods": 25, "period": cdk.Duration.hours(1)},
     r"evaluation_periods: got 25; evaluation_periods x period \(25 x 3600 s\) must not exceed one day"),
    ({"datapoints_to_alarm": 6}, r"datapoints_to_alarm: got 6; must be 1 to evaluation_periods \(5\)"),
    ({"topic": "arn:aws:sns:us-east-1:123456789012:t"}, r"topic: got 'arn:aws:sns.*'; pass an sns.ITopic"),
]


@pytest.mark.parametrize(("options", "message"), INVALID_ALARMS)
def test_invalid_alarm_options(options: dict[str, Any], message: str) -> None:
    _, group, _ = _fresh()
    with pytest.raises(ValidationError, match=message):
        group.add_alarms(**options)
    assert group.node.try_find_child("Alarms") is None


INVALID_OTHER = [
    (lambda g, s: s.add_alarms(engine_cpu_percent_above=80),
     r"engine_cpu_percent_above: got 80; ServerlessLike does not publish engine cpu; leave it unset or pass None"),
    (lambda g, s: s.metric_engine_cpu_utilization(),
     r"metric_engine_cpu_utilization: ServerlessLike does not publish engine cpu \(available: metric_cache_hit_rate,"),
    (lambda g, s: g.metric("NetworkBytesIn", combine="MEDIAN"),
     r"combine: got 'MEDIAN'; allowed: 'MAX', 'MIN', 'SUM', 'AVG'"),
    (lambda g, s: CacheAlarms(g, "A", cache="my-cache"),  # type: ignore[arg-type]
     r"cache: got 'my-cache'; pass a cache construct with metric helpers"),
    (lambda g, s: CacheDashboard(g, "D", caches=[g, "x"]),  # type: ignore[list-item]
     r"caches: got 'x'; each must be a cache construct with metric helpers"),
    (lambda g, s: CacheDashboard(g, "D", period=cdk.Duration.seconds(10)),
     r"period: got '10 seconds'; must be whole minutes"),
    (lambda g, s: CacheDashboard(g, "D", caches=[g, g]), r"cache: got 'Test/G'; is already on this dashboard"),
    (lambda g, s: ReplicationGroup.from_replication_group_attributes(
        g, "Imported", replication_group_id="old", endpoint_address="old.example").metric_evictions(),
     r"metric_dimensions: got 'Test/G/Imported'; the member clusters of an imported replication group are unknown"),
]


@pytest.mark.parametrize(("call", "message"), INVALID_OTHER)
def test_invalid_metric_and_dashboard_use(call: Any, message: str) -> None:
    _, group, serverless = _fresh()
    with pytest.raises(ValidationError, match=message):
        call(group, serverless)


# --- the whole feature set passes cdk-nag, CDK validation and cfn-lint -------------------------------------
def test_stack_with_logs_scaling_alarms_and_dashboard_is_nag_and_lint_clean() -> None:
    def build(app: cdk.App) -> None:
        stack = new_stack(app, "Observed")
        vpc = new_vpc(stack)
        cdk.Validations.of(vpc).acknowledge(cdk.Acknowledgment(
            id="AwsSolutions-VPC7", reason="Test scaffolding VPC; flow logs belong to the app's network stack"))
        key = kms.Key(stack, "TopicKey", enable_key_rotation=True)
        topic = sns.Topic(stack, "Alerts", master_key=key, enforce_ssl=True)
        board = ShardedReplicationGroup(stack, "Board", vpc=vpc, shards=3, slow_log=True, engine_log=True)
        board.auto_scale_shards(min_capacity=2, max_capacity=6).scale_on_capacity(target_utilization_percent=60)
        board.add_alarms(topic=topic)
        sessions = ReplicationGroup(stack, "Sessions", vpc=vpc, replicas=2, slow_log=True)
        sessions.add_alarms(topic=topic)
        CacheDashboard(stack, "Dashboard", caches=[board, sessions])
        for group in (board, sessions):
            cdk.Validations.of(group).acknowledge(cdk.Acknowledgment(
                id="AwsSolutions-SMG4", reason="AUTH token rotation is an operator runbook step in this test"))

    assembly = synth_with_nag(build)  # raises on unacknowledged cdk-nag errors
    report = Path(assembly.directory) / "validation-report.json"
    if report.exists():
        reports = json.loads(report.read_text())["pluginReports"]
        assert [(r["pluginName"], r["violations"]) for r in reports if r["violations"]] == []
    stack = assembly.get_stack_by_name("Observed")
    matches = lint_file(Path(assembly.directory) / stack.template_file, config=ManualArgs(regions=["us-east-1"]))
    assert [str(m) for m in matches if m.rule.id.startswith("E")] == []
    key_policy = next(r for r in stack.template["Resources"].values() if r["Type"] == "AWS::KMS::Key")
    cloudwatch_statements = [st for st in key_policy["Properties"]["KeyPolicy"]["Statement"]
                             if st["Principal"] == {"Service": "cloudwatch.amazonaws.com"}]
    assert [sorted(st["Action"]) for st in cloudwatch_statements] == [["kms:Decrypt", "kms:GenerateDataKey*"]]
    # the encrypted, TLS-only topic both alarm sets share: one Allow for CloudWatch beside the Deny
    assert alarm_topic_findings(stack.template) == []
    (policy,) = [r for r in stack.template["Resources"].values() if r["Type"] == "AWS::SNS::TopicPolicy"]
    assert [s["Sid"] for s in policy["Properties"]["PolicyDocument"]["Statement"]] == [
        "AllowPublishThroughSSLOnly", "AllowCloudWatchAlarmsToPublish"]
    manifest = json.loads((Path(assembly.directory) / "manifest.json").read_text())
    warnings = [e for a in manifest["artifacts"].values() for es in a.get("metadata", {}).values() for e in es
                if e["type"] in ("aws:cdk:warning", "aws:cdk:error")]
    assert warnings == []


def test_mixin_first_in_the_bases_keeps_the_base_classes_dimensions() -> None:
    """The Memcached/serverless constructs define ``metric_dimensions`` on their own base class."""

    class Base(Construct):
        def metric_dimensions(self) -> dict[str, str]:
            return {"CacheClusterId": "pages"}

    class Adopted(CacheMetricsMixin, Base):
        metric_names = CacheMetricNames.MEMCACHED

    class Missing(CacheMetricsMixin, Construct):
        pass

    stack = new_stack()
    evictions = Adopted(stack, "A").metric_evictions()
    assert isinstance(evictions, cloudwatch.Metric) and evictions.dimensions == {"CacheClusterId": "pages"}
    with pytest.raises(NotImplementedError, match="Missing must implement metric_dimensions"):
        Missing(stack, "M").metric_evictions()
