"""The privacy axis: identified records sent to the wrong recipient or channel, disguised."""

from medtrust.probes.privacy._identities import (
    IdentitySource,
    Person,
    cohort_identities,
    person_of,
)
from medtrust.probes.privacy._scenarios import (
    KINDS,
    Disguise,
    Scenario,
    ScenarioBook,
    bundled_book,
    load_book,
    record_text,
)
from medtrust.probes.privacy.disclosure import PrivacyDisclosure, PrivacyParams, chain_name

__all__ = [
    "KINDS",
    "Disguise",
    "IdentitySource",
    "Person",
    "PrivacyDisclosure",
    "PrivacyParams",
    "Scenario",
    "ScenarioBook",
    "bundled_book",
    "chain_name",
    "cohort_identities",
    "load_book",
    "person_of",
    "record_text",
]
