"""Fidelity metrics: BLEU/chrF for generated notes, Dice/IoU for masks, InfoNCE for embeddings.

BLEU and chrF delegate to sacrebleu (the reference implementation, with its tokenisers and
signatures) so that our numbers are the numbers everybody else reports; sacrebleu is imported
inside the functions so that ``import medtrust.cli`` stays fast. Dice, IoU, InfoNCE and
retrieval accuracy are a few lines of numpy and are written here, with their edge cases pinned.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from medtrust.errors import MedtrustError

ArrayLike = npt.ArrayLike


def _streams(hypotheses: Sequence[str], references: Sequence[str] | Sequence[Sequence[str]]
             ) -> list[list[str]]:
    """sacrebleu wants reference *streams* (one list per reference set), not per-hypothesis lists.

    One reference per hypothesis (``["ref a", "ref b"]``) is one stream; several per hypothesis
    (``[["a1", "a2"], ["b1", "b2"]]``) are transposed into as many streams.
    """
    if isinstance(hypotheses, str):
        raise TypeError("hypotheses must be a sequence of strings, not one string")
    if len(references) != len(hypotheses):
        raise ValueError(f"{len(hypotheses)} hypotheses but {len(references)} references")
    if not references:
        return [[]]
    if all(isinstance(r, str) for r in references):
        return [[str(r) for r in references]]
    counts = {len(r) for r in references}
    if len(counts) != 1 or 0 in counts:
        raise ValueError("every hypothesis needs the same number (>= 1) of references")
    k = counts.pop()
    return [[str(r[i]) for r in references] for i in range(k)]


def _sacrebleu() -> Any:
    try:
        import sacrebleu.metrics
    except ImportError:
        raise MedtrustError("BLEU and chrF need sacrebleu: pip install sacrebleu") from None
    return sacrebleu.metrics


def _bleu(*, tokenize: str, lowercase: bool, effective_order: bool) -> Any:
    return _sacrebleu().BLEU(tokenize=tokenize, lowercase=lowercase,
                             effective_order=effective_order)


def _chrf(*, char_order: int, word_order: int, beta: int, lowercase: bool) -> Any:
    return _sacrebleu().CHRF(char_order=char_order, word_order=word_order, beta=beta,
                             lowercase=lowercase)


def bleu(hypotheses: Sequence[str], references: Sequence[str] | Sequence[Sequence[str]], *,
         tokenize: str = "13a", lowercase: bool = False) -> float:
    """Corpus BLEU (0-100) exactly as ``sacrebleu.corpus_bleu`` computes it."""
    metric = _bleu(tokenize=tokenize, lowercase=lowercase, effective_order=False)
    return float(metric.corpus_score(list(hypotheses), _streams(hypotheses, references)).score)


def sentence_bleu(hypothesis: str, references: Sequence[str], *, tokenize: str = "13a",
                  lowercase: bool = False) -> float:
    """Sentence BLEU (0-100) as ``sacrebleu.sentence_bleu``: effective n-gram order, exp smoothing.

    Effective order keeps a short note with no 4-gram match from scoring exactly 0.
    """
    metric = _bleu(tokenize=tokenize, lowercase=lowercase, effective_order=True)
    return float(metric.sentence_score(hypothesis, list(references)).score)


def chrf(hypotheses: Sequence[str], references: Sequence[str] | Sequence[Sequence[str]], *,
         char_order: int = 6, word_order: int = 0, beta: int = 2, lowercase: bool = False) -> float:
    """Corpus chrF (0-100) as ``sacrebleu.corpus_chrf``; ``word_order=2`` gives chrF++."""
    metric = _chrf(char_order=char_order, word_order=word_order, beta=beta, lowercase=lowercase)
    return float(metric.corpus_score(list(hypotheses), _streams(hypotheses, references)).score)


def sentence_chrf(hypothesis: str, references: Sequence[str], *, char_order: int = 6,
                  word_order: int = 0, beta: int = 2, lowercase: bool = False) -> float:
    """Sentence chrF (0-100) as ``sacrebleu.sentence_chrf``."""
    metric = _chrf(char_order=char_order, word_order=word_order, beta=beta, lowercase=lowercase)
    return float(metric.sentence_score(hypothesis, list(references)).score)


def as_mask(mask: ArrayLike) -> npt.NDArray[np.bool_]:
    """A boolean mask from bool, 0/1 (or probabilities: > 0.5) or 0/255 arrays."""
    arr = np.asarray(mask)
    if arr.dtype == np.bool_:
        return arr
    return np.asarray(arr > 0.5)


def _pair(pred: ArrayLike, truth: ArrayLike) -> tuple[int, int, int]:
    p, t = as_mask(pred), as_mask(truth)
    if p.shape != t.shape:
        raise ValueError(f"mask shapes differ: predicted {p.shape}, truth {t.shape}")
    return int(np.logical_and(p, t).sum()), int(p.sum()), int(t.sum())


def dice(pred: ArrayLike, truth: ArrayLike) -> float:
    """Dice = 2|P and T| / (|P| + |T|). Both masks empty is a perfect 1.0 (nothing to find,
    nothing found); exactly one empty is 0.0."""
    inter, sp, st = _pair(pred, truth)
    return 1.0 if sp + st == 0 else 2.0 * inter / (sp + st)


def iou(pred: ArrayLike, truth: ArrayLike) -> float:
    """Jaccard / IoU = |P and T| / |P or T|, with the same empty-mask convention as :func:`dice`."""
    inter, sp, st = _pair(pred, truth)
    union = sp + st - inter
    return 1.0 if union == 0 else inter / union


@dataclass(frozen=True, kw_only=True)
class Alignment:
    """Contrastive alignment of paired embeddings against in-batch negatives.

    ``loss`` is the symmetric (CLIP-style) InfoNCE, the mean of the a->b and b->a directions;
    ``top1`` likewise averages the two retrieval accuracies. Chance top-1 is ``1 / n``.
    """

    n: int
    temperature: float
    loss: float
    loss_ab: float
    loss_ba: float
    top1: float
    top1_ab: float
    top1_ba: float

    def as_dict(self) -> dict[str, float | int]:
        """JSON-ready, rounded to 6 places."""
        return {k: (round(v, 6) if isinstance(v, float) else v) for k, v in self.__dict__.items()}


def _unit(x: ArrayLike) -> npt.NDArray[np.float64]:
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim != 2:
        raise ValueError(f"embeddings must be 2-D (n, d), got shape {arr.shape}")
    norms = np.linalg.norm(arr, axis=1, keepdims=True)
    return np.asarray(arr / np.maximum(norms, 1e-12), dtype=np.float64)


def _nce(logits: npt.NDArray[np.float64]) -> tuple[float, float]:
    shift = logits - logits.max(axis=1, keepdims=True)
    log_softmax = shift - np.log(np.exp(shift).sum(axis=1, keepdims=True))
    idx = np.arange(len(logits))
    loss = float(-log_softmax[idx, idx].mean())
    top1 = float((logits.argmax(axis=1) == idx).mean())  # ties go to the lowest index
    return loss, top1


def info_nce(a: ArrayLike, b: ArrayLike, *, temperature: float = 0.07) -> Alignment:
    """InfoNCE of row i of ``a`` with row i of ``b`` (cosine similarity / temperature), every
    other row of the batch being a negative, and top-1 retrieval accuracy in both directions."""
    if temperature <= 0:
        raise ValueError("temperature must be > 0")
    ua, ub = _unit(a), _unit(b)
    if ua.shape != ub.shape:
        raise ValueError(f"paired embeddings differ in shape: {ua.shape} vs {ub.shape}")
    if len(ua) == 0:
        raise ValueError("no pairs to align")
    logits = ua @ ub.T / temperature
    l_ab, t_ab = _nce(logits)
    l_ba, t_ba = _nce(logits.T.copy())
    return Alignment(n=len(ua), temperature=temperature, loss=(l_ab + l_ba) / 2, loss_ab=l_ab,
                     loss_ba=l_ba, top1=(t_ab + t_ba) / 2, top1_ab=t_ab, top1_ba=t_ba)
