"""Domain records shared by every stage: cases, replies, verdicts and runs.

Records are pydantic models so that they validate at the edges (suite files, user JSONL, the
store) and serialise canonically. A case id is a content hash, so the same case generated twice
(or on resume) has the same id.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Message = dict[str, Any]
"""An OpenAI-style chat message: ``{"role": ..., "content": ...}``."""


def message_text(content: Any) -> str:
    """The text of a message's content: a string, or OpenAI content parts where non-text parts
    (images) become ``[image_url]`` so reports and PHI scans never see base64 payloads."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            str(p.get("text", "")) if p.get("type") == "text" else f"[{p.get('type', 'part')}]"
            for p in content
            if isinstance(p, dict)
        )
    return "" if content is None else str(content)


Axis = Literal[
    "robustness",
    "cognitive_bias",
    "privacy",
    "hallucination",
    "fairness",
    "multimodal",
    "compliance",
    "open_ended",
]
"""An axis a probe may belong to; checked when the probe is registered (see ``AXES``)."""

AXES: tuple[str, ...] = (
    "robustness",
    "cognitive_bias",
    "privacy",
    "hallucination",
    "fairness",
    "multimodal",
    "open_ended",
    "compliance",
)
"""The axes of the JSON summary, in report order (public contract); a probe's axis must be one
of them to be reported (tests/test_conformance.py)."""


def canonical_json(obj: Any) -> str:
    """Stable JSON (sorted keys, no whitespace) used for hashing and cache keys."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def content_hash(obj: Any, length: int = 16) -> str:
    """Hex SHA-256 of the canonical JSON of ``obj``, truncated to ``length`` characters."""
    return hashlib.sha256(canonical_json(obj).encode("utf-8")).hexdigest()[:length]


class MCItem(BaseModel):
    """A multiple-choice seed item (MedQA format: question, options by letter, answer letter)."""

    model_config = ConfigDict(frozen=True)

    id: str
    question: str
    options: dict[str, str]
    answer: str
    source: str = "bundled"
    topic: str | None = None


class SamplingParams(BaseModel):
    """How the target is sampled. Temperature 0 by default so runs are reproducible."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    temperature: float = Field(0.0, ge=0.0, le=2.0)
    max_tokens: int = Field(48, ge=1, le=8192)
    top_p: float = Field(1.0, gt=0.0, le=1.0)
    seed: int | None = None


class Case(BaseModel):
    """One prompt to send to the target, with the gold needed to judge the reply."""

    model_config = ConfigDict(frozen=True)

    id: str
    axis: str
    probe: str
    operator: str
    role: Literal["control", "perturbation"]
    parent_id: str | None = None
    item_id: str | None = None
    stage: int = 0
    messages: list[Message]
    gold: dict[str, Any] = Field(default_factory=dict)
    meta: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def make(
        cls,
        *,
        axis: str,
        probe: str,
        operator: str,
        role: Literal["control", "perturbation"],
        messages: list[Message],
        gold: dict[str, Any],
        parent_id: str | None = None,
        item_id: str | None = None,
        stage: int = 0,
        meta: dict[str, Any] | None = None,
    ) -> Case:
        """Build a case whose id is the hash of everything that defines it."""
        ident = {
            "axis": axis,
            "probe": probe,
            "operator": operator,
            "parent": parent_id,
            "messages": messages,
            "gold": gold,
        }
        return cls(
            id=content_hash(ident),
            axis=axis,
            probe=probe,
            operator=operator,
            role=role,
            parent_id=parent_id,
            item_id=item_id,
            stage=stage,
            messages=messages,
            gold=gold,
            meta=meta or {},
        )


class Reply(BaseModel):
    """What the target answered for one sample of one case, or why it could not."""

    case_id: str
    sample: int = 0
    text: str | None = None
    error: str | None = None
    latency_s: float = 0.0
    cached: bool = False

    @property
    def ok(self) -> bool:
        """True when the target produced text (errors are never scored)."""
        return self.error is None and self.text is not None


Outcome = Literal["pass", "fail", "error"]


class Verdict(BaseModel):
    """A judge's decision on a case. ``error`` verdicts are counted apart from pass/fail."""

    case_id: str
    judge: str
    outcome: Outcome
    score: float | None = None
    answer: str | None = None
    detail: dict[str, Any] = Field(default_factory=dict)

    def votes(self) -> list[str]:
        """The per-sample answers (``detail.votes``, as the multiple-choice judge records
        them), or the majority answer alone when votes were not recorded; ``[]`` without an
        answer."""
        got = self.detail.get("votes")
        if isinstance(got, list) and got:
            return [str(x) for x in got]
        return [self.answer] if self.answer is not None else []


RunStatus = Literal["running", "done", "interrupted", "failed"]


class RunInfo(BaseModel):
    """A run as stored: what was asked for and where it stands."""

    id: str
    suite: str
    target: str
    seed: int
    status: RunStatus
    created_at: datetime
    finished_at: datetime | None = None
    config: dict[str, Any] = Field(default_factory=dict)
