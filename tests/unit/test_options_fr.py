"""The French draft of a package: paragraph for paragraph with the English one."""

from __future__ import annotations

import pytest

from concord.domain.errors import InvalidInput
from concord.domain.options import Option, draft_decision_text, draft_decision_text_fr
from concord.domain.topics import Instrument, Track

ENVOY = Option(
    "1", "Send a special envoy", Instrument.DIPLOMATIC, Track.DIALOGUE, "Two weeks of travel"
)
PATROL = Option("2", "Reinforce air policing", Instrument.MILITARY, Track.DETERRENCE_DEFENCE)
FRENCH = {
    "1": ("Envoyer un émissaire spécial", "Deux semaines de déplacement"),
    "2": ("Renforcer la police du ciel", ""),
}


def test_the_french_draft_has_as_many_paragraphs_in_the_same_order() -> None:
    en = draft_decision_text("the build-up", [PATROL, ENVOY])
    fr = draft_decision_text_fr("le renforcement militaire", [PATROL, ENVOY], FRENCH)
    assert len(fr) == len(en) == 3
    assert fr == [
        "Ayant tenu des consultations sur le renforcement militaire, le Conseil décide de prendre "
        "ensemble les 2 mesures suivantes, en un seul ensemble mobilisant la diplomatie et les "
        "moyens militaires.",
        "Mesure diplomatique (volet dialogue)\u00a0: Envoyer un émissaire spécial. "
        "Coût ou effort\u00a0: Deux semaines de déplacement.",
        "Mesure militaire (volet dissuasion et défense)\u00a0: Renforcer la police du ciel.",
    ]
    assert draft_decision_text_fr("x", [ENVOY], FRENCH)[0].endswith(
        "prendre ensemble la mesure suivante, en un seul ensemble mobilisant la diplomatie."
    )


def test_the_french_draft_is_refused_when_a_translation_is_missing() -> None:
    with pytest.raises(InvalidInput, match="option 2 has no French title"):
        draft_decision_text_fr("x", [PATROL], {})
    with pytest.raises(InvalidInput, match="option 1 has no French cost note"):
        draft_decision_text_fr("x", [ENVOY], {"1": ("Envoyer un émissaire", "")})
    with pytest.raises(InvalidInput, match="square brackets"):
        draft_decision_text_fr("x", [PATROL], {"2": ("Renforcer [la police]", "")})
    with pytest.raises(InvalidInput, match="at least one option"):
        draft_decision_text_fr("x", [], FRENCH)
