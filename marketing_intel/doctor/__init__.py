"""`mi doctor`: what the current settings deploy, layer by layer, checked against the engines.

For each layer (lake, memory, brand voice, cache, bridge inbox, jobs): the engine and whether it
is the production one or the embedded default, whether it answers, the schema it has applied,
what keeps tenants apart and whether that holds, where its secrets come from (never their
values), and its last write. Nothing is created, migrated or written.
"""

from __future__ import annotations

from marketing_intel.doctor.deployment import DEFAULT_TIMEOUT_S, check_deployment
from marketing_intel.doctor.report import (
    DoctorReport,
    LayerReport,
    Problem,
    SecretSource,
    Status,
)

__all__ = [
    "DEFAULT_TIMEOUT_S",
    "DoctorReport",
    "LayerReport",
    "Problem",
    "SecretSource",
    "Status",
    "check_deployment",
]
