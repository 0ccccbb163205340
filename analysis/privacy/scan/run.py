"""The scan of everything a reader could download, and how its findings are reported and refused."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from analysis.errors import UserError
from analysis.ingest import national
from analysis.privacy.scan import memo as memo_file
from analysis.privacy.scan.findings import Findings
from analysis.privacy.scan.identifiers import Identifiers, load_identifiers
from analysis.privacy.scan.memo import Memo
from analysis.privacy.scan.site import read_file, walk

BESIDE_SITE = {".json", ".pdf", ".docx", ".xlsx"}  # beside the site: measures, the report, the briefing, the workbook


def scan(
    site_dir: Path,
    extract_dir: Path | None,
    threshold: int = 10,
    edition: str = "public",
    notebooks_dir: Path | None = None,
    *,
    tables_dir: Path | None = None,
    json_dir: Path | None = None,
    allow: Iterable[str] = (),
    identifiers: Identifiers | None = None,
    memo: Memo | None = None,
) -> pd.DataFrame:
    """Every identifier, small count and (public edition) child-level row a reader could see or download.

    Reads every file of the site (HTML text, comments and attribute values, CSV, XLSX, JSON, notebooks, PDF and
    Word documents, scripts, styles, compressed files and image metadata: see `site`), every file of `tables_dir`
    (default: `tables/` beside the site), the `*.json`, `*.pdf`, `*.docx` and `*.xlsx` files in `json_dir` (default: the
    folder holding the site: the measures, the printed report, the briefing) and, if given, the executed notebooks
    in `notebooks_dir`. `allow` lists values published by design that may coincide with an identifier, such as the
    dates of the study window and the authority's name (see `published_values`): a date among them is no birth date,
    any other value is no identifier where it appears as a whole phrase.
    `identifiers`, when given, are those `load_identifiers` read from `extract_dir` with this threshold and `allow`
    (the gate reads them while the book builds). With a `memo`, a file whose bytes the last scan in the same context
    judged is not read again: its findings are taken from the memo (see `memo`).
    Returns one row per finding: page (relative to `site_dir`), kind, value (identifiers masked) and detail.
    """
    site_dir = Path(site_dir)
    if not site_dir.is_dir():
        raise UserError(f"Site folder not found: {site_dir}")
    if edition not in ("public", "internal"):
        raise UserError(f"edition must be 'public' or 'internal', not '{edition}'.")
    # a comparison of authorities' aggregate returns has no extract, so no identifiers to look for
    if identifiers is not None:
        ids = identifiers
    else:
        ids = load_identifiers(Path(extract_dir), threshold, allow) if extract_dir else Identifiers({}, {}, {})
    ctx = memo_file.context(ids, threshold, edition, memo.code) if memo else ""
    f = Findings(site_dir, ids, threshold, edition, memo_file.load(memo, ctx) if memo else None)
    for path, vendor in walk(site_dir):
        read_file(f, path, vendor)
    tables_dir = Path(tables_dir) if tables_dir else site_dir.parent / "tables"
    if tables_dir.is_dir() and site_dir.resolve() not in tables_dir.resolve().parents:
        for path in sorted(p for p in tables_dir.iterdir() if p.is_file()):
            read_file(f, path)
    json_dir = Path(json_dir) if json_dir else site_dir.parent
    if json_dir.resolve() != site_dir.resolve():
        for path in sorted(p for p in json_dir.iterdir() if p.is_file() and p.suffix.lower() in BESIDE_SITE):
            read_file(f, path)
    if notebooks_dir is not None:
        for path in sorted(Path(notebooks_dir).rglob("*.ipynb")):
            if ".ipynb_checkpoints" not in path.parts:
                read_file(f, path)
    if memo:
        memo_file.save(memo, ctx, f.judged, f.seen)
    return f.frame()


def published_values(params) -> list[str]:
    """Values a run publishes by design that may equal an identifier (from `RunParams`): the study window, which may
    be a child's birth date, and the authority's name and code, which may be a child's surname or an id. The name
    is allowed only as a whole phrase, so `la_name: Bolton` publishes while "Jane Bolton" is still refused. With
    national data, every place name in the release is allowed the same way."""
    folder = getattr(params, "national_data", None)
    places = national.area_names(national.read_release(folder)) if folder else []
    return [d.isoformat() for d in (params.study_start, params.study_end)] + [
        str(v) for v in (params.la_name, params.la_code, *places) if v
    ]


def summarise(findings: pd.DataFrame, examples: int = 3) -> str:
    """Findings grouped by page and kind, with counts and the first few examples."""
    lines = []
    for (page, kind), g in findings.groupby(["page", "kind"], sort=True):
        n = len(g)
        label = kind if n == 1 else ("child-level rows" if kind == "child-level row" else f"{kind}s")
        shown = "; ".join(f"{v} ({d})" for v, d in zip(g["value"].head(examples), g["detail"].head(examples)))
        more = f"; and {n - examples} more" if n > examples else ""
        lines.append(f"  {page}: {n} {label}: {shown}{more}")
    return "\n".join(lines)


def refuse_if_unsafe(findings: pd.DataFrame) -> None:
    """Raise a UserError naming every page with a finding; do nothing when there are none."""
    if findings is None or findings.empty:
        return
    kinds = findings["kind"].value_counts()
    counts = ", ".join(f"{n} {k}" for k, n in kinds.items())
    raise UserError(
        f"The disclosure scan found {len(findings)} problem(s) ({counts}) on "
        f"{findings['page'].nunique()} page(s); nothing was published.\n{summarise(findings)}"
    )
