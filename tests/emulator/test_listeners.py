"""Who owns a listening loopback port (netlink sock_diag + /proc/<pid>/fd), on real sockets."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest

from elasticache_local import listeners


@pytest.fixture(params=[0, 2 * listeners.LOW_FDS], ids=["low-fd", "high-fd"])
def own_listener(request: pytest.FixtureRequest) -> Iterator[int]:
    """A socket this process listens on, opened first or after many other sockets (past the low descriptors)."""
    clutter = [socket.socket() for _ in range(request.param)]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield s.getsockname()[1]
    for c in clutter:
        c.close()


@pytest.fixture
def other_listener() -> Iterator[int]:
    """A port another process listens on."""
    code = ("import socket,sys; s=socket.socket(); s.bind(('127.0.0.1',0)); s.listen(); "
            "print(s.getsockname()[1], flush=True); sys.stdin.read()")
    child = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        yield int(child.stdout.readline())
    finally:
        child.kill()
        child.wait()


def test_listening_inodes_lists_a_loopback_listener(own_listener: int) -> None:
    assert listeners.listening_inodes().get(own_listener)


def test_own_listener_is_not_foreign(own_listener: int) -> None:
    assert listeners.foreign_listeners({os.getpid(): {own_listener}}) == []


def test_another_process_listener_is_foreign(own_listener: int, other_listener: int) -> None:
    assert listeners.foreign_listeners({os.getpid(): {own_listener, other_listener}}) == [other_listener]


def test_port_without_listener_is_not_foreign() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))  # bound, not listening
        port = s.getsockname()[1]
        assert listeners.foreign_listeners({os.getpid(): {port}}) == []


def test_holds_sockets_of_a_gone_process_is_all_false() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert listeners.holds_sockets(child.pid, [{1}, {2}]) == [False, False]
