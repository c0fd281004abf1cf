"""BLEU/chrF delegate exactly to sacrebleu; Dice/IoU and InfoNCE match hand-computed answers."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sacrebleu
from hypothesis import given, settings
from hypothesis import strategies as st

from medtrust.metrics import (
    as_mask,
    bleu,
    chrf,
    dice,
    info_nce,
    iou,
    sentence_bleu,
    sentence_chrf,
)

HYPS = [
    "A 57-year-old woman presents with a painless breast lump.",
    "Tumour genomic profiling: ERBB2 HER2 amplification.",
    "Start trastuzumab.",
]
REFS = [
    "A 57-year-old woman presents with painless breast lump.",
    "Tumour genomic profiling: ERBB2 HER2 amplification.",
    "Obtain diagnostic mammography and core needle biopsy.",
]
REFS2 = [
    "The patient is a 57 year old woman with a breast lump.",
    "ERBB2 amplification was found on tumour profiling.",
    "Begin HER2-directed therapy.",
]


# --- BLEU / chrF: equal to sacrebleu's own numbers -----------------------------------------------


@pytest.mark.parametrize("tokenize", ["13a", "intl", "char", "none"])
@pytest.mark.parametrize("lowercase", [False, True])
def test_corpus_bleu_equals_sacrebleu(tokenize: str, lowercase: bool) -> None:
    want = sacrebleu.corpus_bleu(HYPS, [REFS], tokenize=tokenize, lowercase=lowercase).score
    assert bleu(HYPS, REFS, tokenize=tokenize, lowercase=lowercase) == want


def test_corpus_scores_with_several_references_per_hypothesis() -> None:
    per_hyp = [[a, b] for a, b in zip(REFS, REFS2, strict=True)]
    assert bleu(HYPS, per_hyp) == sacrebleu.corpus_bleu(HYPS, [REFS, REFS2]).score
    assert chrf(HYPS, per_hyp) == sacrebleu.corpus_chrf(HYPS, [REFS, REFS2]).score
    with pytest.raises(ValueError, match="same number"):
        bleu(HYPS, [[REFS[0]], [REFS[1], REFS2[1]], [REFS[2]]])
    with pytest.raises(ValueError, match="3 hypotheses but 2"):
        chrf(HYPS, REFS[:2])


@pytest.mark.parametrize("word_order", [0, 2])
def test_corpus_chrf_and_chrf_plus_plus_equal_sacrebleu(word_order: int) -> None:
    want = sacrebleu.corpus_chrf(HYPS, [REFS], word_order=word_order).score
    assert chrf(HYPS, REFS, word_order=word_order) == want
    lower = sacrebleu.metrics.CHRF(lowercase=True).corpus_score(HYPS, [REFS]).score
    assert chrf(HYPS, REFS, lowercase=True) == lower


def test_sentence_scores_equal_sacrebleu() -> None:
    for h, r, r2 in zip(HYPS, REFS, REFS2, strict=True):
        assert sentence_bleu(h, [r]) == sacrebleu.sentence_bleu(h, [r]).score
        assert sentence_bleu(h, [r, r2]) == sacrebleu.sentence_bleu(h, [r, r2]).score
        assert sentence_chrf(h, [r]) == sacrebleu.sentence_chrf(h, [r]).score
    # effective order: a short exact match is 100, not 0
    assert sentence_bleu("Start trastuzumab.", ["Start trastuzumab."]) == pytest.approx(100.0)
    assert bleu(["x"], ["x"]) == sacrebleu.corpus_bleu(["x"], [["x"]]).score


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.text(max_size=40), st.text(max_size=40)), min_size=1, max_size=5))
def test_bleu_chrf_equal_sacrebleu_on_any_text(pairs: list[tuple[str, str]]) -> None:
    hyps, refs = [h for h, _ in pairs], [r for _, r in pairs]
    assert bleu(hyps, refs) == sacrebleu.corpus_bleu(hyps, [refs]).score
    assert chrf(hyps, refs) == sacrebleu.corpus_chrf(hyps, [refs]).score


def test_one_string_is_not_a_corpus() -> None:
    with pytest.raises(TypeError):
        bleu("a note", ["a note"])


# --- Dice / IoU -----------------------------------------------------------------------------------


def test_dice_and_iou_on_hand_computed_masks() -> None:
    pred = np.zeros((4, 4), dtype=bool)
    truth = np.zeros((4, 4), dtype=bool)
    pred[0:2, 0:2] = True  # 4 pixels
    truth[0:2, 1:3] = True  # 4 pixels, 2 shared
    assert dice(pred, truth) == pytest.approx(2 * 2 / (4 + 4))  # 0.5
    assert iou(pred, truth) == pytest.approx(2 / 6)
    assert dice(truth, truth) == 1.0 and iou(truth, truth) == 1.0
    assert dice(pred, ~pred) == 0.0 and iou(pred, ~pred) == 0.0


def test_mask_encodings_and_empty_conventions() -> None:
    truth = np.array([[0, 255, 255], [0, 0, 255]], dtype=np.uint8)  # PNG mask, 3 pixels
    probs = np.array([[0.1, 0.9, 0.6], [0.4, 0.2, 0.51]])
    assert as_mask(probs).sum() == 3 and dice(probs, truth) == 1.0
    assert dice([[0, 1, 1], [0, 0, 0]], truth) == pytest.approx(2 * 2 / 5)
    empty = np.zeros((2, 3), dtype=bool)
    assert dice(empty, empty) == 1.0 and iou(empty, empty) == 1.0  # nothing to find, none found
    assert dice(empty, truth) == 0.0 and iou(truth, empty) == 0.0
    with pytest.raises(ValueError, match="shapes differ"):
        dice(np.zeros((2, 2)), truth)


# --- InfoNCE / top-1 retrieval --------------------------------------------------------------------


@pytest.mark.parametrize("n", [2, 5, 8])
@pytest.mark.parametrize("tau", [0.07, 0.5, 1.0])
def test_info_nce_on_orthonormal_pairs_is_known(n: int, tau: float) -> None:
    a = np.eye(n, 12)
    res = info_nce(a, 3.0 * a, temperature=tau)  # scale does not matter: cosine similarity
    # positive logit 1/tau, n - 1 negatives at 0: -log(e^{1/tau} / (e^{1/tau} + n - 1))
    want = math.log1p((n - 1) * math.exp(-1 / tau))
    assert res.loss == pytest.approx(want) and res.loss_ab == pytest.approx(res.loss_ba)
    assert res.top1 == 1.0 and res.n == n


def test_info_nce_on_swapped_and_identical_embeddings() -> None:
    n, tau = 4, 0.1
    a = np.eye(n)
    swapped = a[[1, 0, 2, 3]]  # pairs 0 and 1 are crossed
    res = info_nce(a, swapped, temperature=tau)
    assert res.top1_ab == 0.5 and res.top1_ba == 0.5
    # rows 0, 1: the positive has logit 0 and one negative 1/tau; rows 2, 3 as orthonormal
    crossed = -math.log(1 / (math.exp(1 / tau) + n - 1))
    kept = math.log1p((n - 1) * math.exp(-1 / tau))
    assert res.loss == pytest.approx((2 * crossed + 2 * kept) / 4)
    same = info_nce(np.ones((n, 3)), np.ones((n, 3)), temperature=tau)  # collapsed: chance
    assert same.loss == pytest.approx(math.log(n)) and same.top1 == pytest.approx(1 / n)


def test_info_nce_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        info_nce(np.eye(3), np.eye(4))
    with pytest.raises(ValueError):
        info_nce(np.eye(3), np.eye(3), temperature=0)
    with pytest.raises(ValueError):
        info_nce(np.zeros(3), np.zeros(3))
