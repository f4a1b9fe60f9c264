"""``up``, ``status`` and ``down``."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import secrets
import shutil
import socket
import ssl
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis

from . import bringup, cluster, configs, fronts, interrupts, runtime
from . import state as st
from .assembly import synthesize
from .clients import node_client, pairs, parse_cluster_nodes, raw
from .configs import Env
from .engines import binary_version, server_argv
from .errors import EmulatorError
from .model import MemcachedPlan, Plan, RedisPlan
from .planner import LOOPBACK, World
from .runtime import Proc
from .secrets_store import token_from_secret_string
from .tlsgen import TlsFiles
from .tlsgen import generate as generate_tls

Log = Callable[[str], None]
CONTRACT_SUFFIX = "EndpointAddress"


@dataclass
class UpOptions:
    """Options of ``up``."""

    assembly: Path = Path("cdk.out")
    state_dir: Path = Path(st.DEFAULT_STATE_DIR)
    outputs_file: Path = Path(st.DEFAULT_OUTPUTS_FILE)
    synth: bool = False
    synth_with_npx: bool = False
    app_dir: Path = Path(".")
    stacks: list[str] = field(default_factory=list)
    parameters: dict[str, dict[str, str]] = field(default_factory=dict)
    #: Apply changes that replace a resource (its data is lost); without it such an ``up`` exits 3.
    allow_replacement: bool = False
    #: Where snapshots live (outside the state dir) and where ``arn:aws:s3:::bucket/key`` seed files are looked up.
    snapshot_dir: Path = Path(".local-elasticache-snapshots")
    seed_dir: Path = Path(".local-elasticache-s3")
    #: Running groups a background client reads and writes while the change applies (``--probe``; default none).
    probe: list[str] = field(default_factory=list)
    #: Where the probe reports go as JSON (``--probe-json``; default: printed only).
    probe_json: Path | None = None


# ------------------------------------------------------------------------------------------------ up
def up(opts: UpOptions, log: Log = print) -> st.State:
    """Start every emulated resource of the assembly; return the recorded state."""
    state_dir = opts.state_dir.resolve()
    existed = state_dir.exists()
    try:
        return _up(opts, state_dir, log)
    except BaseException:
        # Nothing left behind: a state dir this call created and that holds only the lock file goes too.
        if not existed and state_dir.is_dir() and all(c.name == st.LOCK_FILE for c in state_dir.iterdir()):
            st.remove_state_dir(state_dir)
        raise


def _up(opts: UpOptions, state_dir: Path, log: Log) -> st.State:
    """Reconcile: observe what runs from ``state_dir``, load the assembly, diff, apply (creating = from nothing)."""
    from .reconcile.apply import reconcile

    with st.locked(state_dir), interrupts.interruptible():
        if not (state_dir / st.STATE_FILE).is_file():
            _refuse_or_clean_previous(state_dir, log)  # a killed `up`'s journaled processes
        if opts.synth:
            log(f"synthesizing {opts.app_dir} into {opts.assembly} ...")
            synthesize(opts.app_dir.resolve(), opts.assembly.resolve(), use_npx=opts.synth_with_npx)
        fresh = st.load(state_dir) is None
        result = reconcile(opts, state_dir, log)
        state = result.state
        if fresh or any(c.action == "create" for c in result.changes) or not result.changes:
            _print_up(Plan(redis=state.redis, memcached=state.memcached, skipped=state.skipped), state, log)
        else:
            log(f"up: {len(result.changes)} resource change(s) applied in {state.ready_seconds:.2f}s")
        return state


def _refuse_or_clean_previous(state_dir: Path, log: Log) -> None:
    """Refuse when processes of an earlier ``up`` (finished, or killed mid-way) still run; else clean up."""
    previous = st.load(state_dir)
    live = previous.live_procs() if previous else [p for p in st.journaled(state_dir) if runtime.is_ours(p)]
    if live:
        what = (f"{len(live)} processes started {time.strftime('%H:%M:%S', time.localtime(previous.created))} "
                f"(outputs {previous.outputs_file})") if previous else (
                f"{len(live)} processes of an interrupted `up` (recorded in {st.JOURNAL_FILE})")
        raise EmulatorError(f"already running from {state_dir}: {what}; run `down` first (or use another --state-dir)")
    if previous is not None or st.journaled(state_dir):
        log(f"note: stale state in {state_dir} (no process alive); cleaning it up")
        clean_dir(state_dir)


def stop_started(state: st.State, log: Log) -> None:
    """Stop every process this ``up`` started (by PID); keep the journal when one would not stop."""
    problems = runtime.stop(state.procs)
    for p in problems:
        log(f"cleanup: {p}")
    if not problems:
        clean_dir(Path(state.state_dir))


def clean_dir(state_dir: Path) -> None:
    """Remove everything in ``state_dir`` except the lock file."""
    if not state_dir.is_dir():
        return
    for child in state_dir.iterdir():
        if child.name == st.LOCK_FILE:
            continue
        if child.is_dir():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)


def _node_dir(state: st.State, stack: str, logical: str, name: str) -> str:
    return str(Path(state.state_dir) / stack / logical / name)


Key = tuple[str, str]


def _layout(plan: Plan, state: st.State) -> tuple[dict[Key, list[list[Proc]]], dict[Key, list[Proc]]]:
    """Create the Proc records (without ports) of every planned resource."""
    shards_of: dict[tuple[str, str], list[list[Proc]]] = {}
    sentinels_of: dict[tuple[str, str], list[Proc]] = {}
    for rp in plan.redis:
        tls = rp.tls != "off"
        groups: list[list[Proc]] = []
        for shard in rp.shards:
            nodes = []
            for i in range(1 + shard.replicas):
                name = (f"{rp.group_id}-{shard.index + 1:04d}-{i + 1:03d}" if rp.cluster_mode
                        else f"{rp.group_id}-{i + 1:03d}")
                nodes.append(Proc(
                    kind="redis", stack=rp.stack, resource=rp.logical_id, group=rp.group_id, name=name, port=0,
                    dir=_node_dir(state, rp.stack, rp.logical_id, name), shard=shard.index if rp.cluster_mode else None,
                    role="primary" if i == 0 else "replica", slots=shard.slots_text if rp.cluster_mode else "",
                    tls=tls, node_id=cluster.new_node_id() if rp.cluster_mode else None,
                ))
            groups.append(nodes)
        shards_of[rp.key] = groups
        if rp.uses_sentinel:
            sentinels_of[rp.key] = [
                Proc(kind="sentinel", stack=rp.stack, resource=rp.logical_id, group=rp.group_id,
                     name=f"{rp.group_id}-sentinel-{i + 1}", port=0,
                     dir=_node_dir(state, rp.stack, rp.logical_id, f"sentinel-{i + 1}"), role="sentinel", tls=tls,
                     node_id=secrets.token_hex(20))
                for i in range(configs.SENTINELS_PER_GROUP)
            ]
    return shards_of, sentinels_of


def assign_ports(procs: list[Proc], plans: dict[tuple[str, str], RedisPlan]) -> None:
    """Free loopback ports: TLS and/or plain client ports, and the cluster bus port of cluster nodes."""
    wanted: list[tuple[Proc, str]] = []
    for p in procs:
        rp = plans.get((p.stack, p.resource))
        if p.tls:
            wanted.append((p, "tls_port"))
        if not p.tls or (rp is not None and rp.tls == "preferred"):
            wanted.append((p, "plain_port"))
        if p.kind == "redis" and p.node_id is not None:
            wanted.append((p, "cport"))
    ports = runtime.allocate_ports(len(wanted))
    for (p, attr), port in zip(wanted, ports, strict=True):
        setattr(p, attr, port)
    for p in procs:
        p.port = (p.tls_port if p.tls else p.plain_port) or 0


def deployment_tls(state: st.State) -> TlsFiles:
    """The deployment's TLS files: the existing CA when there is one (clients keep trusting it), else a new one."""
    directory = Path(state.state_dir) / "tls"
    if state.ca_file and Path(state.ca_file).is_file():
        return TlsFiles(directory / "ca.crt", directory / "server.crt", directory / "server.key")
    return generate_tls(directory)


def create_resources(plan: Plan, state: st.State) -> None:
    """Start every resource of ``plan`` and add it to ``state`` (the reconciler's create step)."""
    shards_of, sentinels_of = _layout(plan, state)
    mem_nodes: dict[tuple[str, str], list[Proc]] = {}
    for mp in plan.memcached:
        mem_nodes[mp.key] = [
            Proc(kind="memcached", stack=mp.stack, resource=mp.logical_id, group=mp.cluster_id,
                 name=f"{mp.cluster_id}-{i + 1:04d}", port=0,
                 dir=_node_dir(state, mp.stack, mp.logical_id, f"{mp.cluster_id}-{i + 1:04d}"), role="memcached",
                 tls=mp.tls)
            for i in range(mp.nodes)
        ]
    redis_plans = {rp.key: rp for rp in plan.redis}
    proxies: dict[Key, Proc] = {
        rp.key: Proc(kind="proxy", stack=rp.stack, resource=rp.logical_id, group=rp.group_id,
                     name=f"{rp.group_id}-endpoints", port=0,
                     dir=_node_dir(state, rp.stack, rp.logical_id, "endpoints"), role="endpoints", tls=rp.tls != "off")
        for rp in plan.redis if rp.key in sentinels_of
    }
    every: list[Proc] = []
    for rp in plan.redis:
        every += [n for g in shards_of[rp.key] for n in g] + sentinels_of.get(rp.key, [])
        every += [proxies[rp.key]] if rp.key in proxies else []
    every += [n for ns in mem_nodes.values() for n in ns]
    assign_ports([p for p in every if p.kind != "proxy"], redis_plans)
    for proxy, (primary_port, reader_port) in zip(
        proxies.values(), zip(*[iter(runtime.allocate_ports(2 * len(proxies)))] * 2, strict=True), strict=True
    ):
        proxy.endpoints = {"primary": primary_port, "reader": reader_port}
        proxy.port = primary_port
    need_tls = any(p.tls for p in every)
    tls_files = deployment_tls(state) if need_tls or state.ca_file else None
    state.ca_file = str(tls_files.ca_cert) if tls_files else None
    env = Env(tls_files, state.admin_password)
    front = fronts.plan_fronts(
        plan, {rp.key: [n for g in shards_of[rp.key] for n in g] for rp in plan.redis}, mem_nodes,
        Path(state.state_dir), tls_files,
    )
    every += [front] if front else []

    binaries: dict[str, str] = {}
    ghosts_of = {rp.key: cluster.ghost_ids(rp.node_count, len(rp.shards)) for rp in plan.redis if rp.cluster_mode}
    for rp in plan.redis:
        groups = shards_of[rp.key]
        for nodes in groups:
            for i, node in enumerate(nodes):
                conf = Path(node.dir) / "redis.conf"
                node.argv = server_argv(rp.engine, "server", str(conf))
                binaries.setdefault(node.argv[0], binary_version(node.argv[0]))
                if rp.cluster_mode:
                    replicaof = None
                elif i > 0 and rp.global_secondary:
                    replicaof = None  # attached once the head has synced (see bringup.bring_up_group)
                elif i > 0:
                    replicaof = nodes[0].port
                elif rp.global_primary is not None:  # global datastore secondary: follows the primary group
                    replicaof = shards_of[rp.global_primary][0][0].port
                else:
                    replicaof = None
                configs.write(conf, configs.redis_conf(rp, node, env, replicaof=replicaof))
                if rp.cluster_mode:
                    configs.write(
                        Path(node.dir) / "nodes.conf", cluster.nodes_conf(rp.shards, groups, ghosts_of[rp.key], node)
                    )
        if rp.key in sentinels_of:
            sentinels = sentinels_of[rp.key]
            for s in sentinels:
                conf = Path(s.dir) / "sentinel.conf"
                configs.write(conf, configs.sentinel_conf(rp, s, sentinels, groups[0][0], groups[0][1:], env))
                s.argv = server_argv(rp.engine, "sentinel", str(conf))
                binaries.setdefault(s.argv[0] + " (sentinel)", binary_version(s.argv[0]))
            proxy = proxies[rp.key]
            conf = Path(proxy.dir) / "endpoints.json"
            configs.write(conf, json.dumps({"ca_file": state.ca_file, "endpoints": [
                {"listen": port, "kind": kind, "master": configs.sentinel_master_name(rp),
                 "sentinels": [s.port for s in sentinels], "tls": proxy.tls, "fallback": groups[0][0].port,
                 "plain_of": {str(n.tls_port): n.plain_port for g in groups for n in g} if rp.tls == "preferred"
                 else None}
                for kind, port in proxy.endpoints.items()
            ]}))
            proxy.argv = [sys.executable, str(Path(__file__).with_name("proxy.py")), str(conf)]
    for mp in plan.memcached:
        binaries.setdefault("memcached", binary_version("memcached"))
        for node in mem_nodes[mp.key]:
            node.argv = configs.memcached_argv(mp, node, env)
    state.binaries.update(binaries)
    state.redis += plan.redis
    state.memcached += plan.memcached

    # Clients first (they connect lazily): built while 500 servers compete for the CPU, each took 70 ms.
    clients = {
        p.name: node_client(p, state.admin_password, state.ca_file) for p in every if p.kind in ("redis", "sentinel")
    }
    try:
        bringup.start_and_bring_up(plan, state, every, shards_of, sentinels_of, ghosts_of, clients)
    finally:
        for c in clients.values():
            c.close()
    interrupts.checkpoint("groups-ready", Path(state.state_dir))


def topology(state: st.State) -> tuple[dict[Key, list[list[Proc]]], dict[Key, list[Proc]], dict[Key, Proc]]:
    """(shards -> nodes with the first-started primary first, Memcached nodes, endpoint proxies) per resource."""
    shards_of: dict[Key, list[list[Proc]]] = {}
    for rp in state.redis:
        nodes = [p for p in state.procs_of(rp.stack, rp.logical_id) if p.kind == "redis"]
        by_shard: dict[int, list[Proc]] = {}
        for n in nodes:
            by_shard.setdefault(n.shard or 0, []).append(n)
        shards_of[rp.key] = [sorted(by_shard[i], key=lambda n: n.role != "primary") for i in sorted(by_shard)]
    mem_nodes = {mp.key: [p for p in state.procs_of(mp.stack, mp.logical_id) if p.kind == "memcached"]
                 for mp in state.memcached}
    proxies = {(p.stack, p.resource): p for p in state.procs if p.kind == "proxy"}
    return shards_of, mem_nodes, proxies


def write_outputs(world: World, state: st.State) -> None:
    """Endpoints of every resource in ``state``, the outputs file, and the templates/secrets the next ``up`` diffs."""
    shards_of, mem_nodes, proxies = topology(state)
    plan = Plan(redis=state.redis, memcached=state.memcached)
    front = next((p for p in state.procs if p.kind == "front"), None)
    world.endpoints = _endpoints(plan, shards_of, mem_nodes, proxies, front)
    state.endpoints = {f"{k[0]}/{k[1]}": v for k, v in world.endpoints.items()}
    outputs = world.evaluate_outputs()
    _add_local_outputs(outputs, world, plan, state)
    state.outputs = outputs
    out_path = Path(state.outputs_file)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(outputs, indent=2) + "\n")
    interrupts.checkpoint("outputs-written", Path(state.state_dir))


def _endpoint(port: int) -> dict[str, str]:
    return {"Address": LOOPBACK, "Port": str(port)}


def _endpoints(
    plan: Plan,
    shards_of: dict[Key, list[list[Proc]]],
    mem_nodes: dict[Key, list[Proc]],
    proxies: dict[Key, Proc],
    front: Proc | None = None,
) -> dict[Key, dict[str, str]]:
    """``Fn::GetAtt`` values of every emulated resource (``preferred`` nodes by their TLS+plain front port).

    Sentinel-managed groups get the endpoint proxy's ports (they follow failovers like ElastiCache's DNS names);
    other groups' endpoints are the node ports themselves (their primary never moves).
    """
    out: dict[tuple[str, str], dict[str, str]] = {}
    for rp in plan.redis:
        groups = shards_of[rp.key]
        primary = groups[0][0]
        attrs: dict[str, Any] = {}
        if rp.resource_type == "ReplicationGroup":
            if rp.cluster_mode:
                for k, v in _endpoint(_client_port(primary)).items():
                    attrs[f"ConfigurationEndPoint.{k}"] = v
            else:
                replicas = groups[0][1:]
                reader = replicas[0] if replicas else primary
                proxy = proxies.get(rp.key)
                primary_port = proxy.endpoints["primary"] if proxy else _client_port(primary)
                reader_port = proxy.endpoints["reader"] if proxy else _client_port(reader)
                for k, v in _endpoint(primary_port).items():
                    attrs[f"PrimaryEndPoint.{k}"] = v
                for k, v in _endpoint(reader_port).items():
                    attrs[f"ReaderEndPoint.{k}"] = v
                attrs["ReadEndPoint.Addresses"] = ",".join(LOOPBACK for _ in replicas)
                attrs["ReadEndPoint.Ports"] = ",".join(str(_client_port(r)) for r in replicas)
                attrs["ReadEndPoint.Addresses.List"] = [LOOPBACK for _ in replicas]
                attrs["ReadEndPoint.Ports.List"] = [str(_client_port(r)) for r in replicas]
        elif rp.resource_type == "ServerlessCache":
            reader = groups[0][1] if len(groups[0]) > 1 else primary
            for k, v in _endpoint(_client_port(primary)).items():
                attrs[f"Endpoint.{k}"] = v
            for k, v in _endpoint(_client_port(reader)).items():
                attrs[f"ReaderEndpoint.{k}"] = v
        else:  # single-node Redis CacheCluster
            for k, v in _endpoint(_client_port(primary)).items():
                attrs[f"RedisEndpoint.{k}"] = v
        out[rp.key] = attrs
    for mp in plan.memcached:
        first = mem_nodes[mp.key][0]
        config_port = front.endpoints.get(fronts.memcached_config_key(mp)) if front else None
        attrs = {}
        names = ("Endpoint", "ReaderEndpoint") if mp.resource_type == "ServerlessCache" else ("ConfigurationEndpoint",)
        for prefix in names:
            for k, v in _endpoint(config_port or first.port).items():
                attrs[f"{prefix}.{k}"] = v
        out[mp.key] = attrs
    return out


def _client_port(node: Proc) -> int:
    return node.front_port or node.port


def contract_prefixes(values: dict[str, str]) -> list[str]:
    """Cache prefixes ``P`` of a stack's outputs (keys ``<P>EndpointAddress``, not ``<P>ReaderEndpointAddress``)."""
    cands = [k[: -len(CONTRACT_SUFFIX)] for k in values if k.endswith(CONTRACT_SUFFIX)]
    return [c for c in cands if not (c.endswith("Reader") and c[: -len("Reader")] in cands)]


def plan_for_prefix(state: st.State, stack: str, prefix: str) -> RedisPlan | MemcachedPlan | None:
    """The emulated resource behind the outputs prefix ``prefix`` of ``stack`` (matched by endpoint port)."""
    port = state.outputs.get(stack, {}).get(f"{prefix}EndpointPort")
    candidates: list[RedisPlan | MemcachedPlan] = [*state.redis, *state.memcached]
    for p in candidates:
        endpoints = state.endpoints.get(f"{p.stack}/{p.logical_id}", {})
        if p.stack == stack and port and port in {v for k, v in endpoints.items() if k.endswith(".Port")}:
            return p
    return None


def _add_local_outputs(outputs: dict[str, dict[str, str]], world: World, plan: Plan, state: st.State) -> None:
    """Add ``<P>AuthToken`` / ``<P>CaFile`` / ``<P>LocalUsers`` (docs/outputs-contract.md, local emulation)."""
    all_plans: list[RedisPlan | MemcachedPlan] = [*plan.redis, *plan.memcached]
    for stack, values in outputs.items():
        for prefix in contract_prefixes(values):
            target = _plan_for_prefix(world, stack, prefix, values, all_plans)
            if target is None:
                continue
            tls = (target.tls != "off") if isinstance(target, RedisPlan) else target.tls
            token = None
            secret_arn = values.get(f"{prefix}AuthSecretArn", "none")
            if secret_arn and secret_arn != "none" and not secret_arn.startswith("<unresolved"):
                token = token_from_secret_string(world.store.value(secret_arn))
            elif isinstance(target, RedisPlan) and target.auth_token:
                token = target.auth_token
            if token is not None:
                values[f"{prefix}AuthToken"] = token
            if isinstance(target, RedisPlan) and target.users is not None:
                values[f"{prefix}LocalUsers"] = local_users(target)
            if tls and state.ca_file:
                values[f"{prefix}CaFile"] = state.ca_file


def local_users(plan: RedisPlan) -> str:
    """``<P>LocalUsers``: JSON ``{"<user name>": {"password": "<pw>" | null, "iam": bool}}`` for every RBAC user
    of the cache (its first password; ``null`` for IAM and no-password users, which accept any password locally)."""
    users = {
        u.name: {"password": u.passwords[0] if u.passwords and not u.iam else None, "iam": u.iam}
        for u in plan.users or [] if u.source != "implicit"
    }
    return json.dumps(users, sort_keys=True)


def _plan_for_prefix(
    world: World, stack: str, prefix: str, values: dict[str, str], plans: list[RedisPlan | MemcachedPlan]
) -> RedisPlan | MemcachedPlan | None:
    refs = world.output_references(stack, f"{prefix}{CONTRACT_SUFFIX}")
    for p in plans:
        if p.stack == stack and p.logical_id in refs:
            return p
    port = values.get(f"{prefix}EndpointPort")
    for p in plans:
        if port and any(v == port for k, v in world.endpoints.get(p.key, {}).items() if k.endswith(".Port")):
            return p
    return None


def _print_up(plan: Plan, state: st.State, log: Log) -> None:
    n = len(state.procs)
    log(f"up: {len(plan.redis) + len(plan.memcached)} caches, {n} processes, ready in {state.ready_seconds:.2f}s "
        f"(state {state.state_dir}, outputs {state.outputs_file})")
    for rp in plan.redis:
        procs = state.procs_of(rp.stack, rp.logical_id)
        topo = (f"cluster mode: {len(rp.shards)} shard(s) x (1 primary + {rp.shards[0].replicas} replica(s))"
                if rp.cluster_mode else f"primary + {rp.shards[0].replicas} replica(s)")
        if rp.uses_sentinel:
            topo += f", {configs.SENTINELS_PER_GROUP} Sentinels (quorum {configs.SENTINEL_QUORUM})"
        auth = ("RBAC users " + configs.user_summary(rp.users)) if rp.users is not None else (
            "AUTH token" if rp.auth_token else "no AUTH")
        endpoint = state.endpoints.get(f"{rp.stack}/{rp.logical_id}", {})
        ports = ", ".join(f"{k}={v}" for k, v in endpoint.items() if k.endswith(".Port"))
        log(f"  {rp.stack}/{rp.logical_id} [{rp.resource_type} {rp.group_id}]")
        log(f"    engine: {rp.engine} {rp.engine_version} requested -> running {_running_server(state, procs)}")
        log(f"    {topo}; TLS {rp.tls}; {auth}; maxmemory-policy {rp.maxmemory_policy}; {rp.memory_note}")
        log(f"    {len(procs)} processes; {ports}")
        if rp.parameters:
            log("    parameters applied: " + ", ".join(f"{k}={v}" for k, v in rp.parameters.items()))
        for name, why in rp.skipped_parameters.items():
            log(f"    parameter {name} not applied: {why}")
        for note in rp.notes:
            log(f"    note: {note}")
    for mp in plan.memcached:
        endpoint = state.endpoints.get(f"{mp.stack}/{mp.logical_id}", {})
        ports = ", ".join(str(p.port) for p in state.procs_of(mp.stack, mp.logical_id))
        log(f"  {mp.stack}/{mp.logical_id} [{mp.resource_type} {mp.cluster_id}]")
        log(f"    engine: memcached {mp.engine_version} requested -> running {state.binaries.get('memcached')}")
        log(f"    {mp.nodes} node(s) on ports {ports}; TLS {'on' if mp.tls else 'off'}; -m {mp.memory_mb} MiB")
        for note in mp.notes:
            log(f"    note: {note}")
        del endpoint
    if plan.skipped:
        log("  not emulated:")
        for s in plan.skipped:
            log(f"    {s.stack}/{s.logical_id} ({s.resource_type}): {s.reason}")
    for stack, counts in plan.other_resources.items():
        log(f"  {stack}: no local equivalent (not caches): " + ", ".join(f"{t} x{c}" for t, c in counts.items()))
    for w in plan.warnings:
        log(f"  warning: {w}")


def _running_server(state: st.State, procs: list[Proc]) -> str:
    """``valkey-server 8.0.1``: the binary and version the resource's server processes run."""
    binary = next((p.argv[0] for p in procs if p.kind == "redis" and p.argv), "")
    return state.binaries.get(binary, binary or "?")


# ------------------------------------------------------------------------------------------------ down
def down(
    state_dir: Path, log: Log = print, keep_outputs: bool = False, *,
    final_snapshot: bool = True, snapshot_dir: Path = Path(".local-elasticache-snapshots"),
) -> int:
    """Stop every process ``up`` started from ``state_dir`` and delete its data; 0 when clean.

    Groups whose template says ``DeletionPolicy: Snapshot`` leave a final snapshot in ``snapshot_dir`` first
    (``final_snapshot=False``: ``--no-final-snapshot``), as CloudFormation does when the stack is deleted.
    """
    state_dir = state_dir.resolve()
    if not (state_dir / st.STATE_FILE).is_file() and st.journaled(state_dir):
        return _down_journaled(state_dir, log)
    if not (state_dir / st.STATE_FILE).is_file():
        log(f"down: nothing running from {state_dir}")
        if state_dir.is_dir() and not any(c.name != st.LOCK_FILE for c in state_dir.iterdir()):
            st.remove_state_dir(state_dir)
        return 0
    with st.locked(state_dir):
        state = st.load(state_dir)
        assert state is not None
        live = state.live_procs()
        if final_snapshot and live:
            from .reconcile.snapshots import take_final_snapshots

            take_final_snapshots(state, snapshot_dir, log)
        known = {(p.pid, p.start_ticks) for p in state.procs}  # + any a reconcile journaled but did not save
        unsaved = [p for p in st.journaled(state_dir) if (p.pid, p.start_ticks) not in known]
        problems = runtime.stop(state.procs + unsaved)
        outputs = Path(state.outputs_file)
        if not keep_outputs and outputs.is_file():
            outputs.unlink()
    st.remove_state_dir(state_dir)
    for p in problems:
        log(f"down: {p}")
    log(f"down: stopped {len(live)} processes, removed {state_dir}"
        + ("" if keep_outputs else f" and {outputs}"))
    return 1 if problems else 0


def _down_journaled(state_dir: Path, log: Log) -> int:
    """``down`` after an ``up`` that was killed before it saved its state: stop what the journal records."""
    with st.locked(state_dir):
        procs = st.journaled(state_dir)
        live = [p for p in procs if runtime.is_ours(p)]
        problems = runtime.stop(procs)
    for p in problems:
        log(f"down: {p}")
    if not problems:
        st.remove_state_dir(state_dir)
    log(f"down: stopped {len(live)} processes of an interrupted `up` (from {st.JOURNAL_FILE}), removed {state_dir}")
    return 1 if problems else 0


# ------------------------------------------------------------------------------------------------ status
@dataclass
class NodeStatus:
    """One row of ``status``."""

    proc: Proc
    alive: bool
    role: str = "-"
    slots: str = ""
    health: str = "down"
    detail: str = ""


def _redis_status(proc: Proc, state: st.State) -> NodeStatus:
    row = NodeStatus(proc, runtime.is_ours(proc))
    if not row.alive:
        return row
    try:
        c = node_client(proc, state.admin_password, state.ca_file, timeout=1.0)
        try:
            c.ping()
            if proc.kind == "sentinel":
                masters = raw(c, "SENTINEL", "MASTERS")
                m = pairs(masters[0]) if masters else {}
                row.role = "sentinel"
                row.detail = f"primary at :{m.get('port')} ({m.get('flags')})" if m else ""
            else:
                info = c.info("replication")
                row.role = "primary" if info.get("role") == "master" else "replica"
                if row.role == "replica":
                    row.detail = f"of :{info.get('master_port')} link {info.get('master_link_status')}"
                else:
                    row.detail = f"{info.get('connected_slaves', 0)} replica(s)"
                if proc.node_id is not None:
                    me = [n for n in parse_cluster_nodes(raw(c, "CLUSTER", "NODES")) if "myself" in n["flags"]]
                    if me:
                        row.slots = ",".join(f"{a}-{b}" for a, b in me[0]["slots"])
                    cinfo = raw(c, "CLUSTER", "INFO")
                    state_line = re.search(r"cluster_state:(\w+)", cinfo)
                    row.detail += f", cluster_state {state_line.group(1) if state_line else '?'}"
            row.health = "ok"
        finally:
            c.close()
    except (redis.RedisError, OSError) as exc:
        row.health = f"error: {exc}"
    return row


def _memcached_status(proc: Proc, state: st.State) -> NodeStatus:
    row = NodeStatus(proc, runtime.is_ours(proc), role="memcached")
    if not row.alive:
        return row
    try:
        sock: socket.socket = socket.create_connection((LOOPBACK, proc.port), timeout=1.0)
        if proc.tls:
            ctx = ssl.create_default_context(cafile=state.ca_file)
            sock = ctx.wrap_socket(sock, server_hostname=LOOPBACK)
        with sock:
            sock.sendall(b"version\r\n")
            reply = sock.recv(100).decode(errors="replace").strip()
        row.health = "ok" if reply.startswith("VERSION") else f"error: {reply}"
        row.detail = reply
    except OSError as exc:
        row.health = f"error: {exc}"
    return row


def _proxy_status(proc: Proc, state: st.State) -> NodeStatus:
    row = NodeStatus(proc, runtime.is_ours(proc), role="endpoints")
    if not row.alive:
        return row
    parts = []
    try:
        for kind, port in proc.endpoints.items():
            c = node_client(dataclasses.replace(proc, kind="redis", port=port), state.admin_password, state.ca_file,
                            timeout=1.0)
            try:
                info = c.info("server")
                role = c.info("replication").get("role")
                parts.append(f"{kind} :{port} -> :{info.get('tcp_port') or '?'} ({role})")
            finally:
                c.close()
        row.health = "ok"
    except (redis.RedisError, OSError) as exc:
        row.health = f"error: {exc}"
    row.detail = "; ".join(parts)
    return row


def _front_status(proc: Proc) -> NodeStatus:
    row = NodeStatus(proc, runtime.is_ours(proc), role="endpoints")
    if row.alive:
        closed = [name for name, port in proc.endpoints.items() if not runtime.port_open(port)]
        row.health = "ok" if not closed else f"error: not listening: {', '.join(closed)}"
        row.detail = f"{len(proc.endpoints)} front ports (TLS+plain sniffed, Memcached auto discovery)"
    return row


def _status_of(proc: Proc, state: st.State) -> NodeStatus:
    if proc.kind == "memcached":
        return _memcached_status(proc, state)
    if proc.kind == "proxy":
        return _proxy_status(proc, state)
    if proc.kind == "front":
        return _front_status(proc)
    return _redis_status(proc, state)


def collect_status(state: st.State) -> list[NodeStatus]:
    """Live status of every recorded process (queried in parallel)."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(lambda p: _status_of(p, state), state.procs))


def status(state_dir: Path, log: Log = print, as_json: bool = False) -> int:
    """Print the topology table; 0 when every process is healthy, 1 otherwise, 3 when nothing runs."""
    state_dir = state_dir.resolve()
    state = st.load(state_dir)
    if state is None:
        log(f"status: nothing running from {state_dir}")
        return 3
    rows = collect_status(state)
    if as_json:
        log(json.dumps([{
            "stack": r.proc.stack, "resource": r.proc.resource, "group": r.proc.group, "node": r.proc.name,
            "kind": r.proc.kind, "role": r.role, "port": r.proc.port, "shard": r.proc.shard, "slots": r.slots,
            "health": r.health, "pid": r.proc.pid, "detail": r.detail,
        } for r in rows], indent=1))
    else:
        header = ("STACK", "RESOURCE", "NODE", "ROLE", "PORT", "SHARD", "SLOTS", "HEALTH", "DETAIL")
        table = [header] + [(
            r.proc.stack, r.proc.resource, r.proc.name, r.role, str(r.proc.port),
            "" if r.proc.shard is None else str(r.proc.shard + 1), r.slots, r.health, r.detail,
        ) for r in rows]
        widths = [max(len(row[i]) for row in table) for i in range(len(header) - 1)]
        for row in table:
            log("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)) + "  " + row[-1])
        plans = {p.key: p for p in state.redis}
        for key, rp in plans.items():
            log(f"{key[0]}/{key[1]}: {rp.engine} {rp.engine_version} requested, running "
                f"{_running_server(state, state.procs_of(*key))}; TLS {rp.tls}; "
                f"maxmemory-policy {rp.maxmemory_policy}")
        for s in state.skipped:
            log(f"not emulated: {s.stack}/{s.logical_id} ({s.resource_type}): {s.reason}")
    return 0 if all(r.health == "ok" for r in rows) else 1


def env_for_children() -> dict[str, str]:
    """Environment for subprocesses that import aws_cdk."""
    env = dict(os.environ)
    env.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "1")
    return env
