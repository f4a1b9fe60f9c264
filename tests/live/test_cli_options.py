"""Bad command-line input: exit 2 with a message naming the option and the allowed values.

These need no server (they fail before connecting); they live here with the other CLI tests.
"""

from __future__ import annotations

import pytest
from live_helpers import run_cli

from elasticache_smoke import ALL_SUITE_NAMES

CASES = [
    (
        ["--url", "redis://127.0.0.1:1", "--suite", "strings,bogus"],
        f"--suite: unknown suite(s) bogus; allowed: {', '.join(ALL_SUITE_NAMES)}",
    ),
    (["--url", "redis://127.0.0.1:1", "--suite", ","], "--suite: unknown suite(s) (empty)"),
    (["--url", "redis://h:6379", "--stack", "S"], "--url cannot be combined with --outputs, --stack or --cache"),
    (
        ["--url", "http://h:6379"],
        "scheme 'http' is not supported; allowed: redis://, rediss://, valkey://, valkeys://, memcached://, memcacheds://",
    ),
    (["--url", "redis://"], "--url 'redis://' has no host"),
    (["--url", "redis://h:99999"], "--url 'redis://h:99999': invalid port"),
    (["--url", "redis://h:6379/3"], "database '3' is not supported"),
    ([], "no target: give --outputs FILE [--stack NAME], --stack NAME --region R, or --url URL"),
    (["--stack", "S"], "--region is required with --stack (or set AWS_REGION)"),
    (["--url", "redis://127.0.0.1:1", "--timeout", "0"], "--timeout must be > 0 seconds, got 0.0"),
    (["--url", "redis://127.0.0.1:1", "--key-prefix", "a b"], "--key-prefix 'a b': up to 64 characters without spaces"),
    (["--url", "redis://127.0.0.1:1", "--key-prefix", "app*"], "or glob characters"),
    (
        ["--outputs", "/nonexistent/out.json"],
        "target discovery failed: --outputs '/nonexistent/out.json': file not found",
    ),
    (["--url", "redis://h:6379", "--iam", "app"], "--iam signs a token for the replication group or serverless cache"),
    (["--url", "redis://h:6379", "--iam", "app", "--user", "x"], "--iam USER excludes --user and --password"),
    (["--url", "redis://h:6379?ssl_cert_reqs=sometimes"], "ssl_cert_reqs='sometimes'; allowed: none, optional, required"),
    (["--url", "redis://h:6379", "--failover"], "--failover needs a replication group from --outputs or --stack"),
]


@pytest.mark.parametrize(("argv", "message"), CASES, ids=[" ".join(c[0]) or "no-target" for c in CASES])
def test_bad_options_exit_2_with_a_clear_message(
    argv: list[str], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    result = run_cli(*argv)
    assert result.code == 2
    assert message in result.err
    assert result.out == ""


def test_list_suites() -> None:
    result = run_cli("--list-suites")
    assert result.code == 0
    lines = result.out.splitlines()
    assert lines[0] == "redis / valkey:"
    assert any(line.split()[:1] == ["cluster_spread"] and "[cluster only]" in line for line in lines)
    assert any(line.split()[:1] == ["server"] and "[read-only]" in line for line in lines)
    assert "memcached:" in lines


def test_password_is_redacted_in_the_source_line() -> None:
    result = run_cli("--url", "redis://user:hunter2@127.0.0.1:1", "--timeout", "1")
    assert result.code == 2
    assert "hunter2" not in result.text
    assert "redis://user:***@127.0.0.1:1" in result.out
