"""The ``note_fidelity`` judge: BLEU and chrF of a generated note against the reference note
rendered from the same patient record (sacrebleu, sentence level)."""

from __future__ import annotations

from collections.abc import Sequence

from medtrust.judges._base import judges, readable_samples
from medtrust.records import Case, Reply, Verdict


@judges.register
class NoteFidelityJudge:
    """Gold is ``{"reference": note, "min_chrf": x, "tokenize": "13a"}``.

    Every readable sample is scored and the case takes the mean chrF (and mean BLEU) over them
    (notes are not voted on: a mean is what repeated samples estimate); it passes when that mean
    reaches ``min_chrf``. chrF decides because it is robust to the word-order and tokenisation
    freedom a note has; BLEU is reported beside it. ``detail["samples"]`` keeps each sample's
    figures. Unreadable samples are left out and counted; none readable, or no text at all, is
    an error (``judges._base.readable_samples``: a failed call, or a reply nobody could read).
    """

    name = "note_fidelity"

    def __call__(self, case: Case, replies: Sequence[Reply]) -> Verdict:
        # imported here: the fidelity metrics pull numpy and sacrebleu into every run's start-up
        from medtrust.metrics import sentence_bleu, sentence_chrf

        got = readable_samples(replies)
        if not got.answers:
            return Verdict(case_id=case.id, judge=self.name, outcome="error",
                           detail={"reason": got.reason, "errors": got.failed, **got.counts()})
        ref, tok = str(case.gold["reference"]), str(case.gold.get("tokenize", "13a"))
        raw = [(a.sample, sentence_chrf(str(a.text), [ref]),
                sentence_bleu(str(a.text), [ref], tokenize=tok)) for a in got.answers]  # fmt: skip
        per = [{"sample": n, "chrf": round(c, 4), "bleu": round(b, 4)} for n, c, b in raw]
        chrf = sum(c for _, c, _ in raw) / len(raw)
        bleu = sum(b for _, _, b in raw) / len(raw)
        passed = chrf >= float(case.gold.get("min_chrf", 0.0))
        return Verdict(case_id=case.id, judge=self.name, outcome="pass" if passed else "fail",
                       score=round(chrf, 4),
                       detail={"chrf": round(chrf, 4), "bleu": round(bleu, 4),
                               "sample": got.answers[0].sample, "samples": per,
                               **got.counts()})  # fmt: skip
