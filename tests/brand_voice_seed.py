"""A brand's approved copy in an embedded brand-voice index, for the flow tests (headless and on
the Langflow server)."""

from __future__ import annotations

import json
from pathlib import Path

from marketing_intel.brand_voice import LocalBrandVoiceIndex
from marketing_intel.brand_voice.exemplars import Exemplar

VOICES = json.loads((Path(__file__).parent / "data" / "brand_voices.json").read_text())["brands"]


def seed_brand_voice(vectors: Path, tenant: str, brand: str) -> LocalBrandVoiceIndex:
    """An embedded brand-voice index at `vectors` holding one brand's approved copy (open)."""
    index = LocalBrandVoiceIndex(vectors)
    exemplars = VOICES["sprout-and-co"]["exemplars"]
    index.upsert(Exemplar(tenant=tenant, brand=brand, text=text) for text in exemplars)
    return index
