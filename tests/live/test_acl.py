"""A restricted ACL user (``~app:* &app:* +@all -@dangerous -@scripting``).

Suites whose commands the user may run pass; suites needing forbidden commands (EVAL) or a
forbidden pub/sub pattern fail cleanly with NOPERM in the report, and nothing is left behind.
"""

from __future__ import annotations

import json
from pathlib import Path

from live_helpers import ACL_USER, ACL_USER_PASSWORD, own_keys, run_cli

from elasticache_smoke import testing as servers

LUA_SUITES = {"rate_limit_sliding", "token_bucket", "stampede_lock"}
ALLOWED = [
    "server",
    "strings",
    "lists",
    "hashes",
    "sets",
    "sorted_sets",
    "streams",
    "cache_aside",
    "write_through",
    "expiry",
]


def _url(server: servers.RedisServer) -> str:
    return f"redis://{ACL_USER}:{ACL_USER_PASSWORD}@127.0.0.1:{server.port}"


def test_restricted_user_allowed_suites_pass_forbidden_ones_are_reported(
    acl_server: servers.RedisServer, tmp_path: Path
) -> None:
    report_file = tmp_path / "acl.json"
    result = run_cli("--url", _url(acl_server), "--key-prefix", "app:", "--json", str(report_file))
    assert result.code == 1, result.text
    data = json.loads(report_file.read_text())
    status = {s["name"]: s for s in data["suites"]}
    for name in ALLOWED:
        assert status[name]["status"] == "pass", (name, status[name])
    for name in LUA_SUITES:
        assert status[name]["status"] == "error"
        assert status[name]["error"] == "NOPERM this user has no permissions to run the 'eval' command"
    # SUBSCRIBE app:... is allowed, PSUBSCRIBE needs the literal pattern in the ACL: reported, not crashed
    assert status["pubsub"]["status"] == "error"
    assert "NOPERM" in status["pubsub"]["error"] and "channels" in status["pubsub"]["error"]
    assert status["pubsub"]["checks"][0] == {
        "name": "SUBSCRIBE news",
        "passed": True,
        "expected": f"{data['namespace']}:pubsub:news",
        "actual": f"{data['namespace']}:pubsub:news",
        "detail": "",
    }
    assert data["namespace"].startswith("app:{smoke:")
    assert "INFO not permitted for this user" in " ".join(status["server"]["output"])
    assert "hint: NOPERM" in result.out
    assert data["cleanup"]["errors"] == []
    assert acl_server.client().dbsize() == 0


def test_restricted_user_with_only_allowed_suites_exits_0(acl_server: servers.RedisServer) -> None:
    result = run_cli("--url", _url(acl_server), "--key-prefix", "app:", "--suite", ",".join(ALLOWED))
    assert result.code == 0, result.text
    assert acl_server.client().dbsize() == 0


def test_restricted_user_without_key_prefix_gets_noperm_on_keys(acl_server: servers.RedisServer) -> None:
    result = run_cli("--url", _url(acl_server), "--suite", "strings")
    assert result.code == 1
    assert "strings: ERROR NOPERM this user has no permissions to access one of the keys" in result.out
    assert "use --key-prefix to match the user's key patterns" in result.out
    assert "cleanup FAILED" not in result.out
    assert own_keys(acl_server.client()) == []


def test_restricted_user_read_only(acl_server: servers.RedisServer) -> None:
    result = run_cli("--url", _url(acl_server), "--key-prefix", "app:", "--read-only")
    assert result.code == 0, result.text
