"""CloudWatch metrics, alarms and dashboards for every ElastiCache cache construct.

Where ElastiCache publishes what (``AWS/ElastiCache`` namespace, 60-second resolution):

* Node-based Valkey / Redis OSS: every host and engine metric is published **per node**, with the dimension
  ``CacheClusterId`` (plus ``CacheNodeId``). A replication group's nodes are "member clusters" whose ids
  ElastiCache derives from the group id: ``<group>-001``, ``<group>-002``, ... with cluster mode disabled and
  ``<group>-0001-001`` (shard ``0001``, node ``001``) with cluster mode enabled. The documented metric list has no
  replication-group dimension (the ``ReplicationGroupId``/``Role`` aggregates exist only inside Application Auto
  Scaling's predefined metrics), so a group-level metric here is **metric math over the member clusters**:
  ``MAX`` for CPU, memory, latency and replication lag (the worst node is what hurts), ``SUM`` for evictions and
  connections, and the hit rate as ``100 * hits / (hits + misses)`` summed over the members. The member ids are
  ``Fn::Join`` of the group's ``Ref`` and the suffix, so CloudFormation-generated group ids work.
* Serverless caches: one series per cache, dimension ``clusterId``; latency is
  ``SuccessfulRead/WriteRequestLatency``; no engine CPU, memory percentage or replication lag.
* Memcached clusters: dimension ``CacheClusterId`` alone is the cluster aggregate; hit rate from
  ``GetHits``/``GetMisses``; CPU is the host ``CPUUtilization`` (Memcached is multi-threaded).

Any cache class adopts the helpers by mixing in ``CacheMetricsMixin`` and implementing ``metric_dimensions()``
(one dimension map per series) and, when it is not node-based Valkey/Redis, setting ``metric_names``.

CloudWatch allows at most 10 metrics in one metric-math alarm, so ``CacheAlarms`` splits a large group's members
into chunks (one alarm each) and joins them with a composite alarm that fires when any chunk does.

Member coverage after auto scaling: ElastiCache-supplied node group ids are numbered ``0001`` up to the shard
limit (https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_NodeGroup.html) and scale-in may remove
any shard, so a sharded group's helpers enumerate every id ``0001..max shards`` x node ``001..max replicas + 1``;
members that do not exist publish nothing, array functions combine the series present, and alarms treat missing
data as not breaching.

Alarm topics: ``CacheAlarms`` adds the ``Allow`` CloudWatch needs to the topic's policy (``allow_alarms_to_publish``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, ClassVar

from aws_cdk import ArnFormat, Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from constructs import Construct, IConstruct

from ._validation import ValidationError, fail, is_unresolved

#: Namespace of every ElastiCache metric.
NAMESPACE = "AWS/ElastiCache"
#: CloudWatch hard limit: metrics one metric-math alarm may reference.
MAX_METRICS_PER_ALARM = 10
#: ElastiCache publishes metrics once a minute; shorter periods have no data.
METRIC_RESOLUTION_SECONDS = 60
#: CloudWatch limit: evaluation periods x period must not exceed one day.
MAX_ALARM_WINDOW_SECONDS = 86_400
#: ElastiCache's per-node connection limit (``maxclients``).
MAX_CONNECTIONS = 65_000

_COMBINERS = ("MAX", "MIN", "SUM", "AVG")


@dataclass(frozen=True)
class CacheMetricNames:
    """Which CloudWatch metric backs each ``metric_*`` helper for one kind of cache (``None``: not published).

    The hit rate is computed from ``hits``/``misses`` when both are set, else read from ``hit_rate``.
    """

    hits: str | None = "CacheHits"
    misses: str | None = "CacheMisses"
    hit_rate: str | None = "CacheHitRate"
    evictions: str | None = "Evictions"
    memory_percent: str | None = "DatabaseMemoryUsagePercentage"
    engine_cpu: str | None = "EngineCPUUtilization"
    connections: str | None = "CurrConnections"
    replication_lag: str | None = "ReplicationLag"
    read_latency: str | None = "GetTypeCmdsLatency"
    write_latency: str | None = "SetTypeCmdsLatency"

    #: Node-based Valkey / Redis OSS (replication groups).
    NODE_BASED: ClassVar[CacheMetricNames]
    #: Serverless Valkey / Redis OSS caches.
    SERVERLESS: ClassVar[CacheMetricNames]
    #: Serverless Memcached caches.
    SERVERLESS_MEMCACHED: ClassVar[CacheMetricNames]
    #: Node-based Memcached clusters.
    MEMCACHED: ClassVar[CacheMetricNames]


CacheMetricNames.NODE_BASED = CacheMetricNames()
CacheMetricNames.SERVERLESS = CacheMetricNames(
    hits=None,
    misses=None,
    memory_percent=None,
    engine_cpu=None,
    replication_lag=None,
    read_latency="SuccessfulReadRequestLatency",
    write_latency="SuccessfulWriteRequestLatency",
)
CacheMetricNames.SERVERLESS_MEMCACHED = replace(CacheMetricNames.SERVERLESS, hit_rate=None)
CacheMetricNames.MEMCACHED = CacheMetricNames(
    hits="GetHits",
    misses="GetMisses",
    hit_rate=None,
    memory_percent=None,
    engine_cpu="CPUUtilization",
    replication_lag=None,
    read_latency=None,
    write_latency=None,
)


@dataclass(frozen=True)
class _Kind:
    """One helper / alarm: the metric-name field, the per-node statistic, how nodes combine, the unit."""

    field: str
    statistic: str
    combine: str
    title: str
    unit: str


_KINDS: dict[str, _Kind] = {
    "hit_rate": _Kind("hit_rate", "Average", "AVG", "Cache hit rate", "%"),
    "evictions": _Kind("evictions", "Sum", "SUM", "Evictions", "keys"),
    "memory_percent": _Kind("memory_percent", "Average", "MAX", "Memory used", "%"),
    "engine_cpu": _Kind("engine_cpu", "Average", "MAX", "Engine CPU", "%"),
    "connections": _Kind("connections", "Average", "SUM", "Current connections", "connections"),
    "replication_lag": _Kind("replication_lag", "Maximum", "MAX", "Replication lag", "s"),
    "read_latency": _Kind("read_latency", "Average", "MAX", "Read latency", "us"),
    "write_latency": _Kind("write_latency", "Average", "MAX", "Write latency", "us"),
}


def _helper_name(kind: str) -> str:
    return {
        "hit_rate": "metric_cache_hit_rate",
        "evictions": "metric_evictions",
        "memory_percent": "metric_memory_usage_percent",
        "engine_cpu": "metric_engine_cpu_utilization",
        "connections": "metric_current_connections",
        "replication_lag": "metric_replication_lag",
        "read_latency": "metric_read_latency",
        "write_latency": "metric_write_latency",
    }[kind]


class CacheMetricsMixin:
    """``metric_*`` helpers, alarms and dashboard rows for a cache construct.

    A class using it implements ``metric_dimensions()`` and may override ``metric_names`` (default: node-based
    Valkey/Redis OSS names) and ``monitored_kinds()``. Every helper returns one time series for the whole cache:
    the metric itself when there is one series, metric math across the series otherwise.
    """

    #: The metric names this kind of cache publishes (a class default an instance may override).
    metric_names: CacheMetricNames = CacheMetricNames.NODE_BASED
    #: Namespace of the metrics.
    metric_namespace: ClassVar[str] = NAMESPACE

    # -- what the class provides ---------------------------------------------------------------------------
    # ``metric_dimensions()`` -> one dimension map, or one per series (node / member cluster). Deliberately not
    # defined here, so the mixin can come first in the bases without hiding the class's own implementation.

    def monitored_kinds(self) -> frozenset[str]:
        """Metric kinds this cache publishes (those with a metric name); override to drop e.g. replication lag
        on a group without replicas."""
        names = self.metric_names
        kinds = {k for k, spec in _KINDS.items() if getattr(names, spec.field) is not None}
        if names.hits and names.misses:
            kinds.add("hit_rate")
        return frozenset(kinds)

    # -- generic ---------------------------------------------------------------------------------------------
    def metric_series(self) -> list[dict[str, str]]:
        """``metric_dimensions()`` as a non-empty list of dimension maps."""
        provider: Callable[[], Mapping[str, str] | Sequence[Mapping[str, str]]] | None = getattr(
            self, "metric_dimensions", None
        )
        if provider is None:
            raise NotImplementedError(f"{type(self).__name__} must implement metric_dimensions()")
        dims = provider()
        series = [dict(dims)] if isinstance(dims, Mapping) else [dict(d) for d in dims]
        if not series:
            raise ValidationError(f"{type(self).__name__}.metric_dimensions(): returned no series")
        return series

    def metric(
        self,
        metric_name: str,
        *,
        statistic: str = "Average",
        combine: str = "MAX",
        period: Duration | None = None,
        label: str | None = None,
        unit: cloudwatch.Unit | None = None,
    ) -> cloudwatch.IMetric:
        """Any ``AWS/ElastiCache`` metric of this cache as one series.

        :param metric_name: e.g. ``"NetworkBytesIn"``.
        :param statistic: per-series statistic. Default: ``Average``.
        :param combine: how series (nodes) combine when there are several: ``MAX``, ``MIN``, ``SUM`` or ``AVG``.
            Default: ``MAX`` (the worst node).
        :param period: Default: 5 minutes.
        """
        if combine not in _COMBINERS:
            raise fail("combine", combine, "allowed: " + ", ".join(repr(c) for c in _COMBINERS))
        return self._combined(metric_name, statistic, combine, self.metric_series(), period, label, unit)

    # -- the named helpers ---------------------------------------------------------------------------------
    def metric_cache_hit_rate(self, *, period: Duration | None = None, label: str | None = None) -> cloudwatch.IMetric:
        """Cache hit rate in percent: ``100 * hits / (hits + misses)`` over the whole cache (the guide's target:
        above 90 %)."""
        return self._kind_metric("hit_rate", self.metric_series(), period, label)

    def metric_evictions(self, *, period: Duration | None = None, label: str | None = None) -> cloudwatch.IMetric:
        """Keys evicted because of the memory limit (``Evictions``, sum over all nodes)."""
        return self._kind_metric("evictions", self.metric_series(), period, label)

    def metric_memory_usage_percent(
        self, *, period: Duration | None = None, label: str | None = None
    ) -> cloudwatch.IMetric:
        """Percent of ``maxmemory`` in use (``DatabaseMemoryUsagePercentage``) on the fullest node."""
        return self._kind_metric("memory_percent", self.metric_series(), period, label)

    def metric_engine_cpu_utilization(
        self, *, period: Duration | None = None, label: str | None = None
    ) -> cloudwatch.IMetric:
        """CPU of the engine thread (``EngineCPUUtilization``; Memcached: host ``CPUUtilization``), busiest node."""
        return self._kind_metric("engine_cpu", self.metric_series(), period, label)

    def metric_current_connections(
        self, *, period: Duration | None = None, label: str | None = None
    ) -> cloudwatch.IMetric:
        """Client connections (``CurrConnections``), summed over the nodes."""
        return self._kind_metric("connections", self.metric_series(), period, label)

    def metric_replication_lag(self, *, period: Duration | None = None, label: str | None = None) -> cloudwatch.IMetric:
        """Seconds the most lagging replica is behind its primary (``ReplicationLag``, published by replicas)."""
        return self._kind_metric("replication_lag", self.metric_series(), period, label)

    def metric_read_latency(self, *, period: Duration | None = None, label: str | None = None) -> cloudwatch.IMetric:
        """Server-side read latency in microseconds (``GetTypeCmdsLatency``; serverless:
        ``SuccessfulReadRequestLatency``), slowest node."""
        return self._kind_metric("read_latency", self.metric_series(), period, label)

    def metric_write_latency(self, *, period: Duration | None = None, label: str | None = None) -> cloudwatch.IMetric:
        """Server-side write latency in microseconds (``SetTypeCmdsLatency``; serverless:
        ``SuccessfulWriteRequestLatency``), slowest node."""
        return self._kind_metric("write_latency", self.metric_series(), period, label)

    # -- alarms ----------------------------------------------------------------------------------------------
    def add_alarms(self, id: str = "Alarms", **options: Any) -> CacheAlarms:
        """Create the opt-in alarm set (see ``CacheAlarms`` for the options and defaults) under this cache."""
        if not isinstance(self, Construct):
            raise TypeError("add_alarms() needs a construct")
        return CacheAlarms(self, id, cache=self, **options)

    # -- internals -------------------------------------------------------------------------------------------
    def _kind_metric(
        self, kind: str, series: list[dict[str, str]], period: Duration | None, label: str | None
    ) -> cloudwatch.IMetric:
        spec = _KINDS[kind]
        available = self.monitored_kinds()
        if kind not in available:
            raise ValidationError(
                f"{_helper_name(kind)}: {type(self).__name__} does not publish {spec.title.lower()} "
                f"(available: {', '.join(sorted(_helper_name(k) for k in available))})"
            )
        label = label or spec.title
        names = self.metric_names
        if kind == "hit_rate" and names.hits and names.misses:
            return self._hit_ratio(names.hits, names.misses, series, period, label)
        name = str(getattr(names, spec.field))
        return self._combined(name, spec.statistic, spec.combine, series, period, label, None)

    def _metric(
        self, name: str, statistic: str, dims: dict[str, str], period: Duration | None, label: str | None,
        unit: cloudwatch.Unit | None = None,
    ) -> cloudwatch.Metric:
        return cloudwatch.Metric(
            namespace=self.metric_namespace,
            metric_name=name,
            dimensions_map=dims,
            statistic=statistic,
            period=period or Duration.minutes(5),
            label=label,
            unit=unit,
        )

    def _combined(
        self, name: str, statistic: str, combine: str, series: list[dict[str, str]], period: Duration | None,
        label: str | None, unit: cloudwatch.Unit | None,
    ) -> cloudwatch.IMetric:
        if len(series) == 1:
            return self._metric(name, statistic, series[0], period, label, unit)
        prefix = _metric_id(name)
        using = {f"{prefix}{i}": self._metric(name, statistic, d, period, None, unit) for i, d in enumerate(series)}
        return cloudwatch.MathExpression(
            expression=f"{combine}([{','.join(using)}])",
            using_metrics=using,
            period=period or Duration.minutes(5),
            label=label or f"{name} ({combine.lower()} of {len(series)} nodes)",
        )

    def _hit_ratio(
        self, hits: str, misses: str, series: list[dict[str, str]], period: Duration | None, label: str
    ) -> cloudwatch.IMetric:
        hit_ids = {f"{_metric_id(hits)}{i}": d for i, d in enumerate(series)}
        miss_ids = {f"{_metric_id(misses)}{i}": d for i, d in enumerate(series)}
        using: dict[str, cloudwatch.IMetric] = {
            k: self._metric(hits, "Sum", d, period, None) for k, d in hit_ids.items()
        }
        using.update({k: self._metric(misses, "Sum", d, period, None) for k, d in miss_ids.items()})
        h = f"SUM([{','.join(hit_ids)}])"
        x = f"SUM([{','.join(miss_ids)}])"
        return cloudwatch.MathExpression(
            expression=f"100*{h}/({h}+{x})", using_metrics=using, period=period or Duration.minutes(5), label=label
        )

    def _metrics_per_series(self, kind: str) -> int:
        names = self.metric_names
        return 2 if kind == "hit_rate" and names.hits and names.misses else 1


def _metric_id(metric_name: str) -> str:
    """A metric-math id prefix from a metric name (ids start with a lowercase letter): ``CacheHits`` ->
    ``cachehits``. Distinct per metric, so several helpers can share one graph."""
    return re.sub("[^a-z0-9]", "", metric_name.lower()) or "m"


# --- alarms ----------------------------------------------------------------------------------------------------
class _DefaultType:
    """Marker for "the documented default threshold" (so an explicit value on an unsupported metric fails)."""

    def __repr__(self) -> str:
        return "DEFAULT"


#: Use the default threshold (and skip the alarm silently when the cache does not publish the metric).
DEFAULT: Any = _DefaultType()

Threshold = float | None | _DefaultType


@dataclass(frozen=True)
class _AlarmSpec:
    kind: str
    prop: str
    default: float | None
    #: alarm when the metric goes below (True) or above (False) the threshold
    below: bool
    #: allowed thresholds: ``low < t`` (``low <= t`` when ``low_inclusive``) and, when ``high`` is set,
    #: ``t < high`` (``t <= high`` when ``high_inclusive``)
    low: float
    low_inclusive: bool
    high: float | None
    high_inclusive: bool
    what: str


#: The alarm set, with the guide's thresholds (hit ratio > 90 %, evictions, memory, response time) as defaults.
ALARM_SPECS: tuple[_AlarmSpec, ...] = (
    _AlarmSpec("hit_rate", "hit_rate_percent_below", 90.0, below=True, low=0, low_inclusive=False,
               high=100, high_inclusive=True, what="a percentage above 0, at most 100"),
    _AlarmSpec("evictions", "evictions_above", 0.0, below=False, low=0, low_inclusive=True,
               high=None, high_inclusive=False, what="0 or more evictions per period"),
    _AlarmSpec("memory_percent", "memory_percent_above", 80.0, below=False, low=0, low_inclusive=False,
               high=100, high_inclusive=False, what="a percentage above 0, below 100"),
    _AlarmSpec("engine_cpu", "engine_cpu_percent_above", 90.0, below=False, low=0, low_inclusive=False,
               high=100, high_inclusive=False, what="a percentage above 0, below 100"),
    _AlarmSpec("replication_lag", "replication_lag_seconds_above", 30.0, below=False, low=0, low_inclusive=False,
               high=None, high_inclusive=False, what="seconds above 0"),
    _AlarmSpec("read_latency", "read_latency_microseconds_above", 5000.0, below=False, low=0, low_inclusive=False,
               high=None, high_inclusive=False, what="microseconds above 0"),
    _AlarmSpec("write_latency", "write_latency_microseconds_above", 5000.0, below=False, low=0, low_inclusive=False,
               high=None, high_inclusive=False, what="microseconds above 0"),
    _AlarmSpec("connections", "connections_above", None, below=False, low=0, low_inclusive=False,
               high=MAX_CONNECTIONS, high_inclusive=True, what=f"above 0, at most {MAX_CONNECTIONS}"),
)


def _check_period(period: Duration) -> float:
    """A whole number of minutes (ElastiCache publishes once a minute); returns the seconds."""
    seconds = period.to_seconds()
    if seconds < METRIC_RESOLUTION_SECONDS or seconds % METRIC_RESOLUTION_SECONDS:
        raise fail("period", f"{seconds:g} seconds", "must be whole minutes (ElastiCache publishes every 60 s)")
    return seconds


def _check_threshold(spec: _AlarmSpec, value: Any) -> None:
    if value is None or isinstance(value, _DefaultType) or is_unresolved(value):
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise fail(spec.prop, value, f"must be a number: {spec.what}, or None to disable")
    too_low = value < spec.low if spec.low_inclusive else value <= spec.low
    too_high = spec.high is not None and (value > spec.high if spec.high_inclusive else value >= spec.high)
    if too_low or too_high:
        raise fail(spec.prop, value, f"must be {spec.what} (None disables the alarm)")


class CacheAlarms(Construct):
    """The opt-in alarm set of one cache. Every threshold defaults to the guide's / AWS's recommendation; pass
    ``None`` to drop an alarm. Metrics the cache does not publish (e.g. engine CPU on a serverless cache) are
    skipped when left at their default and are an error when set explicitly.

    :param cache: a construct using ``CacheMetricsMixin`` (replication groups, serverless caches, Memcached).
    :param topic: SNS topic notified on ALARM and OK. A topic of this app gets a policy statement letting this
        account's CloudWatch alarms publish (see ``allow_alarms_to_publish``), and, when encrypted with a
        ``kms.Key`` of this app, the key statement CloudWatch needs. An imported topic must already allow
        ``cloudwatch.amazonaws.com`` ``sns:Publish`` (and its customer managed key ``kms:Decrypt`` /
        ``kms:GenerateDataKey*``; the AWS managed ``alias/aws/sns`` key cannot): ``topic_policy_managed`` says
        which case applies. Default: no actions.
    :param hit_rate_percent_below: alarm when the hit rate drops below this. Default: 90 (the guide's target).
    :param evictions_above: alarm when more keys than this are evicted per period, sustained. Default: 0.
    :param memory_percent_above: ``DatabaseMemoryUsagePercentage`` of the fullest node. Default: 80.
    :param engine_cpu_percent_above: ``EngineCPUUtilization`` of the busiest node. Default: 90 (AWS guidance).
    :param replication_lag_seconds_above: lag of the slowest replica. Default: 30; only for caches with replicas.
    :param read_latency_microseconds_above: average read-command latency, slowest node. Default: 5000 (the
        guide's 5 ms response-time budget).
    :param write_latency_microseconds_above: same for writes. Default: 5000.
    :param connections_above: total client connections. Default: ``None`` (no alarm; depends on the client fleet).
    :param period: Default: 1 minute (ElastiCache's resolution); a whole number of minutes.
    :param evaluation_periods: Default: 5.
    :param datapoints_to_alarm: breaching periods out of ``evaluation_periods``. Default: all of them (sustained).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        cache: CacheMetricsMixin,
        topic: sns.ITopic | None = None,
        hit_rate_percent_below: Threshold = DEFAULT,
        evictions_above: Threshold = DEFAULT,
        memory_percent_above: Threshold = DEFAULT,
        engine_cpu_percent_above: Threshold = DEFAULT,
        replication_lag_seconds_above: Threshold = DEFAULT,
        read_latency_microseconds_above: Threshold = DEFAULT,
        write_latency_microseconds_above: Threshold = DEFAULT,
        connections_above: Threshold = DEFAULT,
        period: Duration | None = None,
        evaluation_periods: int = 5,
        datapoints_to_alarm: int | None = None,
    ) -> None:
        given = {
            "hit_rate_percent_below": hit_rate_percent_below,
            "evictions_above": evictions_above,
            "memory_percent_above": memory_percent_above,
            "engine_cpu_percent_above": engine_cpu_percent_above,
            "replication_lag_seconds_above": replication_lag_seconds_above,
            "read_latency_microseconds_above": read_latency_microseconds_above,
            "write_latency_microseconds_above": write_latency_microseconds_above,
            "connections_above": connections_above,
        }
        if not isinstance(cache, CacheMetricsMixin):
            raise fail("cache", cache, "pass a cache construct with metric helpers (e.g. a ShardedReplicationGroup)")
        period = period or Duration.minutes(1)
        seconds = _check_period(period)
        if isinstance(evaluation_periods, bool) or not isinstance(evaluation_periods, int) or evaluation_periods < 1:
            raise fail("evaluation_periods", evaluation_periods, "must be a whole number of 1 or more")
        if evaluation_periods * seconds > MAX_ALARM_WINDOW_SECONDS:
            raise fail(
                "evaluation_periods", evaluation_periods,
                f"evaluation_periods x period ({evaluation_periods} x {seconds:g} s) must not exceed one day",
            )
        if datapoints_to_alarm is not None and (
            isinstance(datapoints_to_alarm, bool)
            or not isinstance(datapoints_to_alarm, int)
            or not 1 <= datapoints_to_alarm <= evaluation_periods
        ):
            raise fail(
                "datapoints_to_alarm", datapoints_to_alarm, f"must be 1 to evaluation_periods ({evaluation_periods})"
            )
        if topic is not None and not hasattr(topic, "topic_arn"):
            raise fail("topic", topic, "pass an sns.ITopic")
        available = cache.monitored_kinds()
        plan: list[tuple[_AlarmSpec, float]] = []
        for spec in ALARM_SPECS:
            value = given[spec.prop]
            _check_threshold(spec, value)
            if value is None:
                continue
            if spec.kind not in available:
                if isinstance(value, _DefaultType):
                    continue
                raise fail(
                    spec.prop, value,
                    f"{type(cache).__name__} does not publish {_KINDS[spec.kind].title.lower()}; "
                    "leave it unset or pass None",
                )
            threshold = spec.default if isinstance(value, _DefaultType) else float(value)
            if threshold is None:
                continue
            plan.append((spec, threshold))
        series = cache.metric_series()

        super().__init__(scope, id)
        self.cache = cache
        self.topic = topic
        #: kind (``hit_rate``, ``evictions``, ...) -> the alarm to watch (composite when the group is split).
        self.alarms: dict[str, cloudwatch.IAlarm] = {}
        #: every metric alarm created, by kind.
        self.metric_alarms: dict[str, list[cloudwatch.Alarm]] = {}
        where = _describe(cache)
        #: Whether this construct could add the publish statement to the topic's policy (``False`` for an
        #: imported topic, whose policy it cannot see: that topic must already allow what
        #: ``allow_alarms_to_publish`` documents).
        self.topic_policy_managed = allow_alarms_to_publish(topic) if topic is not None else False
        for spec, threshold in plan:
            kind = _KINDS[spec.kind]
            per_chunk = max(1, MAX_METRICS_PER_ALARM // cache._metrics_per_series(spec.kind))
            chunks = [series[i : i + per_chunk] for i in range(0, len(series), per_chunk)]
            name = _camel(spec.kind)
            op = (
                cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD
                if spec.below
                else cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD
            )
            word = "below" if spec.below else "above"
            alarms: list[cloudwatch.Alarm] = []
            for n, chunk in enumerate(chunks):
                part = "" if len(chunks) == 1 else f" (nodes {n * per_chunk + 1}-{n * per_chunk + len(chunk)})"
                alarm = cloudwatch.Alarm(
                    self,
                    name if len(chunks) == 1 else f"{name}{n + 1}",
                    metric=cache._kind_metric(spec.kind, chunk, period, kind.title),
                    threshold=threshold,
                    comparison_operator=op,
                    evaluation_periods=evaluation_periods,
                    datapoints_to_alarm=datapoints_to_alarm or evaluation_periods,
                    treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
                    alarm_description=(
                        f"{where}: {kind.title} {word} {threshold:g} {kind.unit}{part} "
                        f"for {datapoints_to_alarm or evaluation_periods} of {evaluation_periods} periods"
                    ),
                )
                alarms.append(alarm)
            self.metric_alarms[spec.kind] = alarms
            watched: cloudwatch.IAlarm
            if len(alarms) == 1:
                watched = alarms[0]
            else:
                watched = cloudwatch.CompositeAlarm(
                    self, f"{name}Any",
                    alarm_rule=cloudwatch.AlarmRule.any_of(*alarms),
                    alarm_description=f"{where}: {kind.title} {word} {threshold:g} {kind.unit} on any node",
                )
            if topic is not None:
                action = cloudwatch_actions.SnsAction(topic)
                assert isinstance(watched, (cloudwatch.Alarm, cloudwatch.CompositeAlarm))
                watched.add_alarm_action(action)
                watched.add_ok_action(action)
            self.alarms[spec.kind] = watched


#: The service principal CloudWatch alarms (metric and composite) publish to SNS as.
CLOUDWATCH_PRINCIPAL = "cloudwatch.amazonaws.com"


def allow_alarms_to_publish(topic: sns.ITopic) -> bool:
    """Let this account's CloudWatch alarms notify ``topic``; returns whether the topic's policy could be changed.

    A topic policy replaces SNS's default policy, so a topic whose only statement is the TLS-only ``Deny`` of
    ``enforce_ssl=True`` refuses every alarm notification ("not authorized to perform SNS:Publish"): the policy
    must allow ``cloudwatch.amazonaws.com`` to ``sns:Publish``
    (https://repost.aws/knowledge-center/cloudwatch-receive-sns-for-alarm-trigger). The statement is scoped to
    alarms of this account and region with ``aws:SourceAccount`` and ``aws:SourceArn``
    (``arn:<partition>:cloudwatch:<region>:<account>:alarm:*``, which also names composite alarms), the
    confused-deputy guard SNS documents (https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-use-cases.html).
    It sits beside ``enforce_ssl``'s ``Deny`` of non-TLS requests, which CloudWatch's TLS requests pass.

    A topic encrypted with a ``kms.Key`` of this app also gets key-policy permission for CloudWatch
    (``kms:Decrypt``, ``kms:GenerateDataKey*``): a service publishing to an encrypted topic needs it, and the AWS
    managed ``alias/aws/sns`` key can never grant it
    (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services).

    For an imported topic (``sns.Topic.from_topic_arn``) CDK cannot change the policy: nothing is added, ``False``
    is returned, and the topic's owner must add the same ``Allow`` (and, for a customer managed key, the key
    statement) themselves. Idempotent: calling it twice for one topic adds one statement.
    """
    stack = Stack.of(topic)
    if getattr(topic, "_elasticache_alarm_publish", False):
        return True
    statement = iam.PolicyStatement(
        sid="AllowCloudWatchAlarmsToPublish",
        effect=iam.Effect.ALLOW,
        principals=[iam.ServicePrincipal(CLOUDWATCH_PRINCIPAL)],
        actions=["sns:Publish"],
        resources=[topic.topic_arn],
        conditions={
            "StringEquals": {"aws:SourceAccount": stack.account},
            "ArnLike": {
                "aws:SourceArn": stack.format_arn(service="cloudwatch", resource="alarm", resource_name="*",
                                                  arn_format=ArnFormat.COLON_RESOURCE_NAME)
            },
        },
    )
    added = topic.add_to_resource_policy(statement).statement_added
    if not added:
        return False
    key = getattr(topic, "master_key", None)
    if isinstance(key, kms.Key):
        key.grant(iam.ServicePrincipal(CLOUDWATCH_PRINCIPAL), "kms:Decrypt", "kms:GenerateDataKey*")
    object.__setattr__(topic, "_elasticache_alarm_publish", True)
    return True


def _describe(cache: object) -> str:
    """The construct path of a cache (its class name when it is not a construct)."""
    return cache.node.path if isinstance(cache, Construct) else type(cache).__name__


def _camel(kind: str) -> str:
    return "".join(part.capitalize() for part in kind.split("_"))


# --- dashboard ---------------------------------------------------------------------------------------------------
class CacheDashboard(Construct):
    """A CloudWatch dashboard with one row of graphs per cache: hit rate, memory, evictions, engine CPU,
    connections, read/write latency and (for caches with replicas) replication lag.

    ``CacheDashboard(stack, "Dashboard", caches=[a, b])`` or ``CacheDashboard.of(stack).add_cache(a)`` for the
    stack's shared one.

    :param caches: caches to show. Default: none (add them with ``add_cache``).
    :param dashboard_name: Default: generated by CloudFormation.
    :param period: graph period. Default: 5 minutes.
    """

    SHARED_ID = "CacheDashboard"

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        caches: Sequence[CacheMetricsMixin] = (),
        dashboard_name: str | None = None,
        period: Duration | None = None,
    ) -> None:
        period = period or Duration.minutes(5)
        _check_period(period)
        for cache in caches:
            if not isinstance(cache, CacheMetricsMixin):
                raise fail("caches", cache, "each must be a cache construct with metric helpers")
        super().__init__(scope, id)
        self.period = period
        self.dashboard = cloudwatch.Dashboard(self, "Resource", dashboard_name=dashboard_name)
        self.caches: list[CacheMetricsMixin] = []
        for cache in caches:
            self.add_cache(cache)

    @classmethod
    def of(cls, scope: IConstruct) -> CacheDashboard:
        """The stack's shared cache dashboard, created on first use."""
        stack = Stack.of(scope)
        existing = stack.node.try_find_child(cls.SHARED_ID)
        if isinstance(existing, CacheDashboard):
            return existing
        return cls(stack, cls.SHARED_ID)

    def add_cache(self, cache: CacheMetricsMixin, *, title: str | None = None) -> None:
        """Add a row of graphs for ``cache``."""
        if not isinstance(cache, CacheMetricsMixin):
            raise fail("cache", cache, "must be a cache construct with metric helpers")
        if any(c is cache for c in self.caches):
            raise fail("cache", getattr(getattr(cache, "node", None), "path", cache), "is already on this dashboard")
        self.caches.append(cache)
        kinds = cache.monitored_kinds()
        p = self.period
        heading = title or _describe(cache)
        widgets: list[cloudwatch.IWidget] = [cloudwatch.TextWidget(markdown=f"## {heading}", width=24, height=1)]

        def graph(title: str, kinds_: Sequence[str], unit: str) -> None:
            present = [k for k in kinds_ if k in kinds]
            if present:
                widgets.append(
                    cloudwatch.GraphWidget(
                        title=title,
                        left=[cache._kind_metric(k, cache.metric_series(), p, _KINDS[k].title) for k in present],
                        left_y_axis=cloudwatch.YAxisProps(label=unit, show_units=False),
                        width=8,
                        height=6,
                    )
                )

        graph("Cache hit rate (%)", ["hit_rate"], "%")
        graph("Memory used (%)", ["memory_percent"], "%")
        graph("Evictions", ["evictions"], "keys")
        graph("Engine CPU (%)", ["engine_cpu"], "%")
        graph("Current connections", ["connections"], "connections")
        graph("Latency (microseconds)", ["read_latency", "write_latency"], "us")
        graph("Replication lag (s)", ["replication_lag"], "s")
        self.dashboard.add_widgets(widgets[0])
        self.dashboard.add_widgets(*widgets[1:])


__all__ = [
    "ALARM_SPECS",
    "CLOUDWATCH_PRINCIPAL",
    "DEFAULT",
    "MAX_METRICS_PER_ALARM",
    "NAMESPACE",
    "CacheAlarms",
    "CacheDashboard",
    "CacheMetricNames",
    "CacheMetricsMixin",
    "allow_alarms_to_publish",
]
