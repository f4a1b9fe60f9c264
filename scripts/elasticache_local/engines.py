"""Which server binary runs a template's engine: ``valkey-server`` for Valkey, ``redis-server`` for Redis OSS.

Valkey templates run Valkey (Debian bookworm-backports ships ``valkey-server`` 8.0; ``make system-deps`` installs
it) and Redis OSS templates run Redis OSS, so an engine change really switches binaries. Sentinels run the same
engine: ``redis-sentinel`` / ``valkey-sentinel`` when installed, else the server binary with ``--sentinel``
(both packages' sentinel commands are that binary under another name).
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess

from .errors import EmulatorError

#: Engine -> (server binary, sentinel binary, how to install it).
BINARIES = {
    "redis": ("redis-server", "redis-sentinel", "apt-get install redis-server redis-sentinel (or `make system-deps`)"),
    "valkey": ("valkey-server", "valkey-sentinel",
               "`make system-deps` (installs valkey-server from Debian bookworm-backports)"),
}


def server_argv(engine: str, kind: str, conf: str) -> list[str]:
    """Command line of a ``server`` or ``sentinel`` of ``engine`` reading ``conf``; clear error when missing."""
    if engine not in BINARIES:
        raise EmulatorError(f"engine {engine!r}: no local server (allowed: {', '.join(sorted(BINARIES))})")
    server, sentinel, install = BINARIES[engine]
    if kind == "sentinel" and shutil.which(sentinel):
        return [sentinel, conf]
    if shutil.which(server) is None:
        raise EmulatorError(
            f"{server} not found on PATH: {engine} templates run {server} locally; install it with {install}"
        )
    return [server, conf, "--sentinel"] if kind == "sentinel" else [server, conf]


@functools.cache
def binary_version(binary: str) -> str:
    """``redis-server 7.0.15`` style description of a binary (asked once per binary and process)."""
    try:
        out = subprocess.run([binary, "--version"] if "memcached" not in binary else [binary, "-V"],
                             capture_output=True, text=True, timeout=10, check=False).stdout
    except OSError:
        return f"{binary} (not found)"
    match = re.search(r"v=(\S+)", out) or re.search(r"(\d+\.\d+\.\d+)", out)
    return f"{binary} {match.group(1) if match else out.strip()}"
