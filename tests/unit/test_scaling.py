"""Application Auto Scaling of ShardedReplicationGroup shards and replicas: template assertions and every
validation rule (AWS's documented prerequisites, capacity bounds, targets)."""

from __future__ import annotations

import itertools
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk.assertions import Annotations, Match, Template

from elasticache_constructs import (
    Engine,
    EngineVersion,
    GlobalDatastore,
    NodeType,
    ReplicationGroup,
    ShardedReplicationGroup,
    ValidationError,
)
from elasticache_constructs.scaling import (
    REPLICAS_DIMENSION,
    SEVERAL_TRACKING_METRICS_WARNING,
    SHARDS_DIMENSION,
    tracking_policies,
)

from .helpers import new_stack, new_vpc

TARGET = "AWS::ApplicationAutoScaling::ScalableTarget"
POLICY = "AWS::ApplicationAutoScaling::ScalingPolicy"
SLR = (
    ":iam::123456789012:role/aws-service-role/elasticache.application-autoscaling.amazonaws.com/"
    "AWSServiceRoleForApplicationAutoScaling_ElastiCacheRG"
)


@pytest.fixture(scope="module")
def built() -> dict[str, Any]:
    stack = new_stack()
    vpc = new_vpc(stack)
    board = ShardedReplicationGroup(stack, "Board", vpc=vpc, shards=3, replicas_per_shard=1)
    shards = board.auto_scale_shards(min_capacity=2, max_capacity=10)
    shards.scale_on_cpu(target_utilization_percent=45, scale_in_cooldown=cdk.Duration.minutes(10),
                        scale_out_cooldown=cdk.Duration.minutes(2))
    shards.scale_on_memory(disable_scale_in=True)
    replicas = board.auto_scale_replicas(min_capacity=1, max_capacity=3)
    replicas.scale_on_cpu(target_utilization_percent=70)
    tiered = ShardedReplicationGroup(stack, "Tiered", vpc=vpc, shards=2, node_type=NodeType.R6GD_XLARGE,
                                     data_tiering=True)
    tiered.auto_scale_shards(min_capacity=1, max_capacity=4).scale_on_capacity(target_utilization_percent=35)
    redis = ShardedReplicationGroup(stack, "Redis", vpc=vpc, shards=1, replicas_per_shard=0, multi_az=False,
                                    engine_version=EngineVersion.of(Engine.REDIS, "6.2"), node_type=NodeType.M5_2XLARGE)
    redis.auto_scale_replicas(min_capacity=0, max_capacity=5)
    return {"stack": stack, "t": Template.from_stack(stack).to_json(), "board": board, "tiered": tiered,
            "redis": redis}


def _props(built: dict[str, Any], construct: Any) -> dict[str, Any]:
    logical = built["stack"].get_logical_id(construct.node.default_child)
    return dict(built["t"]["Resources"][logical]["Properties"])


def test_shard_and_replica_targets_use_the_service_linked_role(built: dict[str, Any]) -> None:
    board, stack = built["board"], built["stack"]
    ref = {"Ref": stack.get_logical_id(board.resource)}
    for scaling, dimension, low, high in (
        (board.shard_auto_scaling, "elasticache:replication-group:NodeGroups", 2, 10),
        (board.replica_auto_scaling, "elasticache:replication-group:Replicas", 1, 3),
    ):
        p = _props(built, scaling.scalable_target)
        assert p["ServiceNamespace"] == "elasticache"
        assert p["ScalableDimension"] == dimension
        assert (p["MinCapacity"], p["MaxCapacity"]) == (low, high)
        assert p["ResourceId"] == {"Fn::Join": ["", ["replication-group/", ref]]}
        assert p["RoleARN"] == {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, SLR]]}
    types = {r["Type"] for r in built["t"]["Resources"].values()}
    assert "AWS::IAM::Role" not in types and "AWS::IAM::Policy" not in types


def test_target_tracking_policies(built: dict[str, Any]) -> None:
    board = built["board"]
    cpu = _props(built, board.shard_auto_scaling.policies["PrimaryCpu"])
    assert cpu["PolicyType"] == "TargetTrackingScaling"
    assert cpu["TargetTrackingScalingPolicyConfiguration"] == {
        "PredefinedMetricSpecification": {"PredefinedMetricType": "ElastiCachePrimaryEngineCPUUtilization"},
        "TargetValue": 45, "ScaleInCooldown": 600, "ScaleOutCooldown": 120,
    }
    memory = _props(built, board.shard_auto_scaling.policies["Memory"])
    assert memory["TargetTrackingScalingPolicyConfiguration"] == {
        "PredefinedMetricSpecification": {
            "PredefinedMetricType": "ElastiCacheDatabaseMemoryUsageCountedForEvictPercentage"},
        "TargetValue": 60, "DisableScaleIn": True,
    }
    replica = _props(built, board.replica_auto_scaling.policies["ReplicaCpu"])
    assert replica["TargetTrackingScalingPolicyConfiguration"] == {
        "PredefinedMetricSpecification": {"PredefinedMetricType": "ElastiCacheReplicaEngineCPUUtilization"},
        "TargetValue": 70,
    }
    capacity = _props(built, built["tiered"].shard_auto_scaling.policies["Capacity"])
    assert capacity["TargetTrackingScalingPolicyConfiguration"]["PredefinedMetricSpecification"] == {
        "PredefinedMetricType": "ElastiCacheDatabaseCapacityUsageCountedForEvictPercentage"}
    assert len([r for r in built["t"]["Resources"].values() if r["Type"] == POLICY]) == 4
    assert len([r for r in built["t"]["Resources"].values() if r["Type"] == TARGET]) == 4


def test_metrics_cover_the_members_auto_scaling_may_add(built: dict[str, Any]) -> None:
    board = built["board"]
    members = board.member_cluster_ids()
    assert len(members) == 10 * (3 + 1)  # max shards x (max replicas + primary)
    assert built["stack"].resolve(members[-1]) == {
        "Fn::Join": ["", [{"Ref": built["stack"].get_logical_id(board.resource)}, "-0010-004"]]}
    # a group with no replicas today but replica auto scaling up to 5 has replication lag to watch
    assert "replication_lag" in built["redis"].monitored_kinds()


def test_several_tracking_policies_warn_with_the_documented_reason(built: dict[str, Any]) -> None:
    """ElastiCache's best practices: "Use just one tracking metric" and "avoid multiple policies per dimension"."""
    annotations = Annotations.from_stack(built["stack"])
    warnings = annotations.find_warning("*", Match.string_like_regexp("target-tracking policies"))
    # Board: shard CPU, then shard memory (2 on one dimension), then replica CPU (both dimensions)
    texts = [str(w.entry.data) for w in warnings]
    assert [w.id for w in warnings] == ["/Test/Board/ShardScaling", "/Test/Board/ReplicaScaling"]
    assert "2 target-tracking policies (shards:PrimaryCpu, shards:Memory) - several policies on one dimension" in texts[0]
    assert ("3 target-tracking policies (shards:PrimaryCpu, shards:Memory, replicas:ReplicaCpu) - shard and replica "
            "policies together") in texts[1]
    for text in texts:
        assert "scales out if any policy asks but in only if all do" in text
        assert "https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/AutoScaling.html" in text
        assert "[ack: elasticache-constructs:autoScalingOneTrackingMetric]" in text
    # one policy per group (Tiered: capacity on shards) is the recommended set-up: no warning
    assert not [w for w in warnings if "Tiered" in w.id]


def test_the_warning_can_be_acknowledged() -> None:
    group = _group()
    group.auto_scale_shards(min_capacity=1, max_capacity=4).scale_on_capacity()
    group.auto_scale_replicas(min_capacity=1, max_capacity=2).scale_on_cpu()
    stack = cdk.Stack.of(group)
    cdk.Annotations.of(group).acknowledge_warning(SEVERAL_TRACKING_METRICS_WARNING, "CPU-bound reads, data-bound writes")
    Annotations.from_stack(stack).has_no_warning("*", Match.any_value())
    assert tracking_policies(group) == [(SHARDS_DIMENSION, "Capacity"), (REPLICAS_DIMENSION, "ReplicaCpu")]


def test_scheduled_scaling_within_the_target_bounds() -> None:
    group = _group()
    shards = group.auto_scale_shards(min_capacity=2, max_capacity=6)
    shards.scale_on_schedule("WeekdayPeak", schedule=appscaling.Schedule.cron(hour="8", minute="0", week_day="MON-FRI"),
                             min_capacity=5)
    shards.scale_on_schedule("Night", schedule=appscaling.Schedule.cron(hour="22", minute="0"), min_capacity=2,
                             max_capacity=4)
    stack = cdk.Stack.of(group)
    (target,) = Template.from_stack(stack).find_resources(TARGET).values()
    actions = target["Properties"]["ScheduledActions"]
    assert [(a["ScheduledActionName"], a["Schedule"], a["ScalableTargetAction"]) for a in actions] == [
        ("WeekdayPeak", "cron(0 8 ? * MON-FRI *)", {"MinCapacity": 5}),
        ("Night", "cron(0 22 * * ? *)", {"MaxCapacity": 4, "MinCapacity": 2}),
    ]
    assert shards.scheduled_actions == ["WeekdayPeak", "Night"]
    # A schedule is not a tracking policy: no warning (besides the change-safety note on fixed replica counts).
    warnings = [str(w.entry.data) for w in Annotations.from_stack(stack).find_warning("*", Match.any_value())]
    assert [w for w in warnings if "elasticache-constructs:replicas-with-node-group-configuration" not in w] == []


INVALID_SCHEDULES = [
    ({"schedule": "cron(0 8 * * ? *)", "min_capacity": 3}, r"schedule: got 'cron\(0 8 \* \* \? \*\)'; pass an appscaling.Schedule"),
    ({}, r"min_capacity: got None; give min_capacity, max_capacity or both for a scheduled action"),
    ({"max_capacity": 7}, r"max_capacity: got 7; must be within the shards target's min_capacity-max_capacity \(2-6\); "
                          r"raise max_capacity there so alarms cover the members"),
    ({"min_capacity": 1}, r"min_capacity: got 1; must be within the shards target's min_capacity-max_capacity \(2-6\)"),
    ({"min_capacity": 5, "max_capacity": 4}, r"min_capacity: got 5; must not exceed max_capacity \(4\)"),
    ({"min_capacity": 3.0}, r"min_capacity: got 3.0; must be a whole number"),
]


@pytest.mark.parametrize(("options", "message"), INVALID_SCHEDULES)
def test_invalid_scheduled_scaling(options: dict[str, Any], message: str) -> None:
    shards = _group().auto_scale_shards(min_capacity=2, max_capacity=6)
    options = {"schedule": appscaling.Schedule.rate(cdk.Duration.hours(1)), **options}
    with pytest.raises(ValidationError, match=message):
        shards.scale_on_schedule("S", **options)
    assert shards.scheduled_actions == []


def test_a_scheduled_action_id_is_used_once() -> None:
    shards = _group().auto_scale_shards(min_capacity=2, max_capacity=6)
    shards.scale_on_schedule("S", schedule=appscaling.Schedule.rate(cdk.Duration.hours(1)), min_capacity=3)
    with pytest.raises(ValidationError, match=r"Test/G/ShardScaling: a scheduled action 'S' already exists on the shards"):
        shards.scale_on_schedule("S", schedule=appscaling.Schedule.rate(cdk.Duration.hours(2)), min_capacity=4)


def test_alarms_cover_every_member_between_the_auto_scaling_minimum_and_maximum() -> None:
    """ElastiCache names a member cluster <group>-<node group id>-<node number>; the node group ids it supplies are
    numbered 0001 up to the shard count limit (API NodeGroup), and scale-in may remove *any* shard (auto scaling
    picks them), so after scaling between min and max shards the ids in use are some k-subset of 0001..max. The
    alarms watch every such id and node number, so each member that can exist is covered; members that do not
    exist have no data, which the math ignores (alarms treat missing data as not breaching)."""
    stack = new_stack()
    group = ShardedReplicationGroup(stack, "Lb", vpc=new_vpc(stack, azs=2), shards=3, replicas_per_shard=1,
                                    replication_group_id="lb")
    group.auto_scale_shards(min_capacity=2, max_capacity=6).scale_on_capacity()
    group.auto_scale_replicas(min_capacity=1, max_capacity=2)  # a target only: bounds the node numbers
    alarms = group.add_alarms()
    resources = Template.from_stack(stack).to_json()["Resources"]
    covered_everywhere = {f"lb-{s:04d}-{n:03d}" for s in range(1, 7) for n in range(1, 4)}
    ref = {"Ref": stack.get_logical_id(group.resource)}

    def member(value: Any) -> str:  # {"Fn::Join": ["", [{"Ref": group}, "-0001-001"]]} -> "lb-0001-001"
        joined = stack.resolve(value)["Fn::Join"]
        assert joined[0] == "" and joined[1][0] == ref
        return "lb" + joined[1][1]

    assert {member(m) for m in group.member_cluster_ids()} == covered_everywhere
    for kind, metric_alarms in alarms.metric_alarms.items():
        watched: set[str] = set()
        for alarm in metric_alarms:
            props = resources[stack.get_logical_id(alarm.node.default_child)]["Properties"]
            assert props["TreatMissingData"] == "notBreaching"
            stats = [q["MetricStat"] for q in props["Metrics"] if "MetricStat" in q]
            assert len(stats) <= 10
            watched |= {member(d["Value"]) for st in stats for d in st["Metric"]["Dimensions"]}
            (expression,) = [q["Expression"] for q in props["Metrics"] if "Expression" in q]
            assert expression.startswith(("MAX([", "SUM([", "100*SUM([")), expression
        assert watched == covered_everywhere, kind  # exactly: max shards x (max replicas + primary)
        if len(metric_alarms) > 1:
            assert isinstance(alarms.alarms[kind], cdk.aws_cloudwatch.CompositeAlarm)
    for shards in range(2, 7):
        for retained in itertools.combinations(range(1, 7), shards):
            for replicas in (1, 2):
                members = {f"lb-{s:04d}-{n:03d}" for s in retained for n in range(1, replicas + 2)}
                assert members <= covered_everywhere, (retained, replicas)
    # one id beyond the documented numbering (a 7th shard id) is, by construction, not watched: the README says so
    assert "lb-0007-001" not in covered_everywhere


def _group(**overrides: Any) -> ShardedReplicationGroup:
    stack = new_stack()
    vpc = new_vpc(stack, azs=2)
    options: dict[str, Any] = {"shards": 3, "replicas_per_shard": 1}
    options.update(overrides)
    return ShardedReplicationGroup(stack, "G", vpc=vpc, **options)


INVALID = [
    # (group options, call, message)
    ({}, lambda g: g.auto_scale_shards(min_capacity=0, max_capacity=4), r"min_capacity: got 0; must be from 1 to 500"),
    ({}, lambda g: g.auto_scale_shards(min_capacity=2, max_capacity=501), r"max_capacity: got 501; must be from 1 to 500"),
    ({}, lambda g: g.auto_scale_shards(min_capacity=5, max_capacity=4), r"min_capacity: got 5; must not exceed max_capacity \(4\)"),
    ({}, lambda g: g.auto_scale_shards(min_capacity=4, max_capacity=8),
     r"shards: got 3; the current shard count must be within min_capacity-max_capacity \(4-8\)"),
    ({}, lambda g: g.auto_scale_shards(min_capacity=1, max_capacity=2),
     r"shards: got 3; the current shard count must be within min_capacity-max_capacity \(1-2\)"),
    ({}, lambda g: g.auto_scale_shards(min_capacity=2.0, max_capacity=4),
     r"min_capacity: got 2.0; must be a whole number from 1 to 500"),
    ({"replicas_per_shard": 5}, lambda g: g.auto_scale_shards(min_capacity=3, max_capacity=90),
     r"max_capacity: got 90; 90 shards x 6 nodes = 540 nodes; valkey 8.1 allows at most 500"),
    ({}, lambda g: (g.auto_scale_shards(min_capacity=3, max_capacity=100), g.auto_scale_replicas(min_capacity=1, max_capacity=5)),
     r"max_capacity: got 5; 100 shards x 6 nodes = 600 nodes; valkey 8.1 allows at most 500"),
    ({}, lambda g: g.auto_scale_replicas(min_capacity=1, max_capacity=6), r"max_capacity: got 6; must be from 0 to 5"),
    ({}, lambda g: g.auto_scale_replicas(min_capacity=0, max_capacity=2),
     r"min_capacity: got 0; Multi-AZ needs at least 1 replica per shard"),
    ({}, lambda g: g.auto_scale_replicas(min_capacity=2, max_capacity=3),
     r"replicas_per_shard: got 1; the current replica count must be within min_capacity-max_capacity \(2-3\)"),
    ({}, lambda g: (g.auto_scale_shards(min_capacity=1, max_capacity=3), g.auto_scale_shards(min_capacity=1, max_capacity=3)),
     r"auto_scale_shards: got 'Test/G'; shard auto scaling is already configured"),
    ({}, lambda g: (g.auto_scale_replicas(min_capacity=1, max_capacity=2), g.auto_scale_replicas(min_capacity=1, max_capacity=2)),
     r"auto_scale_replicas: got 'Test/G'; replica auto scaling is already configured"),
    ({}, lambda g: (g.add_alarms(), g.auto_scale_shards(min_capacity=1, max_capacity=4)),
     r"auto_scale_shards: got 'Test/G'; call it before add_alarms\(\) so the alarms cover the members it may add"),
    # AWS prerequisites
    ({"engine_version": EngineVersion.of(Engine.REDIS, "5.0.6")}, lambda g: g.auto_scale_shards(min_capacity=1, max_capacity=4),
     r"engine_version: got 'redis 5.0.6'; auto scaling needs valkey 7.2\+ or redis 6.0\+"),
    ({"engine_version": EngineVersion.REDIS_6_2, "node_type": NodeType.R6GD_XLARGE, "data_tiering": True},
     lambda g: g.auto_scale_shards(min_capacity=1, max_capacity=4),
     r"engine_version: got 'redis 6.2'; auto scaling with data tiering needs valkey 7.2\+ or redis 7.0.7\+"),
    ({"node_type": NodeType.T4G_MEDIUM}, lambda g: g.auto_scale_shards(min_capacity=1, max_capacity=4),
     r"node_type: got 'cache.t4g.medium'; ElastiCache auto scaling supports families r7g, r6g, r6gd, r5, m7g, m6g, "
     r"m5, c7gn in sizes large, xlarge, 2xlarge"),
    ({"node_type": NodeType.R7G_4XLARGE}, lambda g: g.auto_scale_replicas(min_capacity=1, max_capacity=2),
     r"node_type: got 'cache.r7g.4xlarge'; ElastiCache auto scaling supports families"),
    # policies
    ({}, lambda g: g.auto_scale_shards(min_capacity=1, max_capacity=4).scale_on_cpu(target_utilization_percent=30),
     r"target_utilization_percent: got 30; ElastiCache accepts targets of 35 to 70 percent"),
    ({}, lambda g: g.auto_scale_shards(min_capacity=1, max_capacity=4).scale_on_memory(target_utilization_percent=75),
     r"target_utilization_percent: got 75; ElastiCache accepts targets of 35 to 70 percent"),
    ({}, lambda g: g.auto_scale_replicas(min_capacity=1, max_capacity=2).scale_on_cpu(target_utilization_percent="50"),
     r"target_utilization_percent: got '50'; must be a percentage from 35 to 70"),
    ({}, lambda g: g.auto_scale_shards(min_capacity=1, max_capacity=4).scale_on_cpu(scale_in_cooldown=300),
     r"scale_in_cooldown: got 300; pass a Duration, e.g. Duration.minutes\(5\)"),
    ({}, lambda g: g.auto_scale_shards(min_capacity=1, max_capacity=4).scale_on_cpu(disable_scale_in="yes"),
     r"disable_scale_in: got 'yes'; must be True or False"),
    ({"node_type": NodeType.R6GD_XLARGE, "data_tiering": True},
     lambda g: g.auto_scale_shards(min_capacity=1, max_capacity=4).scale_on_memory(),
     r"scale_on_memory: got 'cache.r6gd.xlarge'; data-tiering nodes keep memory full by design; use scale_on_capacity"),
    ({}, lambda g: (lambda s: (s.scale_on_cpu(), s.scale_on_cpu()))(g.auto_scale_shards(min_capacity=1, max_capacity=4)),
     r"a PrimaryCpu policy already exists on the shards"),
]


@pytest.mark.parametrize(("options", "call", "message"), INVALID)
def test_invalid_auto_scaling(options: dict[str, Any], call: Any, message: str) -> None:
    group = _group(**options)
    with pytest.raises(ValidationError, match=message):
        call(group)


def test_a_failed_call_creates_nothing() -> None:
    group = _group()
    with pytest.raises(ValidationError):
        group.auto_scale_shards(min_capacity=4, max_capacity=8)
    assert group.node.try_find_child("ShardScaling") is None and group.shard_auto_scaling is None


@pytest.mark.parametrize("method", ["auto_scale_shards", "auto_scale_replicas"])
def test_cluster_mode_disabled_groups_cannot_auto_scale(method: str) -> None:
    stack = new_stack()
    group = ReplicationGroup(stack, "Sessions", vpc=new_vpc(stack, azs=2))
    with pytest.raises(ValidationError, match=rf"{method}: got 'Test/Sessions'; ElastiCache auto scaling needs "
                                              r"cluster mode enabled; use a ShardedReplicationGroup"):
        getattr(group, method)(min_capacity=1, max_capacity=2)


def test_groups_in_a_global_datastore_fail_synthesis() -> None:
    stack = new_stack()
    group = ShardedReplicationGroup(stack, "Board", vpc=new_vpc(stack, azs=2))
    GlobalDatastore(stack, "Global", primary=group)
    group.auto_scale_shards(min_capacity=2, max_capacity=4).scale_on_cpu()
    with pytest.raises(RuntimeError, match=r"Test/Board: auto scaling is not supported for a replication group in a "
                                           r"global datastore \(Test/Global\)"):
        cdk.App.of(stack).synth()  # type: ignore[union-attr]
