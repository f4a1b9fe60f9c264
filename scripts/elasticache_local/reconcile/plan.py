"""``plan``: what ``up`` would change, and how each change applies; exit 3 when it loses data."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from .. import state as st
from ..assembly import load_assembly
from .desired import select_stacks
from .diff import ResourceChange, diff_templates, loses_data
from .observe import observe
from .plan_output import render_json, render_text

Log = Callable[[str], None]
EXIT_DATA_LOSS = 3


def compute(assembly: Path, stacks: list[str], *, against: Path | None, state_dir: Path) -> list[ResourceChange]:
    """Changes from ``against`` (an older assembly) or from the running deployment to ``assembly``."""
    new = {s.name: s.template for s in select_stacks(load_assembly(assembly), stacks).stacks}
    if against is not None:
        old = {s.name: s.template for s in select_stacks(load_assembly(against), stacks).stacks}
    else:
        state_dir = state_dir.resolve()
        observed = observe(state_dir, lambda _m: None) if (state_dir / st.STATE_FILE).is_file() else None
        old = {k: v for k, v in (observed.templates if observed else {}).items() if not stacks or k in stacks}
    return diff_templates(old, new)


def plan_command(
    assembly: Path, stacks: list[str], *, against: Path | None, state_dir: Path, as_json: bool, log: Log = print
) -> int:
    """Print the plan; 3 when applying it loses data (a replacement, or a deletion without final snapshot)."""
    changes = compute(assembly, stacks, against=against, state_dir=state_dir)
    if as_json:
        log(render_json(changes))
    else:
        for line in render_text(changes):
            log(line)
        if loses_data(changes):
            log("plan: data would be lost (exit 3); `up` applies such a change only with --allow-replacement")
    return EXIT_DATA_LOSS if loses_data(changes) else 0
