"""Item selection shared by the multiple-choice probes of every axis (DAS, adaptive, bias).

One place decides which items a probe uses (bundled set plus the user's ``--data``, subsampled
to ``--limit`` with the run's seed) so that every axis attacks the same items for one seed.
"""

from __future__ import annotations

import random

from medtrust.errors import ConfigError
from medtrust.probes._base import ProbeContext
from medtrust.probes.robustness._items import bundled_items, load_jsonl
from medtrust.records import MCItem, content_hash


def seeded_rng(*parts: object) -> random.Random:
    """A ``random.Random`` seeded by the content hash of ``parts`` (stable across processes)."""
    return random.Random(int(content_hash(parts, 16), 16))


def select_items(ctx: ProbeContext, *, bundled: bool, probe: str) -> list[MCItem]:
    """Bundled items and the user's JSONL, subsampled (seeded) to the limit, in file order."""
    items: list[MCItem] = bundled_items() if bundled else []
    if ctx.data is not None:
        if ctx.data.suffix.lower() not in {".jsonl", ".ndjson"}:
            raise ConfigError(f"{ctx.data}: {probe} needs MedQA-format .jsonl data")
        items += load_jsonl(ctx.data)
    if not items:
        raise ConfigError(f"{probe}: no items (bundled: false and no --data FILE.jsonl)")
    if ctx.limit is not None and ctx.limit < len(items):
        keep = set(seeded_rng("limit", ctx.seed).sample(range(len(items)), ctx.limit))
        items = [it for i, it in enumerate(items) if i in keep]
    return items
