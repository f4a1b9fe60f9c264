"""Acknowledged cdk-nag findings, each with the reason it does not apply."""

from __future__ import annotations

from aws_cdk import Acknowledgment, Validations
from constructs import IConstruct

from elasticache_constructs import ReplicationGroupBase

#: Findings every cache of this app acknowledges, and why.
CACHE_ACKNOWLEDGEMENTS = {
    "AwsSolutions-SMG4": (
        "The AUTH token cannot be rotated by a Secrets Manager rotation Lambda without a matching "
        "ModifyReplicationGroup (AuthTokenUpdateStrategy ROTATE then SET); rotation is an operator runbook step."
    ),
}


def acknowledge(construct: IConstruct, findings: dict[str, str]) -> None:
    """Acknowledge each ``rule id -> reason`` on ``construct`` and everything below it."""
    for rule, reason in findings.items():
        Validations.of(construct).acknowledge(Acknowledgment(id=rule, reason=reason))


def acknowledge_cache(group: ReplicationGroupBase) -> None:
    """The acknowledgements every cache of this app carries."""
    acknowledge(group, CACHE_ACKNOWLEDGEMENTS)
