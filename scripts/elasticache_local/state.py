"""The state directory: ``state.json`` (what is running), an exclusive lock, and the data dirs under it."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import EmulatorError
from .model import MemcachedPlan, RedisPlan, Skipped
from .runtime import Proc, is_ours

STATE_FILE = "state.json"
#: One JSON line per process, appended the moment it starts (``down`` reads it when ``up`` died before saving).
JOURNAL_FILE = "started.jsonl"
LOCK_FILE = ".lock"
DEFAULT_STATE_DIR = ".local-elasticache"
DEFAULT_OUTPUTS_FILE = "local-outputs.json"
VERSION = 1


@dataclass
class State:
    """Everything ``status``/``down``/``failover`` need about a running emulation."""

    state_dir: str
    assembly: str
    outputs_file: str
    admin_password: str
    ca_file: str | None = None
    created: float = field(default_factory=time.time)
    redis: list[RedisPlan] = field(default_factory=list)
    memcached: list[MemcachedPlan] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    procs: list[Proc] = field(default_factory=list)
    endpoints: dict[str, dict[str, str]] = field(default_factory=dict)
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)
    binaries: dict[str, str] = field(default_factory=dict)
    ready_seconds: float = 0.0
    #: Phase -> seconds since the first spawn (spawn, listening, ready <group>).
    timings: dict[str, float] = field(default_factory=dict)
    #: The templates (stack name -> template) this state was reconciled to: what the next ``up``/``plan`` diffs.
    templates: dict[str, Any] = field(default_factory=dict)
    #: The local secrets (kept across reconciling ``up`` runs, as CloudFormation keeps an unchanged secret).
    secrets: list[dict[str, str]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """Serializable form."""
        return {
            "version": VERSION,
            "state_dir": self.state_dir,
            "assembly": self.assembly,
            "outputs_file": self.outputs_file,
            "admin_password": self.admin_password,
            "ca_file": self.ca_file,
            "created": self.created,
            "redis": [p.to_json() for p in self.redis],
            "memcached": [p.to_json() for p in self.memcached],
            "skipped": [vars(s) for s in self.skipped],
            "procs": [p.to_json() for p in self.procs],
            "endpoints": self.endpoints,
            "outputs": self.outputs,
            "binaries": self.binaries,
            "ready_seconds": self.ready_seconds,
            "timings": self.timings,
            "templates": self.templates,
            "secrets": self.secrets,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> State:
        """Inverse of :meth:`to_json`."""
        if data.get("version") != VERSION:
            raise EmulatorError(f"state file version {data.get('version')} is not supported (expected {VERSION})")
        return cls(
            state_dir=data["state_dir"],
            assembly=data["assembly"],
            outputs_file=data["outputs_file"],
            admin_password=data["admin_password"],
            ca_file=data.get("ca_file"),
            created=data.get("created", 0.0),
            redis=[RedisPlan.from_json(p) for p in data.get("redis", [])],
            memcached=[MemcachedPlan.from_json(p) for p in data.get("memcached", [])],
            skipped=[Skipped(**s) for s in data.get("skipped", [])],
            procs=[Proc.from_json(p) for p in data.get("procs", [])],
            endpoints=data.get("endpoints", {}),
            outputs=data.get("outputs", {}),
            binaries=data.get("binaries", {}),
            ready_seconds=data.get("ready_seconds", 0.0),
            timings=data.get("timings", {}),
            templates=data.get("templates", {}),
            secrets=data.get("secrets", []),
        )

    def live_procs(self) -> list[Proc]:
        """Recorded processes that are still the ones we started."""
        return [p for p in self.procs if is_ours(p)]

    def procs_of(self, stack: str, logical_id: str) -> list[Proc]:
        """The processes of one resource."""
        return [p for p in self.procs if p.stack == stack and p.resource == logical_id]


def state_path(state_dir: Path) -> Path:
    """``<state_dir>/state.json``."""
    return state_dir / STATE_FILE


def load(state_dir: Path) -> State | None:
    """The recorded state, or ``None`` when nothing was started from ``state_dir``."""
    path = state_path(state_dir)
    if not path.is_file():
        return None
    try:
        return State.from_json(json.loads(path.read_text()))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise EmulatorError(f"{path}: unreadable state file ({exc}); remove {state_dir} by hand") from exc


def record_started(state_dir: Path, proc: Proc) -> None:
    """Append ``proc`` (pid + start time) to the journal right after it started."""
    fd = os.open(state_dir / JOURNAL_FILE, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a") as fh:
        fh.write(json.dumps(proc.to_json()) + "\n")


def journaled(state_dir: Path) -> list[Proc]:
    """Every process the journal records (a torn last line, from a kill mid-write, is skipped)."""
    try:
        lines = (state_dir / JOURNAL_FILE).read_text().splitlines()
    except OSError:
        return []
    procs = []
    for line in lines:
        with contextlib.suppress(ValueError, TypeError):
            procs.append(Proc.from_json(json.loads(line)))
    return procs


def save(state: State) -> None:
    """Write ``state.json`` atomically, readable by the owner only (it holds the admin password)."""
    directory = Path(state.state_dir)
    tmp = directory / (STATE_FILE + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(state.to_json(), fh, indent=1)
    os.replace(tmp, state_path(directory))


@contextlib.contextmanager
def locked(state_dir: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``state_dir`` (two ``up``/``down`` commands never interleave)."""
    state_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(state_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise EmulatorError(f"another elasticache_local command is running on {state_dir}; try again") from None
        yield
    finally:
        os.close(fd)


def remove_state_dir(state_dir: Path) -> None:
    """Delete the state dir (data dirs, configs, TLS files, state file, lock)."""
    shutil.rmtree(state_dir, ignore_errors=True)
