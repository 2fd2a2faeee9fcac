"""Deterministic synthetic demo data for the lake (see `marketing_intel.demo.generator`)."""

from marketing_intel.demo.anomalies import PlantedAnomaly, planted_anomalies
from marketing_intel.demo.generator import TABLES, expected_rows, generate
from marketing_intel.demo.seed import seed_lake
from marketing_intel.demo.spec import DemoSpec

__all__ = [
    "TABLES",
    "DemoSpec",
    "PlantedAnomaly",
    "expected_rows",
    "generate",
    "planted_anomalies",
    "seed_lake",
]
