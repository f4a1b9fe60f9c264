"""Port allocation (runtime.allocate_ports) on real sockets."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from elasticache_local import runtime


def test_ports_are_distinct_and_below_the_ephemeral_range() -> None:
    ports = runtime.allocate_ports(200)
    assert len(set(ports)) == 200
    assert all(runtime.PORT_FLOOR <= p < runtime._ephemeral_floor() for p in ports)


def test_well_known_ports_are_never_handed_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runtime, "PORT_FLOOR", 11210)
    (tmp_path / "range").write_text("11213\t60999\n")  # 11210-11212: Memcached's 11211 in the middle
    monkeypatch.setattr(runtime, "_EPHEMERAL_RANGE", tmp_path / "range")
    assert 11211 not in runtime.allocate_ports(3)


def test_consecutive_allocations_never_share_a_port(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runtime, "_recent", {})
    monkeypatch.setattr(runtime, "PORT_FLOOR", 20000)  # a range of two ports: the first call takes both
    (tmp_path / "range").write_text("20002\t60999\n")
    monkeypatch.setattr(runtime, "_EPHEMERAL_RANGE", tmp_path / "range")
    first = runtime.allocate_ports(2)
    assert sorted(first) == [20000, 20001]
    assert not set(first) & set(runtime.allocate_ports(2))


def test_a_taken_port_is_skipped_and_a_full_range_falls_back_to_the_kernel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    taken = socket.socket()
    try:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        monkeypatch.setattr(runtime, "PORT_FLOOR", port)  # a range of 3 ports, the first one taken
        (tmp_path / "range").write_text(f"{port + 3}\t60999\n")
        monkeypatch.setattr(runtime, "_EPHEMERAL_RANGE", tmp_path / "range")
        ports = runtime.allocate_ports(5)
    finally:
        taken.close()
    assert len(set(ports)) == 5 and port not in ports
    assert len([p for p in ports if port < p < port + 3]) == 2  # both free ones of the range, then the kernel's


def test_an_unreadable_ephemeral_range_means_linux_s_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runtime, "_EPHEMERAL_RANGE", tmp_path / "missing")
    assert runtime._ephemeral_floor() == 32768
