"""Application Auto Scaling of a ``ShardedReplicationGroup``: shards (``NodeGroups``) and replicas per shard.

What AWS documents (ElastiCache user guide, "Auto Scaling Valkey and Redis OSS clusters"), and is validated here:

* cluster mode enabled only (a ``ReplicationGroup`` with cluster mode disabled cannot be auto scaled);
* Valkey 7.2+ or Redis OSS 6.0+; with data tiering, Valkey 7.2+ or Redis OSS 7.0.7+;
* instance families r7g, r6g, r6gd, r5, m7g, m6g, m5, c7gn in sizes large, xlarge and 2xlarge;
* not for groups in a global datastore (nor on Outposts / Local Zones, which this library does not deploy to);
* target tracking on the predefined metrics ``ElastiCachePrimaryEngineCPUUtilization``,
  ``ElastiCacheDatabaseMemoryUsageCountedForEvictPercentage`` (not on data-tiering r6gd nodes) and
  ``ElastiCacheDatabaseCapacityUsageCountedForEvictPercentage`` for shards, ``ElastiCacheReplicaEngineCPUUtilization``
  for replicas, with a target from 35 to 70 percent.

Guidance, not validated as errors (https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/AutoScaling.html, Auto
Scaling Best Practices): "use just one tracking metric" and "avoid multiple policies per dimension" - a second
target-tracking policy on one group is a warning (``SEVERAL_TRACKING_METRICS_WARNING``); scheduled scaling
(``scale_on_schedule``) for deterministic workloads.

The scalable target uses ElastiCache's service-linked role ``AWSServiceRoleForApplicationAutoScaling_ElastiCacheRG``
(CloudFormation creates it when the ARN is given, as AWS recommends), not a new IAM role.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import jsii
from aws_cdk import Annotations, Duration, Stack
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_iam as iam
from constructs import Construct, IValidation

from ._validation import ValidationError, fail, is_unresolved
from .engine import Engine, EngineVersion
from .node_type import NodeType

if TYPE_CHECKING:  # pragma: no cover
    from .replication_group import ShardedReplicationGroup

#: Scalable dimension of the shard count.
SHARDS_DIMENSION = "elasticache:replication-group:NodeGroups"
#: Scalable dimension of the replicas per shard.
REPLICAS_DIMENSION = "elasticache:replication-group:Replicas"
#: Target values ElastiCache accepts for its predefined metrics, percent.
MIN_TARGET_PERCENT, MAX_TARGET_PERCENT = 35, 70
#: Node families and sizes ElastiCache Auto Scaling supports.
SUPPORTED_FAMILIES = ("r7g", "r6g", "r6gd", "r5", "m7g", "m6g", "m5", "c7gn")
SUPPORTED_SIZES = ("large", "xlarge", "2xlarge")
#: Replicas per shard (ElastiCache limit).
MAX_REPLICAS_PER_SHARD = 5
#: The service-linked role Application Auto Scaling uses for ElastiCache.
SERVICE_LINKED_ROLE_NAME = "AWSServiceRoleForApplicationAutoScaling_ElastiCacheRG"
SERVICE_LINKED_ROLE_PRINCIPAL = "elasticache.application-autoscaling.amazonaws.com"


def validate_auto_scaling_support(engine_version: EngineVersion, node_type: NodeType, data_tiering: bool) -> None:
    """The engine version and node type ElastiCache Auto Scaling supports."""
    if engine_version.engine is Engine.REDIS and not engine_version._at_least(6):
        raise fail("engine_version", str(engine_version), "auto scaling needs valkey 7.2+ or redis 6.0+")
    if data_tiering and engine_version.engine is Engine.REDIS and not engine_version._at_least(7, 0, 7):
        raise fail(
            "engine_version", str(engine_version), "auto scaling with data tiering needs valkey 7.2+ or redis 7.0.7+"
        )
    if is_unresolved(node_type.name):
        return
    parts = node_type.name.split(".")
    family, size = (parts[1], parts[2]) if len(parts) == 3 else ("", "")
    if family not in SUPPORTED_FAMILIES or size not in SUPPORTED_SIZES:
        raise fail(
            "node_type", node_type.name,
            f"ElastiCache auto scaling supports families {', '.join(SUPPORTED_FAMILIES)} in sizes "
            f"{', '.join(SUPPORTED_SIZES)}",
        )


def _check_count(prop: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise fail(prop, value, f"must be a whole number from {low} to {high}")
    if not low <= value <= high:
        raise fail(prop, value, f"must be from {low} to {high}")
    return value


def _check_target(prop: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise fail(prop, value, f"must be a percentage from {MIN_TARGET_PERCENT} to {MAX_TARGET_PERCENT}")
    if not MIN_TARGET_PERCENT <= value <= MAX_TARGET_PERCENT:
        raise fail(prop, value, f"ElastiCache accepts targets of {MIN_TARGET_PERCENT} to {MAX_TARGET_PERCENT} percent")
    return float(value)


def _check_cooldown(prop: str, value: Any) -> Duration | None:
    if value is None:
        return None
    if not isinstance(value, Duration):
        raise fail(prop, value, "pass a Duration, e.g. Duration.minutes(5)")
    return value


@jsii.implements(IValidation)
class _NotInGlobalDatastore:
    """Synth-time check: auto scaling is not supported for a group that is the primary of a global datastore."""

    def __init__(self, group: Construct) -> None:
        self.group = group

    def validate(self) -> list[str]:
        for c in self.group.node.root.node.find_all():
            if getattr(c, "primary", None) is self.group and hasattr(c, "global_replication_group_id"):
                return [
                    f"{self.group.node.path}: auto scaling is not supported for a replication group in a global "
                    f"datastore ({c.node.path}); remove auto_scale_shards/auto_scale_replicas or the datastore"
                ]
        return []


#: Id of the warning about several target-tracking policies on one group (acknowledge it with
#: ``Annotations.of(scope).acknowledge_warning(SEVERAL_TRACKING_METRICS_WARNING, reason)``).
SEVERAL_TRACKING_METRICS_WARNING = "elasticache-constructs:autoScalingOneTrackingMetric"
#: Where ElastiCache gives its auto scaling best practices.
AUTO_SCALING_BEST_PRACTICES_URL = "https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/AutoScaling.html"


def tracking_policies(group: Any) -> list[tuple[str, str]]:
    """``(scalable dimension, policy id)`` of every target-tracking policy on ``group``'s shards and replicas."""
    found: list[tuple[str, str]] = []
    for scaling in (getattr(group, "shard_auto_scaling", None), getattr(group, "replica_auto_scaling", None)):
        if scaling is not None:
            found.extend((scaling.dimension, policy_id) for policy_id in scaling.policies)
    return found


def _warn_unless_one_tracking_metric(scaling: _GroupAutoScaling) -> None:
    """ElastiCache's auto scaling best practices, "Use just one tracking metric": pick the predefined metric of the
    workload (engine CPU on the shard *or* the replica dimension, or database capacity usage, which works best with
    ``noeviction``) and "avoid multiple policies per dimension": Application Auto Scaling scales out when any
    policy asks and in only when all do, so several policies keep the largest capacity any of them wants and the
    dimensions can work against each other (a shard scale-out adds a shard's worth of replicas the replica policy
    then sizes again). A warning, not an error: the documentation recommends, it does not forbid. Source:
    https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/AutoScaling.html (Auto Scaling Best Practices)."""
    policies = tracking_policies(scaling.group)
    if len(policies) < 2:
        return
    dims = {d for d, _ in policies}
    what = "several policies on one dimension" if len(dims) == 1 else "shard and replica policies together"
    listed = ", ".join(f"{'shards' if d == SHARDS_DIMENSION else 'replicas'}:{p}" for d, p in policies)
    Annotations.of(scaling).add_warning_v2(
        SEVERAL_TRACKING_METRICS_WARNING,
        f"{scaling.group.node.path}: {len(policies)} target-tracking policies ({listed}) - {what}. ElastiCache "
        "recommends one tracking metric per cluster and no more than one policy per dimension: auto scaling "
        "scales out if any policy asks but in only if all do, so the policies fight over capacity. Keep the one "
        "that matches the workload (CPU-bound: scale_on_cpu; data-bound: scale_on_capacity, best with "
        f"noeviction), or scale on a schedule for predictable peaks ({AUTO_SCALING_BEST_PRACTICES_URL})",
    )


class _GroupAutoScaling(Construct):
    """A scalable target on one dimension of a cluster-mode replication group, plus its target-tracking policies."""

    dimension: ClassVar[str]
    noun: ClassVar[str]

    def __init__(
        self, scope: Construct, id: str, *, group: ShardedReplicationGroup, min_capacity: int, max_capacity: int
    ) -> None:
        super().__init__(scope, id)
        self.group = group
        self.min_capacity = min_capacity
        self.max_capacity = max_capacity
        stack = Stack.of(group)
        role_arn = stack.format_arn(
            service="iam", region="", resource="role",
            resource_name=f"aws-service-role/{SERVICE_LINKED_ROLE_PRINCIPAL}/{SERVICE_LINKED_ROLE_NAME}",
        )
        #: The Application Auto Scaling target.
        self.scalable_target = appscaling.ScalableTarget(
            self, "Target",
            service_namespace=appscaling.ServiceNamespace.ELASTICACHE,
            scalable_dimension=self.dimension,
            resource_id=f"replication-group/{group.replication_group_id}",
            min_capacity=min_capacity,
            max_capacity=max_capacity,
            role=iam.Role.from_role_arn(self, "ServiceLinkedRole", role_arn, mutable=False),
        )
        self.policies: dict[str, appscaling.TargetTrackingScalingPolicy] = {}
        #: Ids of the scheduled actions (``scale_on_schedule``).
        self.scheduled_actions: list[str] = []
        self.node.add_validation(_NotInGlobalDatastore(group))

    def _track(
        self,
        id: str,
        metric: appscaling.PredefinedMetric,
        target: Any,
        target_prop: str,
        scale_in_cooldown: Duration | None,
        scale_out_cooldown: Duration | None,
        disable_scale_in: bool,
    ) -> appscaling.TargetTrackingScalingPolicy:
        value = _check_target(target_prop, target)
        scale_in_cooldown = _check_cooldown("scale_in_cooldown", scale_in_cooldown)
        scale_out_cooldown = _check_cooldown("scale_out_cooldown", scale_out_cooldown)
        if not isinstance(disable_scale_in, bool):
            raise fail("disable_scale_in", disable_scale_in, "must be True or False")
        if id in self.policies:
            raise ValidationError(f"{self.node.path}: a {id} policy already exists on the {self.noun}")
        policy = self.scalable_target.scale_to_track_metric(
            id,
            target_value=value,
            predefined_metric=metric,
            scale_in_cooldown=scale_in_cooldown,
            scale_out_cooldown=scale_out_cooldown,
            disable_scale_in=disable_scale_in or None,
        )
        self.policies[id] = policy
        _warn_unless_one_tracking_metric(self)
        return policy


    def scale_on_schedule(
        self,
        id: str,
        *,
        schedule: appscaling.Schedule,
        min_capacity: int | None = None,
        max_capacity: int | None = None,
        time_zone: Any = None,
    ) -> None:
        """A scheduled action: from ``schedule`` on, the capacity stays within ``min_capacity``-``max_capacity``.
        ElastiCache recommends scheduled scaling for deterministic workloads (peaks at known times) and target
        tracking for the rest (https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/AutoScaling.html, Auto
        Scaling Best Practices). The scheduled bounds must lie within this target's ``min_capacity``-
        ``max_capacity``: alarms and dashboards cover the members up to that maximum.

        :param schedule: e.g. ``appscaling.Schedule.cron(hour="8", minute="0")``.
        :param min_capacity: the new minimum. Default: unchanged.
        :param max_capacity: the new maximum. Default: unchanged.
        :param time_zone: ``TimeZone`` of a cron/at schedule. Default: UTC.
        """
        if not isinstance(schedule, appscaling.Schedule):
            raise fail("schedule", schedule, "pass an appscaling.Schedule, e.g. Schedule.cron(hour='8', minute='0')")
        if min_capacity is None and max_capacity is None:
            raise fail("min_capacity", None, "give min_capacity, max_capacity or both for a scheduled action")
        low = self._check_scheduled("min_capacity", min_capacity)
        high = self._check_scheduled("max_capacity", max_capacity)
        if low is not None and high is not None and low > high:
            raise fail("min_capacity", low, f"must not exceed max_capacity ({high})")
        if id in self.scheduled_actions:
            raise ValidationError(f"{self.node.path}: a scheduled action {id!r} already exists on the {self.noun}")
        self.scalable_target.scale_on_schedule(
            id, schedule=schedule, min_capacity=low, max_capacity=high, time_zone=time_zone
        )
        self.scheduled_actions.append(id)

    def _check_scheduled(self, prop: str, value: Any) -> int | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise fail(prop, value, "must be a whole number")
        if not self.min_capacity <= value <= self.max_capacity:
            raise fail(
                prop, value,
                f"must be within the {self.noun} target's min_capacity-max_capacity "
                f"({self.min_capacity}-{self.max_capacity}); raise max_capacity there so alarms cover the members",
            )
        return value


class ShardAutoScaling(_GroupAutoScaling):
    """Shard-count auto scaling of a ``ShardedReplicationGroup`` (``group.auto_scale_shards(...)``)."""

    dimension = SHARDS_DIMENSION
    noun = "shards"

    def scale_on_cpu(
        self,
        *,
        target_utilization_percent: float = 60,
        scale_in_cooldown: Duration | None = None,
        scale_out_cooldown: Duration | None = None,
        disable_scale_in: bool = False,
    ) -> appscaling.TargetTrackingScalingPolicy:
        """Track the average ``EngineCPUUtilization`` of the primaries (``ElastiCachePrimaryEngineCPUUtilization``).

        :param target_utilization_percent: 35-70. Default: 60.
        :param scale_in_cooldown: Default: Application Auto Scaling's.
        :param scale_out_cooldown: Default: Application Auto Scaling's.
        :param disable_scale_in: never remove shards. Default: ``False``.
        """
        return self._track(
            "PrimaryCpu", appscaling.PredefinedMetric.ELASTICACHE_PRIMARY_ENGINE_CPU_UTILIZATION,
            target_utilization_percent, "target_utilization_percent", scale_in_cooldown, scale_out_cooldown,
            disable_scale_in,
        )

    def scale_on_memory(
        self,
        *,
        target_utilization_percent: float = 60,
        scale_in_cooldown: Duration | None = None,
        scale_out_cooldown: Duration | None = None,
        disable_scale_in: bool = False,
    ) -> appscaling.TargetTrackingScalingPolicy:
        """Track memory used, counted for eviction (``ElastiCacheDatabaseMemoryUsageCountedForEvictPercentage``).
        Not for data-tiering (r6gd) groups: use ``scale_on_capacity``.

        :param target_utilization_percent: 35-70. Default: 60.
        """
        if self.group.node_type.data_tiering:
            raise fail(
                "scale_on_memory", self.group.node_type.name,
                "data-tiering nodes keep memory full by design; use scale_on_capacity (memory + SSD)",
            )
        return self._track(
            "Memory", appscaling.PredefinedMetric.ELASTICACHE_DATABASE_MEMORY_USAGE_COUNTED_FOR_EVICT_PERCENTAGE,
            target_utilization_percent, "target_utilization_percent", scale_in_cooldown, scale_out_cooldown,
            disable_scale_in,
        )

    def scale_on_capacity(
        self,
        *,
        target_utilization_percent: float = 60,
        scale_in_cooldown: Duration | None = None,
        scale_out_cooldown: Duration | None = None,
        disable_scale_in: bool = False,
    ) -> appscaling.TargetTrackingScalingPolicy:
        """Track database capacity used (memory, plus SSD on data-tiering nodes;
        ``ElastiCacheDatabaseCapacityUsageCountedForEvictPercentage``).

        :param target_utilization_percent: 35-70. Default: 60.
        """
        return self._track(
            "Capacity", appscaling.PredefinedMetric.ELASTICACHE_DATABASE_CAPACITY_USAGE_COUNTED_FOR_EVICT_PERCENTAGE,
            target_utilization_percent, "target_utilization_percent", scale_in_cooldown, scale_out_cooldown,
            disable_scale_in,
        )


class ReplicaAutoScaling(_GroupAutoScaling):
    """Replicas-per-shard auto scaling of a ``ShardedReplicationGroup`` (``group.auto_scale_replicas(...)``);
    ElastiCache adds and removes replicas uniformly across all shards."""

    dimension = REPLICAS_DIMENSION
    noun = "replicas"

    def scale_on_cpu(
        self,
        *,
        target_utilization_percent: float = 60,
        scale_in_cooldown: Duration | None = None,
        scale_out_cooldown: Duration | None = None,
        disable_scale_in: bool = False,
    ) -> appscaling.TargetTrackingScalingPolicy:
        """Track the average ``EngineCPUUtilization`` of the replicas (``ElastiCacheReplicaEngineCPUUtilization``),
        the only predefined metric ElastiCache offers for replicas.

        :param target_utilization_percent: 35-70. Default: 60.
        """
        return self._track(
            "ReplicaCpu", appscaling.PredefinedMetric.ELASTICACHE_REPLICA_ENGINE_CPU_UTILIZATION,
            target_utilization_percent, "target_utilization_percent", scale_in_cooldown, scale_out_cooldown,
            disable_scale_in,
        )


def validate_shard_bounds(group: ShardedReplicationGroup, min_capacity: Any, max_capacity: Any) -> None:
    """1 <= min <= current shards <= max <= engine limit; max shards x max nodes per shard within the limit."""
    limit = group.engine_version.max_nodes_per_cluster if group.engine_version else 500
    low = _check_count("min_capacity", min_capacity, 1, limit)
    high = _check_count("max_capacity", max_capacity, 1, limit)
    if low > high:
        raise fail("min_capacity", low, f"must not exceed max_capacity ({high})")
    if not is_unresolved(group.shards) and not low <= group.shards <= high:
        raise fail(
            "shards", group.shards, f"the current shard count must be within min_capacity-max_capacity ({low}-{high})"
        )
    replicas = group.replica_auto_scaling.max_capacity if group.replica_auto_scaling else group.replicas_per_shard
    if not is_unresolved(replicas) and high * (replicas + 1) > limit:
        raise fail(
            "max_capacity", high,
            f"{high} shards x {replicas + 1} nodes = {high * (replicas + 1)} nodes; "
            f"{group.engine_version} allows at most {limit}",
        )


def validate_replica_bounds(group: ShardedReplicationGroup, min_capacity: Any, max_capacity: Any) -> None:
    """0 <= min <= current replicas <= max <= 5; Multi-AZ needs min >= 1; max shards x nodes within the limit."""
    low = _check_count("min_capacity", min_capacity, 0, MAX_REPLICAS_PER_SHARD)
    high = _check_count("max_capacity", max_capacity, 0, MAX_REPLICAS_PER_SHARD)
    if low > high:
        raise fail("min_capacity", low, f"must not exceed max_capacity ({high})")
    if group.multi_az and low < 1:
        raise fail("min_capacity", low, "Multi-AZ needs at least 1 replica per shard")
    current = group.replicas_per_shard
    if not is_unresolved(current) and not low <= current <= high:
        raise fail(
            "replicas_per_shard", current,
            f"the current replica count must be within min_capacity-max_capacity ({low}-{high})",
        )
    limit = group.engine_version.max_nodes_per_cluster if group.engine_version else 500
    shards = group.shard_auto_scaling.max_capacity if group.shard_auto_scaling else group.shards
    if not is_unresolved(shards) and shards * (high + 1) > limit:
        raise fail(
            "max_capacity", high,
            f"{shards} shards x {high + 1} nodes = {shards * (high + 1)} nodes; "
            f"{group.engine_version} allows at most {limit}",
        )


__all__ = [
    "AUTO_SCALING_BEST_PRACTICES_URL",
    "MAX_TARGET_PERCENT",
    "MIN_TARGET_PERCENT",
    "REPLICAS_DIMENSION",
    "SEVERAL_TRACKING_METRICS_WARNING",
    "SHARDS_DIMENSION",
    "ReplicaAutoScaling",
    "ShardAutoScaling",
    "tracking_policies",
    "validate_auto_scaling_support",
]
