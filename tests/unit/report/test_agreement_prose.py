"""What the adversity chapter says about the coder's agreement with the reviewer: the pooled row when the domains'
figures are withheld, the best domain when one is shown, and never that nothing could be measured when only the
disagreements were small."""

from types import SimpleNamespace

import pandas as pd

from analysis.privacy.disclosure import SUPPRESSED
from analysis.report import narrative

NOTES = SimpleNamespace(notes_supplied=True)
COLUMNS = ["Domain", "Children reviewed", "F1", "Kappa", "Kappa lower 95%", "Kappa upper 95%"]


def _table(*rows) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=COLUMNS)


HIDDEN = ("Neglect", 692, SUPPRESSED, SUPPRESSED, SUPPRESSED, SUPPRESSED)


def test_domains_withheld_and_the_pooled_row_shown():
    text = narrative.agreement_sentence(_table(HIDDEN, HIDDEN, ("All domains", 692, 0.97, 0.95, 0.93, 0.97)), NOTES)
    assert "on 2 domains" in text
    assert "over all domains together, kappa was 0.95 (95% CI 0.93 to 0.97) and F1 0.97, each child" in text
    assert "No single domain's kappa can be shown" in text and "too small to show" not in text


def test_the_best_shown_domain_is_named():
    da = ("Domestic abuse", 692, 0.99, 0.98, 0.96, 0.99)
    mh = ("Parental mental illness", 692, 0.95, 0.90, 0.86, 0.93)
    text = narrative.agreement_sentence(_table(mh, da, ("All domains", 692, 0.97, 0.95, 0.93, 0.97)), NOTES)
    assert text.endswith("agreement was highest for domestic abuse (kappa 0.98).")


def test_everything_withheld_says_so_and_no_notes_says_nothing():
    text = narrative.agreement_sentence(_table(HIDDEN, ("All domains", *HIDDEN[1:])), NOTES)
    assert "the kappa for all domains together is withheld" in text
    assert narrative.agreement_sentence(_table(HIDDEN), SimpleNamespace(notes_supplied=False)) == ""
