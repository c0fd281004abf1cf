"""``robustness.option_order``: does the answer follow the option, or its position?

An example probe in one file (CONTRIBUTING, "Adding a probe"). Copied into
``src/medtrust/probes/`` it is found with no other edit: the registry walks the package, takes
the name from the class, and checks the axis. Each bundled multiple-choice item is asked twice in
stage 0: as written (the control) and with its option texts in reverse order under the same
letters (the perturbation, whose accepted letter moves with the right answer). A perturbation is
a failure when the multiple-choice judge says the moved answer was missed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar

from pydantic import Field

from medtrust.metrics import Tally
from medtrust.probes import Probe, ProbeParams, ProbeSummary, probes
from medtrust.probes.robustness import bundled_items, render_mc
from medtrust.records import Case, MCItem, Verdict


class OptionOrderParams(ProbeParams):
    """The probe's suite parameters (unknown keys in a suite file are errors)."""

    items: int = Field(20, ge=1, le=10_000, description="bundled items to ask (file order)")


def reversed_options(item: MCItem) -> tuple[dict[str, str], str]:
    """The item's option texts in reverse order under the same letters, and the letter that
    now holds the right answer."""
    letters = list(item.options)
    texts = [item.options[k] for k in reversed(letters)]
    options = dict(zip(letters, texts, strict=True))
    return options, letters[texts.index(item.options[item.answer])]


@probes.register
class OptionOrder(Probe[OptionOrderParams]):
    """The same question with its options reversed: a position-biased answer moves."""

    name: ClassVar[str] = "robustness.option_order"
    axis = "robustness"
    goal: ClassVar[str] = "keep the right answer when the options are listed in another order"
    judge: ClassVar[str] = "multiple_choice"
    tags: ClassVar[tuple[str, ...]] = ("multiple-choice", "position-bias", "example")

    def _case(self, item: MCItem, options: dict[str, str], answer: str, parent: str | None) -> Case:
        return Case.make(
            axis=self.axis,
            probe=self.name,
            operator="baseline" if parent is None else "reverse_options",
            role="control" if parent is None else "perturbation",
            messages=render_mc(item.question, options),
            gold={"options": options, "accept": [answer]},
            parent_id=parent,
            item_id=item.id,
        )

    def cases(self) -> list[Case]:
        """Per item, the control then its reversed perturbation (deterministic: no randomness,
        so the seed changes nothing; ``--limit`` caps the items)."""
        n = min(self.params.items, self.ctx.limit or self.params.items)
        out: list[Case] = []
        for item in bundled_items()[:n]:
            if self.ctx.focus is not None and item.id not in self.ctx.focus:
                continue
            control = self._case(item, dict(item.options), item.answer, None)
            options, answer = reversed_options(item)
            out += [control, self._case(item, options, answer, control.id)]
        return out

    def summarize(self, cases: Sequence[Case], verdicts: Mapping[str, Verdict]) -> ProbeSummary:
        """Perturbations missed / scored (errors apart); the controls are tallied apart."""
        controls, moved = Tally(), Tally()
        for case, verdict in self.judged(cases, verdicts):
            (controls if case.role == "control" else moved).add(verdict.outcome)
        return ProbeSummary(total=moved, by_operator={"reverse_options": moved}, controls=controls)
