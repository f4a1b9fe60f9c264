"""``demo``: synthesize the app -> ``up`` -> smoke every cache of every stack -> ``down`` (always)."""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from . import commands
from .assembly import synthesize
from .errors import EmulatorError
from .model import RedisPlan

Log = Callable[[str], None]


@dataclass
class SmokeRun:
    """One smoke command run."""

    stack: str
    cache: str
    status: str  # PASS | FAIL | SKIPPED
    exit_code: int | None = None
    seconds: float = 0.0
    reason: str = ""


def _smoke_main() -> Callable[[list[str]], int] | None:
    try:
        module = importlib.import_module("elasticache_smoke.cli")
    except ImportError:
        return None
    main = getattr(module, "main", None)
    return main if callable(main) else None


def demo(opts: commands.UpOptions, log: Log = print) -> int:
    """Run the demo; 0 when every emulated cache passed its smoke test."""
    if opts.synth:
        log(f"demo: synthesizing {opts.app_dir.resolve()} (python app.py) into {opts.assembly} ...")
        t = time.perf_counter()
        synthesize(opts.app_dir.resolve(), opts.assembly.resolve())
        log(f"demo: synthesized in {time.perf_counter() - t:.1f}s")
    runs: list[SmokeRun] = []
    try:
        state = commands.up(replace(opts, synth=False), log=log)
        smoke = _smoke_main()
        if smoke is None:
            log("demo: the smoke command (scripts/elasticache_smoke, elasticache_smoke.cli.main) is not available; "
                "smoke tests SKIPPED")
        for stack, values in state.outputs.items():
            for prefix in commands.contract_prefixes(values):
                address = values.get(f"{prefix}EndpointAddress", "")
                if smoke is None:
                    runs.append(SmokeRun(stack, prefix, "SKIPPED", reason="smoke command not available"))
                    continue
                if "<unresolved" in address:
                    runs.append(SmokeRun(stack, prefix, "SKIPPED", reason="not emulated (see `up` output)"))
                    continue
                target = commands.plan_for_prefix(state, stack, prefix)
                argv = ["--outputs", state.outputs_file, "--stack", stack, "--cache", prefix]
                if isinstance(target, RedisPlan) and target.global_secondary:
                    argv.append("--read-only")  # a global datastore secondary refuses writes, like on AWS
                log(f"\n===== smoke {stack} / {prefix}{' (read-only)' if '--read-only' in argv else ''} =====")
                t = time.perf_counter()
                try:
                    code = smoke(argv)
                except SystemExit as exc:  # a CLI may still sys.exit
                    code = exc.code if isinstance(exc.code, int) else 1
                runs.append(SmokeRun(stack, prefix, "PASS" if code == 0 else "FAIL", code,
                                     time.perf_counter() - t))
    except EmulatorError as exc:
        log(f"demo: error: {exc}")
        return 2
    finally:
        log("")
        # The demo's caches hold only the smoke tests' (deleted) keys: no final snapshots to pile up run after run.
        commands.down(opts.state_dir, log=log, final_snapshot=False)
    log("\n===== smoke report =====")
    if not runs:
        log("no caches found in the outputs")
    for r in runs:
        extra = f" exit {r.exit_code}, {r.seconds:.1f}s" if r.exit_code is not None else f" ({r.reason})"
        log(f"  {r.status:<8} {r.stack} / {r.cache}{extra}")
    failed = [r for r in runs if r.status == "FAIL"]
    log(f"demo: {sum(r.status == 'PASS' for r in runs)} passed, {len(failed)} failed, "
        f"{sum(r.status == 'SKIPPED' for r in runs)} skipped")
    return 1 if failed else 0
