"""``constant:TEXT``: a target that gives the same reply to every message.

An example target in one file (CONTRIBUTING, "Adding a target"). Copied into
``src/medtrust/targets/`` it is found with no other edit: ``--target constant:A`` answers "A"
to everything, the baseline a multiple-choice axis must beat (its controls are at chance). A
target scheme is a factory ``(full_spec, rest_after_scheme) -> ChatTarget`` registered under the
scheme; a function has no ``name`` attribute, so the scheme is given to ``register`` once.
"""

from __future__ import annotations

from medtrust.errors import TargetSpecError
from medtrust.records import Message, SamplingParams
from medtrust.targets import ChatTarget, targets


class ConstantTarget(ChatTarget):
    """Replies ``text`` whatever it is asked; never fails, so nothing is retried."""

    def __init__(self, *, spec: str, text: str) -> None:
        self.spec = spec
        self.text = text

    async def complete(self, messages: list[Message], params: SamplingParams) -> str:
        return self.text


@targets.register("constant")
def constant(spec: str, rest: str) -> ConstantTarget:
    """``constant:TEXT`` -> a target answering TEXT; raises ``TargetSpecError`` for blank TEXT."""
    if not rest.strip():
        raise TargetSpecError(f"target {spec!r}: expected constant:TEXT with a non-blank TEXT")
    return ConstantTarget(spec=spec, text=rest)
