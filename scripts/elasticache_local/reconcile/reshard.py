"""Online resharding: move slots between primaries by live key migration, as ElastiCache's online resharding does.

ElastiCache adds or removes shards and rebalances slots while the cluster serves reads and writes
(https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/scaling-redis-cluster-mode-enabled.html). Locally
each slot moves with Redis Cluster's own protocol
(https://redis.io/docs/latest/operate/oss_and_stack/management/scaling/ and ``CLUSTER SETSLOT``): the target
marks the slot IMPORTING, the source MIGRATING, keys move with ``MIGRATE ... KEYS`` (values and TTLs, atomically
per batch; clients follow ASK redirects meanwhile), then ``SETSLOT NODE`` on the target, the source and every
other primary. Slots move in chunks whose state changes are pipelined, and different (source, target) pairs
move in parallel: far fewer round trips than ``redis-cli --cluster rebalance`` (one MIGRATE per 10 keys).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import redis

from ..acl import ADMIN_USER
from ..model import TOTAL_SLOTS, even_slots

#: Slots whose state changes travel in one pipeline; keys per MIGRATE.
SLOT_CHUNK = 256
KEYS_PER_MIGRATE = 1000
MIGRATE_TIMEOUT_MS = 60000
MAX_PARALLEL_PAIRS = 4
MIGRATE_RETRIES, RETRY_PAUSE = 50, 0.1


def _transient(exc: Exception) -> bool:
    """A migration error that clears by itself (cluster state settling, a failover, a slow target)."""
    text = str(exc)
    return any(m in text for m in ("cluster is down", "TRYAGAIN", "IOERR", "timeout", "Target instance replied"))


@dataclass
class Member:
    """A primary taking part in a resharding: its node id, client port and an admin client."""

    node_id: str
    port: int
    client: redis.Redis


def balanced_owners(owners: list[int | None], keep: list[int], count: int) -> list[int]:
    """New slot owner (shard index 0..count-1) of every slot, moving as few slots as possible.

    ``owners[slot]`` is the shard owning the slot now (``None``: a removed shard); ``keep`` the shard indexes that
    stay. Every shard ends up with the even split's slot count (ElastiCache distributes slots evenly); a shard above
    its count gives up its highest slots, a shard below takes from that pool.
    """
    sizes = [b - a + 1 for ((a, b),) in even_slots(count)]
    mine: dict[int, list[int]] = {i: [] for i in range(count)}
    pool: list[int] = []
    for slot, owner in enumerate(owners):
        if owner is not None and owner in keep and owner < count:
            mine[owner].append(slot)
        else:
            pool.append(slot)
    for i in range(count):
        extra = len(mine[i]) - sizes[i]
        if extra > 0:
            pool += mine[i][-extra:]
            del mine[i][-extra:]
    pool.sort()
    for i in range(count):
        need = sizes[i] - len(mine[i])
        if need > 0:
            mine[i] += pool[:need]
            del pool[:need]
    out = [0] * TOTAL_SLOTS
    for i, slots in mine.items():
        for s in slots:
            out[s] = i
    return out


def ranges(slots: list[int]) -> list[tuple[int, int]]:
    """Sorted slot numbers -> contiguous ranges."""
    out: list[tuple[int, int]] = []
    for s in sorted(slots):
        if out and s == out[-1][1] + 1:
            out[-1] = (out[-1][0], s)
        else:
            out.append((s, s))
    return out


def _chunk_move(src: Member, dst: Member, slots: list[int], password: str) -> int:
    """Move ``slots`` from ``src`` to ``dst``; return the number of keys moved."""
    pipe = dst.client.pipeline(transaction=False)
    for s in slots:
        pipe.execute_command("CLUSTER", "SETSLOT", s, "IMPORTING", src.node_id)
    pipe.execute()
    pipe = src.client.pipeline(transaction=False)
    for s in slots:
        pipe.execute_command("CLUSTER", "SETSLOT", s, "MIGRATING", dst.node_id)
    pipe.execute()
    moved = 0
    retries = 0
    pending = list(slots)
    while pending:
        pipe = src.client.pipeline(transaction=False)
        for s in pending:
            pipe.execute_command("CLUSTER", "GETKEYSINSLOT", s, KEYS_PER_MIGRATE)
        batches = pipe.execute()
        pending = [s for s, keys in zip(pending, batches, strict=True) if keys]
        if not pending:
            break
        pipe = src.client.pipeline(transaction=False)
        for keys in batches:
            if keys:
                pipe.execute_command("MIGRATE", "127.0.0.1", dst.port, "", 0, MIGRATE_TIMEOUT_MS,
                                     "AUTH2", ADMIN_USER, password, "KEYS", *keys)
        results = pipe.execute(raise_on_error=False)
        errors = [r for r in results if isinstance(r, Exception)]
        moved += sum(len(k) for k, r in zip([b for b in batches if b], results, strict=True)
                     if not isinstance(r, Exception))
        if errors:  # keys not moved stay on the source: retried on the next round (bounded)
            retries += 1
            if retries > MIGRATE_RETRIES or not all(_transient(e) for e in errors):
                raise errors[0]
            time.sleep(RETRY_PAUSE)
    # Target first, then the source (the order the Redis Cluster spec asks for); the other primaries once per
    # pair (`_inform`): until then they redirect to the source, which redirects to the target.
    for member in [dst, src]:
        pipe = member.client.pipeline(transaction=False)
        for s in slots:
            pipe.execute_command("CLUSTER", "SETSLOT", s, "NODE", dst.node_id)
        pipe.execute()
    return moved


def move_slots(
    moves: dict[tuple[int, int], list[int]],
    members: dict[int, Member],
    password: str,
    progress: Callable[[str], None] | None = None,
) -> int:
    """Run every (source shard, target shard) -> slots move; pairs in parallel. Return keys moved."""
    def run_pair(pair: tuple[int, int]) -> int:
        src, dst = members[pair[0]], members[pair[1]]
        others = [m for i, m in members.items() if i not in pair]
        slots = sorted(moves[pair])
        total = 0
        for i in range(0, len(slots), SLOT_CHUNK):
            total += _chunk_move(src, dst, slots[i:i + SLOT_CHUNK], password)
        for member in others:  # best effort: gossip tells them anyway (a node with a stale view may refuse)
            pipe = member.client.pipeline(transaction=False)
            for s in slots:
                pipe.execute_command("CLUSTER", "SETSLOT", s, "NODE", dst.node_id)
            pipe.execute(raise_on_error=False)
        if progress:
            progress(f"moved {len(slots)} slots ({total} keys) from shard {pair[0] + 1} to shard {pair[1] + 1}")
        return total

    pairs = [p for p in moves if moves[p]]
    if not pairs:
        return 0
    with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL_PAIRS, len(pairs))) as pool:
        return sum(pool.map(run_pair, pairs))
