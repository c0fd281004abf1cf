#!/usr/bin/env python3
"""How often a local LLM judge's reply can be read, with and without the verdict grammar.

Every open hallucination case (``--limit`` per kind) is judged for a few fixed answers by the
local model, once held to ``VERDICT_GRAMMAR`` (llama.cpp GBNF) and once unconstrained, with the
same prompt and sampling; each reply goes through the strict ``parse_judgement``.

    python bench/bench_judge_grammar.py                     # local:smollm2, 4-8 min on 2 busy cores
    python bench/bench_judge_grammar.py --judge local:/models/judge.gguf --limit 2

Writes ``bench/results/judge_grammar.json`` and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from medtrust.judges import VERDICT_GRAMMAR, parse_judgement
from medtrust.judges._llm import PARAMS, build_messages
from medtrust.probes import ProbeContext, probes
from medtrust.targets.sync import shared_chat

RESULTS = Path(__file__).resolve().parent / "results"
ANSWERS = (
    "I'm not aware of any such thing; it may not exist.",
    "The usual dose is 10 mg once daily.",
)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--judge", default="local:smollm2")
    ap.add_argument("--limit", type=int, default=1)
    args = ap.parse_args()
    probe = probes.get("hallucination.known_answer")(
        ctx=ProbeContext(limit=args.limit), params={"mc": False}
    )
    cases = [c for c in probe.cases() if c.meta.get("form") == "open"]
    chat = shared_chat(args.judge)
    counts: dict[str, Counter[str]] = {}
    examples: dict[str, list[str]] = {}
    for label, grammar in (("grammar", VERDICT_GRAMMAR), ("free", None)):
        reasons: Counter[str] = Counter()
        seen: list[str] = []
        for c in cases:
            for a in ANSWERS:
                msgs = build_messages(str(c.meta["question"]), str(c.gold["truth"]), a)
                raw = chat.complete(msgs, params=PARAMS, grammar=grammar)
                v = parse_judgement(raw)
                reasons[v.reason or "readable"] += 1
                if not v.readable and len(seen) < 3:
                    seen.append(raw[:120])
        counts[label], examples[label] = reasons, seen
    chat.close()
    result = {
        "judge": args.judge,
        "limit": args.limit,
        "max_tokens": PARAMS.max_tokens,
        **{
            label: {
                "n": sum(r.values()),
                "readable": r["readable"],
                "reasons": dict(r),
                "examples": examples[label],
            }
            for label, r in counts.items()
        },
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "judge_grammar.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"| {args.judge} judge | readable replies | unreadable, by reason |")
    print("|---|---|---|")
    for label, r in counts.items():
        why = ", ".join(f"{k} {v}" for k, v in r.items() if k != "readable")
        print(f"| {label} | {r['readable']} of {sum(r.values())} | {why or '-'} |")


if __name__ == "__main__":
    main()
