"""Probe run by `tests/test_packaging.py` INSIDE a throwaway venv holding Langflow and our wheel.

It is not a test module (pytest collects `test_*.py` only) and it never imports the repository:
everything it touches comes from the venv's site-packages. It drives Langflow's own code:

- `get_and_cache_all_types_dict`, the function behind `GET /api/v1/all`, with a spy on the
  `lfx.bundles` loader it calls, so the `LoadResult`s (errors, warnings) that Langflow itself
  logs at start-up are reported too;
- `load_starter_projects` + `filter_starter_projects_by_available_components`, the start-up code
  that fills the "Starter Projects" folder that `GET /api/v1/flows/basic_examples/` serves;
- an import of every `marketing_intel...` module the installed bundle files import (lazily, inside
  methods), proving the core package and its dependencies are in the wheel, and of every private
  helper (`lfx_marketing_intel.marketing_intel._...`) they import, proving the helpers ship too.

Usage: `python packaging_probe.py OUT.json`. The report is written to OUT.json (Langflow's logs go
to stdout/stderr, which the test shows when an assertion fails).
"""

from __future__ import annotations

import ast
import asyncio
import importlib
import json
import sys
import traceback
from pathlib import Path
from typing import Any

BUNDLE = "marketing_intel"
CORE_PACKAGE = "marketing_intel"
BUNDLE_ROOT_PACKAGE = "lfx_marketing_intel"


def _error_dict(error: Any) -> dict[str, Any]:
    """An `ExtensionError` as plain JSON."""
    return {
        "code": error.code,
        "message": error.message,
        "location": error.location,
        "hint": error.hint,
    }


def _load_result_dict(result: Any) -> dict[str, Any]:
    """The parts of a `LoadResult` the test asserts on."""
    return {
        "bundle": result.bundle,
        "slot": result.slot,
        "manifestless": result.manifestless,
        "extension_id": result.extension_id,
        "extension_version": result.extension_version,
        "source_path": str(result.source_path) if result.source_path else None,
        "components": [component.namespaced_id for component in result.components],
        "errors": [_error_dict(error) for error in result.errors],
        "warnings": [_error_dict(warning) for warning in result.warnings],
    }


def _core_imports(bundle_dir: Path) -> list[str]:
    """Every `marketing_intel...` and `lfx_marketing_intel...` module the installed bundle files
    import, anywhere in the file."""
    modules: set[str] = set()
    for path in bundle_dir.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            modules.update(
                name
                for name in names
                if name == CORE_PACKAGE
                or name.startswith((CORE_PACKAGE + ".", BUNDLE_ROOT_PACKAGE + "."))
            )
    return sorted(modules)


async def _discover(report: dict[str, Any]) -> None:
    """Run Langflow's `/api/v1/all` discovery and its starter-project loading."""
    import lfx.interface.components as lfx_components
    from langflow.initial_setup.setup import (
        filter_starter_projects_by_available_components,
        load_starter_projects,
    )
    from langflow.interface.components import get_and_cache_all_types_dict
    from langflow.services.deps import get_settings_service
    from lfx.extension.bundle_registry import get_default_registry

    # Spy on the manifest-less loader Langflow calls: the same LoadResult objects then get the
    # shadowing warnings and are what `_emit_extension_diagnostics` logs.
    captured: list[Any] = []
    original_loader = lfx_components.load_lfx_bundles_extensions

    def spy(*args: Any, **kwargs: Any) -> list[Any]:
        results = original_loader(*args, **kwargs)
        captured.extend(results)
        return results

    lfx_components.load_lfx_bundles_extensions = spy
    all_types = await get_and_cache_all_types_dict(settings_service=get_settings_service())

    report["lfx_bundles_results"] = [_load_result_dict(result) for result in captured]
    report["categories_with_bundle_nodes"] = sorted(
        category
        for category, nodes in all_types.items()
        if isinstance(nodes, dict) and any(f":{BUNDLE}:" in key for key in nodes)
    )
    nodes = all_types.get(BUNDLE, {})
    report["bundle_nodes"] = {
        key: {
            "display_name": node.get("display_name"),
            "name": node.get("name"),
            "namespaced_id": node.get("namespaced_id"),
            "extension": node.get("extension"),
            "extension_version": node.get("extension_version"),
            "bundle": node.get("bundle"),
            "module": (node.get("metadata") or {}).get("module"),
            "template_fields": sorted(
                name
                for name, field in (node.get("template") or {}).items()
                if isinstance(field, dict) and name != "_type"
            ),
            "outputs": [output.get("name") for output in node.get("outputs") or []],
        }
        for key, node in nodes.items()
    }

    record = get_default_registry().snapshot().get(BUNDLE)
    report["registry_record"] = (
        None
        if record is None
        else {
            "slot": record.slot,
            "manifestless": record.manifestless,
            "source_path": str(record.source_path) if record.source_path else None,
        }
    )

    starters = await load_starter_projects()
    available = filter_starter_projects_by_available_components(starters, all_types)
    package_dir = Path(report["package_dir"])

    def ours(path: Any) -> bool:
        return Path(str(path)).is_relative_to(package_dir)

    report["starter_projects"] = {
        "langflow_loaded": sum(not ours(path) for path, _ in starters),
        "langflow_available": sum(not ours(path) for path, _ in available),
        "bundle_loaded": [str(path) for path, _ in starters if ours(path)],
        "bundle_available": [
            {"path": str(path), "name": project.get("name")}
            for path, project in available
            if ours(path)
        ],
    }


def main(out: Path) -> int:
    """Write the probe report to `out`; the exit code is 0 unless the probe itself crashed."""
    report: dict[str, Any] = {"python": sys.executable}
    try:
        package = importlib.import_module("lfx_marketing_intel")
        package_dir = Path(next(iter(package.__path__)))
        bundle_dir = package_dir / BUNDLE
        report["package_dir"] = str(package_dir)
        report["bundle_files"] = sorted(
            str(path.relative_to(package_dir)) for path in package_dir.rglob("*") if path.is_file()
        )
        report["starter_projects_dir_exists"] = (bundle_dir / "starter_projects").is_dir()

        core_imports = _core_imports(bundle_dir)
        report["core_imports"] = {}
        for module in core_imports:
            try:
                imported = importlib.import_module(module)
                report["core_imports"][module] = getattr(imported, "__file__", None)
            except Exception as error:  # reported: the test fails on it
                report["core_imports"][module] = f"ImportError: {type(error).__name__}: {error}"

        asyncio.run(_discover(report))
    except Exception:  # the traceback is the report
        report["crash"] = traceback.format_exc()
        out.write_text(json.dumps(report, indent=2), encoding="utf-8")
        return 1
    out.write_text(json.dumps(report, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
