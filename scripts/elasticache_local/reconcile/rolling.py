"""Engine upgrades (version changes, Redis OSS -> Valkey) as ElastiCache applies them: a rolling restart.

ElastiCache upgrades a replication group node by node, replicas first, then fails the primary over to an upgraded
replica and upgrades the old primary as a replica; a node without a replica restarts in place (a short
interruption, data kept). Downgrades are refused: "you can upgrade to a newer engine version, but you cannot
downgrade to an earlier engine version" (https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/VersionManagement.html),
and a Valkey group cannot go back to Redis OSS (the cross-engine upgrade is one way:
https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/VersionManagement.HowTo.cross-engine-upgrade.html).

Locally each node is stopped by PID after ``SHUTDOWN SAVE`` wrote its dataset, and started again from the same
directory (its ``dump.rdb``, and in cluster mode its ``nodes.conf``: same node id, same slots) on the binary
:mod:`..engines` picks for the new engine, with the same ports. It is tracked in the state file from the spawn.
What a node was changed to at run time and is not in its configuration file survives the restart: the ACL rules
(a rotated AUTH token keeps both passwords) and the transport of its replication and cluster bus links.
In-transit encryption mode changes (:mod:`.tls_mode`) reconfigure the listeners live and need no restart.
"""

from __future__ import annotations

import contextlib
import functools
import re
import time
from collections.abc import Callable
from pathlib import Path

import redis

from .. import bringup, configs, runtime
from .. import state as st
from ..acl import ADMIN_USER
from ..clients import info_fields, pairs, parse_cluster_nodes, raw
from ..cluster import wait_until
from ..engines import binary_version, server_argv
from ..errors import EmulatorError
from ..model import RedisPlan
from ..runtime import Proc
from .nodes import env_of
from .observe import client, current_primary, redis_nodes

Log = Callable[[str], None]
READY_TIMEOUT = 30.0
ENGINE_ORDER = {"redis": 0, "valkey": 1}


def version_tuple(version: str | None) -> tuple[int, ...]:
    """``"7.1"`` -> ``(7, 1)``; ``"6.x"`` -> ``(6,)`` (non-numeric parts end the tuple)."""
    out: list[int] = []
    for part in str(version or "").split("."):
        m = re.match(r"\d+", part)
        if not m:
            break
        out.append(int(m.group()))
    return tuple(out)


def engine_changed(old: RedisPlan, new: RedisPlan) -> bool:
    """True when the engine or its version differs (a rolling restart applies it)."""
    return (old.engine, old.engine_version) != (new.engine, new.engine_version)


def validate(old: RedisPlan, new: RedisPlan) -> None:
    """Refuse, before anything changes, what ElastiCache refuses: a downgrade, or Valkey -> Redis OSS."""
    if not engine_changed(old, new):
        return
    where = f"{new.stack}/{new.logical_id}"
    if new.engine not in ENGINE_ORDER:
        raise EmulatorError(f"{where}: Engine {new.engine!r} is not allowed (allowed: {', '.join(ENGINE_ORDER)})")
    if ENGINE_ORDER[new.engine] < ENGINE_ORDER.get(old.engine, 0):
        raise EmulatorError(
            f"{where}: Engine {old.engine} -> {new.engine}: ElastiCache upgrades Redis OSS to Valkey but not back "
            "(a downgrade); nothing was changed. Create a new group to run Redis OSS "
            "(https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/VersionManagement.html)"
        )
    if new.engine == old.engine and version_tuple(new.engine_version) < version_tuple(old.engine_version):
        raise EmulatorError(
            f"{where}: EngineVersion {old.engine_version} -> {new.engine_version}: ElastiCache does not downgrade "
            "an engine version; nothing was changed. Create a new group to use the earlier version "
            "(https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/VersionManagement.html)"
        )
    from .apply_redis import family_of  # (apply_redis calls this module)

    family, want = new.parameter_group_family, family_of(new)
    if family and family.lower() != want:
        # "If you have applied a custom cache parameter group to the existing Redis OSS replication group you are
        # upgrading, you will need to pass a custom Valkey cache parameter group in the request as well"; a major
        # version upgrade needs "a new parameter group that's compatible with the new engine version":
        # https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/VersionManagement.HowTo.html
        raise EmulatorError(
            f"{where}: Engine {old.engine} {old.engine_version} -> {new.engine} {new.engine_version} with a custom "
            f"CacheParameterGroupName of family {family}: ElastiCache needs a custom parameter group of family "
            f"{want} for the new engine version; nothing was changed "
            "(https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/VersionManagement.HowTo.html)"
        )
    server_argv(new.engine, "server", "-")  # the new engine's binary is installed (clear error, nothing changed)


# ------------------------------------------------------------------------------------------------ one node
def _role(c: redis.Redis) -> dict[str, str]:
    return {str(k): str(v) for k, v in c.info("replication").items()}


def _runtime_state(c: redis.Redis) -> tuple[list[list[str]], dict[str, str], int | None]:
    """What a restart must restore: ACL rules of every user but the admin, the internal TLS settings, and the
    port of the primary the node replicates from (cluster mode disabled; None for a primary)."""
    acl = [line.split() for line in c.execute_command("ACL", "LIST")]
    users = [rule[2:] for rule in acl if len(rule) > 2 and rule[0] == "user" and rule[1] != ADMIN_USER]
    names = [rule[1] for rule in acl if len(rule) > 2 and rule[0] == "user" and rule[1] != ADMIN_USER]
    internal: dict[str, str] = {}
    if int(c.config_get("tls-port").get("tls-port", 0) or 0):
        got = c.config_get("tls-*")
        internal = {k: str(got[k]) for k in ("tls-replication", "tls-cluster") if k in got}
    info = _role(c)
    replicaof = int(info["master_port"]) if info.get("role") == "slave" else None
    return [[n, *r] for n, r in zip(names, users, strict=True)], internal, replicaof


def _loaded(c: redis.Redis) -> bool:
    try:
        return str(c.info("persistence").get("loading")) == "0"
    except redis.BusyLoadingError:
        return False


def restart_node(state: st.State, rp: RedisPlan, proc: Proc, *, cluster_mode: bool) -> None:
    """Stop ``proc`` (its dataset saved first) and start it again with ``rp``'s engine and configuration."""
    c = client(state, proc, timeout=30.0)
    try:
        users, internal, replicaof = _runtime_state(c)
        with contextlib.suppress(redis.ConnectionError):
            c.execute_command("SHUTDOWN", "SAVE")  # the RDB holds every write it acknowledged; then it exits
    finally:
        c.close()
    problems = runtime.stop([proc])  # by PID (verified by start time); a no-op once SHUTDOWN finished
    if problems:
        raise EmulatorError(f"{proc.name}: {'; '.join(problems)}")
    conf = Path(proc.dir) / "redis.conf"
    text = configs.redis_conf(rp, proc, env_of(state), replicaof=None if cluster_mode else replicaof)
    text += "".join(f"{k} {v}\n" for k, v in internal.items())  # the links keep their transport
    configs.write(conf, text)
    proc.argv = server_argv(rp.engine, "server", str(conf))
    state.binaries.setdefault(proc.argv[0], binary_version(proc.argv[0]))
    child = runtime.spawn(proc)
    st.save(state)  # tracked (new pid + start time) before anything else can fail
    st.record_started(Path(state.state_dir), proc)
    runtime.wait_listening([(proc, child)])
    c = client(state, proc, timeout=30.0)
    try:
        wait_until(f"{proc.name} to load its data", functools.partial(_loaded, c), READY_TIMEOUT)
        for user, *rules in users:
            c.execute_command("ACL", "SETUSER", user, "reset", *rules)
        c.execute_command("CONFIG", "SET", "hz", str(configs.server_hz(rp, booting=False)))
        bringup.apply_runtime_parameters(rp, [proc], {proc.name: c})
    finally:
        c.close()


def _linked(state: st.State, proc: Proc) -> bool:
    c = client(state, proc)
    try:
        return _role(c).get("master_link_status") == "up"
    except redis.RedisError:
        return False
    finally:
        c.close()


def wait_linked(state: st.State, proc: Proc) -> None:
    """Until the replica ``proc`` is in sync with its primary (``master_link_status:up``)."""
    wait_until(f"{proc.name} to sync with its primary", functools.partial(_linked, state, proc), READY_TIMEOUT)


def _cluster_healthy(state: st.State, nodes: list[Proc]) -> bool:
    """Every node says ``cluster_state:ok`` and sees every other node connected, none flagged failing."""
    for p in nodes:
        c = client(state, p)
        try:
            if info_fields(raw(c, "CLUSTER", "INFO")).get("cluster_state") != "ok":
                return False
            for v in parse_cluster_nodes(raw(c, "CLUSTER", "NODES")):
                if v["link"] != "connected" or v["flags"] & {"fail", "fail?", "handshake", "noaddr"}:
                    return False
        except redis.RedisError:
            return False
        finally:
            c.close()
    return True


def _is_primary(state: st.State, proc: Proc) -> bool:
    c = client(state, proc)
    try:
        return _role(c).get("role") == "master"
    except redis.RedisError:
        return False
    finally:
        c.close()


def _took_over(state: st.State, heir: Proc, old: Proc) -> bool:
    """``heir`` is primary and ``old`` follows it (not necessarily in sync yet: an older binary cannot load a
    newer binary's RDB, e.g. Redis OSS 7.0 and Valkey 8's RDB version 11; ``old`` restarts on the new binary next)."""
    return _is_primary(state, heir) and not _is_primary(state, old)


# ------------------------------------------------------------------------------------------------ a group
def upgrade(state: st.State, old: RedisPlan, new: RedisPlan, log: Log) -> None:
    """Roll every node of the group onto ``new``'s engine and version, keeping every key."""
    what = f"{old.engine} {old.engine_version} -> {new.engine} {new.engine_version}"
    binary = server_argv(new.engine, "server", "-")[0]
    log(f"    engine {what}: rolling restart onto {Path(binary).name}, replicas first")
    t0 = time.perf_counter()
    if new.cluster_mode:
        _upgrade_cluster(state, new, log)
    else:
        _upgrade_group(state, new, log)
    sentinels = [p for p in state.procs_of(new.stack, new.logical_id) if p.kind == "sentinel"]
    for s in sentinels:
        _restart_sentinel(state, new, s, len(sentinels))
    log(f"    engine {what}: {len(redis_nodes(state, new))} node(s)"
        + (f" and {len(sentinels)} Sentinel(s)" if sentinels else "") + f" upgraded in {time.perf_counter() - t0:.1f}s")


def _upgrade_cluster(state: st.State, rp: RedisPlan, log: Log) -> None:
    nodes = redis_nodes(state, rp)
    for shard in sorted({p.shard for p in nodes if p.shard is not None}):
        members = [p for p in nodes if p.shard == shard]
        primary = current_primary(state, rp, shard)
        replicas = [p for p in members if p.name != primary.name]
        for r in replicas:
            restart_node(state, rp, r, cluster_mode=True)
            wait_linked(state, r)
        wait_until(f"{rp.group_id} to see the upgraded replicas", functools.partial(_cluster_healthy, state, nodes),
                   READY_TIMEOUT)
        if replicas:
            # A manual failover: the replica catches up with the primary (which pauses its clients) and takes
            # over; no acknowledged write is lost.
            heir = replicas[0]
            c = client(state, heir)
            try:
                raw(c, "CLUSTER", "FAILOVER")
            finally:
                c.close()
            wait_until(f"{heir.name} to take over shard {shard + 1}",
                       functools.partial(_took_over, state, heir, primary), READY_TIMEOUT)
            log(f"      shard {shard + 1}: replicas upgraded, failed over to {heir.name}")
        else:
            log(f"      shard {shard + 1}: no replica: {primary.name} restarts in place from its RDB")
        restart_node(state, rp, primary, cluster_mode=True)
        if replicas:
            wait_linked(state, primary)
        wait_until(f"{rp.group_id} to see {primary.name} again", functools.partial(_cluster_healthy, state, nodes),
                   READY_TIMEOUT)


def _upgrade_group(state: st.State, rp: RedisPlan, log: Log) -> None:
    """Cluster mode disabled: replicas, then (Sentinel groups) a Sentinel failover and the old primary as a
    replica; groups without automatic failover restart their primary in place (its endpoint does not move)."""
    nodes = redis_nodes(state, rp)
    primary = current_primary(state, rp)
    replicas = [p for p in nodes if p.name != primary.name]
    for r in replicas:
        restart_node(state, rp, r, cluster_mode=False)
        wait_linked(state, r)
    sentinels = [p for p in state.procs_of(rp.stack, rp.logical_id) if p.kind == "sentinel"]
    if sentinels and replicas:
        _sentinel_failover(state, rp, sentinels, primary, replicas)
        log(f"      replicas upgraded, Sentinel failover to {current_primary(state, rp).name}")
        restart_node(state, rp, primary, cluster_mode=False)
        wait_linked(state, primary)
    else:
        log(f"      {len(replicas)} replica(s) upgraded; {primary.name} restarts in place from its RDB")
        restart_node(state, rp, primary, cluster_mode=False)
        for r in replicas:
            wait_linked(state, r)


def _sentinel_failover(state: st.State, rp: RedisPlan, sentinels: list[Proc], primary: Proc,
                       replicas: list[Proc]) -> None:
    name = configs.sentinel_master_name(rp)
    ports = {r.port for r in replicas} | {p for r in replicas for p in (r.plain_port, r.tls_port) if p}

    def master_port(s: Proc) -> int:
        c = client(state, s)
        try:
            master = pairs(raw(c, "SENTINEL", "MASTER", name))
            return int(master["port"]) if master.get("flags") == "master" else 0
        except redis.RedisError:
            return 0
        finally:
            c.close()

    def started() -> bool:
        # A Sentinel takes a restarted replica as a candidate only once it has reconnected to it and refreshed
        # its INFO: until then it answers NOGOODSLAVE.
        c = client(state, sentinels[0])
        try:
            raw(c, "SENTINEL", "FAILOVER", name)
            return True
        except redis.ResponseError as exc:
            if "NOGOODSLAVE" in str(exc):
                return False
            raise
        finally:
            c.close()

    wait_until(f"a Sentinel of {rp.group_id} to accept the failover", started, READY_TIMEOUT)

    def agreed() -> bool:
        return len({master_port(s) for s in sentinels} - {0}) == 1 and all(master_port(s) in ports
                                                                           for s in sentinels)

    wait_until(f"the Sentinels of {rp.group_id} to fail over to an upgraded replica", agreed,
               2 * configs.SENTINEL_FAILOVER_TIMEOUT_MS / 1000)
    # Sentinel turns the old primary into a replica only at its next INFO refresh of it (up to 10 s); do what
    # it would do right away (not necessarily in sync: see _took_over; it restarts on the new binary next).
    c = client(state, primary)
    try:
        c.execute_command("REPLICAOF", runtime.LOOPBACK, str(master_port(sentinels[0])))
    finally:
        c.close()

    def done() -> bool:
        return not _is_primary(state, primary)

    wait_until(f"the Sentinels of {rp.group_id} to fail over to an upgraded replica", done,
               2 * configs.SENTINEL_FAILOVER_TIMEOUT_MS / 1000)


def _restart_sentinel(state: st.State, rp: RedisPlan, s: Proc, count: int) -> None:
    """Restart one Sentinel on the new engine's binary with the configuration it rewrote itself (the current
    primary, replicas and peers), then wait until it monitors the group with its peers again."""
    runtime.stop([s])
    conf = Path(s.dir) / "sentinel.conf"
    s.argv = server_argv(rp.engine, "sentinel", str(conf))
    state.binaries.setdefault(s.argv[0] + " (sentinel)", binary_version(s.argv[0]))
    child = runtime.spawn(s)
    st.save(state)
    st.record_started(Path(state.state_dir), s)
    runtime.wait_listening([(s, child)])
    name = configs.sentinel_master_name(rp)

    def ready() -> bool:
        c = client(state, s)
        try:
            master = pairs(raw(c, "SENTINEL", "MASTER", name))
            return master.get("flags") == "master" and int(master.get("num-other-sentinels", 0)) == count - 1
        except redis.RedisError:
            return False
        finally:
            c.close()

    wait_until(f"{s.name} to monitor {name} again", ready, READY_TIMEOUT)
