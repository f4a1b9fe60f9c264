"""Starting a deployment's processes and bringing each group up: cluster bootstrap, syncs, Sentinels, hz."""

from __future__ import annotations

import functools
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import redis

from . import cluster, configs, interrupts, runtime, spawner
from . import state as st
from .clients import pairs, raw
from .model import Plan, RedisPlan
from .runtime import Proc

Key = tuple[str, str]


def start_and_bring_up(
    plan: Plan, state: st.State, every: list[Proc], shards_of: dict[Key, list[list[Proc]]],
    sentinels_of: dict[Key, list[Proc]], ghosts_of: dict[Key, list[str]], clients: dict[str, redis.Redis],
) -> None:
    """Spawn every process (servers, then Sentinels), then bring every group up in parallel; record timings."""
    timings = state.timings
    t0 = time.perf_counter()
    # Servers (and the endpoint proxies, slow to start as Python processes) first, Sentinels once the servers
    # listen: a Sentinel whose first connection is refused waits a full second before trying again.
    for phase in ("servers", "sentinels"):
        batch = [p for p in every if (p.kind == "sentinel") == (phase == "sentinels")]

        def started(proc: Proc) -> None:
            state.procs.append(proc)
            st.record_started(Path(state.state_dir), proc)

        children = spawner.spawn_gated(batch, started)
        interrupts.checkpoint(f"{phase}-spawned", Path(state.state_dir))
        # A port taken by another program is a PortRaceError (``up`` retries on new ports).
        runtime.wait_listening(children, timeout=10.0 + 0.05 * len(children))  # 500 nodes: 35 s
        timings[f"{phase} listening"] = time.perf_counter() - t0
        if phase == "servers":
            interrupts.checkpoint("servers-listening", Path(state.state_dir))

    with ThreadPoolExecutor(max_workers=max(1, len(plan.redis))) as pool:
        futures = []
        for rp in plan.redis:
            futures.append(pool.submit(
                bring_up_group, rp, shards_of[rp.key], ghosts_of.get(rp.key, []), sentinels_of.get(rp.key, []),
                clients,
            ))
        try:
            for rp, f in zip(plan.redis, futures, strict=True):
                timings[f"ready {rp.stack}/{rp.logical_id}"] = f.result() - t0
        except BaseException:
            interrupts.CANCELLED.set()  # the other groups' workers stop waiting, so the pool can close now
            raise


def bring_up_group(
    rp: RedisPlan, groups: list[list[Proc]], ghosts: list[str], sentinels: list[Proc], clients: dict[str, redis.Redis]
) -> float:
    """Finish one group: cluster bootstrap, parameters, initial syncs, Sentinel monitoring; return the end time."""
    nodes = [n for g in groups for n in g]
    if rp.cluster_mode:
        cluster.bootstrap(rp.shards, groups, ghosts, clients, timeout=15.0 + 0.1 * rp.node_count)
    replicas = [n for g in groups for n in g[1:]]

    def synced(c: redis.Redis) -> bool:
        return str(c.info("replication").get("master_link_status")) == "up"

    if rp.global_secondary:
        # Chained replication: a sub-replica attached before its head has synced from the primary group would
        # be dropped by the head's resync and reconnect only on the next replication cron (1 s later).
        head = groups[0][0]
        cluster.wait_until(f"{head.name} to finish its initial sync", functools.partial(synced, clients[head.name]), 15)
        for node in replicas:
            clients[node.name].execute_command("REPLICAOF", runtime.LOOPBACK, head.port)
    for node in replicas:
        cluster.wait_until(f"{node.name} to finish its initial sync", functools.partial(synced, clients[node.name]), 15)
    if sentinels:
        name = configs.sentinel_master_name(rp)
        want = {r.port for r in groups[0][1:]}

        def sentinel_ready(s: Proc) -> bool:
            c = clients[s.name]
            master = pairs(raw(c, "SENTINEL", "MASTER", name))
            if master.get("flags") != "master" or int(master.get("num-other-sentinels", 0)) != len(sentinels) - 1:
                return False
            # A global datastore secondary shows up as one more replica (replica-priority 0: never promoted).
            reps = [pairs(r) for r in raw(c, "SENTINEL", "REPLICAS", name)]
            return want <= {int(r["port"]) for r in reps if r.get("flags") == "slave"}

        for s in sentinels:
            cluster.wait_until(f"{s.name} to monitor {name}", functools.partial(sentinel_ready, s), 15.0)
    for node in nodes:  # the start-up cron frequency is not needed any more
        clients[node.name].execute_command("CONFIG", "SET", "hz", str(configs.server_hz(rp, booting=False)))
    apply_runtime_parameters(rp, nodes, clients)
    return time.perf_counter()


def apply_runtime_parameters(rp: RedisPlan, nodes: list[Proc], clients: dict[str, redis.Redis]) -> None:
    """CONFIG SET every parameter-group setting; the ones Redis refuses are recorded as skipped."""
    runtime_params = {k: v for k, v in rp.parameters.items() if k.lower() not in
                      {"databases"} and k not in rp.skipped_parameters}
    if not runtime_params:
        return
    first = True
    for node in nodes:
        pipe = clients[node.name].pipeline(transaction=False)
        names = list(runtime_params)
        for name in names:
            pipe.execute_command("CONFIG", "SET", name, runtime_params[name])
        results = pipe.execute(raise_on_error=False)
        for name, result in zip(names, results, strict=True):
            if isinstance(result, Exception) and first:
                rp.skipped_parameters[name] = f"refused by {node.name}: {result}"
        if first:
            for name in list(runtime_params):
                if name in rp.skipped_parameters:
                    del runtime_params[name]
                    rp.parameters.pop(name, None)
        first = False
