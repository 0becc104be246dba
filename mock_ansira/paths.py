"""The URLs of mock Ansira's public API.

They live alone, apart from the views that serve them, because more than the views name them: the harness builds
its clients, services and ready files from `TOKEN_PATH` and `USER_PATH`, and `/__admin/health` reports both URLs.
Importing them costs no Flask and no blueprint.
"""

from __future__ import annotations

API = "/service/api/v2"
TOKEN_PATH = "/service/oauth/v2/token"
USER_PATH = f"{API}/user"  # the upsert the seed's webhook calls; ready files and health name both URLs
