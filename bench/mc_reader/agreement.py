"""Agreement of ``medtrust.judges.parse_choice`` with the hand-labelled reader corpus.

    python bench/mc_reader/agreement.py [--corpus tests/data/mc_reader/corpus.jsonl]

Prints Markdown: the confusion table (gold letter / unreadable x read letter / unreadable),
agreement per kind and per source with Wilson 95% intervals, every disagreement, and the
reader's cost per reply (median of 5 passes over the corpus; noisy on a shared machine).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import Counter, defaultdict
from pathlib import Path

from medtrust.judges import parse_choice
from medtrust.metrics import wilson

CORPUS = Path(__file__).resolve().parents[2] / "tests" / "data" / "mc_reader" / "corpus.jsonl"


def _pct(k: int, n: int) -> str:
    ci = wilson(k, n)
    assert ci is not None
    return f"{k}/{n} = {100 * k / n:.1f}% [{100 * ci[0]:.1f}, {100 * ci[1]:.1f}]"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    args = ap.parse_args()
    rows = [json.loads(x) for x in args.corpus.read_text().splitlines() if x.strip()]
    read = [parse_choice(r["reply"], r["options"]) for r in rows]

    table: Counter[tuple[str, str]] = Counter()
    for r, got in zip(rows, read, strict=True):
        g = r["gold"]
        col = "unreadable" if got is None else ("same letter" if got == g else "other letter")
        table[("unreadable" if g is None else "letter", col)] += 1
    ok = sum(got == r["gold"] for r, got in zip(rows, read, strict=True))
    print(f"Agreement: {_pct(ok, len(rows))}\n")
    print("| gold \\ read | same letter | other letter | unreadable | n |")
    print("|---|---:|---:|---:|---:|")
    for g in ("letter", "unreadable"):
        cells = [table[(g, c)] for c in ("same letter", "other letter", "unreadable")]
        print(f"| {g} | {cells[0]} | {cells[1]} | {cells[2]} | {sum(cells)} |")

    def source(r: dict) -> str:
        parts = r["source"].split(":")
        return ":".join(parts[:3]) if parts[0] == "smollm2" else parts[0]

    for label, group in (("kind", lambda r: r["kind"]), ("source", source)):
        groups: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
        for r, got in zip(rows, read, strict=True):
            groups[group(r)].append((got == r["gold"], r["gold"] is None))
        print(f"\n| {label} | agreement (95% CI) | of which gold unreadable |")
        print("|---|---|---:|")
        for name in sorted(groups):
            hits = [h for h, _ in groups[name]]
            print(f"| {name} | {_pct(sum(hits), len(hits))} | {sum(u for _, u in groups[name])} |")

    wrong = [(r, got) for r, got in zip(rows, read, strict=True) if got != r["gold"]]
    print(f"\nDisagreements ({len(wrong)}):")
    for r, got in wrong:
        print(f"- {r['source']} [{r['kind']}] gold={r['gold']} read={got}: {r['reply'][:160]!r}")

    passes = []
    for _ in range(5):
        t0 = time.perf_counter()
        for r in rows:
            parse_choice(r["reply"], r["options"])
        passes.append((time.perf_counter() - t0) / len(rows))
    print(f"\nCost: median {1e6 * statistics.median(passes):.0f} us per reply "
          f"({len(rows)} replies x 5 passes)")


if __name__ == "__main__":
    main()
