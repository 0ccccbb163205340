"""Write a synthetic authority as an LA would hand it over: the extract (CSV, Parquet or the statutory XML
returns) in OUT/extract/ and the ground truth in OUT/truth/; and the committed sample extract."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from analysis import paths
from analysis.synth import statutory
from analysis.synth.la import SyntheticLA, generate


def write(la: SyntheticLA, out: Path, fmt: str = "csv") -> None:
    """Write the extract to OUT/extract/ (one file per table) and the ground truth to OUT/truth/."""
    ext, truth = out / "extract", out / "truth"
    ext.mkdir(parents=True, exist_ok=True)
    truth.mkdir(parents=True, exist_ok=True)
    if fmt == "xml":  # the statutory returns, with what they cannot carry as CSV beside them
        statutory.write_returns(la, ext)
        # the census holds only children with a referral, and SEN2 has no person id of its own
        in_census = la.tables["population"]["pers_person_id"].isin(la.tables["ssd_cin_episodes"]["cine_person_id"])
        population = la.tables["population"].assign(
            pers_person_id=la.tables["population"]["pers_person_id"].where(in_census), person_table_id=None
        )
        review = la.tables["adversity_review"]
        review = review[review["person_id"].isin(la.tables["ssd_cin_episodes"]["cine_person_id"])]
        for name, frame in (("adversity_review", review), ("population", population)):
            frame.to_csv(ext / f"{name}.csv", index=False, date_format="%Y-%m-%d", lineterminator="\n")
    for name, frame in ({} if fmt == "xml" else la.tables).items():
        if fmt == "parquet":
            frame.to_parquet(ext / f"{name}.parquet", index=False)
        else:
            frame.to_csv(ext / f"{name}.csv", index=False, date_format="%Y-%m-%d", lineterminator="\n")
    for name, frame in la.truth.items():
        frame.to_csv(truth / f"{name}.csv", index=False, date_format="%Y-%m-%d", lineterminator="\n")
    (truth / "measures.json").write_text(json.dumps(la.truth_measures, indent=2, sort_keys=True) + "\n")


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
