#!/usr/bin/env python3
"""Time-to-ready of large emulated clusters beside ``redis-cli --cluster create`` of the same size, in one run.

For each size (default 90, 200 and 500 nodes = shards x 1 replica, ElastiCache's per-cluster maximum is 500):

1. ``elasticache_local up`` of a plain cluster-mode template (returns when every node reports
   ``cluster_state:ok`` with the planned slots and every replica is in sync), then the memory of its nodes
   (PSS and private anonymous memory per node, from ``/proc/<pid>/smaps_rollup``), then ``down``;
2. ``redis-cli --cluster create`` on the same number of fresh nodes with the same ``cluster-node-timeout`` and
   ``hz`` the emulator picks for that size (at hz 10 an idle 500-node cluster alone takes both cores), timed
   until it returns and until every node reports ``cluster_state:ok``
   (bounded by ``--cli-timeout``; a run that does not finish is printed as such).

Targets (issue 9): 500 nodes <= 30 s and >= 5x faster than redis-cli. Heavy: a 500-node cluster uses the whole
machine for a minute or more; run it alone.

    .venv/bin/python benchmarks/cluster_scale_bench.py [--sizes 90,200,500] [--engine redis|valkey]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import redis  # noqa: E402

from elasticache_local import commands, configs, runtime  # noqa: E402
from elasticache_local.engines import BINARIES, binary_version  # noqa: E402

QUIET = lambda _line: None  # noqa: E731


def _assembly(directory: Path, shards: int, engine: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    template = {"Resources": {"Big": {"Type": "AWS::ElastiCache::ReplicationGroup", "Properties": {
        "ReplicationGroupDescription": "scale bench", "Engine": engine, "CacheNodeType": "cache.t4g.micro",
        "NumNodeGroups": shards, "ReplicasPerNodeGroup": 1, "ClusterMode": "enabled",
    }}}}
    (directory / "Big.template.json").write_text(json.dumps(template))
    (directory / "manifest.json").write_text(json.dumps({"version": "48.0.0", "artifacts": {"Big": {
        "type": "aws:cloudformation:stack", "properties": {"templateFile": "Big.template.json"}}}}))
    return directory


def _memory_mib(pids: list[int]) -> tuple[float, float]:
    """(mean PSS, mean private anonymous) MiB per process."""
    pss = anon = 0
    for pid in pids:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                pss += int(line.split()[1])
            elif line.startswith("Anonymous:"):
                anon += int(line.split()[1])
    return pss / len(pids) / 1024, anon / len(pids) / 1024


def _emulator(work: Path, shards: int, engine: str) -> tuple[float, float, float]:
    asm = _assembly(work / "asm", shards, engine)
    state_dir = work / "state"
    t0 = time.perf_counter()
    try:
        state = commands.up(commands.UpOptions(assembly=asm, state_dir=state_dir, outputs_file=work / "o.json"),
                            log=QUIET)
        elapsed = time.perf_counter() - t0
        pss, anon = _memory_mib([p.pid for p in state.procs if p.kind == "redis"])
        return elapsed, pss, anon
    finally:
        commands.down(state_dir, log=QUIET)


def _redis_cli(work: Path, nodes: int, binary: str, timeout: float) -> tuple[float | None, float | None]:
    ports = runtime.allocate_ports(nodes * 2)
    pairs = list(zip(ports[::2], ports[1::2], strict=True))
    procs: list[subprocess.Popen[bytes]] = []
    node_timeout = configs.cluster_node_timeout_ms(nodes)
    t0 = time.perf_counter()
    try:
        for port, cport in pairs:
            d = work / f"cli-{port}"
            d.mkdir()
            procs.append(subprocess.Popen(
                [binary, "--port", str(port), "--cluster-port", str(cport), "--bind", "127.0.0.1",
                 "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout",
                 str(node_timeout), "--hz", str(configs.cluster_hz(nodes)), "--save", "", "--appendonly", "no",
                 "--dir", str(d),
                 "--logfile", str(d / "server.log")],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
            ))
        clients = [redis.Redis(port=p, socket_timeout=30, decode_responses=True) for p, _ in pairs]
        deadline = time.monotonic() + timeout
        for c in clients:
            while True:
                try:
                    c.ping()
                    break
                except redis.ConnectionError:
                    if time.monotonic() > deadline:
                        return None, None
                    time.sleep(0.01)
        try:
            subprocess.run(["redis-cli", "--cluster", "create", *[f"127.0.0.1:{p}" for p, _ in pairs],
                            "--cluster-replicas", "1", "--cluster-yes"], capture_output=True, check=True,
                           timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            return None, None
        returned = time.perf_counter() - t0
        while time.monotonic() < deadline:
            try:
                if all("cluster_state:ok" in c.execute_command("CLUSTER", "INFO") for c in clients):
                    return returned, time.perf_counter() - t0
            except redis.RedisError:
                pass
            time.sleep(0.2)
        return returned, None
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def _fmt(v: float | None) -> str:
    return f"{v:7.2f}s" if v is not None else " did not finish"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="90,200,500", help="node counts, even (default 90,200,500)")
    parser.add_argument("--engine", choices=sorted(BINARIES), default="redis", help="template engine (default redis)")
    parser.add_argument("--cli-timeout", type=float, default=300.0, help="give redis-cli up to this (default 300 s)")
    parser.add_argument("--no-redis-cli", action="store_true", help="only the emulator")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    if any(n < 6 or n % 2 for n in sizes):
        parser.error("--sizes: even node counts of at least 6 (shards x 1 replica)")
    binary = BINARIES[args.engine][0]
    print(f"machine: {os.cpu_count()} CPUs; {binary_version(binary)}; open files limit "
          f"{__import__('resource').getrlimit(__import__('resource').RLIMIT_NOFILE)[0]}")
    results = []
    with tempfile.TemporaryDirectory(prefix="scale-bench-") as tmp:
        for n in sizes:
            work = Path(tmp) / f"emu-{n}"
            work.mkdir()
            up, pss, anon = _emulator(work, n // 2, args.engine)
            line = (f"{n:4d} nodes ({n // 2} shards x 1 replica, cluster-node-timeout "
                    f"{configs.cluster_node_timeout_ms(n)} ms, hz {configs.cluster_hz(n)}): emulator up {_fmt(up)}; "
                    "memory per node "
                    f"PSS {pss:.1f} MiB, private {anon:.1f} MiB")
            print(line, flush=True)
            cli_usable = None
            if not args.no_redis_cli:
                cli_work = Path(tmp) / f"cli-{n}"
                cli_work.mkdir()
                returned, cli_usable = _redis_cli(cli_work, n, binary, args.cli_timeout)
                shutil.rmtree(cli_work, ignore_errors=True)
                ratio = f"{cli_usable / up:.1f}x" if cli_usable else f"> {args.cli_timeout / up:.1f}x"
                print(f"{'':4s}       redis-cli --cluster create: returned {_fmt(returned)}, cluster_state:ok on "
                      f"every node {_fmt(cli_usable)} -> emulator {ratio} faster", flush=True)
            results.append((n, up, cli_usable))
    big = [r for r in results if r[0] == 500]
    if big:
        n, up, cli = big[0]
        fast = cli is None or cli / up >= 5
        print(f"targets (500 nodes <= 30 s and >= 5x faster than redis-cli): "
              f"{'met' if up <= 30 and fast else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
