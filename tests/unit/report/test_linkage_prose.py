"""What the Data quality and Comparison chapters say about linkage error and withheld odds ratios."""

from types import SimpleNamespace

import matplotlib
import pandas as pd

from analysis.derive.study import Provenance, Study
from analysis.report import figures, narrative, view

matplotlib.use("Agg")


def test_the_sweep_reads_in_its_own_order_whatever_order_json_kept():
    rows = [
        {"wrong_link_rate": 0.0, "threshold": 0.9, "recall_without_upn": 0.95, "links": 12, "expected_precision": 0.99}
    ]
    prov = Provenance("fingerprint", [], "code", "3.11", {}, "now")
    study = SimpleNamespace(
        params={},
        provenance=prov,
        linkage=SimpleNamespace(threshold_sweep=rows),
        recommendations=[],
        costs=None,
        adversity_sources=None,
    )
    html = view.threshold_sweep(Study.page_tables(study)["linkage_threshold_sweep"]).to_html()
    heads = ["Match probability threshold", "Probabilistic links", "Expected precision", "Recall without UPN"]
    assert [html.index(h) for h in heads] == sorted(html.index(h) for h in heads)
    assert "95.0%" in html and "12" in html


def test_an_odds_ratio_withheld_by_disclosure_control_is_said_so_and_not_drawn():
    ors = pd.DataFrame(
        {
            "Exposure": ["Neglect"] * 2 + ["Domestic abuse"] * 2,
            "Model": ["crude", "adjusted"] * 2,
            "Odds ratio": ["c", "c", 2.0, 1.8],
            "Lower 95%": ["c", "c", 1.5, 1.2],
            "Upper 95%": ["c", "c", 2.6, 2.5],
            "E-value": ["c", "c", 3.4, 3.0],
        }
    )
    assert "withheld" in narrative.odds_ratio_sentence(ors, "Neglect", 10)
    assert "2.00 times the odds" in narrative.odds_ratio_sentence(ors, "Domestic abuse", 10)
    fig = figures.forest(ors)
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["Domestic abuse"]


def test_estimated_recall_and_bias_sentences():
    lk = type(
        "L",
        (),
        {
            "estimated_recall": {
                "value": 0.97,
                "interval": [0.9, 0.99],
                "gold_pairs": 64,
                "by_age_band": [{"band": "Under 5", "recall": 0.96, "low": 0.8, "high": 1.0, "pooled": True}],
            }
        },
    )()
    text = narrative.estimated_recall(lk)
    assert "The 64 children linked by UPN" in text and "97.0%" in text and "the figure for all ages" in text
    m = {
        "known_to_csc": {
            "description": "Known to social care",
            "value": 0.5,
            "linkage_bias": {"median": 0.52, "interval": [0.5, 0.55], "draws": 2000},
        }
    }
    assert narrative.linkage_bias(m, ("known_to_csc",)) == (
        "Known to social care: 50.0% as measured, 52.0% allowing for linkage error (95% interval 50.0% to 55.0%)."
    )
    assert "No headline could be adjusted" in narrative.linkage_bias(
        {"known_to_csc": {"value": 0.5}}, ("known_to_csc",)
    )
