"""Multi-modal fidelity outside the chat loop: segmentation (Dice/IoU), embedding alignment
(InfoNCE, top-1 retrieval), PNG helpers, and reference systems with known behaviour.

Loaded lazily (like ``medtrust.cohort``) so that importing the CLI stays fast.
"""

from typing import TYPE_CHECKING

from medtrust._lazy import lazy_getattr

if TYPE_CHECKING:
    from medtrust.multimodal._png import decode_data_url, decode_png
    from medtrust.multimodal._scores import (
        alignment_scores,
        lesion_patients,
        oncology_patients,
        segmentation_scores,
    )

_EXPORTS: dict[str, str] = {
    "alignment_scores": "_scores",
    "decode_data_url": "_png",
    "decode_png": "_png",
    "lesion_patients": "_scores",
    "oncology_patients": "_scores",
    "segmentation_scores": "_scores",
}


__getattr__ = lazy_getattr(__name__, _EXPORTS, globals())


__all__ = [
    "alignment_scores",
    "decode_data_url",
    "decode_png",
    "lesion_patients",
    "oncology_patients",
    "segmentation_scores",
]
