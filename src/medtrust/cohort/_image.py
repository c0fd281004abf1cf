"""Synthetic lesion images with exact ground-truth masks (skin photo, CT nodule, mammogram).

The lesion outline is a perturbed circle, r(theta) = R (1 + irregularity * sum of harmonics), so
the mask is known exactly and the shape follows the record (diameter, border irregularity). Skin
tone follows the patient's race/ethnicity, so multimodal probes can test skin-tone robustness.
PNG is written with zlib directly: no imaging dependency.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from medtrust.cohort._patient import Patient
from medtrust.errors import MedtrustError
from medtrust.records import content_hash

SKIN_TONES: dict[str, tuple[int, int, int]] = {
    "white_nh": (233, 196, 170), "hispanic": (205, 160, 125), "asian_nh": (222, 184, 150),
    "black_nh": (120, 82, 58), "aian_nh": (190, 140, 105), "nhpi_nh": (180, 132, 98),
}
DEFAULT_TONE = (200, 155, 120)


@dataclass(frozen=True)
class LesionImage:
    """PNG image and mask (255 inside the lesion), with the scale used to draw it."""

    image_png: bytes
    mask_png: bytes
    size: int
    pixels_per_mm: float
    lesion_pixels: int


def encode_png(pixels: npt.NDArray[np.uint8]) -> bytes:
    """Encode an (H, W) grey or (H, W, 3) RGB uint8 array as PNG."""
    if pixels.ndim == 2:
        color, rows = 0, pixels
    else:
        color, rows = 2, pixels.reshape(pixels.shape[0], -1)
    h, w = pixels.shape[:2]
    raw = np.hstack([np.zeros((h, 1), dtype=np.uint8), rows]).tobytes()

    def chunk(tag: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + tag + data
                + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF))

    ihdr = struct.pack(">IIBBBBB", w, h, 8, color, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))


def _outline(rng: np.random.Generator, theta: npt.NDArray[np.float64], radius: float,
             irregularity: float) -> npt.NDArray[np.float64]:
    r = np.ones_like(theta)
    for k in range(2, 9):
        amp = irregularity * rng.uniform(0.02, 0.12) / (k / 2)
        r += amp * np.sin(k * theta + rng.uniform(0, 2 * np.pi))
    return radius * r


def render_lesion_image(patient: Patient, *, size: int = 256) -> LesionImage:
    """Draw the patient's lesion; raise if the record has none."""
    les = patient.lesion
    if les is None:
        raise MedtrustError(f"patient {patient.record_id} has no lesion to render")
    seed = int(content_hash({"id": patient.record_id, "lesion": les.model_dump()}), 16)
    rng = np.random.Generator(np.random.PCG64(seed))
    field_mm = max(3.0 * les.diameter_mm, 20.0)
    ppm = size / field_mm
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
    cx, cy = size / 2 + rng.uniform(-0.1, 0.1) * size, size / 2 + rng.uniform(-0.1, 0.1) * size
    theta = np.arctan2(yy - cy, xx - cx)
    dist = np.hypot(yy - cy, xx - cx)
    mask = dist <= _outline(rng, theta, les.diameter_mm / 2 * ppm, les.irregularity)
    noise = rng.normal(0, 1, (size, size))
    smooth = (noise + np.roll(noise, 1, 0) + np.roll(noise, 1, 1) + np.roll(noise, -1, 0)) / 4
    if les.kind == "skin":
        base = np.array(SKIN_TONES.get(patient.race_ethnicity, DEFAULT_TONE), dtype=np.float64)
        img = base[None, None, :] + 6 * smooth[..., None]
        melanoma = les.irregularity >= 0.5
        inner = np.array([70, 45, 35] if melanoma else [225, 170, 175], dtype=np.float64)
        vari = 25 * les.irregularity * np.sin(xx / 9 + rng.uniform(0, 6))[..., None]
        lesion = inner[None, None, :] + vari + 8 * smooth[..., None]
        img = np.where(mask[..., None], lesion, img)
    else:
        ct = les.kind == "ct_nodule"
        tissue = 40.0 if ct else 90.0
        img = tissue + (10 if ct else 30) * smooth + (0 if ct else 20 * np.sin(yy / 15))
        bright = 200.0 if ct else 210.0
        img = np.where(mask, bright + 10 * smooth, img)
    pixels = np.clip(img, 0, 255).astype(np.uint8)
    mask_px = (mask * 255).astype(np.uint8)
    return LesionImage(image_png=encode_png(pixels), mask_png=encode_png(mask_px), size=size,
                       pixels_per_mm=ppm, lesion_pixels=int(mask.sum()))
