"""``python -m tests.security.matrix_draft``: what every route without a matrix row answers to each role, as draft
rows to review and paste into tests/security/matrix.py (the decision stays a human one: a draft only records what
the code does today).

Starts its own embedded servers in a temporary folder; path parameters named like a world resource get that
resource (``asset_id`` → organisation A's ready asset, ``submission_id`` → its submission), others a random UUID.
"""

from __future__ import annotations

import re
import sys
import tempfile
import uuid
from pathlib import Path

KNOWN = {"asset_id": "asset_a_ready", "submission_id": "submission_a"}


def token(status: int) -> str:
    if status == 401:
        return "401"
    if status in (403, 404):
        return "no"
    return "ok" if status < 400 else str(status)


def main() -> int:
    from fastapi.testclient import TestClient

    from service.core.embedded import EmbeddedServers
    from tests.load.stack import point_at
    from tests.security.routes import covered_keys, route_keys
    from tests.security.world import ROLES, build_world

    servers = EmbeddedServers(Path(tempfile.mkdtemp(prefix="mediadesk-matrix-")))
    servers.start()
    try:
        point_at(servers.environment() | {"MEDIADESK_ENV": "test"})
        from service.core.storage import get_storage
        from service.db.migrate import upgrade

        upgrade(servers.postgres.url)
        get_storage().ensure_bucket()
        from service.app import create_app

        app = create_app()
        world = build_world()
        missing = sorted(route_keys(app) - covered_keys(), key=lambda k: (k[1], k[0]))
        with TestClient(app, raise_server_exceptions=False) as client:
            for method, route in missing:
                path = route
                for name, key in KNOWN.items():
                    path = path.replace("{" + name + "}", str(world.ids[key]))
                path = re.sub(r"\{[a-z_]+\}", str(uuid.uuid4()), path)
                statuses = []
                for role in ROLES:
                    kwargs = {"json": {}} if method in ("POST", "PATCH", "PUT") else {}
                    response = client.request(method, path, headers=world.headers(role), follow_redirects=False,
                                              **kwargs)
                    statuses.append(response.status_code)
                raw = " ".join(f"{r}={s}" for r, s in zip(ROLES, statuses, strict=True))
                sys.stdout.write(f"    # {raw}\n    Case({method!r}, {route!r}, \"…\", "
                                 f"\"{' '.join(token(s) for s in statuses)}\"),\n")
    finally:
        servers.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
