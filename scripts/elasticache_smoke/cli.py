"""Command line: ``python scripts/smoke.py (--outputs FILE [--stack S] | --stack S --region R | --url URL)``.

Exit codes: 0 every check passed; 1 a check failed; 2 could not find the target, connect or authenticate
(the message names the stage: DNS, TCP, TLS, AUTH, cluster discovery), or invalid options;
130 interrupted (Ctrl-C / SIGTERM) after cleaning up.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from elasticache_connect import Target, apply_credentials, target_from_outputs, target_from_stack, target_from_url

from .errors import DiscoveryError, SmokeError, UsageError
from .failover import aws_trigger, check_failover_allowed, local_trigger, run_failover
from .report import EXIT_CONNECT
from .runner import ProgressEvent, parse_suites, run_smoke
from .suites import MEMCACHED_SUITES, REDIS_SUITES


class Progress:
    """Progress on stderr: an updating line on a TTY, one line per suite otherwise."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()

    def __call__(self, event: ProgressEvent) -> None:
        prefix = f"[{event.index:>2}/{event.total}] {event.suite}"
        if event.kind == "start":
            self._write(f"{prefix} ...", final=False)
        elif event.kind == "check" and self.tty and event.check is not None:
            self._write(f"{prefix} ... {event.check.name}", final=False)
        elif event.kind == "end" and event.result is not None:
            result = event.result
            extra = (
                f" ({result.skipped})" if result.skipped else f" ({len(result.checks)} checks, {result.duration:.2f}s)"
            )
            self._write(f"{prefix} {result.status.upper()}{extra}", final=True)

    def _write(self, text: str, final: bool) -> None:
        if self.tty:
            self.stream.write("\r\033[K" + text[:120] + ("\n" if final else ""))
        elif final or text.endswith("..."):
            self.stream.write(text + "\n")
        self.stream.flush()


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (also used for ``--help``)."""
    parser = argparse.ArgumentParser(
        description="Smoke-test an ElastiCache (Redis OSS / Valkey / Memcached) endpoint with the guide's operations.",
        epilog="exit codes: 0 all passed, 1 a check failed, 2 target/connect/auth failure or bad options, "
        "130 interrupted (cleanup still done)",
    )
    where = parser.add_argument_group("target (one of --outputs, --stack with --region, --url)")
    where.add_argument("--outputs", metavar="FILE", help="cdk deploy --outputs-file JSON")
    where.add_argument(
        "--stack", metavar="NAME", help="stack name (picks the stack in --outputs, or reads it with boto3)"
    )
    where.add_argument("--region", metavar="R", help="AWS region for --stack without --outputs")
    where.add_argument("--cache", metavar="PREFIX", help="cache output prefix when the stack has several caches")
    where.add_argument("--url", help="redis://, rediss://, memcached:// [user:pass@]host:port")
    conn = parser.add_argument_group("connection")
    conn.add_argument(
        "--cluster",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="force cluster mode on/off (default: detect)",
    )
    conn.add_argument("--ca-file", metavar="PEM", help="CA certificate(s) to verify the server's TLS certificate")
    conn.add_argument(
        "--no-tls-verify", action="store_true", help="do not verify the TLS certificate (not for production)"
    )
    conn.add_argument("--password", help="AUTH token / password (default: URL, outputs, or $REDIS_PASSWORD)")
    conn.add_argument("--user", help="ACL user name (with an emulator outputs file: its password from <P>LocalUsers)")
    conn.add_argument(
        "--iam", metavar="USER", help="authenticate as IAM-enabled user USER with a SigV4 token (AWS credential chain)"
    )
    conn.add_argument("--timeout", type=float, default=5.0, metavar="S", help="socket timeout in seconds (default 5)")
    run = parser.add_argument_group("run")
    run.add_argument(
        "--suite", metavar="LIST", help="comma-separated suites (default: all that apply); see --list-suites"
    )
    run.add_argument("--list-suites", action="store_true", help="print the suites and exit")
    run.add_argument("--read-only", action="store_true", help="only non-mutating checks (nothing is written)")
    run.add_argument(
        "--key-prefix", default="", metavar="P", help="prefix for the run namespace, e.g. app: for ACL ~app:*"
    )
    run.add_argument("--json", metavar="FILE", help="also write the report as JSON")
    run.add_argument("--progress", action="store_true", help="show progress on stderr even when it is not a TTY")
    drill = parser.add_argument_group("failover rehearsal (disrupts the group: needs --confirm-failover)")
    drill.add_argument(
        "--failover", action="store_true", help="TestFailover one shard while a probe writes and reads; report figures"
    )
    drill.add_argument("--confirm-failover", action="store_true", help="confirm that --failover may disrupt clients")
    drill.add_argument("--failover-shard", type=int, default=1, metavar="N", help="shard (node group) N, 1-based")
    drill.add_argument(
        "--local-state", metavar="DIR", help="the target is the local emulator: use its failover drill (state dir)"
    )
    return parser


def resolve_target(args: argparse.Namespace) -> Target:
    """Build the target from the parsed options (validates their combination)."""
    env_password = None if args.iam else (os.environ.get("REDIS_PASSWORD") or None)
    if args.iam and (args.user or args.password):
        raise UsageError("--iam USER excludes --user and --password (the IAM token is the password)")
    if args.timeout <= 0:
        raise UsageError(f"--timeout must be > 0 seconds, got {args.timeout}")
    if args.url:
        if args.outputs or args.stack or args.cache:
            raise UsageError("--url cannot be combined with --outputs, --stack or --cache")
        target = target_from_url(
            args.url,
            password=args.password,
            username=args.user,
            cluster=args.cluster,
            ca_file=args.ca_file,
            tls_verify=not args.no_tls_verify,
        )
        if target.password is None and env_password:
            target.password = env_password
        return _with_iam(target, args)
    if args.outputs:
        target = target_from_outputs(args.outputs, args.stack, args.cache, read_secret=not (args.iam or args.password))
    elif args.stack:
        region = args.region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
        if not region:
            raise UsageError("--region is required with --stack (or set AWS_REGION)")
        target = target_from_stack(args.stack, region, args.cache, read_secret=not (args.iam or args.password))
    else:
        raise UsageError("no target: give --outputs FILE [--stack NAME], --stack NAME --region R, or --url URL")
    apply_credentials(target, user=args.user, password=args.password)
    if target.password is None and env_password:
        target.password = env_password
    if args.cluster is not None and target.engine != "memcached":
        target.cluster = args.cluster
    if args.ca_file:
        target.ca_file = args.ca_file
    if args.no_tls_verify:
        target.tls_verify = False
    return _with_iam(target, args)


def _with_iam(target: Target, args: argparse.Namespace) -> Target:
    if args.iam:
        if not target.resource_id:
            raise UsageError(
                "--iam signs a token for the replication group or serverless cache named by its ResourceId output; "
                "use --outputs FILE or --stack NAME instead of --url"
            )
        apply_credentials(target, user=args.iam, iam=True, region=args.region)
    return target


def run_failover_command(args: argparse.Namespace, target: Target) -> int:
    """``--failover``: refuse what cannot or must not be failed over, else rehearse and print the figures."""
    check_failover_allowed(target, args.confirm_failover)
    if args.failover_shard < 1:
        raise UsageError(f"--failover-shard must be >= 1, got {args.failover_shard}")
    if args.local_state:
        trigger = local_trigger(target, args.failover_shard, Path(args.local_state))
    else:
        trigger = aws_trigger(target, args.failover_shard)
    cluster = bool(target.cluster)
    result = run_failover(target, trigger, cluster=cluster, shard=args.failover_shard, log=print)
    for line in result.lines():
        print(line)
    if args.json:
        Path(args.json).write_text(json.dumps({"target": target.as_dict(), "failover": result.as_dict()}, indent=2))
    return 0 if result.ok else 1


def list_suites(out: TextIO) -> None:
    """Print every suite with its description."""
    for title, registry in (("redis / valkey", REDIS_SUITES), ("memcached", MEMCACHED_SUITES)):
        out.write(f"{title}:\n")
        for suite in registry.values():
            flags = ("read-only" if not suite.mutating else "") + (" cluster only" if suite.cluster_only else "")
            out.write(f"  {suite.name:<20} {suite.description}{'  [' + flags.strip() + ']' if flags else ''}\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.list_suites:
        list_suites(sys.stdout)
        return 0
    try:
        parse_suites(args.suite)
        target = resolve_target(args)
    except DiscoveryError as exc:
        print(f"error: target discovery failed: {exc}", file=sys.stderr)
        return EXIT_CONNECT
    except SmokeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    if args.failover:
        try:
            return run_failover_command(args, target)
        except SmokeError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return exc.exit_code
    show_progress = args.progress or sys.stderr.isatty()
    try:
        report = run_smoke(
            target,
            args.suite,
            read_only=args.read_only,
            key_prefix=args.key_prefix,
            progress=Progress(sys.stderr) if show_progress else None,
            timeout=args.timeout,
        )
    except SmokeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    print(report.render())
    if report.connect_error is not None:
        print(
            f"error: connection failed at stage {report.connect_stage}: {report.connect_error}",
            file=sys.stderr,
        )
    if args.json:
        report.write_json(args.json)
    return report.exit_code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
