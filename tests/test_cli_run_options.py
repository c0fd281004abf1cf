"""``medtrust run`` option parsing: the Ray scale-out flags (issue 15 item 2) reach the run's
configuration, ``--ray`` takes an optional address, and contradictory flags are one line, exit 2.

No Ray is started: :func:`medtrust.api.run` is replaced by a recorder that keeps the
configuration the CLI built and stops there, so the real parsing path (Typer, argv fix-up,
``api.make_config``, ``RunConfig`` validation) is what is tested.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from medtrust import api
from medtrust.cli import app, main
from medtrust.config import RunConfig
from medtrust.errors import MedtrustError

runner = CliRunner()
BASE = ["run", "robustness", "-t", "python:oracle:answer", "--db", "sqlite:///o.db", "--limit", "1"]


class _Stop(MedtrustError):
    pass


@pytest.fixture
def seen(monkeypatch: pytest.MonkeyPatch, oracle_dir: Path) -> list[RunConfig]:
    """The configurations ``medtrust run`` hands to :func:`medtrust.api.run`."""
    configs: list[RunConfig] = []

    def record(config: RunConfig, **_: Any) -> Any:
        configs.append(config)
        raise _Stop("recorded")

    monkeypatch.setattr(api, "run", record)
    return configs


def invoke(*args: str) -> Any:
    from medtrust._cli_run import with_ray_default

    return runner.invoke(app, with_ray_default([*BASE, *args]))


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], (None, 1, 1.0, 0.0)),
        (["--ray"], ("local", 1, 1.0, 0.0)),
        (["--ray", "--replicas", "3"], ("local", 3, 1.0, 0.0)),
        (["--ray", "auto", "--replicas", "4", "--replica-cpus", "0.5"], ("auto", 4, 0.5, 0.0)),
        (["--ray", "ray://h:10001", "--replica-gpus", "0.25"], ("ray://h:10001", 1, 1.0, 0.25)),
        (["--ray=10.0.0.5:6379", "--replicas", "2"], ("10.0.0.5:6379", 2, 1.0, 0.0)),
        (["--replicas", "2", "--ray"], ("local", 2, 1.0, 0.0)),
    ],
)
def test_ray_flags_set_the_run_configuration(
    seen: list[RunConfig], args: list[str], expected: tuple[Any, ...]
) -> None:
    res = invoke(*args)
    assert res.exit_code == 2 and "recorded" in res.output  # stopped by the recorder
    (config,) = seen
    assert (config.ray, config.replicas, config.replica_cpus, config.replica_gpus) == expected
    assert config.target == "python:oracle:answer" and config.suite.name == "robustness"


def test_ray_before_the_suite_is_a_local_ray_not_an_address(seen: list[RunConfig]) -> None:
    from medtrust._cli_run import with_ray_default

    argv = with_ray_default(["run", "--ray", "robustness", "-t", "python:oracle:answer",
                             "--db", "sqlite:///o.db", "--limit", "1"])  # fmt: skip
    res = runner.invoke(app, argv)
    assert res.exit_code == 2, res.output
    assert seen[0].ray == "local" and seen[0].suite.name == "robustness"


@pytest.mark.parametrize(
    "args",
    [["--replicas", "2"], ["--replica-cpus", "2"], ["--replica-gpus", "1"]],
)
def test_replica_settings_without_ray_are_one_line_exit_2(
    seen: list[RunConfig], args: list[str]
) -> None:
    res = invoke(*args)
    assert res.exit_code == 2
    assert "need --ray" in res.output and len(res.output.strip().splitlines()) == 1
    assert not seen  # refused before any run


@pytest.mark.parametrize("args", [["--ray", "--replicas", "0"], ["--ray", "--replica-cpus", "-1"]])
def test_bad_replica_values_are_refused(seen: list[RunConfig], args: list[str]) -> None:
    res = invoke(*args)
    assert res.exit_code == 2 and not seen


def test_main_fixes_up_a_bare_ray(seen: list[RunConfig]) -> None:
    with pytest.raises(SystemExit) as exc:
        main([*BASE, "--ray", "--replicas", "2"])
    assert exc.value.code == 2
    assert (seen[0].ray, seen[0].replicas) == ("local", 2)


def test_help_documents_the_ray_flags() -> None:
    res = runner.invoke(app, ["run", "--help"], env={"COLUMNS": "200"})
    assert res.exit_code == 0
    for flag in ("--ray", "--replicas", "--replica-cpus", "--replica-gpus", "ADDRESS", "auto"):
        assert flag in res.output


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["run", "--ray"], ["run", "--ray", "local"]),
        (["run", "--ray", "--json"], ["run", "--ray", "local", "--json"]),
        (["run", "--ray", "auto"], ["run", "--ray", "auto"]),
        (["run", "--ray", "local"], ["run", "--ray", "local"]),
        (["run", "--ray", "host:6379"], ["run", "--ray", "host:6379"]),
        (["run", "--ray", "quickstart"], ["run", "--ray", "local", "quickstart"]),
        (["run", "--ray=auto"], ["run", "--ray=auto"]),
        (["cohort", "generate", "--ray"], ["cohort", "generate", "--ray", "local"]),
    ],
)
def test_bare_ray_gets_local(argv: list[str], expected: list[str]) -> None:
    from medtrust._cli_run import with_ray_default

    assert with_ray_default(argv) == expected


@given(st.lists(st.sampled_from(["--ray", "auto", "local", "h:1", "-t", "x", "suite", "--json"])))
def test_every_ray_gets_an_address_and_nothing_else_changes(argv: list[str]) -> None:
    from medtrust._cli_run import with_ray_default

    out = with_ray_default(argv)
    for i, arg in enumerate(out):
        if arg == "--ray":
            assert i + 1 < len(out) and (out[i + 1] in ("auto", "local") or ":" in out[i + 1])
    # removing the inserted words gives the input back
    inserted = len(out) - len(argv)
    assert inserted == sum(
        1
        for i, a in enumerate(argv)
        if a == "--ray"
        and (i + 1 == len(argv) or not (argv[i + 1] in ("auto", "local") or ":" in argv[i + 1]))
    )


@pytest.mark.parametrize("seed", ["-5", str(2**63), "99999999999999999999999"])
def test_a_seed_outside_0_to_2_63_is_refused_before_the_run(
    seen: list[RunConfig], seed: str
) -> None:
    """numpy refuses a negative seed (the summary crashed after every call was made) and the
    store's 64-bit column a larger one (an OverflowError traceback)."""
    res = invoke("--seed", seed)
    assert res.exit_code == 2 and not seen
    assert "--seed" in res.output and "Traceback" not in res.output
    assert not Path("o.db").exists()


def test_the_largest_seed_is_accepted(seen: list[RunConfig]) -> None:
    invoke("--seed", str(2**63 - 1))
    assert [c.seed for c in seen] == [2**63 - 1]
