import pandas as pd
import pytest

from analysis.notes.coder import Coder, code_notes, first_documented
from analysis.synth.notes import generate_notes, persons_for_notes


@pytest.fixture(scope="session")
def coder() -> Coder:
    return Coder.build()


@pytest.fixture(scope="session")
def synthetic():
    """About 17,000 synthetic notes on 1,500 children, coded once for the session."""
    persons = persons_for_notes(1500, seed=11)
    notes = generate_notes(persons, seed=11)
    births = persons.set_index("person_id")["birth_date"]
    coded = code_notes(notes.notes, births)
    return {"persons": persons, "notes": notes, "coded": coded, "first": first_documented(coded)}


@pytest.fixture(scope="session")
def one(coder: Coder):
    """Code one note (person p1, dated 1 June 2020 unless given) and return its mentions."""

    def code(text: str, birth=None, date="2020-06-01") -> pd.DataFrame:
        notes = pd.DataFrame({"note_id": ["n1"], "person_id": ["p1"], "note_date": [date], "text": [text]})
        births = None if birth is None else pd.Series({"p1": pd.Timestamp(birth)})
        return code_notes(notes, births, coder)

    return code
