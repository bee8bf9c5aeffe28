"""Schemathesis against the app's own OpenAPI schema, as admin: no 5xx, and every response matches the schema.

Bounded: a few examples per operation and no shrinking past a deadline, so it
runs in seconds. Operations that would end the run's own session or write
outside the test's directory are left out (see EXCLUDED).
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.filters import HasAPIOperation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.app import create_app
from core.settings import Settings
from tests.support import ServerProcess

# The schema the app builds is the one it serves (checked below), so it can drive test collection.
APP_SCHEMA = create_app(Settings.load(environ={})).openapi()

EXCLUDED = {
    ("POST", "/auth/logout"),  # would revoke the token the rest of the run uses
    ("POST", "/auth/change-password"),  # likewise, should it ever guess the password
    ("POST", "/api/v1/admin/backup"),  # writes a copy wherever `path` says
}

# Every router is included twice, at the root and under /api/v1 (api.paths.mount): the same router and
# options, so the same endpoint, dependencies and schema. Fuzzing the alias too repeated each operation's
# ~60 requests (half of this module's time, collection included); the alias is fuzzed only where there is
# no root form. tests/api/test_paths_cors.py checks that every route is mounted under both prefixes.
ALIAS = "/api/v1/"


def _excluded(ctx: HasAPIOperation) -> bool:
    method, path = ctx.operation.method.upper(), ctx.operation.path
    return (method, path) in EXCLUDED or (path.startswith(ALIAS) and (method, path[len(ALIAS) - 1 :]) in ROOT_OPS)


ROOT_OPS = {(m.upper(), p) for p, ops in APP_SCHEMA["paths"].items() for m in ops if not p.startswith(ALIAS)}
schema = schemathesis.openapi.from_dict(APP_SCHEMA).exclude(func=_excluded)

CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    # A long poll answers at its deadline; a short one keeps the sweep of /api/notificacoes/ultimos fast.
    env = {"SGP_LONG_POLL_MAX_S": "0.2"}
    proc = ServerProcess(tmp_path_factory.mktemp("fuzz") / "data", workers=2, env=env).start()
    yield proc
    assert proc.stop() == 0, proc.log()


def test_served_schema_is_the_app_schema(server: ServerProcess) -> None:
    served = httpx.get(f"{server.base_url}/openapi.json").json()
    assert served == APP_SCHEMA


@schema.parametrize()
@settings(
    max_examples=8,
    deadline=None,
    database=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema(case: schemathesis.Case, server: ServerProcess) -> None:
    response = case.call(base_url=server.base_url, headers=server.headers, timeout=30)
    case.validate_response(response, checks=CHECKS, headers=server.headers)
