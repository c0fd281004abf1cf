"""A VCF-like variant list (VCF 4.3 text) for a patient's genomic profile.

Small variants are written with their GRCh38 position and alleles; fusions and amplifications
use symbolic alleles (``<BND>``, ``<DUP>``) with SVTYPE in INFO, as VCF 4.3 allows.
"""

from __future__ import annotations

from medtrust.cohort._kb import KnowledgeBase, load_kb
from medtrust.cohort._patient import Patient

HEADER = [
    "##fileformat=VCFv4.3",
    "##source=medtrust.cohort (synthetic)",
    "##reference=GRCh38",
    '##INFO=<ID=GENE,Number=1,Type=String,Description="HGNC gene symbol">',
    '##INFO=<ID=HGVS,Number=1,Type=String,Description="HGVS description">',
    '##INFO=<ID=PROTEIN,Number=1,Type=String,Description="Protein change or event">',
    '##INFO=<ID=ORIGIN,Number=1,Type=String,Description="somatic or germline">',
    '##INFO=<ID=SVTYPE,Number=1,Type=String,Description="Structural variant type">',
    '##INFO=<ID=THERAPY,Number=1,Type=String,Description="Matched targeted therapy">',
    '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
]


def _info(value: str) -> str:
    return value.replace(";", ",").replace(" ", "_").replace("=", ":")


def render_vcf(patient: Patient, kb: KnowledgeBase | None = None) -> str:
    """VCF text: header, column line, one record per variant (sorted by chromosome, position)."""
    kb = kb or load_kb()
    sample = patient.record_id
    lines = [*HEADER, "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t" + sample]
    variants = sorted((kb.variants[v] for v in patient.variants),
                      key=lambda v: (v.chrom, v.pos))
    for v in variants:
        info = [f"GENE={v.gene}", f"HGVS={_info(v.hgvs)}", f"PROTEIN={_info(v.protein)}",
                f"ORIGIN={v.origin}"]
        if v.alt.startswith("<"):
            info.append(f"SVTYPE={v.alt.strip('<>').split(':')[0]}")
        if v.therapy:
            info.append(f"THERAPY={_info(v.therapy)}")
        lines.append("\t".join([v.chrom, str(v.pos), v.id, v.ref, v.alt, ".", "PASS",
                                ";".join(info), "GT", "0/1"]))
    return "\n".join(lines) + "\n"
