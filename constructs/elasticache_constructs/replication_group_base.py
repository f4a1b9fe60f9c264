"""Replication groups (either cluster mode): the interface, the shared base (ARN, grants, metrics) and imported
groups."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import jsii
from aws_cdk import ArnFormat, Fn, Resource, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from ._validation import fail, is_unresolved
from .auth import TransitEncryption
from .endpoint import Endpoint
from .engine import EngineVersion
from .monitoring import CacheMetricsMixin
from .outputs import ConnectionInfo, ConnectionOutputsMixin
from .rbac import connect_resource_arns, connect_users


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

