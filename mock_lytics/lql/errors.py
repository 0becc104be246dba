"""The one error LQL raises, positioned so a user can find the bad token in a multi-line query file."""

from __future__ import annotations

from mock_lytics.qlerror import PositionedError


class LQLError(PositionedError):
    """A query or expression that does not lex or parse."""
