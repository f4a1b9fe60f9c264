"""Starting a batch of servers together, gated, in one session of their own.

A server started early competes for the CPU with the ones still being spawned (a cluster node dials every peer
it knows from ``nodes.conf`` at once): 200 cluster nodes spawned one by one took 11 s to listen on this 2-core
machine. So a batch is forked behind a gate (a ``/bin/sh`` that ``exec``s the server when a line arrives on its
stdin, same pid) and released at once. Each pid is tracked (``started``) from the fork, before the gate opens; if
``up`` dies before the release, the gates read end of file and the children exit unstarted.

The batch is forked by a short-lived helper process (this file run as a script, standard library only) that starts a
new session first, so the whole batch shares one session. With the kernel's session autogrouping
(``sched_autogroup_enabled``, ``man 7 sched``) every session is one scheduling group: a server each in its own
session made a 500-node cluster 500 groups against the one of ``up`` (and of the user's shell), and while the
cluster bus meshes (70-90 s of CPU for 500 nodes here) ``up`` got about 1/500 of the machine. Measured on a 500-node
``up``: the servers listened (readiness probes plus the check of who owns each port) after 30-45 s, and after 6-13 s
in one session; the check alone took 17-36 s then, 0.1 s on an idle machine. In one session the batch gets one
share, ``up`` another.

The helper exits once the gates are open; ``up`` makes itself the children's subreaper (``PR_SET_CHILD_SUBREAPER``,
``man 2 prctl``), so the servers become its children as if it had forked them itself: exit statuses are collected
and a server that exits at start is reported with its status.

Protocol on the helper's stdin/stdout: one JSON line ``{"argv", "cwd", "log"}`` per process, answered with the
pid (or ``error <reason>``); then ``go`` releases every gate. End of file instead closes them unreleased.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from .runtime import Proc

#: The gate every batch-spawned child waits behind: ``exec`` the server once a line arrives, exit 1 on end of
#: file (``up`` died before releasing the batch, so nothing starts behind its back).
GATE = 'IFS= read -r _ || exit 1; exec "$@"'
PR_SET_CHILD_SUBREAPER = 36


class Spawned:
    """A batch-spawned process: its pid, whether it still runs, and its exit status once it exited."""

    def __init__(self, proc: Proc) -> None:
        self.proc = proc
        self.pid = proc.pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        """``None`` while the process runs, else its exit status (-N: killed by signal N; -1: status unknown)."""
        if self.returncode is not None:
            return self.returncode
        try:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
        except ChildProcessError:  # not (or no longer) our child: the helper's still, or collected elsewhere
            from .runtime import is_ours

            if is_ours(self.proc):
                return None
            self.returncode = -1
            return self.returncode
        if pid == 0:
            return None
        self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode


def _become_subreaper() -> None:
    """Orphaned descendants (the servers, once the helper exits) become this process's children."""
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def spawn_gated(procs: list[Proc], started: Callable[[Proc], None]) -> list[tuple[Proc, Spawned]]:
    """Start ``procs`` behind a gate in one new session, then release them all; ``started`` follows each fork."""
    from .errors import EmulatorError
    from .runtime import start_ticks

    if not procs:
        return []
    _become_subreaper()
    helper = subprocess.Popen(
        [sys.executable, "-I", "-S", __file__], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        start_new_session=True, close_fds=True, text=True,
    )
    assert helper.stdin is not None and helper.stdout is not None
    children: list[tuple[Proc, Spawned]] = []
    complete = False
    try:
        for proc in procs:
            try:
                Path(proc.dir).mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise EmulatorError(f"could not start {proc.name}: {exc}") from exc
            helper.stdin.write(json.dumps({"argv": proc.argv, "cwd": proc.dir, "log": str(proc.log_path)}) + "\n")
            helper.stdin.flush()
            answer = helper.stdout.readline().strip()
            if not answer.isdigit():
                raise EmulatorError(f"could not start {proc.name}: {answer or 'the spawn helper exited'}")
            proc.pid = int(answer)
            proc.start_ticks = start_ticks(proc.pid)
            children.append((proc, Spawned(proc)))
            started(proc)
        complete = True
    finally:  # released on success; on an error or interrupt the gates close and the children exit unstarted
        with contextlib.suppress(OSError):
            if complete:
                helper.stdin.write("go\n")
            helper.stdin.close()
        helper.wait()  # once it has exited, the released servers are our children (subreaper)
        helper.stdout.close()
    return children


def _serve(requests: IO[str], answers: IO[str]) -> int:
    """The helper: fork each requested process behind its gate, answer its pid; open the gates on ``go``."""
    gates: list[IO[bytes]] = []
    released = False
    try:
        for line in requests:
            if line.strip() == "go":
                released = True
                break
            spec = json.loads(line)
            try:
                with open(spec["log"], "ab") as log:
                    child = subprocess.Popen(
                        ["/bin/sh", "-c", GATE, spec["argv"][0], *spec["argv"]], cwd=spec["cwd"],
                        stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT, close_fds=True,
                    )
            except OSError as exc:
                answers.write(f"error {exc}\n")
                answers.flush()
                break
            assert child.stdin is not None
            gates.append(child.stdin)
            answers.write(f"{child.pid}\n")
            answers.flush()
    finally:
        for gate in gates:
            with contextlib.suppress(OSError):
                if released:
                    gate.write(b"go\n")
                gate.close()
    return 0 if released else 1


if __name__ == "__main__":
    sys.exit(_serve(sys.stdin, sys.stdout))
