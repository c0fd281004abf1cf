"""The ``must_mention`` judge: a reply passes when it names every phrase the case requires.

An example judge in one file (CONTRIBUTING, "Adding a judge"). Copied into
``src/medtrust/judges/`` it is found with no other edit, e.g. by
``medtrust judge validate --judge judge:must_mention --data labelled.jsonl``. Gold is
``{"must_mention": ["phrase", ...]}``; matching ignores case and runs of white space.
"""

from __future__ import annotations

from collections.abc import Sequence

from medtrust.judges import judges
from medtrust.records import Case, Reply, Verdict


def _norm(text: str) -> str:
    return " ".join(text.casefold().split())


@judges.register
class MustMentionJudge:
    """The first sample with text is read (no vote); a reply missing a phrase fails and
    ``detail["missing"]`` lists what it left out. No text at all is an error (counted apart)."""

    name = "must_mention"

    def __call__(self, case: Case, replies: Sequence[Reply]) -> Verdict:
        ok = sorted((r for r in replies if r.ok), key=lambda r: r.sample)
        if not ok:
            return Verdict(case_id=case.id, judge=self.name, outcome="error",
                           detail={"reason": "target error", "errors": len(replies)})
        text = _norm(str(ok[0].text))
        missing = [p for p in case.gold["must_mention"] if _norm(str(p)) not in text]
        return Verdict(case_id=case.id, judge=self.name, outcome="fail" if missing else "pass",
                       detail={"missing": missing, "sample": ok[0].sample})
