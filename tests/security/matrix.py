"""The access-control matrix: every endpoint × role × resource state, with the expected outcome.

One row per (method, route, resource state); the ``expect`` string has one token per role in ``ROLES`` order:

* ``ok`` — allowed (2xx or 3xx);  ``401`` — not authenticated;  ``no`` — refused (403, or 404 that hides existence);
* ``listed`` / ``hidden`` — a list answers 200 and does / does not contain the row's resource;
* a number (``409``) — allowed past access control but refused for the resource's state;
* ``login`` — redirected to the sign-in page (web pages, anonymous caller);
* ``in`` — passes the role gate (anything but 401/403): only for web forms posted empty, where an allowed role may
  well get a validation answer.

Every path parameter gets a real resource (``path`` names a world id, ``fresh`` a factory run anew per request) of
the caller's own organisation or another's: unknown ids would let a row pass on a 404. Any 5xx fails a row, whatever
it expects. tests/security/test_access_matrix.py runs every row for every role and fails when an app route has no
row, so a new endpoint cannot ship without a decision here; ``python -m tests.security.matrix_doc`` publishes the
table in docs/SECURITY.md.
"""

from __future__ import annotations

from tests.security.cases import Case
from tests.security.matrix_intake import INTAKE
from tests.security.matrix_orgs import ORGS
from tests.security.matrix_release import RELEASE

#: Every row, in the order docs/SECURITY.md lists them: the way in, what follows review, people and organisations.
CASES: tuple[Case, ...] = (*INTAKE, *RELEASE, *ORGS)
