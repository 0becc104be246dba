"""One blueprint per API area, with thin views named after the vendor operation.

`OPERATIONS` names each public view's operation in the journal (and in the behaviour document's per-operation
settings); two views may share one. `API`, `TOKEN_PATH`, `USER_PATH`, `RECORD_KEY` and `DROP_KEY` are re-exported
from `paths` and `http`: `mock_ansira.routes` named them before the split, and the harness imports the paths here.
"""

from __future__ import annotations

from mock_ansira.http import DROP_KEY, RECORD_KEY
from mock_ansira.paths import API, TOKEN_PATH, USER_PATH
from mock_ansira.routes.admin import bp as admin_bp
from mock_ansira.routes.reference import bp as reference_bp
from mock_ansira.routes.token import bp as token_bp
from mock_ansira.routes.users import bp as users_bp

__all__ = ["API", "BLUEPRINTS", "DROP_KEY", "OPERATIONS", "RECORD_KEY", "TOKEN_PATH", "USER_PATH"]

BLUEPRINTS = (token_bp, users_bp, reference_bp, admin_bp)

OPERATIONS = {
    "ansira_token.issue_token": "token",
    "ansira_users.create_user": "create_user",
    "ansira_users.list_users": "list_users",
    "ansira_users.get_user": "list_users",
    "ansira_reference.list_reference": "reference",
    "ansira_reference.get_reference": "reference",
}
