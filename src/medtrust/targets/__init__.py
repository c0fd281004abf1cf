"""Systems under test: OpenAI-compatible servers, local GGUF models, Python callables, tabular
models. Each scheme of the ``--target`` spec is a registered factory."""

from medtrust.targets._base import (
    ChatTarget,
    TargetCallError,
    load_chat_target,
    load_target,
    split_spec,
    targets,
)
from medtrust.targets.embed import EmbedTarget
from medtrust.targets.segment import SegmentTarget

__all__ = [
    "ChatTarget",
    "EmbedTarget",
    "SegmentTarget",
    "TargetCallError",
    "load_chat_target",
    "load_target",
    "split_spec",
    "targets",
]
