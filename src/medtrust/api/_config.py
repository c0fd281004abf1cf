"""Run configurations from what a user states: a suite, a target and overrides."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from medtrust.config import RunConfig, Suite, load_declared, load_suite
from medtrust.errors import ConfigError
from medtrust.probes import probes
from medtrust.store import Store

_FLAGS = {"timeout_s": "timeout", "max_retries": "retries", "use_cache": "no-cache"}
"""RunConfig fields whose command-line flag is not the field name with dashes."""


def with_probe_param(suite: Suite, key: str, value: Any, *, flag: str) -> Suite:
    """Set ``params[key] = value`` on every probe of ``suite`` whose parameters declare ``key``
    (how ``run --attacker`` / ``--judge`` reach the probes that use them); a flag that no probe
    of the suite uses is a :class:`ConfigError` rather than silently ignored."""

    def declares(name: str) -> bool:
        try:
            return key in probes.get(name).Params.model_fields
        except LookupError:  # an unknown probe is reported by build_probes, with its name
            return False

    specs, hit = [], False
    for spec in suite.probes:
        if declares(spec.name):
            spec = spec.model_copy(update={"params": {**spec.params, key: value}})
            hit = True
        specs.append(spec)
    if not hit:
        users = sorted(n for n in probes.names() if declares(n))
        raise ConfigError(
            f"{flag}: suite {suite.name!r} has no probe that uses it (it applies to "
            f"{', '.join(users) or 'no probe'})"
        )
    return suite.model_copy(update={"probes": specs})


def with_sampling(suite: Suite, **sampling: float | int | None) -> Suite:
    """``suite`` with its sampling parameters overridden (``None`` values are left alone);
    an invalid value is a :class:`ConfigError` naming it."""
    over = {k: v for k, v in sampling.items() if v is not None}
    if not over:
        return suite
    try:
        merged = suite.sampling.model_validate({**suite.sampling.model_dump(), **over})
    except ValueError as exc:
        raise ConfigError(f"invalid sampling option: {exc}") from None
    return suite.model_copy(update={"sampling": merged})


def make_config(
    suite: str | Suite = "quickstart",
    *,
    attacker: str | None = None,
    judge: str | None = None,
    temperature: float | None = None,
    max_tokens: int | None = None,
    declare: Path | None = None,
    **overrides: Any,
) -> RunConfig:
    """A validated run configuration from a suite (name, path or :class:`Suite`) and overrides.

    ``attacker`` / ``judge`` (target specs) go to the probes that declare those parameters;
    ``temperature`` / ``max_tokens`` override the suite's sampling; ``declare`` is a declared
    controls YAML; every other keyword is a :class:`RunConfig` field (``None`` means "default").
    Raises :class:`ConfigError` naming the offending flag (``--timeout: ...``).
    """
    suite_obj = suite if isinstance(suite, Suite) else load_suite(suite)
    if attacker:
        suite_obj = with_probe_param(suite_obj, "attacker", attacker, flag="--attacker")
    if judge:
        suite_obj = with_probe_param(suite_obj, "judge", judge, flag="--judge")
    suite_obj = with_sampling(suite_obj, temperature=temperature, max_tokens=max_tokens)
    values = {k: v for k, v in overrides.items() if v is not None}
    if isinstance(values.get("data"), Path):
        values["data"] = str(values["data"])
    if values.get("with_bundled") and not values.get("data"):
        raise ConfigError("--with-bundled adds the bundled items to --data FILE; give --data")
    if declare is not None:
        values["declared"] = load_declared(declare)
    try:
        return RunConfig(suite=suite_obj, **values)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = str(err["loc"][0]) if err["loc"] else "option"
        flag = _FLAGS.get(field, field.replace("_", "-"))
        raise ConfigError(f"--{flag}: {err['msg']} (got {err.get('input')!r})") from None


def feedback_config(store: Store, run_id: str) -> RunConfig:
    """A run seeded from the cases clinicians flagged in ``run_id`` (``--from-feedback``)."""
    from medtrust.review import feedback_config as build

    return build(store, run_id)
