"""Clinical plausibility: rules read from the knowledge base, applied to one record at a time.

Every rule lives in a data file (``data/plausibility.yaml`` for ranges, anatomy, drug ages and
biomarkers; ``conditions.yaml`` for what treats what and what is contraindicated;
``interactions.csv``; ``genomics.yaml`` panels), so a clinician edits rules without reading code.
The same compiled rules serve the validator (``medtrust cohort validate``), the generator (which
must never emit what the validator rejects) and the fairness counterfactuals (a changed protected
attribute that makes a record impossible is "not applicable", never scored). The families and the
sex-versus-gender convention are documented in the header of ``plausibility.yaml``.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from medtrust.cohort._kb import KnowledgeBase, _data_dir, _yaml, load_kb
from medtrust.errors import ConfigError

FAMILIES: dict[str, str] = {
    "condition_age": "condition outside its plausible age range",
    "condition_sex": "condition outside its sex at birth",
    "anatomy": "condition of an organ the patient's sex at birth does not have",
    "drug_age": "drug below its minimum age",
    "contraindication": "drug with a contraindicated condition or drug",
    "mutation_drug": "targeted drug without its biomarker or indication",
    "pathway": "treatment without its diagnosis, or a later line without an earlier one",
    "lab_sex": "sex-specific lab measured for the other sex at birth",
}
"""Rule family -> what it means (the ``family`` of a :class:`Issue`)."""

MAX_AGE = 130
_SEX = {"female": "female", "f": "female", "woman": "female", "male": "male", "m": "male",
        "man": "male"}


def normalise_sex(value: Any) -> str | None:
    """``female``/``male`` from common spellings (F, M, woman, man); None when not stated.

    Only sex at birth drives the rules: any other value (unknown, intersex, a gender identity)
    switches the sex-based rules off for that record rather than guessing.
    """
    if value is None:
        return None
    return _SEX.get(str(value).strip().lower())


class Record(NamedTuple):
    """What the rules look at: sex at birth, age in completed years, codes, drugs, variants.

    A named tuple: a million of them are built and hashed (identical records are checked once).
    """

    sex: str | None
    age: int | None
    conditions: tuple[str, ...] = ()
    medications: tuple[str, ...] = ()
    variants: tuple[str, ...] = ()
    labs: tuple[str, ...] = ()  # lab columns holding a value (only those the rules name)


@dataclass(frozen=True)
class Issue:
    """One broken rule: its family, a stable rule id and a readable detail."""

    family: str
    rule: str
    detail: str


@dataclass
class Rules:
    """The compiled plausibility knowledge (see :func:`load_rules`)."""

    kb: KnowledgeBase
    age_range: dict[str, tuple[int, int]] = field(default_factory=dict)
    cond_sex: dict[str, str] = field(default_factory=dict)
    anatomy: dict[str, tuple[str, str]] = field(default_factory=dict)  # code -> (organ, sex)
    requires: dict[str, tuple[str, ...]] = field(default_factory=dict)
    drug_min_age: dict[str, int] = field(default_factory=dict)
    drug_age_except: dict[str, frozenset[str]] = field(default_factory=dict)
    avoid: dict[str, frozenset[str]] = field(default_factory=dict)  # drug -> conditions
    contra_pairs: dict[frozenset[str], str] = field(default_factory=dict)
    biomarker: dict[str, dict[str, Any]] = field(default_factory=dict)
    indications: dict[str, frozenset[str]] = field(default_factory=dict)  # drug -> conditions
    first_line: dict[str, tuple[str, ...]] = field(default_factory=dict)  # condition -> drugs
    second_line: dict[str, tuple[str, ...]] = field(default_factory=dict)
    variant_cancers: dict[str, frozenset[str]] = field(default_factory=dict)
    lab_sex: dict[str, str] = field(default_factory=dict)  # lab column -> sex at birth

    # -- questions the generator and the counterfactual code ask -------------------------------

    def sex_allowed(self, code: str, sex: str | None) -> bool:
        """False when ``code`` is impossible for sex at birth ``sex`` (None: not stated)."""
        if sex is None:
            return True
        need = self.cond_sex.get(code) or (self.anatomy[code][1] if code in self.anatomy else None)
        return need is None or need == sex

    def min_age_for(self, drug: str, conditions: Iterable[str] = ()) -> int:
        """The drug's minimum age, waived for conditions in its ``except`` list."""
        lo = self.drug_min_age.get(drug, 0)
        if lo and self.drug_age_except.get(drug, frozenset()) & set(conditions):
            return 0
        return lo

    def not_indicated(self, drug: str) -> frozenset[str]:
        """Cancers a targeted drug must not be matched to (its ``not_in`` list)."""
        return frozenset(self.biomarker.get(drug, {}).get("not_in", ()))

    # -- the check ------------------------------------------------------------------------------

    def check(self, rec: Record) -> list[Issue]:
        """Every rule ``rec`` breaks (empty when plausible). Unknown codes and drugs are skipped:
        the rules speak only about what the knowledge base knows."""
        out: list[Issue] = []
        conds = set(rec.conditions)
        meds = set(rec.medications)
        by_code = self.kb.by_code
        out.extend(self._condition_issues(rec, conds))
        out.extend(self.lab_issues(rec))
        genes = {v.split("_", 1)[0].upper() for v in rec.variants}
        for v in self.kb.variants:
            if v in rec.variants:
                genes.add(self.kb.variants[v].gene.upper())
        for v in rec.variants:
            cancers = self.variant_cancers.get(v)
            if cancers is not None and self.kb.variants[v].origin == "somatic" and not (
                    cancers & conds):
                out.append(Issue("mutation_drug", f"{v}:no-cancer",
                                 f"somatic {v} without a cancer that carries it"))
        meds_sorted = sorted(meds)
        for drug in meds_sorted:
            if drug not in self.kb.drugs:
                continue
            lo = self.min_age_for(drug, conds)
            if rec.age is not None and rec.age < lo:
                out.append(Issue("drug_age", f"{drug}:min_age",
                                 f"{drug} at age {rec.age} (minimum {lo})"))
            bad = sorted(self.avoid.get(drug, frozenset()) & conds)
            for code in bad:
                out.append(Issue("contraindication", f"{drug}:{code}",
                                 f"{drug} in {by_code[code].name} ({code})"))
            bio = self.biomarker.get(drug)
            if bio is not None:
                out.extend(self._biomarker(drug, bio, rec, genes, conds))
            out.extend(self._pathway(drug, rec, conds, meds))
        for i, a in enumerate(meds_sorted):
            for b in meds_sorted[i + 1:]:
                effect = self.contra_pairs.get(frozenset((a, b)))
                if effect is not None:
                    out.append(Issue("contraindication", f"{a}+{b}", f"{a} with {b}: {effect}"))
        return out

    def _condition_issues(self, rec: Record, conds: set[str]) -> list[Issue]:
        """Age range, sex at birth, anatomy and required conditions of each condition."""
        out: list[Issue] = []
        for code in rec.conditions:
            if rec.age is not None and code in self.age_range:
                lo, hi = self.age_range[code]
                if not lo <= rec.age <= hi:
                    out.append(Issue("condition_age", f"{code}:age", f"{code} at age {rec.age} "
                                     f"(plausible {lo}-{hi})"))
            if rec.sex is not None:
                if code in self.anatomy and self.anatomy[code][1] != rec.sex:
                    organ = self.anatomy[code][0]
                    out.append(Issue("anatomy", f"{code}:{organ}",
                                     f"{code} needs a {organ}; sex at birth {rec.sex}"))
                elif code in self.cond_sex and self.cond_sex[code] != rec.sex:
                    out.append(Issue("condition_sex", f"{code}:sex",
                                     f"{code} is {self.cond_sex[code]}-only; sex {rec.sex}"))
            for need in self.requires.get(code, ()):
                if need not in conds:
                    out.append(Issue("pathway", f"{code}:requires:{need}",
                                     f"{code} without {need}"))
        return out

    def lab_issues(self, rec: Record) -> list[Issue]:
        """Sex-specific labs holding a value for the other sex at birth (family ``lab_sex``)."""
        if rec.sex is None:
            return []
        return [Issue("lab_sex", f"{lab}:sex",
                      f"{lab} is measured for {self.lab_sex[lab]}s only; sex at birth {rec.sex}")
                for lab in rec.labs if self.lab_sex.get(lab, rec.sex) != rec.sex]

    def _biomarker(self, drug: str, bio: dict[str, Any], rec: Record, genes: set[str],
                   conds: set[str]) -> list[Issue]:
        out: list[Issue] = []
        want_v, want_g = set(bio.get("variants", ())), set(bio.get("genes", ()))
        if not (want_v & set(rec.variants) or want_g & genes):
            need = ", ".join(sorted(want_v | want_g))
            out.append(Issue("mutation_drug", f"{drug}:biomarker",
                             f"{drug} without {need}"))
        if "in" in bio and not set(bio["in"]) & conds:
            out.append(Issue("mutation_drug", f"{drug}:indication",
                             f"{drug} without a cancer it is indicated in"))
        for code in sorted(set(bio.get("not_in", ())) & conds):
            out.append(Issue("mutation_drug", f"{drug}:not-in:{code}",
                             f"{drug} is not indicated in {code}"))
        return out

    def _blocked(self, drug: str, rec: Record, conds: set[str], meds: set[str]) -> bool:
        """True when a record shows a reason not to give ``drug`` (so a later line is fine)."""
        if rec.age is not None and rec.age < self.min_age_for(drug, conds):
            return True
        if self.avoid.get(drug, frozenset()) & conds:
            return True
        klass = self.kb.drugs.get(drug)
        for other in meds:
            if other == drug:
                continue
            if frozenset((drug, other)) in self.kb.interaction_pairs:
                return True
            if klass is not None and self.kb.drugs.get(other) == klass:
                return True  # therapeutic duplication
        return False

    def _pathway(self, drug: str, rec: Record, conds: set[str], meds: set[str]) -> list[Issue]:
        ind = self.indications.get(drug, frozenset())
        present = ind & conds
        if not present:
            return [Issue("pathway", f"{drug}:no-diagnosis",
                          f"{drug} without any condition it treats")]
        for code in sorted(present):
            if drug in self.first_line.get(code, ()):
                return []
        for code in sorted(present):
            first = self.first_line.get(code, ())
            if drug in self.second_line.get(code, ()) and first:
                if not set(first) & meds and not all(
                        self._blocked(d, rec, conds, meds) for d in first):
                    return [Issue("pathway", f"{drug}:{code}:later-line",
                                  f"{drug} (later line for {code}) with no first-line drug "
                                  f"({', '.join(first)}) and no reason to skip it")]
                return []
        return []


def _rules_path(data_dir: str | None) -> Path:
    return (Path(data_dir) if data_dir else _data_dir()) / "plausibility.yaml"


@dataclass
class _Compiler:
    """Compiles ``plausibility.yaml`` (``path``) and the knowledge base into ``rules``, one
    section at a time; ``ind`` collects drug -> conditions it is indicated for."""

    path: Path
    kb: KnowledgeBase
    rules: Rules
    ind: dict[str, set[str]] = field(default_factory=dict)

    def known(self, code: str, where: str) -> str:
        if code not in self.kb.by_code:
            raise ConfigError(f"{self.path}: {where}: unknown condition {code!r}")
        return code

    def drug_ok(self, name: str, where: str) -> str:
        if name not in self.kb.drugs:
            raise ConfigError(
                f"{self.path}: {where}: unknown drug {name!r} (add it to drugs.csv)")
        return name

    def anatomy(self, section: dict[str, Any]) -> None:
        for organ, spec in section.items():
            sex = spec.get("sex")
            if sex not in ("female", "male"):
                raise ConfigError(f"{self.path}: anatomy {organ}: sex must be female or male")
            for code in spec.get("conditions", []):
                self.rules.anatomy[self.known(code, f"anatomy {organ}")] = (str(organ), sex)

    def labs(self, section: dict[str, Any]) -> None:
        """Sex-specific lab columns (``labs: COLUMN: {sex}``)."""
        for lab, spec in section.items():
            sex = (spec or {}).get("sex")
            if sex not in ("female", "male"):
                raise ConfigError(f"{self.path}: labs {lab}: sex must be female or male")
            self.rules.lab_sex[str(lab)] = sex
        for d in self.kb.labs:  # labs.csv's `sex` column: the same rule, one table of it
            if d.sex and d.sex not in ("female", "male"):
                raise ConfigError(f"labs.csv: lab {d.key}: sex must be female, male or empty")
            if d.sex and self.rules.lab_sex.setdefault(d.column, d.sex) != d.sex:
                raise ConfigError(f"{self.path}: labs {d.column}: sex disagrees with labs.csv")

    def conditions(self, section: dict[str, Any]) -> None:
        """Age ranges, sex at birth and required conditions per condition code."""
        r, path = self.rules, self.path
        for code, spec in section.items():
            self.known(code, "conditions")
            lo, hi = int(spec.get("min_age", 0)), int(spec.get("max_age", MAX_AGE))
            if not 0 <= lo <= hi:
                raise ConfigError(f"{path}: conditions {code}: min_age must not exceed max_age")
            r.age_range[code] = (lo, hi)
            if "sex" in spec:
                if spec["sex"] not in ("female", "male"):
                    raise ConfigError(f"{path}: conditions {code}: sex must be female or male")
                r.cond_sex[code] = spec["sex"]
            r.requires[code] = tuple(self.known(c, f"conditions {code} requires")
                                     for c in spec.get("requires", []))

    def drugs(self, section: dict[str, Any]) -> None:
        """Minimum ages (and the conditions that waive them) and extra contraindications."""
        r = self.rules
        for name, spec in section.items():
            self.drug_ok(name, "drugs")
            r.drug_min_age[name] = int(spec.get("min_age", 0))
            r.drug_age_except[name] = frozenset(self.known(c, f"drugs {name} except")
                                                for c in spec.get("except", []))
            extra = [self.known(c, f"drugs {name} contraindicated")
                     for c in spec.get("contraindicated", [])]
            if extra:
                r.avoid[name] = r.avoid.get(name, frozenset()) | frozenset(extra)

    def pathways(self) -> None:
        """First and later lines, indications and contraindications from ``conditions.yaml``."""
        r = self.rules
        for c in self.kb.conditions:
            r.first_line[c.code] = tuple(c.drugs)
            r.second_line[c.code] = tuple(c.alt)
            for d in (*c.drugs, *c.alt):
                self.ind.setdefault(d, set()).add(c.code)
            for d in c.avoid:
                r.avoid[d] = r.avoid.get(d, frozenset()) | {c.code}

    def indications(self, drugs: dict[str, Any]) -> None:
        for name, spec in drugs.items():
            for c in spec.get("indications", []):
                self.ind.setdefault(name, set()).add(self.known(c, f"drugs {name} indications"))

    def panels(self) -> None:
        """Which cancers each variant is tested in; a matched therapy is indicated there."""
        kb, r = self.kb, self.rules
        for code, groups in kb.panels.items():
            for freqs in groups.values():
                for v in freqs:
                    r.variant_cancers[v] = r.variant_cancers.get(v, frozenset()) | {code}
                    therapy = kb.variants[v].therapy
                    if therapy:
                        self.ind.setdefault(therapy, set()).add(code)

    def biomarkers(self, section: dict[str, Any]) -> None:
        for name, spec in section.items():
            self.drug_ok(name, "biomarkers")
            for v in spec.get("variants", []):
                if v not in self.kb.variants:
                    raise ConfigError(f"{self.path}: biomarkers {name}: unknown variant {v!r}")
            for key in ("in", "not_in"):
                for c in spec.get(key, []):
                    self.known(c, f"biomarkers {name} {key}")
            self.rules.biomarker[name] = dict(spec)
            for c in spec.get("in", []):
                self.ind.setdefault(name, set()).add(c)

    def finish(self) -> Rules:
        r = self.rules
        r.indications = {d: frozenset(cs) for d, cs in self.ind.items()}
        for pair, inter in self.kb.interaction_pairs.items():
            if inter.severity == "contraindicated":
                r.contra_pairs[pair] = inter.effect
        return r


@functools.lru_cache(maxsize=4)
def load_rules(data_dir: str | None = None) -> Rules:
    """Compile the plausibility rules of the knowledge base (cached per ``data_dir``).

    Raises :class:`ConfigError` naming the file when a rule refers to an unknown condition,
    drug, variant or sex, or a range is inverted.
    """
    kb = load_kb(data_dir)
    path = _rules_path(data_dir)
    doc = _yaml(path) or {}
    compiler = _Compiler(path=path, kb=kb, rules=Rules(kb=kb))
    compiler.anatomy(doc.get("anatomy") or {})
    compiler.labs(doc.get("labs") or {})
    compiler.conditions(doc.get("conditions") or {})
    compiler.drugs(doc.get("drugs") or {})
    compiler.pathways()
    compiler.indications(doc.get("drugs") or {})
    compiler.panels()
    compiler.biomarkers(doc.get("biomarkers") or {})
    return compiler.finish()
