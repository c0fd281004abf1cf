"""``robustness.adaptive``: DAS's adaptive attack loop over items answered correctly.

Stage 0 asks every item plainly (the controls). Each later stage is one attack round: every item
still answered correctly gets the next operator combination the orchestrator picks (1-2
operators early, more later, never a combination already tried on it, never a conflicting one),
for up to ``max_iter`` rounds. An item fails when any round fools it; the report gives
iterations-to-failure and the conditional failure rate per operator and per combination.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from pydantic import Field, field_validator

from medtrust.attack import (
    Attempt,
    Orchestrator,
    Rates,
    attack_report,
    combo_tallies,
)
from medtrust.metrics import Tally, mcnemar
from medtrust.probes._base import Probe, ProbeParams, ProbeSummary, probes
from medtrust.probes.mcq_format import render_mc
from medtrust.probes.robustness._attacker import AttackTexts, apply_with_texts, write_texts
from medtrust.probes.robustness._operators import (
    MCQ,
    OPERATORS,
    NotApplicable,
    OpContext,
    allowed_combos,
    check_combo,
)
from medtrust.probes.robustness._select import seeded_rng, select_items
from medtrust.records import Case, MCItem, Verdict
from medtrust.targets.sync import shared_chat


class AdaptiveParams(ProbeParams):
    """Round budget, largest combination, operator set, items, optional attacker spec."""

    max_iter: int = Field(5, ge=1, le=8)
    max_size: int = Field(3, ge=1, le=4)
    operators: list[str] = Field(default_factory=lambda: list(OPERATORS))
    bundled: bool = True
    attacker: str | None = None

    @field_validator("operators")
    @classmethod
    def _known(cls, ops: list[str]) -> list[str]:
        for op in ops:
            check_combo([op])
        return ops


@probes.register
class AdaptiveRobustness(Probe[AdaptiveParams]):
    """Adaptive DAS robustness attack: mutate what passed, round by round, up to a budget."""

    name: ClassVar[str] = "robustness.adaptive"
    axis = "robustness"
    goal: ClassVar[str] = "keep a correct answer under adaptively chosen mutations"
    judge: ClassVar[str] = "multiple_choice"
    tags: ClassVar[tuple[str, ...]] = ("das", "multiple-choice", "mutation", "adaptive")

    def items(self) -> list[MCItem]:
        return select_items(self.ctx, bundled=self.params.bundled, probe=self.name)

    def orchestrator(self) -> Orchestrator:
        ops = self.params.operators
        return Orchestrator(
            candidates=[
                c for size in range(1, self.params.max_size + 1) for c in allowed_combos(size, ops)
            ],
            max_iter=self.params.max_iter,
            max_size=self.params.max_size,
            seed=self.ctx.seed,
        )

    def _case(
        self,
        item: MCItem,
        m: MCQ,
        combo: tuple[str, ...],
        parent: Case | None,
        stage: int,
        pushed: str | None = None,
        texts: AttackTexts | None = None,
    ) -> Case:
        meta: dict[str, Any] = {
            "source": item.source,
            "topic": item.topic,
            "pushed": pushed,
            "combo": list(combo),
            "round": stage,
        }
        if texts is not None and texts != AttackTexts():
            meta["attacker"] = self.params.attacker
        return Case.make(
            axis=self.axis,
            probe=self.name,
            operator="+".join(combo) if combo else "baseline",
            role="control" if parent is None else "perturbation",
            messages=render_mc(m.question, m.options),
            gold={"options": m.options, "accept": sorted(m.accept)},
            parent_id=parent.id if parent else None,
            item_id=item.id,
            stage=stage,
            meta=meta,
        )

    def _not_applicable(self, item: MCItem, pool: tuple[str, ...]) -> list[str]:
        """The single operators (template form) that cannot apply to ``item``: the orchestrator
        never tries them on it, and the summary counts them apart."""
        own = set(item.options.values())
        out = []
        for op in self.params.operators:
            m = MCQ(
                question=item.question, options=dict(item.options), accept=frozenset({item.answer})
            )
            ctx = OpContext(
                rng=seeded_rng("op", self.ctx.seed, item.id, (op,)),
                wrong=item.options[min(k for k in item.options if k != item.answer)],
                pool=tuple(p for p in pool if p not in own),
            )
            try:
                OPERATORS[op](m, ctx)
            except NotApplicable:
                out.append(op)
        return out

    def cases(self) -> list[Case]:
        items = self.items()
        pool = tuple(sorted({t for it in items for t in it.options.values()}))
        out = []
        for it in items:
            control = self._case(
                it,
                MCQ(question=it.question, options=dict(it.options), accept=frozenset({it.answer})),
                (),
                None,
                0,
            )
            control.meta["not_applicable"] = self._not_applicable(it, pool)  # not in the id
            out.append(control)
        return out

    def attempts(self, cases: Sequence[Case], verdicts: Mapping[str, Verdict]) -> list[Attempt]:
        """Every judged attack so far, as the orchestrator sees it."""
        return [
            Attempt(
                item=str(c.item_id),
                combo=tuple(c.meta.get("combo") or c.operator.split("+")),
                round=c.stage,
                outcome=v.outcome,
            )
            for c in cases
            if c.probe == self.name
            and c.role == "perturbation"
            and (v := verdicts.get(c.id)) is not None
        ]

    def followups(
        self, stage: int, cases: Sequence[Case], verdicts: Mapping[str, Verdict]
    ) -> list[Case]:
        if stage > self.params.max_iter:
            return []
        base = {str(c.item_id): c for c in cases if c.probe == self.name and c.role == "control"}
        correct = [i for i, c in base.items() if self.follows_up(verdicts.get(c.id))]
        orch = self.orchestrator()
        attempts = self.attempts(cases, verdicts)
        rates = Rates.of(attempts)
        items = {it.id: it for it in self.items()}
        pool = tuple(sorted({t for it in items.values() for t in it.options.values()}))
        writer = shared_chat(self.params.attacker) if self.params.attacker else None
        out: list[Case] = []
        for item_id in sorted(correct):
            item = items[item_id]
            wrong = sorted(k for k in item.options if k != item.answer)
            pushed = item.options[seeded_rng("wrong", self.ctx.seed, item.id).choice(wrong)]
            own = set(item.options.values())
            skip: set[tuple[str, ...]] = set()
            while (combo := orch.next_combo(item_id, stage, attempts, rates, skip)) is not None:
                ctx = OpContext(
                    rng=seeded_rng("op", self.ctx.seed, item.id, combo),
                    wrong=pushed,
                    pool=tuple(p for p in pool if p not in own),
                )
                m = MCQ(
                    question=item.question,
                    options=dict(item.options),
                    accept=frozenset({item.answer}),
                )
                try:
                    texts = write_texts(writer, m, combo, pushed) if writer else AttackTexts()
                    mutated = apply_with_texts(m, combo, ctx, texts)
                except NotApplicable:  # e.g. the item already offers "none of the options"
                    skip.add(combo)
                    continue
                out.append(self._case(item, mutated, combo, base[item_id], stage, pushed, texts))
                break
        return out

    def summarize(self, cases: Sequence[Case], verdicts: Mapping[str, Verdict]) -> ProbeSummary:
        controls = Tally()
        not_applicable: dict[str, int] = {}
        for c in cases:
            if c.probe == self.name and c.role == "control" and (v := verdicts.get(c.id)):
                controls.add(v.outcome)
                if v.outcome == "pass":  # attacked items an operator could not apply to
                    for op in c.meta.get("not_applicable") or []:
                        not_applicable[op] = not_applicable.get(op, 0) + 1
        attempts = self.attempts(cases, verdicts)
        attacked = sorted({a.item for a in attempts if a.outcome != "error"})
        fooled = {a.item for a in attempts if a.outcome == "fail"}
        total = Tally(
            n=len(attacked),
            failures=len(fooled),
            errors=sum(a.outcome == "error" for a in attempts),
        )
        report = attack_report(attempts, attacked, self.params.max_iter)
        n_cases = sum(1 for c in cases if c.probe == self.name and c.id in verdicts)
        report["target_cases"] = n_cases
        report["cases_per_failure"] = round(n_cases / len(fooled), 3) if fooled else None
        report["mcnemar_baseline_vs_attacked"] = {
            "b_correct_to_wrong": len(fooled),
            "c_wrong_to_correct": 0,
            "p_value": mcnemar(len(fooled), 0),
        }
        report["not_applicable"] = dict(sorted(not_applicable.items()))
        report["max_iter"] = self.params.max_iter
        report["attacker"] = self.params.attacker
        return ProbeSummary(
            total=total,
            by_operator=combo_tallies(attempts),
            controls=controls,
            extra={self.name: report},
        )
