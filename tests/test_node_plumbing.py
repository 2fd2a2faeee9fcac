"""The nodes' private helpers beside them (`components/marketing_intel/_*.py`): one computation
per run, errors as one sentence, the engine dropdowns; and the editable install's bundle package,
which must read the live helpers without handing Langflow a second copy of the bundle."""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from lfx.custom.custom_component.component import Component
from lfx.io import HandleInput, MessageTextInput, Output
from lfx.schema.message import Message
from lfx_marketing_intel.marketing_intel._node_errors import node_errors
from lfx_marketing_intel.marketing_intel._run_once import run_once
from lfx_marketing_intel.marketing_intel._shared_inputs import (
    FROM_SETTINGS,
    chosen_engine,
    engine_input,
)
from pydantic import BaseModel, field_validator

from marketing_intel.lake import QueryRefused

REPO_ROOT = Path(__file__).resolve().parents[1]


class CountingComponent(Component):
    """Two outputs over one computation, counting the computations."""

    display_name = "Counting"
    # Langflow declares inputs and outputs as class-level lists.
    inputs = [  # noqa: RUF012
        MessageTextInput(name="text", display_name="Text"),
        HandleInput(name="rows", display_name="Rows", input_types=["DataFrame"]),
    ]
    outputs = [  # noqa: RUF012
        Output(display_name="Upper", name="upper", method="upper"),
        Output(display_name="Length", name="length", method="length"),
    ]
    computations = 0

    def upper(self) -> Message:
        return Message(text=self._computed()[0])

    def length(self) -> Message:
        return Message(text=str(self._computed()[1]))

    @run_once
    def _computed(self) -> tuple[str, int]:
        self.computations += 1
        return str(self.text).upper(), len(str(self.text))


def test_the_outputs_of_one_run_share_one_computation() -> None:
    node = CountingComponent()
    rows = pd.DataFrame({"a": [1, 2]})
    node.set(text="abc", rows=rows)
    assert (node.upper().text, node.length().text) == ("ABC", "3")
    assert node.computations == 1


def test_new_input_values_compute_again_and_objects_compare_by_identity() -> None:
    node = CountingComponent()
    rows = pd.DataFrame({"a": [1, 2]})
    node.set(text="abc", rows=rows)
    node.upper()
    node.set(text="abcd")  # an agent calling the node as a tool again
    assert node.length().text == "4"
    assert node.computations == 2
    node.set(rows=rows)  # the same table object: nothing changed
    node.upper()
    assert node.computations == 2
    node.set(rows=pd.DataFrame({"a": [1, 2]}))  # an equal but new table: a new run's input
    node.upper()
    assert node.computations == 3


def test_a_failed_computation_is_not_kept() -> None:
    class Failing(CountingComponent):
        @run_once
        def _computed(self) -> tuple[str, int]:
            self.computations += 1
            raise ValueError("no")

    node = Failing()
    node.set(text="abc")
    for _ in range(2):
        with pytest.raises(ValueError, match="no"):
            node.upper()
    assert node.computations == 2


class Window(BaseModel):
    days: int

    @field_validator("days")
    @classmethod
    def positive(cls, days: int) -> int:
        if days < 1:
            raise ValueError("days must be at least 1")
        return days


def test_bad_input_becomes_one_sentence_without_pydantics_prefix() -> None:
    with pytest.raises(ValueError) as raised, node_errors():
        Window(days=0)
    assert str(raised.value) == "Invalid input: days must be at least 1"
    assert raised.value.__cause__ is None and raised.value.__suppress_context__

    with (
        pytest.raises(ValueError, match=r"^Invalid parameter: .*valid integer"),
        node_errors(invalid="parameter"),
    ):
        Window(days="many")  # type: ignore[arg-type]


def test_our_errors_keep_their_message_and_bugs_their_type() -> None:
    with pytest.raises(ValueError) as raised, node_errors():
        raise QueryRefused("Only SELECT statements are allowed.")
    assert str(raised.value) == "Only SELECT statements are allowed."
    assert type(raised.value) is ValueError

    with pytest.raises(KeyError), node_errors():
        raise KeyError("a bug")


def test_engine_dropdowns_start_from_the_settings_and_refuse_unknown_choices() -> None:
    engines = {"BigQuery": "bigquery", "Embedded (DuckDB)": "duckdb"}
    dropdown: Any = engine_input("engine", "Lake", "Where the lake is.", engines)
    assert dropdown.options == [FROM_SETTINGS, "BigQuery", "Embedded (DuckDB)"]
    assert dropdown.value == FROM_SETTINGS and dropdown.advanced
    assert chosen_engine(engines, FROM_SETTINGS) is None
    assert chosen_engine(engines, "") is None
    assert chosen_engine(engines, "BigQuery") == "bigquery"
    with pytest.raises(
        ValueError, match="Unknown choice 'Snowflake'; choose one of: From settings"
    ):
        chosen_engine(engines, "Snowflake")


def test_the_editable_install_reads_the_live_helpers_and_offers_no_second_bundle() -> None:
    """Nodes import their helpers by the wheel's name; in development that name must reach the
    files of this checkout, while Langflow's `lfx.bundles` walk (which follows the package's
    spec, not `__path__`) finds no bundle folder: the nodes come from LANGFLOW_COMPONENTS_PATH
    only, never twice."""
    helper = importlib.import_module("lfx_marketing_intel.marketing_intel._node_errors")
    assert Path(helper.__file__ or "") == REPO_ROOT / "components/marketing_intel/_node_errors.py"

    spec = importlib.util.find_spec("lfx_marketing_intel")
    assert spec is not None
    locations = [Path(location) for location in spec.submodule_search_locations or []]
    assert locations, "the bundle root package must be a package"
    bundles = [
        child
        for root in locations
        for child in root.iterdir()
        if child.is_dir()
        if not child.name.startswith(("_", "."))
    ]
    assert bundles == [], f"the editable install offers Langflow a bundle copy: {bundles}"
