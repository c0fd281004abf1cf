"""``medtrust multimodal ...``: fidelity of segmenters, embedders and generated text.

Chat models are measured by ``medtrust run multimodal`` (cross-modal consistency, note
fidelity); these commands cover the targets that do not chat: ``segment:`` (Dice, IoU against
the cohort's exact masks) and ``embed:`` (InfoNCE and top-1 retrieval between modalities), plus
corpus BLEU/chrF for any pairs of generated and reference texts.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from medtrust._cli_util import JsonOpt, console, handle_errors, print_json
from medtrust.errors import MedtrustError, TargetSpecError

multimodal_app = typer.Typer(
    help="Multi-modal fidelity: segmentation Dice/IoU, embedding alignment, BLEU/chrF.",
    no_args_is_help=True,
)

SeedOpt = Annotated[int, typer.Option("--seed", help="Cohort seed (the same patients as runs).")]


def _load(spec: str, kind: type) -> Any:
    from medtrust.targets import load_target

    target = load_target(spec)
    if not isinstance(target, kind):
        scheme = "segment:MODULE:ATTR" if kind.__name__ == "SegmentTarget" else "embed:..."
        raise TargetSpecError(f"target {spec!r} is not a {scheme} target")
    return target


@multimodal_app.command("segment")
@handle_errors
def segment(
    target: Annotated[str, typer.Option("--target", help="segment:MODULE:ATTR")],
    n: Annotated[int, typer.Option("-n", min=1, help="Lesion images to segment.")] = 20,
    size: Annotated[int, typer.Option("--size", min=16, max=1024, help="Image side (px).")] = 128,
    seed: SeedOpt = 0,
    json_out: JsonOpt = False,
) -> None:
    """Dice and IoU of a segmenter's masks against the synthetic lesions' exact masks."""
    from medtrust.multimodal import lesion_patients, segmentation_scores
    from medtrust.targets import SegmentTarget

    res = segmentation_scores(_load(target, SegmentTarget), lesion_patients(n, seed=seed),
                              size=size, seed=seed)
    if json_out:
        print_json(res)
        return
    d, i = res["dice"], res["iou"]
    console.print(f"{res['n']} lesions, {res['errors']} errors: Dice {d['mean']} "
                  f"(95% CI {d['ci95']}), IoU {i['mean']} (95% CI {i['ci95']})")
    for kind, row in res["by_kind"].items():
        console.print(f"  {kind}: n={row['n']} Dice {row['dice']} IoU {row['iou']}")


@multimodal_app.command("align")
@handle_errors
def align(
    target: Annotated[str, typer.Option("--target", help="embed:MODULE:ATTR or embed:minilm")],
    n: Annotated[int, typer.Option("-n", min=2, help="Patients in the batch.")] = 16,
    temperature: Annotated[float, typer.Option("--temperature", min=1e-4)] = 0.07,
    seed: SeedOpt = 0,
    json_out: JsonOpt = False,
) -> None:
    """InfoNCE and top-1 retrieval between a patient's note, FHIR record and VCF embeddings."""
    from medtrust.multimodal import alignment_scores, oncology_patients
    from medtrust.targets import EmbedTarget

    res = alignment_scores(_load(target, EmbedTarget), oncology_patients(n, seed=seed),
                           temperature=temperature)
    if json_out:
        print_json(res)
        return
    console.print(f"{res['n']} patients, chance top-1 {res['chance_top1']}")
    for pair, a in res["pairs"].items():
        console.print(f"  {pair}: InfoNCE {a['loss']:.4f}  top-1 {a['top1']:.3f}")


def _pairs(path: Path) -> tuple[list[str], list[list[str]]]:
    hyps: list[str] = []
    refs: list[list[str]] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise MedtrustError(f"{path}: cannot read: {exc.strerror or exc}") from None
    for no, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            hyp, ref = row["hypothesis"], row["reference"]
        except (json.JSONDecodeError, RecursionError, KeyError, TypeError):
            raise MedtrustError(f"{path}:{no}: expected {{\"hypothesis\": str, \"reference\": "
                                "str or [str, ...]}") from None
        refs_row = [ref] if isinstance(ref, str) else ref
        if not isinstance(hyp, str) or not refs_row or not all(isinstance(r, str)
                                                                for r in refs_row):
            raise MedtrustError(f"{path}:{no}: hypothesis and references must be text")
        hyps.append(hyp)
        refs.append(refs_row)
    if not hyps:
        raise MedtrustError(f"{path}: no pairs")
    if len({len(r) for r in refs}) != 1:
        raise MedtrustError(f"{path}: every line needs the same number of references")
    return hyps, refs


@multimodal_app.command("text")
@handle_errors
def text(
    pairs: Annotated[Path, typer.Argument(help="JSONL: {\"hypothesis\", \"reference\"} per line")],
    tokenize: Annotated[str, typer.Option("--tokenize", help="sacrebleu BLEU tokeniser")] = "13a",
    lowercase: Annotated[bool, typer.Option("--lowercase")] = False,
    json_out: JsonOpt = False,
) -> None:
    """Corpus BLEU, chrF and chrF++ (sacrebleu) of generated texts against references."""
    from medtrust.metrics import bleu, chrf

    hyps, refs = _pairs(pairs)
    res = {"n": len(hyps), "tokenize": tokenize, "lowercase": lowercase,
           "bleu": round(bleu(hyps, refs, tokenize=tokenize, lowercase=lowercase), 4),
           "chrf": round(chrf(hyps, refs, lowercase=lowercase), 4),
           "chrf++": round(chrf(hyps, refs, word_order=2, lowercase=lowercase), 4)}
    if json_out:
        print_json(res)
        return
    console.print(f"{res['n']} texts: BLEU {res['bleu']}  chrF {res['chrf']}  "
                  f"chrF++ {res['chrf++']}")
