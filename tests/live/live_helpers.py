"""Helpers shared by the live smoke tests (imported as ``live_helpers``)."""

from __future__ import annotations

import io
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass

import redis
from elasticache_smoke.cli import main

TLS_TOKEN = "tls-auth-token-0123456789"
ACL_ADMIN_PASSWORD = "admin-password-42"
ACL_USER = "appuser"
ACL_USER_PASSWORD = "app-user-password-7"
# keys and channels under app:*, every command except @dangerous (INFO, KEYS, FLUSH*, CONFIG...) and @scripting
ACL_RULE = f"{ACL_USER} on >{ACL_USER_PASSWORD} ~app:* &app:* +@all -@dangerous -@scripting"


@dataclass
class CliResult:
    """What ``main(argv)`` returned and printed."""

    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        """stdout and stderr together."""
        return self.out + "\n" + self.err


def run_cli(*argv: str) -> CliResult:
    """Run the smoke CLI in-process and capture its output."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    return CliResult(code, out.getvalue(), err.getvalue())


def own_keys(client: redis.Redis, pattern: str = "*smoke:*") -> list[bytes]:
    """Keys that look like smoke-run keys (SCAN in the test, never in the tool)."""
    return list(client.scan_iter(match=pattern, count=1000))
