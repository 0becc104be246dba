"""One blueprint per API area, with thin views named after the vendor operation."""

from __future__ import annotations

from mock_lytics.routes.admin import bp as admin_bp
from mock_lytics.routes.auths import bp as auths_bp
from mock_lytics.routes.collect import bp as collect_bp
from mock_lytics.routes.entity import bp as entity_bp
from mock_lytics.routes.jobs import bp as jobs_bp
from mock_lytics.routes.meta import bp as meta_bp
from mock_lytics.routes.query import bp as query_bp
from mock_lytics.routes.schema import bp as schema_bp
from mock_lytics.routes.segments import bp as segments_bp
from mock_lytics.routes.templates import bp as templates_bp

BLUEPRINTS = (collect_bp, schema_bp, query_bp, entity_bp, segments_bp, templates_bp, auths_bp, jobs_bp, admin_bp,
              meta_bp)
