"""Processes: free loopback ports, spawning, readiness, identity checks and stopping."""

from __future__ import annotations

import contextlib
import errno
import os
import random
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from . import listeners
from .errors import EmulatorError, PortRaceError

LOOPBACK = "127.0.0.1"


@dataclass
class Proc:
    """One process the emulator started (or will start)."""

    kind: str  # redis | sentinel | memcached | proxy | front
    stack: str
    resource: str  # logical id
    group: str  # physical id (replication group id, serverless cache name, cache cluster id)
    name: str  # node name, ElastiCache style: <group>-0001-001
    port: int  # the port clients use (the TLS port when TLS is on)
    dir: str
    argv: list[str] = field(default_factory=list)
    plain_port: int | None = None
    tls_port: int | None = None
    cport: int | None = None
    #: ``preferred`` TLS: the port that accepts both TLS and plain text (``fronts.py``); clients use it.
    front_port: int | None = None
    shard: int | None = None
    role: str = ""  # initial role: primary | replica | sentinel | memcached
    slots: str = ""
    tls: bool = False
    node_id: str | None = None
    #: Endpoint proxy only: kind -> listening port (``primary``, ``reader``).
    endpoints: dict[str, int] = field(default_factory=dict)
    pid: int = 0
    start_ticks: int = 0

    def to_json(self) -> dict[str, Any]:
        """Serializable form."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Proc:
        """Inverse of :meth:`to_json`."""
        return cls(**data)

    @property
    def log_path(self) -> Path:
        """Where the process's stdout/stderr go."""
        return Path(self.dir) / "server.log"


#: Lowest port handed out: above the registered ports most local services use (PostgreSQL 5432, Redis 6379, 8080).
PORT_FLOOR = 10000
#: Ports in that range that local services commonly listen on, never handed out (so one started after ``up`` still
#: gets its port): Memcached 11211, Redis Cluster bus 16379, Sentinel 26379, RabbitMQ 15672, MongoDB 27017-27019.
WELL_KNOWN_PORTS = frozenset({11211, 15672, 16379, 26379, 27017, 27018, 27019})
_EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
#: A port handed out is not handed out again by this process for this long: one ``up`` allocates in several calls
#: (servers, endpoints, fronts), each free to return a port an earlier call returned and nothing has bound yet.
RECENT_SECONDS = 600.0
_recent: dict[int, float] = {}
_recent_lock = threading.Lock()


def _ephemeral_floor() -> int:
    """First port of the kernel's ephemeral range (``ip_local_port_range``, where ``connect()`` picks source
    ports and ``bind(port 0)`` picks free ones); 32768 when unreadable."""
    try:
        return int(_EPHEMERAL_RANGE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def allocate_ports(count: int) -> list[int]:
    """``count`` distinct free TCP ports on 127.0.0.1 (held open together, so no duplicates).

    A port is chosen here and bound later by the server, so another program can take it in between. Ports are
    drawn at random below the kernel's ephemeral range: an outgoing connection (ours, a test's, a browser's) never
    takes its source port there, and two emulators drawing at random rarely meet. ``bind(port 0)`` drew from the
    ephemeral range and tends to hand a just-released port to the next caller: with two test workers, 2 runs in 6
    of the lifecycle tests lost a second port race in a row. A port this process handed out in the last
    :data:`RECENT_SECONDS` is not handed out again (the servers' and the fronts' allocations of one ``up`` once
    shared a port). Falls back to ``bind(port 0)`` when the range is (nearly) full.
    """
    with _recent_lock:
        return _allocate(count)


def _allocate(count: int) -> list[int]:
    now = time.monotonic()
    for port in [p for p, at in _recent.items() if now - at > RECENT_SECONDS]:
        del _recent[port]
    socks: list[socket.socket] = []
    span = range(PORT_FLOOR, max(PORT_FLOOR, _ephemeral_floor()))
    candidates = random.Random().sample(span, min(len(span), 2 * count + 32))  # seeded from os.urandom
    try:
        for port in candidates:
            if len(socks) == count:
                break
            if port in WELL_KNOWN_PORTS or port in _recent:
                continue
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # out of descriptors: raises here
            try:
                sock.bind((LOOPBACK, port))
            except OSError:  # taken (or not bindable): the next candidate
                sock.close()
                continue
            socks.append(sock)
        recent_seen: list[socket.socket] = []  # held, so the kernel offers another port next
        try:
            while len(socks) < count:
                sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                sock.bind((LOOPBACK, 0))
                if sock.getsockname()[1] in _recent and len(recent_seen) < len(_recent):
                    recent_seen.append(sock)
                    continue
                socks.append(sock)
        finally:
            for sock in recent_seen:
                sock.close()
        ports = [s.getsockname()[1] for s in socks]
        _recent.update(dict.fromkeys(ports, now))
        return ports
    except OSError as exc:
        hint = (raise_nofile_hint() if out_of_descriptors(exc)
                else "free some loopback ports (the kernel's ip_local_port_range is exhausted)")
        raise EmulatorError(
            f"ports: could not reserve {count} free loopback ports (got {len(socks)}): {exc.strerror}; {hint}"
        ) from exc
    finally:
        for s in socks:
            s.close()


def out_of_descriptors(exc: OSError) -> bool:
    """Whether ``exc`` is the process's (EMFILE) or the system's (ENFILE) open-files limit."""
    return exc.errno in (errno.EMFILE, errno.ENFILE)


def raise_nofile_hint() -> str:
    """What to do about :func:`out_of_descriptors`, with the current soft limit."""
    import resource

    return f"raise the open-files limit (ulimit -n, now {resource.getrlimit(resource.RLIMIT_NOFILE)[0]})"


def start_ticks(pid: int) -> int:
    """The process's start time in clock ticks since boot (``/proc/<pid>/stat`` field 22); 0 if gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):  # gone
        return 0
    # Any other error (EMFILE: out of descriptors) propagates: 0 would make a running process untrackable.
    # The command name (field 2) may contain spaces: split after its closing parenthesis.
    fields = raw[raw.rindex(")") + 2:].split()
    return int(fields[19])


def _state_char(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return raw[raw.rindex(")") + 2:].split()[0]


def is_ours(proc: Proc) -> bool:
    """True when ``proc.pid`` is still the process we started (same start time, not a zombie)."""
    if proc.pid <= 0 or not proc.start_ticks:
        return False
    if start_ticks(proc.pid) != proc.start_ticks:
        return False
    return _state_char(proc.pid) not in ("Z", "X", "")


def spawn(proc: Proc) -> subprocess.Popen[bytes]:
    """Start ``proc.argv`` in ``proc.dir`` (own session, output to ``server.log``) and record pid/start time."""
    Path(proc.dir).mkdir(parents=True, exist_ok=True)
    with open(proc.log_path, "ab") as log:
        child = subprocess.Popen(
            proc.argv,
            cwd=proc.dir,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
        )
    proc.pid = child.pid
    proc.start_ticks = start_ticks(child.pid)
    return child


def log_tail(proc: Proc, lines: int = 8) -> str:
    """Last lines of the process's log."""
    try:
        text = proc.log_path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.strip().splitlines()[-lines:])


def port_open(port: int) -> bool:
    """True when something accepts connections on ``127.0.0.1:port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.2)
        return s.connect_ex((LOOPBACK, port)) == 0


class Child(Protocol):
    """A started process as ``subprocess.Popen`` shows it (``spawner.Spawned`` too)."""

    pid: int

    def poll(self) -> int | None: ...


def wait_listening(children: Sequence[tuple[Proc, Child]], timeout: float = 10.0) -> None:
    """Wait until every process accepts connections on its port; error with the log tail if one exits."""
    deadline = time.monotonic() + timeout
    pending = list(children)
    while pending:
        still: list[tuple[Proc, Child]] = []
        for proc, child in pending:
            _check_running(proc, child)
            if not port_open(proc.port):
                still.append((proc, child))
        pending = still
        if not pending:  # the port answered: but maybe another program's listener, and ours then failed to bind
            for proc, child in children:
                _check_running(proc, child)
            _check_listeners_are_ours(children)
        if pending:
            if time.monotonic() > deadline:
                names = ", ".join(p.name for p, _ in pending)
                raise EmulatorError(f"timed out after {timeout:.0f}s waiting for {names} to listen")
            # Each probe is a connection the server must accept and close: with hundreds of servers still
            # starting, probe less often (3 ms for a few servers, 50 ms at 500).
            time.sleep(min(0.05, 0.003 + 0.0001 * len(pending)))


def _check_running(proc: Proc, child: Child) -> None:
    status = child.poll()
    if status is not None:
        error = PortRaceError if port_in_use_failure(proc) else EmulatorError
        how = "exited" if status == -1 else f"exited with status {status}"  # -1: collected by someone else
        raise error(
            f"{Path(proc.argv[0]).name if proc.argv else proc.kind} {proc.name} {how} on start:\n{log_tail(proc)}"
        )


def own_ports(proc: Proc) -> set[int]:
    """The ports ``proc`` itself listens on (client ports, cluster bus, endpoint ports)."""
    ports = {proc.port, proc.tls_port, proc.plain_port, proc.cport, *proc.endpoints.values()}
    return {p for p in ports if p}


def _check_listeners_are_ours(children: Sequence[tuple[Proc, Child]]) -> None:
    """A port that answers may be another program's (it took the port between allocation and our bind)."""
    taken = listeners.foreign_listeners({child.pid: own_ports(proc) for proc, child in children})
    if taken:
        raise PortRaceError(f"another program listens on port(s) {', '.join(map(str, taken))} allocated to our "
                            "servers (taken between allocation and bind)")


def port_in_use_failure(proc: Proc) -> bool:
    """True when the process's log says its port was taken (a race with another program)."""
    # Servers print strerror ("Address already in use"); Python's asyncio lower-cases it.
    return os.strerror(errno.EADDRINUSE).lower() in log_tail(proc, 20).lower()


def reap(pid: int) -> None:
    """Collect a child's exit status if it is our child (avoids zombies in long-lived callers)."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def stop(procs: list[Proc], timeout: float = 5.0) -> list[str]:
    """SIGTERM our processes (verified by pid + start time), SIGKILL after ``timeout``; return problems."""
    problems: list[str] = []
    live = [p for p in procs if is_ours(p)]
    for p in live:
        try:
            os.kill(p.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        except PermissionError as exc:
            problems.append(f"{p.name} (pid {p.pid}): {exc}")
    deadline = time.monotonic() + timeout
    while True:
        for p in live:
            reap(p.pid)
        live = [p for p in live if is_ours(p)]
        if not live or time.monotonic() > deadline:
            break
        time.sleep(0.01)
    for p in live:
        with contextlib.suppress(ProcessLookupError):
            os.kill(p.pid, signal.SIGKILL)
    end = time.monotonic() + 2.0
    while live and time.monotonic() < end:
        for p in live:
            reap(p.pid)
        live = [p for p in live if is_ours(p)]
        time.sleep(0.01)
    problems += [f"{p.name} (pid {p.pid}) did not exit" for p in live]
    return problems


def kill_now(proc: Proc) -> None:
    """SIGKILL one of our processes (failover drills) and wait until it is gone."""
    if not is_ours(proc):
        raise EmulatorError(f"{proc.name} (pid {proc.pid}) is not running")
    os.kill(proc.pid, signal.SIGKILL)
    end = time.monotonic() + 5.0
    while is_ours(proc) and time.monotonic() < end:
        reap(proc.pid)
        time.sleep(0.002)
