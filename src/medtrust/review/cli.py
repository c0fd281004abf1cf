"""``medtrust review``: serve the clinician review app and administer it from the shell.

Thin and fast to import: FastAPI and uvicorn load only inside ``serve``.
"""

from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from medtrust._cli_util import DbOpt, JsonOpt, console, handle_errors, open_store, print_json
from medtrust.errors import MedtrustError

review_app = typer.Typer(
    help="Clinician review: a web app to rate and flag model outputs.", no_args_is_help=True
)


def _by() -> str:
    return f"cli:{getpass.getuser()}"


def tls_files(certfile: Path | None, keyfile: Path | None) -> tuple[str, str] | None:
    """Check a TLS certificate chain and key load together, before the server starts.

    Returns (certfile, keyfile) as strings, or ``None`` without TLS. Raises ``MedtrustError``
    naming the file when only one is given or they cannot be loaded (unreadable, not PEM, or a
    key that does not match the certificate).
    """
    import ssl

    if certfile is None and keyfile is None:
        return None
    if certfile is None or keyfile is None:
        raise MedtrustError("--ssl-certfile and --ssl-keyfile go together: give both")
    for flag, path in (("--ssl-certfile", certfile), ("--ssl-keyfile", keyfile)):
        if not path.is_file():
            raise MedtrustError(f"{flag} {path}: no such file")
    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(certfile, keyfile)
    except (ssl.SSLError, OSError, ValueError) as exc:
        raise MedtrustError(
            f"--ssl-certfile {certfile} / --ssl-keyfile {keyfile}: cannot load: {exc}"
        ) from None
    return str(certfile), str(keyfile)


def server_options(
    *,
    host: str,
    port: int,
    proxy_headers: bool,
    forwarded_allow_ips: str | None,
    tls: tuple[str, str] | None,
) -> dict[str, Any]:
    """Keyword arguments for ``uvicorn.run``.

    Forwarded headers (``X-Forwarded-Proto``, ``X-Forwarded-For``) are honoured only with
    ``proxy_headers`` (implied by ``forwarded_allow_ips``) and only from the addresses in
    ``forwarded_allow_ips`` (default 127.0.0.1, uvicorn's): then a request the proxy received
    over HTTPS is ``https`` to the app, its cookies are ``Secure``, and login throttling counts
    the real client's address instead of the proxy's.
    """
    trust = proxy_headers or forwarded_allow_ips is not None
    opts: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_level": "warning",
        "proxy_headers": trust,
    }
    if trust:
        opts["forwarded_allow_ips"] = forwarded_allow_ips or "127.0.0.1"
    if tls is not None:
        opts["ssl_certfile"], opts["ssl_keyfile"] = tls
    return opts


@review_app.command()
@handle_errors
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on (loopback by default).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    proxy_headers: Annotated[
        bool,
        typer.Option(
            "--proxy-headers",
            help="Trust X-Forwarded-Proto/-For from --forwarded-allow-ips (a TLS reverse proxy).",
        ),
    ] = False,
    forwarded_allow_ips: Annotated[
        str | None,
        typer.Option(
            "--forwarded-allow-ips",
            help="Comma-separated proxy addresses to trust (implies --proxy-headers; "
            "default 127.0.0.1).",
        ),
    ] = None,
    ssl_certfile: Annotated[
        Path | None, typer.Option("--ssl-certfile", help="Serve HTTPS: PEM certificate chain.")
    ] = None,
    ssl_keyfile: Annotated[
        Path | None, typer.Option("--ssl-keyfile", help="Serve HTTPS: PEM private key.")
    ] = None,
    db: DbOpt = None,
) -> None:
    """Serve the review app (pages at /, JSON API at /api/v1, schema at /api/openapi.json).

    Serve HTTPS directly (--ssl-certfile/--ssl-keyfile) or put it behind an HTTPS reverse proxy
    and trust that proxy's headers (--proxy-headers, --forwarded-allow-ips); either way cookies
    are marked Secure, since the request is https.
    """
    tls = tls_files(ssl_certfile, ssl_keyfile)
    try:
        import uvicorn

        from medtrust.review._app import create_app
    except ImportError as exc:
        raise MedtrustError(
            f"the review app needs its extra: install medtrust[review] "
            f"(pip install 'medtrust[review]'; {exc})"
        ) from None
    store = open_store(db)
    opts = server_options(
        host=host,
        port=port,
        proxy_headers=proxy_headers,
        forwarded_allow_ips=forwarded_allow_ips,
        tls=tls,
    )
    if not any(u.role == "admin" for u in store.list_users()):
        console.print("[yellow]no admin yet[/]: medtrust review add-user NAME --role admin")
    scheme = "https" if tls else "http"
    console.print(
        f"medtrust review on {scheme}://{host}:{port}/  (store {store.url})",
        markup=False,
        highlight=False,
    )
    uvicorn.run(create_app(store), **opts)


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

    password = _read_password(password_stdin)
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


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(typer.prompt("password", hide_input=True, confirmation_prompt=True))


UserArg = Annotated[str, typer.Argument(help="User name.")]


@review_app.command("set-password")
@handle_errors
def set_password(
    user: UserArg,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin (one line).")
    ] = False,
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Change a password (audited); the user's browser sessions end at once."""
    from medtrust.review._auth import hash_password

    store = open_store(db)
    if store.get_user(user) is None:
        raise MedtrustError(f"no user {user!r}")
    store.set_user(user, password_hash=hash_password(_read_password(password_stdin)))
    if json_out:
        print_json({"name": user, "password_changed": True})
    else:
        console.print(f"password of {user} changed; their sessions ended")


@review_app.command()
@handle_errors
def deactivate(
    user: UserArg,
    activate: Annotated[bool, typer.Option("--activate", help="Activate again instead.")] = False,
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Deactivate an account (audited): its sessions end and its API tokens stop working."""
    u = open_store(db).set_user(user, active=activate)
    if json_out:
        print_json({"name": u.name, "active": u.active})
    else:
        console.print(f"{u.name} {'activated' if u.active else 'deactivated'}")


@review_app.command("set-role")
@handle_errors
def set_role(
    user: UserArg,
    role: Annotated[str, typer.Argument(help="admin or reviewer.")],
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Change an account's role (audited)."""
    u = open_store(db).set_user(user, role=role)
    if json_out:
        print_json({"name": u.name, "role": u.role})
    else:
        console.print(f"{u.name} is now {u.role}")


@review_app.command("revoke-tokens")
@handle_errors
def revoke_tokens(user: UserArg, db: DbOpt = None, json_out: JsonOpt = False) -> None:
    """Revoke every API token of a user (each revocation audited)."""
    store = open_store(db)
    if store.get_user(user) is None:
        raise MedtrustError(f"no user {user!r}")
    n = store.revoke_tokens(user)
    if json_out:
        print_json({"name": user, "revoked": n})
    else:
        console.print(f"{n} token(s) of {user} revoked")


@review_app.command()
@handle_errors
def unlock(user: UserArg, db: DbOpt = None, json_out: JsonOpt = False) -> None:
    """Lift a login lockout (too many failed passwords) before it runs out (audited)."""
    changed = open_store(db).unlock_user(user, by=_by())
    if json_out:
        print_json({"name": user, "unlocked": changed})
    else:
        console.print(f"{user} unlocked" if changed else f"{user} was not locked")


@review_app.command()
@handle_errors
def users(db: DbOpt = None, json_out: JsonOpt = False) -> None:
    """List accounts."""
    store = open_store(db)
    rows = [(u, store.login_locked(u.name)) for u in store.list_users()]
    if json_out:
        print_json(
            {
                "users": [
                    {"name": u.name, "role": u.role, "active": u.active, "locked": locked}
                    for u, locked in rows
                ]
            }
        )
        return
    for u, locked in rows:
        state = ("active" if u.active else "inactive") + (" locked" if locked else "")
        console.print(f"{u.name}\t{u.role}\t{state}", markup=False, highlight=False)


@review_app.command()
@handle_errors
def aggregates(
    run_id: Annotated[str, typer.Argument(help="Run id (a unique prefix is enough).")],
    alpha: Annotated[
        float | None,
        typer.Option(help="Trust-score weight of accuracy (with --beta; default: the run's)."),
    ] = None,
    beta: Annotated[
        float | None,
        typer.Option(help="Trust-score weight of compliance; alpha + beta = 1."),
    ] = None,
    db: DbOpt = None,
) -> None:
    """Agreement (Krippendorff's alpha, judge kappa), explanation ratings and trust score of a
    run, as JSON.

    T = mean over reviewed cases of alpha * accuracy + beta * compliance, with the weights of
    the run (its ``trust:``), else of its suite (default 0.5 / 0.5), unless --alpha/--beta.
    """
    from medtrust.review._aggregate import run_aggregates

    if (alpha is None) != (beta is None):
        raise MedtrustError("--alpha and --beta go together: give both (they sum to 1)")
    weights = (alpha, beta) if alpha is not None and beta is not None else None
    store = open_store(db)
    info = store.get_run(run_id)
    agg = run_aggregates(store, info.id, seed=info.seed, weights=weights)
    # the shell is the owner's: nothing withheld (reviewers' views: review._suppress)
    print_json({**agg, "suppressed": None})


@review_app.command()
@handle_errors
def queue(
    run_id: Annotated[str, typer.Argument(help="Run id (a unique prefix is enough).")],
    limit: Annotated[
        int | None,
        typer.Option("--limit", min=0, help="Cases to list (default: all; all are counted)."),
    ] = None,
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """The run's review queue (concerning, uncertain, failures, calibration sample), the concern
    threshold and the reviewers the run is assigned to (streamed: memory flat in the run)."""
    from itertools import islice

    from medtrust.review._concern import review_settings
    from medtrust.review._queue import CALIBRATION_MIN, CALIBRATION_SHARE
    from medtrust.review._queue_stream import QueueStream, print_json_list

    store = open_store(db)
    info = store.get_run(run_id)
    stream = QueueStream(store, info.id, share=CALIBRATION_SHARE, minimum=CALIBRATION_MIN)
    items = islice(stream, limit)
    threshold = review_settings(info.config).concern_threshold
    assignees = store.assignees(info.id)
    if json_out:
        head = {"run_id": info.id, "concern_threshold": threshold, "assignees": assignees}
        print_json_list(head, "queue", (q.as_dict() for q in items))
        return
    console.print(f"run {info.id}: {stream.total} cases; concern threshold {threshold:g}; "
                  f"assigned to {', '.join(assignees) or 'nobody'}", markup=False)
    for q in items:
        console.print(f"{q.category:<11} {q.case_id}  {q.axis}/{q.operator}  {q.reason}",
                      markup=False, highlight=False)
