"""JSON text as Lytics (Go's encoding/json) reads it: an unpaired surrogate escape becomes U+FFFD.

Python's json module returns lone surrogates (`"\\ud800"`) as they are, and such a string cannot be encoded as
UTF-8 later (a 500 when an event's size is measured). Go documents the other behaviour: "invalid UTF-16
surrogate pairs are not treated as an error; they are replaced by the Unicode replacement character U+FFFD".
"""

from __future__ import annotations

import json
import re
from typing import Any

_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")  # cheap test on the text before walking the document
_LONE = re.compile("[\ud800-\udfff]")  # what json.loads leaves of an unpaired escape (pairs become one char)


def loads(text: str) -> Any:
    doc = json.loads(text)
    return _scrub(doc) if _SURROGATE_ESCAPE.search(text) else doc


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return _LONE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_LONE.sub("\ufffd", k): _scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    return value
