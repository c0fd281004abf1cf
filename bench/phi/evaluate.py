"""Per-class recall and precision of medtrust's PHI matcher and of Presidio on the corpus.

    python bench/phi/evaluate.py [--corpus tests/data/privacy] [--no-presidio] [--out FILE]
    python bench/phi/evaluate.py --generate 200 --seed 14 --no-presidio --out FILE

Every reply is judged with every planted class forbidden. For class c a true positive is a reply
whose gold holds c and that the detector flags for c; precision counts every reply flagged for c.
Presidio is run as ``judges/_presidio.py`` loads it (bundled offline spaCy model), two ways:
"alone" flags class c when it finds any entity of a type mapped to c (what Presidio can say
without knowing the planted values); "+values" flags c only when such an entity's text holds
the planted value (medtrust's matcher applied to the entity's span). Intervals: Wilson 95%.
Throughput: replies per second of the matcher alone, single thread, on this machine.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))

from medtrust.judges import PHI_CLASSES, leaked_classes  # noqa: E402
from medtrust.judges._phi_match import entity_matches  # noqa: E402
from medtrust.metrics import wilson  # noqa: E402

PRESIDIO_TYPES: dict[str, tuple[str, ...]] = {
    "PERSON": ("name", "family_name", "given_name", "relative_name"),
    "DATE_TIME": ("birth_date", "admission_date", "discharge_date", "death_date", "visit_date",
                  "relative_birth_date", "age_over_89"),
    "PHONE_NUMBER": ("phone", "fax"),
    "EMAIL_ADDRESS": ("email",),
    "US_SSN": ("ssn",),
    "MRN": ("mrn",),
    "LOCATION": ("street_address", "city", "zip"),
    "URL": ("url",),
    "IP_ADDRESS": ("ip_address",),
    "US_DRIVER_LICENSE": ("license_number",),
}  # fmt: skip
"""Presidio entity type -> the classes it stands for (types it has none for: no detection)."""


def load(corpus: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    people = json.loads((corpus / "phi_identities.json").read_text(encoding="utf-8"))
    lines = (corpus / "phi_corpus.jsonl").read_text(encoding="utf-8").splitlines()
    return people, [json.loads(x) for x in lines if x.strip()]


def table(preds: list[set[str]], records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per class: tp, fn, fp, recall, precision with Wilson 95% intervals."""
    out: dict[str, dict[str, Any]] = {}
    for cls in PHI_CLASSES:
        tp = sum(cls in p and cls in r["gold"] for p, r in zip(preds, records, strict=True))
        fn = sum(cls not in p and cls in r["gold"] for p, r in zip(preds, records, strict=True))
        fp = sum(cls in p and cls not in r["gold"] for p, r in zip(preds, records, strict=True))
        out[cls] = {
            "tp": tp, "fn": fn, "fp": fp,
            "recall": tp / (tp + fn) if tp + fn else None, "recall_ci95": wilson(tp, tp + fn),
            "precision": tp / (tp + fp) if tp + fp else None,
            "precision_ci95": wilson(tp, tp + fp),
        }  # fmt: skip
    return out


def medtrust_preds(people: list[dict[str, Any]], records: list[dict[str, Any]]) -> list[set[str]]:
    return [
        set(leaked_classes(r["text"], people[r["person"]]["identity"], PHI_CLASSES))
        for r in records
    ]


def presidio_preds(
    people: list[dict[str, Any]], records: list[dict[str, Any]]
) -> tuple[list[set[str]], list[set[str]], float]:
    from medtrust.judges._presidio import find_phi

    alone: list[set[str]] = []
    valued: list[set[str]] = []
    t0 = time.perf_counter()
    for r in records:
        ident = people[r["person"]]["identity"]
        a: set[str] = set()
        v: set[str] = set()
        for e in find_phi(r["text"]):
            a.update(PRESIDIO_TYPES.get(e.kind, ()))
            for cls in PRESIDIO_TYPES.get(e.kind, ()):
                if entity_matches(e.kind, e.text, ident, [cls]) == cls:
                    v.add(cls)
        alone.append(a)
        valued.append(v)
    return alone, valued, len(records) / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", type=Path, default=ROOT / "tests/data/privacy")
    ap.add_argument("--markdown", action="store_true", help="print the README table too")
    ap.add_argument("--no-presidio", action="store_true")
    ap.add_argument("--out", type=Path, default=ROOT / "bench/results/phi_recall.json")
    ap.add_argument("--generate", type=int, metavar="PEOPLE", help="build a fresh corpus")
    ap.add_argument("--seed", type=int, default=13, help="seed of --generate")
    a = ap.parse_args()
    if a.generate:
        sys.path.insert(0, str(Path(__file__).parent))
        from make_corpus import build

        people, records = build(a.seed, a.generate)
    else:
        people, records = load(a.corpus)
    t0 = time.perf_counter()
    mine = medtrust_preds(people, records)
    rate = len(records) / (time.perf_counter() - t0)
    result: dict[str, Any] = {
        "replies": len(records),
        "leaking": sum(r["kind"] == "leak" for r in records),
        "medtrust": table(mine, records),
        "medtrust_replies_per_s": round(rate, 1),
    }
    misses = [
        {"id": r["id"], "gold": r["gold"], "pred": sorted(p), "text": r["text"]}
        for p, r in zip(mine, records, strict=True)
        if set(r["gold"]) != p
    ]
    result["medtrust_disagreements"] = misses[:50]
    if not a.no_presidio:
        alone, valued, prate = presidio_preds(people, records)
        result["presidio_alone"] = table(alone, records)
        result["presidio_values"] = table(valued, records)
        result["presidio_replies_per_s"] = round(prate, 1)
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(f"{len(records)} replies; medtrust {rate:.0f} replies/s; {len(misses)} disagreements")
    head = f"{'class':22} {'medtrust R':>10} {'P':>6}"
    if not a.no_presidio:
        head += f" | {'presidio R':>10} {'P':>6} | {'pres+val R':>10} {'P':>6}"
    print(head)
    for cls in PHI_CLASSES:
        m = result["medtrust"][cls]
        line = f"{cls:22} {_f(m['recall']):>10} {_f(m['precision']):>6}"
        if not a.no_presidio:
            p, v = result["presidio_alone"][cls], result["presidio_values"][cls]
            line += f" | {_f(p['recall']):>10} {_f(p['precision']):>6}"
            line += f" | {_f(v['recall']):>10} {_f(v['precision']):>6}"
        print(line)
    if a.markdown and not a.no_presidio:
        print(markdown(result))


def _f(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"


def markdown(result: dict[str, Any]) -> str:
    """The per-class table of bench/README.md (recall and precision with Wilson 95% intervals)."""

    def cell(m: dict[str, Any], key: str) -> str:
        v, ci = m[key], m[f"{key}_ci95"]
        return "-" if v is None else f"{v:.3f} [{ci[0]:.3f}, {ci[1]:.3f}]"

    rows = [
        "| class | leaking replies | medtrust recall | medtrust precision "
        "| Presidio alone R / P | Presidio + values R / P |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for cls in PHI_CLASSES:
        m = result["medtrust"][cls]
        p, v = result["presidio_alone"][cls], result["presidio_values"][cls]
        rows.append(
            f"| {cls} | {m['tp'] + m['fn']} | {cell(m, 'recall')} | {cell(m, 'precision')} "
            f"| {_f(p['recall'])} / {_f(p['precision'])} | {_f(v['recall'])} / "
            f"{_f(v['precision'])} |"
        )
    return "\n".join(rows)


if __name__ == "__main__":
    main()
