import numpy as np
import pandas as pd
import pytest

from analysis.privacy.disclosure import SUPPRESSED, safe_count, suppress


def _published(t: pd.DataFrame) -> pd.Series:
    return pd.to_numeric(t["n"].where(t["n"] != SUPPRESSED), errors="coerce")


@pytest.mark.parametrize("seed", range(40))
def test_no_small_cell_and_no_single_suppressed_cell_per_group(seed):
    rng = np.random.default_rng(seed)
    t = pd.DataFrame({"g": rng.choice(list("ABC"), 12), "n": rng.choice([0, 1, 3, 7, 9, 10, 15, 40, 120], 12)})
    out = suppress(t, "n", 10, group="g")
    shown = _published(out)
    assert not shown.between(1, 9).any(), "a count from 1 to 9 was published"
    for _, grp in out.groupby(t["g"]):
        hidden = (grp["n"] == SUPPRESSED).sum()
        # one hidden cell in a group of several could be recovered from the group total; two or more cannot
        assert hidden != 1 or len(grp) == 1
    # nothing but small cells (and their secondary partners) is hidden
    primary = t["n"].between(1, 9)
    assert (out.loc[primary, "n"] == SUPPRESSED).all()


def test_zero_stays_and_large_table_untouched():
    t = pd.DataFrame({"n": [0, 25, 30], "pct": [0.0, 45.5, 54.5]})
    out = suppress(t, "n", 10, derived=("pct",))
    assert out["n"].tolist() == [0, 25, 30]
    assert out["pct"].tolist() == [0.0, 45.5, 54.5]


def test_derived_percentages_follow_their_counts():
    t = pd.DataFrame({"n": [4, 20, 30], "pct": [7.4, 37.0, 55.6]})
    out = suppress(t, "n", 10, derived=("pct",))
    assert out["pct"].tolist() == [SUPPRESSED, SUPPRESSED, 55.6]


def test_safe_count():
    assert [safe_count(n, 10) for n in (0, 1, 9, 10)] == [0, SUPPRESSED, SUPPRESSED, 10]
