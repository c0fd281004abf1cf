"""Load policy packs: the bundled ones, then the user's, which override rules by id.

Packs are data so that policies can evolve without code changes: a new version of a regulation
is a new file (or a rule with its own ``effective`` date), and an organisation adds its own
rules, or replaces a bundled one, by dropping YAML into ``--policies DIR`` or
``$MEDTRUST_POLICIES`` (several folders separated by ``os.pathsep``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml
from pydantic import ValidationError

from medtrust._yaml import line_of as _line_of
from medtrust._yaml import load_yaml, validation_message
from medtrust.errors import ConfigError
from medtrust.policies._model import Pack, PackSpec, Rule

ENV_VAR = "MEDTRUST_POLICIES"


@dataclass(frozen=True, kw_only=True)
class PolicySet:
    """Every pack and every enabled rule, after user overrides."""

    packs: dict[str, Pack]
    rules: dict[str, Rule]


def bundled_pack_files() -> list[Path]:
    """The pack files shipped with medtrust."""
    folder = resources.files("medtrust") / "policies"
    return sorted(Path(str(p)) for p in folder.iterdir() if p.name.endswith((".yaml", ".yml")))


def _files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        raise ConfigError(f"--policies {folder}: no such folder")
    return sorted(p for p in folder.iterdir() if p.suffix in {".yaml", ".yml"})


def _parse(path: Path, label: str) -> tuple[Pack, list[Rule]]:
    data, node = load_yaml(path)
    if not isinstance(data, dict):
        raise ConfigError(f"{path}:1: a policy pack must be a YAML mapping")
    try:
        spec = PackSpec.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(validation_message(path, node, exc, PackSpec)) from None
    pack = Pack(
        name=spec.pack,
        title=spec.title,
        version=spec.version,
        regulation=spec.regulation,
        jurisdiction=spec.jurisdiction,
        effective=spec.effective,
        expires=spec.expires,
        description=spec.description,
        source=label,
    )
    rules = []
    seen: set[str] = set()
    for i, r in enumerate(spec.rules):
        line = _line_of(node, ("rules", i))
        where = f"{path}:{line}" if line else str(path)
        if r.id in seen:
            raise ConfigError(f"{where}: rules.{i}.id: rule {r.id!r} appears twice in this pack")
        seen.add(r.id)
        effective = r.effective or spec.effective
        expires = r.expires if r.expires is not None else spec.expires
        if expires is not None and expires <= effective:
            raise ConfigError(f"{where}: rules.{i}: expires {expires} is not after {effective}")
        rules.append(
            Rule(
                id=r.id,
                pack=spec.pack,
                title=r.title,
                regulation=r.regulation or spec.regulation,
                article=r.article,
                jurisdiction=r.jurisdiction or spec.jurisdiction,
                effective=effective,
                expires=expires,
                severity=r.severity,
                requirement=" ".join(r.requirement.split()),
                check=r.check,
                note=" ".join(r.note.split()),
                enabled=r.enabled,
                source=f"{label}:{line}" if line else label,
            )
        )
    return pack, rules


def policy_dirs(explicit: Sequence[Path] | None = None) -> list[Path]:
    """``explicit`` folders, else those in ``$MEDTRUST_POLICIES``."""
    if explicit:
        return list(explicit)
    env = os.environ.get(ENV_VAR, "")
    return [Path(p) for p in env.split(os.pathsep) if p.strip()]


def load_policies(dirs: Iterable[Path] | None = None, *, bundled: bool = True) -> PolicySet:
    """Bundled packs, then each user folder in order; a later rule with the same id replaces
    an earlier one (``enabled: false`` removes it), a later pack with the same name replaces
    the pack's metadata but keeps the rules it does not mention."""
    packs: dict[str, Pack] = {}
    rules: dict[str, Rule] = {}
    layers: list[tuple[Path, str]] = []
    if bundled:
        layers += [(p, f"bundled:{p.name}") for p in bundled_pack_files()]
    for folder in policy_dirs(list(dirs) if dirs is not None else None):
        layers += [(p, str(p)) for p in _files(folder)]
    for path, label in layers:
        try:
            pack, new_rules = _parse(path, label)
        except yaml.YAMLError as exc:  # pragma: no cover - load_yaml reports marked errors
            raise ConfigError(f"{path}: invalid YAML: {exc}") from None
        packs[pack.name] = pack
        for r in new_rules:
            rules[r.id] = r
    return PolicySet(packs=packs, rules={k: v for k, v in rules.items() if v.enabled})
