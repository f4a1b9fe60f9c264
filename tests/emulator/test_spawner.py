"""Gated batch spawning in one session of the batch's own (spawner.py), with real processes."""

from __future__ import annotations

import io
import json
import os
import time
from pathlib import Path

import pytest

from elasticache_local import runtime, spawner
from elasticache_local.errors import EmulatorError
from elasticache_local.runtime import Proc


def _procs(tmp_path: Path, *argvs: list[str]) -> list[Proc]:
    return [Proc(kind="redis", stack="S", resource="R", group="g", name=f"p{i}", port=0, dir=str(tmp_path / f"p{i}"),
                 argv=argv) for i, argv in enumerate(argvs)]


def _cmdline(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/cmdline").read_text().split("\0")[:-1]


def _exec_cmdline(pid: int) -> list[str]:
    """The command line once ``exec`` has set it up: ``Popen`` returns when the exec began (its error pipe closes on
    exec), and until the kernel has laid out the new argument area ``/proc/<pid>/cmdline`` reads empty."""
    deadline = time.monotonic() + 5
    while not (argv := _cmdline(pid)):
        assert time.monotonic() < deadline, f"pid {pid} has no command line"
        time.sleep(0.001)
    return argv


def _wait_exit(child: spawner.Spawned) -> int:
    deadline = time.monotonic() + 5
    while (status := child.poll()) is None:
        assert time.monotonic() < deadline, "process did not exit"
        time.sleep(0.01)
    return status


def test_batch_is_tracked_before_release_and_shares_one_new_session(tmp_path: Path) -> None:
    procs = _procs(tmp_path, ["sleep", "30"], ["sleep", "31"], ["sleep", "32"])
    at_start: list[list[str]] = []
    children = spawner.spawn_gated(procs, lambda p: at_start.append(_exec_cmdline(p.pid)))
    try:
        assert all(argv[:2] == ["/bin/sh", "-c"] for argv in at_start), at_start  # journaled while still gated
        deadline = time.monotonic() + 5
        while any(_cmdline(p.pid) != p.argv for p in procs):
            assert time.monotonic() < deadline, [_cmdline(p.pid) for p in procs]
            time.sleep(0.01)
        sessions = {os.getsid(p.pid) for p in procs}
        assert len(sessions) == 1 and os.getsid(0) not in sessions
        assert all(runtime.is_ours(p) and child.poll() is None for p, child in children)
        for p in procs:
            os.kill(p.pid, 15)
        assert [_wait_exit(child) for _, child in children] == [-15, -15, -15]  # our children: we get the status
    finally:
        assert runtime.stop(procs) == []


def test_a_process_that_exits_at_start_reports_its_status(tmp_path: Path) -> None:
    [(proc, child)] = spawner.spawn_gated(_procs(tmp_path, ["sh", "-c", "echo bye; exit 3"]), lambda _p: None)
    assert _wait_exit(child) == 3
    assert "bye" in runtime.log_tail(proc)


def test_an_interrupted_batch_starts_nothing(tmp_path: Path) -> None:
    procs = _procs(tmp_path, ["sleep", "30"], ["sleep", "31"])
    seen: list[Proc] = []

    def started(proc: Proc) -> None:
        seen.append(proc)
        if len(seen) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        spawner.spawn_gated(procs, started)
    deadline = time.monotonic() + 5
    while any(runtime.is_ours(p) for p in seen):
        assert time.monotonic() < deadline, "a gated process outlived the interrupted batch"
        time.sleep(0.01)
    assert all(not Path(p.log_path).exists() or "sleep" not in Path(p.log_path).read_text() for p in seen)


def test_a_batch_that_cannot_start_names_the_process(tmp_path: Path) -> None:
    procs = _procs(tmp_path, ["sleep", "30"])
    Path(procs[0].dir).write_text("a file where the node's directory goes")
    with pytest.raises(EmulatorError, match=r"could not start p0: .*File exists"):
        spawner.spawn_gated(procs, lambda _p: None)


def test_the_helper_answers_an_error_and_opens_no_gate(tmp_path: Path) -> None:
    good = {"argv": ["sleep", "30"], "cwd": str(tmp_path), "log": str(tmp_path / "good.log")}
    bad = {"argv": ["sleep", "30"], "cwd": str(tmp_path / "missing"), "log": str(tmp_path / "bad.log")}
    answers = io.StringIO()
    assert spawner._serve(io.StringIO(f"{json.dumps(good)}\n{json.dumps(bad)}\ngo\n"), answers) == 1
    pid, error = answers.getvalue().splitlines()
    assert error.startswith("error ") and "missing" in error
    assert os.waitpid(int(pid), 0)[1] >> 8 == 1  # the first one's gate closed unreleased: it exited, unstarted
