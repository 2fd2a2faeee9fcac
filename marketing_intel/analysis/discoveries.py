"""False-discovery-rate control over the many tests one report makes.

A report tests every campaign-day (or platform-day) and every series for a shift: thousands of
tests, so a per-test 1% level would flag dozens of ordinary days. Benjamini-Hochberg keeps the
expected share of false findings among the reported ones at `q`; when nothing is wrong (every
test null), it also keeps the chance of any finding at all near `q`.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import false_discovery_control


def significant(p_values: np.ndarray, q: float) -> np.ndarray:
    """Which tests are discoveries at false-discovery rate `q` (Benjamini-Hochberg), as a mask of
    `p_values`' shape; NaN marks a cell that was not tested (never a discovery, not counted)."""
    p_values = np.asarray(p_values, dtype=float)
    tested = ~np.isnan(p_values)
    found = np.zeros(p_values.shape, dtype=bool)
    if tested.any():
        adjusted = false_discovery_control(np.clip(p_values[tested], 0.0, 1.0), method="bh")
        found[tested] = adjusted <= q
    return found
