"""The ``medtrust`` command. Thin: parses options, calls :mod:`medtrust.api`, prints.

Each command lives in a small ``_cli_*`` module (or its package's ``cli.py``) and is mounted
here by name. Mounting is lazy (:class:`LazyGroup`): ``medtrust run`` imports the ``run``
command and what it calls, not the review app, the cohort generator or the fairness audit, so
the first request reaches the target sooner (issue 15 item 7). ``medtrust --help`` lists every
command and so imports them all.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

# pydantic looks for plugins by scanning every installed distribution's entry points when the
# first model is built (~0.1-0.2 s with a few hundred packages installed); the command uses
# none. An explicit PYDANTIC_DISABLE_PLUGINS (even empty: plugins on) is left as set.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

EXIT_INTERRUPTED = 130
"""Exit code after Ctrl-C (128 + SIGINT, as a shell reports a command stopped by it)."""


def interrupted() -> NoReturn:
    """Ctrl-C that no command handled: ``interrupted`` on stderr, no traceback, exit 130.

    Written with ``sys.stderr`` alone, since it may run while the command's own modules (rich,
    typer) are still being imported.
    """
    sys.stderr.write("interrupted\n")
    sys.stderr.flush()
    raise SystemExit(EXIT_INTERRUPTED)


try:  # the console script imports this module before it calls main(): Ctrl-C can land here
    import typer
    import typer.core
    import typer.main

    from medtrust._cli_run import register as register_run_command
    from medtrust._cli_run import with_ray_default
    from medtrust._cli_util import fail
    from medtrust.errors import MedtrustError
except KeyboardInterrupt:
    interrupted()


@contextmanager
def _interrupts_exit() -> Iterator[None]:
    """Ctrl-C inside: :func:`interrupted` (Click would exit 130 without a word, or say
    "Aborted!")."""
    try:
        yield
    except KeyboardInterrupt:
        interrupted()


LAZY: dict[str, tuple[str, str]] = {
    # command name: (module, attribute). The attribute is a typer.Typer (a command group), a
    # ``register(app)`` function adding commands, or a command function.
    "runs": ("medtrust._cli_runs", "runs"),
    "report": ("medtrust._cli_report", "register"),
    "gate": ("medtrust._cli_report", "register"),
    "compliance": ("medtrust._cli_report", "register"),
    "docs": ("medtrust._cli_report", "register"),
    "compare": ("medtrust.compare.cli", "register"),
    "cases": ("medtrust._cli_runs", "cases_app"),
    "cohort": ("medtrust.cohort.cli", "cohort_app"),
    "audit": ("medtrust.audit.cli", "audit_app"),
    "multimodal": ("medtrust.multimodal.cli", "multimodal_app"),
    "review": ("medtrust.review.cli", "review_app"),
    "judge": ("medtrust.judges.cli", "judge_app"),
    "import": ("medtrust._cli_interop", "import_app"),
    "audit-model": ("medtrust.fairness.cli", "audit_model_command"),
}
"""Every command but ``run``, with where it lives; imported when it is invoked."""


def _commands(name: str, module: str, attr: str) -> dict[str, Any]:
    """The click command(s) that ``module.attr`` provides, by name, mounted exactly as
    ``app.add_typer`` / ``register(app)`` / ``app.command`` would mount them."""
    obj = getattr(importlib.import_module(module), attr)
    holder = typer.Typer(rich_markup_mode="rich")
    if isinstance(obj, typer.Typer):
        holder.add_typer(obj, name=name)
    elif attr == "register":
        obj(holder)
    else:
        holder.command(name)(obj)
    holder.callback()(lambda: None)  # always a group, so every command keeps its own name
    group = typer.main.get_command(holder)
    return dict(group.commands)  # type: ignore[attr-defined]


class LazyGroup(typer.core.TyperGroup):
    """The top-level group: commands of :data:`LAZY` are imported on first use. Ctrl-C while
    the arguments are parsed (``--help`` imports every command) or a command runs, which the
    command did not handle itself, ends with one line (:func:`interrupted`)."""

    def make_context(
        self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any
    ) -> Any:
        with _interrupts_exit():
            return super().make_context(info_name, args, parent=parent, **extra)

    def invoke(self, ctx: Any) -> Any:
        with _interrupts_exit():
            return super().invoke(ctx)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        known = super().get_command(ctx, cmd_name)
        if known is not None or cmd_name not in LAZY:
            return known
        self._mount(*LAZY[cmd_name], cmd_name)
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx: Any) -> list[str]:
        for name, (module, attr) in LAZY.items():
            if name not in self.commands:
                self._mount(module, attr, name)
        return super().list_commands(ctx)

    def _mount(self, module: str, attr: str, name: str) -> None:
        for cmd_name, cmd in _commands(name, module, attr).items():
            self.commands.setdefault(cmd_name, cmd)


app = typer.Typer(
    name="medtrust",
    cls=LazyGroup,
    help="Dynamic benchmarking and red-teaming for healthcare AI.\n\n"
    "Run `medtrust run` with no arguments for the quickstart suite against the embedded "
    "SmolLM2 model; results go to ./medtrust.db and ./medtrust-report/RUN_ID/index.html "
    "(./medtrust-report/latest points to the newest).",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)


@app.callback()
def _group() -> None:
    # A callback keeps ``medtrust`` a group even while only ``run`` is registered eagerly.
    pass


register_run_command(app)  # run: imported eagerly, it is the command that must start fast


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point (``argv``: the arguments, default ``sys.argv[1:]``).

    Exits with the command's code; Ctrl-C anywhere (also before the command starts) prints
    ``interrupted`` and exits 130 without a traceback (:func:`interrupted`).
    """
    with _interrupts_exit():
        if argv is None:  # the console script's own process: one command, then exit
            from medtrust import _oneshot

            _oneshot.enable()
        args = with_ray_default(sys.argv[1:] if argv is None else argv)
        try:
            app(args=args, prog_name="medtrust")
        except MedtrustError as exc:  # raised outside a command (e.g. while loading plug-ins)
            raise SystemExit(fail(str(exc)).exit_code) from None
