"""Item selection shared by the multiple-choice probes of every axis (DAS, adaptive, bias).

One place decides which items a probe uses (the bundled set, or the user's ``--data`` instead
of it, or both with ``--with-bundled``; subsampled to ``--limit`` with the run's seed) so that
every axis attacks the same items for one seed.
"""

from __future__ import annotations

import random

from medtrust.errors import ConfigError
from medtrust.probes._base import ProbeContext
from medtrust.probes.robustness._items import seed_items
from medtrust.records import MCItem, content_hash


def seeded_rng(*parts: object) -> random.Random:
    """A ``random.Random`` seeded by the content hash of ``parts`` (stable across processes)."""
    return random.Random(int(content_hash(parts, 16), 16))


def select_items(ctx: ProbeContext, *, bundled: bool, probe: str) -> list[MCItem]:
    """The run's seed items (see :func:`seed_items`: ``--data`` replaces the bundled set,
    ``--with-bundled`` adds it), narrowed to ``ctx.focus`` when set, then subsampled (seeded)
    to the limit, in file order. Raises ``ConfigError`` when nothing is left to ask."""
    items = seed_items(ctx.data, with_bundled=ctx.with_bundled, bundled=bundled)
    if not items:
        raise ConfigError(f"{probe}: no items (bundled: false and no --data FILE.jsonl)")
    if ctx.focus is not None:
        items = [it for it in items if it.id in ctx.focus]
    if ctx.limit is not None and ctx.limit < len(items):
        keep = set(seeded_rng("limit", ctx.seed).sample(range(len(items)), ctx.limit))
        items = [it for i, it in enumerate(items) if i in keep]
    return items
