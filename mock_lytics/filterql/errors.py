"""The one error FilterQL raises, positioned so a segment author can find the mistake."""

from __future__ import annotations

from mock_lytics.qlerror import PositionedError


class FilterQLError(PositionedError):
    """A FilterQL text that does not lex or parse."""
