"""What a chapter reads when no run gave it a study: the committed sample, prepared on first use.

A build passes each chapter its prepared study folder. Opened on its own (in Jupyter, or by nbval with the
chapter's default parameters), a chapter gets the study of the committed sample extract with the example
parameters, or for the comparison book 150 synthetic authorities' returns. Only previews use synthetic data.
"""

from __future__ import annotations

from analysis import paths, pipeline
from analysis.compare.comparison import Comparison
from analysis.derive.study import Study
from analysis.params import load_params


def open_study(study_dir: str | None = None) -> Study:
    """The run's study, or the committed sample's."""
    if study_dir:
        return Study.load(study_dir)
    return pipeline.prepare_cached(load_params(paths.EXAMPLE_PARAMS), paths.SAMPLE_EXTRACT)


def open_comparison(study_dir: str | None = None) -> Comparison:
    """The run's comparison, or one of 150 synthetic authorities' returns."""
    if study_dir:
        return Comparison.load(study_dir)
    from analysis.synth import foi  # previews may use synthetic data; production code never does

    folder = paths.CACHE / "synthetic_returns"
    if not (folder / "returns").is_dir():
        foi.write_synth_returns(150, 1, folder)
    return pipeline.prepare_comparison(load_params(paths.EXAMPLE_PARAMS), folder / "returns")
