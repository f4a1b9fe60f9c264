#!/usr/bin/env python3
"""Smoke-test a deployed (or local) ElastiCache endpoint; see ``python scripts/smoke.py --help``.

Thin launcher: the implementation lives in ``scripts/elasticache_smoke/``.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from elasticache_smoke.cli import main

if __name__ == "__main__":
    sys.exit(main())
