#!/usr/bin/env python3
"""Online resharding 3 -> 6 shards holding N keys (default 1,000,000) under a steady probe load, in one run:

1. the emulator's reconciling ``up``: a 3-shard cluster-mode group (no replicas, no TLS) is loaded, then ``up`` of
   the same template with ``NumNodeGroups: 6`` (three new shards, slots migrated to the even split) runs inside
   ``--probe``'s client (``elasticache_local.probe.probing``);
2. ``redis-cli --cluster rebalance --cluster-use-empty-masters`` on identical data and topology: a plain
   redis-server cluster of 3 masters (``redis-cli --cluster create``) loaded with the same keys, 3 empty masters
   added with ``redis-cli --cluster add-node``, then the rebalance, under the same probe client.

Prints both times (the resharding step only, not the load), the ratio (target emulator <= 1.0x redis-cli), the
probe's failed operations / longest stall / acknowledged writes lost, and keys lost (DBSIZE of every master before
and after). Heavy (a few hundred MiB, both cores for a while): run it alone, at most a few times.

    .venv/bin/python benchmarks/reshard_bench.py [--keys 1000000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import redis  # noqa: E402
from redis.backoff import ExponentialBackoff  # noqa: E402
from redis.crc import key_slot  # noqa: E402
from redis.retry import Retry  # noqa: E402

from elasticache_local import commands, probe, runtime  # noqa: E402
from elasticache_local import state as st  # noqa: E402
from elasticache_local.clients import node_client  # noqa: E402
from elasticache_local.engines import BINARIES, binary_version  # noqa: E402

QUIET = lambda _line: None  # noqa: E731
#: 209 GiB -> 209 MiB per shard: room for a third of a million small keys and the migration buffers.
NODE_TYPE = "cache.r7g.8xlarge"
BATCH = 5000


def _assembly(directory: Path, shards: int) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    template = {"Resources": {"Big": {"Type": "AWS::ElastiCache::ReplicationGroup", "Properties": {
        "ReplicationGroupDescription": "reshard bench", "Engine": "redis", "CacheNodeType": NODE_TYPE,
        "NumNodeGroups": shards, "ReplicasPerNodeGroup": 0, "ClusterMode": "enabled",
    }}}}
    (directory / "Big.template.json").write_text(json.dumps(template))
    (directory / "manifest.json").write_text(json.dumps({"version": "48.0.0", "artifacts": {"Big": {
        "type": "aws:cloudformation:stack", "properties": {"templateFile": "Big.template.json"}}}}))
    return directory


def _load(nodes: dict[int, redis.Redis], keys: int) -> None:
    """``keys`` small string keys, pipelined straight to the node owning each key's slot."""
    owner: dict[int, int] = {}
    any_node = next(iter(nodes.values()))
    for start, end, primary, *_ in any_node.execute_command("CLUSTER", "SLOTS"):
        for s in range(int(start), int(end) + 1):
            owner[s] = int(primary[1])
    pipes = {port: c.pipeline(transaction=False) for port, c in nodes.items()}
    pending = 0
    for i in range(keys):
        k = f"key:{i}"
        pipes[owner[key_slot(k.encode())]].set(k, f"v{i}")
        pending += 1
        if pending == BATCH:
            for p in pipes.values():
                p.execute()
            pending = 0
    for p in pipes.values():
        p.execute()


def _dbsize(nodes: list[redis.Redis]) -> int:
    return sum(int(c.dbsize()) for c in nodes)


class _PlainProber(probe._Prober):
    """The ``--probe`` client loop on a plain redis-server cluster (no emulator state)."""

    def __init__(self, port: int) -> None:
        threading.Thread.__init__(self, name="probe-redis-cli", daemon=True)
        self.report = probe.ProbeReport(group="redis-cli cluster")
        self.client = redis.RedisCluster(host=runtime.LOOPBACK, port=port, decode_responses=True, socket_timeout=2,
                                         retry=Retry(ExponentialBackoff(cap=0.5, base=0.01), probe.RETRIES))
        self.stop = threading.Event()
        self.acked = {}
        self.attempted = {}


def _emulator(work: Path, keys: int) -> tuple[float, probe.ProbeReport, int, int]:
    state_dir = work / "state"
    up = lambda asm: commands.up(commands.UpOptions(  # noqa: E731
        assembly=asm, state_dir=state_dir, outputs_file=work / "o.json", snapshot_dir=work / "snap",
        seed_dir=work / "s3"), log=QUIET)
    try:
        state = up(_assembly(work / "three", 3))
        nodes = {p.port: node_client(p, state.admin_password, state.ca_file, timeout=60)
                 for p in state.procs if p.kind == "redis"}
        _load(nodes, keys)
        before = _dbsize(list(nodes.values()))
        (rp,) = probe.resolve(state, ["Big"])
        t0 = time.perf_counter()
        with probing_report(state, rp) as holder:
            up(_assembly(work / "six", 6))
        elapsed = time.perf_counter() - t0
        state2 = st.load(state_dir.resolve())
        assert state2 is not None
        after = _dbsize([node_client(p, state2.admin_password, state2.ca_file, timeout=60)
                         for p in state2.procs if p.kind == "redis"])
        return elapsed, holder[0], before, after
    finally:
        commands.down(state_dir, log=QUIET, final_snapshot=False)


class probing_report:
    """Run one emulator prober around the body; its report in the yielded list."""

    def __init__(self, state: st.State, rp: object) -> None:
        self.prober = probe._Prober(state, rp)  # type: ignore[arg-type]
        self.out: list[probe.ProbeReport] = []

    def __enter__(self) -> list[probe.ProbeReport]:
        self.prober.start()
        return self.out

    def __exit__(self, *_exc: object) -> None:
        self.out.append(self.prober.finish())


def _cli(args: list[str]) -> None:
    """One ``redis-cli --cluster`` command; its output in the error when it fails."""
    done = subprocess.run(["redis-cli", "--cluster", *args], capture_output=True, text=True, timeout=3600)
    if done.returncode != 0:
        raise RuntimeError(f"redis-cli --cluster {' '.join(args)}: {done.stdout[-2000:]}{done.stderr[-500:]}")


def _redis_cli(work: Path, keys: int, binary: str) -> tuple[float, probe.ProbeReport, int, int]:
    ports = runtime.allocate_ports(12)
    pairs = list(zip(ports[::2], ports[1::2], strict=True))
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for port, cport in pairs:
            d = work / f"cli-{port}"
            d.mkdir()
            procs.append(subprocess.Popen(
                [binary, "--port", str(port), "--cluster-port", str(cport), "--bind", "127.0.0.1",
                 "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "1000",
                 "--save", "", "--appendonly", "no", "--dir", str(d), "--logfile", str(d / "server.log")],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True))
        clients = {p: redis.Redis(port=p, socket_timeout=60, decode_responses=True) for p, _ in pairs}
        for c in clients.values():
            for _ in range(500):
                try:
                    c.ping()
                    break
                except redis.ConnectionError:
                    time.sleep(0.01)
        first = [f"127.0.0.1:{p}" for p, _ in pairs[:3]]
        _cli(["create", *first, "--cluster-yes"])
        for c in list(clients.values())[:3]:
            while "cluster_state:ok" not in c.execute_command("CLUSTER", "INFO"):
                time.sleep(0.1)
        _load({p: clients[p] for p, _ in pairs[:3]}, keys)
        for p, _ in pairs[3:]:
            _cli(["add-node", f"127.0.0.1:{p}", first[0]])
        # Gossip first: rebalance refuses while the nodes do not agree about the configuration (`check` says so).
        for _ in range(300):
            check = subprocess.run(["redis-cli", "--cluster", "check", first[0]], capture_output=True, text=True,
                                   timeout=60)
            if check.returncode == 0 and "agree" not in check.stdout:
                break
            time.sleep(0.2)
        before = _dbsize(list(clients.values()))
        prober = _PlainProber(pairs[0][0])
        t0 = time.perf_counter()
        prober.start()
        try:
            _cli(["rebalance", first[0], "--cluster-use-empty-masters"])
        finally:
            elapsed = time.perf_counter() - t0
            report = prober.finish()
        return elapsed, report, before, _dbsize(list(clients.values()))
    finally:
        for pr in procs:
            pr.terminate()
        for pr in procs:
            try:
                pr.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pr.kill()
                pr.wait()


def _line(name: str, elapsed: float, r: probe.ProbeReport, before: int, after: int) -> str:
    return (f"{name}: {elapsed:7.2f}s; {r.operations} probe operations, {r.failed} failed after retries, longest "
            f"stall {r.longest_stall_ms:.0f} ms, {r.lost_writes} acknowledged writes lost; keys {before} -> {after} "
            f"({before - after} lost)")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keys", type=int, default=1_000_000, help="keys loaded before resharding (default 1M)")
    parser.add_argument("--no-redis-cli", action="store_true", help="only the emulator")
    args = parser.parse_args(argv)
    if args.keys < 1:
        parser.error("--keys: a positive number of keys")
    binary = BINARIES["redis"][0]
    print(f"machine: {os.cpu_count()} CPUs; {binary_version(binary)}; {args.keys:,} keys, 3 -> 6 shards, 0 replicas")
    with tempfile.TemporaryDirectory(prefix="reshard-bench-") as tmp:
        (Path(tmp) / "emu").mkdir()
        emu = _emulator(Path(tmp) / "emu", args.keys)
        print(_line("emulator up (reconciling)        ", *emu), flush=True)
        if args.no_redis_cli:
            return 0
        (Path(tmp) / "cli").mkdir()
        cli = _redis_cli(Path(tmp) / "cli", args.keys, binary)
        print(_line("redis-cli --cluster rebalance    ", *cli), flush=True)
    ratio = emu[0] / cli[0]
    ok = ratio <= 1.0 and emu[1].failed == 0 and emu[2] == emu[3] and emu[1].lost_writes == 0
    print(f"emulator / redis-cli time: {ratio:.2f}x (target <= 1.0x, 0 failed operations, 0 keys lost): "
          f"{'met' if ok else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
