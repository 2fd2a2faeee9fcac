"""Python builders of the template flows: the single source of truth for `flows/*.json`.

Each flow is wired in code with lfx's graph API, as Langflow's own starter projects are
(`langflow/initial_setup/starter_projects/*.py`), and exported by `mi flows export`
(`python -m starter_projects`). A test fails when a committed JSON differs from a fresh export:
a flow JSON embeds its components' source, which must never go stale.

Development-only: the wheel ships the exported JSONs (as the bundle's starter projects), not
these builders.
"""
