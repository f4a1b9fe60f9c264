#!/usr/bin/env python3
"""Local emulation of the synthesized CDK app: ``python scripts/local.py up|status|down|failover|demo``.

Thin launcher; the implementation is the ``elasticache_local`` package next to this file.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from elasticache_local.cli import main

if __name__ == "__main__":
    sys.exit(main())
