"""`python -m starter_projects [FOLDER]`: export every flow to FOLDER (default: flows/)."""

from __future__ import annotations

import sys
from pathlib import Path

from starter_projects.export import export_flows

if __name__ == "__main__":
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parents[1] / "flows"
    for path in export_flows(folder):
        print(path)
