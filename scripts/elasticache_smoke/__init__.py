"""Smoke tests of live ElastiCache endpoints with the guide's operations.

Python API::

    from elasticache_smoke import run_smoke, target_from_url
    report = run_smoke(target_from_url("rediss://:token@host:6379"), suites=["strings", "pubsub"])
    print(report.render()); raise SystemExit(report.exit_code)

Targets also come from ``target_from_outputs`` (cdk outputs file) and ``target_from_stack`` (boto3).
"""

from __future__ import annotations

from elasticache_connect import Target, fetch_auth_token, target_from_outputs, target_from_stack, target_from_url

from .errors import ConnectError, DiscoveryError, SmokeError, UsageError
from .report import CheckResult, Report, SuiteResult
from .runner import ProgressEvent, run_smoke
from .suites import ALL_SUITE_NAMES, MEMCACHED_SUITES, REDIS_SUITES

__all__ = [
    "ALL_SUITE_NAMES",
    "MEMCACHED_SUITES",
    "REDIS_SUITES",
    "CheckResult",
    "ConnectError",
    "DiscoveryError",
    "ProgressEvent",
    "Report",
    "SmokeError",
    "SuiteResult",
    "Target",
    "UsageError",
    "fetch_auth_token",
    "run_smoke",
    "target_from_outputs",
    "target_from_stack",
    "target_from_url",
]
