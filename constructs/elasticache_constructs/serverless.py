"""ElastiCache Serverless: the official alpha ``ServerlessCache`` with this library's secure defaults, validation,
both endpoint ports in ``connections``, the outputs contract and correct CloudWatch dimensions."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import jsii
from aws_cdk import Duration, IStableStringProducer, Lazy, Names, RemovalPolicy, Size
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticache as elasticache
from aws_cdk import aws_elasticache_alpha as alpha
from aws_cdk import aws_events as events
from aws_cdk import aws_kms as kms
from constructs import Construct

from ._network import subnet_kwargs
from ._validation import check_range, fail, implements, is_unresolved
from .auth import Authentication
from .endpoint import Endpoint
from .engine import Engine
from .monitoring import CacheMetricNames, CacheMetricsMixin
from .network import ConnectionType, NetworkType, parse_connection_type, validate_network
from .outputs import ConnectionInfo, ConnectionOutputsMixin

#: Major engine versions ElastiCache Serverless offers per engine (the alpha's named ``CacheEngine`` members).
SERVERLESS_MAJOR_VERSIONS: dict[Engine, tuple[str, ...]] = {
    Engine.VALKEY: ("7", "8", "9"),
    Engine.REDIS: ("7",),
    Engine.MEMCACHED: ("1.6",),
}
#: Ports a serverless cache listens on: the endpoint and the reader (read-from-replica) endpoint.
SERVERLESS_PORTS: dict[Engine, tuple[int, int]] = {
    Engine.VALKEY: (6379, 6380),
    Engine.REDIS: (6379, 6380),
    Engine.MEMCACHED: (11211, 11212),
}
#: Data storage usage limits, GB (``CacheUsageLimits.DataStorage``).
MIN_DATA_STORAGE_GB, MAX_DATA_STORAGE_GB = 1, 5_000
#: ECPU per second usage limits (``CacheUsageLimits.ECPUPerSecond``).
MIN_ECPU_PER_SECOND, MAX_ECPU_PER_SECOND = 1_000, 15_000_000
#: Automatic snapshots are kept at most this many days.
MAX_SNAPSHOT_RETENTION_DAYS = 35
#: Serverless cache names are 1-40 characters.
MAX_NAME_LENGTH = 40
MAX_DESCRIPTION_LENGTH = 255
#: CloudWatch dimension of serverless cache metrics (value: the cache name). Not ``ServerlessCacheName``.
METRIC_DIMENSION = "clusterId"

_REMOVAL_POLICIES = (RemovalPolicy.DESTROY, RemovalPolicy.RETAIN, RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE)
_NAME_RE = re.compile(r"^[a-z][a-z0-9-]*$")
_SNAPSHOT_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9-]*$")
_TIME_RE = re.compile(r"^(\d{2}):(\d{2})$")


# --- validation rules ---------------------------------------------------------------------------------------
def resolve_engine(engine: Any, major_engine_version: str | None) -> tuple[Engine, str | None]:
    """The engine and major version from a ``CacheEngine`` or an ``Engine`` (+ ``major_engine_version``)."""
    if isinstance(engine, alpha.CacheEngine):
        if major_engine_version is not None:
            raise fail(
                "major_engine_version",
                major_engine_version,
                f"the CacheEngine {engine.to_string()!r} already sets it; pass one or the other",
            )
        eng = Engine.parse(engine.engine_type)
        major = engine.major_engine_version
    elif isinstance(engine, (Engine, str)):
        eng = Engine.parse(engine)
        major = major_engine_version
    else:
        raise fail("engine", engine, "pass a CacheEngine (e.g. CacheEngine.VALKEY_9) or an Engine")
    if major is not None and not is_unresolved(major):
        allowed = SERVERLESS_MAJOR_VERSIONS[eng]
        if str(major) not in allowed:
            raise fail(
                "major_engine_version",
                major,
                f"serverless {eng.value} offers major versions " + ", ".join(repr(a) for a in allowed),
            )
    return eng, (str(major) if major is not None else None)


def validate_serverless_cache_name(value: str | None) -> None:
    """1-40 lowercase letters, digits or hyphens; starts with a letter; no ``--``; no trailing hyphen.

    ElastiCache stores the name in lowercase; requiring lowercase keeps the ARN and the metric dimension (both
    derived from the name given here) equal to what AWS reports.
    """
    if value is None or is_unresolved(value):
        return
    if (
        not isinstance(value, str)
        or not 1 <= len(value) <= MAX_NAME_LENGTH
        or not _NAME_RE.match(value)
        or "--" in value
        or value.endswith("-")
    ):
        raise fail(
            "serverless_cache_name",
            value,
            f"must be 1-{MAX_NAME_LENGTH} lowercase letters, digits or hyphens, starting with a letter, "
            "without '--' or a trailing hyphen",
        )


def validate_description(description: str | None) -> None:
    """At most 255 characters, without ``<`` or ``>``."""
    if description is None or is_unresolved(description):
        return
    if len(description) > MAX_DESCRIPTION_LENGTH:
        raise fail("description", description[:40] + "...", f"must be at most {MAX_DESCRIPTION_LENGTH} characters")
    if "<" in description or ">" in description:
        raise fail("description", description, "must not contain '<' or '>'")


def validate_usage_limits(
    data_storage_min_gb: int | None,
    data_storage_max_gb: int | None,
    ecpu_per_second_min: int | None,
    ecpu_per_second_max: int | None,
) -> None:
    """Data storage 1-5,000 GB and ECPU/s 1,000-15,000,000, each minimum at most its maximum."""
    check_range("data_storage_min_gb", data_storage_min_gb, MIN_DATA_STORAGE_GB, MAX_DATA_STORAGE_GB)
    check_range("data_storage_max_gb", data_storage_max_gb, MIN_DATA_STORAGE_GB, MAX_DATA_STORAGE_GB)
    check_range("ecpu_per_second_min", ecpu_per_second_min, MIN_ECPU_PER_SECOND, MAX_ECPU_PER_SECOND)
    check_range("ecpu_per_second_max", ecpu_per_second_max, MIN_ECPU_PER_SECOND, MAX_ECPU_PER_SECOND)
    for low_prop, low, high_prop, high in (
        ("data_storage_min_gb", data_storage_min_gb, "data_storage_max_gb", data_storage_max_gb),
        ("ecpu_per_second_min", ecpu_per_second_min, "ecpu_per_second_max", ecpu_per_second_max),
    ):
        if low is None or high is None or is_unresolved(low) or is_unresolved(high):
            continue
        if low > high:
            raise fail(low_prop, low, f"must be at most {high_prop} ({high})")


def parse_daily_snapshot_time(value: str) -> tuple[int, int]:
    """``"04:30"`` (UTC) -> (4, 30)."""
    m = _TIME_RE.match(value) if isinstance(value, str) else None
    if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59:
        raise fail("daily_snapshot_time", value, "format is 'hh24:mi' in UTC, e.g. '04:00'")
    return int(m.group(1)), int(m.group(2))


def validate_final_snapshot_name(value: str | None) -> None:
    """Starts with a letter; letters, digits and hyphens; no ``--``; no trailing hyphen."""
    if value is None or is_unresolved(value):
        return
    if not _SNAPSHOT_NAME_RE.match(value) or "--" in value or value.endswith("-"):
        raise fail(
            "final_snapshot_name",
            value,
            "must start with a letter and contain only letters, digits and hyphens, without '--' or a trailing hyphen",
        )


def validate_authentication(authentication: Any, engine: Engine) -> alpha.IUserGroup | None:
    """Serverless access control is RBAC only: a user group (Valkey/Redis OSS) or none. No AUTH token."""
    if authentication is None:
        return None
    if not isinstance(authentication, Authentication):
        raise fail("authentication", authentication, "pass Authentication.user_group(...) or Authentication.none()")
    if authentication.uses_token:
        raise fail(
            "authentication",
            authentication.kind,
            "serverless caches have no AUTH token; use Authentication.user_group(...) (RBAC) or Authentication.none()",
        )
    if authentication.kind != "user_group":
        return None
    if engine is Engine.MEMCACHED:
        raise fail(
            "authentication", "user_group", "serverless memcached has no user groups (RBAC is valkey/redis only)"
        )
    # Read only: the group is bound (Authentication.bind) once the cache exists.
    group: alpha.IUserGroup | None = getattr(authentication, "_user_group", None)
    group_engine = getattr(getattr(group, "engine", None), "engine_type", None)
    if engine is Engine.REDIS and group_engine not in (None, "redis"):
        raise fail(
            "authentication",
            f"user group of engine {group_engine!r}",
            "a redis serverless cache needs a user group with engine UserEngine.REDIS",
        )
    return group


# --- the construct ------------------------------------------------------------------------------------------
class ServerlessCache(alpha.ServerlessCache, CacheMetricsMixin, ConnectionOutputsMixin):
    """An ElastiCache Serverless cache: the official ``aws_elasticache_alpha.ServerlessCache`` (so its grants,
    ``metric_*`` helpers and ``from_*`` importers work unchanged) with secure defaults and validation.

    Secure by default: TLS always (serverless has no plain-text mode), at-rest encryption always (AWS owned key
    unless ``kms_key``), a dedicated security group with no ingress and no egress, daily snapshots kept 1 day.
    Clients connect to ``endpoint`` (cluster mode: use ``RedisCluster``) and may read from ``reader_endpoint``;
    ``connections.allow_default_port_from(peer)`` opens both ports (6379-6380, Memcached 11211-11212).
    Metrics use the ``clusterId`` dimension serverless caches publish (the alpha's own ``metric()`` uses a
    dimension that receives no data; it is overridden here, which fixes every inherited ``metric_*`` helper).

    :param vpc: VPC the cache's endpoints live in.
    :param engine: a ``CacheEngine`` (``CacheEngine.VALKEY_9``, ``CacheEngine.REDIS_7``, ``CacheEngine.MEMCACHED_1_6``,
        ``CacheEngine.VALKEY_LATEST``...) or an ``Engine`` with ``major_engine_version``.
        Default: ``CacheEngine.VALKEY_9`` (the newest major the alpha names, pinned).
    :param major_engine_version: with an ``Engine``: valkey 7/8/9, redis 7, memcached 1.6. Default: the latest.
    :param authentication: ``Authentication.user_group(group)`` (RBAC; Valkey/Redis OSS) or
        ``Authentication.none()``. AUTH tokens do not exist for serverless and are rejected. Default: none
        (the built-in ``default`` user; restrict access with ``connections``).
    :param kms_key: customer managed key for at-rest encryption. Default: AWS owned key.
    :param data_storage_min_gb: pre-scaled storage, 1-5,000 GB. Default: none.
    :param data_storage_max_gb: storage cap, 1-5,000 GB (TTL keys are evicted at the cap). Default: none.
    :param ecpu_per_second_min: pre-scaled ECPU/s, 1,000-15,000,000. Default: none.
    :param ecpu_per_second_max: ECPU/s cap (requests are throttled above it), 1,000-15,000,000. Default: none.
    :param snapshot_retention_days: automatic daily snapshots kept 0-35 days (0 disables). Default: 1.
    :param daily_snapshot_time: UTC ``hh24:mi`` the daily snapshot starts. Default: chosen by ElastiCache.
    :param final_snapshot_name: snapshot taken when the cache is deleted. Default: none.
    :param snapshot_arns_to_restore: snapshots to seed the new cache from. Default: none.
    :param vpc_subnets: Default: the VPC's private subnets (isolated when it has no private-with-egress ones).
    :param security_groups: Default: a new group with no ingress or egress; allow clients with ``connections``.
    :param serverless_cache_name: physical name, lowercase. Default: generated (lowercase) from the path.
    :param description: at most 255 characters, no ``<``/``>``. Default: none.
    :param removal_policy: ``DESTROY`` or ``RETAIN`` (``SNAPSHOT`` is not a CloudFormation deletion policy of
        serverless caches: use ``final_snapshot_name``). Default: ``DESTROY``.
    :param network_type: ``NetworkType.IPV4``, ``IPV6`` or ``DUAL_STACK`` (subnets with the matching CIDRs).
        Create-only. Default: not set (ElastiCache: IPv4).
    :param connection_type: ``ConnectionType.VPC`` or ``PUBLIC``. Create-only. Default: not set (ElastiCache: VPC).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        vpc: ec2.IVpc,
        engine: alpha.CacheEngine | Engine | str = alpha.CacheEngine.VALKEY_9,
        major_engine_version: str | None = None,
        authentication: Authentication | None = None,
        kms_key: kms.IKey | None = None,
        data_storage_min_gb: int | None = None,
        data_storage_max_gb: int | None = None,
        ecpu_per_second_min: int | None = None,
        ecpu_per_second_max: int | None = None,
        snapshot_retention_days: int = 1,
        daily_snapshot_time: str | None = None,
        final_snapshot_name: str | None = None,
        snapshot_arns_to_restore: Sequence[str] | None = None,
        vpc_subnets: ec2.SubnetSelection | None = None,
        security_groups: Sequence[ec2.ISecurityGroup] | None = None,
        serverless_cache_name: str | None = None,
        description: str | None = None,
        removal_policy: RemovalPolicy = RemovalPolicy.DESTROY,
        network_type: NetworkType | str | None = None,
        connection_type: ConnectionType | str | None = None,
    ) -> None:
        # Validate everything before creating any child, so a bad prop leaves no half-built construct.
        engine_type, major = resolve_engine(engine, major_engine_version)
        connection = parse_connection_type(connection_type)
        user_group = validate_authentication(authentication, engine_type)
        if kms_key is not None and not implements(kms_key, kms.IKey):
            raise fail("kms_key", kms_key, "pass a kms.IKey")
        validate_usage_limits(data_storage_min_gb, data_storage_max_gb, ecpu_per_second_min, ecpu_per_second_max)
        check_range("snapshot_retention_days", snapshot_retention_days, 0, MAX_SNAPSHOT_RETENTION_DAYS)
        snapshot_time = parse_daily_snapshot_time(daily_snapshot_time) if daily_snapshot_time is not None else None
        if snapshot_time is not None and snapshot_retention_days == 0:
            raise fail(
                "daily_snapshot_time", daily_snapshot_time, "automatic snapshots are off (snapshot_retention_days=0)"
            )
        validate_final_snapshot_name(final_snapshot_name)
        validate_serverless_cache_name(serverless_cache_name)
        validate_description(description)
        if removal_policy not in _REMOVAL_POLICIES:
            raise fail(
                "removal_policy",
                str(removal_policy),
                "allowed: RemovalPolicy.DESTROY, RemovalPolicy.RETAIN; for a backup on delete set final_snapshot_name",
            )
        if security_groups is not None and len(security_groups) == 0:
            raise fail("security_groups", [], "pass at least one security group, or leave it unset for a new one")

        subnets = vpc.select_subnets(**subnet_kwargs(vpc_subnets))
        network = validate_network(network_type, None, engine_version=None, node_type=None, subnets=subnets.subnets)
        # ElastiCache stores names in lowercase; the generated default is lowercase too, so the ARN and the
        # metric dimension derived from it match what AWS reports.
        name = serverless_cache_name or Lazy.string(_LowercaseUniqueName(self))
        backup = alpha.BackupSettings(
            backup_retention_limit=snapshot_retention_days or None,
            backup_time=events.Schedule.cron(hour=str(snapshot_time[0]), minute=str(snapshot_time[1]))
            if snapshot_time
            else None,
            backup_name_before_deletion=final_snapshot_name,
            backup_arns_to_restore=list(snapshot_arns_to_restore) if snapshot_arns_to_restore else None,
        )
        limits = alpha.CacheUsageLimitsProperty(
            data_storage_minimum_size=_gib(data_storage_min_gb),
            data_storage_maximum_size=_gib(data_storage_max_gb),
            request_rate_limit_minimum=ecpu_per_second_min,
            request_rate_limit_maximum=ecpu_per_second_max,
        )
        usage = (data_storage_min_gb, data_storage_max_gb, ecpu_per_second_min, ecpu_per_second_max)
        has_limits = any(v is not None for v in usage)
        # The alpha looks for a "Resource" child of the group (to add a dependency), which imported groups lack.
        alpha_user_group = user_group if user_group is not None and _is_local(user_group) else None
        super().__init__(
            scope,
            id,
            vpc=vpc,
            engine=alpha.CacheEngine.of(engine_type.value, major),
            serverless_cache_name=name,
            description=description,
            kms_key=kms_key,
            user_group=alpha_user_group,
            vpc_subnets=ec2.SubnetSelection(subnets=subnets.subnets),
            security_groups=list(security_groups) if security_groups else None,
            cache_usage_limits=limits if has_limits else None,
            backup=backup if (snapshot_retention_days or final_snapshot_name or snapshot_arns_to_restore) else None,
        )
        #: The ``AWS::ElastiCache::ServerlessCache`` resource.
        self.resource: elasticache.CfnServerlessCache = self.node.default_child  # type: ignore[assignment]
        if security_groups:
            groups = list(security_groups)
        else:
            # Replace the alpha's group (which allows all egress) with one that allows nothing until granted.
            self.node.try_remove_child("SecurityGroup")
            groups = [
                ec2.SecurityGroup(
                    self, "SecurityGroup", vpc=vpc, allow_all_outbound=False,
                    description=f"ElastiCache {self.node.path}: no ingress until granted",
                )
            ]
            self.resource.security_group_ids = [g.security_group_id for g in groups]
        if user_group is not None and alpha_user_group is None:
            self.resource.user_group_id = user_group.user_group_name
        # Not offered by the alpha: set on the L1 (both create-only).
        self.resource.network_type = network["network_type"]
        self.resource.connection_type = connection.value if connection else None

        #: Engine of the cache.
        self.engine_type = engine_type
        self.metric_names = (
            CacheMetricNames.SERVERLESS if engine_type.is_redis_compatible else CacheMetricNames.SERVERLESS_MEMCACHED
        )
        #: Major engine version, or ``None`` for "the latest ElastiCache offers" (chosen at creation).
        self.major_engine_version = major
        #: The cache name (lowercase), also the ``clusterId`` metric dimension.
        self.cache_name: str = name
        self._security_groups = groups
        self._user_group = user_group
        self.authentication = authentication or Authentication.none()
        #: The endpoint's port and the reader endpoint's port.
        self.port, self.reader_port = SERVERLESS_PORTS[engine_type]
        self._connections = ec2.Connections(
            security_groups=groups, default_port=ec2.Port.tcp_range(self.port, self.reader_port)
        )
        #: Read/write endpoint (cluster-mode protocol for Valkey/Redis OSS).
        self.endpoint = Endpoint(self.resource.attr_endpoint_address, self.resource.attr_endpoint_port)
        #: Read-from-replica endpoint (Valkey/Redis OSS); ``None`` for Memcached.
        self.reader_endpoint: Endpoint | None = (
            Endpoint(self.resource.attr_reader_endpoint_address, self.resource.attr_reader_endpoint_port)
            if engine_type.is_redis_compatible
            else None
        )
        self.apply_removal_policy(removal_policy)

    # -- overrides of the alpha (visible to its JavaScript code too) ----------------------------------------
    @property
    def connections(self) -> ec2.Connections:
        """Network access; the default port is both endpoint ports (e.g. 6379-6380)."""
        return self._connections

    @property
    def security_groups(self) -> list[ec2.ISecurityGroup] | None:
        """The cache's security groups."""
        return self._security_groups

    @property
    def user_group(self) -> alpha.IUserGroup | None:
        """The RBAC user group, if any (also when it is imported)."""
        return self._user_group

    # The alpha's signature (first in the MRO) is the public one; the mixin's generic metric() is not used here.
    def metric(  # type: ignore[override]
        self,
        metric_name: str,
        *,
        account: str | None = None,
        color: str | None = None,
        dimensions_map: dict[str, str] | Any | None = None,
        id: str | None = None,
        label: str | None = None,
        period: Duration | None = None,
        region: str | None = None,
        stack_account: str | None = None,
        stack_region: str | None = None,
        statistic: str | None = None,
        unit: cloudwatch.Unit | None = None,
        visible: bool | None = None,
    ) -> cloudwatch.Metric:
        """The named ``AWS/ElastiCache`` metric of this cache (dimension ``clusterId``). Default: average over 5
        minutes, like the alpha."""
        return cloudwatch.Metric(
            namespace="AWS/ElastiCache",
            metric_name=metric_name,
            dimensions_map=dict(dimensions_map) if dimensions_map else self.metric_dimensions(),
            period=period or Duration.minutes(5),
            statistic=statistic or "Average",
            account=account, color=color, id=id, label=label, region=region, stack_account=stack_account,
            stack_region=stack_region, unit=unit, visible=visible,
        ).attach_to(self)

    # -- this library's additions --------------------------------------------------------------------------
    @property
    def cluster_mode(self) -> bool:
        """Valkey/Redis OSS serverless caches are cluster-mode caches; Memcached has no cluster mode."""
        return self.engine_type.is_redis_compatible

    def metric_dimensions(self) -> dict[str, str]:
        """CloudWatch dimensions of this cache's metrics: ``{"clusterId": <cache name>}``."""
        return {METRIC_DIMENSION: self.cache_name}

    def connection_info(self) -> ConnectionInfo:
        """The outputs contract's view of this cache."""
        return ConnectionInfo(
            engine=self.engine_type.value,
            resource_type="ServerlessCache",
            resource_id=self.resource.ref,
            endpoint=self.endpoint,
            tls=True,
            cluster_mode=self.cluster_mode,
            auth_secret=None,
            reader_endpoint=self.reader_endpoint,
        )



@jsii.implements(IStableStringProducer)
class _LowercaseUniqueName:
    """Produces ``Names.unique_resource_name(construct)`` in lowercase (a valid, stable cache name)."""

    def __init__(self, construct: Construct) -> None:
        self._construct = construct

    def produce(self) -> str:
        return Names.unique_resource_name(self._construct, max_length=MAX_NAME_LENGTH).lower()


def _gib(value: int | None) -> Size | None:
    return None if value is None else Size.gibibytes(value)


def _is_local(user_group: alpha.IUserGroup) -> bool:
    node = getattr(user_group, "node", None)
    return node is not None and node.try_find_child("Resource") is not None


__all__ = [
    "MAX_DATA_STORAGE_GB",
    "MAX_ECPU_PER_SECOND",
    "MIN_DATA_STORAGE_GB",
    "MIN_ECPU_PER_SECOND",
    "SERVERLESS_MAJOR_VERSIONS",
    "SERVERLESS_PORTS",
    "ServerlessCache",
]
