#!/usr/bin/env python3
"""Time-to-ready of the local emulator, beside ``redis-cli --cluster create`` on the same machine, in one run.

Measures (each repeated ``--runs`` times; median, min and max printed):

1. a 3-shard x 1-replica cluster through ``elasticache_local`` (plain, and with TLS + AUTH token);
2. the whole CDK app (every stack of ``cdk.out``; synthesized first when missing, synthesis not timed);
3. ``redis-cli --cluster create`` on 6 fresh nodes (``--cluster-replicas 1 --cluster-yes``): the time until
   ``redis-cli`` returns, and until the cluster is really usable (every node ``cluster_state:ok``, every replica's
   link up, a write accepted by every primary) - the same readiness ``up`` waits for before it returns;
4. optionally (``--failover``) the failover drills' recovery times (Sentinel group and cluster shard).

"Ready" for ``up`` = the call returned: processes listening, cluster formed with the template's slots, replicas
in sync, Sentinels monitoring, parameters applied, outputs file written. Targets (issue 5): <= 1 s for 3x1,
<= 3 s for the whole app. ``CLI`` figures add the Python start-up and imports of ``python scripts/local.py up``.

    .venv/bin/python benchmarks/local_bench.py [--runs 5] [--assembly cdk.out] [--failover]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import redis  # noqa: E402

from elasticache_local import commands, runtime  # noqa: E402
from elasticache_local.assembly import synthesize  # noqa: E402
from elasticache_local.failover import drill  # noqa: E402

TEMPLATES = ROOT / "tests" / "emulator" / "templates"
QUIET: Callable[[str], None] = lambda _line: None  # noqa: E731


def _plain_cluster_assembly(directory: Path) -> Path:
    """A 3 shards x 1 replica cluster without TLS/AUTH: the same shape ``redis-cli --cluster create`` builds."""
    directory.mkdir(parents=True, exist_ok=True)
    template = {"Resources": {"Bench": {"Type": "AWS::ElastiCache::ReplicationGroup", "Properties": {
        "ReplicationGroupDescription": "bench", "Engine": "redis", "CacheNodeType": "cache.r7g.large",
        "NumNodeGroups": 3, "ReplicasPerNodeGroup": 1, "CacheParameterGroupName": "default.redis7.cluster.on",
    }}}}
    (directory / "Bench.template.json").write_text(json.dumps(template))
    (directory / "manifest.json").write_text(json.dumps({"version": "48.0.0", "artifacts": {"Bench": {
        "type": "aws:cloudformation:stack", "properties": {"templateFile": "Bench.template.json"}}}}))
    return directory


def _time_up(assembly: Path, work: Path) -> float:
    state_dir = work / "state"
    t0 = time.perf_counter()
    commands.up(commands.UpOptions(assembly=assembly, state_dir=state_dir, outputs_file=work / "out.json"), log=QUIET)
    elapsed = time.perf_counter() - t0
    commands.down(state_dir, log=QUIET)
    return elapsed


def _time_cli_up(assembly: Path, work: Path) -> float:
    state_dir = work / "state-cli"
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "local.py"), "up", "--assembly", str(assembly), "--state-dir",
         str(state_dir), "--outputs-file", str(work / "cli.json")], capture_output=True, text=True, check=False,
    )
    elapsed = time.perf_counter() - t0
    commands.down(state_dir, log=QUIET)
    if proc.returncode != 0:
        raise SystemExit(f"up failed: {proc.stderr}")
    return elapsed


def _cli_ports(count: int) -> list[int]:
    """Free ports whose default cluster bus port (port + 10000) is free and valid too."""
    ports: list[int] = []
    while len(ports) < count:
        for port in runtime.allocate_ports(count * 4):
            if port + 10000 <= 65535 and port not in ports and port + 10000 not in ports:
                with socket.socket() as s:
                    if s.connect_ex(("127.0.0.1", port + 10000)) != 0:
                        ports.append(port)
            if len(ports) == count:
                break
    return ports


def _redis_cli_create(work: Path) -> tuple[float, float]:
    """(redis-cli returned, cluster usable) seconds from spawning 6 fresh nodes."""
    ports = _cli_ports(6)
    procs: list[subprocess.Popen[bytes]] = []
    t0 = time.perf_counter()
    try:
        for port in ports:
            d = work / f"cli-{port}"
            d.mkdir()
            procs.append(subprocess.Popen(
                ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--cluster-enabled", "yes",
                 "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "1000", "--save", "",
                 "--appendonly", "no", "--repl-diskless-sync-delay", "0", "--dir", str(d),
                 "--logfile", str(d / "server.log")],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
            ))
        clients = [redis.Redis(port=p, socket_timeout=2, decode_responses=True) for p in ports]
        deadline = time.monotonic() + 30
        for c in clients:
            while time.monotonic() < deadline:
                try:
                    c.ping()
                    break
                except redis.ConnectionError:
                    time.sleep(0.002)
        subprocess.run(["redis-cli", "--cluster", "create", *[f"127.0.0.1:{p}" for p in ports],
                        "--cluster-replicas", "1", "--cluster-yes"], capture_output=True, check=True)
        returned = time.perf_counter() - t0
        while True:
            try:
                states = [c.execute_command("CLUSTER", "INFO") for c in clients]
                infos = [c.info("replication") for c in clients]
                ok = all("cluster_state:ok" in s for s in states) and all(
                    i["role"] == "master" or i.get("master_link_status") == "up" for i in infos
                )
                if ok:
                    rc = redis.RedisCluster(host="127.0.0.1", port=ports[0])
                    try:
                        for key in ("a", "b", "c"):  # slots 15495, 3300, 7365: one key per shard
                            rc.set(key, "1")
                    finally:
                        rc.close()
                    break
            except redis.RedisError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("redis-cli --cluster create: the cluster did not become usable within 30 s")
            time.sleep(0.005)
        return returned, time.perf_counter() - t0
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait()


def _stats(values: list[float]) -> str:
    return (f"median {statistics.median(values):6.3f}s  min {min(values):6.3f}s  max {max(values):6.3f}s  "
            f"(n={len(values)})")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="repetitions per measurement (default 5)")
    parser.add_argument("--assembly", type=Path, default=ROOT / "cdk.out",
                        help="the app's cloud assembly (synthesized into a temp dir when missing)")
    parser.add_argument("--failover", action="store_true", help="also run the failover drills")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "1")
    with tempfile.TemporaryDirectory(prefix="local-bench-") as tmp:
        work = Path(tmp)
        plain = _plain_cluster_assembly(work / "plain-asm")
        assembly = args.assembly
        if not (assembly / "manifest.json").is_file():
            assembly = work / "cdk.out"
            print(f"synthesizing the app into {assembly} (not timed) ...", flush=True)
            synthesize(ROOT, assembly)
        print(f"machine: {os.cpu_count()} CPUs; {commands.binary_version('redis-server')}; runs per figure: "
              f"{args.runs}\n")
        rows: list[tuple[str, list[float]]] = []
        measurements: list[tuple[str, Callable[[Path], float]]] = [
            ("emulator up: 3 shards x 1 replica (plain)", lambda w: _time_up(plain, w)),
            ("emulator up: 3 shards x 1 replica (TLS + AUTH)", lambda w: _time_up(TEMPLATES / "cluster3", w)),
            ("emulator up: whole app", lambda w: _time_up(assembly, w)),
            ("CLI `local.py up`: 3x1 plain (incl. Python start-up)", lambda w: _time_cli_up(plain, w)),
            ("CLI `local.py up`: whole app (incl. Python start-up)", lambda w: _time_cli_up(assembly, w)),
        ]
        for label, fn in measurements:
            values = []
            for i in range(args.runs):
                run_dir = work / f"{len(rows)}-{i}"
                run_dir.mkdir()
                values.append(fn(run_dir))
            rows.append((label, values))
            print(f"{label:<58} {_stats(values)}", flush=True)
        returned, usable = [], []
        for i in range(args.runs):
            run_dir = work / f"cli-create-{i}"
            run_dir.mkdir()
            r, u = _redis_cli_create(run_dir)
            returned.append(r)
            usable.append(u)
        print(f"{'redis-cli --cluster create 3x1: redis-cli returned':<58} {_stats(returned)}")
        print(f"{'redis-cli --cluster create 3x1: cluster usable':<58} {_stats(usable)}")
        ratio = statistics.median(usable) / statistics.median(rows[0][1])
        print(f"\n3x1 plain: emulator is {ratio:.1f}x faster than redis-cli --cluster create (until usable)")
        print("targets: 3x1 <= 1 s, whole app <= 3 s -> "
              f"{'met' if statistics.median(rows[1][1]) <= 1 and statistics.median(rows[2][1]) <= 3 else 'NOT met'}")

        if args.failover:
            print("\nfailover drills (kill -> first successful write; lost = WAIT-acknowledged writes missing):")
            for name, group in (("sentinel", "Sessions"), ("cluster", "Board")):
                template = "sentinel" if name == "sentinel" else "cluster3"
                state_dir = work / f"drill-{name}"
                commands.up(commands.UpOptions(assembly=TEMPLATES / template, state_dir=state_dir,
                                               outputs_file=work / f"drill-{name}.json"), log=QUIET)
                try:
                    for i in range(args.runs):
                        res = drill(state_dir, group, shard=1 + i % 3, warmup=0.3, log=QUIET)
                        rec = f"{res.recovery_seconds:.2f}s" if res.recovery_seconds is not None else "none"
                        print(f"  {name:<9} run {i + 1}: recovery {rec}, acknowledged {res.acknowledged}, "
                              f"lost {res.lost}", flush=True)
                finally:
                    commands.down(state_dir, log=QUIET)
    if shutil.which("redis-server") is None:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
