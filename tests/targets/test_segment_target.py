"""``segment:MODULE:ATTR`` targets: loading, mask checks, and the thresholding baseline's Dice."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest

from medtrust.cohort import Patient
from medtrust.errors import TargetSpecError
from medtrust.multimodal import lesion_patients, segmentation_scores
from medtrust.targets import SegmentTarget, TargetCallError, load_chat_target, load_target

BASELINE = "segment:medtrust.multimodal.reference:threshold_segmenter"
MODELS = textwrap.dedent('''
    import numpy as np

    def empty(image):
        return np.zeros(image.shape[:2], dtype=bool)

    def wrong_shape(image):
        return np.zeros((3, 3))

    def broken(image):
        raise RuntimeError("model crashed")

    class Model:
        def predict(self, image):
            return np.ones(image.shape[:2]) * 0.9

    model = Model()
    not_callable = 3
''')


def seg(spec: str) -> SegmentTarget:
    target = load_target(spec)
    assert isinstance(target, SegmentTarget)
    return target


@pytest.fixture
def models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "segmodels.py").write_text(MODELS)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


@pytest.fixture(scope="module")
def lesions() -> list[Patient]:
    return lesion_patients(12)


def test_spec_loads_a_segment_target_not_a_chat_target(models: Path) -> None:
    t = load_target(BASELINE)
    assert isinstance(t, SegmentTarget) and t.spec == BASELINE
    obj = load_target("segment:segmodels:model")  # an object with predict()
    assert isinstance(obj, SegmentTarget)
    assert obj.segment(np.zeros((4, 5, 3), dtype=np.uint8)).all()  # 0.9 > 0.5: foreground
    with pytest.raises(TargetSpecError, match="not a chat target"):
        load_chat_target(BASELINE)
    with pytest.raises(TargetSpecError, match="not callable"):
        load_target("segment:segmodels:not_callable")
    with pytest.raises(TargetSpecError, match="MODULE:ATTR"):
        load_target("segment:segmodels")


def test_bad_masks_and_crashes_are_call_errors(models: Path) -> None:
    img = np.zeros((8, 8), dtype=np.uint8)
    with pytest.raises(TargetCallError, match="shape"):
        seg("segment:segmodels:wrong_shape").segment(img)
    with pytest.raises(TargetCallError, match="model crashed"):
        seg("segment:segmodels:broken").segment(img)


def test_threshold_baseline_dice_is_known(lesions: list[Patient]) -> None:
    res = segmentation_scores(seg(BASELINE), lesions, size=64)
    assert res["n"] == 12 and res["errors"] == 0
    # recorded in bench/README.md: mean Dice 0.987 on 40 lesions at 64 px
    assert res["dice"]["mean"] > 0.95 and res["iou"]["mean"] > 0.9
    lo, hi = res["dice"]["ci95"]
    assert lo <= res["dice"]["mean"] <= hi
    assert {r["kind"] for r in res["lesions"]} <= {"skin", "ct_nodule", "mammo_mass"}
    for r in res["lesions"]:
        assert r["iou"] <= r["dice"] <= 1.0  # IoU <= Dice always


def test_empty_and_failing_segmenters(models: Path, lesions: list[Patient]) -> None:
    empty = segmentation_scores(seg("segment:segmodels:empty"), lesions[:3])
    assert empty["dice"]["mean"] == 0.0 and empty["iou"]["mean"] == 0.0
    broken = segmentation_scores(seg("segment:segmodels:broken"), lesions[:3])
    assert broken["n"] == 0 and broken["errors"] == 3 and broken["dice"]["mean"] is None
