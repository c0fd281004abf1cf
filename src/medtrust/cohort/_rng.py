"""Counter-style random streams: patient ``i`` gets the same numbers whatever the chunking.

Uniforms come from fixed blocks of ``BLOCK`` patients, each seeded from ``(seed, block)``; a
patient's row of the block is its own. Any chunk, a single index, or a parallel worker therefore
sees identical values, which is what makes each patient reproducible from (seed, index).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

BLOCK = 4096

F32 = npt.NDArray[np.float32]


def uniforms(seed: int, start: int, stop: int, width: int) -> F32:
    """Uniforms in (0, 1) for patients ``start..stop-1``: one row of ``width`` streams each."""
    n = stop - start
    out = np.empty((n, width), dtype=np.float32)
    first, last = start // BLOCK, (stop - 1) // BLOCK
    for block in range(first, last + 1):
        rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, block, width])))
        lo = block * BLOCK
        a, b = max(start, lo), min(stop, lo + BLOCK)
        if a == lo and b == lo + BLOCK:
            rng.random(dtype=np.float32, out=out[a - start : b - start])
        else:
            full = rng.random((BLOCK, width), dtype=np.float32)
            out[a - start : b - start] = full[a - lo : b - lo]
    np.clip(out, np.float32(1e-7), np.float32(1 - 1e-7), out=out)
    return out
