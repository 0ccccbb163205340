"""`adversity-report code-notes`: good input codes; bad input names file, row, column and rule, writes nothing,
and shows no traceback; the output stays out of the repository and is safe in a spreadsheet."""

import subprocess
import sys

import pandas as pd
import pytest

from analysis import cli, paths
from analysis.notes.files import OUT_COLUMNS

NOTES = pd.DataFrame(
    {
        "note_id": ["n1", "n2", "n3", "n4"],
        "person_id": ["p1", "p1", "p2", "=HYPERLINK(1)"],
        "note_date": ["2020-01-05", "2020-03-01", "2021-07-01", "2021-07-02"],
        "text": ["No concerns re DV.", "Mum's MH has deteriorated.", "Parents sep. in 2019.", "DV at home."],
    }
)


def _write(tmp_path, frame=NOTES):
    path = tmp_path / "notes.csv"
    frame.to_csv(path, index=False)
    return path


def test_codes_a_notes_file(tmp_path, capsys):
    out = tmp_path / "coded.csv"
    assert cli.main(["code-notes", str(_write(tmp_path)), "--out", str(out)]) == 0
    coded = pd.read_csv(out, dtype=str)
    assert list(coded.columns) == OUT_COLUMNS
    assert set(coded["domain"]) == {"domestic_abuse", "parental_mental_illness", "parental_separation"}
    assert coded.loc[coded["note_id"] == "n1", "negated"].tolist() == ["True"]
    assert "'=HYPERLINK(1)" in coded["person_id"].tolist()  # formula-safe
    assert "text" not in coded.columns and "span" not in coded.columns
    assert "Coded 4 notes" in capsys.readouterr().out


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda f: f.drop(columns="text"), "row 1 (the header): no column text"),
        (lambda f: f.assign(note_date=["2020-01-05", "31/02/2020", "2021-07-01", "x"]), "row 3, column note_date"),
        (lambda f: f.assign(person_id=["p1", "", "p2", "p3"]), "row 3, column person_id"),
        (lambda f: f.assign(note_id=["n1", "n1", "n3", "n4"]), "row 3, column note_id"),
    ],
)
def test_bad_input(tmp_path, capsys, change, message):
    out = tmp_path / "coded.csv"
    assert cli.main(["code-notes", str(_write(tmp_path, change(NOTES))), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert message in err and "notes.csv" in err and "rule" in err and "Traceback" not in err
    assert not out.exists()


def test_refuses_to_write_inside_the_repository(tmp_path, capsys):
    out = paths.REPO / "_build" / "coded-notes-test.csv"
    assert cli.main(["code-notes", str(_write(tmp_path)), "--out", str(out)]) == 1
    assert "inside the repository" in capsys.readouterr().err
    assert not out.exists()


def test_missing_file_in_a_subprocess(tmp_path):
    run = subprocess.run(
        [sys.executable, "-m", "analysis.cli", "code-notes", str(tmp_path / "none.csv"), "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        cwd=paths.REPO,
    )
    assert run.returncode == 1 and "none.csv: no such file" in run.stderr and "Traceback" not in run.stderr
