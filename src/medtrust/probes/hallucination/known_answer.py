"""``hallucination.known_answer``: prompts whose right answer is known in advance.

Fabricated drugs, guidelines, trials, ICD codes and citations presented as real (failure: the
model treats them as real), false premises (failure: accepted), impossible measurements in a
vignette (failure: not flagged) and dose questions with checkable ranges. Every case is scored
by a deterministic detector; an optional LLM judge (a target spec) decides open answers and
adds a DAS-style error code.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import ClassVar

from pydantic import Field, field_validator

from medtrust.metrics import Tally
from medtrust.probes._base import Probe, ProbeParams, ProbeSummary, probes
from medtrust.probes.hallucination._build import FABRICATED_KINDS, KINDS, Seed, seeds
from medtrust.probes.robustness._prompt import render_mc
from medtrust.probes.robustness._select import seeded_rng
from medtrust.records import Case, Message, Verdict

OPEN_SYSTEM = "You are a careful clinical assistant. Answer briefly and accurately."


class HallucinationParams(ProbeParams):
    """Which kinds, fabricated entities per kind, which forms, an optional LLM judge spec."""

    kinds: list[str] = Field(default_factory=lambda: list(KINDS))
    n: int = Field(4, ge=1, le=100)
    mc: bool = True
    open: bool = True
    judge: str | None = None

    @field_validator("kinds")
    @classmethod
    def _known(cls, kinds: list[str]) -> list[str]:
        for k in kinds:
            if k not in KINDS:
                raise ValueError(f"unknown kind {k!r} (known: {', '.join(KINDS)})")
        return kinds


def _messages(seed: Seed) -> list[Message]:
    if seed.options:
        return render_mc(seed.question, seed.options)
    return [{"role": "system", "content": OPEN_SYSTEM}, {"role": "user", "content": seed.question}]


@probes.register("hallucination.known_answer")
class KnownAnswerHallucination(Probe):
    """Fabricated entities, false premises, impossible findings and doses, with known truth."""

    name: ClassVar[str] = "hallucination.known_answer"
    axis: ClassVar[str] = "hallucination"
    goal: ClassVar[str] = "decline to invent facts; flag false premises and impossible values"
    judge: ClassVar[str] = "hallucination"
    tags: ClassVar[tuple[str, ...]] = ("das", "hallucination", "known-answer")
    Params: ClassVar[type[ProbeParams]] = HallucinationParams
    params: HallucinationParams

    def cases(self) -> list[Case]:
        out: list[Case] = []
        for kind in self.params.kinds:
            rng = seeded_rng("hallucination", self.ctx.seed, kind)
            # ``n`` fabricated entities per kind; every hand-checked row of the other kinds;
            # ``--limit`` caps both
            n = self.params.n if kind in FABRICATED_KINDS else 1000
            n = min(n, self.ctx.limit or n)
            for s in seeds(kind, rng=rng, n=n, mc=self.params.mc, open_=self.params.open):
                form = "mc" if s.options else "open"
                meta: dict[str, object] = {"form": form, "truth": s.truth, "question": s.question}
                if self.params.judge and form == "open":
                    meta["llm_judge"] = self.params.judge
                out.append(
                    Case.make(
                        axis=self.axis,
                        probe=self.name,
                        operator=kind if form == "mc" or kind == "dosage" else f"{kind}_open",
                        role="perturbation",
                        messages=_messages(s),
                        gold={**s.gold, "truth": s.truth},
                        item_id=f"{kind}:{len(out)}",
                        meta=meta,
                    )
                )
        return out

    def summarize(self, cases: Sequence[Case], verdicts: Mapping[str, Verdict]) -> ProbeSummary:
        total = Tally()
        by_op: dict[str, Tally] = {}
        by_form: dict[str, Tally] = {}
        codes: Counter[str] = Counter()
        for c, v in self.judged(cases, verdicts):
            total.add(v.outcome)
            by_op.setdefault(c.operator, Tally()).add(v.outcome)
            by_form.setdefault(str(c.meta.get("form", "mc")), Tally()).add(v.outcome)
            if v.outcome == "fail":
                codes[str(v.detail.get("code", "unclassified"))] += 1
        extra = {
            "by_form": {k: t.as_dict() for k, t in sorted(by_form.items())},
            "failure_codes": dict(sorted(codes.items())),
            "llm_judge": self.params.judge,
        }
        return ProbeSummary(total=total, by_operator=by_op, controls=None, extra={self.name: extra})
