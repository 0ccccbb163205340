"""Disclosure scan: the last check before a report is published.

`scan(site_dir, extract_dir, ...)` reads everything a reader could download (every file of the HTML site: pages
with their comments, CSV, TSV, XLSX, JSON, notebooks, PDF and Word documents (their text judged as prose, like a
page's), scripts, styles, SVG and text files, compressed files such as .csv.gz and zip archives, and the text in image
metadata; the published `tables/` and the `*.json`, `*.pdf`, `*.docx` and `*.xlsx` beside the site; and optionally the
executed notebooks) and returns one row per finding:

- ``identifier``: a value of an identifier column of the extract (`Column.identifier` in `analysis.schema`).
  Ids, UPNs and other identifiers are matched as whole tokens (case-insensitive), all-digit ones (NHS numbers) also
  written 3-3-4 with spaces or hyphens; postcodes with and without the space; birth dates in every common written
  form (2005-04-28, 28/04/2005, 28/04/05, 28.04.2005, 20050428, 28 April 2005, 28-Apr-2005, April 28, 2005: see
  `dates`); names as the child's full "Forename Surname" (either order), and single names only when unusual enough
  to point at a child (see `MIN_NAME_LENGTH`). Values too short to be distinctive are not matched (`MIN_ID_LENGTH`,
  `MIN_NUMERIC_ID_LENGTH`). Values the run publishes by design (`published_values`: the study window, the
  authority's name and code) are no match where they appear as a whole phrase.
  The finding never repeats the value: it shows its first two characters, its length and where it came from.
- ``small count``: a count from 1 to threshold - 1 in a published table (see `count_columns` for which columns are
  counts), in a glued notebook value, in prose ("3 of 104", "Only 3 children", "3 (2.9%)"), or in a JSON count
  (measures.json numerators and denominators, and their difference). Also a suppressed count that can be recovered:
  a share published beside it, or a total row when it is the only suppressed cell of its column.
- ``child-level row`` (public edition only): a table with a column named ``child`` or a column of pseudonymised child
  keys (``c_`` and 16 hex digits), such keys anywhere in a page, or a table without ids shaped like one row per
  child (dates to the day, exact ages, 0/1 flags or repeated rows on rows that count no more than one child: see
  `child_rows`).

Tokens are collected once per document and intersected with sets of identifier values (n-grams for values of
several words), and each date written in a document is normalised and looked up in the set of birth dates, so a
60,000-child extract is scanned in seconds.

Each format has its reader (`html_pages`, `tables` for CSV and XLSX, `json_files`, `notebooks`, `documents` for PDF
and Word, `text`, `binary` for images and compressed files), all writing to one `findings.Findings`; `identifiers`,
`dates`, `counts` and `child_rows` decide what a leak is, `site` walks the site (skipping theme files identical to an
installed package's, see `vendor`) and `run` holds `scan` and how its findings are reported. `memo` keeps what a
build's scan judged, so the next build into the same folder reads only the files whose bytes changed.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future
from pathlib import Path

from analysis.privacy import safe_text
from analysis.privacy.scan.counts import (
    COUNT_KEYS,
    N_CHILDREN,
    N_OF_M,
    NON_COUNT_GLUE,
    NON_COUNT_HEADERS,
    NON_COUNT_WORDS,
    NUMBER,
    SHARE_WORDS,
    SUPPRESSED,
    SYMBOLS,
    TOTAL_ROW,
    count_columns,
)
from analysis.privacy.scan.dates import MIDNIGHT
from analysis.privacy.scan.findings import COLUMNS, KINDS
from analysis.privacy.scan.identifiers import (
    AUTHORED,
    ISO_DATE,
    MIN_ID_LENGTH,
    MIN_NAME_LENGTH,
    MIN_NUMERIC_ID_LENGTH,
    TOKEN,
    UK_DATE,
    Identifiers,
    authored_words,
    load_identifiers,
    mask,
)
from analysis.privacy.scan.memo import Memo
from analysis.privacy.scan.run import published_values, refuse_if_unsafe, scan, summarise
from analysis.privacy.scan.site import TEXT_SUFFIXES, VENDOR_DIRS
from analysis.privacy.scan.text import PSEUDONYM
from analysis.privacy.scan.vendor import pristine

__all__ = [
    "AUTHORED",
    "COLUMNS",
    "COUNT_KEYS",
    "ISO_DATE",
    "KINDS",
    "Gate",
    "Memo",
    "MIDNIGHT",
    "MIN_ID_LENGTH",
    "MIN_NAME_LENGTH",
    "MIN_NUMERIC_ID_LENGTH",
    "NON_COUNT_GLUE",
    "NON_COUNT_HEADERS",
    "NON_COUNT_WORDS",
    "NUMBER",
    "N_CHILDREN",
    "N_OF_M",
    "PSEUDONYM",
    "SHARE_WORDS",
    "SUPPRESSED",
    "SYMBOLS",
    "TEXT_SUFFIXES",
    "TOKEN",
    "TOTAL_ROW",
    "UK_DATE",
    "VENDOR_DIRS",
    "Identifiers",
    "authored_words",
    "count_columns",
    "gate",
    "load_identifiers",
    "mask",
    "published_values",
    "refuse_if_unsafe",
    "scan",
    "summarise",
]


def gate(params, extract_dir: Path | None, chapters: str, memo: Memo | None = None) -> Gate:
    """The publish gate for a build with these parameters (see `Gate`). A comparison has no extract."""
    return Gate(params, extract_dir, chapters, memo)


class Gate:
    """The publish gate: called with (staged folder, work folder), it scans the staged site, its tables and JSON, and
    the executed notebooks of `book/<chapters>`, writes any findings to work/disclosure_findings.csv and refuses
    (raises) when there are any. With a `memo` (in the build's private cache), files the last build published
    unchanged are not read again, and `warm` reads what is staged so far while the PDF prints. The extract's
    identifiers are read on a thread of their own from `read_identifiers` (the build calls it once the chapters are
    readied, while Jupyter Book builds on the other core), or else when the first scan needs them.

    It lives here, not in `run`, so that it calls `scan` through this package: whoever replaces
    `analysis.privacy.scan.scan` (a test planting findings) replaces what the gate runs."""

    def __init__(self, params, extract_dir: Path | None, chapters: str, memo: Memo | None = None) -> None:
        self.params, self.extract_dir, self.chapters, self.memo = params, extract_dir, chapters, memo
        self.allow = published_values(params)
        self.ids: Future | None = None
        self.warming: Future | None = None

    def read_identifiers(self) -> None:
        """Start reading the extract's identifiers (once), on a thread of their own."""
        if self.ids is None and self.extract_dir:
            vendor = self.memo is None or not self.memo.path.is_file()  # a rebuild reads no unchanged theme file
            threshold = self.params.disclosure_threshold
            self.ids = _in_background(_identifiers, self.extract_dir, threshold, self.allow, vendor)

    def _scan(self, stage: Path, work: Path):
        self.read_identifiers()
        return scan(
            stage / "html",
            self.extract_dir,
            self.params.disclosure_threshold,
            self.params.edition,
            notebooks_dir=work / "book_stage" / "book" / self.chapters,
            allow=self.allow,
            identifiers=self.ids.result() if self.ids else None,
            memo=self.memo,
        )

    def warm(self, stage: Path, work: Path) -> None:
        """Scan what is staged so far into the memo, on a thread of its own (Chromium prints the PDF meanwhile in a
        process of its own), judging nothing: the gate itself then reads only what changed since."""
        if self.memo is not None:
            self.warming = _in_background(self._scan, stage, work)

    def __call__(self, stage: Path, work: Path) -> None:
        if self.warming is not None:
            try:
                self.warming.result()
            except Exception:  # noqa: BLE001 - a file caught half-written: the scan below reads it again, and judges
                pass
        findings = self._scan(stage, work)
        if not findings.empty:
            safe_text.write_csv(findings, work / "disclosure_findings.csv")
        refuse_if_unsafe(findings)


def _identifiers(extract_dir: Path, threshold: int, allow: list[str], vendor: bool = True) -> Identifiers:
    """The extract's identifiers (and their digest, which names a scan's memo), with the installed packages' file
    hashes read too when `vendor` (a first build scans every theme file): all are needed only by the scan, and none
    depends on what the build makes."""
    if vendor:
        pristine(b"")
    ids = load_identifiers(Path(extract_dir), threshold, allow)
    _ = ids.digest
    return ids


def _in_background(fn, *args) -> Future:
    """`fn(*args)` on a thread of its own. The gate starts reading while the book is built: Jupyter Book and Chromium
    run in processes of their own, so the build's own process would otherwise sit waiting for them. A daemon thread:
    a build that fails before the scan does not wait for it to finish reading."""
    future: Future = Future()

    def run() -> None:
        try:
            future.set_result(fn(*args))
        except BaseException as exc:  # noqa: BLE001 - handed to whoever asks for the result
            future.set_exception(exc)

    threading.Thread(target=run, name="scan-identifiers", daemon=True).start()
    return future
