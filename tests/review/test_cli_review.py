"""``medtrust review``: administer the app from the shell (accounts, assignments, redaction,
API tokens), and the token it prints opens the API for that user."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from medtrust.cli import app
from medtrust.review import create_app
from review.conftest import OTHER, PASSWORD, RUN, SSN, Seeded, bearer

runner = CliRunner()


def test_accounts_assignments_redaction_and_tokens_from_the_shell(seeded: Seeded) -> None:
    db = seeded.store.engine.url.render_as_string(hide_password=False)  # url hides the password

    def review(*args: str, stdin: str | None = None) -> str:
        res = runner.invoke(app, ["review", *args, "--db", db], input=stdin)
        assert res.exit_code == 0, res.output
        return res.stdout

    made = json.loads(review("add-user", "uma", "--password-stdin", "--json", stdin=PASSWORD))
    assert made == {"name": "uma", "role": "reviewer"}
    user = seeded.store.get_user("uma")
    assert user is not None and user.password_hash.startswith("$argon2id$")
    short = runner.invoke(
        app, ["review", "add-user", "vic", "--password-stdin", "--db", db], input="short\n"
    )
    assert short.exit_code == 2 and "too short" in short.output
    assert seeded.store.get_user("vic") is None

    token = json.loads(review("token", "uma", "--json"))["token"]
    client = TestClient(create_app(seeded.store))
    assert client.get("/api/v1/runs", headers=bearer(token)).json() == {"runs": []}
    assert json.loads(review("assign", RUN[:8], "uma", "--json"))["changed"] is True
    runs = client.get("/api/v1/runs", headers=bearer(token)).json()["runs"]
    assert [r["id"] for r in runs] == [RUN]
    assert client.get(f"/api/v1/runs/{OTHER}/queue", headers=bearer(token)).status_code == 404

    phi = f"/api/v1/runs/{RUN}/cases/{seeded.cases['phi']}"
    assert SSN not in client.get(phi, headers=bearer(token)).text
    review("allow-unredacted", RUN)
    assert SSN in client.get(phi, headers=bearer(token)).text
    review("allow-unredacted", RUN, "--off")
    assert SSN not in client.get(phi, headers=bearer(token)).text

    assert json.loads(review("assign", RUN, "uma", "--remove", "--json"))["changed"] is True
    assert client.get(f"/api/v1/runs/{RUN}/queue", headers=bearer(token)).status_code == 404
    listed = json.loads(review("users", "--json"))["users"]
    assert {"name": "uma", "role": "reviewer", "active": True, "locked": False} in listed
    bad = runner.invoke(app, ["review", "assign", RUN, "ada", "--db", db])
    assert bad.exit_code == 2 and "admin" in bad.output  # runs go to reviewers
