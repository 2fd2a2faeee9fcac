"""Errors as the one sentence Langflow shows on a node, for every node of the bundle.

A private helper beside the nodes (the leading underscore: Langflow imports it with the bundle
but registers no node from it). Node files import it as
`lfx_marketing_intel.marketing_intel._node_errors`, in development as from the wheel; see
hatch_build.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from pydantic import ValidationError

from marketing_intel.errors import MarketingIntelError, validation_problems


@contextmanager
def node_errors(invalid: str = "input") -> Iterator[None]:
    """Turn bad input (pydantic: "Invalid <invalid>: ...") and our errors (their message) into a
    ValueError without the chained traceback: Langflow shows its text on the node. Anything else
    is a bug and keeps its traceback."""
    try:
        yield
    except ValidationError as error:
        raise ValueError(f"Invalid {invalid}: {validation_problems(error)}") from None
    except MarketingIntelError as error:
        raise ValueError(str(error)) from None
