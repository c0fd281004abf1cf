"""``segment:MODULE:ATTR``: a segmentation model, image array in, lesion mask out.

The callable takes an ``(H, W)`` grey or ``(H, W, 3)`` RGB uint8 array and returns an ``(H, W)``
mask (bool, 0/1, or probabilities read as foreground above 0.5). Fidelity is scored with Dice
and IoU against the cohort's exact ground-truth masks (``medtrust.multimodal``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from medtrust.errors import TargetSpecError
from medtrust.targets._base import TargetCallError, targets
from medtrust.targets._importing import import_attr

if TYPE_CHECKING:  # numpy is imported when an array is made, not when targets load
    import numpy as np
    import numpy.typing as npt


class SegmentTarget:
    """Wraps a mask-predicting callable (or an object with ``predict``/``segment``)."""

    def __init__(self, *, spec: str, fn: Callable[[npt.NDArray[np.uint8]], Any]) -> None:
        self.spec = spec
        self.fn = fn
        self.calls = 0

    def segment(self, image: npt.NDArray[np.uint8]) -> npt.NDArray[np.bool_]:
        """The predicted mask as bool, checked to match the image's height and width."""
        import numpy as np

        self.calls += 1
        try:
            out = np.asarray(self.fn(image))
        except Exception as exc:
            raise TargetCallError(f"{type(exc).__name__}: {exc}", retryable=False) from None
        if out.ndim == 3 and out.shape[-1] == 1:
            out = out[..., 0]
        if out.shape != image.shape[:2]:
            raise TargetCallError(
                f"target {self.spec!r} returned a mask of shape {out.shape} for an image of "
                f"shape {image.shape}",
                retryable=False,
            )
        return out if out.dtype == np.bool_ else np.asarray(out > 0.5)


@targets.register("segment")
def _segment(spec: str, rest: str) -> SegmentTarget:
    obj = import_attr(spec, rest)
    fn = next(
        (getattr(obj, m) for m in ("segment", "predict") if callable(getattr(obj, m, None))), obj
    )
    if not callable(fn):
        raise TargetSpecError(f"target {spec!r}: {rest!r} is not callable")
    return SegmentTarget(spec=spec, fn=fn)
