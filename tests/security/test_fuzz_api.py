"""schemathesis over /openapi.json with real tokens for every role: no 5xx, responses match the schema.

Bounded by ``MEDIADESK_FUZZ_EXAMPLES`` examples per operation (default 6 in the suite; ``make fuzz`` runs more), each
example sent once per role. Path parameters named after a resource sometimes get a real id so the fuzzer reaches past
the 404. (schemathesis' pytest plugin does not run under pytest 9 here, so the strategies are driven directly.)
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from service.core.embedded import EmbeddedServers
from tests.security.world import ROLES, World, build_world

pytestmark = [pytest.mark.fuzz, pytest.mark.security]
EXAMPLES = int(os.environ.get("MEDIADESK_FUZZ_EXAMPLES", "3"))
REAL_IDS = {"asset_id": "asset_a_ready", "submission_id": "submission_a"}
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


@pytest.fixture(scope="module")
def fuzz_world(servers: EmbeddedServers) -> World:
    return build_world()


def operations() -> list[Any]:
    from service.app import create_app

    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app())
    return [result.ok() for result in schema.get_all_operations()]


def test_api_never_5xx_and_conforms(fuzz_world: World) -> None:
    failures: list[str] = []
    for operation in operations():

        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
                  database=None)
        @given(case=operation.as_strategy())
        def check(case: Any) -> None:
            for name, world_key in REAL_IDS.items():
                if case.path_parameters and name in case.path_parameters and len(str(case.path_parameters)) % 2:
                    case.path_parameters[name] = str(fuzz_world.ids[world_key])
            # The same generated request as every role: what a role may not do, it still must not crash.
            for role in ROLES:
                case.call_and_validate(headers=fuzz_world.headers(role), checks=CHECKS)

        try:
            check()
        except Exception as exc:  # collect every operation's failure, then report them together
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:1500]}")
    assert not failures, "\n\n".join(failures)
