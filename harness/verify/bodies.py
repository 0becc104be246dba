"""The recording proxy and the replayer take mock Ansira's body limit: a body over 1 MB gets the mock's 413.

Without it they were plain WSGI callables with no Flask config, so the server framing them fell back to its
16 MB default and each request could hold that much in memory before anything looked at it.
"""

from __future__ import annotations

import io
from typing import Any

from werkzeug.wrappers import Request

from mock_ansira.contract import MAX_BODY_BYTES


def read_body(environ: dict[str, Any]) -> tuple[bytes, bool]:
    """The request body, read at most one byte past mock Ansira's limit, and whether it is over the limit.

    A declared length over the limit is not read at all (the mock answers from the header, as Flask does); a body
    that is read is put back as `wsgi.input` so the mock can read it again (and answer its own 413)."""
    declared = str(environ.get("CONTENT_LENGTH") or "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return b"", True
    req = Request(environ)
    body = req.stream.read(MAX_BODY_BYTES + 1)
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    environ.pop("wsgi.input_terminated", None)
    return body, len(body) > MAX_BODY_BYTES
