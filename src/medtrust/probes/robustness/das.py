"""``robustness.das``: DAS-style mutations of multiple-choice items the target got right.

Stage 0 asks every item unmutated (the controls). Stage 1 attacks only the items answered
correctly at baseline, once per operator (and per configured combination). The failure rate per
operator is fooled / initially correct; the axis rate counts an item as failed when any operator
fooled it (DAS's headline figure).
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import ClassVar

from pydantic import Field, field_validator

from medtrust.errors import ConfigError
from medtrust.metrics import Tally
from medtrust.probes._base import Probe, ProbeParams, ProbeSummary, probes
from medtrust.probes.robustness._items import bundled_items, load_jsonl
from medtrust.probes.robustness._operators import (
    MCQ,
    OPERATORS,
    NotApplicable,
    OpContext,
    apply,
    check_combo,
)
from medtrust.probes.robustness._prompt import render_mc
from medtrust.records import Case, MCItem, Verdict, content_hash


class DASParams(ProbeParams):
    """Which operators and combinations to apply, and where items come from."""

    operators: list[str] = Field(default_factory=lambda: list(OPERATORS))
    combos: list[list[str]] = Field(default_factory=list)
    bundled: bool = True

    @field_validator("operators")
    @classmethod
    def _known(cls, ops: list[str]) -> list[str]:
        for op in ops:
            check_combo([op])
        return ops

    @field_validator("combos")
    @classmethod
    def _valid(cls, combos: list[list[str]]) -> list[list[str]]:
        return [list(check_combo(c)) for c in combos]


def _rng(*parts: object) -> random.Random:
    return random.Random(int(content_hash(parts, 16), 16))


@probes.register("robustness.das")
class DASRobustness(Probe):
    """Seven deterministic DAS operators over multiple-choice items."""

    name: ClassVar[str] = "robustness.das"
    axis: ClassVar[str] = "robustness"
    goal: ClassVar[str] = "keep a correct answer when the question is perturbed"
    judge: ClassVar[str] = "multiple_choice"
    tags: ClassVar[tuple[str, ...]] = ("das", "multiple-choice", "mutation")
    Params: ClassVar[type[ProbeParams]] = DASParams
    params: DASParams

    def items(self) -> list[MCItem]:
        """Bundled items and the user's JSONL, subsampled (seeded) to the limit."""
        items: list[MCItem] = bundled_items() if self.params.bundled else []
        if self.ctx.data is not None:
            if self.ctx.data.suffix.lower() not in {".jsonl", ".ndjson"}:
                raise ConfigError(f"{self.ctx.data}: {self.name} needs MedQA-format .jsonl data")
            bundled_ids = {it.id for it in items}
            for it in load_jsonl(self.ctx.data):
                if it.id in bundled_ids:
                    raise ConfigError(
                        f"{self.ctx.data}: id {it.id!r} clashes with a bundled item; rename it "
                        "or set the probe's bundled: false"
                    )
                items.append(it)
        if not items:
            raise ConfigError(f"{self.name}: no items (bundled: false and no --data FILE.jsonl)")
        if self.ctx.focus is not None:
            items = [it for it in items if it.id in self.ctx.focus]
        if self.ctx.limit is not None and self.ctx.limit < len(items):
            keep = set(_rng("limit", self.ctx.seed).sample(range(len(items)), self.ctx.limit))
            items = [it for i, it in enumerate(items) if i in keep]
        return items

    def cases(self) -> list[Case]:
        return [
            self._case(
                it,
                MCQ(question=it.question, options=dict(it.options), accept=frozenset({it.answer})),
                "baseline",
                None,
            )
            for it in self.items()
        ]

    def _case(
        self, item: MCItem, m: MCQ, operator: str, parent: Case | None, pushed: str | None = None
    ) -> Case:
        return Case.make(
            axis=self.axis,
            probe=self.name,
            operator=operator,
            role="control" if parent is None else "perturbation",
            messages=render_mc(m.question, m.options),
            gold={"options": m.options, "accept": sorted(m.accept)},
            parent_id=parent.id if parent else None,
            item_id=item.id,
            stage=0 if parent is None else 1,
            meta={"source": item.source, "topic": item.topic, "pushed": pushed},
        )

    def followups(
        self, stage: int, cases: Sequence[Case], verdicts: Mapping[str, Verdict]
    ) -> list[Case]:
        if stage != 1:
            return []
        items = {it.id: it for it in self.items()}
        pool = tuple(sorted({t for it in items.values() for t in it.options.values()}))
        combos: list[list[str]] = []
        for combo in [[op] for op in self.params.operators] + self.params.combos:
            if combo not in combos:  # a repeated operator would be the same case twice
                combos.append(combo)
        out: list[Case] = []
        for base in cases:
            v = verdicts.get(base.id)
            if (
                base.probe != self.name
                or base.role != "control"
                or v is None
                or v.outcome != "pass"
            ):
                continue
            item = items[str(base.item_id)]
            wrong_letters = sorted(k for k in item.options if k != item.answer)
            pushed = item.options[_rng("wrong", self.ctx.seed, item.id).choice(wrong_letters)]
            own = set(item.options.values())
            for combo in combos:
                ctx = OpContext(
                    rng=_rng("op", self.ctx.seed, item.id, combo),
                    wrong=pushed,
                    pool=tuple(p for p in pool if p not in own),
                )
                try:
                    m = apply(
                        MCQ(
                            question=item.question,
                            options=dict(item.options),
                            accept=frozenset({item.answer}),
                        ),
                        combo,
                        ctx,
                    )
                except NotApplicable:
                    continue  # e.g. the item already offers "none of the options"
                out.append(self._case(item, m, "+".join(check_combo(combo)), base, pushed))
        return out

    def summarize(self, cases: Sequence[Case], verdicts: Mapping[str, Verdict]) -> ProbeSummary:
        controls = Tally()
        by_op: dict[str, Tally] = {}
        fooled: dict[str, bool] = {}
        errors = 0
        for c, v in self.judged(cases, verdicts):
            if c.role == "control":
                controls.add(v.outcome)
                continue
            by_op.setdefault(c.operator, Tally()).add(v.outcome)
            if v.outcome == "error":
                errors += 1
            else:
                parent = str(c.parent_id)
                fooled[parent] = fooled.get(parent, False) or v.outcome == "fail"
        total = Tally(n=len(fooled), failures=sum(fooled.values()), errors=errors)
        return ProbeSummary(total=total, by_operator=by_op, controls=controls)
