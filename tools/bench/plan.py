"""What the benchmark runs: the stages in order, which stage needs which, the sizes, and the job a stage's
process is given (everything it needs must pickle: the process is spawned, not forked)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEFAULT_SIZES = (10_000, 60_000, 500_000, 2_000_000)
PARQUET_FROM = 500_000  # sizes from this many children are written as Parquet
BOOK_UP_TO = 60_000  # chapters and book are built only up to this size
PARAMS = REPO / "data_templates" / "params.example.yml"
LINK_PEOPLE = 100_000
MB = 1024 * 1024

PIPELINE_STAGES = ["synth", "floor: pyarrow read", "ingest", "validate", "link", "derive"]
BOOK_STAGES = [
    "execute chapters",
    "build book",
    "floor: book from executed notebooks",
    "make book (after set-up)",
    "prose-only rebuild",
]
LINK_100K = "link 100k x 100k"
CODE_NOTES = "code notes"
NOTES = 1_000_000  # case notes coded by the code notes stage (the budget: under 10 minutes)
NOTES_DRAW_STAGE = "_notes draw"  # not measured: writes the synthetic notes for the code notes stage
STAGE_ORDER = PIPELINE_STAGES + BOOK_STAGES + [LINK_100K, CODE_NOTES]
NEEDS = {  # a stage is skipped when one it needs failed
    "floor: pyarrow read": ["synth"],
    "ingest": ["synth"],
    "validate": ["ingest"],
    "link": ["validate"],
    "derive": ["validate"],
    "execute chapters": ["derive"],
    "build book": ["execute chapters"],
    "floor: book from executed notebooks": ["execute chapters"],
    "make book (after set-up)": ["synth"],
    "prose-only rebuild": ["make book (after set-up)"],
}
EXTERNAL = set(BOOK_STAGES)  # stages that time another program: their peak is that program's process tree
LINK_EXACT = "_link exact"  # not measured: the exact passes' linkage, for derive when link did not complete
LINK_PEOPLE_STAGE = "_link people"  # not measured: draws the people for the 100k x 100k link


@dataclasses.dataclass
class Job:
    """One stage at one size, as its process receives it."""

    stage: str
    children: int
    tmp: str  # this size's temporary folder: stages hand their outputs on through it
    seed: int = 4242
    years: int = 10
    fmt: str = "csv"
    profile_dir: str | None = None
    repo: str | None = None  # the snapshot of the working tree that the chapters and CLI builds run in

    @property
    def la(self) -> Path:
        return Path(self.tmp) / "la"

    @property
    def extract(self) -> Path:
        return self.la / "extract"

    @property
    def work(self) -> Path:
        return Path(self.tmp) / "work"
