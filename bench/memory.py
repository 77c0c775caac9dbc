"""Peak resident memory growth of the current process, for the memory scenarios' workers.

On Linux the kernel's high-water mark (VmHWM) is reset at the start of the measured work (writing
"5" to /proc/self/clear_refs), so earlier peaks (imports, set-up) cannot hide the work's own peak.
Elsewhere it falls back to ``resource.getrusage().ru_maxrss``, which can only grow.
"""

from __future__ import annotations

import re
import resource
import sys
from pathlib import Path

MIB = 1024 * 1024
_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


def _status_kib(field: str) -> int | None:
    try:
        match = re.search(rf"^{field}:\s+(\d+) kB", _STATUS.read_text(), re.MULTILINE)
    except OSError:
        return None
    return int(match.group(1)) if match else None


def _reset_peak() -> bool:
    try:
        _CLEAR_REFS.write_text("5")
    except OSError:
        return False
    return True


def _ru_maxrss_bytes() -> int:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak) if sys.platform == "darwin" else int(peak) * 1024


class PeakGrowth:
    """Peak RSS growth from the moment of construction: ``PeakGrowth().mib()`` after the work."""

    def __init__(self) -> None:
        self._kernel_peak = _reset_peak()
        current = _status_kib("VmRSS") if self._kernel_peak else None
        self._kernel_peak = current is not None
        self._baseline = current * 1024 if current is not None else _ru_maxrss_bytes()

    def mib(self) -> float:
        """MiB the peak RSS rose above the RSS at construction."""
        peak_kib = _status_kib("VmHWM") if self._kernel_peak else None
        peak = peak_kib * 1024 if peak_kib is not None else _ru_maxrss_bytes()
        return max(0, peak - self._baseline) / MIB
