"""The emulator's reconciler: observe -> desired -> diff -> apply (``up``), ``plan``, snapshots."""

from .diff import PropertyChange, ResourceChange, diff_templates, loses_data

__all__ = ["PropertyChange", "ResourceChange", "diff_templates", "loses_data"]
