"""Join the real SmolLM2 replies with their hand labels and the written variants.

    python bench/mc_reader/build_corpus.py

Reads ``tests/data/mc_reader/{smollm2_replies,smollm2_labels,written}.jsonl`` and writes
``tests/data/mc_reader/corpus.jsonl`` (one row per reply: ``reply``, ``options``, ``gold``
(a letter, or null for unreadable), ``source``, ``kind``). Every real reply must carry a hand
label whose ``reply_sha`` matches the reply text, so regenerated replies cannot silently keep
stale labels.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "tests" / "data" / "mc_reader"


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def main() -> int:
    replies = _rows(DATA / "smollm2_replies.jsonl")
    labels = {r["id"]: r for r in _rows(DATA / "smollm2_labels.jsonl")}
    out, problems = [], []
    for r in replies:
        lab = labels.get(r["id"])
        if lab is None:
            problems.append(f"{r['id']}: no hand label")
            continue
        if lab["reply_sha"] != sha(r["reply"]):
            problems.append(f"{r['id']}: label is for a different reply text")
            continue
        if lab["gold"] is not None and lab["gold"] not in r["options"]:
            problems.append(f"{r['id']}: gold {lab['gold']!r} is not an option")
            continue
        out.append({
            "reply": r["reply"], "options": r["options"], "gold": lab["gold"],
            "source": f"smollm2:{r['style']}:t{r['temperature']}:{r['item_id']}",
            "kind": lab["kind"],
        })
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 2
    out.extend(_rows(DATA / "written.jsonl"))
    (DATA / "corpus.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in out)
    )
    print(f"{len(out)} replies ({len(replies)} real) -> {DATA / 'corpus.jsonl'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
