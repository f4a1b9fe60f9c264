"""What ``ReplicationGroup`` and ``ShardedReplicationGroup`` build in common: validation order, subnet and security
groups, authentication, network, restore, notifications, logs, the L1 ``Resource``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_cdk import RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticache as elasticache
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from constructs import Construct

from . import change_safety
from ._network import cache_network_resources, subnet_kwargs
from ._validation import check_range, fail, implements, is_unresolved
from .auth import AuthBinding, Authentication, TransitEncryption
from .durability import Durability, validate_durability
from .engine import EngineVersion
from .eviction_policy import EvictionPolicy, check_data_tiering_policy
from .log_delivery import BoundLogDelivery, LogDeliveryOption, LogType, validate_log_delivery
from .network import IpDiscovery, NetworkType, validate_network
from .node_type import NodeType
from .notifications import bind_notification_topic, validate_notification_topic
from .parameter_group import IParameterGroup, ParameterGroup
from .replication_group_base import ReplicationGroupBase
from .replication_rules import (
    MAX_PORT,
    MAX_SNAPSHOT_RETENTION_DAYS,
    MIN_PORT,
    resolve_multi_az,
    validate_description,
    validate_engine_version,
    validate_node_type,
    validate_parameter_group,
    validate_replicas,
    validate_replication_group_id,
    validate_transit_encryption,
)
from .restore import Restore, validate_restore
from .windows import validate_windows


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

        self.connections, self.subnet_group = cache_network_resources(
            self, vpc=vpc, security_groups=security_groups, port=port, subnet_ids=subnets.subnet_ids,
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
            security_group_ids=[sg.security_group_id for sg in self.connections.security_groups],
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

