"""Flags for many authorities: each authority's proportion against funnel limits, per measure, and the content of
compare.json (figures withheld by disclosure control).

The limits and the overdispersion check are `stats.funnel`; this module knows about authorities, the FOI return
measures (`compare.returns`) and what is published about each authority.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from analysis.compare.returns import COMPARISONS, LABELS
from analysis.privacy import disclosure
from analysis.stats.funnel import (
    FLAGS,
    LEVELS,
    LIMIT_COLUMNS,
    METHOD_LABEL,
    METHODS,
    Dispersion,
    classify,
    limits,
    overdispersion,
    z_scores,
)
from analysis.stats.proportions import wilson


@dataclasses.dataclass
class FunnelResult:
    """The outcome of `flag`: one row per unit compared, what was skipped, and how the limits were made."""

    numerator: str
    denominator: str
    table: pd.DataFrame  # id, name, numerator, denominator, proportion, ci_low, ci_high, limits, z, flag
    skipped: pd.DataFrame  # id, name, reason (suppressed, missing, invalid)
    target: float
    target_source: str  # "pooled" or "external"
    method: str  # the method used (never "auto")
    method_requested: str
    dispersion: Dispersion
    id_col: str = "la_code"
    name_col: str = "la_name"

    @property
    def skipped_counts(self) -> dict[str, int]:
        counts = self.skipped["reason"].value_counts()
        return {reason: int(counts.get(reason, 0)) for reason in ("suppressed", "missing", "invalid")}

    def outside(self, level: str = "99.8%") -> pd.DataFrame:
        """Units outside the limits at `level` ("99.8%" or "95%"; 95% includes those outside 99.8%)."""
        keep = ("high (99.8%)", "low (99.8%)") if level == "99.8%" else FLAGS[:2] + FLAGS[3:]
        return self.table[self.table["flag"].isin(keep)]

    def limits_at(self, n) -> pd.DataFrame:
        """The limits of this result's method at any denominators (for drawing the funnel)."""
        return limits(n, self.target, self.method, tau2=self.dispersion.tau2, phi=self.dispersion.phi)

    def summary(self) -> dict:
        """A JSON-ready summary (no unit-level rows)."""
        return {
            "numerator": self.numerator,
            "denominator": self.denominator,
            "target": self.target,
            "target_source": self.target_source,
            "method": self.method,
            "method_label": METHOD_LABEL[self.method],
            "method_requested": self.method_requested,
            "dispersion": self.dispersion.to_dict(),
            "compared": int(len(self.table)),
            "skipped": self.skipped_counts,
            "flags": {f: int((self.table["flag"] == f).sum()) for f in FLAGS},
        }


def _status(table: pd.DataFrame, column: str, ids: pd.Series) -> pd.Series:
    """Why a cell is empty, from the status record `foi.read_returns` leaves in `table.attrs["status"]`."""
    record = table.attrs.get("status", {}).get(column, {})
    return ids.map(lambda i: record.get(i, "missing"))


def flag(
    table: pd.DataFrame,
    measure_num: str,
    measure_den: str,
    *,
    target: float | None = None,
    method: str = "auto",
    id_col: str = "la_code",
    name_col: str = "la_name",
) -> FunnelResult:
    """Flag each unit (row) of `table` against funnel limits for the proportion `measure_num / measure_den`.

    Rows whose numerator or denominator is missing or suppressed (NA), or impossible (negative, zero denominator,
    numerator above denominator), are skipped and counted by reason; they never count as zero. The target is the
    pooled proportion of the units compared unless `target` is given (e.g. the England rate).
    """
    if method not in METHODS:
        raise ValueError(f"unknown funnel method {method!r}; use one of {', '.join(METHODS)}")
    for col in (measure_num, measure_den, id_col):
        if col not in table.columns:
            raise KeyError(f"the table has no column {col!r}")
    ids = table[id_col].astype(str)
    names = table[name_col] if name_col in table.columns else ids
    r = pd.to_numeric(table[measure_num], errors="coerce").astype(float)
    n = pd.to_numeric(table[measure_den], errors="coerce").astype(float)

    reason = _skip_reasons(table, ids, r, n, measure_num, measure_den)
    ok = reason.isna()
    skipped = pd.DataFrame({id_col: ids[~ok], name_col: names[~ok], "reason": reason[~ok]}).reset_index(drop=True)

    r_ok, n_ok = r[ok].to_numpy(), n[ok].to_numpy()
    if len(r_ok) == 0:
        raise ValueError(f"no unit has both {measure_num} and {measure_den} to compare")
    if target is None:
        p0, source = float(r_ok.sum() / n_ok.sum()), "pooled"
    else:
        p0, source = float(target), "external"
    disp = overdispersion(r_ok, n_ok, p0)
    used = method
    if method == "auto":
        used = "random_effects" if disp.overdispersed else "wilson"
    lim = limits(n_ok, p0, used, tau2=disp.tau2, phi=disp.phi).reset_index(drop=True)
    out = _unit_table(ids[ok], names[ok], r_ok, n_ok, id_col, name_col)
    out = pd.concat([out, lim], axis=1)
    out["z"] = z_scores(r_ok, n_ok, p0)
    out["flag"] = classify(out["proportion"].to_numpy(), lim)
    return FunnelResult(measure_num, measure_den, out, skipped, p0, source, used, method, disp, id_col, name_col)


def _skip_reasons(
    table: pd.DataFrame, ids: pd.Series, r: pd.Series, n: pd.Series, measure_num: str, measure_den: str
) -> pd.Series:
    """Why each row cannot be compared (NA where it can): an empty cell keeps the reason `read_returns` recorded
    (the denominator's first), and impossible counts are "invalid", so that nothing counts as zero."""
    reason = pd.Series(pd.NA, index=table.index, dtype="object")
    for col, values in ((measure_den, n), (measure_num, r)):
        empty = values.isna() & reason.isna()
        if empty.any():
            st = _status(table, col, ids[empty])
            reason[empty] = st.where(st.isin(["suppressed", "invalid"]), "missing")
    bad = reason.isna() & ((n <= 0) | (r < 0) | (r > n))
    reason[bad] = "invalid"
    return reason


def _unit_table(
    ids: pd.Series, names: pd.Series, r_ok: np.ndarray, n_ok: np.ndarray, id_col: str, name_col: str
) -> pd.DataFrame:
    """The units compared with their proportion and its Wilson interval (written out for non-integer counts)."""
    y = r_ok / n_ok
    ci = np.array(
        [
            wilson(int(round(a)), int(round(b))) if a == round(a) and b == round(b) else _wilson_float(a, b)
            for a, b in zip(r_ok, n_ok)
        ]
    ).reshape(-1, 2)
    return pd.DataFrame(
        {
            id_col: ids.to_numpy(),
            name_col: names.to_numpy(),
            "numerator": r_ok,
            "denominator": n_ok,
            "proportion": y,
            "ci_low": ci[:, 0],
            "ci_high": ci[:, 1],
        }
    )


def _wilson_float(r: float, n: float, alpha: float = 0.05) -> tuple[float, float]:
    """Wilson interval for non-integer counts (e.g. weighted figures), written out."""
    z = stats.norm.ppf(1 - alpha / 2)
    p = r / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


def compare(
    table: pd.DataFrame,
    *,
    measures: dict[str, str] | None = None,
    method: str = "auto",
    targets: dict[str, float] | None = None,
) -> dict[str, FunnelResult]:
    """Funnel flags for each measure (numerator column -> denominator column; default `COMPARISONS`).
    Measures no LA reported are left out."""
    out = {}
    for num, den in (measures or COMPARISONS).items():
        usable = table[num].notna() & table[den].notna()
        if not usable.any():
            continue
        out[num] = flag(table, num, den, target=(targets or {}).get(num), method=method)
    return out


def _published(row: pd.Series, threshold: int, res: FunnelResult) -> dict:
    """An LA's figures for compare.json, withheld where a count or its complement is below the threshold."""
    r, n = int(round(row["numerator"])), int(round(row["denominator"]))
    small = any(disclosure.is_small(v, threshold) for v in (r, n, n - r))
    entry = {
        "la_code": str(row[res.id_col]),
        "la_name": str(row[res.name_col]),
        "flag": row["flag"],
        "direction": "high"
        if row["flag"].startswith("high")
        else ("low" if row["flag"].startswith("low") else "within"),
    }
    if small:
        return {
            **entry,
            "numerator": None,
            "denominator": None,
            "proportion": None,
            "interval": [None, None],
            "suppressed": True,
        }
    return {
        **entry,
        "numerator": r,
        "denominator": n,
        "proportion": float(row["proportion"]),
        "interval": [float(row["ci_low"]), float(row["ci_high"])],
        "limits": {c: float(row[c]) for c in LIMIT_COLUMNS},
        "z": float(row["z"]),
        "suppressed": False,
    }


def compare_summary(
    results: dict[str, FunnelResult],
    table: pd.DataFrame,
    problems: pd.DataFrame | None = None,
    *,
    la_code: str | None = None,
    threshold: int = 10,
) -> dict:
    """The content of OUT/compare.json: for each measure the target, method, dispersion check, what was skipped,
    and every LA outside the 99.8% limits (and the 95% ones), plus where `la_code` (the LA running the report)
    sits. Counts from 1 to below `threshold` (and their proportions) are withheld."""
    years = sorted(table["year"].dropna().unique().tolist())
    out = {
        "las": int(len(table)),
        "years": years,
        "la_code": la_code,
        "threshold": threshold,
        "levels": {k: v for k, v in LEVELS.items()},
        "measures": {},
    }
    if problems is not None:
        out["problems"] = {
            "errors": int((problems["severity"] == "error").sum()),
            "warnings": int((problems["severity"] == "warning").sum()),
        }
    for num, res in results.items():
        m = {"label": LABELS.get(num, num), **res.summary()}
        for level, key in (("99.8%", "outside_998"), ("95%", "outside_95")):
            rows = res.outside(level).sort_values(["flag", "z"])
            m[key] = [_published(r, threshold, res) for _, r in rows.iterrows()]
        if la_code is not None:
            mine = res.table[res.table[res.id_col] == str(la_code)]
            if not mine.empty:
                m["this_la"] = _published(mine.iloc[0], threshold, res)
            else:
                skip = res.skipped[res.skipped[res.id_col] == str(la_code)]
                m["this_la"] = {
                    "la_code": la_code,
                    "flag": None,
                    "not_compared": skip["reason"].iloc[0] if not skip.empty else "not in the returns",
                }
        out["measures"][num] = m
    return out


def write_compare(summary: dict, path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(summary, indent=2, default=_json_default) + "\n", encoding="utf-8")
    return path


def _json_default(o):
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    if isinstance(o, (np.bool_,)):
        return bool(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")
