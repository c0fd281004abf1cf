"""The ``multimodal`` axis: cross-modal consistency (note, FHIR, VCF, image) and the fidelity of
generated notes (scored by the ``note_fidelity`` judge in ``medtrust.judges``)."""

from medtrust.probes.multimodal._payloads import MODALITIES, Modality
from medtrust.probes.multimodal.consistency import MultimodalConsistency, image_messages
from medtrust.probes.multimodal.fidelity import NoteFidelity

__all__ = ["MODALITIES", "Modality", "MultimodalConsistency", "NoteFidelity", "image_messages"]
