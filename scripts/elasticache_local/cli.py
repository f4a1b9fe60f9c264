"""Command line: ``python scripts/local.py up|status|down|failover|demo``."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from . import commands
from . import state as st
from .errors import EmulatorError


def _parameters(values: list[str]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for item in values:
        stack, sep, rest = item.partition(":")
        name, sep2, value = rest.partition("=")
        if not sep or not sep2 or not stack or not name:
            raise EmulatorError(f"--parameter {item!r}: expected STACK:NAME=VALUE")
        out.setdefault(stack, {})[name] = value
    return out


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (also used for ``--help`` in the README)."""
    parser = argparse.ArgumentParser(
        description="Run a synthesized CDK app's ElastiCache resources as local redis-server/redis-sentinel/"
        "memcached processes (loopback only), write a cdk-deploy-style outputs file, and tear it all down.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def state_opt(p: argparse.ArgumentParser) -> None:
        p.add_argument("--state-dir", type=Path, default=Path(st.DEFAULT_STATE_DIR),
                       help=f"where processes' data, configs and the state file live (default {st.DEFAULT_STATE_DIR})")

    def up_opts(p: argparse.ArgumentParser) -> None:
        p.add_argument("--assembly", type=Path, default=Path("cdk.out"), help="cloud assembly directory (cdk.out)")
        p.add_argument("--outputs-file", type=Path, default=Path(st.DEFAULT_OUTPUTS_FILE),
                       help=f"outputs file to write (default {st.DEFAULT_OUTPUTS_FILE})")
        p.add_argument("--app-dir", type=Path, default=Path("."), help="CDK app directory for --synth (default .)")
        p.add_argument("--stack", action="append", default=[], dest="stacks",
                       help="only this stack (repeatable; default: every stack)")
        p.add_argument("--parameter", action="append", default=[],
                       help="template parameter override STACK:NAME=VALUE (repeatable)")
        state_opt(p)

    p_up = sub.add_parser("up", help="start the emulated caches")
    up_opts(p_up)
    p_up.add_argument("--synth", action="store_true", help="synthesize first (python app.py, CDK_OUTDIR=--assembly)")
    p_up.add_argument("--synth-with-npx", action="store_true", help="synthesize first with `npx cdk synth -q`")

    p_status = sub.add_parser("status", help="print the topology and health")
    state_opt(p_status)
    p_status.add_argument("--json", action="store_true", help="machine-readable output")

    p_down = sub.add_parser("down", help="stop the processes `up` started and delete their data")
    state_opt(p_down)
    p_down.add_argument("--keep-outputs", action="store_true", help="keep the outputs file")

    p_fail = sub.add_parser("failover", help="failover drill: kill a primary, measure recovery and lost writes")
    p_fail.add_argument("group", help="replication group id, logical id, STACK/LOGICAL or output prefix")
    p_fail.add_argument("--shard", type=int, default=1, help="cluster mode: shard number, 1-based (default 1)")
    p_fail.add_argument("--warmup", type=float, default=0.5, help="seconds of writes before the kill (default 0.5)")
    p_fail.add_argument("--timeout", type=float, default=30.0, help="give up after this many seconds (default 30)")
    p_fail.add_argument("--no-replace", action="store_true",
                        help="leave the killed node dead (default: restart it as a replica, like ElastiCache)")
    state_opt(p_fail)

    p_demo = sub.add_parser("demo", help="synth -> up -> smoke every cache -> down (the README's main command)")
    up_opts(p_demo)
    p_demo.add_argument("--no-synth", action="store_true", help="use the existing --assembly as is")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        if args.command == "up":
            commands.up(commands.UpOptions(
                assembly=args.assembly, state_dir=args.state_dir, outputs_file=args.outputs_file,
                synth=args.synth or args.synth_with_npx, synth_with_npx=args.synth_with_npx, app_dir=args.app_dir,
                stacks=args.stacks, parameters=_parameters(args.parameter),
            ))
            return 0
        if args.command == "status":
            return commands.status(args.state_dir, as_json=args.json)
        if args.command == "down":
            return commands.down(args.state_dir, keep_outputs=args.keep_outputs)
        if args.command == "failover":
            from .failover import drill

            result = drill(args.state_dir, args.group, shard=args.shard, warmup=args.warmup,
                           timeout=args.timeout, replace=not args.no_replace)
            return 0 if result.ok else 1
        if args.command == "demo":
            from .demo import demo

            return demo(commands.UpOptions(
                assembly=args.assembly, state_dir=args.state_dir, outputs_file=args.outputs_file,
                synth=not args.no_synth, app_dir=args.app_dir, stacks=args.stacks,
                parameters=_parameters(args.parameter),
            ))
    except EmulatorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` & co: the command itself has finished its work
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - keeps interpreter shutdown from raising again
        return 0
    return 2
