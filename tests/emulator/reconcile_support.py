"""Helpers of the reconcile tests: template variants, data loading and whole-dataset checksums."""

from __future__ import annotations

import copy
import json
import random
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import redis

from elasticache_local import commands
from elasticache_local.clients import LocalCaSSLConnection

from .conftest import TEMPLATES, WRITTEN_TEMPLATES

Template = dict[str, Any]
TTL_TOLERANCE_MS = 3000


def variant(
    tmp: Path, base: str, name: str, change: Callable[[dict[str, Template]], None], *, as_written: bool = False
) -> Path:
    """A copy of ``templates/<base>`` as ``tmp/<name>`` with ``change`` applied to {stack: template}.

    ``as_written``: from the templates as written, whatever engine the session forces (tests of engine changes).
    """
    src, dst = (WRITTEN_TEMPLATES if as_written else TEMPLATES) / base, tmp / name
    shutil.copytree(src, dst)
    manifest = json.loads((dst / "manifest.json").read_text())
    files = {k: dst / a["properties"]["templateFile"] for k, a in manifest["artifacts"].items()
             if a.get("type") == "aws:cloudformation:stack"}
    templates = {k: json.loads(f.read_text()) for k, f in files.items()}
    change(templates)
    for k, f in files.items():
        f.write_text(json.dumps(templates[k]))
    return dst


def props(templates: dict[str, Template], stack: str, logical: str) -> dict[str, Any]:
    """The mutable Properties of one resource."""
    res: dict[str, Any] = templates[stack]["Resources"][logical]
    return res.setdefault("Properties", {})


def opts(assembly: Path, tmp: Path, **kw: Any) -> commands.UpOptions:
    """``up`` options with everything under ``tmp``."""
    return commands.UpOptions(assembly=assembly, state_dir=tmp / "state", outputs_file=tmp / "outputs.json",
                              snapshot_dir=tmp / "snapshots", seed_dir=tmp / "s3", **kw)


@contextmanager
def deployed(assembly: Path, tmp: Path, **kw: Any) -> Iterator[list[str]]:
    """``up`` (collecting log lines), always ``down`` (without a final snapshot) at the end."""
    lines: list[str] = []
    commands.up(opts(assembly, tmp, **kw), log=lines.append)
    try:
        yield lines
    finally:
        commands.down(tmp / "state", log=lambda _l: None, final_snapshot=False)


def outputs(tmp: Path, stack: str) -> dict[str, str]:
    """One stack's outputs."""
    data: dict[str, dict[str, str]] = json.loads((tmp / "outputs.json").read_text())
    return data[stack]


def app_client(tmp: Path, stack: str, prefix: str, *, cluster: bool) -> redis.Redis | redis.RedisCluster:
    """A client built from the outputs file, as an application would."""
    out = outputs(tmp, stack)
    kw: dict[str, Any] = {"host": out[f"{prefix}EndpointAddress"], "port": int(out[f"{prefix}EndpointPort"]),
                          "password": out.get(f"{prefix}AuthToken"), "decode_responses": True, "socket_timeout": 10}
    tls = out.get(f"{prefix}Tls") == "true"
    if cluster:
        if tls:
            kw.update(ssl=True, ssl_ca_certs=out[f"{prefix}CaFile"])
        return redis.RedisCluster(**kw)
    if tls:
        return redis.Redis(connection_pool=redis.ConnectionPool(
            connection_class=LocalCaSSLConnection, ssl_ca_certs=out[f"{prefix}CaFile"], **kw))
    return redis.Redis(**kw)


def load(c: redis.Redis | redis.RedisCluster, n: int, seed: int = 7) -> None:
    """``n`` keys of every type, a third with a TTL (1 hour: none expires during a test)."""
    rnd = random.Random(seed)
    pipe = c.pipeline(transaction=False)
    for i in range(n):
        k = f"k:{i}"
        kind = i % 5
        if kind == 0:
            pipe.set(k, rnd.randbytes(rnd.randint(1, 64)).hex())
        elif kind == 1:
            pipe.hset(k, mapping={f"f{j}": str(rnd.random()) for j in range(3)})
        elif kind == 2:
            pipe.rpush(k, *[str(rnd.randint(0, 9)) for _ in range(4)])
        elif kind == 3:
            pipe.sadd(k, *{str(rnd.randint(0, 99)) for _ in range(4)})
        else:
            pipe.zadd(k, {f"m{j}": rnd.random() for j in range(3)})
        if i % 3 == 0:
            pipe.expire(k, 3600)
    pipe.execute()


def _value(c: Any, k: str, kind: str) -> Any:
    if kind == "string":
        return c.get(k)
    if kind == "hash":
        return sorted(c.hgetall(k).items())
    if kind == "list":
        return c.lrange(k, 0, -1)
    if kind == "set":
        return sorted(c.smembers(k))
    return c.zrange(k, 0, -1, withscores=True)


def snapshot(c: redis.Redis | redis.RedisCluster) -> dict[str, tuple[str, Any, int]]:
    """Every key -> (type, value, absolute expiry in ms or -1), read through the application client."""
    keys = sorted(c.scan_iter(count=1000)) if not isinstance(c, redis.RedisCluster) else sorted(
        c.scan_iter(count=1000, target_nodes=redis.RedisCluster.PRIMARIES))
    out = {}
    for k in keys:
        kind = c.type(k)
        out[k] = (kind, _value(c, k, kind), int(c.execute_command("PEXPIRETIME", k)))
    return out


def assert_same_data(before: dict[str, tuple[str, Any, int]], after: dict[str, tuple[str, Any, int]]) -> None:
    """Same keys, types and values; TTLs kept (expiry within a few seconds: a restore recomputes it)."""
    assert sorted(after) == sorted(before), f"{len(set(before) - set(after))} keys lost, " \
        f"{len(set(after) - set(before))} keys appeared"
    for k, (kind, value, exp) in before.items():
        k2, v2, e2 = after[k]
        assert (k2, v2) == (kind, value), k
        assert (exp == -1) == (e2 == -1), k
        assert abs(exp - e2) <= TTL_TOLERANCE_MS, k


def mutate(template: Template) -> Template:
    """A deep copy (tests keep the original around)."""
    return copy.deepcopy(template)
