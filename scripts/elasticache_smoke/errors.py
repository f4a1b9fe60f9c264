"""Exceptions raised by the smoke command; each maps to an exit code.

The connection layer's errors (:mod:`elasticache_connect.errors`) are the smoke command's errors too:
``SmokeError`` is their base, so a failure to find or reach the target is reported the same way by both.
"""

from __future__ import annotations

from elasticache_connect.errors import (
    STAGE_AUTH,
    STAGE_CLUSTER,
    STAGE_DNS,
    STAGE_PROTOCOL,
    STAGE_TCP,
    STAGE_TLS,
    STAGES,
    ConnectError,
    DiscoveryError,
    UsageError,
)
from elasticache_connect.errors import ElastiCacheConnectError as SmokeError

__all__ = [
    "STAGES",
    "STAGE_AUTH",
    "STAGE_CLUSTER",
    "STAGE_DNS",
    "STAGE_PROTOCOL",
    "STAGE_TCP",
    "STAGE_TLS",
    "ConnectError",
    "DiscoveryError",
    "SmokeError",
    "SmokeInterrupted",
    "UsageError",
]


class SmokeInterrupted(BaseException):
    """Raised in the main thread on SIGTERM so cleanup runs like it does for Ctrl-C."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"interrupted by signal {signum}")
        self.signum = signum
