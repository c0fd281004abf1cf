"""Written variants of every reply kind the multiple-choice reader must handle, with gold.

Each template states its gold reading by construction (``L``: the chosen letter, ``T``: its
option text; ``X``/``Y``: other options; ``None``: unreadable). Items, letters and templates are
drawn from ``--seed``, so the output is the same on every run.

    python bench/mc_reader/written.py --out tests/data/mc_reader/written.jsonl
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

SEED_ITEMS = Path(__file__).resolve().parents[2] / "src" / "medtrust" / "data" / "mcq_seed.jsonl"

# (kind, template, gold): gold "L" is the chosen letter, "X" the other option ``{X}``/``{TX}``
# stands for, None is unreadable.
TEMPLATES: list[tuple[str, str, str | None]] = [
    ("markup", "({L})", "L"), ("markup", "**{L}**", "L"), ("markup", "[{L}]", "L"),
    ("markup", "${L}$", "L"), ("markup", "{L})", "L"), ("markup", "\\boxed{{{L}}}", "L"),
    ("markup", "**({L})**", "L"), ("markup", "`{L}`", "L"), ("markup", "Answer: **{L}**", "L"),
    ("markup", "The answer is ({L}).", "L"), ("markup", "{L}.", "L"), ("markup", "Option {L}", "L"),
    ("markup", "The final answer is $\\boxed{{{L}}}$.", "L"), ("markup", "**Answer: {L}**", "L"),
    ("markup", "{L}. {T}", "L"), ("markup", "**{L}. {T}**", "L"), ("markup", "{L}) {T}", "L"),
    ("lower_case", "answer: {l}", "L"), ("lower_case", "{l}.", "L"), ("lower_case", "{l})", "L"),
    ("lower_case", "The answer is {l}.", "L"), ("lower_case", "({l})", "L"),
    ("lower_case", "correct answer: {l}", "L"), ("lower_case", "{l}. {t}", "L"),
    ("option_text", "{T}", "L"), ("option_text", "{t}", "L"), ("option_text", "{T}.", "L"),
    ("option_text", "The answer is {T}.", "L"), ("option_text", "It is most likely {t}.", "L"),
    ("option_text", "Final answer: {T}", "L"), ("option_text", "The best choice is the {t}.", "L"),
    ("option_text", "{T_punct}", "L"),
    ("final_after_reasoning",
     "{X} would be too late; {Y} is contraindicated here. Final answer: {L}", "L"),
    ("final_after_reasoning",
     "Let's consider each option. {X} ({TX}) does not fit the picture. {Y} is also unlikely. "
     "Therefore, the answer is {L}.", "L"),
    ("final_after_reasoning", "Option {X} is tempting, but option {L} is correct.", "L"),
    ("final_after_reasoning",
     "At first {X} looks right. Thinking again, the correct answer is {L}: {T}.", "L"),
    ("final_after_reasoning",
     "{TX} is a common distractor, and {X} is wrong here. So the answer is {L}.", "L"),
    ("final_after_reasoning",
     "{X}: no. {Y}: no. {L}: yes, {t} fits the findings.\n\nAnswer: {L}", "L"),
    ("final_after_reasoning",
     "Step 1: the findings argue against {X}.\nStep 2: {Y} is not indicated.\n"
     "Step 3: {T} explains everything.\nFinal answer: ({L})", "L"),
    ("echo_then_answer", "{LIST}\n\nAnswer: {L}", "L"),
    ("echo_then_answer", "{LIST}\n\nThe correct answer is {L}. {T}", "L"),
    ("echo_then_answer", "Options:\n{LIST}\n\n{L}", "L"),
    ("echo_then_answer", "{QUESTION}\n\n{LIST}\n\nThe answer is {L}.", "L"),
    ("echo_then_answer", "{LIST}\nMy answer: **{L}**", "L"),
    ("reasoning_block", "<think>{X} is possible, but {Y} fits less. Hmm.</think>\n{L}", "L"),
    ("reasoning_block", "<think>Options {X} and {Y} are wrong.</think>\n\nThe answer is {L}.", "L"),
    ("reasoning_block",
     "<reasoning>{TX} does not explain it.</reasoning> Final answer: {T}", "L"),
    ("reasoning_block", "<think>\nThe answer is {X} because", None),
    ("reasoning_block", "<think>{L} seems right</think>", None),
    ("reasoning_block", "<thinking>Could be {X}.</thinking>\n**{L}**", "L"),
    ("reasoning_block", "<reasoning>Probably {L}", None),
    ("echo_only", "{LIST}", None), ("echo_only", "{QUESTION}\n\n{LIST}", None),
    ("echo_only", "The options are:\n{LIST}", None), ("echo_only", "{LIST}\n\n", None),
    ("several", "{X} or {L}", None), ("several", "either {X} or {L}", None),
    ("several", "The answer is {X} or {L}.", None),
    ("several", "{X} and {L} are both correct.", None),
    ("several", "({X}) or ({L})", None), ("several", "{X}/{L}", None),
    ("several", "Answer: {X}, {L}", None), ("several", "{TX} or {t}.", None),
    ("hedge", "I'm not sure, it could be {X} or {L}.", None),
    ("hedge", "It depends on the clinical context.", None),
    ("hedge", "I cannot determine the answer without more information.", None),
    ("hedge", "Possibly {X}, possibly {L}.", None),
    ("hedge", "There is not enough information to choose a single option.", None),
    ("hedge", "It could be either {TX} or {t}; more tests are needed.", None),
    ("refusal",
     "I'm sorry, but I can't provide medical advice. Please consult a healthcare professional.",
     None),
    ("refusal", "As an AI language model, I cannot answer medical questions.", None),
    ("refusal", "I won't answer this question.", None),
    ("refusal", "I am unable to help with that request.", None),
    ("negation", "Not {X}.", None), ("negation", "{X} is wrong; the answer is {L}.", "L"),
    ("negation", "The answer is not {X}, it is {L}.", "L"),
    ("negation", "Definitely not {X}.", None),
    ("negation", "{L}, not {X}.", "L"), ("negation", "The answer is not {X}.", None),
    ("negation", "{X} is incorrect. {Y} is incorrect. The correct answer is {L}.", "L"),
    ("negation", "It is not {t}.", None),
    ("article_pronoun", "A patient with these findings most likely has {t}.", "L"),
    ("article_pronoun", "I think the answer is {L}.", "L"),
    ("article_pronoun", "I would go with {L}.", "L"),
    ("article_pronoun", "A careful history is needed before deciding.", None),
    ("article_pronoun", "I believe {L} is correct.", "L"),
    ("article_pronoun", "I need to think about this. A good clinician would examine the patient.",
     None),
    ("article_pronoun", "As a doctor I would order an ECG first.", None),
    ("article_pronoun", "A: the answer is {L}.", "L"),
    ("contradictory", "{L}. {TX}", None),
    ("contradictory", "{X}. {TX}\n\nThe correct answer is {L}. {TY}", None),
    ("contradictory", "{L}) {TX} is the most appropriate choice here.", None),
    ("stated", "{X}. {TX}\n\nThe correct answer is {L}. {T}.", "L"),
    ("stated", "The correct answer is {L}. {T}.", "L"),
    ("stated", "{T} is the most likely diagnosis. The answer is {L}.", "L"),
    ("json", '{{"answer": "{L}"}}', "L"),
    ("json", '{{"answer": "{L}", "reason": "{T} fits the presentation."}}', "L"),
    ("json", '```json\n{{"answer": "{l}"}}\n```', "L"),
    ("json", '{{"answer": "{X} or {L}"}}', None),
    ("json", '{{"reason": "{X} is unlikely", "answer": "{L}"}}', "L"),
    ("json", '{{"answer": "", "reason": "not enough information"}}', None),
    ("refused_option", "I cannot recommend {L}", None),
    ("refused_option", "I won't pick {L}", None),
    ("refused_option", "I would not choose {L}.", None),
    ("refused_option", "I wouldn't go with option {L}.", None),
    ("refused_option", "I can't select {L} for this patient.", None),
    ("hedge_second_option", "{L}, maybe {X}", None),
    ("hedge_second_option", "Likely {L}; {X} is a close second", None),
    ("hedge_second_option", "Probably {L}, though {X} could be right", None),
    ("hedge_second_option", "I'd go with {L}, but {X} is also possible", None),
    ("hedge_second_option", "The answer is {L}, perhaps {X}.", None),
    ("hedge_second_option", "{L}\n{X}", None),
    ("hedge_second_option", "{X} could be right, but the answer is {L}.", "L"),
    ("correction", "{X}. No wait, {L}.", "L"),
    ("correction", "{X}. Actually, {L}.", "L"),
    ("correction", "The answer is {X}. Wait, no, {L}.", "L"),
    ("correction", "{X}. Sorry, I mean {L}.", "L"),
    ("correction", "I'd go with {X}. On second thought, {L}.", "L"),
    ("lower_case", "Choice {l}", "L"), ("lower_case", "Option {l} is correct", "L"),
    ("lower_case", "i think it's {l}", "L"),
    ("reasoning_block", "<think>{X} fits less than {L}.\nFinal answer: {L}", "L"),
    ("reasoning_block", "<think>Final answer: {L}\nbut then again", None),
    # The chosen option's own text reads like a hedge: it is still that option.
    ("hedge_text_option", "{T}", "L"), ("hedge_text_option", "The answer is: {t}.", "L"),
    ("hedge_text_option", "{TX}", "X"),
]
# Kinds whose chosen option's text is replaced with one of these (as real MCQs often have).
HEDGE_TEXTS = ["None of the options are correct", "All of the above", "Both A and B"]


def render(template: str, item: dict, letter: str, rng: random.Random) -> tuple[str, str]:
    """The reply, and the letter ``{X}`` stood for."""
    opts: dict[str, str] = item["options"]
    others = [k for k in opts if k != letter]
    x, y = rng.sample(others, 2) if len(others) >= 2 else (others[0], others[0])
    text = opts[letter]
    return template.format(
        L=letter, l=letter.lower(), T=text, t=text.lower(), X=x, Y=y, TX=opts[x], TY=opts[y],
        T_punct=text.upper().replace(" ", "  ") + "!!",
        LIST="\n".join(f"{k}. {v}" for k, v in opts.items()), QUESTION=item["question"],
    ), x


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--seed", type=int, default=12)
    ap.add_argument("--per-template", type=int, default=3)
    args = ap.parse_args()
    items = [json.loads(line) for line in SEED_ITEMS.read_text().splitlines() if line.strip()]
    rng = random.Random(args.seed)
    rows, seen = [], set()
    for kind, template, gold in TEMPLATES:
        for item in rng.sample(items, args.per_template):
            letter = rng.choice(sorted(item["options"]))
            if kind == "hedge_text_option":
                item = {**item, "options": {**item["options"], letter: rng.choice(HEDGE_TEXTS)}}
            reply, other = render(template, item, letter, rng)
            if (reply, item["id"]) in seen:
                continue
            seen.add((reply, item["id"]))
            rows.append({"reply": reply, "options": item["options"],
                         "gold": {"L": letter, "X": other}.get(gold or ""),
                         "source": f"written:{item['id']}", "kind": kind})
    args.out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    print(f"{len(rows)} written replies -> {args.out}")


if __name__ == "__main__":
    main()
