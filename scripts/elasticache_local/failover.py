"""Failover drills: kill a group's primary mid-write, measure recovery, count lost acknowledged writes.

During the drill one client writes ``SET drill:{tag}:<n>`` followed by ``WAIT 1 <ms>`` in a loop; a write is
*acknowledged* when ``WAIT`` reports at least one replica. The primary gets ``SIGKILL`` while the loop runs. The
client then rediscovers the primary the way a real client would (Sentinel for cluster-mode-disabled groups,
``CLUSTER NODES`` for cluster mode) and keeps writing. Recovery time = kill -> first successful write. After
recovery every acknowledged key is read back from the new primary: *lost* = acknowledged but missing.

Cluster-mode groups with fewer than 3 shards cannot elect a new primary on their own (a failover needs the votes
of a majority of primaries, and the killed one cannot vote); there the drill plays ElastiCache's control plane
and sends ``CLUSTER FAILOVER TAKEOVER`` to the replica once the node timeout has passed (and says so).
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis

from . import configs, runtime
from . import state as st
from .clients import node_client, parse_cluster_nodes, raw
from .clients import pairs as _pairs
from .errors import EmulatorError
from .model import RedisPlan
from .runtime import Proc

Log = Callable[[str], None]
WAIT_TIMEOUT_MS = 500


@dataclass
class DrillResult:
    """Outcome of one drill."""

    group: str
    mode: str  # sentinel | cluster
    killed: str
    new_primary: str = ""
    attempted: int = 0
    acknowledged: int = 0
    lost: int = 0
    recovery_seconds: float | None = None
    replaced: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Writes resumed and no acknowledged write was lost."""
        return self.recovery_seconds is not None and self.lost == 0


def crc16(data: bytes) -> int:
    """CRC16-XMODEM, Redis Cluster's key hash."""
    crc = 0
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def key_slot(key: str) -> int:
    """The cluster slot of ``key`` (hash tags honoured)."""
    raw_key = key.encode()
    start = raw_key.find(b"{")
    if start != -1:
        end = raw_key.find(b"}", start + 1)
        if end > start + 1:
            raw_key = raw_key[start + 1:end]
    return crc16(raw_key) % 16384


def tag_for_slots(ranges: list[tuple[int, int]]) -> str:
    """A hash tag whose slot lies in ``ranges``."""
    for i in range(1_000_000):
        tag = f"drill{i}"
        slot = crc16(tag.encode()) % 16384
        if any(a <= slot <= b for a, b in ranges):
            return tag
    raise EmulatorError("no hash tag found for the shard's slots")


def find_group(state: st.State, name: str) -> RedisPlan:
    """The group called ``name``: group id, logical id, STACK/LOGICAL or an outputs prefix."""
    for rp in state.redis:
        if name in (rp.group_id, rp.logical_id, f"{rp.stack}/{rp.logical_id}"):
            return rp
    for stack, values in state.outputs.items():
        rid = values.get(f"{name}ResourceId")
        if rid:
            for rp in state.redis:
                if rp.stack == stack and rp.group_id == rid:
                    return rp
    known = ", ".join(f"{rp.group_id} ({rp.stack}/{rp.logical_id})" for rp in state.redis)
    raise EmulatorError(f"failover {name!r}: no such emulated Redis group; known: {known or 'none'}")


class _Writer:
    """The drill's client: sequential SET + WAIT, recording what was acknowledged."""

    def __init__(self, state: st.State, tag: str) -> None:
        self.state = state
        self.tag = tag
        self.n = 0
        self.acked: list[str] = []
        self.attempted = 0
        self.client: redis.Redis | None = None

    def connect(self, proc: Proc) -> None:
        if self.client is not None:
            self.client.close()
        self.client = node_client(proc, self.state.admin_password, self.state.ca_file, timeout=0.5)

    def write_once(self) -> bool:
        """One SET + WAIT; True when the SET succeeded (acknowledged or not)."""
        assert self.client is not None
        self.n += 1
        key = f"drill:{{{self.tag}}}:{self.n}"
        self.attempted += 1
        try:
            self.client.set(key, str(self.n))
        except redis.RedisError:
            return False
        try:
            replicas = int(self.client.execute_command("WAIT", 1, WAIT_TIMEOUT_MS))
        except redis.RedisError:
            return True
        if replicas >= 1:
            self.acked.append(key)
        return True

    def lost_on(self, proc: Proc) -> int:
        """Acknowledged keys missing (or wrong) on ``proc``."""
        c = node_client(proc, self.state.admin_password, self.state.ca_file, timeout=5.0)
        try:
            lost = 0
            for i in range(0, len(self.acked), 500):
                batch = self.acked[i:i + 500]
                values = c.mget(batch)
                lost += sum(1 for k, v in zip(batch, values, strict=True) if v != k.rsplit(":", 1)[1])
            for i in range(0, self.n, 500):  # tidy up every key the drill may have written
                c.delete(*[f"drill:{{{self.tag}}}:{j}" for j in range(i + 1, min(self.n, i + 500) + 1)])
            return lost
        finally:
            c.close()


def drill(
    state_dir: Path, group: str, *, shard: int = 1, warmup: float = 0.5, timeout: float = 30.0,
    replace: bool = True, log: Log = print,
) -> DrillResult:
    """Run the failover drill on ``group`` (see the module docstring)."""
    state_dir = state_dir.resolve()
    if not st.state_path(state_dir).is_file():
        raise EmulatorError(f"failover: nothing running from {state_dir}")
    with st.locked(state_dir):
        state = st.load(state_dir)
        if state is None:
            raise EmulatorError(f"failover: nothing running from {state_dir}")
        rp = find_group(state, group)
        if rp.cluster_mode:
            result = _cluster_drill(state, rp, shard, warmup, timeout, replace, log)
        else:
            result = _sentinel_drill(state, rp, warmup, timeout, replace, log)
        st.save(state)
    _report(result, log)
    return result


def _report(r: DrillResult, log: Log) -> None:
    rec = f"{r.recovery_seconds:.2f}s" if r.recovery_seconds is not None else "not recovered"
    log(f"failover drill {r.group} ({r.mode}): killed {r.killed}, new primary {r.new_primary or '-'}")
    log(f"  recovery time (kill -> first successful write): {rec}")
    log(f"  writes attempted {r.attempted}, acknowledged by WAIT {r.acknowledged}, acknowledged but lost {r.lost}")
    for note in r.notes:
        log(f"  note: {note}")
    log("  result: " + ("PASS" if r.ok else "FAIL"))


def _by_port(state: st.State, rp: RedisPlan, port: int) -> Proc | None:
    for p in state.procs_of(rp.stack, rp.logical_id):
        if p.kind == "redis" and port in (p.port, p.front_port):
            return p
    return None


def _run_writes(writer: _Writer, until: float) -> None:
    while time.monotonic() < until:
        writer.write_once()



def _conclude(result: DrillResult, writer: _Writer, new: Proc | None, t_kill: float, timeout: float) -> bool:
    """Record the drill's outcome once a new primary accepted a write (or none did within ``timeout``):
    recovery time, then 0.3 s more acknowledged writes, then which acknowledged writes the new primary lacks.
    Returns False when there is no new primary."""
    if new is None:
        result.notes.append(f"no new primary within {timeout:.0f}s")
        result.attempted, result.acknowledged = writer.attempted, len(writer.acked)
        return False
    result.recovery_seconds = time.monotonic() - t_kill
    result.new_primary = new.name
    _run_writes(writer, time.monotonic() + 0.3)
    result.attempted, result.acknowledged = writer.attempted, len(writer.acked)
    result.lost = writer.lost_on(new)
    if writer.client is not None:
        writer.client.close()
    return True

def _sentinel_drill(
    state: st.State, rp: RedisPlan, warmup: float, timeout: float, replace: bool, log: Log
) -> DrillResult:
    if not rp.uses_sentinel:
        why = "automatic failover is disabled" if not rp.automatic_failover else "the group has no replica"
        raise EmulatorError(f"failover {rp.group_id}: {why}, so ElastiCache would not fail over either")
    name = configs.sentinel_master_name(rp)
    sentinels = [p for p in state.procs_of(rp.stack, rp.logical_id) if p.kind == "sentinel" and runtime.is_ours(p)]

    def primary_port(settled: bool = False) -> set[int]:
        """Primary ports the Sentinels report; with ``settled``, a sentinel mid-failover (or down) counts as
        disagreeing (reported as port 0)."""
        ports: set[int] = set()
        for s in sentinels:
            if not runtime.is_ours(s):
                continue
            c = node_client(s, state.admin_password, state.ca_file, timeout=0.3)
            try:
                addr = raw(c, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", name)
                if addr:
                    ports.add(int(addr[1]))
                if settled:
                    flags = str(_pairs(raw(c, "SENTINEL", "MASTER", name)).get("flags", ""))
                    if flags != "master":
                        ports.add(0)
            except (redis.RedisError, OSError):
                if settled:
                    ports.add(0)
            finally:
                c.close()
        return ports

    def masters() -> set[int]:
        found = set()
        for p in state.procs_of(rp.stack, rp.logical_id):
            if p.kind == "redis" and runtime.is_ours(p):
                c = node_client(p, state.admin_password, state.ca_file, timeout=0.5)
                try:
                    if c.info("replication").get("role") == "master":
                        found.add(p.port)
                except redis.RedisError:
                    found.add(0)
                finally:
                    c.close()
        return found

    def settle(limit: float) -> set[int]:
        # A Sentinel that led a failover keeps reconfiguring replicas for a while, and the others learn the new
        # primary from its hello messages. Wait until every Sentinel names the same primary, none is mid-failover
        # and that node is the only one in the primary role.
        end = time.monotonic() + limit
        while True:
            ports = primary_port(settled=True)
            if len(ports) == 1 and 0 not in ports and masters() == ports:
                return ports
            if time.monotonic() > end:
                return ports | {0}
            time.sleep(0.1)

    current = settle(2 * configs.SENTINEL_FAILOVER_TIMEOUT_MS / 1000)
    if len(current) != 1 or 0 in current:
        raise EmulatorError(
            f"failover {rp.group_id}: the Sentinels do not agree on a primary ({sorted(current)}); see `status`"
        )
    old = _by_port(state, rp, current.pop())
    if old is None:
        raise EmulatorError(f"failover {rp.group_id}: the primary is not one of the emulated nodes")
    result = DrillResult(rp.group_id, "sentinel", old.name)
    writer = _Writer(state, "drill")
    proxy = next((p for p in state.procs_of(rp.stack, rp.logical_id) if p.kind == "proxy" and runtime.is_ours(p)),
                 None)
    # Write through the group's primary endpoint when it has one (what an application does); after the kill the
    # endpoint follows the Sentinels' new primary, like ElastiCache's DNS name.
    endpoint = dataclasses.replace(proxy, kind="redis", port=proxy.endpoints["primary"]) if proxy else None
    writer.connect(endpoint or old)
    via = f"the primary endpoint :{endpoint.port}" if endpoint else f":{old.port}"
    log(f"failover {rp.group_id}: writing through {via} with WAIT 1 for {warmup:.1f}s, then SIGKILL {old.name} "
        f"(:{old.port})")
    _run_writes(writer, time.monotonic() + warmup)
    t_kill = _kill_while_writing(writer, old)
    deadline = time.monotonic() + timeout
    new: Proc | None = None
    while time.monotonic() < deadline:
        if endpoint is not None:
            writer.connect(endpoint)
            if writer.write_once():
                new = _current_primary(state, rp, old)  # the node the endpoint now leads to
                break
        else:
            for port in primary_port() - {old.port}:
                cand = _by_port(state, rp, port)
                if cand is not None:
                    writer.connect(cand)
                    if writer.write_once():
                        new = cand
                        break
            if new is not None:
                break
        time.sleep(0.02)
    if not _conclude(result, writer, new, t_kill, timeout):
        return result
    assert new is not None
    # Replace the failed node only once the failover is complete (as ElastiCache does): a node returning while
    # Sentinels are still reconfiguring could be taken for the old primary.
    settled = settle(2 * configs.SENTINEL_FAILOVER_TIMEOUT_MS / 1000)
    if settled != {new.port}:
        result.notes.append(f"Sentinels had not settled on {new.name} after the failover ({sorted(settled)})")
    if replace:
        _replace_replica(state, rp, old, new, result)
        final = settle(2 * configs.SENTINEL_FAILOVER_TIMEOUT_MS / 1000)
        if final != {new.port}:
            result.notes.append(f"Sentinels had not settled on {new.name} after the replacement ({sorted(final)})")
    if endpoint is not None:
        result.notes.append(f"writes went through the primary endpoint :{endpoint.port}; it now leads to {new.name}")
    else:
        result.notes.append(f"the old primary's port :{old.port} is not an endpoint; the new primary is :{new.port}")
    return result


def _current_primary(state: st.State, rp: RedisPlan, old: Proc) -> Proc | None:
    for p in state.procs_of(rp.stack, rp.logical_id):
        if p.kind != "redis" or p.name == old.name or not runtime.is_ours(p):
            continue
        c = node_client(p, state.admin_password, state.ca_file, timeout=0.5)
        try:
            if c.info("replication").get("role") == "master":
                return p
        except redis.RedisError:
            pass
        finally:
            c.close()
    return None


def _kill_while_writing(writer: _Writer, victim: Proc) -> float:
    """SIGKILL ``victim`` from another thread while ``writer`` keeps writing; return the kill time."""
    stamp: list[float] = []

    def kill() -> None:
        stamp.append(time.monotonic())
        runtime.kill_now(victim)

    killer = threading.Thread(target=kill)
    killer.start()
    while killer.is_alive():
        writer.write_once()
    killer.join()
    return stamp[0]


def _replace_replica(state: st.State, rp: RedisPlan, old: Proc, new: Proc, result: DrillResult) -> None:
    """Restart the killed node as a replica of the new primary (ElastiCache replaces failed nodes)."""
    conf = Path(old.dir) / "redis.conf"
    if not rp.cluster_mode:
        lines = [ln for ln in conf.read_text().splitlines() if not ln.startswith("replicaof ")]
        lines.append(f"replicaof {runtime.LOOPBACK} {new.port}")
        configs.write(conf, "\n".join(lines) + "\n")
    child = runtime.spawn(old)
    try:
        runtime.wait_listening([(old, child)], timeout=10)
    except EmulatorError as exc:
        result.notes.append(f"could not restart {old.name}: {exc}")
        return
    c = node_client(old, state.admin_password, state.ca_file, timeout=1.0)
    deadline = time.monotonic() + 15
    try:
        while time.monotonic() < deadline:
            try:
                info = c.info("replication")
                if info.get("role") == "slave" and info.get("master_link_status") == "up":
                    result.replaced = True
                    result.notes.append(f"{old.name} restarted as a replica of {new.name}")
                    return
            except redis.RedisError:
                pass
            time.sleep(0.05)
    finally:
        c.close()
    result.notes.append(f"{old.name} restarted but did not become an in-sync replica within 15s")


def _cluster_view(state: st.State, procs: list[Proc]) -> list[dict[str, Any]]:
    for p in procs:
        if not runtime.is_ours(p):
            continue
        c = node_client(p, state.admin_password, state.ca_file, timeout=0.3)
        try:
            return parse_cluster_nodes(raw(c, "CLUSTER", "NODES"))
        except (redis.RedisError, OSError):
            continue
        finally:
            c.close()
    return []


def _cluster_drill(
    state: st.State, rp: RedisPlan, shard_no: int, warmup: float, timeout: float, replace: bool, log: Log
) -> DrillResult:
    if not 1 <= shard_no <= len(rp.shards):
        raise EmulatorError(f"--shard {shard_no}: {rp.group_id} has shards 1..{len(rp.shards)}")
    shard = rp.shards[shard_no - 1]
    if shard.replicas == 0:
        raise EmulatorError(f"failover {rp.group_id} shard {shard_no}: the shard has no replica to promote")
    nodes = [p for p in state.procs_of(rp.stack, rp.logical_id) if p.kind == "redis"]
    by_id = {p.node_id: p for p in nodes}
    probe_slot = shard.slots[0][0]

    def owner() -> Proc | None:
        for n in _cluster_view(state, [p for p in nodes if runtime.is_ours(p)]):
            owns = any(a <= probe_slot <= b for a, b in n["slots"])
            if owns and "master" in n["flags"] and "fail" not in n["flags"]:
                return by_id.get(str(n["id"]))
        return None

    old = owner()
    if old is None:
        raise EmulatorError(f"failover {rp.group_id}: no primary owns slot {probe_slot}")
    result = DrillResult(rp.group_id, "cluster", old.name)
    tag = tag_for_slots(shard.slots)
    writer = _Writer(state, tag)
    writer.connect(old)
    log(f"failover {rp.group_id} shard {shard_no}: writing {{{tag}}} keys with WAIT 1 for {warmup:.1f}s, "
        f"then SIGKILL {old.name} (:{old.port})")
    _run_writes(writer, time.monotonic() + warmup)
    t_kill = _kill_while_writing(writer, old)
    takeover_at = t_kill + 2 * configs.cluster_node_timeout_ms(rp.node_count) / 1000 if len(rp.shards) < 3 else None
    deadline = time.monotonic() + timeout
    new: Proc | None = None
    while time.monotonic() < deadline:
        cand = owner()
        if cand is not None and cand.name != old.name:
            writer.connect(cand)
            if writer.write_once():
                new = cand
                break
        if takeover_at is not None and time.monotonic() >= takeover_at:
            takeover_at = None
            _control_plane_takeover(state, rp, old, nodes, result)
        time.sleep(0.02)
    if not _conclude(result, writer, new, t_kill, timeout):
        return result
    assert new is not None
    if replace:
        _replace_replica(state, rp, old, new, result)
    return result


def _control_plane_takeover(state: st.State, rp: RedisPlan, old: Proc, nodes: list[Proc], result: DrillResult) -> None:
    """Promote the failed primary's best replica (what ElastiCache does where Redis Cluster has no quorum)."""
    best: tuple[int, Proc] | None = None
    for p in nodes:
        if p.name == old.name or not runtime.is_ours(p):
            continue
        c = node_client(p, state.admin_password, state.ca_file, timeout=0.5)
        try:
            info = c.info("replication")
            if info.get("role") == "slave" and int(info.get("master_port", 0)) in (old.port, old.front_port):
                offset = int(info.get("slave_repl_offset", 0))
                if best is None or offset > best[0]:
                    best = (offset, p)
        except redis.RedisError:
            pass
        finally:
            c.close()
    if best is None:
        result.notes.append("no replica of the failed primary found for the control-plane takeover")
        return
    c = node_client(best[1], state.admin_password, state.ca_file, timeout=1.0)
    try:
        raw(c, "CLUSTER", "FAILOVER", "TAKEOVER")
    finally:
        c.close()
    result.notes.append(
        f"{len(rp.shards)} shard(s): Redis Cluster has no primary majority to elect a replica, so the drill acted "
        f"as ElastiCache's control plane: CLUSTER FAILOVER TAKEOVER on {best[1].name}"
    )
