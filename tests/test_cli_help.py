"""Every command's ``--help`` shows its help text whole (issue 19, tester's finding 5).

Typer renders help with rich markup, which reads ``[default: ...]`` or ``[SCHEME]`` as a style
tag and drops it silently, leaving "exceeds this ." behind. The whole command tree is walked
(lazy groups included) and each ``--help`` is rendered: no text may vanish. Help strings must
escape a literal ``[`` (``\\[`` or ``rich.markup.escape``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import typer
from rich.markup import render
from typer.testing import CliRunner

from medtrust.cli import app

BOX = re.compile(r"[│╭╮╰╯─┌┐└┘]")


Command = Any  # typer's (vendored) click command


def _walk(
    cmd: Command, ctx: typer.Context, path: tuple[str, ...]
) -> Iterator[tuple[tuple[str, ...], Command]]:
    yield path, cmd
    if hasattr(cmd, "list_commands"):  # a group (lazy ones mount their commands here)
        for name in cmd.list_commands(ctx):
            sub = cmd.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                yield from _walk(sub, typer.Context(sub, parent=ctx, info_name=name), (*path, name))


def _commands() -> list[tuple[tuple[str, ...], Command]]:
    root = typer.main.get_command(app)
    return list(_walk(root, typer.Context(root, info_name="medtrust"), ()))


COMMANDS = _commands()


def _texts(cmd: Command) -> list[str]:
    """The help strings a command renders (its own and each parameter's)."""
    out = [cmd.help or "", cmd.short_help or ""]
    out += [getattr(p, "help", None) or "" for p in cmd.params]
    return [t for t in out if t]


def test_the_walk_reaches_every_command() -> None:
    names = {" ".join(path) for path, _ in COMMANDS}
    assert {"run", "gate", "audit-model", "judge validate", "cohort generate"} <= names
    assert len(names) > 30


@pytest.mark.parametrize("cmd", [c for _, c in COMMANDS], ids=[" ".join(p) or "medtrust"
                                                                for p, _ in COMMANDS])
def test_no_help_text_is_eaten_as_rich_markup(cmd: Command) -> None:
    for text in _texts(cmd):
        shown = render(text).plain  # what rich prints for it
        words = re.findall(r"\S+", text.replace("\\[", "["))
        missing = [w for w in words if w not in shown]
        assert not missing, f"rich markup swallows {missing} of {text!r}"


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS], ids=[" ".join(p) or "medtrust"
                                                                for p, _ in COMMANDS])
def test_help_output_has_no_holes(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    lines = [" ".join(BOX.sub(" ", line).split()) for line in result.output.splitlines()]
    text = " ".join(lines)
    for hole in (" .", " ,", " ;", "()", "( )", "[]"):
        # "..." in usage lines and a lone "." as a path value are real text
        assert not re.search(re.escape(hole) + r"(?!\.)(?=\s|$)", text.replace(" ...", "")), (
            f"{' '.join(path)} --help has {hole!r}: {text}"
        )
