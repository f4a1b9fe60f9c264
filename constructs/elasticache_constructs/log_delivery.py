"""Slow-log and engine-log delivery of Valkey / Redis OSS replication groups to CloudWatch Logs or Firehose.

Each log type gets its own destination. When both are on, two log groups are created, named under the
``/aws/vendedlogs/`` prefix CloudWatch Logs recommends for vended logs, distinct per construct, log type and stack
instance, so they can never collide: the known failure of tools that derive one default name for both types
(``The specified log group already exists``) cannot happen. An explicit ``log_group_name`` must
therefore differ between the two types. An *existing* log group may receive both types (ElastiCache writes each
node's log type to its own stream ``elasticache/<engine>/<cluster>/<node>/<log-type>``).
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import Any

from aws_cdk import Annotations, ArnFormat, Fn, Names, RemovalPolicy, Stack
from aws_cdk import aws_elasticache as elasticache
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

from ._validation import fail, is_unresolved
from .engine import EngineVersion

#: Log group names: 1-512 characters of letters, digits and ``_-/.#``.
_LOG_GROUP_NAME_RE = re.compile(r"^[\.\-_/#A-Za-z0-9]{1,512}$")
#: Firehose stream names: 1-64 characters of letters, digits and ``_-.``.
_STREAM_NAME_RE = re.compile(r"^[a-zA-Z0-9_.-]{1,64}$")
#: Default retention of the log groups this module creates.
DEFAULT_RETENTION = logs.RetentionDays.ONE_MONTH
#: The prefix CloudWatch Logs recommends for log groups that receive vended logs (ElastiCache log delivery is
#: one): CloudWatch Logs resource policies are limited to 5120 characters, and log groups named
#: ``/aws/vendedlogs/...`` are covered by one wildcard statement instead of one statement each, so the account's
#: delivery policy never hits the limit.
VENDED_LOGS_PREFIX = "/aws/vendedlogs/"
VENDED_LOGS_URL = "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-and-resource-policy.html"
#: Id of the warning for an explicit ``log_group_name`` outside ``VENDED_LOGS_PREFIX``.
OUTSIDE_VENDED_LOGS_WARNING = "elasticache-constructs:logGroupOutsideVendedLogs"


def allow_logs_to_use_key(key: kms.Key, log_group_name: str) -> None:
    """The key-policy statement CloudWatch Logs needs before a log group can be created with ``key``
    (``CreateLogGroup`` with a key the service may not use fails): ``logs.<region>.amazonaws.com`` may
    ``kms:Encrypt*``, ``kms:Decrypt*``, ``kms:ReEncrypt*``, ``kms:GenerateDataKey*`` and ``kms:Describe*`` for
    this log group only (``kms:EncryptionContext:aws:logs:arn``). CDK's ``LogGroup`` does not add it. Source:
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html. An imported key's policy
    (or a key of another stack) must already contain it."""
    stack = Stack.of(key)
    key.add_to_resource_policy(
        iam.PolicyStatement(
            principals=[iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com")],
            actions=["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
            resources=["*"],
            conditions={
                "ArnEquals": {
                    "kms:EncryptionContext:aws:logs:arn": stack.format_arn(
                        service="logs", resource="log-group", resource_name=log_group_name,
                        arn_format=ArnFormat.COLON_RESOURCE_NAME,
                    )
                }
            },
        )
    )


def default_log_group_name(scope: Construct, log_type: LogType) -> str:
    """``/aws/vendedlogs/elasticache/<construct unique id>/<stack uuid>/<log type>``.

    Under the vended-logs prefix CloudWatch Logs recommends (``VENDED_LOGS_PREFIX``); unique per construct path,
    and per stack *instance* through the UUID at the end of ``AWS::StackId``, so a log group retained after the
    stack was deleted (the default removal policy) never blocks re-creating the stack with "already exists".
    """
    stack_uuid = Fn.select(2, Fn.split("/", Stack.of(scope).stack_id))
    return Fn.join("/", [f"{VENDED_LOGS_PREFIX}elasticache", Names.unique_id(scope), stack_uuid, log_type.value])


class LogType(enum.StrEnum):
    """What ElastiCache can deliver: the SLOWLOG (Redis OSS 6.0+, Valkey) and the engine log (6.2+, Valkey)."""

    SLOW_LOG = "slow-log"
    ENGINE_LOG = "engine-log"


class LogFormat(enum.StrEnum):
    """Format of delivered log records."""

    JSON = "json"
    TEXT = "text"

    @classmethod
    def parse(cls, value: LogFormat | str, prop: str = "log_format") -> LogFormat:
        """A member or its string value; anything else names ``prop`` and the allowed values."""
        if isinstance(value, cls):
            return value
        try:
            return cls(str(value).lower())
        except ValueError:
            raise fail(prop, value, "allowed: " + ", ".join(repr(f.value) for f in cls)) from None


class DestinationType(enum.StrEnum):
    """Where ElastiCache delivers logs."""

    CLOUDWATCH_LOGS = "cloudwatch-logs"
    KINESIS_FIREHOSE = "kinesis-firehose"


@dataclass(frozen=True)
class LogDelivery:
    """One log type's destination. Use ``LogDelivery.cloudwatch_logs(...)`` or ``LogDelivery.firehose(...)``;
    the group props also accept ``True`` (a new log group) or an existing ``logs.ILogGroup``."""

    destination_type: DestinationType
    log_format: LogFormat = LogFormat.JSON
    log_group: logs.ILogGroup | None = None
    log_group_name: str | None = None
    retention: logs.RetentionDays = DEFAULT_RETENTION
    encryption_key: kms.IKey | None = None
    removal_policy: RemovalPolicy = RemovalPolicy.RETAIN
    delivery_stream_name: str | None = None

    @staticmethod
    def cloudwatch_logs(
        log_group: logs.ILogGroup | None = None,
        *,
        log_format: LogFormat | str = LogFormat.JSON,
        log_group_name: str | None = None,
        retention: logs.RetentionDays = DEFAULT_RETENTION,
        encryption_key: kms.IKey | None = None,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
    ) -> LogDelivery:
        """Deliver to CloudWatch Logs.

        :param log_group: an existing log group. Default: a new one, owned by the replication group.
        :param log_format: ``json`` or ``text``. Default: ``json``.
        :param log_group_name: name of the new log group; keep it under ``/aws/vendedlogs/`` (a warning says so
            otherwise). Default: ``/aws/vendedlogs/elasticache/<group unique id>/<stack uuid>/<log type>``
            (see ``default_log_group_name``: never collides).
        :param retention: of the new log group. Default: one month.
        :param encryption_key: KMS key of the new log group. A ``kms.Key`` of this app gets the key-policy statement
            CloudWatch Logs needs (``allow_logs_to_use_key``); an imported key must already allow it. Default: the
            service's own encryption.
        :param removal_policy: of the new log group. Default: ``RETAIN`` (logs outlive the cache).
        """
        fmt = LogFormat.parse(log_format)
        if log_group is not None and not hasattr(log_group, "log_group_name"):
            raise fail("log_group", log_group, "pass a logs.ILogGroup, or None for a new log group")
        if log_group is not None and (log_group_name is not None or encryption_key is not None):
            raise fail(
                "log_group_name" if log_group_name is not None else "encryption_key",
                log_group_name if log_group_name is not None else "a key",
                "applies to a new log group; it cannot be combined with an existing log_group",
            )
        if log_group_name is not None and not is_unresolved(log_group_name):
            if not isinstance(log_group_name, str) or not _LOG_GROUP_NAME_RE.match(log_group_name):
                raise fail(
                    "log_group_name", log_group_name, "must be 1-512 letters, digits or the characters _ - / . #"
                )
            if log_group_name.startswith("aws/"):
                raise fail("log_group_name", log_group_name, "names starting with 'aws/' are reserved by AWS")
        if not isinstance(retention, logs.RetentionDays):
            raise fail("retention", retention, "pass a logs.RetentionDays, e.g. logs.RetentionDays.ONE_MONTH")
        return LogDelivery(
            DestinationType.CLOUDWATCH_LOGS, fmt, log_group, log_group_name, retention, encryption_key, removal_policy
        )

    @staticmethod
    def firehose(delivery_stream: Any, *, log_format: LogFormat | str = LogFormat.JSON) -> LogDelivery:
        """Deliver to an Amazon Data Firehose stream (``kinesis-firehose``).

        :param delivery_stream: the stream's name, or a construct with ``delivery_stream_name``.
        :param log_format: ``json`` or ``text``. Default: ``json``.
        """
        fmt = LogFormat.parse(log_format)
        name = getattr(delivery_stream, "delivery_stream_name", delivery_stream)
        if not is_unresolved(name) and (not isinstance(name, str) or not _STREAM_NAME_RE.match(name)):
            raise fail(
                "delivery_stream", delivery_stream,
                "pass a Firehose stream name (1-64 letters, digits, _ . -) or an IDeliveryStream",
            )
        return LogDelivery(DestinationType.KINESIS_FIREHOSE, fmt, delivery_stream_name=name)

    @property
    def creates_log_group(self) -> bool:
        """True when binding creates a new log group."""
        return self.destination_type is DestinationType.CLOUDWATCH_LOGS and self.log_group is None

    def bind(self, scope: Construct, id: str, log_type: LogType) -> BoundLogDelivery:
        """Create the log group when needed; return the CloudFormation ``LogDeliveryConfigurations`` entry."""
        log_group = self.log_group
        if self.creates_log_group:
            name = self.log_group_name or default_log_group_name(scope, log_type)
            if isinstance(self.encryption_key, kms.Key) and Stack.of(self.encryption_key) is Stack.of(scope):
                allow_logs_to_use_key(self.encryption_key, name)
            log_group = logs.LogGroup(
                scope, id, log_group_name=name, retention=self.retention,
                encryption_key=self.encryption_key, removal_policy=self.removal_policy,
            )
            if self.log_group_name is not None and not is_unresolved(self.log_group_name) and not (
                self.log_group_name.startswith(VENDED_LOGS_PREFIX)
            ):
                Annotations.of(log_group).add_warning_v2(
                    OUTSIDE_VENDED_LOGS_WARNING,
                    f"log_group_name {self.log_group_name!r} is not under {VENDED_LOGS_PREFIX}: CloudWatch Logs adds "
                    "each such log group to the account's log-delivery resource policy, which is limited to 5120 "
                    f"characters; names under {VENDED_LOGS_PREFIX} share one wildcard entry ({VENDED_LOGS_URL})",
                )
        if self.destination_type is DestinationType.CLOUDWATCH_LOGS:
            assert log_group is not None
            details = elasticache.CfnReplicationGroup.DestinationDetailsProperty(
                cloud_watch_logs_details=elasticache.CfnReplicationGroup.CloudWatchLogsDestinationDetailsProperty(
                    log_group=log_group.log_group_name
                )
            )
        else:
            details = elasticache.CfnReplicationGroup.DestinationDetailsProperty(
                kinesis_firehose_details=elasticache.CfnReplicationGroup.KinesisFirehoseDestinationDetailsProperty(
                    delivery_stream=str(self.delivery_stream_name)
                )
            )
        config = elasticache.CfnReplicationGroup.LogDeliveryConfigurationRequestProperty(
            destination_details=details,
            destination_type=self.destination_type.value,
            log_format=self.log_format.value,
            log_type=log_type.value,
        )
        return BoundLogDelivery(log_type, self, log_group, config)


@dataclass(frozen=True)
class BoundLogDelivery:
    """A log type delivered by one replication group."""

    log_type: LogType
    delivery: LogDelivery
    #: The destination log group (``None`` for Firehose).
    log_group: logs.ILogGroup | None
    configuration: elasticache.CfnReplicationGroup.LogDeliveryConfigurationRequestProperty


LogDeliveryOption = LogDelivery | logs.ILogGroup | bool | None


def normalize_log_delivery(prop: str, value: Any) -> LogDelivery | None:
    """``None``/``False`` -> off; ``True`` -> new log group; ``ILogGroup`` -> that group; ``LogDelivery`` as is."""
    if value is None or value is False:
        return None
    if value is True:
        return LogDelivery.cloudwatch_logs()
    if isinstance(value, LogDelivery):
        return value
    if hasattr(value, "log_group_name") and hasattr(value, "log_group_arn"):
        return LogDelivery.cloudwatch_logs(value)
    raise fail(
        prop, value,
        "pass True (new log group), a logs.ILogGroup, LogDelivery.cloudwatch_logs(...), LogDelivery.firehose(...) "
        "or None",
    )


def validate_log_delivery(
    slow_log: Any, engine_log: Any, engine_version: EngineVersion
) -> dict[LogType, LogDelivery]:
    """Normalize both props; the engine version must offer each requested type; two *new* log groups must not
    share a name (the name collision). The same spec object for both types still makes two log groups."""
    wanted: dict[LogType, LogDelivery] = {}
    props = ((LogType.SLOW_LOG, "slow_log", slow_log), (LogType.ENGINE_LOG, "engine_log", engine_log))
    for log_type, prop, value in props:
        delivery = normalize_log_delivery(prop, value)
        if delivery is None:
            continue
        if log_type.value not in engine_version.log_types:
            offered = ", ".join(sorted(engine_version.log_types)) or "none"
            raise fail(
                prop, log_type.value,
                f"{engine_version} cannot deliver {log_type.value} (slow-log: redis 6.0+ or valkey; engine-log: "
                f"redis 6.2+ or valkey); this version offers: {offered}",
            )
        wanted[log_type] = delivery
    slow, engine = wanted.get(LogType.SLOW_LOG), wanted.get(LogType.ENGINE_LOG)
    if slow is not None and engine is not None and (
        slow.creates_log_group
        and engine.creates_log_group
        and slow.log_group_name is not None
        and slow.log_group_name == engine.log_group_name
    ):
        raise fail(
            "engine_log", slow.log_group_name,
            "slow_log and engine_log would create two log groups with the same name (the second creation fails: "
            "'log group already exists'); give different log_group_name values or leave them generated",
        )
    return wanted


__all__ = [
    "DEFAULT_RETENTION",
    "OUTSIDE_VENDED_LOGS_WARNING",
    "VENDED_LOGS_PREFIX",
    "BoundLogDelivery",
    "DestinationType",
    "LogDelivery",
    "LogFormat",
    "LogType",
    "allow_logs_to_use_key",
    "default_log_group_name",
    "validate_log_delivery",
]
