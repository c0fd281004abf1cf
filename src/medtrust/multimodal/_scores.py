"""Fidelity of non-chat targets on the synthetic cohort: segmentation masks and embeddings.

Both work on the same seeded patients as the consistency probe, so a segmenter's Dice, an
embedder's alignment and a chat model's agreement describe one cohort.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations
from typing import Any

import numpy as np

from medtrust.cohort import Patient
from medtrust.metrics import bootstrap_mean_ci, dice, info_nce, iou
from medtrust.multimodal._png import decode_png
from medtrust.probes.multimodal._payloads import Modality
from medtrust.targets import EmbedTarget, SegmentTarget, TargetCallError

TEXT_MODALITIES: tuple[Modality, ...] = ("text", "fhir", "vcf")


def lesion_patients(n: int, *, seed: int = 0) -> list[Patient]:
    """The first ``n`` lesion patients of the seeded case cohort (as the probe samples them)."""
    from medtrust.cohort import load_kb
    from medtrust.probes.multimodal._questions import sample_questions

    qs = sample_questions(load_kb(), seed=seed, oncology=0, lesions=n)
    return [q.view for q in qs]


def oncology_patients(n: int, *, seed: int = 0) -> list[Patient]:
    """The first ``n`` oncology patients with an actionable variant (focused views)."""
    from medtrust.cohort import load_kb
    from medtrust.probes.multimodal._questions import sample_questions

    qs = sample_questions(load_kb(), seed=seed, oncology=n, lesions=0)
    return [q.view for q in qs]


def _mean(values: Sequence[float], seed: int) -> dict[str, Any]:
    ci = bootstrap_mean_ci(values, seed=seed) if values else None
    return {"mean": round(float(np.mean(values)), 6) if values else None,
            "ci95": [round(ci[0], 6), round(ci[1], 6)] if ci else None}


def segmentation_scores(target: SegmentTarget, patients: Sequence[Patient], *, size: int = 128,
                        seed: int = 0) -> dict[str, Any]:
    """Dice and IoU of the target's masks against the exact ground truth, per lesion and mean
    (bootstrap 95% interval); a failed call is an error, counted apart and not scored."""
    from medtrust.cohort import render_lesion_image

    rows: list[dict[str, Any]] = []
    errors: list[dict[str, str]] = []
    for p in patients:
        if p.lesion is None:
            continue
        img = render_lesion_image(p, size=size)
        truth = decode_png(img.mask_png) > 127
        try:
            pred = target.segment(decode_png(img.image_png))
        except TargetCallError as exc:
            errors.append({"record_id": p.record_id, "error": str(exc)})
            continue
        rows.append({"record_id": p.record_id, "kind": p.lesion.kind,
                     "dice": round(dice(pred, truth), 6), "iou": round(iou(pred, truth), 6)})
    by_kind = {k: {"n": len(r), "dice": _mean([x["dice"] for x in r], seed)["mean"],
                   "iou": _mean([x["iou"] for x in r], seed)["mean"]}
               for k in sorted({x["kind"] for x in rows})
               for r in [[x for x in rows if x["kind"] == k]]}
    return {"target": target.spec, "n": len(rows), "errors": len(errors), "size": size,
            "dice": _mean([x["dice"] for x in rows], seed),
            "iou": _mean([x["iou"] for x in rows], seed),
            "by_kind": by_kind, "lesions": rows, "error_detail": errors}


def alignment_scores(target: EmbedTarget, patients: Sequence[Patient], *,
                     modalities: Sequence[Modality] = TEXT_MODALITIES, temperature: float = 0.07
                     ) -> dict[str, Any]:
    """InfoNCE and top-1 retrieval between each pair of modality embeddings of the same patients
    (the other patients of the batch are the negatives). Chance top-1 is ``1 / n``."""
    from medtrust.cohort import load_kb
    from medtrust.probes.multimodal._payloads import payload

    kb = load_kb()
    if len(patients) < 2:
        raise ValueError("alignment needs at least two patients (one positive, one negative)")
    if "image" in modalities:
        raise ValueError("alignment_scores embeds text modalities only (text, fhir, vcf)")
    emb = {m: target.embed([payload(m, p, kb, image_size=0) for p in patients])
           for m in modalities}
    pairs = {f"{a}|{b}": info_nce(emb[a], emb[b], temperature=temperature).as_dict()
             for a, b in combinations(modalities, 2)}
    return {"target": target.spec, "n": len(patients), "temperature": temperature,
            "chance_top1": round(1 / len(patients), 6), "pairs": pairs}
