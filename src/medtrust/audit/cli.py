"""``medtrust audit ...``: verify the trail, prove a case, export the publishable chain.

Exit codes: 0 intact / valid, 1 broken / invalid, 2 bad input (unknown run, unreadable file).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from itertools import chain
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from medtrust._cli_util import DbOpt, JsonOpt, console, handle_errors, open_store, print_json
from medtrust.audit._export import iter_export_lines, open_event, verify_export, write_jsonl
from medtrust.audit._keys import key_path, public_key_hex, public_key_pem, trusted_keys
from medtrust.audit._proof import make_proof, verify_proof
from medtrust.audit._verify import verify as verify_store
from medtrust.errors import MedtrustError

audit_app = typer.Typer(
    help="Tamper-evident audit trail: verify it, prove a case, export what can be published.",
    no_args_is_help=True,
)

KeyOpt = Annotated[
    str, typer.Option("--public-key", help="The owner's Ed25519 public key: hex, PEM or a file.")
]


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise MedtrustError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except json.JSONDecodeError as exc:
        raise MedtrustError(f"{path}:{exc.lineno}: invalid JSON: {exc.msg}") from None


def _emit(obj: dict[str, Any], out: Path | None, what: str) -> None:
    if out is None:
        print_json(obj)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(obj, indent=2) + "\n", encoding="utf-8")
    console.print(f"{what}: {out}", markup=False)


@audit_app.command()
@handle_errors
def verify(
    run_id: Annotated[
        str | None, typer.Argument(help="Check this run's content and roots (default: all).")
    ] = None,
    public_key: Annotated[
        list[str] | None,
        typer.Option(
            "--public-key",
            help="Trust roots signed with this key: hex, PEM, or a file of keys (PEM blocks or "
            "one hex key a line). Repeatable; adds to $MEDTRUST_TRUSTED_KEYS and this "
            "machine's own key.",
        ),
    ] = None,
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Recompute the chain, commitments and signed roots; name the first broken event.

    Roots must be signed by a trusted key (--public-key, $MEDTRUST_TRUSTED_KEYS, or this
    machine's audit key): keys recorded in the store are never trusted on their own word.
    """
    keys = public_key or []
    trusted_keys(keys)  # a bad key file is bad input (exit 2) before the store is opened
    report = verify_store(open_store(db), run_id, public_keys=keys)
    if json_out:
        print_json(report.to_json())
    if report.first is not None:
        more = f" (and {len(report.breaks) - 1} more)" if len(report.breaks) > 1 else ""
        where = escape(report.first.line() + more)
        console.print(f"[red]audit trail broken[/] at {where}", soft_wrap=True)
        raise typer.Exit(1)
    console.print(
        f"[green]audit trail intact[/]: {report.events} events, {len(report.runs)} run(s), "
        f"{report.seals} signed root(s)"
    )


@audit_app.command()
@handle_errors
def proof(
    case_id: Annotated[str, typer.Argument(help="Case id (as in `cases export` or reports).")],
    run: Annotated[str | None, typer.Option(help="Run id (default: the case's latest run).")] = (
        None
    ),
    out: Annotated[Path | None, typer.Option(help="Write the proof here (default: stdout).")] = (
        None
    ),
    db: DbOpt = None,
) -> None:
    """Inclusion proof that a case's events are in its run's signed Merkle root."""
    _emit(make_proof(open_store(db), case_id, run), out, "proof")


@audit_app.command("verify-proof")
@handle_errors
def verify_proof_cmd(
    proof_file: Annotated[Path, typer.Argument(help="Proof JSON from `medtrust audit proof`.")],
    root: Annotated[str, typer.Option("--root", help="The published Merkle root (hex).")],
    public_key: KeyOpt,
    json_out: JsonOpt = False,
) -> None:
    """Check a proof with the published root and public key alone (no store needed)."""
    problems = verify_proof(_read_json(proof_file), root=root, public_key=public_key)
    if json_out:
        print_json({"valid": not problems, "problems": problems})
    for p in problems:
        console.print(f"[red]invalid:[/] {escape(p)}", soft_wrap=True)
    if problems:
        raise typer.Exit(1)
    console.print("[green]proof valid[/]")


@audit_app.command()
@handle_errors
def export(
    run_id: Annotated[str, typer.Argument(help="Run id (a unique prefix is enough).")],
    out: Annotated[Path | None, typer.Option(help="JSONL file (default: stdout).")] = None,
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Write the publishable chain (commitments, roots, signatures, public key) as JSONL."""
    lines = iter_export_lines(open_store(db), run_id)  # streamed: memory flat in the run's size
    if out is None:
        for line in lines:
            sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
        return
    head = next(lines)  # the header: made before any line is written
    count = 0

    def counted() -> Iterator[dict[str, Any]]:
        nonlocal count
        for line in chain([head], lines):
            count += 1
            yield line

    write_jsonl(out, counted())
    if json_out:
        n = count - 1
        print_json({"run_id": head["run_id"], "out": str(out), "lines": n, "root": head["root"]})
    console.print(f"{count} lines -> {out} (root {head['root']})", markup=False)


@audit_app.command("verify-export")
@handle_errors
def verify_export_cmd(
    export_file: Annotated[Path, typer.Argument(help="JSONL from `medtrust audit export`.")],
    public_key: KeyOpt,
    json_out: JsonOpt = False,
) -> None:
    """Check an exported chain with the owner's public key alone."""
    try:
        text = export_file.read_text(encoding="utf-8")
        lines = [json.loads(x) for x in text.splitlines() if x.strip()]
    except OSError as exc:
        raise MedtrustError(f"{export_file}: cannot read: {exc.strerror or exc}") from None
    except json.JSONDecodeError as exc:
        raise MedtrustError(f"{export_file}: invalid JSON line: {exc.msg}") from None
    problems = verify_export(lines, public_key=public_key)
    if json_out:
        print_json({"valid": not problems, "problems": problems})
    for p in problems:
        console.print(f"[red]invalid:[/] {escape(p)}", soft_wrap=True)
    if problems:
        raise typer.Exit(1)
    console.print("[green]export valid[/]")


@audit_app.command("open")
@handle_errors
def open_cmd(
    seq: Annotated[int, typer.Argument(help="Sequence number of the event to disclose.")],
    out: Annotated[Path | None, typer.Option(help="Write the opening here.")] = None,
    db: DbOpt = None,
) -> None:
    """Disclose one event (its salt and content) to someone holding the published chain."""
    _emit(open_event(open_store(db), seq), out, "opening")


@audit_app.command("public-key")
@handle_errors
def public_key(json_out: JsonOpt = False) -> None:
    """Print the audit public key (generated on first use) to publish with roots."""
    info = {"public_key": public_key_hex(), "pem": public_key_pem(), "key_file": str(key_path())}
    if json_out:
        print_json(info)
        return
    sys.stdout.write(info["public_key"] + "\n")
