"""The clinical knowledge base: data files loaded once, cross-checked, then used read-only.

The data live in ``cohort/data`` as YAML/CSV so that clinicians can review and extend them without
reading code; everything the generator relies on (drugs exist, lab ranges are physiological,
comorbidity parents come first) is checked here, so a bad edit fails loudly at load time.
"""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from medtrust.errors import ConfigError

AGE_BANDS: tuple[tuple[int, int], ...] = ((0, 17), (18, 39), (40, 64), (65, 79), (80, 200))
"""The five age bands of each condition's ``age`` multipliers."""

RARE_THRESHOLD = 1e-4
"""Prevalence below 1 in 10,000: the usual definition of a rare disease."""


class Condition(BaseModel):
    """One condition of the knowledge base (see the header of ``conditions.yaml``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str
    name: str
    specialty: str
    prevalence: float = Field(gt=0, lt=1)
    age: tuple[float, float, float, float, float] = (1.0, 1.0, 1.0, 1.0, 1.0)
    sex: tuple[float, float] = (1.0, 1.0)
    race: dict[str, float] = Field(default_factory=dict)
    min_age: int = 0
    max_age: int = 200
    symptoms: list[str]
    signs: list[str]
    labs: dict[str, tuple[float, float]] = Field(default_factory=dict)
    drugs: list[str] = Field(default_factory=list)
    alt: list[str] = Field(default_factory=list)
    combo: bool = False
    avoid: list[str] = Field(default_factory=list)
    comorbid: dict[str, float] = Field(default_factory=dict)
    excludes: list[str] = Field(default_factory=list)
    given: str | None = None
    kind: Literal["disease", "status"] = "disease"
    lesion: Literal["skin", "ct_nodule", "mammo_mass"] | None = None
    first_line: str | None = None
    next: str
    src: list[str]
    snomed: str | None = None

    @property
    def category(self) -> str:
        """The three-character ICD-10-CM category."""
        return self.code[:3]

    @property
    def rare(self) -> bool:
        """Population prevalence below 1 in 10,000 (conditional entries are never rare)."""
        return self.given is None and self.prevalence < RARE_THRESHOLD

    @property
    def first_line_text(self) -> str | None:
        """First-line treatment as a short phrase (explicit, else the first drug)."""
        if self.first_line:
            return self.first_line
        return self.drugs[0].capitalize() if self.drugs else None


class Variant(BaseModel):
    """An actionable (or informative) oncology variant with its matched therapy."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    gene: str
    protein: str
    hgvs: str
    kind: str
    origin: Literal["somatic", "germline"]
    chrom: str
    pos: int
    ref: str
    alt: str
    therapy: str | None


@dataclass(frozen=True)
class LabDef:
    """A lab test or vital sign: units, reference interval (adult, paediatric), hard limits."""

    key: str
    name: str
    kind: str
    unit: str
    loinc: str
    ref_low: float
    ref_high: float
    ped_low: float
    ped_high: float
    phys_min: float
    phys_max: float
    decimals: int
    sex: str

    @property
    def column(self) -> str:
        """Column name in cohort tables (``lab_hgb``, ``vital_sbp``)."""
        return f"{self.kind}_{self.key}"


@dataclass(frozen=True)
class Hierarchy:
    """ICD-10-CM chapter / block / category of a code."""

    chapter: int
    chapter_title: str
    block: str
    block_title: str
    category: str
    category_title: str


@dataclass(frozen=True)
class Interaction:
    """A contraindicated (or to-be-avoided) drug pair."""

    a: str
    b: str
    severity: str
    effect: str


@dataclass(frozen=True)
class KnowledgeBase:
    """Everything the generator, renderers and case builders know about medicine."""

    version: str
    conditions: tuple[Condition, ...]
    labs: tuple[LabDef, ...]
    drugs: dict[str, str]
    interactions: tuple[Interaction, ...]
    variants: dict[str, Variant]
    panels: dict[str, dict[str, dict[str, float]]]
    chapters: tuple[tuple[int, str, str, str], ...]
    blocks: tuple[tuple[str, str, str], ...]
    categories: dict[str, str]
    demographics: dict[str, Any]
    identifiers: dict[str, list[str]]
    restricted_zip3: frozenset[str]
    restricted_zip3_version: str
    sources: dict[str, dict[str, str]]

    @functools.cached_property
    def by_code(self) -> dict[str, Condition]:
        return {c.code: c for c in self.conditions}

    @functools.cached_property
    def lab_by_key(self) -> dict[str, LabDef]:
        return {lab.key: lab for lab in self.labs}

    @functools.cached_property
    def interaction_pairs(self) -> dict[frozenset[str], Interaction]:
        return {frozenset((i.a, i.b)): i for i in self.interactions}

    def hierarchy(self, code: str) -> Hierarchy:
        """Chapter, block and category of an ICD-10-CM code (by range lookup)."""
        cat = code[:3].upper()
        chapter = next((c for c in self.chapters if c[1] <= cat <= c[2]), None)
        block = next((b for b in self.blocks if b[0] <= cat <= b[1]), None)
        if chapter is None or block is None or cat not in self.categories:
            raise KeyError(code)
        return Hierarchy(
            chapter=chapter[0],
            chapter_title=chapter[3],
            block=f"{block[0]}-{block[1]}",
            block_title=block[2],
            category=cat,
            category_title=self.categories[cat],
        )

    def conflicts(self, drugs: list[str], conditions: list[str]) -> list[str]:
        """Human-readable contraindications among ``drugs`` given ``conditions`` (empty if safe)."""
        out: list[str] = []
        for i, a in enumerate(drugs):
            for b in drugs[i + 1 :]:
                hit = self.interaction_pairs.get(frozenset((a, b)))
                if hit is not None:
                    out.append(f"{a} + {b}: {hit.effect}")
        for code in conditions:
            cond = self.by_code.get(code)
            if cond is None:
                continue
            out.extend(f"{d} in {cond.name}" for d in drugs if d in cond.avoid)
        return out


# libyaml's safe loader when PyYAML was built with it: the knowledge base parses ~5x faster.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _data_dir() -> Path:
    return Path(str(resources.files("medtrust.cohort") / "data"))


def _yaml(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.load(fh, Loader=_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{path}{where}: invalid YAML ({exc})") from None


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _float(row: dict[str, str], key: str, default: str) -> float:
    value = row.get(key) or default
    return float(value)


@functools.lru_cache(maxsize=4)
def load_kb(data_dir: str | None = None) -> KnowledgeBase:
    """Load and cross-check the knowledge base (cached; ``data_dir`` overrides the bundled one)."""
    root = Path(data_dir) if data_dir else _data_dir()
    cond_doc = _yaml(root / "conditions.yaml")
    conditions: list[Condition] = []
    for i, raw in enumerate(cond_doc.get("conditions", [])):
        try:
            conditions.append(Condition.model_validate(raw))
        except ValidationError as exc:
            code = raw.get("code", f"#{i + 1}") if isinstance(raw, dict) else f"#{i + 1}"
            first = exc.errors()[0]
            loc = ".".join(str(p) for p in first["loc"])
            raise ConfigError(
                f"{root / 'conditions.yaml'}: condition {code}: {loc}: {first['msg']}"
            ) from None
    labs = tuple(
        LabDef(
            key=r["key"],
            name=r["name"],
            kind=r["kind"],
            unit=r["unit"],
            loinc=r["loinc"],
            ref_low=float(r["ref_low"]),
            ref_high=float(r["ref_high"]),
            ped_low=_float(r, "ped_low", r["ref_low"]),
            ped_high=_float(r, "ped_high", r["ref_high"]),
            phys_min=float(r["phys_min"]),
            phys_max=float(r["phys_max"]),
            decimals=int(r["decimals"]),
            sex=r.get("sex") or "",
        )
        for r in _csv(root / "labs.csv")
    )
    drugs = {r["name"]: r["drug_class"] for r in _csv(root / "drugs.csv")}
    interactions = tuple(
        Interaction(r["drug_a"], r["drug_b"], r["severity"], r["effect"])
        for r in _csv(root / "interactions.csv")
    )
    gen = _yaml(root / "genomics.yaml")
    variants = {v["id"]: Variant.model_validate(v) for v in gen["variants"]}
    zips = _yaml(root / "restricted_zip3.yaml")
    src = _yaml(root / "sources.yaml")
    kb = KnowledgeBase(
        version=str(src.get("version", "unknown")),
        conditions=tuple(conditions),
        labs=labs,
        drugs=drugs,
        interactions=interactions,
        variants=variants,
        panels=gen["panels"],
        chapters=tuple(
            (int(r["chapter"]), r["first"], r["last"], r["title"])
            for r in _csv(root / "icd10_chapters.csv")
        ),
        blocks=tuple((r["first"], r["last"], r["title"]) for r in _csv(root / "icd10_blocks.csv")),
        categories={r["category"]: r["title"] for r in _csv(root / "icd10_categories.csv")},
        demographics=_yaml(root / "demographics.yaml"),
        identifiers=_yaml(root / "identifiers.yaml"),
        restricted_zip3=frozenset(str(z) for z in zips["zip3"]),
        restricted_zip3_version=str(zips["version"]),
        sources=src["sources"],
    )
    _check(kb, root)
    return kb


def _check(kb: KnowledgeBase, root: Path) -> None:
    """Cross-file consistency: every reference resolves and every range is physiological.

    Raises ConfigError naming the file (and condition) of the first inconsistency.
    """
    where = root / "conditions.yaml"
    seen: set[str] = set()
    for c in kb.conditions:
        if c.code in seen:
            raise ConfigError(f"{where}: duplicate condition {c.code}")
        try:
            kb.hierarchy(c.code)
        except KeyError:
            raise ConfigError(
                f"{where}: {c.code} has no ICD-10-CM chapter/block/category"
            ) from None
        _check_references(kb, c, seen, where)
        _check_labs(kb, c, where)
        _check_combo(kb, c, where)
        for src in c.src:
            if src not in kb.sources:
                raise ConfigError(f"{where}: {c.code}: unknown source {src!r}")
        seen.add(c.code)
    _check_interactions(kb, root / "interactions.csv")
    _check_genomics(kb, root / "genomics.yaml")


def _check_references(kb: KnowledgeBase, c: Condition, seen: set[str], where: Path) -> None:
    """Drugs exist and parents (comorbid, excluded, given) come earlier."""
    for drug in (*c.drugs, *c.alt, *c.avoid):
        if drug not in kb.drugs:
            raise ConfigError(f"{where}: {c.code}: unknown drug {drug!r} (add it to drugs.csv)")
    for parent in (*c.comorbid, *c.excludes, *([c.given] if c.given else [])):
        if parent not in seen:
            raise ConfigError(f"{where}: {c.code}: {parent} must be an earlier condition")


def _check_labs(kb: KnowledgeBase, c: Condition, where: Path) -> None:
    """A condition's lab ranges name known labs, lie within physiological limits
    (``labs.csv``) and are given to the lab's reporting precision."""
    for key, (lo, hi) in c.labs.items():
        lab = kb.lab_by_key.get(key)
        if lab is None:
            raise ConfigError(f"{where}: {c.code}: unknown lab {key!r}")
        if not lab.phys_min <= lo < hi <= lab.phys_max:
            raise ConfigError(f"{where}: {c.code}: {key} range outside physiological limits")
        if any(abs(round(x, lab.decimals) - x) > 1e-9 for x in (lo, hi)):
            raise ConfigError(f"{where}: {c.code}: {key} bounds need {lab.decimals} decimals")


def _check_combo(kb: KnowledgeBase, c: Condition, where: Path) -> None:
    """No two drugs of a combination regimen interact."""
    if not c.combo:
        return
    for i, a in enumerate(c.drugs):
        for b in c.drugs[i + 1 :]:
            if frozenset((a, b)) in kb.interaction_pairs:
                raise ConfigError(f"{where}: {c.code}: combo drugs {a}, {b} interact")


def _check_interactions(kb: KnowledgeBase, where: Path) -> None:
    for inter in kb.interactions:
        for d in (inter.a, inter.b):
            if d not in kb.drugs:
                raise ConfigError(f"{where}: unknown drug {d!r}")


def _check_genomics(kb: KnowledgeBase, where: Path) -> None:
    """Therapies are known drugs; panels name known conditions and variants, and each gene
    group's frequencies sum below 1 (the rest is wild type)."""
    for v in kb.variants.values():
        if v.therapy is not None and v.therapy not in kb.drugs:
            raise ConfigError(f"{where}: {v.id}: unknown therapy {v.therapy!r}")
    for code, groups in kb.panels.items():
        if code not in kb.by_code:
            raise ConfigError(f"{where}: panel for unknown condition {code}")
        for freqs in groups.values():
            if any(v not in kb.variants for v in freqs) or sum(freqs.values()) >= 1:
                raise ConfigError(f"{where}: bad panel group for {code}")
