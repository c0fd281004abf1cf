"""``medtrust review``: serve the clinician review app and administer it from the shell.

Thin and fast to import: FastAPI and uvicorn load only inside ``serve``.
"""

from __future__ import annotations

import getpass
import sys
from typing import Annotated

import typer

from medtrust._cli_util import DbOpt, JsonOpt, console, handle_errors, open_store, print_json
from medtrust.errors import MedtrustError

review_app = typer.Typer(
    help="Clinician review: a web app to rate and flag model outputs.", no_args_is_help=True
)


def _by() -> str:
    return f"cli:{getpass.getuser()}"


@review_app.command()
@handle_errors
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on (loopback by default).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    db: DbOpt = None,
) -> None:
    """Serve the review app (pages at /, JSON API at /api/v1, schema at /api/openapi.json).

    Put it behind an HTTPS reverse proxy to serve beyond this machine; cookies are marked
    Secure when the request is https.
    """
    try:
        import uvicorn

        from medtrust.review._app import create_app
    except ImportError as exc:
        raise MedtrustError(
            f"the review app needs its extra: pip install 'medtrust[review]' ({exc})"
        ) from None
    store = open_store(db)
    if not any(u.role == "admin" for u in store.list_users()):
        console.print("[yellow]no admin yet[/]: medtrust review add-user NAME --role admin")
    console.print(f"medtrust review on http://{host}:{port}/  (store {store.url})")
    uvicorn.run(create_app(store), host=host, port=port, log_level="warning", proxy_headers=False)


@review_app.command("add-user")
@handle_errors
def add_user(
    name: Annotated[str, typer.Argument(help="User name (letters, digits, '-', '_', '.').")],
    role: Annotated[str, typer.Option(help="admin or reviewer.")] = "reviewer",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin (one line).")
    ] = False,
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Create an account (the password is stored as an argon2id hash)."""
    from medtrust.review._auth import hash_password

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    user = open_store(db).add_user(name, role=role, password_hash=hash_password(password))
    if json_out:
        print_json({"name": user.name, "role": user.role})
    else:
        console.print(f"{user.role} {user.name} created")


@review_app.command()
@handle_errors
def assign(
    run_id: Annotated[str, typer.Argument(help="Run id (a unique prefix is enough).")],
    user: Annotated[str, typer.Argument(help="Reviewer to give the run to.")],
    remove: Annotated[bool, typer.Option("--remove", help="Take the run back.")] = False,
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Assign a run to a reviewer (recorded in the audit trail)."""
    store = open_store(db)
    run = store.get_run(run_id).id
    changed = store.unassign(run, user, by=_by()) if remove else store.assign(run, user, by=_by())
    if json_out:
        print_json({"run_id": run, "user": user, "assigned": not remove, "changed": changed})
    else:
        console.print(f"run {run} {'taken from' if remove else 'assigned to'} {user}")


@review_app.command("allow-unredacted")
@handle_errors
def allow_unredacted(
    run_id: Annotated[str, typer.Argument(help="Run id (a unique prefix is enough).")],
    off: Annotated[bool, typer.Option("--off", help="Redact again (the default).")] = False,
    db: DbOpt = None,
) -> None:
    """Let the run's reviewers see identifiers unredacted (recorded in the audit trail)."""
    store = open_store(db)
    run = store.get_run(run_id).id
    store.set_unredacted(run, not off, by=_by())
    console.print(f"run {run}: content shown {'redacted' if off else 'unredacted'}")


@review_app.command()
@handle_errors
def token(
    user: Annotated[str, typer.Argument(help="Whose API token.")],
    label: Annotated[str, typer.Option(help="What the token is for.")] = "",
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Issue an API bearer token (printed once; only its hash is stored)."""
    from medtrust.review._auth import digest, new_token

    store = open_store(db)
    if store.get_user(user) is None:
        raise MedtrustError(f"no user {user!r}")
    value = new_token()
    store.add_token(digest(value), user=user, label=label)
    if json_out:
        print_json({"user": user, "token": value})
    else:
        sys.stdout.write(value + "\n")


@review_app.command()
@handle_errors
def users(db: DbOpt = None, json_out: JsonOpt = False) -> None:
    """List accounts."""
    rows = open_store(db).list_users()
    if json_out:
        print_json({"users": [{"name": u.name, "role": u.role, "active": u.active} for u in rows]})
        return
    for u in rows:
        console.print(f"{u.name}\t{u.role}\t{'active' if u.active else 'inactive'}")


@review_app.command()
@handle_errors
def aggregates(
    run_id: Annotated[str, typer.Argument(help="Run id (a unique prefix is enough).")],
    db: DbOpt = None,
) -> None:
    """Agreement (Krippendorff's alpha, judge kappa) and trust score of a run, as JSON."""
    from medtrust.review._aggregate import run_aggregates

    store = open_store(db)
    info = store.get_run(run_id)
    print_json(run_aggregates(store, info.id, seed=info.seed))
