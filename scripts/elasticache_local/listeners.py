"""Which process owns a listening loopback port.

A port is picked free (``runtime.allocate_ports``) and bound later by the server, so another program can take it in
between: another emulator's server (parallel test workers), or any program that binds a port of its choice (ports
are drawn below the ephemeral range, so outgoing connections do not take them). A connection probe cannot tell whose
listener answers, so readiness also checks that the listening socket is one of our process's file descriptors. The
kernel lists listening TCP sockets over netlink ``sock_diag`` (the interface ``ss -l`` uses; see ``man 7
sock_diag``): one request returns only sockets in the LISTEN state, so the cost does not grow with the cluster bus
connections of a large cluster, as reading ``/proc/net/tcp`` would.
"""

from __future__ import annotations

import os
import socket
import struct

NETLINK_SOCK_DIAG = 4
SOCK_DIAG_BY_FAMILY = 20
NLM_F_REQUEST, NLM_F_DUMP = 0x1, 0x300
NLMSG_DONE, NLMSG_ERROR = 3, 2
TCP_LISTEN = 10
_NLMSG = struct.Struct("=IHHII")  # len, type, flags, seq, pid
# inet_diag_req_v2: family, protocol, ext, pad, states, then inet_diag_sockid (ports, addresses, if, cookie)
_REQ = struct.Struct("=BBBxI")
_SOCKID_BYTES = 48
# inet_diag_msg: family, state, timer, retrans, sockid (48 bytes), expires, rqueue, wqueue, uid, inode
_MSG = struct.Struct("=BBBB48sIIIII")


_REACHES_LOOPBACK = (socket.inet_aton("127.0.0.1"), socket.inet_aton("0.0.0.0"))


def listening_inodes() -> dict[int, set[int]]:
    """Port -> socket inodes of the listening IPv4 TCP sockets that a client of ``127.0.0.1:port`` can reach."""
    found: dict[int, set[int]] = {}
    with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_SOCK_DIAG) as nl:
        body = _REQ.pack(socket.AF_INET, socket.IPPROTO_TCP, 0, 1 << TCP_LISTEN) + bytes(_SOCKID_BYTES)
        nl.send(_NLMSG.pack(_NLMSG.size + len(body), SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST | NLM_F_DUMP, 1, 0) + body)
        while True:
            data = nl.recv(1 << 16)
            offset = 0
            while offset + _NLMSG.size <= len(data):
                length, kind, _flags, _seq, _pid = _NLMSG.unpack_from(data, offset)
                if kind == NLMSG_DONE:
                    return found
                if kind == NLMSG_ERROR:
                    raise OSError("sock_diag refused the listening-socket request")
                _fam, _state, _timer, _retrans, sockid, *_rest, inode = _MSG.unpack_from(data, offset + _NLMSG.size)
                if sockid[4:8] in _REACHES_LOOPBACK:
                    found.setdefault(struct.unpack(">H", sockid[:2])[0], set()).add(inode)
                offset += (length + 3) & ~3
            if not data:
                return found


#: Descriptors read one by one before listing the whole table (a server's listening sockets are among its first).
LOW_FDS = 64


def holds_sockets(pid: int, wanted: list[set[int]]) -> list[bool]:
    """For each set of socket inodes in ``wanted``: does process ``pid`` hold one of them open?

    A server opens its listening sockets at start, before its cluster-bus links, so its lowest descriptors are
    read first, one ``readlink`` each, and the scan stops once every set is matched; only when that fails is the
    whole descriptor table listed. Listing it for every node of a freshly started 500-node cluster (about a
    thousand bus sockets each) took 28.5 s here, on a machine the cluster's mesh keeps busy.
    """
    found = [False] * len(wanted)
    if not wanted:
        return found
    fd_dir = f"/proc/{pid}/fd"

    def look(name: str | int) -> bool:
        try:
            target = os.readlink(f"{fd_dir}/{name}")
        except OSError:
            return False
        if target.startswith("socket:["):
            inode = int(target[8:-1])
            for i, inodes in enumerate(wanted):
                found[i] = found[i] or inode in inodes
        return all(found)

    if any(look(fd) for fd in range(LOW_FDS)):
        return found
    try:
        names = os.listdir(fd_dir)
    except OSError:
        return found
    for name in names:
        if int(name) >= LOW_FDS and look(name):
            break
    return found


def foreign_listeners(owners: dict[int, set[int]]) -> list[int]:
    """Of ``pid -> ports``, the ports where another process listens (a port with no listener yet is not one)."""
    listening = listening_inodes()
    taken: list[int] = []
    for pid, ports in owners.items():
        bound = sorted(port for port in ports if listening.get(port))
        held = holds_sockets(pid, [listening[port] for port in bound])
        taken += [port for port, ours in zip(bound, held, strict=True) if not ours]
    return sorted(taken)
