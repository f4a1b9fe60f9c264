"""``scripts/install-system-deps.sh`` (run by ``make demo``/``make test``): no apt-get at all when everything is
present; when something is missing, ``apt-get update`` first, then an install of exactly what is missing.

The script runs with a PATH of its own holding the real tools it may find and a recording ``apt-get`` stand-in
(the one thing a test cannot run for real: it would change the machine). The stand-in "installs" a package by
linking the real binary into that PATH, so the script's closing version report runs the real servers.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "install-system-deps.sh"
# command -> Debian package the script must ask for when the command is missing.
PACKAGES = {"redis-server": "redis-server", "redis-sentinel": "redis-sentinel", "redis-cli": "redis-tools",
            "memcached": "memcached", "node": "nodejs", "npm": "npm", "make": "make", "valkey-server": "valkey-server"}
TOOLS = ("id", "grep", "cut", "tee", "cat")
APT_GET = """#!{bash}
echo "$*" >> {log}
if [ "$1" = install ]; then
  for arg in "$@"; do
    case "$arg" in
{cases}
    esac
  done
fi
"""


def real(command: str) -> str:
    found = shutil.which(command)
    assert found, f"{command} not on PATH (make system-deps installs it)"
    return found


def sandbox(tmp_path: Path, missing: set[str]) -> tuple[Path, Path]:
    """A bin directory with every tool except ``missing`` and the recording apt-get; returns (bin, log)."""
    bin_dir, log = tmp_path / "bin", tmp_path / "apt-get.log"
    bin_dir.mkdir()
    log.touch()
    python = Path(sys.base_prefix) / "bin" / f"python{sys.version_info.major}.{sys.version_info.minor}"
    (bin_dir / "python3").symlink_to(python)  # the interpreter itself, not a pyenv shim
    for command in (*TOOLS, *PACKAGES):
        if command not in missing:
            (bin_dir / command).symlink_to(real(command))
    cases = "\n".join(f'      {PACKAGES[c]}) {real("ln")} -sf {real(c)} {bin_dir / c} ;;' for c in sorted(missing))
    apt = bin_dir / "apt-get"
    apt.write_text(APT_GET.format(bash=real("bash"), log=log, cases=cases))
    apt.chmod(0o755)
    return bin_dir, log


def run_script(bin_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": str(bin_dir), "HOME": os.environ.get("HOME", "/root"), "LANG": "C.UTF-8"}
    return subprocess.run([real("bash"), str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60,
                          check=False)


@pytest.mark.skipif(os.geteuid() != 0, reason="the script uses sudo unless root; the sandbox has no sudo")
def test_all_present_never_calls_apt_get(tmp_path: Path) -> None:
    bin_dir, log = sandbox(tmp_path, missing=set())
    proc = run_script(bin_dir)
    assert proc.returncode == 0, proc.stderr
    assert log.read_text() == ""
    assert "all present" in proc.stdout and "Valkey server v=" in proc.stdout


@pytest.mark.skipif(os.geteuid() != 0, reason="the script uses sudo unless root; the sandbox has no sudo")
def test_missing_packages_refresh_the_lists_first_then_install_only_those(tmp_path: Path) -> None:
    bin_dir, log = sandbox(tmp_path, missing={"memcached", "node"})
    proc = run_script(bin_dir)
    assert proc.returncode == 0, proc.stderr
    assert log.read_text().splitlines() == [
        "update -qq",
        "install -y -qq --no-install-recommends memcached nodejs",
    ]
    assert "memcached 1." in proc.stdout  # the version report ran the (now present) real binary
