"""The open-ended axis: rubric-graded clinical conversations (HealthBench's shape) under the
attacks of the multiple-choice axes, applied to the last user turn."""

from medtrust.probes.open_ended._attacks import (
    DEFAULT_OPERATORS,
    IRRELEVANT,
    OPERATORS,
    Attack,
    attack_last_turn,
)
from medtrust.probes.open_ended._items import (
    Conversation,
    bundled_conversations,
    conversation_from_row,
    load_conversations,
    seed_conversations,
)
from medtrust.probes.open_ended.rubric import OpenEndedRubric, RubricParams

__all__ = [
    "DEFAULT_OPERATORS",
    "IRRELEVANT",
    "OPERATORS",
    "Attack",
    "Conversation",
    "OpenEndedRubric",
    "RubricParams",
    "attack_last_turn",
    "bundled_conversations",
    "conversation_from_row",
    "load_conversations",
    "seed_conversations",
]
