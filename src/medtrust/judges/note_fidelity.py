"""The ``note_fidelity`` judge: BLEU and chrF of a generated note against the reference note
rendered from the same patient record (sacrebleu, sentence level)."""

from __future__ import annotations

from collections.abc import Sequence

from medtrust.judges._base import free_text, judges
from medtrust.records import Case, Reply, Verdict


@judges.register
class NoteFidelityJudge:
    """Gold is ``{"reference": note, "min_chrf": x, "tokenize": "13a"}``.

    The first sample that produced text is scored (notes are not voted on); it passes when its
    chrF reaches ``min_chrf``. chrF decides because it is robust to the word-order and
    tokenisation freedom a note has; BLEU is reported beside it. No text at all is an error
    (``judges._base.free_text``: a failed call, or an empty reply nobody could read).
    """

    name = "note_fidelity"

    def __call__(self, case: Case, replies: Sequence[Reply]) -> Verdict:
        # imported here: the fidelity metrics pull numpy and sacrebleu into every run's start-up
        from medtrust.metrics import sentence_bleu, sentence_chrf

        first, why = free_text(replies)
        if first is None:
            return Verdict(case_id=case.id, judge=self.name, outcome="error",
                           detail={"reason": why, "errors": sum(not r.ok for r in replies)})
        hyp, ref = str(first.text), str(case.gold["reference"])
        chrf = sentence_chrf(hyp, [ref])
        bleu = sentence_bleu(hyp, [ref], tokenize=str(case.gold.get("tokenize", "13a")))
        passed = chrf >= float(case.gold.get("min_chrf", 0.0))
        return Verdict(case_id=case.id, judge=self.name, outcome="pass" if passed else "fail",
                       score=round(chrf, 4),
                       detail={"chrf": round(chrf, 4), "bleu": round(bleu, 4),
                               "sample": first.sample})
