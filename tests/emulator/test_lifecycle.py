"""``up`` / ``down`` lifecycle through the real command line: nothing left behind, refusals, stale state, and
clear errors for bad options. Starts real servers (the small serverless template: 2 processes)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from elasticache_local import cli
from elasticache_local import state as st
from elasticache_local.runtime import is_ours

from .conftest import TEMPLATES, engine, requires_servers

ROOT = Path(__file__).resolve().parents[2]
LOCAL = ROOT / "scripts" / "local.py"


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(LOCAL), *args], cwd=cwd, capture_output=True, text=True, timeout=120,
                          check=False)


@pytest.mark.live
@requires_servers
def test_cli_up_status_down_leaves_nothing_behind(tmp_path: Path) -> None:
    assembly = str(TEMPLATES / "serverless")
    up = _run("up", "--assembly", assembly, cwd=tmp_path)
    assert up.returncode == 0, up.stderr
    want = {"valkey": "valkey 8 requested -> running valkey-server 8.",
            "redis": "redis 7 requested -> running redis-server 7."}
    assert want[engine("valkey")] in up.stdout
    state_dir = tmp_path / st.DEFAULT_STATE_DIR
    outputs = tmp_path / st.DEFAULT_OUTPUTS_FILE
    state = st.load(state_dir)
    assert state is not None
    procs = state.procs
    assert len(procs) == 2 and all(is_ours(p) for p in procs)
    assert json.loads(outputs.read_text())["Serverless"]["FlexEndpointAddress"] == "127.0.0.1"

    again = _run("up", "--assembly", assembly, cwd=tmp_path)
    assert again.returncode == 0, again.stderr  # `up` reconciles: the same assembly is no change
    assert "plan: no changes" in again.stdout

    status = _run("status", cwd=tmp_path)
    assert status.returncode == 0 and status.stdout.count(" ok ") == 2

    down = _run("down", cwd=tmp_path)
    assert down.returncode == 0, down.stderr
    assert not any(is_ours(p) for p in procs)
    assert not any(Path(f"/proc/{p.pid}").exists() and is_ours(p) for p in procs)
    assert not state_dir.exists() and not outputs.exists()
    assert list(tmp_path.iterdir()) == []

    assert _run("down", cwd=tmp_path).stdout.startswith("down: nothing running")
    assert _run("status", cwd=tmp_path).returncode == 3


@pytest.mark.live
@requires_servers
def test_stale_state_after_a_crash_is_cleaned_up(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--assembly", str(TEMPLATES / "serverless"), "--state-dir", str(tmp_path / "s"),
            "--outputs-file", str(tmp_path / "o.json")]
    assert cli.main(["up", *args]) == 0
    state = st.load(tmp_path / "s")
    assert state is not None
    for p in state.procs:  # simulate a crash: every process gone, state file still there
        os.kill(p.pid, signal.SIGKILL)
        os.waitpid(p.pid, 0)
    capsys.readouterr()
    assert cli.main(["up", *args]) == 0
    assert "stale state" in capsys.readouterr().out
    assert cli.main(["down", "--state-dir", str(tmp_path / "s")]) == 0
    assert not (tmp_path / "s").exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["up", "--assembly", "/nonexistent"], "--assembly '/nonexistent': no manifest.json there"),
        (["up", "--assembly", str(TEMPLATES / "serverless"), "--stack", "Nope"],
         "--stack Nope: not in the assembly; known: Serverless"),
        (["up", "--assembly", str(TEMPLATES / "serverless"), "--parameter", "oops"],
         "--parameter 'oops': expected STACK:NAME=VALUE"),
        (["failover", "Nope"], "failover: nothing running from"),
    ],
)
def test_bad_options_are_clear_errors(
    argv: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main([*argv, "--state-dir", str(tmp_path / "s")])
    assert code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "s").exists()  # a failed command leaves no state dir behind


@pytest.mark.live
@requires_servers
@pytest.mark.parametrize("taker", ["commands.py", "fronts.py"])
def test_up_retries_when_another_program_takes_an_allocated_port(
    taker: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ports are picked free and bound later; another program (often a client's outgoing connection) can take one
    in between. ``up`` starts again on new ports, whether a server (``commands.py``) or the endpoint process serving
    ``preferred`` TLS fronts (``fronts.py``, a Python process whose error message differs) lost the race."""
    import inspect
    import socket

    from elasticache_local import commands, runtime

    squatter = socket.socket()
    squatter.bind(("127.0.0.1", 0))
    squatter.listen()
    real = runtime.allocate_ports
    raced: list[int] = []

    def allocate(count: int) -> list[int]:
        ports = real(count)
        if not raced and Path(inspect.stack()[1].filename).name == taker:
            raced.append(squatter.getsockname()[1])
            ports[0] = raced[0]
        return ports

    monkeypatch.setattr(runtime, "allocate_ports", allocate)
    lines: list[str] = []
    state_dir = tmp_path / "state"
    try:
        state = commands.up(commands.UpOptions(assembly=TEMPLATES / "small_clusters", state_dir=state_dir,
                                               outputs_file=tmp_path / "outputs.json"), log=lines.append)
        assert raced and any("retrying with new ports" in line for line in lines), lines
        ports = {p.port for p in state.procs} | {p.front_port for p in state.procs if p.front_port}
        assert raced[0] not in ports
        assert all(is_ours(p) for p in state.procs)
    finally:
        commands.down(state_dir, log=lambda _line: None)
        squatter.close()
