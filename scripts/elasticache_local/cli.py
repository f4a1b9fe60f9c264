"""Command line: ``python scripts/local.py up|status|down|failover|demo``."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from . import commands
from . import state as st
from .errors import EmulatorError
from .reconcile.apply import ReplacementRefused
from .reconcile.snapshots import DEFAULT_SEED_DIR, DEFAULT_SNAPSHOT_DIR
from .runtime import out_of_descriptors, raise_nofile_hint


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

    def snapshot_opts(p: argparse.ArgumentParser) -> None:
        p.add_argument("--snapshot-dir", type=Path, default=Path(DEFAULT_SNAPSHOT_DIR),
                       help=f"where local snapshots live, outside the state dir (default {DEFAULT_SNAPSHOT_DIR})")

    p_up = sub.add_parser("up", help="start the emulated caches, or apply a changed assembly to running ones")
    up_opts(p_up)
    snapshot_opts(p_up)
    p_up.add_argument("--seed-dir", type=Path, default=Path(DEFAULT_SEED_DIR),
                      help=f"local folder for SnapshotArns: arn:aws:s3:::bucket/key is <dir>/bucket/key "
                      f"(default {DEFAULT_SEED_DIR})")
    p_up.add_argument("--allow-replacement", action="store_true",
                      help="apply changes that replace a resource (its data is lost); without it `up` exits 3")

    def probe_opts(p: argparse.ArgumentParser, what: str) -> None:
        p.add_argument("--probe", action="append", default=[], metavar="GROUP",
                       help=f"a client reads and writes this running group while {what}, then reports failed "
                       "operations, the longest stall and acknowledged writes lost (repeatable)")
        p.add_argument("--probe-json", type=Path, default=None, help="also write the probe reports to this file")

    probe_opts(p_up, "the change applies")

    p_plan = sub.add_parser("plan", help="print what `up` would change and how; exit 3 when data would be lost")
    up_opts(p_plan)
    p_plan.add_argument("--against", type=Path, default=None,
                        help="compare with this older assembly instead of the running deployment (CI)")
    p_plan.add_argument("--json", action="store_true", help="machine-readable output")

    p_snap = sub.add_parser("snapshot", help="take a snapshot of a running group (one RDB per shard)")
    p_snap.add_argument("group", help="replication group id, logical id or STACK/LOGICAL")
    p_snap.add_argument("name", help="snapshot name")
    state_opt(p_snap)
    snapshot_opts(p_snap)

    p_snaps = sub.add_parser("snapshots", help="list local snapshots")
    snapshot_opts(p_snaps)
    p_snaps.add_argument("--json", action="store_true", help="machine-readable output")
    p_up.add_argument("--synth", action="store_true", help="synthesize first (python app.py, CDK_OUTDIR=--assembly)")
    p_up.add_argument("--synth-with-npx", action="store_true", help="synthesize first with `npx cdk synth -q`")

    p_status = sub.add_parser("status", help="print the topology and health")
    state_opt(p_status)
    p_status.add_argument("--json", action="store_true", help="machine-readable output")

    p_down = sub.add_parser("down", help="stop the processes `up` started and delete their data")
    state_opt(p_down)
    p_down.add_argument("--keep-outputs", action="store_true", help="keep the outputs file")
    p_down.add_argument("--no-final-snapshot", action="store_true",
                        help="skip the final snapshot of groups whose DeletionPolicy is Snapshot")
    snapshot_opts(p_down)

    p_fail = sub.add_parser("failover", help="failover drill: kill a primary, measure recovery and lost writes")
    p_fail.add_argument("group", help="replication group id, logical id, STACK/LOGICAL or output prefix")
    p_fail.add_argument("--shard", type=int, default=1, help="cluster mode: shard number, 1-based (default 1)")
    p_fail.add_argument("--warmup", type=float, default=0.5, help="seconds of writes before the kill (default 0.5)")
    p_fail.add_argument("--timeout", type=float, default=30.0, help="give up after this many seconds (default 30)")
    p_fail.add_argument("--no-replace", action="store_true",
                        help="leave the killed node dead (default: restart it as a replica, like ElastiCache)")
    state_opt(p_fail)
    probe_opts(p_fail, "the drill runs")

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
                allow_replacement=args.allow_replacement, snapshot_dir=args.snapshot_dir, seed_dir=args.seed_dir,
                probe=args.probe, probe_json=args.probe_json,
            ))
            return 0
        if args.command == "plan":
            from .reconcile.plan import plan_command

            return plan_command(args.assembly, args.stacks, against=args.against, state_dir=args.state_dir,
                                as_json=args.json)
        if args.command == "snapshot":
            from .reconcile.snapshots import snapshot_command

            return snapshot_command(args.state_dir, args.group, args.name, args.snapshot_dir)
        if args.command == "snapshots":
            from .reconcile.snapshots import snapshots_command

            return snapshots_command(args.snapshot_dir, as_json=args.json)
        if args.command == "status":
            return commands.status(args.state_dir, as_json=args.json)
        if args.command == "down":
            return commands.down(args.state_dir, keep_outputs=args.keep_outputs,
                                 final_snapshot=not args.no_final_snapshot, snapshot_dir=args.snapshot_dir)
        if args.command == "failover":
            from .failover import drill
            from .probe import probing_state_dir

            with probing_state_dir(args.state_dir, args.probe, print, args.probe_json):
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
    except ReplacementRefused as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    except EmulatorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` & co: the command itself has finished its work
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - keeps interpreter shutdown from raising again
        return 0
    except OSError as exc:  # after BrokenPipeError, its subclass
        if not out_of_descriptors(exc):
            raise
        print(f"error: out of file descriptors ({exc}); {raise_nofile_hint()}", file=sys.stderr)
        return 2
    return 2
