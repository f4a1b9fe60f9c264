#!/usr/bin/env python3
"""Recommend an ElastiCache node type, shard and replica count and monthly node-hours; see
``python scripts/sizing.py --help``.

Thin launcher: the implementation lives in ``scripts/elasticache_sizing/`` (importable: ``recommend()``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from elasticache_sizing.cli import main

if __name__ == "__main__":
    sys.exit(main())
