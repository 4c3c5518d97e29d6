from __future__ import annotations

from datetime import UTC, datetime

import pytest

from concord.services import demo, documents
from tests.factories import BodyFactory, secretary

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def states(db):
    demo.seed_states()


@pytest.fixture
def council(states):
    return BodyFactory(code="NAC", name="North Atlantic Council", kind="council")


@pytest.fixture
def paper(council):
    """A two-paragraph document registered in the Council, revision 0."""
    return documents.register(
        by=secretary(),
        body=council,
        series_code="PO",
        title="Statement on seabed infrastructure",
        paragraphs=[
            ("Allies will share surveillance data.", "Les Alliés partageront leurs données."),
            ("The Council will review progress.", "Le Conseil fera le point."),
        ],
        now=T0,
    )
