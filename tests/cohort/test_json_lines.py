"""Cohort JSONL and FHIR NDJSON readers report a bad line with ``errors.json_line`` (review debt:
they had their own copy of it): the same one line as every other JSONL reader, naming the file
and the line, for invalid JSON and for nesting too deep for the parser."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from medtrust.cli import app
from medtrust.cohort._io import json_lines
from medtrust.errors import ConfigError, json_line

GOOD = json.dumps({"resourceType": "Patient", "id": "a", "gender": "male",
                   "birthDate": "1970-01-01"})


def _expected(line: str, where: str) -> str:
    with pytest.raises(ConfigError) as exc:
        json_line(line, where)
    return str(exc.value)


@given(before=st.integers(0, 4), blanks=st.integers(0, 2),
       bad=st.sampled_from(["{oops", '{"a": 1,}', "[" * 100_000, '{"a": 1} x', "nul"]))
@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_the_bad_line_is_named_as_every_jsonl_reader_names_it(
    tmp_path: Path, before: int, blanks: int, bad: str
) -> None:
    path = tmp_path / "c.ndjson"
    path.write_text("\n".join([GOOD] * before + [""] * blanks + [bad, GOOD]) + "\n")
    where = f"{path}:{before + blanks + 1}"
    with pytest.raises(ConfigError) as exc:
        list(json_lines(path))
    assert str(exc.value) == _expected(bad, where)
    assert len(str(exc.value).splitlines()) == 1


@pytest.mark.parametrize("name", ["c.jsonl", "c.ndjson"])
def test_cohort_validate_says_that_line_and_exits_2(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text(GOOD + "\n\n{oops\n")
    res = CliRunner().invoke(app, ["cohort", "validate", str(path)])
    assert res.exit_code == 2, res.output
    assert _expected("{oops", f"{path}:3") in " ".join(res.output.split())
