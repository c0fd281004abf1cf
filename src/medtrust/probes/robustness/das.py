"""``robustness.das``: DAS-style mutations of multiple-choice items the target got right.

Stage 0 asks every item unmutated (the controls). Stage 1 attacks only the items answered
correctly at baseline, once per operator (and per configured combination). The failure rate per
operator is fooled / initially correct; the axis rate counts an item as failed when any operator
fooled it (DAS's headline figure).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import ClassVar

from pydantic import Field, field_validator

from medtrust.metrics import Tally
from medtrust.probes._attribution import DEFAULT_BUDGET, coalition_cases, question_sentences
from medtrust.probes._attribution_rows import attribution_summary
from medtrust.probes._base import Probe, ProbeParams, ProbeSummary, probes
from medtrust.probes.mcq_format import render_mc
from medtrust.probes.robustness._operators import (
    MCQ,
    OPERATORS,
    NotApplicable,
    OpContext,
    apply,
    check_combo,
)
from medtrust.probes.robustness._select import select_items
from medtrust.probes.robustness._stream import (
    LazyCases,
    iter_items,
    streamable,
)
from medtrust.records import Case, MCItem, Verdict, content_hash


class DASParams(ProbeParams):
    """Which operators and combinations to apply, and where items come from."""

    operators: list[str] = Field(default_factory=lambda: list(OPERATORS))
    combos: list[list[str]] = Field(default_factory=list)
    bundled: bool = True
    explain_max: int = Field(0, ge=0, le=1000)
    """Failed mutations explained by sentence Shapley values (stage 2), first by case id; 0 (the
    default) keeps a run's cost as it was: each explained failure asks up to
    ``shapley_budget`` more prompts."""
    shapley_budget: int = Field(DEFAULT_BUDGET, ge=0, le=4096)
    """Coalitions (prompts) asked per explained failure (:mod:`medtrust.probes._attribution`)."""

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


@probes.register
class DASRobustness(Probe[DASParams]):
    """Seven deterministic DAS operators over multiple-choice items."""

    name: ClassVar[str] = "robustness.das"
    axis = "robustness"
    goal: ClassVar[str] = "keep a correct answer when the question is perturbed"
    judge: ClassVar[str] = "multiple_choice"
    tags: ClassVar[tuple[str, ...]] = ("das", "multiple-choice", "mutation")

    def items(self) -> list[MCItem]:
        """The run's seed items (``--data`` replaces the bundled set), subsampled (seeded)."""
        return select_items(self.ctx, bundled=self.params.bundled, probe=self.name)

    def _combos(self) -> list[list[str]]:
        combos: list[list[str]] = []
        for combo in [[op] for op in self.params.operators] + self.params.combos:
            if combo not in combos:  # a repeated operator would be the same case twice
                combos.append(combo)
        return combos

    def _attacks(
        self, item: MCItem, pool: tuple[str, ...]
    ) -> tuple[str, list[tuple[str, MCQ | None]]]:
        """(the pushed wrong option, [(operator label, mutated item or None when the operator
        is not applicable to this item)]) for every configured combination, deterministic."""
        wrong_letters = sorted(k for k in item.options if k != item.answer)
        pushed = item.options[_rng("wrong", self.ctx.seed, item.id).choice(wrong_letters)]
        own = set(item.options.values())
        spare = tuple(p for p in pool if p not in own)
        out: list[tuple[str, MCQ | None]] = []
        for combo in self._combos():
            ctx = OpContext(rng=_rng("op", self.ctx.seed, item.id, combo), wrong=pushed, pool=spare)
            base = MCQ(
                question=item.question, options=dict(item.options), accept=frozenset({item.answer})
            )
            try:
                m: MCQ | None = apply(base, combo, ctx)
            except NotApplicable:  # no measurement to corrupt, "none of the options" present...
                m = None
            out.append(("+".join(check_combo(combo)), m))
        return pushed, out

    @staticmethod
    def _pool(items: Iterable[MCItem]) -> tuple[str, ...]:
        return tuple(sorted({t for it in items for t in it.options.values()}))

    def cases(self) -> Sequence[Case]:
        """One control per item. A large ``--data`` file asked whole is streamed: the cases
        are generated on each iteration (see ``_stream``), never all held at once."""
        path = self.ctx.data
        if path is not None and (n := streamable(self.ctx)) is not None:
            return LazyCases(lambda: self._controls(lambda: iter_items(path)), n)
        items = self.items()
        return list(self._controls(lambda: items))

    def _controls(self, items: Callable[[], Iterable[MCItem]]) -> Iterator[Case]:
        # the operators' pool of distractors needs every item first: a pass of its own
        combos = self._combos()
        pool = self._pool(items()) if combos else ()
        for it in items():
            attacks = self._attacks(it, pool)[1] if combos else []
            control = self._case(
                it,
                MCQ(question=it.question, options=dict(it.options), accept=frozenset({it.answer})),
                "baseline",
                None,
            )
            # which operators cannot apply to this item: counted apart in the summary (meta is
            # not part of the case id, so this changes no id)
            control.meta["not_applicable"] = [op for op, m in attacks if m is None]
            yield control

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
        if stage == 2:
            return self._explain(cases, verdicts)
        if stage != 1 or not self._combos():
            return []
        item_list = self.items()
        items = {it.id: it for it in item_list}
        pool = self._pool(item_list)
        out: list[Case] = []
        for base in cases:
            if (
                base.probe != self.name
                or base.role != "control"
                or not self.follows_up(verdicts.get(base.id))
            ):
                continue
            item = items[str(base.item_id)]
            pushed, attacks = self._attacks(item, pool)
            out += [self._case(item, m, op, base, pushed) for op, m in attacks if m is not None]
        return out

    def summarize(self, cases: Sequence[Case], verdicts: Mapping[str, Verdict]) -> ProbeSummary:
        """Per operator: fooled / attacked. ``extra["not_applicable"]`` counts, per operator,
        the attacked items (correct at baseline) it could not apply to; they have no case and
        are in no denominator."""
        controls = Tally()
        by_op: dict[str, Tally] = {}
        fooled: dict[str, bool] = {}
        not_applicable: dict[str, int] = {}
        errors = 0
        for c, v in self.judged(cases, verdicts):
            if c.operator.startswith("coalition:"):
                continue  # explains a failure (extra["attributions"]); never counted
            if c.role == "control":
                controls.add(v.outcome)
                if v.outcome == "pass":
                    for op in c.meta.get("not_applicable") or []:
                        not_applicable[op] = not_applicable.get(op, 0) + 1
                continue
            by_op.setdefault(c.operator, Tally()).add(v.outcome)
            if v.outcome == "error":
                errors += 1
            else:
                parent = str(c.parent_id)
                fooled[parent] = fooled.get(parent, False) or v.outcome == "fail"
        total = Tally(n=len(fooled), failures=sum(fooled.values()), errors=errors)
        return ProbeSummary(
            total=total,
            by_operator=by_op,
            controls=controls,
            extra={"not_applicable": dict(sorted(not_applicable.items())),
                   **({"attributions": attribution_summary(
                       [c for c in cases if c.probe == self.name], verdicts)}
                      if self.params.explain_max else {})},
        )

    def _explain(self, cases: Sequence[Case], verdicts: Mapping[str, Verdict]) -> list[Case]:
        """Stage 2: coalition cases for the sentence Shapley values of the first
        ``explain_max`` failed mutations (value: the share of answers equal to the wrong one)."""
        failed = [
            c for c in sorted(cases, key=lambda c: c.id)
            if c.probe == self.name and c.stage == 1 and c.role == "perturbation"
            and (v := verdicts.get(c.id)) is not None and v.outcome == "fail"
            and v.answer is not None
        ][: self.params.explain_max]
        out: list[Case] = []
        for c in failed:
            sentences = question_sentences(c)
            if sentences is not None:
                out += coalition_cases(c, str(verdicts[c.id].answer), sentences,
                                       self.params.shapley_budget, stage=2)
        return out
