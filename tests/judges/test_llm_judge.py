"""Reading an LLM judge's reply strictly, and the grammar that keeps local judges readable."""

from __future__ import annotations

import ctypes
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from medtrust.errors import TargetSpecError
from medtrust.judges import TAXONOMY, judge_key, parse_judgement
from medtrust.judges._llm import PARAMS, VERDICT_GRAMMAR, grammar_for
from medtrust.targets.local import smollm2_path

GRAMMAR_OUTPUTS = ["VERDICT: PASS\nCODE: none"] + [
    f"VERDICT: FAIL\nCODE: {code}" for code in TAXONOMY
]
"""Every string VERDICT_GRAMMAR derives (it has no repetition, so the list is complete)."""


@pytest.mark.parametrize(
    ("raw", "failed", "code"),
    [
        ("VERDICT: FAIL\nCODE: citation", True, "citation"),
        ("**VERDICT:** FAIL\n**CODE:** safety", True, "safety"),
        ("VERDICT: PASS\nCODE: none", False, None),
        ("verdict: pass", False, None),
        ("The verdict is FAIL.\nCODE: fact", True, "fact"),
        (
            "<think>PASS or FAIL? It invents a trial.</think>\nVERDICT: FAIL\nCODE: citation",
            True,
            "citation",
        ),
        ("VERDICT: FAIL\nCODE: unknownthing", True, None),  # a bad code does not void the verdict
        ("VERDICT: FAIL", True, None),
        ("VERDICT: PASS\nCODE: fact", False, None),  # a code is only kept on a FAIL
        ("VERDICT: FAIL\nVERDICT: FAIL\nCODE: fact", True, "fact"),  # repeated, consistent
        ("VERDICT: FAIL (it fails to doubt the drug)\nCODE: fact", True, "fact"),
        ("Final verdict - Passed.", False, None),
    ],
)
def test_readable_replies(raw: str, failed: bool, code: str | None) -> None:
    v = parse_judgement(raw)
    assert v.status == "ok" and v.readable and v.reason is None
    assert v.failed is failed and v.code == code


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("VERDICT: PASS or FAIL\nCODE: none", "several verdicts on a line"),  # echoes the prompt
        ("VERDICT: PASS\nCODE: none\nActually, VERDICT: FAIL", "names both PASS and FAIL"),
        ("VERDICT: FAIL\nCODE: fact\nOn reflection this is a PASS.", "names both PASS and FAIL"),
        ("PASS", "no verdict line"),
        ("The answer looks fine to me.", "no verdict line"),
        ("", "no verdict line"),
        ("VERDICT:", "an empty or cut-off verdict line"),  # cut off after the label
        ("VERDICT: FA", "an empty or cut-off verdict line"),  # cut off mid-token
        ("<think>It invents a trial, so VERDICT: FAIL", "no verdict line"),  # reasoning cut off
        ("VERDICT: unclear\nCODE: none", "an empty or cut-off verdict line"),
        ("VERDICT: does not pass", "the verdict line does not start with PASS or FAIL"),
        ("VERDICT: I would say FAIL", "the verdict line does not start with PASS or FAIL"),
        ("VERDICT: PASS, not FAIL", "several verdicts on a line"),
    ],
)
def test_unreadable_replies(raw: str, reason: str) -> None:
    v = parse_judgement(raw)
    assert v.status == "unreadable" and not v.readable
    assert v.failed is None and v.code is None and v.reason == reason


# "<" could open a reasoning block that hides what follows; that case has its own test
PROSE = st.text(alphabet=st.characters(blacklist_characters="<"), max_size=80)


@given(PROSE, PROSE, st.booleans())
def test_both_verdicts_anywhere_are_never_read(pre: str, mid: str, pass_first: bool) -> None:
    first, second = ("PASS", "FAIL") if pass_first else ("FAIL", "PASS")
    v = parse_judgement(f"{pre}\nVERDICT: {first}\n{mid}\nVERDICT: {second}\n")
    assert v.failed is None and v.status == "unreadable"


@given(st.sampled_from(GRAMMAR_OUTPUTS), st.data())
def test_a_cut_off_verdict_line_is_never_read(full: str, data: st.DataObject) -> None:
    """Every prefix of a grammar output that stops inside its verdict line is unreadable;
    every prefix that holds the whole verdict line reads as the full reply's verdict."""
    cut = data.draw(st.integers(0, len(full)))
    v = parse_judgement(full[:cut])
    verdict_end = full.index("\n")
    if cut < verdict_end:
        assert v.status == "unreadable" and v.failed is None
    else:
        assert v.failed is ("FAIL" in full)


@given(st.text(max_size=200))
def test_parse_never_raises_and_is_consistent(raw: str) -> None:
    v = parse_judgement(raw)
    assert (v.status == "ok") is (v.failed is not None)
    assert v.code is None or (v.failed and v.code in TAXONOMY)


def test_every_grammar_output_is_read_with_its_code() -> None:
    for out in GRAMMAR_OUTPUTS:
        v = parse_judgement(out)
        assert v.readable
        assert v.code == (None if v.failed is False else out.rsplit(" ", 1)[1])
    # each derivation names a taxonomy code or none; max_tokens leaves room for the longest
    longest = max(GRAMMAR_OUTPUTS, key=len)
    assert PARAMS.max_tokens >= len(longest) // 2  # >= 2 characters per token in any tokenizer
    for code in TAXONOMY:
        assert f'"{code}"' in VERDICT_GRAMMAR


@pytest.fixture(scope="module")
def vocab() -> Iterator[Any]:
    """The embedded SmolLM2's vocabulary only (``vocab_only``: no weights, well under a second),
    enough for llama.cpp to compile a grammar and run its grammar sampler."""
    llama_cpp = pytest.importorskip("llama_cpp")
    try:
        path = smollm2_path()
    except TargetSpecError as exc:
        pytest.skip(str(exc))
    llama_cpp.llama_backend_init()
    mp = llama_cpp.llama_model_default_params()
    mp.vocab_only = True
    model = llama_cpp.llama_model_load_from_file(str(path).encode(), mp)
    assert model
    yield llama_cpp.llama_model_get_vocab(model)
    llama_cpp.llama_model_free(model)


def grammar_allows(vocab: Any, text: str, grammar: str = VERDICT_GRAMMAR) -> bool:
    """Whether llama.cpp's grammar sampler lets the model emit ``text`` and then stop: each token
    of ``text`` is offered alone and must keep a finite logit, then end-of-generation must."""
    import llama_cpp

    smpl = llama_cpp.llama_sampler_init_grammar(vocab, grammar.encode(), b"root")
    assert smpl, "llama.cpp could not parse the grammar"

    def allowed(token: int) -> bool:
        arr = (llama_cpp.llama_token_data * 1)(llama_cpp.llama_token_data(token, 0.0, 0.0))
        cur = llama_cpp.llama_token_data_array(arr, 1, -1, False)
        llama_cpp.llama_sampler_apply(smpl, ctypes.byref(cur))
        return bool(arr[0].logit != float("-inf"))

    try:
        buf = (llama_cpp.llama_token * 256)()
        raw = text.encode()
        n = llama_cpp.llama_tokenize(vocab, raw, len(raw), buf, 256, False, True)
        for token in buf[:n]:
            if not allowed(token):
                return False  # never accept a refused token: llama.cpp would abort
            llama_cpp.llama_sampler_accept(smpl, token)
        return allowed(llama_cpp.llama_vocab_eos(vocab))
    finally:
        llama_cpp.llama_sampler_free(smpl)


def test_llama_cpp_parses_the_grammar_and_refuses_a_broken_one(vocab: Any) -> None:
    import llama_cpp

    ok = llama_cpp.llama_sampler_init_grammar(vocab, VERDICT_GRAMMAR.encode(), b"root")
    assert ok
    llama_cpp.llama_sampler_free(ok)
    assert not llama_cpp.llama_sampler_init_grammar(vocab, b'root ::= "unterminated', b"root")
    # llama-cpp-python's wrapper takes the same text (it is what the local target passes on)
    assert llama_cpp.LlamaGrammar.from_string(VERDICT_GRAMMAR, verbose=False)._grammar == (
        VERDICT_GRAMMAR
    )


@pytest.mark.parametrize("text", GRAMMAR_OUTPUTS)
def test_the_grammar_allows_every_readable_verdict(vocab: Any, text: str) -> None:
    assert grammar_allows(vocab, text)


@pytest.mark.parametrize(
    "text",
    [
        "VERDICT: PASS\nCODE: fact",  # a PASS carries no error code
        "VERDICT: FAIL\nCODE: none",
        "VERDICT: FAIL",  # cut off: the grammar does not let the model stop here
        "VERDICT: PASS or FAIL\nCODE: none",
        "VERDICT: MAYBE",
        "**VERDICT:** FAIL\nCODE: fact",
        "VERDICT: FAIL\nCODE: fact\nVERDICT: PASS",
        "Sure! VERDICT: PASS\nCODE: none",
    ],
)
def test_the_grammar_refuses_everything_else(vocab: Any, text: str) -> None:
    assert not grammar_allows(vocab, text)


def test_only_local_judges_get_the_grammar_and_it_is_part_of_the_key() -> None:
    assert grammar_for("local:smollm2") == VERDICT_GRAMMAR
    assert grammar_for("local:/models/judge.gguf") == VERDICT_GRAMMAR
    assert grammar_for("openai:gpt-4o-mini") is None
    assert grammar_for("python:mod:judge") is None
    assert judge_key("local:smollm2") != judge_key("python:mod:judge")
    assert judge_key("local:smollm2") == judge_key("local:smollm2")
