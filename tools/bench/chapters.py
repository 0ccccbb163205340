"""The "execute chapters" stage's own program, run in the benchmark's snapshot of the working tree (so that the
chapters, the kernels and the chapter cache are all the snapshot's):

    python -m tools.bench.chapters WORK RESULT

Loads the study saved in WORK/study, times `book.execute` on it and writes the seconds and the staged book's
folder to RESULT (JSON), for the "build book" and "floor: book from executed notebooks" stages.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    from analysis.derive.study import Study, code_version
    from analysis.report import book

    work, result = (Path(a) for a in (argv if argv is not None else sys.argv[1:]))
    study = Study.load(work / "study")
    t0 = time.perf_counter()
    src = book.execute(study, work, code_version())
    seconds = time.perf_counter() - t0
    result.write_text(json.dumps({"seconds": seconds, "src": str(src)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
