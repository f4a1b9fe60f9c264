"""Fixtures of the emulator tests.

Every module that starts servers brings its template set up *once* (module-scoped fixture: the machine has two
cores) with the real ``up`` and always runs the real ``down`` afterwards. Templates under ``templates/`` mirror
what CDK synthesizes (manifest.json + stack templates), so the tests exercise the same code path as ``cdk.out``.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis

from elasticache_local import commands
from elasticache_local import state as st
from elasticache_local.clients import LocalCaSSLConnection, node_client
from elasticache_local.runtime import Proc

#: ``ELASTICACHE_TEST_ENGINE=redis|valkey`` runs every emulator test on that one engine (``make test-engines``
#: runs the emulator suite once per engine): the template sets are copied once per session with each Redis OSS /
#: Valkey resource's engine rewritten (:func:`force_engine`). Unset (``make test``): the templates as written,
#: which use both engines.
ENGINE = os.environ.get("ELASTICACHE_TEST_ENGINE", "")
#: The version a rewritten resource asks for (EngineVersion; MajorEngineVersion and the parameter group family
#: follow the major version).
ENGINE_VERSIONS = {"redis": "7.1", "valkey": "8.0"}
_ENGINE_TYPES = ("ReplicationGroup", "ServerlessCache", "User", "UserGroup", "ParameterGroup", "GlobalReplicationGroup")


def force_engine(template: dict[str, Any], engine: str) -> None:
    """Rewrite every Redis OSS / Valkey resource of ``template`` (in place) to ``engine``; Memcached is left as is."""
    version = ENGINE_VERSIONS[engine]
    major = version.split(".")[0]
    for res in template.get("Resources", {}).values():
        kind = str(res.get("Type", "")).rsplit("::", 1)[-1]
        props = res.get("Properties") or {}
        if kind not in _ENGINE_TYPES:
            continue
        if kind == "ParameterGroup":
            if str(props.get("CacheParameterGroupFamily", "")).startswith(("redis", "valkey")):
                props["CacheParameterGroupFamily"] = f"{engine}{major}"
            continue
        if props.get("Engine") not in ("redis", "valkey") or props["Engine"] == engine:
            continue
        props["Engine"] = engine
        if "EngineVersion" in props:
            props["EngineVersion"] = version
        if "MajorEngineVersion" in props:
            props["MajorEngineVersion"] = major
    for out in template.get("Outputs", {}).values():
        if out.get("Value") in ("redis", "valkey"):
            out["Value"] = engine


#: The template sets as written (for tests about one engine's binary, whatever ``ELASTICACHE_TEST_ENGINE`` says).
WRITTEN_TEMPLATES = Path(__file__).parent / "templates"


def _templates() -> Path:
    here = WRITTEN_TEMPLATES
    if not ENGINE:
        return here
    if ENGINE not in ENGINE_VERSIONS:
        raise pytest.UsageError(f"ELASTICACHE_TEST_ENGINE={ENGINE!r}: expected one of {sorted(ENGINE_VERSIONS)}")
    dst = Path(tempfile.mkdtemp(prefix=f"templates-{ENGINE}-")) / "templates"
    shutil.copytree(here, dst)
    atexit.register(shutil.rmtree, dst.parent, True)
    for f in dst.glob("*/*.template.json"):
        template = json.loads(f.read_text())
        force_engine(template, ENGINE)
        f.write_text(json.dumps(template))
    return dst


TEMPLATES = _templates()


def engine(written: str) -> str:
    """The engine a resource written with ``written`` runs in this session."""
    return ENGINE or written

requires_servers = pytest.mark.skipif(
    not all(shutil.which(b) for b in ("redis-server", "redis-sentinel", "memcached")),
    reason="needs redis-server, redis-sentinel and memcached on PATH",
)


@dataclass
class Running:
    """An emulation started by a fixture."""

    state: st.State
    state_dir: Path
    outputs_file: Path

    @property
    def outputs(self) -> dict[str, dict[str, str]]:
        """The outputs as written to the outputs file."""
        import json

        return json.loads(self.outputs_file.read_text())

    def procs(self, resource: str | None = None, kind: str | None = None) -> list[Proc]:
        """Recorded processes, optionally of one logical id and/or kind."""
        return [
            p for p in self.state.procs
            if (resource is None or p.resource == resource) and (kind is None or p.kind == kind)
        ]

    def admin(self, proc: Proc) -> redis.Redis:
        """A client on ``proc`` as the emulator's admin user."""
        return node_client(proc, self.state.admin_password, self.state.ca_file)

    def client(
        self,
        stack: str,
        prefix: str,
        *,
        port: int | None = None,
        password: str | None = "from-outputs",
        username: str | None = None,
        tls: bool | None = None,
        **kwargs: Any,
    ) -> redis.Redis:
        """A plain (non-cluster) client built from the outputs file, like an application would."""
        out = self.outputs[stack]
        use_tls = out[f"{prefix}Tls"] == "true" if tls is None else tls
        args: dict[str, Any] = {
            "host": out[f"{prefix}EndpointAddress"],
            "port": port or int(out[f"{prefix}EndpointPort"]),
            "socket_timeout": 5,
            "decode_responses": True,
            "username": username,
            "password": out.get(f"{prefix}AuthToken") if password == "from-outputs" else password,
            **kwargs,
        }
        if use_tls:
            pool = redis.ConnectionPool(
                connection_class=LocalCaSSLConnection, ssl_ca_certs=out[f"{prefix}CaFile"], **args
            )
            return redis.Redis(connection_pool=pool)
        return redis.Redis(**args)


def sentinel_story(env: Running, resource: str | None = None) -> str:
    """What a Sentinel group's processes say about a failover, for an assertion message: each node's role, each
    Sentinel's primary, and the failover events in the Sentinel and endpoint logs."""
    lines = []
    for p in env.procs(resource):
        if p.kind == "redis":
            try:
                role = role_of(env.admin(p))
            except (redis.RedisError, OSError) as exc:
                role = f"unreachable ({exc})"
            lines.append(f"{p.name} :{p.port} {role}")
        if p.kind in ("sentinel", "proxy") and p.log_path.exists():
            events = [ln for ln in p.log_path.read_text(errors="replace").splitlines()
                      if p.kind == "proxy" or any(e in ln for e in ("switch-master", "sdown", "odown", "failover",
                                                                      "tilt", "convert-to-slave"))]
            lines += [f"{p.name}: {ln}" for ln in events[-40:]]
    return "\n".join(lines)


@contextlib.contextmanager
def running(name: str, tmp: Path, stacks: list[str] | None = None) -> Iterator[Running]:
    """``up`` the template set ``templates/<name>`` into ``tmp``; ``down`` on exit."""
    state_dir, outputs = tmp / "state", tmp / "outputs.json"
    state = commands.up(
        commands.UpOptions(assembly=TEMPLATES / name, state_dir=state_dir, outputs_file=outputs, stacks=stacks or []),
        log=lambda _line: None,
    )
    try:
        yield Running(state, state_dir, outputs)
    finally:
        commands.down(state_dir, log=lambda _line: None)


def role_of(client: redis.Redis) -> str:
    """``master`` or ``slave``."""
    return str(client.info("replication")["role"])
