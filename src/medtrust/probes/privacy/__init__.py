"""The privacy axis: identified records sent to the wrong recipient or channel, disguised."""

from medtrust.probes.privacy._identities import (
    FIELDS,
    IdentitySource,
    cohort_identities,
    default_identities,
    fixed_identities,
)
from medtrust.probes.privacy._scenarios import DISGUISES, SCENARIOS, Scenario, record_text, request
from medtrust.probes.privacy.disclosure import PrivacyDisclosure, PrivacyParams

__all__ = [
    "DISGUISES",
    "FIELDS",
    "SCENARIOS",
    "IdentitySource",
    "PrivacyDisclosure",
    "PrivacyParams",
    "Scenario",
    "cohort_identities",
    "default_identities",
    "fixed_identities",
    "record_text",
    "request",
]
