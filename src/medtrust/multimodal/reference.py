"""Reference systems with known behaviour, for tests, demos and calibrating the metrics.

* ``reads_all`` (``python:medtrust.multimodal.reference:reads_all``): answers the multimodal
  consistency questions from whichever modality carries the fact (note, FHIR, VCF, image).
  Its consistency is 1.0.
* ``ignores_vcf``: the same, but it never reads a variant table and answers ``A`` instead: a text
  model with a blind spot, which the ``text|vcf`` pair must catch.
* ``threshold_segmenter`` (``segment:medtrust.multimodal.reference:threshold_segmenter``):
  Otsu thresholding of each pixel's distance from the background colour; its Dice on the
  synthetic lesions is measured in the tests and in bench/README.md.
* ``hash_embedder`` (``embed:medtrust.multimodal.reference:hash_embedder``): hashed word
  counts, a dependency-free embedding baseline for the alignment score.

They read the prompt formats of ``medtrust.probes.multimodal`` and nothing else.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from medtrust.multimodal._png import decode_data_url

GUESS = "A"
MELANOMA_IRREGULARITY = 0.5
LESION_CODES = {"ct_nodule": "C34.90", "mammo_mass": "C50.919"}
SKIN_CODES = ("C44.91", "C43.9")  # (below, at or above) the melanoma irregularity
_OPTION = re.compile(r"^([A-Z])\. (.+)$", re.M)
_NOTE_VARIANT = re.compile(r"^Tumour genomic profiling: (.+)\.$", re.M)
_NOTE_LESION = re.compile(r"^Lesion: (skin|ct nodule|mammo mass) at .+?, [\d.]+ mm, "
                          r"border irregularity ([\d.]+)\.$", re.M)
_FHIR_KIND = {"skin lesion": "skin", "pulmonary nodule on chest CT": "ct_nodule",
              "breast mass on mammography": "mammo_mass"}


def _prompt(messages: Sequence[dict[str, Any]]) -> tuple[str, str | None]:
    """The last user message's text and its image URL, if any."""
    content = next(m["content"] for m in reversed(messages) if m.get("role") == "user")
    if isinstance(content, str):
        return content, None
    text = "\n".join(p.get("text", "") for p in content if p.get("type") == "text")
    image = next((p["image_url"]["url"] for p in content if p.get("type") == "image_url"), None)
    return text, image


def _therapy(gene: str, protein: str) -> str | None:
    from medtrust.cohort import load_kb

    want = protein.replace(" ", "_")
    for v in load_kb().variants.values():
        if v.therapy and v.gene == gene and v.protein.replace(" ", "_") == want:
            return v.therapy
    return None


def _lesion_name(kind: str, irregularity: float | None) -> str:
    from medtrust.cohort import load_kb

    if kind == "skin":
        code = SKIN_CODES[irregularity is not None and irregularity >= MELANOMA_IRREGULARITY]
    else:
        code = LESION_CODES[kind]
    return load_kb().by_code[code].name


def read_image(url: str) -> str:
    """Diagnosis from the picture: RGB is a skin photo (dark pixels: melanoma), grey is CT
    (dark background) or mammography."""
    px = decode_data_url(url)
    if px.ndim == 3:
        dark = float((px[..., 0] < 100).mean())
        return _lesion_name("skin", 1.0 if dark > 0.005 else 0.0)
    return _lesion_name("ct_nodule" if float(np.median(px)) < 65 else "mammo_mass", None)


def _read_fhir(text: str) -> str | None:
    line = next((ln for ln in text.splitlines() if ln.startswith('{"resourceType":"Bundle"')), "")
    if not line:
        return None
    for entry in json.loads(line).get("entry", []):
        res = entry["resource"]
        comps = {c["code"].get("text") or c["code"]["coding"][0]["display"]: c
                 for c in res.get("component", [])}
        if "Gene studied" in comps:
            gene = comps["Gene studied"]["valueCodeableConcept"]["text"]
            protein = comps["Amino acid change (pHGVS)"]["valueCodeableConcept"]["text"]
            if (therapy := _therapy(gene, protein)) is not None:
                return therapy
        if "Lesion type" in comps:
            kind = _FHIR_KIND[comps["Lesion type"]["valueString"]]
            irr = comps["Border irregularity (0 round, 1 very irregular)"]["valueQuantity"]
            return _lesion_name(kind, float(irr["value"]))
    return None


def _read_vcf(text: str) -> str | None:
    for line in text.splitlines():
        if line.startswith("#") or "\t" not in line:
            continue
        info = dict(f.split("=", 1) for f in line.split("\t")[7].split(";") if "=" in f)
        if (therapy := _therapy(info.get("GENE", ""), info.get("PROTEIN", ""))) is not None:
            return therapy
    return None


def _read_note(text: str) -> str | None:
    if m := _NOTE_VARIANT.search(text):
        for found in m.group(1).split(", "):
            gene, _, protein = found.partition(" ")
            if (therapy := _therapy(gene, protein)) is not None:
                return therapy
    if m := _NOTE_LESION.search(text):
        return _lesion_name(m.group(1).replace(" ", "_"), float(m.group(2)))
    return None


def _answer(messages: Sequence[dict[str, Any]], *, skip_vcf: bool) -> str:
    text, image = _prompt(messages)
    options = {text_: k for k, text_ in _OPTION.findall(text)}
    fact: str | None
    if image is not None:
        fact = read_image(image)
    elif "##fileformat=VCF" in text:
        fact = None if skip_vcf else _read_vcf(text)
    elif '{"resourceType":"Bundle"' in text:
        fact = _read_fhir(text)
    else:
        fact = _read_note(text)
    return str(options.get(fact or "", GUESS))


def reads_all(messages: list[dict[str, Any]]) -> str:
    """Reads every modality: the consistent reference."""
    return _answer(messages, skip_vcf=False)


def ignores_vcf(messages: list[dict[str, Any]]) -> str:
    """Reads the note, the FHIR record and the image, never the VCF (answers ``A`` there)."""
    return _answer(messages, skip_vcf=True)


# reads_all reads images (content parts); ignores_vcf is text-only, so its image pairs are
# reported as not assessed (the engine sends image cases only to targets that say so).
reads_all.accepts_images = True  # type: ignore[attr-defined]


def _otsu(values: npt.NDArray[np.float64]) -> float:
    hist, edges = np.histogram(values, bins=256)
    centres = (edges[:-1] + edges[1:]) / 2
    w0 = np.cumsum(hist)
    w1 = w0[-1] - w0
    m0 = np.cumsum(hist * centres)
    mean0 = m0 / np.maximum(w0, 1)
    mean1 = (m0[-1] - m0) / np.maximum(w1, 1)
    between = w0 * w1 * (mean0 - mean1) ** 2
    return float(centres[int(np.argmax(between))])


def threshold_segmenter(image: npt.NDArray[np.uint8]) -> npt.NDArray[np.bool_]:
    """Foreground = pixels whose distance from the median (background) colour exceeds Otsu's
    threshold; works for the grey CT/mammography images and the RGB skin photos alike."""
    px = np.asarray(image, dtype=np.float64)
    if px.ndim == 2:
        px = px[..., None]
    background = np.median(px.reshape(-1, px.shape[-1]), axis=0)
    dist = np.sqrt(((px - background) ** 2).sum(axis=-1))
    return np.asarray(dist > _otsu(dist.ravel()))


def hash_embedder(texts: list[str], dim: int = 256) -> npt.NDArray[np.float64]:
    """L2-normalised counts of lower-cased word tokens hashed into ``dim`` buckets."""
    out = np.zeros((len(texts), dim))
    for i, text in enumerate(texts):
        for tok in re.findall(r"[a-z0-9]+", text.lower()):
            out[i, int(hashlib.blake2b(tok.encode(), digest_size=4).hexdigest(), 16) % dim] += 1
    return np.asarray(out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12))
