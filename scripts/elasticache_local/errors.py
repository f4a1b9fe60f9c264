"""Errors raised by the local emulator."""

from __future__ import annotations


class EmulatorError(Exception):
    """A problem the user can fix (bad option, bad template, already running...); printed without traceback."""


class PortRaceError(EmulatorError):
    """Another program bound one of the allocated ports before our server did (``up`` retries once)."""
