"""The one base of every error whose message is meant for the user."""

from __future__ import annotations


class MarketingIntelError(Exception):
    """An error of ours that the caller can act on; `str(error)` says what was wrong and what to do.

    Every layer's errors derive from it, so the command line, the nodes and the bridge can tell a
    user's mistake or an outage (show the message) from a bug (show the traceback).
    """
