"""schemathesis over /openapi.json with real tokens for every role: no 5xx, responses match the schema.

Bounded by ``MEDIADESK_FUZZ_EXAMPLES`` examples per operation (6 in the suite, the count docs/SECURITY.md states and
a test holds it to; ``make fuzz`` runs 100), each example sent once per role. Every response is counted: the run fails
on any 5xx and when it sent fewer requests than operations × roles (a fuzzer that reaches nothing proves nothing).
Path parameters named after a resource sometimes get a real id so the fuzzer reaches past the 404. (schemathesis'
pytest plugin does not run under pytest 9 here, so the strategies are driven directly.)
"""

from __future__ import annotations

import os
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from service.core.embedded import EmbeddedServers
from tests.security.world import ROLES, World, build_world

pytestmark = [pytest.mark.fuzz, pytest.mark.security]
SUITE_EXAMPLES = 6
EXAMPLES = int(os.environ.get("MEDIADESK_FUZZ_EXAMPLES", str(SUITE_EXAMPLES)))
REAL_IDS = {"asset_id": "asset_a_ready", "submission_id": "submission_a", "report_id": "report_a_filed",
            "document_id": "document_a"}
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


@pytest.fixture(scope="module")
def fuzz_world(servers: EmbeddedServers) -> World:
    return build_world()


def operations() -> list[Any]:
    from service.app import create_app

    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app())
    return [result.ok() for result in schema.get_all_operations()]


def test_the_suite_runs_the_example_count_the_docs_state() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "SECURITY.md").read_text()
    stated = re.search(r"MEDIADESK_FUZZ_EXAMPLES`, (\d+) in the suite", doc)
    assert stated, "docs/SECURITY.md no longer states the suite's example count"
    assert int(stated.group(1)) == SUITE_EXAMPLES


def test_api_never_5xx_and_conforms(fuzz_world: World) -> None:
    failures: list[str] = []
    statuses: Counter[int] = Counter()
    server_errors: list[str] = []
    all_operations = operations()
    for operation in all_operations:

        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
                  database=None)
        @given(case=operation.as_strategy())
        def check(case: Any) -> None:
            for name, world_key in REAL_IDS.items():
                if case.path_parameters and name in case.path_parameters and len(str(case.path_parameters)) % 2:
                    case.path_parameters[name] = str(fuzz_world.ids[world_key])
            # The same generated request as every role: what a role may not do, it still must not crash.
            for role in ROLES:
                response = case.call(headers=fuzz_world.headers(role))
                statuses[response.status_code] += 1
                if response.status_code >= 500:
                    server_errors.append(f"{case.operation.method.upper()} {case.operation.path} as {role}: "
                                         f"{response.status_code} {response.text[:300]}")
                case.validate_response(response, checks=CHECKS)

        try:
            check()
        except Exception as exc:  # collect every operation's failure, then report them together
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:1500]}")
    sent = sum(statuses.values())
    assert not server_errors, f"{len(server_errors)} × 5xx of {sent} requests:\n" + "\n".join(server_errors[:30])
    assert sent >= len(all_operations) * len(ROLES), f"only {sent} requests for {len(all_operations)} operations"
    assert not failures, "\n\n".join(failures)
