"""The live console: one page showing jobs, audiences, Ansira's journal with bodies, a profile lookup and the
run's timelines, polled once a second while users flow.

Protected by the admin key when one is set: `?key=<admin key>` (the ready file's `console_url` carries it) sets an
HttpOnly cookie and redirects to the bare URL, so the key leaves the address bar; an `X-Admin-Key` header works too.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import Flask, Response, jsonify, redirect, request
from werkzeug.wrappers import Response as BaseResponse

from harness.pictures.assets import asset, inline_scripts
from harness.pictures.console_data import ConsoleData, Sources

COOKIE = "enrichsim_console"


def _proof(key: str) -> str:
    """What the cookie holds: a digest of the key, never the key itself."""
    return hashlib.sha256(b"enrichsim-console:" + key.encode()).hexdigest()


def create_app(sources: Sources, *, journal_rows: int = 50, title: str = "enrichsim console") -> Flask:
    app = Flask("enrichsim_console")
    data = ConsoleData(sources, journal_rows=journal_rows)
    app.extensions["enrichsim_console"] = data
    key = sources.admin_key

    def allowed() -> bool:
        if not key:
            return True
        given = request.headers.get("X-Admin-Key") or ""
        cookie = request.cookies.get(COOKIE) or ""
        return hmac.compare_digest(given.encode(), key.encode()) or hmac.compare_digest(
            cookie.encode(), _proof(key).encode())

    @app.before_request
    def _gate() -> BaseResponse | None:
        if key and request.path == "/" and request.args.get("key"):
            if not hmac.compare_digest(request.args["key"].encode(), key.encode()):
                return _refused()
            resp = redirect("/", code=303)
            resp.set_cookie(COOKIE, _proof(key), httponly=True, samesite="Strict")
            return resp
        if not allowed():
            return _refused()
        return None

    @app.get("/")
    def page() -> Response:
        return Response(PAGE.replace("{{title}}", title).replace("{{scripts}}", inline_scripts())
                        .replace("{{console_js}}", asset("console.js")), mimetype="text/html")

    @app.get("/api/state")
    def state() -> Response:
        return jsonify(data.state())

    @app.get("/api/profile")
    def profile() -> tuple[Response, int]:
        email = (request.args.get("email") or "").strip()
        if not email or "@" not in email or len(email) > 320:
            return jsonify({"message": "give ?email=<an email address>"}), 400
        return jsonify(data.profile(email)), 200

    return app


def _refused() -> Response:
    body = ("<!doctype html><title>enrichsim console</title><p>The console needs the admin key: open "
            "<code>console_url</code> from the ready file (it carries the key), or send an X-Admin-Key header.</p>")
    return Response(body, status=401, mimetype="text/html")


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{title}}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:0 auto;max-width:1240px;padding:12px 16px;
color:#1b1b1b}
h1{font-size:20px;margin:4px 0}h2{font-size:16px;margin:18px 0 6px;border-bottom:1px solid #ddd}
table{border-collapse:collapse;width:100%}td,th{padding:2px 8px;text-align:left;border-bottom:1px solid #eee;
vertical-align:top;font-size:13px}
.grid{display:grid;grid-template-columns:1fr 1fr;gap:16px}.meta{color:#666;font-size:12px}
pre{background:#f6f6f6;padding:6px;margin:2px 0;white-space:pre-wrap;word-break:break-all;max-height:220px;
overflow:auto;font-size:12px}
.s2{color:#1e7b34}.s4{color:#b36b00}.s429{color:#b00020;font-weight:600}.s5,.s0{color:#7b2cbf}
.problems{color:#b00020}
</style>
{{scripts}}
</head><body>
<h1>{{title}}</h1>
<p class="meta">Live: refreshed every second. <span id="updated"></span>
<span class="problems" id="problems"></span></p>
<div class="grid">
 <div><h2>Jobs</h2><table id="jobs"><thead><tr><th>job</th><th>status</th><th>counters</th></tr></thead>
  <tbody></tbody></table></div>
 <div><h2>Audiences</h2><table id="audiences"><thead><tr><th>audience</th><th>slug</th><th>size</th></tr></thead>
  <tbody></tbody></table>
  <h2>Profile lookup</h2>
  <form id="lookup"><input id="email" type="email" placeholder="email" size="34" required>
   <button type="submit">look up</button></form><pre id="profile">(no lookup yet)</pre></div>
</div>
<h2>Timelines</h2><div id="timelines"></div>
<h2>Ansira journal (newest first, with bodies)</h2>
<table id="journal"><thead><tr><th>seq</th><th>time</th><th>request</th><th>status</th><th>email</th>
<th>retry-after</th><th>bodies</th></tr></thead><tbody></tbody></table>
<script>{{console_js}}</script>
</body></html>
"""
