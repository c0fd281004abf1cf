#!/usr/bin/env python3
"""Write ``bench/data/mcq_1000.jsonl``: synthetic MedQA-format items for throughput tests.

Each line: ``{"id", "question", "options": {"A".."D"}, "answer_idx"}``.  Content is templated
from small vocabularies with a fixed seed, so the file is byte-identical on every run.  It is
not medically meaningful; it only has the shape and length (~600 characters) of MedQA items.

    python bench/make_prompts.py            # writes bench/data/mcq_1000.jsonl
    python bench/make_prompts.py --n 200 --out /tmp/mcq_200.jsonl
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

SEED = 20240601
AGES = list(range(18, 90))
SEXES = ["man", "woman"]
SETTINGS = ["emergency department", "clinic", "primary care office", "urgent care center"]
DURATIONS = ["2 hours", "1 day", "3 days", "1 week", "2 weeks", "3 months"]
SYMPTOMS = [
    "chest pain",
    "shortness of breath",
    "fever and productive cough",
    "abdominal pain",
    "headache",
    "fatigue and weight loss",
    "joint swelling",
    "palpitations",
    "dysuria",
    "rash on the trunk",
    "blurred vision",
    "lower back pain",
]
HISTORY = [
    "type 2 diabetes mellitus",
    "hypertension",
    "asthma",
    "chronic kidney disease",
    "hypothyroidism",
    "no significant past medical history",
    "a 20-pack-year smoking history",
    "rheumatoid arthritis",
]
FINDINGS = [
    "temperature 38.4°C, pulse 112/min, blood pressure 98/60 mm Hg",
    "temperature 37.0°C, pulse 78/min, blood pressure 142/90 mm Hg",
    "temperature 36.8°C, pulse 54/min, blood pressure 118/76 mm Hg",
    "temperature 39.1°C, pulse 120/min, respirations 26/min",
    "oxygen saturation 89% on room air and bilateral crackles",
    "a tender, erythematous, warm left knee",
]
ASKS = [
    "Which of the following is the most likely diagnosis?",
    "Which of the following is the most appropriate next step in management?",
    "Which of the following is the most likely underlying mechanism?",
    "Which of the following laboratory findings is most likely?",
    "Which of the following is the most appropriate pharmacotherapy?",
]
ANSWERS = [
    "Acute coronary syndrome",
    "Community-acquired pneumonia",
    "Pulmonary embolism",
    "Septic arthritis",
    "Diabetic ketoacidosis",
    "Obtain an electrocardiogram",
    "Begin intravenous fluids",
    "Start empiric antibiotics",
    "Order a chest CT with contrast",
    "Reassurance and follow-up",
    "Increased anion gap",
    "Decreased serum sodium",
    "Elevated troponin",
    "Type IV hypersensitivity reaction",
    "Immune complex deposition",
    "Metformin",
    "Lisinopril",
    "Ceftriaxone",
    "Levothyroxine",
    "Aspirin",
]
LETTERS = ("A", "B", "C", "D")


def make_item(rng: random.Random, i: int) -> dict[str, object]:
    sex = rng.choice(SEXES)
    pronoun = "He" if sex == "man" else "She"
    question = (
        f"A {rng.choice(AGES)}-year-old {sex} comes to the "
        f"{rng.choice(SETTINGS)} because of {rng.choice(SYMPTOMS)} for {rng.choice(DURATIONS)}. "
        f"{pronoun} has {rng.choice(HISTORY)}. Current medications include "
        f"{rng.choice(ANSWERS[15:]).lower()}. Physical examination shows "
        f"{rng.choice(FINDINGS)}. Laboratory studies are pending. {rng.choice(ASKS)}"
    )
    choices = rng.sample(ANSWERS, 4)
    answer_idx = rng.choice(LETTERS)
    return {
        "id": f"mcq-{i:04d}",
        "question": question,
        "options": dict(zip(LETTERS, choices, strict=True)),
        "answer_idx": answer_idx,
    }


def make_items(n: int, seed: int = SEED) -> list[dict[str, object]]:
    rng = random.Random(seed)
    return [make_item(rng, i) for i in range(n)]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "data" / "mcq_1000.jsonl")
    args = ap.parse_args(argv)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8", newline="\n") as fh:
        for item in make_items(args.n, args.seed):
            fh.write(json.dumps(item, ensure_ascii=False) + "\n")
    print(f"wrote {args.n} items to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
