"""Errors of the connection layer: one hierarchy shared by ``connect()`` and the smoke command.

Every error message names what is wrong (the argument, output key or stage) and never contains a password,
AUTH token or IAM token.
"""

from __future__ import annotations

# Connection stages, in the order they are attempted.
STAGE_DNS = "DNS"
STAGE_TCP = "TCP"
STAGE_TLS = "TLS"
STAGE_AUTH = "AUTH"
STAGE_CLUSTER = "cluster discovery"
STAGE_PROTOCOL = "protocol"
STAGES = (STAGE_DNS, STAGE_TCP, STAGE_TLS, STAGE_AUTH, STAGE_CLUSTER, STAGE_PROTOCOL)


class ElastiCacheConnectError(Exception):
    """Base class of every error this package raises; ``exit_code`` is what a command line returns for it."""

    exit_code = 2


class UsageError(ElastiCacheConnectError, ValueError):
    """Invalid argument or argument value; the message names the argument and the allowed values."""


class DiscoveryError(ElastiCacheConnectError):
    """The cache could not be determined (outputs file, CloudFormation, Secrets Manager, ElastiCache)."""


class ConnectError(ElastiCacheConnectError):
    """Connecting failed at a named stage (DNS, TCP, TLS, AUTH, cluster discovery, protocol)."""

    def __init__(self, stage: str, message: str) -> None:
        if stage not in STAGES:
            raise ValueError(f"unknown connection stage {stage!r}; allowed: {', '.join(STAGES)}")
        super().__init__(f"{stage}: {message}")
        self.stage = stage
        self.detail = message
