"""Cache sizing: turn dataset and traffic figures into a node type, shard and replica count and monthly node-hours.

``recommend(SizingInputs(...))`` is the importable entry point; ``python scripts/sizing.py --help`` the command.
"""

from .core import (
    HOURS_PER_MONTH,
    Recommendation,
    SizingError,
    SizingInputs,
    parse_count,
    parse_size,
    recommend,
)

__all__ = [
    "HOURS_PER_MONTH",
    "Recommendation",
    "SizingError",
    "SizingInputs",
    "parse_count",
    "parse_size",
    "recommend",
]
