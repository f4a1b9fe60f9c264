"""Collect the installed-wheels tests first: under xdist (``--dist loadgroup``) one worker starts on them at once
while the others run the rest of the suite, so their build-and-install time overlaps everything else."""

from __future__ import annotations

import pytest


def _is_wheels_test(item: pytest.Item) -> bool:
    marker = item.get_closest_marker("xdist_group")
    return marker is not None and marker.args[:1] == ("wheels",)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: not _is_wheels_test(item))  # stable: every other test keeps its order
