"""``medtrust multimodal segment|align|text`` (the Typer app the main CLI mounts)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import sacrebleu
from typer.testing import CliRunner

from medtrust.cohort._image import encode_png
from medtrust.multimodal import decode_data_url, decode_png
from medtrust.multimodal.cli import multimodal_app

runner = CliRunner()


def invoke_json(*args: str) -> Any:
    res = runner.invoke(multimodal_app, [*args, "--json"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def test_segment_and_align_print_one_json_object() -> None:
    seg = invoke_json("segment", "--target",
                      "segment:medtrust.multimodal.reference:threshold_segmenter", "-n", "4",
                      "--size", "64")
    assert seg["n"] == 4 and seg["dice"]["mean"] > 0.9 and len(seg["lesions"]) == 4
    al = invoke_json("align", "--target", "embed:medtrust.multimodal.reference:hash_embedder",
                     "-n", "4")
    assert al["n"] == 4 and set(al["pairs"]) == {"text|fhir", "text|vcf", "fhir|vcf"}


def test_text_scores_equal_sacrebleu(tmp_path: Path) -> None:
    hyps = ["the patient has breast cancer", "start osimertinib"]
    refs = ["the patient has a breast cancer", "start osimertinib now"]
    f = tmp_path / "pairs.jsonl"
    f.write_text("\n".join(json.dumps({"hypothesis": h, "reference": r})
                           for h, r in zip(hyps, refs, strict=True)) + "\n")
    out = invoke_json("text", str(f))
    assert out["bleu"] == round(sacrebleu.corpus_bleu(hyps, [refs]).score, 4)
    assert out["chrf"] == round(sacrebleu.corpus_chrf(hyps, [refs]).score, 4)
    assert out["chrf++"] == round(sacrebleu.corpus_chrf(hyps, [refs], word_order=2).score, 4)


def test_bad_input_is_one_line_and_exit_2(tmp_path: Path) -> None:
    f = tmp_path / "bad.jsonl"
    f.write_text('{"hypothesis": "x"}\n')
    res = runner.invoke(multimodal_app, ["text", str(f)])
    assert res.exit_code == 2 and "bad.jsonl:1" in res.output
    res = runner.invoke(multimodal_app, ["segment", "--target", "python:x:y"])
    assert res.exit_code == 2
    res = runner.invoke(multimodal_app, ["align", "--target",
                                         "segment:medtrust.multimodal.reference:threshold_segmenter"])
    assert res.exit_code == 2 and "embed" in res.output


def test_png_roundtrip_matches_pillow() -> None:
    from io import BytesIO

    from PIL import Image

    rng = np.random.default_rng(0)
    for shape in ((5, 7), (6, 4, 3)):
        px = rng.integers(0, 256, size=shape, dtype=np.uint8)
        png = encode_png(px)
        assert np.array_equal(decode_png(png), px)
        assert np.array_equal(np.asarray(Image.open(BytesIO(png))), px)
    buf = BytesIO()
    Image.fromarray(px).save(buf, format="PNG", optimize=True)  # filtered scanlines: Pillow path
    assert np.array_equal(decode_png(buf.getvalue()), px)
    import base64

    url = "data:image/png;base64," + base64.b64encode(encode_png(px)).decode()
    assert np.array_equal(decode_data_url(url), px)
