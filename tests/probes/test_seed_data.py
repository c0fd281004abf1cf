"""Probe seed data (issue 19.4): the hallucination knowledge and the bias styles live in
validated data files beside the cohort knowledge base; a bad file is one ConfigError line
naming the file, the line and the entry, and the probes build their cases from the file."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from medtrust.errors import ConfigError
from medtrust.probes import ProbeContext, probes
from medtrust.probes.cognitive_bias._styles import bias_sentence, bias_styles, load_styles
from medtrust.probes.cognitive_bias._styles import default_path as styles_path
from medtrust.probes.hallucination._kb import default_path as kb_path
from medtrust.probes.hallucination._kb import knowledge, load_knowledge


def _broken(tmp_path: Path, source: Path, old: str, new: str) -> Path:
    text = source.read_text(encoding="utf-8")
    assert text.count(old) >= 1, old
    bad = tmp_path / source.name
    bad.write_text(text.replace(old, new, 1), encoding="utf-8")
    return bad


def _line_of(path: Path, needle: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if needle in line)


# --- the bundled files --------------------------------------------------------------------------


def test_bundled_files_live_beside_the_cohort_knowledge_base() -> None:
    for path in (kb_path(), styles_path()):
        assert path.parent.name == "data" and path.parent.parent.name == "cohort"
        assert (path.parent / "conditions.yaml").exists()


def test_the_bundled_bias_styles_are_biasmedqas_eight_with_two_phrasings() -> None:
    styles = bias_styles()
    assert list(styles) == [
        "self_diagnosis", "recency", "confirmation", "frequency", "cultural", "status_quo",
        "false_consensus", "defensive_medicine",
    ]
    assert all(len(t) == 2 and all(x.count("{wrong}") == 1 for x in t) for t in styles.values())


def test_the_bundled_hallucination_knowledge_loads_with_integer_doses_kept() -> None:
    kb = knowledge()
    assert len(kb.false_premises) >= 8 and len(kb.impossible) == 8 and len(kb.doses) == 10
    acetaminophen = kb.doses[0]
    # integers stay integers: the gold of existing cases (and their ids) do not change
    assert (acetaminophen.lo_mg, type(acetaminophen.lo_mg)) == (3000, int)
    assert kb.doses[8].lo_mg == pytest.approx(1.2)
    assert any(d.forbid for d in kb.doses)


def test_probes_build_their_cases_from_the_files() -> None:
    sentence = bias_sentence("recency", "Drug X", random.Random(0))
    assert sentence in {t.format(wrong="Drug X") for t in bias_styles()["recency"]}
    p = probes.get("hallucination.known_answer")(
        ctx=ProbeContext(limit=3), params={"kinds": ["dosage", "false_premise"], "n": 2}
    )
    questions = [c.messages[-1]["content"] for c in p.cases()]
    kb = knowledge()
    assert any(kb.doses[0].question in q for q in questions)
    assert any(kb.false_premises[0].question in q for q in questions)


# --- broken files -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "field", "message", "line"),
    [
        # a rule across fields names the entry: the line where the entry starts
        ("    lo_mg: 3000", "    lo_mg: 5000", "doses.0", "min_mg <= lo_mg <= hi_mg",
         "maximum total daily dose of acetaminophen"),
        ("    lo_mg: 3000", "    lo_mg: lots", "doses.0.lo_mg", "valid", "lo_mg: lots"),
        ("wrong: [\"3 days\", \"7 days\", \"14 days\"]", "wrong: [\"3 days\"]",
         "false_premises.0.wrong", "Field required", "wrong: [\"3 days\"]"),
        ("forbid: ['\\bdaily\\b',", "forbid: ['(daily',", "doses.7.forbid",
         "not a regular expression", "forbid: ['(daily'"),
        ("  impossible: \"A value", "  impossibl: \"A value", "answers", "", None),
        ("syllables_a: [\"zel\"", "syllables_a: [\"Zel!\"", "syllables_a", "lower-case",
         "syllables_a:"),
    ],
)
def test_a_bad_hallucination_file_is_one_line_naming_file_line_and_entry(
    tmp_path: Path, old: str, new: str, field: str, message: str, line: str | None
) -> None:
    bad = _broken(tmp_path, kb_path(), old, new)
    with pytest.raises(ConfigError, match=message) as err:
        load_knowledge(bad)
    text = str(err.value)
    assert "\n" not in text
    where, got_field, _ = text.split(": ", 2)
    assert where.startswith(f"{bad}:") and got_field.startswith(field)
    if line is not None:  # 1-based line of the broken entry (or its field)
        assert int(where.rsplit(":", 1)[1]) == _line_of(bad, line)


@pytest.mark.parametrize(
    ("old", "new", "field", "message"),
    [
        ("the answer was {wrong}.", "the answer was wrong.", "styles.recency.0", "one {wrong}"),
        ("the answer was {wrong}.", "the answer was {wrong} {x}.", "styles.recency.0",
         "no other braces"),
        ("  recency:", "  Recency:", "styles.Recency", "pattern"),
        ("styles:", "style:", "styles", "Field required"),
    ],
)
def test_a_bad_style_file_is_one_line_naming_file_line_and_style(
    tmp_path: Path, old: str, new: str, field: str, message: str
) -> None:
    bad = _broken(tmp_path, styles_path(), old, new)
    with pytest.raises(ConfigError, match=message) as err:
        load_styles(bad)
    text = str(err.value)
    assert "\n" not in text and text.startswith(f"{bad}:")
    assert text.split(": ", 2)[1].startswith(field)
    if field == "styles.recency.0":
        assert text.startswith(f"{bad}:{_line_of(bad, new[:20])}:")


def test_a_style_without_templates_and_a_non_mapping_file_are_config_errors(
    tmp_path: Path,
) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text("styles:\n  recency: []\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"styles\.recency: .*at least 1"):
        load_styles(empty)
    listed = tmp_path / "list.yaml"
    listed.write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="must be a YAML mapping"):
        load_styles(listed)
    with pytest.raises(ConfigError, match="must be a YAML mapping"):
        load_knowledge(listed)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(max_size=200))
def test_any_file_content_loads_or_is_a_config_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "any.yaml"
    path.write_text(text, encoding="utf-8")
    for load in (load_styles, load_knowledge):
        try:
            load(path)
        except ConfigError as exc:
            assert "\n" not in str(exc).strip() and str(path) in str(exc)


def test_a_control_character_is_a_config_error_naming_its_line(tmp_path: Path) -> None:
    # Found by the property above: PyYAML's ReaderError carries a position, not a mark.
    bad = tmp_path / "styles.yaml"
    bad.write_text('styles:\n  recency:\n    - "the answer is \x1f{wrong}"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="control characters are not allowed") as err:
        load_styles(bad)
    assert str(err.value).startswith(f"{bad}:3: invalid YAML")


@pytest.mark.parametrize(
    ("module", "suite", "old", "new"),
    [
        ("medtrust.probes.cognitive_bias._styles", "cognitive_bias",
         "the answer was {wrong}.", "the answer was wrong."),
        ("medtrust.probes.hallucination._kb", "hallucination", "    hi_mg: 4000", "    hi_mg: 1"),
    ],
)
def test_cases_export_with_a_broken_bundled_file_exits_2_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, module: str, suite: str, old: str, new: str
) -> None:
    import importlib

    from typer.testing import CliRunner

    from medtrust.cli import app

    mod = importlib.import_module(module)
    bad = _broken(tmp_path, mod.default_path(), old, new)
    cached = mod._bundled if hasattr(mod, "_bundled") else mod.knowledge
    monkeypatch.setattr(mod, "default_path", lambda: bad)
    cached.cache_clear()
    try:
        out = tmp_path / "cases.jsonl"
        res = CliRunner().invoke(app, ["cases", "export", suite, "--out", str(out)])
    finally:
        cached.cache_clear()
    assert res.exit_code == 2, res.output
    lines = [x for x in res.output.splitlines() if x.strip()]
    assert len(lines) == 1 and str(bad) in lines[0], res.output
    assert not out.exists()  # nothing half-written
