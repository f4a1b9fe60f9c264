"""Valkey / Redis OSS replication groups: cluster mode disabled (``ReplicationGroup``) and enabled
(``ShardedReplicationGroup``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import jsii
from aws_cdk import ArnFormat, CfnUpdatePolicy, Fn, RemovalPolicy, Resource, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticache as elasticache
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from constructs import Construct, IValidation

from . import change_safety
from ._network import subnet_kwargs
from ._validation import check_range, fail, implements, is_unresolved
from .auth import AuthBinding, Authentication, TransitEncryption
from .durability import Durability, validate_durability
from .endpoint import Endpoint
from .engine import EngineVersion
from .eviction_policy import EvictionPolicy, check_data_tiering_policy
from .log_delivery import BoundLogDelivery, LogDeliveryOption, LogType, validate_log_delivery
from .monitoring import CacheAlarms, CacheMetricsMixin
from .network import IpDiscovery, NetworkType, validate_network
from .node_type import NodeType
from .notifications import bind_notification_topic, validate_notification_topic
from .outputs import ConnectionInfo, ConnectionOutputsMixin
from .parameter_group import IParameterGroup, ParameterGroup
from .placement import ShardPlacement, validate_preferred_azs, validate_shard_placements
from .rbac import connect_resource_arns, connect_users
from .replication_rules import (
    DEFAULT_PORT,
    MAX_PORT,
    MAX_REPLICAS,
    MAX_SNAPSHOT_RETENTION_DAYS,
    MIN_PORT,
    TOTAL_SLOTS,
    even_slot_ranges,
    resolve_multi_az,
    validate_description,
    validate_engine_version,
    validate_node_type,
    validate_parameter_group,
    validate_replicas,
    validate_replication_group_id,
    validate_slot_ranges,
    validate_transit_encryption,
)
from .restore import Restore, validate_restore
from .scaling import (
    ReplicaAutoScaling,
    ShardAutoScaling,
    validate_auto_scaling_support,
    validate_replica_bounds,
    validate_shard_bounds,
)
from .windows import validate_windows


# --- interface, base ----------------------------------------------------------------------------------------
@runtime_checkable
class IReplicationGroup(Protocol):
    """A Valkey/Redis OSS replication group, created here or imported."""

    @property
    def replication_group_id(self) -> str: ...

    @property
    def replication_group_arn(self) -> str: ...

    @property
    def connections(self) -> ec2.Connections: ...

    @property
    def cluster_mode(self) -> bool: ...

    @property
    def transit_encryption(self) -> TransitEncryption: ...

    @property
    def auth_secret(self) -> secretsmanager.ISecret | None: ...

    @property
    def endpoint(self) -> Endpoint: ...

    def grant_connect(self, grantee: iam.IGrantable) -> iam.Grant: ...


@jsii.implements(ec2.IConnectable)
class ReplicationGroupBase(ConnectionOutputsMixin, CacheMetricsMixin, Resource):
    """What every replication group offers, computed from its attributes: ARN, grants, endpoint choice, metrics
    (``metric_*``, ``add_alarms``; see ``monitoring``)."""

    replication_group_id: str
    connections: ec2.Connections
    cluster_mode: bool
    transit_encryption: TransitEncryption
    auth_secret: secretsmanager.ISecret | None
    engine_version: EngineVersion | None
    _user_group: Any = None

    @property
    def replication_group_arn(self) -> str:
        """ARN of the replication group."""
        return Stack.of(self).format_arn(
            service="elasticache",
            resource="replicationgroup",
            resource_name=self.replication_group_id,
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )

    @property
    def endpoint(self) -> Endpoint:
        """The endpoint clients connect to (primary, or configuration endpoint in cluster mode)."""
        raise NotImplementedError

    def grant_connect(self, grantee: iam.IGrantable, user: Any = None) -> iam.Grant:
        """Allow ``grantee`` IAM authentication (``elasticache:Connect``) to this group as ``user`` (an
        ``IamUser`` of its user group; default: every ``IamUser`` of the group). Grants nothing else."""
        users = connect_users(
            self._user_group, user, self.engine_version, self.transit_encryption.enabled
        )
        arns = connect_resource_arns(self, self.replication_group_arn, users)
        return iam.Grant.add_to_principal(grantee=grantee, actions=["elasticache:Connect"], resource_arns=arns)

    def connection_info(self) -> ConnectionInfo:
        """The outputs contract's view of this group."""
        engine = self.engine_version.engine.value if self.engine_version else "redis"
        return ConnectionInfo(
            engine=engine,
            resource_type="ReplicationGroup",
            resource_id=self.replication_group_id,
            endpoint=self.endpoint,
            tls=self.transit_encryption.enabled,
            cluster_mode=self.cluster_mode,
            auth_secret=self.auth_secret,
            reader_endpoint=getattr(self, "reader_endpoint", None),
        )

    # -- metrics (monitoring.CacheMetricsMixin) ----------------------------------------------------------------
    def member_cluster_ids(self) -> list[str]:
        """Ids of the member clusters (one node each) CloudWatch publishes metrics for: ``<id>-001``... with
        cluster mode disabled, ``<id>-0001-001``... (shard, node) with cluster mode enabled."""
        raise fail(
            "metric_dimensions", self.node.path,
            "the member clusters of an imported replication group are unknown; build metrics with "
            "cloudwatch.Metric(namespace='AWS/ElastiCache', dimensions_map={'CacheClusterId': ...})",
        )

    def metric_dimensions(self) -> list[dict[str, str]]:
        """One ``{"CacheClusterId": <member id>}`` per member cluster (ElastiCache publishes per node)."""
        return [{"CacheClusterId": member} for member in self.member_cluster_ids()]

    def _member_id(self, suffix: str) -> str:
        group_id = self.replication_group_id
        return Fn.join("", [group_id, suffix]) if is_unresolved(group_id) else f"{group_id}{suffix}"


def _user_arn(scope: Construct, user_id: str) -> str:
    return Stack.of(scope).format_arn(
        service="elasticache", resource="user", resource_name=user_id, arn_format=ArnFormat.COLON_RESOURCE_NAME
    )


class _ImportedReplicationGroup(ReplicationGroupBase):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        replication_group_id: str,
        endpoint: Endpoint,
        security_groups: Sequence[ec2.ISecurityGroup],
        cluster_mode: bool,
        transit_encryption: TransitEncryption,
        auth_secret: secretsmanager.ISecret | None,
        engine_version: EngineVersion | None,
    ) -> None:
        super().__init__(scope, id)
        self.replication_group_id = replication_group_id
        self._endpoint = endpoint
        self.connections = ec2.Connections(
            security_groups=list(security_groups), default_port=ec2.Port.tcp(endpoint.port)
        )
        self.cluster_mode = cluster_mode
        self.transit_encryption = transit_encryption
        self.auth_secret = auth_secret
        self.engine_version = engine_version

    @property
    def endpoint(self) -> Endpoint:
        return self._endpoint


# --- the concrete constructs --------------------------------------------------------------------------------
class _ProvisionedGroup(ReplicationGroupBase):
    """Shared construction of both kinds of group; subclasses add topology."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        cluster_mode: bool,
        replicas: int,
        replicas_prop: str,
        vpc: ec2.IVpc,
        engine_version: EngineVersion,
        node_type: NodeType | str,
        eviction_policy: EvictionPolicy | str | None,
        parameter_group: IParameterGroup | None,
        authentication: Authentication | None,
        transit_encryption: TransitEncryption,
        kms_key: kms.IKey | None,
        port: int,
        vpc_subnets: ec2.SubnetSelection | None,
        security_groups: Sequence[ec2.ISecurityGroup] | None,
        multi_az: bool | None,
        data_tiering: bool,
        snapshot_retention_days: int,
        snapshot_window: str | None,
        maintenance_window: str | None,
        auto_minor_version_upgrade: bool,
        removal_policy: RemovalPolicy,
        replication_group_id: str | None,
        description: str | None,
        slow_log: LogDeliveryOption = None,
        engine_log: LogDeliveryOption = None,
        durability: Durability | str | None = None,
        restore_from: Restore | None = None,
        network_type: NetworkType | str | None = None,
        ip_discovery: IpDiscovery | str | None = None,
        notification_topic: sns.ITopic | None = None,
    ) -> None:
        # Validate everything before creating any child, so a bad prop leaves no half-built construct.
        engine_version = validate_engine_version(engine_version)
        authentication = authentication if authentication is not None else Authentication.generated_token()
        if not isinstance(authentication, Authentication):
            raise fail(
                "authentication",
                authentication,
                "pass Authentication.generated_token(), .token_from_secret(), .user_group() or .none()",
            )
        transit_encryption = validate_transit_encryption(transit_encryption, engine_version, authentication)
        node_type = validate_node_type(node_type, engine_version, data_tiering)
        validate_replicas(replicas_prop, replicas)
        multi_az = resolve_multi_az(replicas_prop, multi_az, replicas)
        check_range("port", port, MIN_PORT, MAX_PORT)
        check_range("snapshot_retention_days", snapshot_retention_days, 0, MAX_SNAPSHOT_RETENTION_DAYS)
        validate_windows(snapshot_window, maintenance_window)
        validate_replication_group_id(replication_group_id)
        validate_description(description)
        if eviction_policy is not None and parameter_group is not None:
            raise fail("eviction_policy", str(eviction_policy), "set it on the parameter_group, not both")
        if eviction_policy is not None:
            eviction_policy = EvictionPolicy.parse(eviction_policy)
        if parameter_group is not None:
            validate_parameter_group(parameter_group, engine_version, cluster_mode)
        if kms_key is not None and not implements(kms_key, kms.IKey):
            raise fail("kms_key", kms_key, "pass a kms.IKey")
        log_deliveries = validate_log_delivery(slow_log, engine_log, engine_version)
        check_data_tiering_policy(eviction_policy or getattr(parameter_group, "eviction_policy", None), data_tiering)
        durability = validate_durability(
            durability, engine_version=engine_version, node_type=node_type, cluster_mode=cluster_mode,
            multi_az=multi_az, replicas=replicas, transit_encryption_enabled=transit_encryption.enabled,
            data_tiering=data_tiering,
        )
        self.restore_from = validate_restore(restore_from)
        topic = validate_notification_topic(scope, notification_topic)

        super().__init__(scope, id, physical_name=replication_group_id)
        subnets = vpc.select_subnets(**subnet_kwargs(vpc_subnets))
        if multi_az and not is_unresolved(subnets.availability_zones) and len(set(subnets.availability_zones)) < 2:
            azs = list(subnets.availability_zones)
            raise fail("vpc_subnets", azs, "Multi-AZ needs subnets in at least 2 availability zones")
        network = validate_network(
            network_type, ip_discovery, engine_version=engine_version,
            node_type=node_type if node_type.is_known else None, subnets=subnets.subnets,
        )
        self.network_type = NetworkType(network["network_type"]) if network["network_type"] else NetworkType.IPV4
        self._validate_placement(list(subnets.availability_zones), multi_az)

        self.engine_version = engine_version
        self.node_type = node_type
        self.cluster_mode = cluster_mode
        self.transit_encryption = transit_encryption
        self.multi_az = multi_az
        self.port = port
        self.durability = durability
        if parameter_group is None and eviction_policy is not None:
            parameter_group = ParameterGroup(
                self, "ParameterGroup", engine_version=engine_version, eviction_policy=eviction_policy,
                cluster_mode=cluster_mode,
            )
        self.parameter_group: IParameterGroup = parameter_group or ParameterGroup.default_for(
            engine_version, cluster_mode=cluster_mode
        )
        self.eviction_policy = self.parameter_group.eviction_policy

        if security_groups is None:
            security_groups = [
                ec2.SecurityGroup(
                    self, "SecurityGroup", vpc=vpc, allow_all_outbound=False,
                    description=f"ElastiCache {self.node.path}: no ingress until granted",
                )
            ]
        self.connections = ec2.Connections(security_groups=list(security_groups), default_port=ec2.Port.tcp(port))
        self.subnet_group = elasticache.CfnSubnetGroup(
            self, "SubnetGroup", description=f"Subnets of {self.node.path}", subnet_ids=subnets.subnet_ids,
        )
        binding: AuthBinding = authentication.bind(self)
        self.auth_secret = binding.secret
        self._user_group = binding.user_group
        self.authentication = authentication
        #: Delivered log types (slow-log / engine-log) with their destinations and log groups.
        self.log_deliveries: dict[LogType, BoundLogDelivery] = {
            log_type: delivery.bind(self, "SlowLog" if log_type is LogType.SLOW_LOG else "EngineLog", log_type)
            for log_type, delivery in log_deliveries.items()
        }

        props: dict[str, Any] = dict(
            replication_group_description=description or f"{self.node.path}",
            replication_group_id=replication_group_id,
            engine=engine_version.engine.value,
            engine_version=engine_version.version,
            cache_node_type=node_type.name,
            cache_parameter_group_name=self.parameter_group.parameter_group_name,
            cache_subnet_group_name=self.subnet_group.ref,
            security_group_ids=[sg.security_group_id for sg in security_groups],
            port=port,
            # Replicas always get automatic failover (CloudFormation requires it with NumCacheClusters > 1;
            # cluster mode requires it too); Multi-AZ additionally places the replicas in other AZs.
            automatic_failover_enabled=cluster_mode or is_unresolved(replicas) or replicas >= 1,
            multi_az_enabled=multi_az,
            at_rest_encryption_enabled=True,
            kms_key_id=kms_key.key_arn if kms_key else None,
            transit_encryption_enabled=transit_encryption.enabled,
            transit_encryption_mode=(
                transit_encryption.value
                if transit_encryption.enabled and engine_version.supports_transit_encryption_mode
                else None
            ),
            auth_token=binding.auth_token,
            user_group_ids=binding.user_group_ids,
            data_tiering_enabled=True if data_tiering else None,
            durability=durability.value if durability is not None else None,
            snapshot_retention_limit=snapshot_retention_days,
            snapshot_window=snapshot_window,
            preferred_maintenance_window=maintenance_window,
            auto_minor_version_upgrade=auto_minor_version_upgrade,
            log_delivery_configurations=[d.configuration for d in self.log_deliveries.values()] or None,
            notification_topic_arn=bind_notification_topic(self, topic),
            **network,
        )
        if self.restore_from is not None:
            props.update(self.restore_from.bind(self))
            change_safety.warn(self, "restore-source-create-only", f"restore_from={self.restore_from.kind}")
        props.update(self._topology())
        self.resource = elasticache.CfnReplicationGroup(self, "Resource", **props)
        self.resource.apply_removal_policy(removal_policy)
        if binding.user_group is not None:
            self.resource.node.add_dependency(binding.user_group)
        self.replication_group_id = self.resource.ref

    def _topology(self) -> dict[str, Any]:
        raise NotImplementedError

    def _validate_placement(self, subnet_azs: list[str], multi_az: bool) -> None:
        """Check the subclass's AZ placement against the subnets' AZs (before any child is created)."""

    @property
    def slow_log_group(self) -> Any:
        """The log group receiving the slow log (``None`` when not delivered to CloudWatch Logs)."""
        bound = self.log_deliveries.get(LogType.SLOW_LOG)
        return bound.log_group if bound else None

    @property
    def engine_log_group(self) -> Any:
        """The log group receiving the engine log (``None`` when not delivered to CloudWatch Logs)."""
        bound = self.log_deliveries.get(LogType.ENGINE_LOG)
        return bound.log_group if bound else None


_COMMON_DOC = """
    :param vpc: VPC the cache lives in.
    :param engine_version: Default: ``EngineVersion.VALKEY_8_1``.
    :param node_type: Default: ``NodeType.R7G_LARGE`` (13.07 GiB). Unknown names are an error.
    :param eviction_policy: ``maxmemory-policy``; creates a parameter group. Default: ElastiCache's default group
        (``volatile-lru``). Mutually exclusive with ``parameter_group``.
    :param parameter_group: a ``ParameterGroup`` of the engine's family. Default: see ``eviction_policy``.
    :param authentication: Default: ``Authentication.generated_token()`` (token in Secrets Manager).
    :param transit_encryption: Default: ``TransitEncryption.REQUIRED``.
    :param kms_key: customer managed key for at-rest encryption (always on). Default: AWS owned key.
    :param port: Default: 6379.
    :param vpc_subnets: Default: the VPC's private subnets (isolated when it has no private-with-egress ones).
    :param security_groups: Default: a new group with no ingress; allow clients with ``connections``.
    :param multi_az: Multi-AZ (replicas in other AZs, failover across AZs). Default: on when there is at least
        one replica. Automatic failover itself is always on when there is a replica.
    :param data_tiering: memory + SSD (r6gd nodes, which require it). Default: off.
    :param snapshot_retention_days: automatic backups kept 0-35 days (0 disables). Default: 1.
    :param snapshot_window: daily UTC backup window ``hh24:mi-hh24:mi``. Default: chosen by ElastiCache.
    :param maintenance_window: weekly UTC ``ddd:hh24:mi-ddd:hh24:mi``. Default: chosen by ElastiCache.
    :param auto_minor_version_upgrade: Default: ``True``.
    :param removal_policy: Default: ``RemovalPolicy.SNAPSHOT`` (final snapshot on delete).
    :param replication_group_id: physical id. Default: generated by CloudFormation (recommended: a fixed id
        turns every replacement into a name clash).
    :param description: Default: the construct path.
    :param slow_log: deliver the SLOWLOG (Valkey, Redis OSS 6.0+): ``True`` for a new CloudWatch Logs log group
        (generated name, one-month retention), an existing ``logs.ILogGroup``, or
        ``LogDelivery.cloudwatch_logs(...)`` / ``LogDelivery.firehose(...)``. Default: off.
    :param engine_log: deliver the engine log (Valkey, Redis OSS 6.2+); same choices, and its own log group.
        Default: off.
    :param restore_from: create the group from ``Restore.snapshot(name)`` (an ElastiCache snapshot) or
        ``Restore.s3(bucket, *keys)`` (RDB files; the bucket gets ElastiCache's documented read access).
        Create-only: changing it later replaces the group (synth warning). Default: an empty group.
    :param network_type: ``NetworkType.IPV4``, ``IPV6`` or ``DUAL_STACK`` (IPv6: Valkey 7.2+ / Redis OSS 6.2+,
        Nitro node types, subnets with IPv6 CIDRs). Create-only. Default: not set (ElastiCache: IPv4).
    :param ip_discovery: ``IpDiscovery.IPV4``/``IPV6``: addresses cluster discovery returns (dual stack only
        offers a choice; changeable online). Default: not set (ElastiCache's default for the network type).
    :param notification_topic: ``sns.ITopic`` for ElastiCache events, same account and region, unencrypted; a
        topic defined in the app gets the publish statement ElastiCache documents (``aws:SourceOwner``).
        Default: no notifications.
"""


class ReplicationGroup(_ProvisionedGroup):
    """A Valkey/Redis OSS replication group with cluster mode disabled: one primary and up to 5 read replicas.

    Secure by default: TLS required, at-rest encryption, an AUTH token generated in Secrets Manager, a security
    group with no ingress, Multi-AZ automatic failover when there is a replica, snapshot on delete.

    :param replicas: read replicas, 0-5. Default: 1.
    :param preferred_availability_zones: one AZ per node, the primary's first, then each replica's (AZs of
        ``vpc_subnets``; may repeat). Create-only, so changing ``replicas`` later replaces the group (synth
        warning). Default: ElastiCache spreads the nodes.
    """

    __doc__ = (__doc__ or "") + _COMMON_DOC

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        vpc: ec2.IVpc,
        replicas: int = 1,
        engine_version: EngineVersion = EngineVersion.VALKEY_8_1,
        node_type: NodeType | str = NodeType.R7G_LARGE,
        eviction_policy: EvictionPolicy | str | None = None,
        parameter_group: IParameterGroup | None = None,
        authentication: Authentication | None = None,
        transit_encryption: TransitEncryption = TransitEncryption.REQUIRED,
        kms_key: kms.IKey | None = None,
        port: int = DEFAULT_PORT,
        vpc_subnets: ec2.SubnetSelection | None = None,
        security_groups: Sequence[ec2.ISecurityGroup] | None = None,
        multi_az: bool | None = None,
        data_tiering: bool = False,
        snapshot_retention_days: int = 1,
        snapshot_window: str | None = None,
        maintenance_window: str | None = None,
        auto_minor_version_upgrade: bool = True,
        removal_policy: RemovalPolicy = RemovalPolicy.SNAPSHOT,
        replication_group_id: str | None = None,
        description: str | None = None,
        slow_log: LogDeliveryOption = None,
        engine_log: LogDeliveryOption = None,
        restore_from: Restore | None = None,
        network_type: NetworkType | str | None = None,
        ip_discovery: IpDiscovery | str | None = None,
        notification_topic: sns.ITopic | None = None,
        preferred_availability_zones: Sequence[str] | None = None,
    ) -> None:
        self.replicas = replicas
        self.preferred_availability_zones = preferred_availability_zones
        super().__init__(
            scope, id, cluster_mode=False, replicas=replicas, replicas_prop="replicas", vpc=vpc,
            engine_version=engine_version, node_type=node_type, eviction_policy=eviction_policy,
            parameter_group=parameter_group, authentication=authentication, transit_encryption=transit_encryption,
            kms_key=kms_key, port=port, vpc_subnets=vpc_subnets, security_groups=security_groups, multi_az=multi_az,
            data_tiering=data_tiering, snapshot_retention_days=snapshot_retention_days,
            snapshot_window=snapshot_window, maintenance_window=maintenance_window,
            auto_minor_version_upgrade=auto_minor_version_upgrade, removal_policy=removal_policy,
            replication_group_id=replication_group_id, description=description,
            slow_log=slow_log, engine_log=engine_log, restore_from=restore_from, network_type=network_type,
            ip_discovery=ip_discovery, notification_topic=notification_topic,
        )
        #: Read/write endpoint (follows the primary across failovers).
        self.primary_endpoint = Endpoint(
            self.resource.attr_primary_end_point_address, self.resource.attr_primary_end_point_port
        )
        #: Read-only endpoint spreading connections over the replicas.
        self.reader_endpoint = Endpoint(
            self.resource.attr_reader_end_point_address, self.resource.attr_reader_end_point_port
        )

    def _topology(self) -> dict[str, Any]:
        return {
            "num_cache_clusters": self.replicas + 1 if not is_unresolved(self.replicas) else self.replicas,
            "preferred_cache_cluster_a_zs": self.preferred_availability_zones,
        }

    def _validate_placement(self, subnet_azs: list[str], multi_az: bool) -> None:
        self.preferred_availability_zones = validate_preferred_azs(
            self.preferred_availability_zones, self.replicas, subnet_azs
        )
        if self.preferred_availability_zones is not None:
            change_safety.warn(
                self, "preferred-azs-fix-replica-count",
                f"preferred_availability_zones={self.preferred_availability_zones}",
            )
        if not is_unresolved(self.replicas) and self.replicas == 0:
            change_safety.warn(self, "add-first-replica-with-failover", "replicas=0")

    def member_cluster_ids(self) -> list[str]:
        """``<id>-001`` (the first primary) to ``<id>-00<replicas + 1>``."""
        if is_unresolved(self.replicas):
            raise fail("replicas", self.replicas, "metrics need a literal replica count to name the member clusters")
        return [self._member_id(f"-{n:03d}") for n in range(1, self.replicas + 2)]

    def monitored_kinds(self) -> frozenset[str]:
        """Without replicas there is no replication lag."""
        kinds = super().monitored_kinds()
        return kinds if is_unresolved(self.replicas) or self.replicas > 0 else kinds - {"replication_lag"}

    def auto_scale_shards(self, **_: Any) -> Any:
        """Not available: ElastiCache Auto Scaling supports cluster mode enabled only."""
        raise fail(
            "auto_scale_shards", self.node.path,
            "ElastiCache auto scaling needs cluster mode enabled; use a ShardedReplicationGroup",
        )

    def auto_scale_replicas(self, **_: Any) -> Any:
        """Not available: ElastiCache Auto Scaling supports cluster mode enabled only."""
        raise fail(
            "auto_scale_replicas", self.node.path,
            "ElastiCache auto scaling needs cluster mode enabled; use a ShardedReplicationGroup",
        )

    @property
    def endpoint(self) -> Endpoint:
        return self.primary_endpoint

    @staticmethod
    def from_replication_group_attributes(
        scope: Construct,
        id: str,
        *,
        replication_group_id: str,
        endpoint_address: str,
        port: int = DEFAULT_PORT,
        security_groups: Sequence[ec2.ISecurityGroup] = (),
        cluster_mode: bool = False,
        transit_encryption: TransitEncryption = TransitEncryption.REQUIRED,
        auth_secret: secretsmanager.ISecret | None = None,
        engine_version: EngineVersion | None = None,
    ) -> ReplicationGroupBase:
        """An existing replication group (of either mode), to connect to, grant on and export.

        :param endpoint_address: primary endpoint (cluster mode disabled) or configuration endpoint.
        :param security_groups: its security groups, for ``connections``. Default: none.
        """
        validate_replication_group_id(replication_group_id)
        return _ImportedReplicationGroup(
            scope, id, replication_group_id=replication_group_id, endpoint=Endpoint(endpoint_address, port),
            security_groups=security_groups, cluster_mode=cluster_mode, transit_encryption=transit_encryption,
            auth_secret=auth_secret, engine_version=engine_version,
        )


class ShardedReplicationGroup(_ProvisionedGroup):
    """A Valkey/Redis OSS replication group with cluster mode enabled: data sharded over hash slots.

    Same secure defaults as ``ReplicationGroup``. Clients connect to ``configuration_endpoint`` with a
    cluster-aware client. Shard count changes are applied online (``UseOnlineResharding`` update policy).

    :param shards: node groups, 1 to the engine's node limit (500, or 250 before Redis OSS 5.0.6). Default: 3.
    :param replicas_per_shard: 0-5. Default: 1.
    :param slot_ranges: one ``"start-end"`` slot range per shard covering 0-16383. Default: ElastiCache's even
        split.
    :param durability: ``Durability.SYNC`` / ``ASYNC`` (Valkey 9.0+; r8g/r7g/r6g/m8g/m7g/m6g/c8gn/c7gn nodes;
        Multi-AZ with a replica per shard; TLS; not with data tiering or a global datastore), decided at creation
        (``SYNC`` <-> ``ASYNC`` later is online). Cluster-mode-disabled groups do not support durability, so
        ``ReplicationGroup`` has no such prop. Default: not set (no durability).
    :param shard_placements: one ``ShardPlacement(primary_az, replica_azs)`` per shard (one replica AZ per
        replica; AZs of ``vpc_subnets``). Emits ``NodeGroupConfiguration`` (with the even slot split unless
        ``slot_ranges`` is given). Default: ElastiCache places the nodes.
    """

    __doc__ = (__doc__ or "") + _COMMON_DOC

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        vpc: ec2.IVpc,
        shards: int = 3,
        replicas_per_shard: int = 1,
        slot_ranges: Sequence[str] | None = None,
        engine_version: EngineVersion = EngineVersion.VALKEY_8_1,
        node_type: NodeType | str = NodeType.R7G_LARGE,
        eviction_policy: EvictionPolicy | str | None = None,
        parameter_group: IParameterGroup | None = None,
        authentication: Authentication | None = None,
        transit_encryption: TransitEncryption = TransitEncryption.REQUIRED,
        kms_key: kms.IKey | None = None,
        port: int = DEFAULT_PORT,
        vpc_subnets: ec2.SubnetSelection | None = None,
        security_groups: Sequence[ec2.ISecurityGroup] | None = None,
        multi_az: bool | None = None,
        data_tiering: bool = False,
        snapshot_retention_days: int = 1,
        snapshot_window: str | None = None,
        maintenance_window: str | None = None,
        auto_minor_version_upgrade: bool = True,
        removal_policy: RemovalPolicy = RemovalPolicy.SNAPSHOT,
        replication_group_id: str | None = None,
        description: str | None = None,
        slow_log: LogDeliveryOption = None,
        engine_log: LogDeliveryOption = None,
        durability: Durability | str | None = None,
        restore_from: Restore | None = None,
        network_type: NetworkType | str | None = None,
        ip_discovery: IpDiscovery | str | None = None,
        notification_topic: sns.ITopic | None = None,
        shard_placements: Sequence[ShardPlacement] | None = None,
    ) -> None:
        self.shard_placements = shard_placements
        if isinstance(engine_version, EngineVersion):
            limit = engine_version.max_nodes_per_cluster
            check_range("shards", shards, 1, limit)
            validate_replicas("replicas_per_shard", replicas_per_shard)
            if not is_unresolved(shards) and not is_unresolved(replicas_per_shard):
                nodes = shards * (replicas_per_shard + 1)
                if nodes > limit:
                    raise fail(
                        "shards",
                        shards,
                        f"{shards} shards x {replicas_per_shard + 1} nodes = {nodes} nodes; "
                        f"{engine_version} allows at most {limit}",
                    )
        self.shards = shards
        self.replicas_per_shard = replicas_per_shard
        self.slot_ranges = validate_slot_ranges(slot_ranges, shards) if slot_ranges is not None else None
        super().__init__(
            scope, id, cluster_mode=True, replicas=replicas_per_shard, replicas_prop="replicas_per_shard", vpc=vpc,
            engine_version=engine_version, node_type=node_type, eviction_policy=eviction_policy,
            parameter_group=parameter_group, authentication=authentication, transit_encryption=transit_encryption,
            kms_key=kms_key, port=port, vpc_subnets=vpc_subnets, security_groups=security_groups, multi_az=multi_az,
            data_tiering=data_tiering, snapshot_retention_days=snapshot_retention_days,
            snapshot_window=snapshot_window, maintenance_window=maintenance_window,
            auto_minor_version_upgrade=auto_minor_version_upgrade, removal_policy=removal_policy,
            replication_group_id=replication_group_id, description=description,
            slow_log=slow_log, engine_log=engine_log, restore_from=restore_from, network_type=network_type,
            ip_discovery=ip_discovery, notification_topic=notification_topic, durability=durability,
        )
        # Changing NumNodeGroups replaces the group unless online resharding is allowed.
        self.resource.cfn_options.update_policy = CfnUpdatePolicy(use_online_resharding=True)
        #: Shard / replica auto scaling, once configured (``auto_scale_shards`` / ``auto_scale_replicas``).
        self.shard_auto_scaling: ShardAutoScaling | None = None
        self.replica_auto_scaling: ReplicaAutoScaling | None = None
        #: Cluster configuration endpoint (discovers every shard).
        self.configuration_endpoint = Endpoint(
            self.resource.attr_configuration_end_point_address, self.resource.attr_configuration_end_point_port
        )

    def _topology(self) -> dict[str, Any]:
        topology: dict[str, Any] = {"cluster_mode": "enabled", "num_node_groups": self.shards}
        slot_ranges = self.slot_ranges
        # Seeding a cluster-mode group from S3 needs NodeGroupConfiguration with every shard's slots:
        # https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_CreateReplicationGroup.html
        # (NodeGroupConfiguration: "required when seeding a ... (cluster mode enabled) cluster from a S3 rdb file").
        needs_layout = self.shard_placements is not None or (self.restore_from is not None and self.restore_from.is_s3)
        if slot_ranges is None and needs_layout:
            if is_unresolved(self.shards):
                raise fail("shards", self.shards, "an S3 seed or shard_placements need a literal shard count")
            slot_ranges = even_slot_ranges(self.shards)
        if slot_ranges is None:
            topology["replicas_per_node_group"] = self.replicas_per_shard
            return topology
        placements: list[ShardPlacement | None] = (
            list(self.shard_placements) if self.shard_placements else [None] * len(slot_ranges)
        )
        topology["node_group_configuration"] = [
            elasticache.CfnReplicationGroup.NodeGroupConfigurationProperty(
                node_group_id=f"{i + 1:04d}", slots=slots, replica_count=self.replicas_per_shard,
                primary_availability_zone=placement.primary_az if placement else None,
                replica_availability_zones=list(placement.replica_azs) if placement and placement.replica_azs
                else None,
            )
            for i, (slots, placement) in enumerate(zip(slot_ranges, placements, strict=True))
        ]
        return topology

    def _validate_placement(self, subnet_azs: list[str], multi_az: bool) -> None:
        self.shard_placements = validate_shard_placements(
            self.shard_placements, self.shards, self.replicas_per_shard, subnet_azs
        )
        # Synth-time: replica auto scaling may still be configured after construction.
        self.node.add_validation(_ShardedTraps(self))

    @property
    def endpoint(self) -> Endpoint:
        return self.configuration_endpoint

    @property
    def has_node_group_configuration(self) -> bool:
        """True when the template lists every shard (slot ranges, placements or an S3 seed)."""
        return self.resource.node_group_configuration is not None

    # -- metrics ---------------------------------------------------------------------------------------------
    def member_cluster_ids(self) -> list[str]:
        """``<id>-<shard:04d>-<node:03d>`` for every shard and node, up to the auto scaling maximums when auto
        scaling is configured (members that do not exist yet simply have no data)."""
        shards = self.shard_auto_scaling.max_capacity if self.shard_auto_scaling else self.shards
        replicas = self.replica_auto_scaling.max_capacity if self.replica_auto_scaling else self.replicas_per_shard
        if is_unresolved(shards) or is_unresolved(replicas):
            raise fail(
                "shards", shards, "metrics need literal shards and replicas_per_shard to name the member clusters"
            )
        return [
            self._member_id(f"-{shard:04d}-{node:03d}")
            for shard in range(1, shards + 1)
            for node in range(1, replicas + 2)
        ]

    def monitored_kinds(self) -> frozenset[str]:
        """Without replicas (and no replica auto scaling) there is no replication lag."""
        kinds = super().monitored_kinds()
        replicas = self.replica_auto_scaling.max_capacity if self.replica_auto_scaling else self.replicas_per_shard
        return kinds if is_unresolved(replicas) or replicas > 0 else kinds - {"replication_lag"}

    # -- auto scaling ----------------------------------------------------------------------------------------
    def auto_scale_shards(self, *, min_capacity: int, max_capacity: int) -> ShardAutoScaling:
        """Application Auto Scaling of the shard count; add policies with ``.scale_on_cpu()``,
        ``.scale_on_memory()`` or ``.scale_on_capacity()``. Call it before ``add_alarms``/dashboards so their
        metrics cover the shards it may add.

        :param min_capacity: fewest shards, 1 or more, at most the current ``shards``.
        :param max_capacity: most shards, at least the current ``shards``; with the nodes per shard within the
            engine's node limit.
        """
        if self.shard_auto_scaling is not None:
            raise fail("auto_scale_shards", self.node.path, "shard auto scaling is already configured")
        self._check_no_alarms_yet("auto_scale_shards")
        assert self.engine_version is not None
        validate_auto_scaling_support(self.engine_version, self.node_type, self.node_type.data_tiering)
        validate_shard_bounds(self, min_capacity, max_capacity)
        self.shard_auto_scaling = ShardAutoScaling(
            self, "ShardScaling", group=self, min_capacity=min_capacity, max_capacity=max_capacity
        )
        return self.shard_auto_scaling

    def _check_no_alarms_yet(self, method: str) -> None:
        """Alarms enumerate the member clusters when created; afterwards they would miss scaled-out members."""
        if any(isinstance(child, CacheAlarms) for child in self.node.children):
            raise fail(method, self.node.path, "call it before add_alarms() so the alarms cover the members it may add")

    def auto_scale_replicas(self, *, min_capacity: int, max_capacity: int) -> ReplicaAutoScaling:
        """Application Auto Scaling of the replicas per shard (uniform across shards); add the policy with
        ``.scale_on_cpu()``.

        :param min_capacity: fewest replicas per shard, 0-5 (1 or more with Multi-AZ), at most the current count.
        :param max_capacity: most replicas per shard, up to 5, at least the current count.
        """
        if self.replica_auto_scaling is not None:
            raise fail("auto_scale_replicas", self.node.path, "replica auto scaling is already configured")
        self._check_no_alarms_yet("auto_scale_replicas")
        assert self.engine_version is not None
        validate_auto_scaling_support(self.engine_version, self.node_type, self.node_type.data_tiering)
        validate_replica_bounds(self, min_capacity, max_capacity)
        self.replica_auto_scaling = ReplicaAutoScaling(
            self, "ReplicaScaling", group=self, min_capacity=min_capacity, max_capacity=max_capacity
        )
        return self.replica_auto_scaling

    @staticmethod
    def from_replication_group_attributes(
        scope: Construct,
        id: str,
        *,
        replication_group_id: str,
        configuration_endpoint_address: str,
        port: int = DEFAULT_PORT,
        security_groups: Sequence[ec2.ISecurityGroup] = (),
        transit_encryption: TransitEncryption = TransitEncryption.REQUIRED,
        auth_secret: secretsmanager.ISecret | None = None,
        engine_version: EngineVersion | None = None,
    ) -> ReplicationGroupBase:
        """An existing cluster-mode replication group."""
        validate_replication_group_id(replication_group_id)
        return _ImportedReplicationGroup(
            scope, id, replication_group_id=replication_group_id,
            endpoint=Endpoint(configuration_endpoint_address, port), security_groups=security_groups,
            cluster_mode=True, transit_encryption=transit_encryption, auth_secret=auth_secret,
            engine_version=engine_version,
        )


@jsii.implements(IValidation)
class _ShardedTraps:
    """Synth-time change-safety warnings of a cluster-mode group (after auto scaling had its chance)."""

    def __init__(self, group: ShardedReplicationGroup) -> None:
        self.group = group

    def validate(self) -> list[str]:
        group = self.group
        replicas = group.replicas_per_shard
        scaling = group.replica_auto_scaling
        if is_unresolved(replicas):
            return []
        if replicas == 0 and (scaling is None or scaling.min_capacity < 1):
            change_safety.warn(group, "cluster-mode-zero-replicas", "replicas_per_shard=0")
        if scaling is None:
            trap_id = (
                "replicas-with-node-group-configuration" if group.has_node_group_configuration
                else "sharded-replica-count-change"
            )
            change_safety.warn(group, trap_id, f"replicas_per_shard={replicas}")
        return []


__all__ = [
    "MAX_REPLICAS",
    "TOTAL_SLOTS",
    "IReplicationGroup",
    "IpDiscovery",
    "NetworkType",
    "ReplicationGroup",
    "ReplicationGroupBase",
    "Restore",
    "ShardPlacement",
    "ShardedReplicationGroup",
    "even_slot_ranges",
]
