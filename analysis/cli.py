"""The `adversity-report` command: synth, validate, build, scan, code-notes."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import logging
import sys
from pathlib import Path

from analysis import __version__
from analysis.errors import UserError, ValidationFailed
from analysis.params import load_params

MIN_CHILDREN = 100  # smaller synthetic authorities leave some tables empty and prove nothing


def _synth_combinations(args: argparse.Namespace) -> None:
    """Refuse the options that cannot go together, saying why."""
    whole = args.returns is not None or args.case_series is not None or args.format == "xml"
    if args.scenario == "hard" and whole:
        raise UserError(
            "--scenario hard makes a whole authority as CSV or Parquet: not with --returns or --case-series, nor as "
            "XML (the returns cannot carry its contacts, early help or SEND-side case review, which its truths count)."
        )
    if args.notes and (args.returns is not None or args.case_series is not None):
        raise UserError("--notes adds case notes to a whole authority: not with --returns or --case-series.")
    if args.linkage == "hard" and whole:
        raise UserError(
            "--linkage hard hardens a whole authority's person records, written as CSV or Parquet: not with --returns "
            "or --case-series, nor as XML (the CIN census holds no names or postcodes, so most of it would be lost)."
        )


def _synth(args: argparse.Namespace) -> int:
    from analysis.synth import hard
    from analysis.synth import la as plain
    from analysis.synth.write import write

    _synth_combinations(args)
    if args.returns is not None:
        from analysis.synth import foi

        if args.returns < 2:
            raise UserError("--returns needs at least 2 authorities.")
        paths = foi.write_synth_returns(args.returns, args.seed, Path(args.out))
        print(
            f"Wrote {args.returns} synthetic authorities' returns to {paths['returns']} and the planted outliers "
            f"to {paths['truth']}"
        )
        return 0
    counts = {
        "--known": args.known,
        "--with-adversity": args.with_adversity,
        "--adversity-before-5": args.adversity_before_5,
    }
    if args.case_series is not None:
        from analysis.synth.case_series import generate_case_series

        missing = [flag for flag, v in counts.items() if v is None]
        if missing:
            raise UserError(f"--case-series needs {', '.join(missing)} as well.")
        la = generate_case_series(
            args.case_series, args.known, args.with_adversity, args.adversity_before_5, args.seed, years=args.years
        )
    else:
        given = [flag for flag, v in counts.items() if v is not None]
        if given:
            raise UserError(f"{', '.join(given)} only make sense with --case-series N.")
        if args.children < MIN_CHILDREN or not 1 <= args.years <= 30:
            raise UserError(
                f"--children must be at least {MIN_CHILDREN} (an authority, not a handful of children) "
                "and --years from 1 to 30."
            )
        la = (hard if args.scenario == "hard" else plain).generate(args.children, args.years, args.seed)
        if args.linkage == "hard":
            from analysis.synth import linkage

            la = linkage.harden(la, args.seed)
        if args.notes:
            from analysis.synth import notes

            la = notes.for_authority(la, args.seed)
    write(la, Path(args.out), args.format)
    rows = sum(len(t) for t in la.tables.values())
    n = args.case_series if args.case_series is not None else args.children
    print(
        f"Wrote a synthetic extract of {n:,} children ({rows:,} rows) to {Path(args.out) / 'extract'}"
        f" and its ground truth to {Path(args.out) / 'truth'}"
    )
    return 0


def _iso_date(text: str, where: str) -> dt.date:
    """A date given on the command line: ISO 8601 only (01/04/2020 is 1 April in England, 4 January elsewhere)."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UserError(f"{where} '{text}' is not a date in the form YYYY-MM-DD (for example 2026-03-31).") from None


def _validate(args: argparse.Namespace) -> int:
    import pandas as pd

    from analysis.ingest import source, validate
    from analysis.privacy import safe_text

    extract = Path(args.extract)
    date = pd.Timestamp(_iso_date(args.extract_date, "--extract-date")) if args.extract_date else None
    earliest = pd.Timestamp(_iso_date(args.earliest_birth, "--earliest-birth")) if args.earliest_birth else None
    result = source.check_extract(extract, date, args.source_kind, earliest)
    report = Path(args.report) if args.report else Path("validation_report.csv")  # never into the extract
    try:
        report.parent.mkdir(parents=True, exist_ok=True)
        safe_text.write_csv(result.problems, report)  # values from the extract: formula-safe
    except OSError as exc:
        raise UserError(f"Cannot write the report to {report} ({exc.strerror}); choose another --report.") from None
    print(validate.summarise(result.problems))
    print(f"Full report: {report}")
    return 0 if result.ok else 1


def _build(args: argparse.Namespace) -> int:
    from analysis.report.html_build import Waiting

    if args.compare:
        return _build_comparison(args)
    # Jupyter Book starts loading on the other core before this process imports pandas and reads the study
    with contextlib.closing(Waiting()) as waiting:
        from analysis import pipeline

        params = _build_params(args)
        extract = Path(args.extract) if args.extract else params.extract
        if extract is None:
            raise UserError(f"{args.params}: no extract given; set 'extract' or pass --extract.")
        out = Path(args.out) if args.out else params.out
        index = pipeline.build(params, extract, out, Path(args.truth) if args.truth else None, waiting)
    print(f"Report: {index.absolute()}")
    return 0


def _build_comparison(args: argparse.Namespace) -> int:
    from analysis import pipeline

    params = _build_params(args)
    out = Path(args.out) if args.out else params.out
    index = pipeline.build_comparison(params, Path(args.compare), out)
    print(f"Comparison: {index.absolute()}")
    return 0


def _build_params(args: argparse.Namespace):
    params = load_params(args.params)
    if args.previous:
        params = dataclasses.replace(params, previous_edition=Path(args.previous))
    return params


def _scan(args: argparse.Namespace) -> int:
    from analysis.privacy import safe_text, scan

    params = load_params(args.params) if args.params else None
    threshold = args.threshold or (params.disclosure_threshold if params else 10)
    edition = args.edition or (params.edition if params else "public")
    allow = list(args.allow or []) + (scan.published_values(params) if params else [])
    findings = scan.scan(
        Path(args.site),
        Path(args.extract),
        threshold,
        edition,
        Path(args.notebooks) if args.notebooks else None,
        allow=allow,
    )
    if args.report:
        safe_text.write_csv(findings, Path(args.report))
    if findings.empty:
        print(f"No identifiers, small counts or child-level rows found in {args.site}.")
        return 0
    print(scan.summarise(findings), file=sys.stderr)
    return 1


def _code_notes(args: argparse.Namespace) -> int:
    import time

    from analysis.notes import coder, files
    from analysis.notes.lexicon import LEXICON, load_lexicon

    notes_path = Path(args.notes)
    out = files.output_path(args.out, (notes_path,))  # checked before the notes are read
    review = _review_paths(args, notes_path, out)
    notes = files.read_notes(notes_path)
    reviewed = files.read_reviewed(Path(args.reviewed)) if args.reviewed else []
    lexicon = load_lexicon(Path(args.lexicon) if args.lexicon else LEXICON)
    build = coder.Coder.build(lexicon)
    started = time.perf_counter()
    coded = coder.code_notes(notes, coder=build)
    seconds = time.perf_counter() - started
    if review is None:
        files.write_coded(coded, out)
    else:
        half_width = 0.05 if args.half_width is None else args.half_width
        plan = _write_review(coded, out, notes["person_id"], list(lexicon.domains), reviewed, review, half_width)
    print(
        f"Coded {len(notes):,} notes in {seconds:.1f} s: {len(coded):,} mentions, {int(coded['affirmed'].sum()):,} "
        f"of them counted, for {coded.loc[coded['affirmed'], 'person_id'].nunique():,} children. Wrote {out}"
    )
    if review is not None:
        known = len(set(reviewed) & set(notes["person_id"]))
        print(
            f"Review next: {plan['person_id'].nunique():,} of {notes['person_id'].nunique():,} children "
            f"({known:,} already reviewed), for {len(lexicon.domains)} domains to ±{half_width * 100:g} points. "
            f"Wrote the blank sheet {review[0]} and the plan {review[1]}"
        )
    return 0


def _review_paths(args: argparse.Namespace, notes: Path, out: Path) -> tuple[Path, Path] | None:
    """The review sheet and its plan (SHEET's stem + `_plan.csv` beside it), checked before anything is read: like
    --out, outside the repository and over no input or other output."""
    if args.review_sheet is None:
        given = [
            flag for flag, v in (("--reviewed", args.reviewed), ("--half-width", args.half_width)) if v is not None
        ]
        if given:
            raise UserError(f"{', '.join(given)} only make sense with --review-sheet SHEET.csv.")
        return None
    if args.half_width is not None and not 0 < args.half_width < 0.5:
        raise UserError(f"--half-width {args.half_width:g} must lie between 0 and 0.5 (0.05 is ±5 points).")
    from analysis.notes import files

    sheet = files.output_path(args.review_sheet, (notes,), "--review-sheet")
    plan = files.output_path(sheet.with_name(f"{sheet.stem}_plan.csv"), (notes,), "--review-sheet")
    taken = {out: "the --out file"}
    if args.reviewed:
        taken[Path(args.reviewed).expanduser().resolve()] = "the --reviewed file (it is read, never overwritten)"
    for path, name in ((sheet, "the review sheet"), (plan, "the review plan")):
        if path in taken:
            raise UserError(f"{path} ({name}) is {taken[path]}; choose another --review-sheet.")
    return sheet, plan


def _write_review(coded, out: Path, children, domains: list[str], reviewed, review, half_width: float):
    """Plan the review, then write the sheet, the plan summary and the coded notes all or nothing: the sheet and
    summary go to partial files first and take their names only once the coded notes are written."""
    from analysis.notes import files, sampling
    from analysis.privacy import safe_text

    plan, summary = sampling.review_plan(coded, children, domains, reviewed, half_width=half_width)
    writers = (lambda p: sampling.write_review_sheet(plan, domains, p), lambda p: safe_text.write_csv(summary, p))
    partials = [path.with_name(path.name + ".partial") for path in review]
    try:
        for write, partial, final in zip(writers, partials, review):
            try:
                write(partial)
            except OSError as exc:
                raise UserError(f"Cannot write {final} ({exc.strerror}); choose another --review-sheet.") from None
        files.write_coded(coded, out)
        for partial, final in zip(partials, review):
            partial.replace(final)
    finally:
        for partial in partials:
            partial.unlink(missing_ok=True)
    return plan


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="adversity-report", description=__doc__)
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    _synth_command(sub.add_parser("synth", help="write a synthetic local authority extract and its ground truth"))
    _validate_command(sub.add_parser("validate", help="check an extract against the contract"))
    _build_command(sub.add_parser("build", help="run the whole pipeline and build the report"))
    _scan_command(sub.add_parser("scan", help="check a built site for identifiers, small counts and child-level rows"))
    _code_notes_command(sub.add_parser("code-notes", help="code adversity in a case-notes CSV with the lexicon"))
    return p


def _synth_command(s: argparse.ArgumentParser) -> None:
    s.add_argument("--children", type=int, default=10_000)
    s.add_argument("--years", type=int, default=10)
    s.add_argument("--seed", type=int, default=1)
    s.add_argument(
        "--returns",
        type=int,
        metavar="N",
        help="instead of one LA, N authorities' aggregate FOI returns with planted outliers",
    )
    s.add_argument(
        "--case-series",
        type=int,
        metavar="N",
        help="instead of a whole LA, N children with an EHCNA request and exactly the counts below",
    )
    s.add_argument("--known", type=int, metavar="K", help="with --case-series: known to CSC before the request")
    s.add_argument(
        "--with-adversity",
        type=int,
        metavar="A",
        help="with --case-series: adversity documented before the request (A <= K)",
    )
    s.add_argument(
        "--adversity-before-5",
        type=int,
        metavar="B",
        help="with --case-series: of the A, first adversity documented before age five (B <= A)",
    )
    s.add_argument(
        "--format",
        choices=("csv", "parquet", "xml"),
        default="csv",
        help="xml writes CIN census and SEN2 returns (with adversity_review and population as CSV)",
    )
    s.add_argument(
        "--scenario",
        choices=("plain", "hard"),
        default="plain",
        help="hard breaks the designs' assumptions on purpose: social care records begin years into the window, no "
        "population table, requests from birth to 25, late adversity, early help only, twins, SEND-side case review",
    )
    s.add_argument(
        "--linkage",
        choices=("plain", "hard"),
        default="plain",
        help="hard makes the person records as hard to link as real ones (no SEND id crosswalk, missing UPNs, "
        "nicknames, accents, changed surnames, twins...) and writes truth/linkage_cases.csv",
    )
    s.add_argument(
        "--notes",
        action="store_true",
        help="add social care case notes (case_notes) documenting each child's adversity, their truth in "
        "truth/case_notes_*.csv, and a manual review that reads them",
    )
    s.add_argument("--out", required=True, help="writes OUT/extract/ and OUT/truth/")
    s.set_defaults(func=_synth)


def _validate_command(v: argparse.ArgumentParser) -> None:
    v.add_argument("extract", help="the extract folder")
    v.add_argument("--extract-date", help="events after this date (YYYY-MM-DD) are errors")
    v.add_argument("--report", help="where to write the full CSV report (default ./validation_report.csv)")
    v.add_argument(
        "--earliest-birth",
        help="births before this date (YYYY-MM-DD) are errors (default: 25 years before the extract date)",
    )
    v.add_argument(
        "--source-kind",
        choices=("ssd", "returns", "templates"),
        default="ssd",
        help="returns reads CIN census and SEN2 XML (also chosen when the folder holds .xml files)",
    )
    v.set_defaults(func=_validate)


def _build_command(b: argparse.ArgumentParser) -> None:
    b.add_argument("--params", required=True)
    b.add_argument("--extract")
    b.add_argument("--truth", help="ground truth folder (synthetic data) for linkage precision and recall")
    b.add_argument("--out")
    b.add_argument(
        "--previous",
        metavar="DIR",
        help="the previous public edition's output folder: no cell may be recovered by differencing against it",
    )
    b.add_argument(
        "--compare",
        metavar="RETURNS_DIR",
        help="compare many authorities' FOI returns instead (writes OUT/compare.json)",
    )
    b.set_defaults(func=_build)


def _scan_command(sc: argparse.ArgumentParser) -> None:
    sc.add_argument("site", help="the site folder (OUT/html)")
    sc.add_argument("--extract", required=True)
    sc.add_argument("--threshold", type=int, help="default: from --params, else 10")
    sc.add_argument("--edition", choices=("public", "internal"), help="default: from --params, else public")
    sc.add_argument("--notebooks", help="a folder of executed notebooks (.ipynb) to scan too")
    sc.add_argument("--params", help="run parameters: threshold, edition, and the study window dates as published")
    sc.add_argument("--allow", action="append", help="a value published by design (repeatable)")
    sc.add_argument("--report", help="write every finding to this CSV")
    sc.set_defaults(func=_scan)


def _code_notes_command(c: argparse.ArgumentParser) -> None:
    c.add_argument("notes", help="a CSV with the columns note_id, person_id, note_date (YYYY-MM-DD), text")
    c.add_argument("--out", required=True, help="the coded CSV (child-level: outside the repository)")
    c.add_argument("--lexicon", help="a lexicon YAML (default: analysis/notes/lexicon.yml)")
    c.add_argument(
        "--review-sheet",
        metavar="SHEET.csv",
        help="also write a blank, blinded review sheet of the children a reviewer should read next (stratified per "
        "domain by what the coder found) and the plan's counts per domain and stratum to SHEET_plan.csv beside it "
        "(child-level: outside the repository)",
    )
    c.add_argument(
        "--reviewed",
        metavar="REVIEW.csv",
        help="with --review-sheet: an earlier review (adversity_review, or a previous sheet) whose person_id column "
        "lists children already read; they count towards the plan and are not proposed again",
    )
    c.add_argument(
        "--half-width",
        type=float,
        help="with --review-sheet: the half-width each domain's precision and recall should be estimated to "
        "(default 0.05, ±5 points)",
    )
    c.set_defaults(func=_code_notes)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        return args.func(args)
    except ValidationFailed as exc:
        print(f"The extract has errors; nothing was built.\n{exc}", file=sys.stderr)
        return 1
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("Interrupted; nothing was published.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
