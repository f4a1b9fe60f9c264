"""notification_topic on replication groups and Memcached: NotificationTopicArn, the documented publish statement
(aws:SourceOwner), the default, and the documented refusals (encrypted topic, other account or region)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Template

from elasticache_constructs import MemcachedCluster, ReplicationGroup, ShardedReplicationGroup, ValidationError

from .helpers import new_stack, new_vpc


@pytest.fixture(scope="module")
def tmpl() -> Template:
    stack = new_stack()
    vpc = new_vpc(stack)
    topic = sns.Topic(stack, "Events")
    ReplicationGroup(stack, "Plain", vpc=vpc)
    ReplicationGroup(stack, "Notified", vpc=vpc, notification_topic=topic)
    ShardedReplicationGroup(stack, "Sharded", vpc=vpc, notification_topic=topic)
    MemcachedCluster(stack, "Mc", vpc=vpc, notification_topic=topic)
    return Template.from_stack(stack)


def _by_prefix(tmpl: Template, type_: str) -> dict[str, dict[str, Any]]:
    return {k: v.get("Properties", {}) for k, v in tmpl.find_resources(type_).items()}


def test_topic_arn_reaches_every_cache_and_default_has_none(tmpl: Template) -> None:
    groups = _by_prefix(tmpl, "AWS::ElastiCache::ReplicationGroup")
    arns = {k[:5]: v.get("NotificationTopicArn") for k, v in groups.items()}
    assert arns["Plain"] is None
    assert arns["Notif"] == {"Ref": next(iter(tmpl.find_resources("AWS::SNS::Topic")))}
    assert arns["Shard"] == arns["Notif"]
    cluster = next(iter(_by_prefix(tmpl, "AWS::ElastiCache::CacheCluster").values()))
    assert cluster["NotificationTopicArn"] == arns["Notif"]


def test_topic_policy_allows_publish_under_source_owner(tmpl: Template) -> None:
    policy = next(iter(_by_prefix(tmpl, "AWS::SNS::TopicPolicy").values()))
    statements = policy["PolicyDocument"]["Statement"]
    assert len(statements) == 1  # identical statements of the three caches are merged
    statement = statements[0]
    assert statement["Action"] == "SNS:Publish" and statement["Principal"] == {"AWS": "*"}
    assert statement["Condition"] == {"StringEquals": {"AWS:SourceOwner": "123456789012"}}


INVALID: list[tuple[str, Callable[[cdk.Stack], Any], str]] = [
    ("arn string", lambda s: ReplicationGroup(s, "G", vpc=new_vpc(s), notification_topic="arn:aws:sns:x"),  # type: ignore[arg-type]
     "notification_topic: got 'arn:aws:sns:x'; pass an sns.ITopic"),
    ("encrypted", lambda s: ReplicationGroup(
        s, "G", vpc=new_vpc(s), notification_topic=sns.Topic(s, "T", master_key=kms.Key(s, "K"))),
     "ElastiCache cannot publish to an encrypted SNS topic"),
    ("other region", lambda s: MemcachedCluster(s, "G", vpc=new_vpc(s), notification_topic=sns.Topic.from_topic_arn(
        s, "T", "arn:aws:sns:eu-west-1:123456789012:events")),
     "notification_topic: got 'arn:aws:sns:eu-west-1:123456789012:events'; the topic must be in the cache's region"),
    ("other account", lambda s: ReplicationGroup(s, "G", vpc=new_vpc(s), notification_topic=sns.Topic.from_topic_arn(
        s, "T", "arn:aws:sns:us-east-1:999999999999:events")),
     "the topic must be in the cache's account (123456789012)"),
]


@pytest.mark.parametrize(("build", "message"), [c[1:] for c in INVALID], ids=[c[0] for c in INVALID])
def test_invalid_notification_topic(build: Callable[[cdk.Stack], Any], message: str) -> None:
    with pytest.raises(ValidationError) as err:
        build(new_stack())
    assert message in str(err.value)


def test_imported_topic_of_same_account_and_region_is_accepted() -> None:
    stack = new_stack()
    topic = sns.Topic.from_topic_arn(stack, "T", "arn:aws:sns:us-east-1:123456789012:events")
    group = ReplicationGroup(stack, "G", vpc=new_vpc(stack), notification_topic=topic)
    assert group.resource.notification_topic_arn == topic.topic_arn
