"""Event notifications of node-based caches to an SNS topic (``NotificationTopicArn``).

Source: https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/ElastiCacheSNS.html -- the topic must be in the
cache's account and region and must not be encrypted (ElastiCache then marks it inactive); its access policy must
allow ``SNS:Publish`` under an ``aws:SourceOwner`` condition (not ``aws:SourceAccount``):
https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/ECEvents.SNS.html
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack, Token
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sns as sns
from constructs import Construct

from ._validation import fail, implements


def _resolved(value: str | None) -> bool:
    return value is not None and not Token.is_unresolved(value)


def validate_notification_topic(scope: Construct, topic: Any) -> sns.ITopic | None:
    """An ``sns.ITopic`` of the stack's account and region, not encrypted."""
    if topic is None:
        return None
    if not implements(topic, sns.ITopic):
        raise fail("notification_topic", topic, "pass an sns.ITopic (sns.Topic or sns.Topic.from_topic_arn)")
    if getattr(topic, "master_key", None) is not None:
        raise fail(
            "notification_topic", topic.node.path,
            "ElastiCache cannot publish to an encrypted SNS topic; use a topic without master_key",
        )
    stack = Stack.of(scope)
    pairs = (("account", stack.account, topic.env.account), ("region", stack.region, topic.env.region))
    for what, mine, theirs in pairs:
        if _resolved(mine) and _resolved(theirs) and mine != theirs:
            raise fail("notification_topic", topic.topic_arn, f"the topic must be in the cache's {what} ({mine})")
    return topic


def bind_notification_topic(scope: Construct, topic: sns.ITopic | None) -> str | None:
    """The topic ARN for ``NotificationTopicArn``; adds the documented publish statement to the topic's policy
    (for topics defined in this app)."""
    if topic is None:
        return None
    stack = Stack.of(scope)
    topic.add_to_resource_policy(
        iam.PolicyStatement(
            sid="AllowElastiCachePublish",
            actions=["SNS:Publish"],
            principals=[iam.AnyPrincipal()],
            resources=[topic.topic_arn],
            conditions={"StringEquals": {"AWS:SourceOwner": stack.account}},
        )
    )
    return topic.topic_arn


__all__ = ["bind_notification_topic", "validate_notification_topic"]
