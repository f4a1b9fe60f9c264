#!/usr/bin/env python3
"""Measure and print: the app's synthesis time (fresh process, as `cdk synth` runs it, and per stack) and the
unit-test suite's wall time. Usage: python benchmarks/synth_bench.py [--runs N] [--skip-tests]"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}


def timed(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3, help="synth repetitions (default 3)")
    parser.add_argument("--skip-tests", action="store_true", help="do not time the unit-test suite")
    args = parser.parse_args()

    synth_times = []
    stacks = 0
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as out:
            synth_times.append(timed([sys.executable, "app.py"], {**ENV, "CDK_OUTDIR": out}))
            stacks = len(list(Path(out).glob("*.template.json")))
    median = statistics.median(synth_times)
    print(f"app synth (python app.py, fresh process incl. jsii start-up, cdk-nag, validation): "
          f"median {median:.2f} s over {args.runs} runs (min {min(synth_times):.2f} s, max {max(synth_times):.2f} s)")
    print(f"stacks synthesized: {stacks}  ->  {median / max(stacks, 1):.2f} s per stack")
    if not args.skip_tests:
        wall = timed([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/unit"], ENV)
        print(f"unit-test suite (pytest tests/unit): wall {wall:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
