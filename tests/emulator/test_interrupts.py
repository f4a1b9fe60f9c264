"""Interrupting ``up`` leaves nothing running: SIGINT/SIGTERM at every stage, SIGKILL then ``down``, a node that
fails to start, and bad input (missing binary, ports exhausted, unreadable template) before any process starts.

``up`` runs as the real command line in a subprocess, paused at a named stage with ``ELASTICACHE_LOCAL_PAUSE_AT``;
the processes it started are read from its journal while it is paused and checked afterwards by PID + start time.
"""

from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from elasticache_local import cli, interrupts
from elasticache_local import state as st
from elasticache_local.runtime import Proc, is_ours

from .conftest import TEMPLATES, WRITTEN_TEMPLATES, engine, requires_servers

ROOT = Path(__file__).resolve().parents[2]
LOCAL = ROOT / "scripts" / "local.py"
pytestmark = [pytest.mark.live, requires_servers]


def _start_up(tmp: Path, template: str, stage: str) -> tuple[subprocess.Popen[str], Path, Path]:
    state_dir, outputs = tmp / "state", tmp / "outputs.json"
    env = {**os.environ, interrupts.PAUSE_ENV: stage}
    proc = subprocess.Popen(
        [sys.executable, str(LOCAL), "up", "--assembly", str(TEMPLATES / template), "--state-dir", str(state_dir),
         "--outputs-file", str(outputs)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    marker = state_dir / f"paused-{stage}"
    deadline = time.monotonic() + 60
    while not marker.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"up never reached {stage}: {proc.communicate()}")
        time.sleep(0.02)
    return proc, state_dir, outputs


def _started(state_dir: Path) -> list[Proc]:
    procs = st.journaled(state_dir)
    assert procs and all(is_ours(p) for p in procs)
    return procs


@pytest.mark.parametrize(
    ("stage", "sig"),
    [
        ("servers-spawned", signal.SIGINT),
        ("servers-listening", signal.SIGTERM),
        ("sentinels-spawned", signal.SIGTERM),
        ("groups-ready", signal.SIGINT),
        ("outputs-written", signal.SIGTERM),
    ],
)
def test_signal_at_any_stage_stops_everything_up_started(stage: str, sig: signal.Signals, tmp_path: Path) -> None:
    up, state_dir, outputs = _start_up(tmp_path, "sentinel", stage)
    started = _started(state_dir)
    up.send_signal(sig)
    _, err = up.communicate(timeout=30)
    assert up.returncode == 130, err
    assert "interrupted" in err
    assert [p.name for p in started if is_ours(p)] == []
    assert not state_dir.exists() and not outputs.exists()


def test_up_killed_outright_leaves_a_journal_that_down_stops(tmp_path: Path) -> None:
    up, state_dir, _ = _start_up(tmp_path, "sentinel", "servers-listening")
    started = _started(state_dir)
    up.kill()
    up.wait(timeout=10)
    assert all(is_ours(p) for p in started)  # nothing could clean up after SIGKILL...
    again = subprocess.run([sys.executable, str(LOCAL), "up", "--assembly", str(TEMPLATES / "sentinel"),
                            "--state-dir", str(state_dir)], capture_output=True, text=True, timeout=60, check=False)
    assert again.returncode == 2 and "processes of an interrupted `up`" in again.stderr
    down = subprocess.run([sys.executable, str(LOCAL), "down", "--state-dir", str(state_dir)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert down.returncode == 0, down.stderr
    assert f"stopped {len(started)} processes of an interrupted `up`" in down.stdout
    assert [p.name for p in started if is_ours(p)] == []  # ...but `down` stops every one of them
    assert not state_dir.exists()


def test_a_node_that_fails_to_start_is_a_clear_error_and_nothing_stays(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[Proc] = []
    real_record = st.record_started

    def record(state_dir: Path, proc: Proc) -> None:
        seen.append(proc)
        real_record(state_dir, proc)

    monkeypatch.setattr(st, "record_started", record)
    code = cli.main(["up", "--assembly", str(TEMPLATES / "bad_node"), "--state-dir", str(tmp_path / "s"),
                     "--outputs-file", str(tmp_path / "o.json")])
    err = capsys.readouterr().err
    assert code == 2
    assert f"{engine('valkey')}-server badcachec3-" in err and "exited with status 1 on start" in err
    assert "'databases 0'" in err  # the server's own reason, from its log
    assert len(seen) == 4 and [p.name for p in seen if is_ours(p)] == []
    assert not (tmp_path / "s").exists() and not (tmp_path / "o.json").exists()


def _unreadable_template(tmp: Path) -> Path:
    asm = tmp / "asm"
    asm.mkdir()
    (asm / "manifest.json").write_text((TEMPLATES / "serverless" / "manifest.json").read_text())
    (asm / "Serverless.template.json").write_text("{ not json")
    return asm


def _fill_descriptors() -> list[int]:
    """Open every free descriptor up to the highest one in use (whatever earlier tests left open); return them.

    Unreachable objects holding descriptors (a socket an earlier test dropped in a reference cycle) are collected
    first: collected later, in the middle of the command under test, they would free descriptors behind its back
    (a clean-clone CI run saw ``up`` succeed with "4 free" descriptors, 7 being what it needs).
    """
    gc.collect()
    highest = max(int(fd) for fd in os.listdir("/proc/self/fd"))
    fds = [os.open(os.devnull, os.O_RDONLY)]
    while fds[-1] < highest:
        fds.append(os.open(os.devnull, os.O_RDONLY))
    return fds


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("missing-binary", "valkey-server not found on PATH: valkey templates run valkey-server locally; install it"),
        ("ports-exhausted", "ports: could not reserve"),
        ("unreadable-template", "Serverless.template.json"),
    ],
)
def test_bad_input_is_a_clear_error_before_any_process_starts(
    case: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assembly = TEMPLATES / "serverless"
    if case == "missing-binary":  # about the Valkey binary: the template as written, whatever the session forces
        assembly = WRITTEN_TEMPLATES / "serverless"
        bin_dir = tmp_path / "bin"
        bin_dir.mkdir()
        for name in ("redis-server", "redis-sentinel", "memcached"):
            (bin_dir / name).symlink_to(f"/usr/bin/{name}")
        monkeypatch.setenv("PATH", str(bin_dir))
    elif case == "ports-exhausted":
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        # Leave exactly 2 descriptors free: enough for the state dir's lock file, not for the 4 ports.
        fds = _fill_descriptors()
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(fds) + 3, hard))
    else:
        assembly = _unreadable_template(tmp_path)
    spawned: list[Proc] = []
    monkeypatch.setattr(st, "record_started", lambda _d, p: spawned.append(p))
    try:
        code = cli.main(["up", "--assembly", str(assembly), "--state-dir", str(tmp_path / "s"),
                         "--outputs-file", str(tmp_path / "o.json")])
    finally:
        if case == "ports-exhausted":
            resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
            for fd in fds:
                os.close(fd)
    assert code == 2
    assert message in capsys.readouterr().err
    assert spawned == []
    assert not (tmp_path / "s").exists()


def _running_under(directory: Path) -> list[int]:
    """Pids of live processes whose working directory is under ``directory``."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if str(directory) in os.readlink(f"/proc/{pid}/cwd") and \
                    Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1][0] != "Z":
                found.append(int(pid))
        except OSError:
            pass
    return found


@requires_servers
def test_running_out_of_descriptors_at_any_point_is_a_clear_error_and_leaves_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An open-files limit reached anywhere in ``up`` (the state lock, the ports, the spawn helper's pipes, reading a
    child's start time) is exit 2 naming the limit, or success: never a traceback, never a process left behind."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    fds = _fill_descriptors()  # no free descriptor below the limit but the ones each step leaves
    outcomes = []
    try:
        for extra in range(1, 10):
            run = tmp_path / f"limit-{extra}"
            resource.setrlimit(resource.RLIMIT_NOFILE, (fds[-1] + extra, hard))
            try:
                code = cli.main(["up", "--assembly", str(TEMPLATES / "serverless"), "--state-dir", str(run / "s"),
                                 "--outputs-file", str(run / "o.json")])
            finally:
                resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
            err = capsys.readouterr().err
            if code == 0:
                cli.main(["down", "--state-dir", str(run / "s")])
            left = _running_under(run)
            for pid in left:
                os.kill(pid, signal.SIGKILL)
            outcomes.append(code)
            assert code in (0, 2) and left == [], (extra, code, left, err)
            assert code == 0 or "open-files limit (ulimit -n" in err, err
    finally:
        for fd in fds:
            os.close(fd)
    assert 2 in outcomes and 0 in outcomes  # the sweep crossed the limit up needs
