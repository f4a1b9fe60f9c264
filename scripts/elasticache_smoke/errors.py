"""Exceptions raised by the smoke command; each maps to an exit code."""

from __future__ import annotations

# Connection stages, in the order they are attempted.
STAGE_DNS = "DNS"
STAGE_TCP = "TCP"
STAGE_TLS = "TLS"
STAGE_AUTH = "AUTH"
STAGE_CLUSTER = "cluster discovery"
STAGE_PROTOCOL = "protocol"
STAGES = (STAGE_DNS, STAGE_TCP, STAGE_TLS, STAGE_AUTH, STAGE_CLUSTER, STAGE_PROTOCOL)


class SmokeError(Exception):
    """Base class of every error the smoke command reports to the user."""

    exit_code = 2


class UsageError(SmokeError):
    """Invalid option or option value; the message names the option and the allowed values."""


class DiscoveryError(SmokeError):
    """The target could not be determined (outputs file, CloudFormation, Secrets Manager, ElastiCache)."""


class ConnectError(SmokeError):
    """Connecting failed at a named stage (DNS, TCP, TLS, AUTH, cluster discovery)."""

    def __init__(self, stage: str, message: str) -> None:
        if stage not in STAGES:
            raise ValueError(f"unknown connection stage {stage!r}; allowed: {', '.join(STAGES)}")
        super().__init__(f"{stage}: {message}")
        self.stage = stage
        self.detail = message


class SmokeInterrupted(BaseException):
    """Raised in the main thread on SIGTERM so cleanup runs like it does for Ctrl-C."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"interrupted by signal {signum}")
        self.signum = signum
