"""Write a synthetic authority as an LA would hand it over: the extract (CSV, Parquet or the statutory XML
returns) in OUT/extract/ and the ground truth in OUT/truth/; and the committed sample extract."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from analysis import paths
from analysis.ingest import source
from analysis.synth import statutory
from analysis.synth.la import SyntheticLA, generate


def write(la: SyntheticLA, out: Path, fmt: str = "csv") -> None:
    """Write the extract to OUT/extract/ (one file per table) and the ground truth to OUT/truth/."""
    ext, truth = out / "extract", out / "truth"
    ext.mkdir(parents=True, exist_ok=True)
    truth.mkdir(parents=True, exist_ok=True)
    (ext / source.SYNTHETIC_MARKER).write_text(
        "Synthetic data made by `adversity-report synth`: no real child is in this extract.\n"
    )
    if fmt == "xml":  # the statutory returns, with what they cannot carry as CSV beside them
        statutory.write_returns(la, ext)
        # the census holds only children with a referral, and SEN2 has no person id of its own
        review = la.tables["adversity_review"]
        in_census = la.tables["ssd_cin_episodes"]["cine_person_id"]
        beside = {"adversity_review": review[review["person_id"].isin(in_census)]}
        if "case_notes" in la.tables:
            notes = la.tables["case_notes"]
            beside["case_notes"] = notes[notes["pers_person_id"].isin(in_census)]
        if "population" in la.tables:  # an authority without a population table has none to put beside them
            population = la.tables["population"]
            in_census = population["pers_person_id"].isin(la.tables["ssd_cin_episodes"]["cine_person_id"])
            beside["population"] = population.assign(
                pers_person_id=population["pers_person_id"].where(in_census), person_table_id=None
            )
        for name, frame in beside.items():
            frame.to_csv(ext / f"{name}.csv", index=False, date_format="%Y-%m-%d", lineterminator="\n")
    for name, frame in ({} if fmt == "xml" else la.tables).items():
        if fmt == "parquet":
            frame.to_parquet(ext / f"{name}.parquet", index=False)
        else:
            frame.to_csv(ext / f"{name}.csv", index=False, date_format="%Y-%m-%d", lineterminator="\n")
    for name, frame in la.truth.items():
        frame.to_csv(truth / f"{name}.csv", index=False, date_format="%Y-%m-%d", lineterminator="\n")
    (truth / "measures.json").write_text(json.dumps(la.truth_measures, indent=2, sort_keys=True) + "\n")
    if la.headlines is not None:  # the issue 16 definitions' truths
        (truth / "headlines.json").write_text(json.dumps(la.headlines, indent=2) + "\n")
    if la.params is not None:  # and the run parameters they were computed for
        (truth / "params.yml").write_text(_params_fragment(la.params))


def _params_fragment(params: dict) -> str:
    """The run parameters the truths assume, as YAML a test can load and complete with a name and a code."""
    lines = ["# Run parameters the truths in headlines.json were computed for (a fragment: add la_name, la_code)."]
    for key, value in params.items():
        if isinstance(value, dict):
            lines += [f"{key}:", *(f"  {k}: {v}" for k, v in value.items())]
        else:
            lines.append(f"{key}: {value}")
    return "\n".join(lines) + "\n"


SAMPLE = dict(children=3000, years=10, seed=20240101)


def write_sample() -> Path:
    """Regenerate the committed sample extract (data_templates/sample_extract/), used by notebook defaults and nbval."""
    la = generate(**SAMPLE)
    tmp = paths.SAMPLE_EXTRACT.parent / "_sample_tmp"
    write(la, tmp)
    shutil.rmtree(paths.SAMPLE_EXTRACT, ignore_errors=True)
    (tmp / "extract").rename(paths.SAMPLE_EXTRACT)
    shutil.rmtree(tmp)
    return paths.SAMPLE_EXTRACT
