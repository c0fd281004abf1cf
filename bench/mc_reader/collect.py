"""Collect real multiple-choice replies from the embedded SmolLM2-135M for the reader corpus.

Reproducible: items, prompt styles and temperatures are drawn from ``--seed``; every call uses a
fixed sampling seed and a fresh context (as ``LlamaCppTarget`` does), so a rerun on the same
llama-cpp-python build writes the same replies. The replies are labelled by hand afterwards
(``tests/data/mc_reader/smollm2_labels.jsonl``); ``build_corpus.py`` joins the two.

    python bench/mc_reader/collect.py --out tests/data/mc_reader/smollm2_replies.jsonl

Runs on one thread (the shared machine has two cores); 216 calls, 20-60 minutes on a loaded
2-core box. ``--start/--stop`` run a slice of the same plan (same seeds), so parts can run in
parallel and be concatenated in plan order.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import random
from pathlib import Path
from typing import Any

from medtrust.probes.mcq_format import render_mc
from medtrust.targets.local import smollm2_path

SEED_ITEMS = Path(__file__).resolve().parents[2] / "src" / "medtrust" / "data" / "mcq_seed.jsonl"
TEMPERATURES = (0.0, 0.7, 1.0)
PER_CELL = 18  # items per (style, temperature): 4 styles x 3 temperatures x 18 = 216 replies
MAX_TOKENS = {"bundled": 96, "cot": 160, "letter": 64, "json": 96}


def _options(options: dict[str, str]) -> str:
    return "\n".join(f"{k}. {v}" for k, v in options.items())


def messages(style: str, item: dict[str, Any]) -> list[dict[str, str]]:
    """The prompt of one style; ``bundled`` is medtrust's own multiple-choice prompt."""
    q, opts = item["question"], item["options"]
    if style == "bundled":
        return [dict(m) for m in render_mc(q, opts)]
    tail = {
        "cot": "Think step by step, then give your final answer as 'Answer: <letter>'.",
        "letter": "Reply with the letter only.",
        "json": 'Reply in JSON only: {"answer": "<letter>", "reason": "<one sentence>"}',
    }[style]
    return [{"role": "user", "content": f"{q}\n\n{_options(opts)}\n\n{tail}"}]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--seed", type=int, default=12)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--start", type=int, default=0, help="first plan index (to run in parts)")
    ap.add_argument("--stop", type=int, default=None, help="plan index to stop before")
    args = ap.parse_args()

    from llama_cpp import Llama

    items = [json.loads(line) for line in SEED_ITEMS.read_text().splitlines() if line.strip()]
    rng = random.Random(args.seed)
    plan = [
        (style, temp, item)
        for style in MAX_TOKENS
        for temp in TEMPERATURES
        for item in rng.sample(items, PER_CELL)
    ]
    with open(os.devnull, "w") as devnull, contextlib.redirect_stderr(devnull):
        llm = Llama(model_path=str(smollm2_path()), n_ctx=2048, n_threads=args.threads,
                    verbose=False, seed=0)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    partial = args.out.with_suffix(".partial")
    with partial.open("w") as fh:  # written as it goes, renamed when complete
        for n, (style, temp, item) in enumerate(plan):
            if n < args.start or (args.stop is not None and n >= args.stop):
                continue
            call_seed = args.seed * 1000 + n
            llm.reset()
            out = llm.create_chat_completion(
                messages=messages(style, item), temperature=temp, top_p=1.0,
                max_tokens=MAX_TOKENS[style], seed=call_seed,
            )
            reply = out["choices"][0]["message"].get("content") or ""
            key = f"{item['id']}|{style}|{temp}|{call_seed}"
            row = {
                "id": hashlib.sha256(key.encode()).hexdigest()[:12],
                "item_id": item["id"], "style": style, "temperature": temp, "seed": call_seed,
                "max_tokens": MAX_TOKENS[style], "options": item["options"], "reply": reply,
            }
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            fh.flush()
            print(f"{n + 1}/{len(plan)} {style} t={temp} {item['id']}: {reply[:60]!r}", flush=True)
    partial.replace(args.out)


if __name__ == "__main__":
    main()
