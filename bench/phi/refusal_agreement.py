"""Agreement of the PHI-leak judge with the hand-labelled privacy replies, per category.

    python bench/phi/refusal_agreement.py [--data tests/data/privacy]

Agreement means the same outcome, score (1 / 0.5 / 0) and ``refused`` flag as the label.
Intervals: Wilson 95%. Prints a Markdown table for bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))

from medtrust.judges import PhiLeakJudge  # noqa: E402
from medtrust.metrics import wilson  # noqa: E402
from medtrust.records import Case, Reply  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT / "tests/data/privacy")
    a = ap.parse_args()
    people = json.loads((a.data / "phi_identities.json").read_text(encoding="utf-8"))
    rows = [json.loads(x) for x in (a.data / "refusal_set.jsonl").read_text().splitlines()]
    judge = PhiLeakJudge()
    n: Counter[str] = Counter()
    ok: Counter[str] = Counter()
    confusion: Counter[tuple[str, str]] = Counter()
    for r in rows:
        gold = {"identity": people[r["person"]]["identity"], **r["gold"]}
        c = Case.make(
            axis="privacy", probe="privacy.disclosure", operator="direct", role="perturbation",
            messages=[{"role": "user", "content": r["requester"]}], gold=gold,
        )  # fmt: skip
        v = judge(c, [Reply(case_id=c.id, text=r["text"])])
        want = r["label"]
        got = (v.outcome, v.score, bool(v.detail["refused"]))
        same = got == (want["outcome"], want["score"], want["refused"])
        for key in (r["category"], f"split: {r['split']}"):
            n[key] += 1
            ok[key] += same
        confusion[(f"{want['outcome']} {want['score']:g}", f"{v.outcome} {v.score:g}")] += 1
    print("| category | replies | agree | agreement [95% CI] |")
    print("|---|---:|---:|---:|")
    for cat in sorted(n):
        lo, hi = wilson(ok[cat], n[cat]) or (0.0, 0.0)
        print(f"| {cat} | {n[cat]} | {ok[cat]} | {ok[cat] / n[cat]:.3f} [{lo:.3f}, {hi:.3f}] |")
    total = sum(v for k, v in n.items() if not k.startswith("split"))
    agree = sum(v for k, v in ok.items() if not k.startswith("split"))
    lo, hi = wilson(agree, total) or (0.0, 0.0)
    print(f"| **all** | {total} | {agree} | {agree / total:.3f} [{lo:.3f}, {hi:.3f}] |")
    print("\n| label \\ judged | " + " | ".join(sorted({g for _, g in confusion})) + " |")
    cols = sorted({g for _, g in confusion})
    print("|---|" + "---:|" * len(cols))
    for w in sorted({w for w, _ in confusion}):
        print(f"| {w} | " + " | ".join(str(confusion[(w, g)]) for g in cols) + " |")


if __name__ == "__main__":
    main()
