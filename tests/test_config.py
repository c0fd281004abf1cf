"""Suite files: bundled suites load, and every error names the file and the line."""

from __future__ import annotations

import tempfile
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from medtrust.config import Suite, bundled_suites, load_suite
from medtrust.errors import ConfigError, read_text


def write(tmp_path: Path, text: str, name: str = "suite.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


@pytest.mark.parametrize("name", bundled_suites())
def test_bundled_suites_load(name: str) -> None:
    suite = load_suite(name)
    assert isinstance(suite, Suite)
    assert suite.name == name
    assert suite.probes
    assert all(p.name for p in suite.probes)


def test_the_documented_suites_are_bundled() -> None:
    assert {"quickstart", "robustness"} <= set(bundled_suites())


def test_a_valid_suite_file_loads(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        name: mine
        sampling:
          temperature: 0.7
          max_tokens: 16
        samples: 5
        probes:
          - name: robustness.das
            limit: 3
            params:
              operators: [bias]
        """,
    )
    suite = load_suite(str(path))
    assert suite.name == "mine"
    assert suite.samples == 5
    assert suite.sampling.temperature == 0.7
    assert suite.sampling.max_tokens == 16
    assert suite.probes[0].limit == 3
    assert suite.probes[0].params == {"operators": ["bias"]}


def test_yaml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        name: broken
        probes:
          - name: robustness.das
            params: {operators: [bias
        samples: 1
        """,
    )
    with pytest.raises(ConfigError, match="invalid YAML") as info:
        load_suite(str(path))
    message = str(info.value)
    assert message.startswith(f"{path}:")
    line = int(message[len(str(path)) + 1 :].split(":")[0])
    assert line in {4, 5}


def test_tab_indentation_error_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "name: x\nprobes:\n\t- name: y\n")
    with pytest.raises(ConfigError, match=rf"^{path}:3: invalid YAML"):
        load_suite(str(path))


BLOCK = """
name: bad
samples: 1
probes:
  - name: x
    limit: many
"""
FLOW = """
name: bad
description: limit is not a number
samples: 1
sampling: {temperature: 0}
probes: [{name: x, limit: "many"}]
"""


@pytest.mark.parametrize("text", [BLOCK, FLOW], ids=["block", "flow"])
def test_wrong_type_deep_inside_names_line_and_field(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, text)
    assert "limit" in path.read_text().splitlines()[4]  # line 5
    with pytest.raises(ConfigError) as info:
        load_suite(str(path))
    assert str(info.value).startswith(f"{path}:5: probes.0.limit: ")
    assert "integer" in str(info.value)


def test_second_probe_error_points_at_the_second_probe(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        name: two
        probes:
          - name: robustness.das
          - name: robustness.das
            limit: 0
        """,
    )
    with pytest.raises(ConfigError, match=rf"^{path}:5: probes\.1\.limit: "):
        load_suite(str(path))


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("name: x\ncolour: red\nprobes:\n  - name: y\n", ":2: colour: "),
        ("name: x\nprobes:\n  - name: y\n    lmit: 3\n", ":4: probes.0.lmit: "),
        ("name: x\nsampling:\n  temprature: 1\nprobes:\n  - name: y\n", ":3: sampling.temprature"),
    ],
)
def test_unknown_keys_are_errors(tmp_path: Path, text: str, where: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_suite(str(path))
    assert str(info.value).startswith(f"{path}{where}")
    assert "Extra inputs are not permitted" in str(info.value)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("name: x\nprobes: []\n", "probes"),
        ("name: x\n", "probes"),
        ("probes:\n  - name: y\n", "name"),
        ("name: x\nsamples: 0\nprobes:\n  - name: y\n", ":2: samples"),
        (
            "name: x\nsampling:\n  temperature: 9\nprobes:\n  - name: y\n",
            ":3: sampling.temperature",
        ),
    ],
)
def test_invalid_values_are_errors(tmp_path: Path, text: str, fragment: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError, match=str(path)) as info:
        load_suite(str(path))
    assert fragment in str(info.value)


@pytest.mark.parametrize("text", ["- a\n- b\n", "just a string\n", ""])
def test_a_suite_must_be_a_mapping(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError, match=rf"^{path}:1: a suite must be a YAML mapping"):
        load_suite(str(path))


def test_unknown_suite_name_lists_the_bundled_ones() -> None:
    with pytest.raises(ConfigError, match="unknown suite 'no-such-suite'") as info:
        load_suite("no-such-suite")
    for name in bundled_suites():
        assert name in str(info.value)


def test_missing_suite_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_suite(str(tmp_path / "absent.yaml"))


@pytest.mark.parametrize(
    ("text", "where", "fragment"),
    [
        (
            """
            name: s
            probes:
              - name: robustness.das
              - name: robustness.nope
            """,
            ":4:",
            "probes.1.name: unknown probe 'robustness.nope'",
        ),
        (
            """
            name: s
            probes:
              - name: cognitive_bias.biasmedqa
                limit: 2
                params:
                  k: lots
            """,
            ":6:",
            "probes.0.params.k",
        ),
        (
            """
            name: s
            probes:
              - name: privacy.disclosure
                params:
                  chain: false
                  colour: red
            """,
            ":6:",
            "probes.0.params.colour: Extra inputs are not permitted",
        ),
    ],
)
def test_probe_and_parameter_errors_name_file_and_line(
    tmp_path: Path, text: str, where: str, fragment: str
) -> None:
    """Issue 16: unknown probes and bad or unknown parameters are found when the suite loads,
    with the line of the name or parameter, not later as "probe 'x': params.k"."""
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as exc:
        load_suite(str(path))
    assert str(exc.value).startswith(f"{path}{where}"), str(exc.value)
    assert fragment in str(exc.value)


@pytest.mark.parametrize(
    ("content", "line"),
    [
        (b"\x89PNG\r\n\x1a\n\x00binary", 1),
        ("name: s\nprobes:\n  - name: caf\xe9\n".encode("latin-1"), 3),
        (b"name: s\n\xff\xfe\n", 2),
    ],
)
def test_binary_or_non_utf8_suite_names_file_and_line(
    tmp_path: Path, content: bytes, line: int
) -> None:
    path = tmp_path / "s.yaml"
    path.write_bytes(content)
    with pytest.raises(ConfigError, match=rf"^{path}:{line}: (binary content|not UTF-8 text)"):
        load_suite(str(path))


@given(st.binary(max_size=200))
@settings(max_examples=200, deadline=None)
def test_read_text_decodes_or_names_the_first_bad_line(data: bytes) -> None:
    """``errors.read_text`` returns the UTF-8 text, or names the line of the first byte that is
    not UTF-8 (1 + the newlines before it) and that byte."""
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "f.txt"
        path.write_bytes(data)
        try:
            expected = data.decode("utf-8")
        except UnicodeDecodeError as err:
            with pytest.raises(ConfigError) as exc:
                read_text(path)
            line = data[: err.start].count(b"\n") + 1
            assert str(exc.value).startswith(f"{path}:{line}: ")
            assert f"byte 0x{data[err.start]:02x}" in str(exc.value)
        else:
            assert read_text(path) == expected


def test_read_text_of_a_folder_or_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        read_text(tmp_path)
    with pytest.raises(ConfigError, match="cannot read"):
        read_text(tmp_path / "missing.txt")
