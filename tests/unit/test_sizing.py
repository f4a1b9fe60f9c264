"""The sizing command: the guide's two worked examples, the defaults, the selection rule, parsing and errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from elasticache_sizing import SizingError, SizingInputs, parse_count, parse_size, recommend
from elasticache_sizing.cli import main

ROOT = Path(__file__).resolve().parents[2]
#: The guide's assumptions: its naive arithmetic (no reserved memory, no growth headroom) and primaries only.
GUIDE: dict[str, Any] = {"replicas": 0, "headroom": 0.0, "reserved_memory_percent": 0.0}
FEED_ARGS = [
    "--items",
    "1Mx50",
    "--item-size",
    "1KB",
    "--family",
    "r5",
    "--replicas",
    "0",
    "--headroom",
    "0",
    "--reserved-memory-percent",
    "0",
]


def test_guide_feed_example() -> None:
    """1M users x 50 posts x 1 KB = 50 GB -> cache.r5.xlarge (26 GB) x 2 = 52 GB."""
    rec = recommend(SizingInputs(items=parse_count("1Mx50"), item_bytes=parse_size("1KB"), families=("r5",), **GUIDE))
    assert rec.data_bytes == 50 * 10**9 and rec.data_gb == 50.0
    assert rec.node_type == "cache.r5.xlarge" and rec.memory_gib == 26.32
    assert rec.shards == 2 and rec.replicas == 0 and rec.nodes == 2
    assert rec.capacity_gib == pytest.approx(52.64)
    assert rec.node_hours_per_month == 1460
    assert rec.cluster_mode and rec.construct == "ShardedReplicationGroup" and not rec.exceeds_max_shards


def test_guide_rate_limiter_example() -> None:
    """100K keys x 100 members x 28 B = 280 MB -> cache.m5.large (6.4 GB) is sufficient."""
    rec = recommend(
        SizingInputs(
            items=parse_count("100Kx100"), item_bytes=parse_size("28B"), families=("m5",), target_ops=10_000, **GUIDE
        )
    )
    assert rec.data_bytes == 280 * 10**6
    assert rec.node_type == "cache.m5.large" and round(rec.memory_gib, 1) == 6.4
    assert rec.shards == 1 and rec.nodes == 1 and rec.node_hours_per_month == 730
    assert rec.construct == "ReplicationGroup" and rec.fill < 0.05


def test_defaults_recommend_production_topologies() -> None:
    """Same workloads with the defaults: r7g, 1 replica, 25 % headroom, 25 % reserved memory, <= 3 shards."""
    feed = recommend(SizingInputs(items=50_000_000, item_bytes=1000))
    assert (feed.node_type, feed.shards, feed.replicas, feed.nodes) == ("cache.r7g.xlarge", 3, 1, 6)
    assert feed.required_gib == pytest.approx(50e9 * 1.25 / 2**30)
    assert feed.usable_gib_per_node == pytest.approx(26.32 * 0.75)
    assert feed.node_hours_per_month == 4380
    limiter = recommend(SizingInputs(items=10_000_000, item_bytes=28))
    assert (limiter.node_type, limiter.shards, limiter.nodes, limiter.node_hours_per_month) == (
        "cache.r7g.large",
        1,
        2,
        1460,
    )


@pytest.mark.parametrize(
    ("max_shards", "node_type", "shards"),
    [
        (1, "cache.r5.2xlarge", 1),  # fewest shards
        (2, "cache.r5.xlarge", 2),  # the guide's answer
        (3, "cache.r5.xlarge", 2),
        (4, "cache.r5.large", 4),  # smallest nodes once 4 shards are allowed
    ],
)
def test_smallest_node_type_within_max_shards(max_shards: int, node_type: str, shards: int) -> None:
    rec = recommend(SizingInputs(items=50_000_000, item_bytes=1000, families=("r5",), max_shards=max_shards, **GUIDE))
    assert (rec.node_type, rec.shards) == (node_type, shards)


def test_throughput_adds_shards() -> None:
    rec = recommend(SizingInputs(items=1000, item_bytes=100, families=("r7g",), target_ops=450_000))
    assert rec.shards_for_throughput == 5 and rec.shards == 5 and rec.node_type == "cache.r7g.large"
    assert rec.exceeds_max_shards


def test_when_nothing_fits_the_largest_node_type_is_used() -> None:
    rec = recommend(SizingInputs(items=2000, item_bytes=1e9, families=("m5",), **GUIDE))
    assert rec.node_type == "cache.m5.24xlarge" and rec.exceeds_max_shards
    assert rec.shards == pytest.approx(2e12 / 2**30 / 314.32, abs=1)


def test_memory_overhead_and_global_datastore_filter() -> None:
    plain = recommend(SizingInputs(items=10_000_000, item_bytes=100, families=("all",), **GUIDE))
    assert plain.node_type == "cache.t3.micro"
    gds = recommend(SizingInputs(items=10_000_000, item_bytes=100, families=("all",), global_datastore=True, **GUIDE))
    # Global Datastore families today: M5, M6g, M7g, R5, R6g, R6gd, R7g and C7gn, large and up (c7gn.large is smallest)
    assert gds.node_type in ("cache.c7gn.large", "cache.m5.large", "cache.m6g.large", "cache.m7g.large")
    light = recommend(SizingInputs(items=10_000_000, item_bytes=100, families=("t4g",), **GUIDE))
    assert (light.node_type, light.shards) == ("cache.t4g.micro", 2)
    heavy = recommend(SizingInputs(items=10_000_000, item_bytes=100, overhead_factor=3.0, families=("t4g",), **GUIDE))
    assert heavy.required_gib == pytest.approx(3e9 / 2**30)
    assert (heavy.node_type, heavy.shards) == ("cache.t4g.small", 3)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("28", 28),
        ("28B", 28),
        ("1KB", 1000),
        ("1kb", 1000),
        ("1KiB", 1024),
        ("1.5MB", 1_500_000),
        ("2GiB", 2 * 2**30),
    ],
)
def test_parse_size(text: str, expected: float) -> None:
    assert parse_size(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("50000000", 50_000_000),
        ("100K", 100_000),
        ("1M", 10**6),
        ("1e6", 10**6),
        ("1Mx50", 50_000_000),
        ("1M * 50", 50_000_000),
        ("100Kx100", 10_000_000),
    ],
)
def test_parse_count(text: str, expected: int) -> None:
    assert parse_count(text) == expected


INVALID: list[tuple[str, Any, str]] = [
    ("size word", lambda: parse_size("big"), r"--item-size: got 'big'; a size such as 28, 28B, 1KB"),
    ("size unit", lambda: parse_size("3 parsecs"), r"--item-size: got '3 parsecs'"),
    ("size zero", lambda: parse_size("0KB"), r"--item-size: got '0KB'; must be greater than 0"),
    ("count word", lambda: parse_count("lots"), r"--items: got 'lots'; a count such as 50000000, 100K, 1M"),
    ("count fraction", lambda: parse_count("1.5"), r"--items: got '1.5'; must be a whole number of at least 1"),
    ("count zero", lambda: parse_count("0x5"), r"--items: got '0x5'; must be a whole number of at least 1"),
    (
        "replicas",
        lambda: recommend(SizingInputs(items=1, item_bytes=1, replicas=6)),
        r"--replicas: got 6; must be a whole number from 0 to 5",
    ),
    (
        "headroom",
        lambda: recommend(SizingInputs(items=1, item_bytes=1, headroom=-0.1)),
        r"--headroom: got -0.1; must be a fraction from 0 to 10",
    ),
    ("ops", lambda: recommend(SizingInputs(items=1, item_bytes=1, target_ops=-1)), r"--ops: got -1"),
    (
        "overhead",
        lambda: recommend(SizingInputs(items=1, item_bytes=1, overhead_factor=0.5)),
        r"--overhead: got 0.5; must be 1.0 or more",
    ),
    (
        "reserved",
        lambda: recommend(SizingInputs(items=1, item_bytes=1, reserved_memory_percent=100)),
        r"--reserved-memory-percent: got 100; must be from 0 to 99",
    ),
    (
        "max shards",
        lambda: recommend(SizingInputs(items=1, item_bytes=1, max_shards=0)),
        r"--max-shards: got 0; must be a whole number from 1 to 500",
    ),
    (
        "ops per shard",
        lambda: recommend(SizingInputs(items=1, item_bytes=1, ops_per_shard=0)),
        r"--ops-per-shard: got 0; must be greater than 0",
    ),
    (
        "family",
        lambda: recommend(SizingInputs(items=1, item_bytes=1, families=("r9x",))),
        r"--family: got 'r9x'; allowed: all, c7gn, m5",
    ),
    (
        "family without GDS",
        lambda: recommend(SizingInputs(items=1, item_bytes=1, families=("t4g",), global_datastore=True)),
        r"--family: got 't4g'; no cataloged node type of these families supports Global Datastore",
    ),
    (
        "too many nodes",
        lambda: recommend(SizingInputs(items=10**6, item_bytes=10**7, families=("t4g",), replicas=5)),
        r"--items: got 1000000; needs \d+ shards x 6 nodes = \d+ nodes of cache.t4g.medium; one cluster holds at most 500",
    ),
]


@pytest.mark.parametrize(("case", "build", "message"), INVALID, ids=[c[0] for c in INVALID])
def test_invalid_inputs(case: str, build: Any, message: str) -> None:
    with pytest.raises(SizingError, match=message):
        build()


def test_cli_json_reproduces_the_feed_example_and_shows_the_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*FEED_ARGS, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["node_type"], out["shards"], out["replicas_per_shard"], out["nodes"]) == ("cache.r5.xlarge", 2, 0, 2)
    assert (
        out["node_hours_per_month"] == 1460 and out["data_gb"] == 50.0 and out["construct"] == "ShardedReplicationGroup"
    )
    assert out["with_defaults"]["node_type"] == "cache.r7g.xlarge" and out["with_defaults"]["nodes"] == 6
    assert {a["node_type"] for a in out["alternatives"]} >= {"cache.r5.large", "cache.r5.2xlarge"}


def test_cli_text_with_default_assumptions_has_no_comparison(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--items", "100K", "--item-size", "1KiB"]) == 0
    out = capsys.readouterr().out
    assert "Node type:     cache.r7g.large" in out and "Node-hours:    1,460 per month" in out
    assert "With the defaults" not in out


def test_cli_bad_option_exits_2_naming_it(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--items", "1M", "--item-size", "1KB", "--family", "r9x"])
    assert exit_.value.code == 2
    assert "--family: got 'r9x'; allowed: all" in capsys.readouterr().err


def test_command_runs_as_a_script() -> None:
    """The launcher works from any directory (its own sys.path set-up)."""
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "sizing.py"),
            "--items",
            "100Kx100",
            "--item-size",
            "28B",
            "--family",
            "m5",
            "--replicas",
            "0",
            "--headroom",
            "0",
            "--reserved-memory-percent",
            "0",
        ],
        capture_output=True,
        text=True,
        cwd="/",
        check=True,
        timeout=120,
    )
    assert "Node type:     cache.m5.large (6.38 GiB" in done.stdout
    assert "Data:          10,000,000 items x 28 B = 0.28 GB" in done.stdout
    assert "With the defaults" in done.stdout
