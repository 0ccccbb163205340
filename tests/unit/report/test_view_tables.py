"""Tables as a statistics producer publishes them: numbered by chapter, titled, separators, right-aligned numbers,
a CSV link, and nothing from the data read as markup."""

import pandas as pd

from analysis.report import view

FRAME = pd.DataFrame({"Group": ["<b>All</b>", "Girls"], "Children": [3073, 1500], "Share": [1.0, 0.488]})


def _html(obj) -> str:
    return obj.data if hasattr(obj, "data") else obj.to_html()


def test_tables_are_numbered_by_their_chapters_place_in_the_book():
    view.chapter("cohort")
    first = _html(view.table(FRAME, percent=("Share",), title="Who asked", csv="table_1"))
    second = _html(view.table(FRAME, title="Again", csv="table_1"))
    view.chapter("summary")  # the root page: no chapter number
    root = _html(view.table(FRAME, title="On the summary", csv="table_1"))
    place = [f.split("/")[-1] for f in view.toc.toc_chapters()].index("cohort")
    assert f"Table {place}.1: Who asked" in first and f"Table {place}.2: Again" in second
    assert "Table 1: On the summary" in root


def test_numbers_get_separators_and_sit_right_and_the_csv_is_linked():
    view.chapter("cohort")
    html = _html(view.table(FRAME, percent=("Share",), title="Who asked", csv="table_1"))
    assert "3,073" in html and "48.8%" in html
    assert "text-align: right" in html
    assert 'href="../../tables/table_1.csv" download' in html


def test_titles_cells_and_csv_names_from_data_are_text_not_markup():
    view.chapter("cohort")
    html = _html(view.table(FRAME, title="<script>alert(1)</script>", csv='x" onclick="alert(1)'))
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<b>All</b>" not in html and "&lt;b&gt;All&lt;/b&gt;" in html
    assert 'onclick="alert(1)"' not in html


def test_without_a_title_a_table_is_the_plain_styled_table():
    html = _html(view.table(FRAME))
    assert "<caption>" not in html and "download" not in html


def test_the_internal_editions_children_left_out_are_a_numbered_escaped_table_and_absent_in_public():
    from types import SimpleNamespace

    view.chapter("data_quality")
    left = pd.DataFrame({"Child": ["c_0123456789abcdef"], "Reason": ["<img src=x onerror=alert(1)>"]})
    html = _html(view.internal_exclusions(SimpleNamespace(internal=True, excluded=left)))
    place = [f.split("/")[-1] for f in view.toc.toc_chapters()].index("data_quality")
    assert f"Table {place}.1: Children left out of the cohort, pseudonymised (internal edition only)" in html
    assert "<img" not in html and "&lt;img" in html
    empty = view.internal_exclusions(SimpleNamespace(internal=True, excluded=left.iloc[:0]))
    assert _html(empty) == "No child was left out of the cohort."
    assert view.internal_exclusions(SimpleNamespace(internal=False, excluded=left)) is None


def test_a_count_column_with_suppressed_cells_is_still_aligned_right():
    view.chapter("cohort")
    frame = pd.DataFrame({"Area": ["A", "B"], "Plans": [1200, "c"], "Note": ["x", "y"]})
    html = _html(view.table(frame, title="Plans", csv="t"))
    right = [rule for rule in html.split("}") if "text-align: right" in rule]  # CSS rules: selectors, then props
    assert any("col1" in rule for rule in right)  # Plans
    assert not any("col0" in rule or "col2" in rule for rule in right)  # Area, Note
