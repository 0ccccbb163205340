"""`adversity-report code-notes --review-sheet`: the blank, blinded sheet of the children to read next and the plan's
counts beside it; children already reviewed are not proposed again; a bad --reviewed file or an output over an
input is refused with a clear message, and then nothing at all is written."""

import pandas as pd
import pytest

from analysis import cli, paths
from analysis.notes.lexicon import load_lexicon
from analysis.notes.sampling import SHEET_COLUMNS, SUMMARY_COLUMNS
from analysis.synth.notes import generate_notes, persons_for_notes

DOMAINS = list(load_lexicon().domains)


@pytest.fixture(scope="module")
def notes_frame() -> pd.DataFrame:
    """About 1,400 synthetic notes on 300 children, as a notes CSV holds them."""
    notes = generate_notes(persons_for_notes(300, seed=5), seed=5, notes_per_child=4).notes
    return notes[["note_id", "person_id", "note_date", "text"]].assign(
        note_date=notes["note_date"].dt.strftime("%Y-%m-%d")
    )


@pytest.fixture
def notes_csv(tmp_path, notes_frame):
    path = tmp_path / "notes.csv"
    notes_frame.to_csv(path, index=False)
    return path


def _run(notes, tmp_path, *more, sheet="sheet.csv"):
    args = ["code-notes", str(notes), "--out", str(tmp_path / "coded.csv"), "--review-sheet", str(tmp_path / sheet)]
    return cli.main([*args, "--half-width", "0.2", *more])


def _read(path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _written(tmp_path, inputs=("notes.csv", "review.csv")) -> list[str]:
    """What the command left in the folder, besides its inputs."""
    return sorted(p.name for p in tmp_path.iterdir() if p.name not in inputs)


def test_writes_the_sheet_and_the_plan(tmp_path, notes_csv, capsys):
    assert _run(notes_csv, tmp_path) == 0
    sheet, plan = _read(tmp_path / "sheet.csv"), pd.read_csv(tmp_path / "sheet_plan.csv")
    assert _written(tmp_path) == ["coded.csv", "sheet.csv", "sheet_plan.csv"]  # no partial files left
    assert list(sheet.columns) == SHEET_COLUMNS and list(plan.columns) == SUMMARY_COLUMNS
    children = sheet["person_id"].drop_duplicates()
    assert len(children) == plan["planned"].sum() > 0
    assert len(sheet) == len(children) * len(DOMAINS)  # every domain for every child: absence is recorded too
    assert set(plan["domain"]) == set(DOMAINS)
    assert (plan[["reviewed", "for a rarer domain", "planned"]].sum(axis=1) >= plan["needed"]).all()
    assert set(children) <= set(_read(notes_csv)["person_id"])
    out = capsys.readouterr().out.splitlines()
    assert out[-1].startswith(f"Review next: {len(children)} of 300 children (0 already reviewed), for 9 domains")


def test_the_sheet_is_blank_and_blinded(tmp_path, notes_csv):
    assert _run(notes_csv, tmp_path) == 0
    sheet = _read(tmp_path / "sheet.csv")
    assert not {"stratum", "order", "affirmed", "negated", "experiencer"} & set(sheet.columns)
    assert (sheet[SHEET_COLUMNS[2:]] == "").all().all()
    children = sheet["person_id"].drop_duplicates().tolist()
    assert children != sorted(children)  # shuffled: not in the notes' (sorted) order
    assert sheet.groupby("person_id", sort=False)["domain"].apply(list).map(lambda d: d == DOMAINS).all()


def test_children_already_reviewed_are_not_planned_again(tmp_path, notes_csv, capsys):
    assert _run(notes_csv, tmp_path) == 0
    first = _read(tmp_path / "sheet.csv")["person_id"].drop_duplicates()
    review = pd.DataFrame(  # adversity_review-shaped; a SEND-only finding leaves person_id blank
        {
            "review_id": [f"r{i}" for i in range(len(first) + 1)],
            "person_id": [*first, ""],
            "person_table_id": [*[""] * len(first), "S1"],
            "adversity_type": "domestic_abuse",
        }
    )
    review.to_csv(tmp_path / "review.csv", index=False)
    assert _run(notes_csv, tmp_path, "--reviewed", str(tmp_path / "review.csv"), sheet="next.csv") == 0
    second, plan = _read(tmp_path / "next.csv"), pd.read_csv(tmp_path / "next_plan.csv")
    assert not set(second["person_id"]) & set(first)
    assert f"({len(first)} already reviewed)" in capsys.readouterr().out
    assert plan["reviewed"].sum() == pd.Series(first).isin(_read(notes_csv)["person_id"]).sum() * len(DOMAINS)
    assert (plan[["reviewed", "for a rarer domain", "planned"]].sum(axis=1) >= plan["needed"]).all()


def test_a_previous_sheet_counts_as_reviewed(tmp_path):
    """Every child of a tiny file is planned; given that sheet back (formula-safe ids included), nobody is left."""
    notes = pd.DataFrame(
        {
            "note_id": ["n1", "n2", "n3"],
            "person_id": ["p1", "p2", "=HYPERLINK(1)"],
            "note_date": ["2020-01-05", "2021-07-01", "2021-07-02"],
            "text": ["Mum's MH has deteriorated.", "Parents sep. in 2019.", "DV at home."],
        }
    )
    notes.to_csv(tmp_path / "notes.csv", index=False)
    assert _run(tmp_path / "notes.csv", tmp_path) == 0
    assert set(_read(tmp_path / "sheet.csv")["person_id"]) == {"p1", "p2", "'=HYPERLINK(1)"}
    assert _run(tmp_path / "notes.csv", tmp_path, "--reviewed", str(tmp_path / "sheet.csv"), sheet="next.csv") == 0
    assert _read(tmp_path / "next.csv").empty
    assert pd.read_csv(tmp_path / "next_plan.csv")["planned"].sum() == 0


@pytest.mark.parametrize("columns", [{"child": ["p1"]}, {"person_table_id": ["S1"]}])
def test_reviewed_without_a_person_id_column(tmp_path, notes_csv, capsys, columns):
    pd.DataFrame(columns).to_csv(tmp_path / "review.csv", index=False)
    assert _run(notes_csv, tmp_path, "--reviewed", str(tmp_path / "review.csv")) == 1
    err = capsys.readouterr().err
    assert "review.csv, row 1 (the header): no column person_id" in err and "rule" in err
    assert "Traceback" not in err and "Nothing was written" in err
    assert _written(tmp_path) == []
    if "person_table_id" in columns:
        assert "person_table_id is the SEND person" in err


@pytest.mark.parametrize(
    "sheet, reviewed, message",
    [
        ("notes.csv", None, "is the notes file itself"),
        ("coded.csv", None, "(the review sheet) is the --out file"),
        ("review.csv", "review.csv", "is the --reviewed file (it is read, never overwritten)"),
        ("review_plan.csv", "review_plan_plan.csv", "(the review plan) is the --reviewed file"),
    ],
)
def test_refuses_to_write_over_an_input(tmp_path, notes_csv, capsys, sheet, reviewed, message):
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    if reviewed:
        pd.DataFrame({"person_id": ["P0000001"]}).to_csv(tmp_path / reviewed, index=False)
    more = ["--reviewed", str(tmp_path / reviewed)] if reviewed else []
    assert _run(notes_csv, tmp_path, *more, sheet=sheet) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.name in before} == before
    assert _written(tmp_path, ("notes.csv", reviewed)) == []


def test_refuses_a_sheet_inside_the_repository(tmp_path, notes_csv, capsys):
    sheet = paths.REPO / "_build" / "review-sheet-test.csv"
    args = ["code-notes", str(notes_csv), "--out", str(tmp_path / "coded.csv"), "--review-sheet", str(sheet)]
    assert cli.main(args) == 1
    assert "inside the repository" in capsys.readouterr().err
    assert not sheet.exists() and _written(tmp_path) == []


@pytest.mark.parametrize(
    "more, message",
    [
        (["--reviewed", "r.csv"], "--reviewed only make sense with --review-sheet"),
        (["--half-width", "0.1"], "--half-width only make sense with --review-sheet"),
        (["--review-sheet", "SHEET", "--half-width", "0.5"], "--half-width 0.5 must lie between 0 and 0.5"),
    ],
)
def test_options_that_need_each_other(tmp_path, notes_csv, capsys, more, message):
    more = [str(tmp_path / "sheet.csv") if m == "SHEET" else m for m in more]
    assert cli.main(["code-notes", str(notes_csv), "--out", str(tmp_path / "coded.csv"), *more]) == 1
    assert message in capsys.readouterr().err
    assert _written(tmp_path) == []


def test_a_failed_write_leaves_nothing(tmp_path, notes_csv, monkeypatch):
    from analysis.errors import UserError
    from analysis.notes import files

    def fail(coded, out):
        raise UserError(f"Cannot write {out} (No space left on device); choose another --out.")

    monkeypatch.setattr(files, "write_coded", fail)
    assert _run(notes_csv, tmp_path) == 1
    assert _written(tmp_path) == []
