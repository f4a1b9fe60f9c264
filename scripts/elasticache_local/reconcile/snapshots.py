"""Local snapshots (one RDB per shard + a manifest) and restoring/seeding a new group from them.

ElastiCache keeps a final snapshot of a group deleted with ``DeletionPolicy: Snapshot``
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-deletionpolicy.html), takes manual
snapshots (https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/backups-manual.html), restores a new group from
``SnapshotName`` and seeds one from RDB files in S3 given as ``SnapshotArns``
(https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/backups-seeding-redis.html), redistributing the keys
when the new group has a different number of shards. Locally snapshots live in ``--snapshot-dir`` (default
``.local-elasticache-snapshots``, outside the state directory: ``down`` never removes them) and
``arn:aws:s3:::bucket/key`` maps to ``<--seed-dir>/bucket/key`` (default ``.local-elasticache-s3``).
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis

from .. import runtime
from .. import state as st
from ..cluster import wait_until
from ..engines import server_argv
from ..errors import EmulatorError
from ..model import Plan, RedisPlan
from ..runtime import LOOPBACK, Proc
from .observe import client, current_primary, redis_nodes

Log = Callable[[str], None]
DEFAULT_SNAPSHOT_DIR = ".local-elasticache-snapshots"
DEFAULT_SEED_DIR = ".local-elasticache-s3"
MANIFEST = "snapshot.json"
NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,254}$")
S3_ARN = re.compile(r"^arn:aws[a-z-]*:s3:::([^/]+)/(.+)$")
BATCH = 500


@dataclass
class Snapshot:
    """A snapshot's manifest."""

    name: str
    resource: str
    group_id: str
    engine: str
    created: float
    shards: int
    keys: int
    files: list[str]

    @classmethod
    def load(cls, directory: Path) -> Snapshot:
        """Read ``directory/snapshot.json``."""
        return cls(**json.loads((directory / MANIFEST).read_text()))


def _check_name(name: str) -> None:
    # Snapshot names: a letter first, then letters, digits and hyphens, at most 255 characters
    # (https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_CreateSnapshot.html).
    if not NAME_RE.match(name) or "--" in name or name.endswith("-"):
        raise EmulatorError(f"snapshot name {name!r}: must start with a letter and contain only letters, digits and "
                            "single hyphens (not ending in one), at most 255 characters")


def final_snapshot_name(rp: RedisPlan) -> str:
    """Name of the final snapshot kept when ``rp`` is deleted."""
    return f"{re.sub(r'[^A-Za-z0-9-]', '-', rp.group_id)}-final-{time.strftime('%Y%m%d-%H%M%S')}"


def take(state: st.State, rp: RedisPlan, name: str, snapshot_dir: Path, log: Log) -> Snapshot:
    """``SAVE`` on each shard's current primary and copy the RDB files into ``snapshot_dir/name``."""
    _check_name(name)
    target = snapshot_dir / name
    if target.exists():
        raise EmulatorError(f"snapshot {name!r} already exists in {snapshot_dir}")
    tmp = snapshot_dir / f".{name}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    shard_ids: list[int | None] = sorted({p.shard for p in redis_nodes(state, rp)}, key=lambda s: s or 0)
    keys = 0
    files = []
    for i, sid in enumerate(shard_ids):
        primary = current_primary(state, rp, sid)
        c = client(state, primary, timeout=120)
        try:
            c.execute_command("SAVE")
            keys += int(c.dbsize())
            dbfile = str(c.config_get("dbfilename").get("dbfilename", "dump.rdb"))
        finally:
            c.close()
        fname = f"{i + 1:04d}.rdb"
        shutil.copyfile(Path(primary.dir) / dbfile, tmp / fname)
        files.append(fname)
    snap = Snapshot(name, f"{rp.stack}/{rp.logical_id}", rp.group_id, rp.engine, time.time(), len(files), keys, files)
    (tmp / MANIFEST).write_text(json.dumps(vars(snap), indent=1))
    tmp.rename(target)
    log(f"  snapshot {name}: {snap.shards} shard(s), {keys} keys -> {target}")
    return snap


def list_snapshots(snapshot_dir: Path) -> list[Snapshot]:
    """Every snapshot in ``snapshot_dir``, oldest first."""
    if not snapshot_dir.is_dir():
        return []
    out = [Snapshot.load(d) for d in snapshot_dir.iterdir() if (d / MANIFEST).is_file()]
    return sorted(out, key=lambda s: s.created)


def _sources(props: dict[str, Any], snapshot_dir: Path, seed_dir: Path, where: str) -> list[Path]:
    """RDB files a new group starts from (empty list: none); clear error when one is missing."""
    name = props.get("SnapshotName")
    arns = props.get("SnapshotArns") or []
    if name:
        d = snapshot_dir / str(name)
        if not (d / MANIFEST).is_file():
            known = ", ".join(s.name for s in list_snapshots(snapshot_dir)) or "none"
            raise EmulatorError(f"{where}: SnapshotName {name!r}: no such local snapshot in {snapshot_dir} "
                                f"(known: {known})")
        return [d / f for f in Snapshot.load(d).files]
    files = []
    for arn in arns:
        m = S3_ARN.match(str(arn))
        if not m:
            raise EmulatorError(f"{where}: SnapshotArns entry {arn!r} must look like arn:aws:s3:::bucket/key.rdb")
        path = seed_dir / m.group(1) / m.group(2)
        if not path.is_file():
            raise EmulatorError(f"{where}: SnapshotArns {arn} maps to {path}, which does not exist")
        files.append(path)
    return files


def check_restores(desired: Any, snapshot_dir: Path, seed_dir: Path) -> None:
    """Every ``SnapshotName`` / ``SnapshotArns`` of the desired groups resolves (before anything starts)."""
    for rp in desired.plan.redis:
        _sources(desired.world.props(rp.stack, rp.logical_id), snapshot_dir, seed_dir, f"{rp.stack}/{rp.logical_id}")


def restore_into(state: st.State, plan: Plan, desired: Any, snapshot_dir: Path, seed_dir: Path, log: Log) -> None:
    """Load the snapshot/seed keys of each newly created group of ``plan`` (keys go to the shard owning them)."""
    for rp in plan.redis:
        files = _sources(desired.world.props(rp.stack, rp.logical_id), snapshot_dir, seed_dir,
                         f"{rp.stack}/{rp.logical_id}")
        if files:
            n = sum(_load_rdb(state, rp, f) for f in files)
            log(f"  {rp.stack}/{rp.logical_id}: restored {n} keys from {len(files)} RDB file(s)")


def _target(state: st.State, rp: RedisPlan) -> redis.Redis | redis.RedisCluster:
    primary = current_primary(state, rp, 0 if rp.cluster_mode else None)
    if not rp.cluster_mode:
        return client(state, primary, timeout=30)
    from ..acl import ADMIN_USER

    kwargs: dict[str, Any] = {"host": LOOPBACK, "port": primary.port, "username": ADMIN_USER,
                              "password": state.admin_password, "socket_timeout": 30}
    if primary.tls:
        kwargs.update(ssl=True, ssl_ca_certs=state.ca_file)
    return redis.RedisCluster(**kwargs)


def _load_rdb(state: st.State, rp: RedisPlan, rdb: Path) -> int:
    """Start a throw-away server on ``rdb`` (same binary as the group), copy every key with DUMP/RESTORE."""
    work = Path(tempfile.mkdtemp(prefix="rdb-", dir=state.state_dir))
    shutil.copyfile(rdb, work / "dump.rdb")
    (port,) = runtime.allocate_ports(1)
    loader = Proc(kind="redis", stack=rp.stack, resource=f"{rp.logical_id}-restore", group=rp.group_id,
                  name=f"{rp.group_id}-restore", port=port, dir=str(work), plain_port=port,
                  argv=[server_argv(rp.engine, "server", "")[0], "--bind", LOOPBACK, "--port", str(port), "--dir",
                        str(work), "--dbfilename", "dump.rdb", "--save", "", "--appendonly", "no",
                        "--protected-mode", "no"])
    state.procs.append(loader)
    try:
        child = runtime.spawn(loader)
        st.save(state)
        runtime.wait_listening([(loader, child)], timeout=60)
        src = redis.Redis(host=LOOPBACK, port=port, socket_timeout=60)
        wait_until(f"{rdb} to load", lambda: src.info("persistence").get("loading") == 0, 60)
        dst = _target(state, rp)
        n = 0
        try:
            cursor = 0
            while True:
                cursor, keys = src.scan(cursor, count=BATCH)
                if keys:
                    pipe = src.pipeline(transaction=False)
                    for k in keys:
                        pipe.dump(k)
                        pipe.pttl(k)
                    res = pipe.execute()
                    wpipe = dst.pipeline(transaction=False)
                    for k, value, ttl in zip(keys, res[::2], res[1::2], strict=True):
                        if value is not None:
                            wpipe.restore(k, max(int(ttl), 0), value, replace=True)
                            n += 1
                    wpipe.execute()
                if cursor == 0:
                    break
        finally:
            src.close()
            dst.close()
        return n
    finally:
        runtime.stop([loader])
        state.procs = [p for p in state.procs if p is not loader]
        shutil.rmtree(work, ignore_errors=True)


def wants_final_snapshot(state: st.State, rp: RedisPlan) -> bool:
    """The recorded template gives the group ``DeletionPolicy: Snapshot``."""
    res = (state.templates.get(rp.stack, {}).get("Resources") or {}).get(rp.logical_id) or {}
    return res.get("DeletionPolicy") == "Snapshot" and rp.resource_type in ("ReplicationGroup", "ServerlessCache")


def take_final_snapshots(state: st.State, snapshot_dir: Path, log: Log) -> list[Snapshot]:
    """A final snapshot of every group that asks for one (``down``)."""
    return [take(state, rp, final_snapshot_name(rp), snapshot_dir, log)
            for rp in state.redis if wants_final_snapshot(state, rp)]


def snapshot_command(state_dir: Path, group: str, name: str, snapshot_dir: Path, log: Log = print) -> int:
    """``snapshot GROUP NAME``."""
    from ..failover import find_group

    state_dir = state_dir.resolve()
    with st.locked(state_dir):
        state = st.load(state_dir)
        if state is None:
            raise EmulatorError(f"snapshot: nothing running from {state_dir}")
        rp = find_group(state, group)
        take(state, rp, name, snapshot_dir, log)
    return 0


def snapshots_command(snapshot_dir: Path, *, as_json: bool, log: Log = print) -> int:
    """``snapshots [--json]``: resource, time, shards and key count of each local snapshot."""
    snaps = list_snapshots(snapshot_dir)
    if as_json:
        log(json.dumps([vars(s) for s in snaps], indent=1))
        return 0
    if not snaps:
        log(f"snapshots: none in {snapshot_dir}")
    for s in snaps:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(s.created))
        log(f"{s.name}  {s.resource}  {when}  {s.shards} shard(s)  {s.keys} keys")
    return 0
