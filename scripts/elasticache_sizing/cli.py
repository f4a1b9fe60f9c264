"""``python scripts/sizing.py``: the sizing model as a command (readable text, or ``--json``)."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Sequence

from .core import (
    HOURS_PER_MONTH,
    Recommendation,
    SizingError,
    SizingInputs,
    describe,
    parse_count,
    parse_size,
    recommend,
)

DEFAULTS = SizingInputs(items=1, item_bytes=1)

EPILOG = """\
examples (the guide's worked examples, with the guide's assumptions):
  feed cache:    sizing.py --items 1Mx50 --item-size 1KB --family r5 --replicas 0 --headroom 0 \\
                           --reserved-memory-percent 0          -> cache.r5.xlarge x 2 shards
  rate limiter:  sizing.py --items 100Kx100 --item-size 28B --family m5 --replicas 0 --headroom 0 \\
                           --reserved-memory-percent 0 --ops 10000   -> cache.m5.large, 1 shard
Without those options the production defaults apply (r7g, 1 replica, 25 % headroom, 25 % reserved memory).
"""


def _families(text: str) -> tuple[str, ...]:
    return tuple(f.strip().lower() for f in text.split(",") if f.strip())


def build_parser() -> argparse.ArgumentParser:
    """The command's options; defaults come from ``SizingInputs``."""
    p = argparse.ArgumentParser(
        description="Recommend an ElastiCache node type, shard and replica count and monthly node-hours.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--items", required=True, help="items cached: 50000000, 100K, 1M, or a product like 1Mx50")
    p.add_argument("--item-size", required=True, help="average item size: 28, 28B, 1KB (=1000 B), 1KiB, 1.5MB")
    p.add_argument(
        "--replicas",
        type=int,
        default=DEFAULTS.replicas,
        help=f"read replicas per shard, 0-5 (default {DEFAULTS.replicas})",
    )
    p.add_argument(
        "--headroom",
        type=float,
        default=DEFAULTS.headroom,
        help=f"growth headroom as a fraction, 0.25 = 25 %% (default {DEFAULTS.headroom:g})",
    )
    p.add_argument(
        "--ops",
        type=float,
        default=DEFAULTS.target_ops,
        help="target operations per second (default 0: memory alone decides)",
    )
    p.add_argument(
        "--overhead",
        type=float,
        default=DEFAULTS.overhead_factor,
        help=f"memory per byte of data, >= 1 (default {DEFAULTS.overhead_factor:g}: item size includes it)",
    )
    p.add_argument(
        "--reserved-memory-percent",
        type=float,
        default=DEFAULTS.reserved_memory_percent,
        help=f"share of node memory kept free, 0-99 (default {DEFAULTS.reserved_memory_percent:g}, "
        "ElastiCache's reserved-memory-percent)",
    )
    p.add_argument(
        "--family",
        type=_families,
        default=DEFAULTS.families,
        help=f"node families, comma-separated, or 'all' (default {','.join(DEFAULTS.families)})",
    )
    p.add_argument(
        "--max-shards",
        type=int,
        default=DEFAULTS.max_shards,
        help=f"prefer node types fitting in this many shards (default {DEFAULTS.max_shards})",
    )
    p.add_argument(
        "--ops-per-shard",
        type=float,
        default=DEFAULTS.ops_per_shard,
        help=f"operations/s one shard's primary serves (default {DEFAULTS.ops_per_shard:,.0f})",
    )
    p.add_argument("--global-datastore", action="store_true", help="only node types that support Global Datastore")
    p.add_argument(
        "--hours-per-month",
        type=float,
        default=HOURS_PER_MONTH,
        help=f"billing hours per month (default {HOURS_PER_MONTH:g})",
    )
    p.add_argument("--json", action="store_true", help="print the recommendation as JSON")
    return p


def inputs_from_args(args: argparse.Namespace) -> SizingInputs:
    """``SizingInputs`` from parsed options (raises ``SizingError`` naming a bad option)."""
    return SizingInputs(
        items=parse_count(args.items),
        item_bytes=parse_size(args.item_size),
        replicas=args.replicas,
        headroom=args.headroom,
        target_ops=args.ops,
        overhead_factor=args.overhead,
        reserved_memory_percent=args.reserved_memory_percent,
        families=tuple(args.family),
        max_shards=args.max_shards,
        ops_per_shard=args.ops_per_shard,
        global_datastore=args.global_datastore,
        hours_per_month=args.hours_per_month,
    )


def with_defaults(inputs: SizingInputs) -> SizingInputs:
    """The same workload (items, size, ops, Global Datastore) under the default assumptions."""
    return dataclasses.replace(
        DEFAULTS,
        items=inputs.items,
        item_bytes=inputs.item_bytes,
        target_ops=inputs.target_ops,
        global_datastore=inputs.global_datastore,
        hours_per_month=inputs.hours_per_month,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; exit status 0, or 2 on a bad option."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        inputs = inputs_from_args(args)
        rec = recommend(inputs)
        default_inputs = with_defaults(inputs)
        baseline: Recommendation | None = recommend(default_inputs) if default_inputs != inputs else None
    except SizingError as err:
        parser.error(str(err))
    if args.json:
        out = rec.to_dict()
        out["with_defaults"] = baseline.to_dict() if baseline else None
        print(json.dumps(out, indent=2))
    else:
        print(describe(rec))
        if baseline is not None:
            d = DEFAULTS
            print(
                f"\nWith the defaults (family {','.join(d.families)}, {d.replicas} replica(s) per shard, "
                f"{d.headroom * 100:g} % headroom, {d.reserved_memory_percent:g} % reserved memory, "
                f"x{d.overhead_factor:g} overhead, at most {d.max_shards} shards):"
            )
            print(describe(baseline))
    return 0


if __name__ == "__main__":
    sys.exit(main())
