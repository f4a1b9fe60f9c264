"""The reconciler: observe -> desired -> diff -> apply. Creating a deployment is reconciling from nothing.

Steps, in the order CloudFormation and ElastiCache take them: refuse a replacement unless allowed (nothing
changes), delete removed (and replaced) resources, keeping a final snapshot where the template asks for one, create
new resources, update the others in place (:mod:`.apply_redis`, :mod:`.apply_memcached`), then write the outputs.
"""

from __future__ import annotations

import secrets
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .. import commands as cmd
from .. import interrupts, probe, runtime
from .. import state as st
from ..errors import EmulatorError, PortRaceError
from ..model import MemcachedPlan, Plan, RedisPlan
from . import apply_memcached, apply_redis, snapshots
from .desired import Desired, load_desired
from .diff import ResourceChange, Templates, diff_templates
from .observe import observe
from .plan_output import render_text

Log = Callable[[str], None]


class ReplacementRefused(EmulatorError):
    """The change replaces a resource (its data is lost) and ``--allow-replacement`` was not given (exit 3)."""


@dataclass
class Reconciled:
    """Outcome of one ``up``."""

    state: st.State
    changes: list[ResourceChange]
    notes: list[str]


def observed_templates(state: st.State | None, stacks: list[str]) -> Templates:
    """The templates the running deployment was reconciled to (only ``stacks`` when given)."""
    if state is None:
        return {}
    return {k: v for k, v in state.templates.items() if not stacks or k in stacks}


def plan_changes(opts: cmd.UpOptions, state_dir: Path) -> tuple[st.State | None, Desired, list[ResourceChange]]:
    """Observe, load the desired assembly and diff (what ``plan`` prints and ``up`` applies)."""
    observed = observe(state_dir, lambda _m: None) if (state_dir / st.STATE_FILE).is_file() else None
    desired = load_desired(opts.assembly, opts.stacks, opts.parameters, observed.secrets if observed else None)
    return observed, desired, diff_templates(observed_templates(observed, opts.stacks), desired.templates)


def _key_of(c: ResourceChange) -> tuple[str, str]:
    return (c.stack, c.logical_id)


def reconcile(opts: cmd.UpOptions, state_dir: Path, log: Log) -> Reconciled:
    """Bring the deployment in ``state_dir`` to the assembly ``opts.assembly``."""
    observed = observe(state_dir, log)
    probed = probe.resolve(observed, opts.probe)  # an unknown group is an error before anything changes
    if observed is None:
        cmd.clean_dir(state_dir)
    desired = load_desired(opts.assembly, opts.stacks, opts.parameters, observed.secrets if observed else None)
    snapshots.check_restores(desired, opts.snapshot_dir, opts.seed_dir)
    changes = diff_templates(observed_templates(observed, opts.stacks), desired.templates)
    if observed is not None:
        for line in render_text(changes):
            log(line)
    replaced = [c for c in changes if c.action == "replace"]
    if replaced and not opts.allow_replacement:
        names = ", ".join(f"{c.stack}/{c.logical_id}" for c in replaced)
        raise ReplacementRefused(
            f"the change replaces {names}: a new resource, every key of the old one gone; nothing was applied. "
            "Rerun with --allow-replacement to do what CloudFormation would do"
        )
    if observed is None:
        state = st.State(state_dir=str(state_dir), assembly=str(opts.assembly.resolve()),
                         outputs_file=str(opts.outputs_file.resolve()), admin_password=secrets.token_hex(24))
    else:
        state = observed
        state.assembly = str(opts.assembly.resolve())
    t0 = time.perf_counter()
    notes: list[str] = []
    new_redis = {rp.key: rp for rp in desired.plan.redis}
    new_mem = {mp.key: mp for mp in desired.plan.memcached}
    replaced_keys = {_key_of(c) for c in replaced}
    try:
        with probe.probing(state, probed, log, opts.probe_json):
            # 1. deletions (removed resources, and the old half of replacements)
            deleted = {_key_of(c) for c in changes if c.action == "delete"} | replaced_keys
            for c in changes:
                if _key_of(c) in deleted:
                    _delete(state, c, opts, log)
            # 2. creations: resources the state does not run yet (new ones, replacements, first up)
            running = {p.key for p in state.redis} | {p.key for p in state.memcached}
            to_create = Plan(
                redis=[rp for k, rp in new_redis.items() if k not in running],
                memcached=[mp for k, mp in new_mem.items() if k not in running],
            )
            if to_create.redis or to_create.memcached:
                _create(to_create, desired, state, fresh=observed is None, opts=opts, log=log)
            # 3. in-place updates
            for i, old in enumerate(list(state.redis)):
                new = new_redis.get(old.key)
                if new is None or new is to_create_lookup(to_create, old.key):
                    continue
                if _differs(old, new):
                    log(f"  applying {old.stack}/{old.logical_id}:")
                    notes += apply_redis.update(state, old, new, log)
                    state.redis[i] = new
                    st.save(state)
            for i, oldm in enumerate(list(state.memcached)):
                newm = new_mem.get(oldm.key)
                if newm is None or newm is to_create_lookup(to_create, oldm.key):
                    continue
                if oldm.nodes != newm.nodes:
                    log(f"  applying {oldm.stack}/{oldm.logical_id}:")
                    apply_memcached.update(state, oldm, newm, log)
                state.memcached[i] = newm
        state.skipped = desired.plan.skipped
        cmd.write_outputs(desired.world, state)
    except BaseException:
        if observed is None:
            with interrupts.shielded():
                cmd.stop_started(state, log)
                if state.outputs:  # written by this call: the caches it names are gone
                    Path(state.outputs_file).unlink(missing_ok=True)
        else:
            st.save(state)  # what runs now is recorded, so `down` stops it
        raise
    state.templates = {**state.templates, **desired.templates}
    for gone in [c.stack for c in changes if c.action == "delete"]:
        if gone not in desired.templates:
            state.templates.pop(gone, None)
    state.secrets = desired.world.store.export()
    state.ready_seconds = time.perf_counter() - t0
    st.save(state)
    for n in notes:
        log(f"  note: {n}")
    return Reconciled(state, changes, notes)


def to_create_lookup(plan: Plan, key: tuple[str, str]) -> RedisPlan | MemcachedPlan | None:
    """The plan in ``plan`` of resource ``key`` (None when it is not created in this run)."""
    every: list[RedisPlan | MemcachedPlan] = [*plan.redis, *plan.memcached]
    return next((p for p in every if p.key == key), None)


#: Plan fields that are bookkeeping, not configuration: a difference in them alone is no change.
_BOOKKEEPING = ("pending_reboot", "notes", "memory_note", "skipped_parameters")


def _differs(old: RedisPlan, new: RedisPlan) -> bool:
    a, b = old.to_json(), new.to_json()
    for k in _BOOKKEEPING:
        a.pop(k, None)
        b.pop(k, None)
    return a != b


def _create(plan: Plan, desired: Desired, state: st.State, *, fresh: bool, opts: cmd.UpOptions, log: Log) -> None:
    """Start ``plan``'s resources (one retry with new ports when another program took one)."""
    for attempt in (1, 2):
        before = list(state.procs)
        try:
            cmd.create_resources(plan, state)
            snapshots.restore_into(state, plan, desired, opts.snapshot_dir, opts.seed_dir, log)
            return
        except PortRaceError as exc:
            started = [p for p in state.procs if p not in before]
            runtime.stop(started)
            state.procs = before
            keys = {p.key for p in plan.redis} | {p.key for p in plan.memcached}
            state.redis = [p for p in state.redis if p.key not in keys]
            state.memcached = [p for p in state.memcached if p.key not in keys]
            if attempt == 2:
                raise EmulatorError(str(exc)) from exc
            log(f"note: {exc}; retrying with new ports")
            if fresh:
                cmd.clean_dir(Path(state.state_dir))


def _delete(state: st.State, change: ResourceChange, opts: cmd.UpOptions, log: Log) -> None:
    """Stop a removed (or replaced) resource; a final snapshot first when its DeletionPolicy asks for one."""
    key = _key_of(change)
    rp = next((p for p in state.redis if p.key == key), None)
    if rp is not None and change.final_snapshot:
        name = snapshots.final_snapshot_name(rp)
        snapshots.take(state, rp, name, opts.snapshot_dir, log)
    procs = state.procs_of(*key)
    runtime.stop(procs)
    state.procs = [p for p in state.procs if (p.stack, p.resource) != key]
    state.redis = [p for p in state.redis if p.key != key]
    state.memcached = [p for p in state.memcached if p.key != key]
    shutil.rmtree(Path(state.state_dir) / key[0] / key[1], ignore_errors=True)
    st.save(state)
    if procs:
        what = "replaced: old resource and its data gone" if change.action == "replace" else "deleted"
        log(f"  {change.stack}/{change.logical_id}: {what} ({len(procs)} processes stopped)")
