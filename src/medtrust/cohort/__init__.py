"""Synthetic patient cohorts: knowledge base, policy-aware generator, renderers, cases, and a
learned generator for a user's own table.

Patients are reproducible from (seed, index), Safe Harbor de-identified by default, and streamed
to Parquet/CSV/JSONL/FHIR with flat memory. See ``medtrust cohort --help``.
"""

from typing import TYPE_CHECKING

from medtrust._lazy import lazy_getattr

if TYPE_CHECKING:
    from medtrust.cohort._cases import (
        OpenQuestion,
        RecommendationScenario,
        mc_items,
        open_questions,
        recommendation_scenarios,
    )
    from medtrust.cohort._config import ATTRIBUTES, CohortConfig
    from medtrust.cohort._copula import CopulaModel, fit_copula, sample_copula
    from medtrust.cohort._evaluate import evaluate, split_holdout
    from medtrust.cohort._fhir import render_fhir, validate_bundle
    from medtrust.cohort._fhir_import import import_fhir
    from medtrust.cohort._fidelity import fidelity
    from medtrust.cohort._generate import (
        generate_cohort,
        generate_patients,
        generate_table,
        iter_chunks,
        patient_at,
    )
    from medtrust.cohort._identifiers import IDENTIFIER_COLUMNS
    from medtrust.cohort._image import LesionImage, render_lesion_image
    from medtrust.cohort._io import read_patients, read_tables
    from medtrust.cohort._kb import Condition, KnowledgeBase, Variant, load_kb
    from medtrust.cohort._note import render_note
    from medtrust.cohort._patient import Identifiers, Lesion, Patient
    from medtrust.cohort._phi_classes import COLUMN_OF_CLASS, PHI_CLASSES
    from medtrust.cohort._safe_harbor import RULES, CheckReport, Violation, check_file
    from medtrust.cohort._vcf import render_vcf

_EXPORTS: dict[str, str] = {
    "ATTRIBUTES": "_config",
    "COLUMN_OF_CLASS": "_phi_classes",
    "CheckReport": "_safe_harbor",
    "CohortConfig": "_config",
    "Condition": "_kb",
    "CopulaModel": "_copula",
    "IDENTIFIER_COLUMNS": "_identifiers",
    "Identifiers": "_patient",
    "KnowledgeBase": "_kb",
    "Lesion": "_patient",
    "LesionImage": "_image",
    "OpenQuestion": "_cases",
    "PHI_CLASSES": "_phi_classes",
    "Patient": "_patient",
    "RULES": "_safe_harbor",
    "RecommendationScenario": "_cases",
    "Variant": "_kb",
    "Violation": "_safe_harbor",
    "check_file": "_safe_harbor",
    "evaluate": "_evaluate",
    "fidelity": "_fidelity",
    "fit_copula": "_copula",
    "generate_cohort": "_generate",
    "generate_patients": "_generate",
    "generate_table": "_generate",
    "import_fhir": "_fhir_import",
    "iter_chunks": "_generate",
    "load_kb": "_kb",
    "mc_items": "_cases",
    "open_questions": "_cases",
    "patient_at": "_generate",
    "read_patients": "_io",
    "read_tables": "_io",
    "recommendation_scenarios": "_cases",
    "render_fhir": "_fhir",
    "render_lesion_image": "_image",
    "render_note": "_note",
    "render_vcf": "_vcf",
    "sample_copula": "_copula",
    "split_holdout": "_evaluate",
    "validate_bundle": "_fhir",
}
"""Public name -> private module. Loaded on first use so that `medtrust --help` stays fast."""


__getattr__ = lazy_getattr(__name__, _EXPORTS, globals())


__all__ = [
    "ATTRIBUTES",
    "COLUMN_OF_CLASS",
    "IDENTIFIER_COLUMNS",
    "PHI_CLASSES",
    "RULES",
    "CheckReport",
    "CohortConfig",
    "Condition",
    "CopulaModel",
    "Identifiers",
    "KnowledgeBase",
    "Lesion",
    "LesionImage",
    "OpenQuestion",
    "Patient",
    "RecommendationScenario",
    "Variant",
    "Violation",
    "check_file",
    "evaluate",
    "fidelity",
    "fit_copula",
    "generate_cohort",
    "generate_patients",
    "generate_table",
    "import_fhir",
    "iter_chunks",
    "load_kb",
    "mc_items",
    "open_questions",
    "patient_at",
    "read_patients",
    "read_tables",
    "recommendation_scenarios",
    "render_fhir",
    "render_lesion_image",
    "render_note",
    "render_vcf",
    "sample_copula",
    "split_holdout",
    "validate_bundle",
]
