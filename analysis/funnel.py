"""Funnel plots for proportions: control limits, an overdispersion check, flags and the figure.

Limits around a target p0 (by default the pooled proportion sum(r) / sum(n) of the units compared) at each
denominator n, at two levels: 95% (one-sided 0.975, "alert") and 99.8% (one-sided 0.999, "alarm").

Methods
  wilson          As the OHID/PHE Fingertips technical guidance and `PHEindicatormethods`
                  (`calculate_funnel_limits(statistic = "proportion")`, method "Wilson";
                  `assign_funnel_significance`). Its `sigma_adjustment()` finds, for each n and z = qnorm(p),
                  the observed proportion whose Wilson score interval has p0 as its bound: it solves the score
                  equation (y - p0)^2 = z^2 p0 (1 - p0) / n for y, written out as the roots of a quadratic. The
                  roots are exactly
                      y = p0 -/+ z * sqrt(p0 (1 - p0) / n),
                  which is what is computed here (checked against the package's own reference tables in
                  tests/test_funnel.py). PHEindicatormethods truncates the limits to [0, 100%]; so does this.
                  An area is flagged when its proportion is strictly outside a limit, the 99.8% limits first.
  exact           Exact binomial limits with Spiegelhalter's interpolation (Stat Med 2005;24:1185-1202):
                  r_p = the smallest r with F(r) >= p under Bin(n, p0); alpha = (F(r_p) - p) / (F(r_p) - F(r_p - 1));
                  the limit is (r_p - alpha) / n. Better than the normal form for small n or p0 near 0 or 1.
  random_effects  Spiegelhalter's additive random-effects limits, p0 +/- z sqrt(s^2 + tau^2), s^2 = p0(1-p0)/n,
                  for overdispersed data (Spiegelhalter, QSHC 2005;14:347-51).
  scaled          The multiplicative alternative, p0 +/- z sqrt(phi s^2).
  auto (default)  `wilson` unless the overdispersion check says the units vary more than chance allows, then
                  `random_effects`. The result says which was used and why.

Overdispersion check: z_i = (y_i - p0) / s_i; the z_i are Winsorised at their 10th and 90th percentiles (so a few
true outliers do not inflate the estimate); phi = mean(z^2); overdispersed when I * phi exceeds the 95th percentile
of chi-squared on I - 1 degrees of freedom; then tau^2 = (I phi - (I - 1)) / (sum w - sum w^2 / sum w), w_i = 1/s_i^2.
"""

from __future__ import annotations

import dataclasses

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy import stats

from analysis.stats import wilson

LEVELS = {"95%": 0.975, "99.8%": 0.999}  # label -> one-sided probability (PHEindicatormethods: 0.975 and 0.999)
LIMIT_COLUMNS = ["lower_998", "lower_95", "upper_95", "upper_998"]
FLAGS = ("high (99.8%)", "high (95%)", "within", "low (95%)", "low (99.8%)")
METHODS = ("auto", "wilson", "exact", "random_effects", "scaled")
METHOD_LABEL = {
    "wilson": "Wilson score limits around the target (PHE Fingertips method)",
    "exact": "exact binomial limits with Spiegelhalter's interpolation",
    "random_effects": "Wilson limits widened by an additive random effect (Spiegelhalter, overdispersion)",
    "scaled": "Wilson limits scaled by the overdispersion factor (Spiegelhalter, multiplicative)",
}


# ----------------------------------------------------------------------------------------------------------------
# Limits
# ----------------------------------------------------------------------------------------------------------------

def _arrays(n, p0):
    n = np.asarray(n, dtype=float)
    if np.any(n <= 0):
        raise ValueError("denominators must be greater than zero")
    if not 0 < p0 < 1:
        raise ValueError(f"the target proportion must be strictly between 0 and 1, not {p0}")
    return n


def wilson_limits(n, p0: float, p: float = 0.975) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper funnel limits at one-sided probability `p` (0.975 or 0.999) for denominators `n`, as
    PHEindicatormethods' `sigma_adjustment()` (the proportions whose Wilson interval just reaches p0), in [0, 1].

    >>> lo, hi = wilson_limits([1000], 0.80642448, 0.975)
    >>> round(float(lo[0]), 6), round(float(hi[0]), 6)
    (0.781936, 0.830913)
    """
    n = _arrays(n, p0)
    half = stats.norm.ppf(p) * np.sqrt(p0 * (1 - p0) / n)
    return np.clip(p0 - half, 0, 1), np.clip(p0 + half, 0, 1)


def random_effects_limits(n, p0: float, p: float, tau2: float = 0.0, phi: float = 1.0):
    """Limits p0 +/- z sqrt(phi * s^2 + tau^2): additive (tau2 > 0) or multiplicative (phi > 1) overdispersion."""
    n = _arrays(n, p0)
    half = stats.norm.ppf(p) * np.sqrt(phi * p0 * (1 - p0) / n + tau2)
    return np.clip(p0 - half, 0, 1), np.clip(p0 + half, 0, 1)


def _exact_one_side(n: np.ndarray, p0: float, prob: float) -> np.ndarray:
    """Spiegelhalter's interpolated binomial quantile (r_p - alpha) / n at cumulative probability `prob`."""
    r = stats.binom.ppf(prob, n, p0)
    # guard against the quantile search landing one step off through rounding
    for _ in range(3):
        down = (r > 0) & (stats.binom.cdf(r - 1, n, p0) >= prob)
        r = np.where(down, r - 1, r)
        up = stats.binom.cdf(r, n, p0) < prob
        r = np.where(up, r + 1, r)
    f_r = stats.binom.cdf(r, n, p0)
    f_prev = np.where(r > 0, stats.binom.cdf(r - 1, n, p0), 0.0)
    alpha = (f_r - prob) / (f_r - f_prev)
    return np.clip((r - alpha) / n, 0, 1)


def exact_limits(n, p0: float, p: float = 0.975) -> tuple[np.ndarray, np.ndarray]:
    """Exact binomial limits with Spiegelhalter's interpolation: lower at 1 - p, upper at p."""
    n = _arrays(n, p0)
    if np.any(n != np.round(n)):
        raise ValueError("exact binomial limits need whole-number denominators")
    return _exact_one_side(n, p0, 1 - p), _exact_one_side(n, p0, p)


def limits(n, p0: float, method: str = "wilson", tau2: float = 0.0, phi: float = 1.0) -> pd.DataFrame:
    """The four limits (`LIMIT_COLUMNS`) at each denominator for one method (not `auto`)."""
    out = {}
    for label, p in LEVELS.items():
        if method == "wilson":
            lo, hi = wilson_limits(n, p0, p)
        elif method == "exact":
            lo, hi = exact_limits(n, p0, p)
        elif method == "random_effects":
            lo, hi = random_effects_limits(n, p0, p, tau2=tau2)
        elif method == "scaled":
            lo, hi = random_effects_limits(n, p0, p, phi=max(phi, 1.0))
        else:
            raise ValueError(f"unknown funnel method {method!r}; use one of {', '.join(METHODS[1:])}")
        tag = label.rstrip("%").replace(".", "")
        out[f"lower_{tag}"], out[f"upper_{tag}"] = lo, hi
    return pd.DataFrame(out, index=np.asarray(n, dtype=float).reshape(-1))[LIMIT_COLUMNS]


# ----------------------------------------------------------------------------------------------------------------
# Overdispersion
# ----------------------------------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Dispersion:
    """The overdispersion check (Spiegelhalter 2005)."""

    units: int  # I, the number of units compared
    phi: float  # mean of the squared Winsorised z-scores
    statistic: float  # I * phi
    critical: float  # chi-squared(I - 1) at 0.95
    overdispersed: bool
    tau2: float  # additive between-unit variance (0 when not overdispersed)
    winsor: tuple[float, float]  # the percentiles used

    def to_dict(self) -> dict:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in dataclasses.asdict(self).items()}


def z_scores(r, n, p0: float) -> np.ndarray:
    """(y - p0) / sqrt(p0 (1 - p0) / n)."""
    r, n = np.asarray(r, dtype=float), _arrays(n, p0)
    return (r / n - p0) / np.sqrt(p0 * (1 - p0) / n)


def overdispersion(r, n, p0: float, winsor: tuple[float, float] = (0.10, 0.90), level: float = 0.95) -> Dispersion:
    """Winsorised phi, the chi-squared test of I * phi on I - 1 degrees of freedom, and tau^2 when overdispersed."""
    n = _arrays(n, p0)
    z = z_scores(r, n, p0)
    units = len(z)
    if units < 2:
        return Dispersion(units, float("nan"), float("nan"), float("nan"), False, 0.0, winsor)
    lo, hi = np.percentile(z, [100 * winsor[0], 100 * winsor[1]])
    zw = np.clip(z, lo, hi)
    phi = float(np.mean(zw ** 2))
    statistic = units * phi
    critical = float(stats.chi2.ppf(level, units - 1))
    over = bool(statistic > critical)
    tau2 = 0.0
    if over:
        w = n / (p0 * (1 - p0))
        tau2 = max(0.0, float((statistic - (units - 1)) / (w.sum() - (w ** 2).sum() / w.sum())))
    return Dispersion(units, phi, float(statistic), critical, over, tau2, winsor)


# ----------------------------------------------------------------------------------------------------------------
# Flags
# ----------------------------------------------------------------------------------------------------------------

def classify(y, lim: pd.DataFrame) -> np.ndarray:
    """The flag for each proportion against its limits, the 99.8% limits first; strict inequalities, as
    `assign_funnel_significance` (a proportion exactly on a limit is inside it)."""
    y = np.asarray(y, dtype=float)
    return np.select(
        [y < lim["lower_998"].to_numpy(), y < lim["lower_95"].to_numpy(),
         y > lim["upper_998"].to_numpy(), y > lim["upper_95"].to_numpy()],
        ["low (99.8%)", "low (95%)", "high (99.8%)", "high (95%)"], default="within")


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
        return {"numerator": self.numerator, "denominator": self.denominator, "target": self.target,
                "target_source": self.target_source, "method": self.method, "method_label": METHOD_LABEL[self.method],
                "method_requested": self.method_requested, "dispersion": self.dispersion.to_dict(),
                "compared": int(len(self.table)), "skipped": self.skipped_counts,
                "flags": {f: int((self.table["flag"] == f).sum()) for f in FLAGS}}


def _status(table: pd.DataFrame, column: str, ids: pd.Series) -> pd.Series:
    """Why a cell is empty, from the status record `foi.read_returns` leaves in `table.attrs["status"]`."""
    record = table.attrs.get("status", {}).get(column, {})
    return ids.map(lambda i: record.get(i, "missing"))


def flag(table: pd.DataFrame, measure_num: str, measure_den: str, *, target: float | None = None,
         method: str = "auto", id_col: str = "la_code", name_col: str = "la_name") -> FunnelResult:
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

    reason = pd.Series(pd.NA, index=table.index, dtype="object")
    for col, values in ((measure_den, n), (measure_num, r)):
        empty = values.isna() & reason.isna()
        if empty.any():
            st = _status(table, col, ids[empty])
            reason[empty] = st.where(st.isin(["suppressed", "invalid"]), "missing")
    bad = reason.isna() & ((n <= 0) | (r < 0) | (r > n))
    reason[bad] = "invalid"
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
    y = r_ok / n_ok
    ci = np.array([wilson(int(round(a)), int(round(b))) if a == round(a) and b == round(b)
                   else _wilson_float(a, b) for a, b in zip(r_ok, n_ok)]).reshape(-1, 2)
    out = pd.DataFrame({id_col: ids[ok].to_numpy(), name_col: names[ok].to_numpy(), "numerator": r_ok,
                        "denominator": n_ok, "proportion": y, "ci_low": ci[:, 0], "ci_high": ci[:, 1]})
    out = pd.concat([out, lim], axis=1)
    out["z"] = z_scores(r_ok, n_ok, p0)
    out["flag"] = classify(y, lim)
    return FunnelResult(measure_num, measure_den, out, skipped, p0, source, used, method, disp, id_col, name_col)


def _wilson_float(r: float, n: float, alpha: float = 0.05) -> tuple[float, float]:
    """Wilson interval for non-integer counts (e.g. weighted figures), written out."""
    z = stats.norm.ppf(1 - alpha / 2)
    p = r / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


# ----------------------------------------------------------------------------------------------------------------
# Figure
# ----------------------------------------------------------------------------------------------------------------

_HIGHLIGHT = (0.004, 0.451, 0.698)  # seaborn colour-blind blue; the diamond shape sets the unit apart anyway
_MARKERS = {"high (99.8%)": ("^", "black"), "high (95%)": ("^", "white"), "within": ("o", "white"),
            "low (95%)": ("v", "white"), "low (99.8%)": ("v", "black")}


def funnel_plot(result: FunnelResult, highlight: str | None = None, *, highlight_label: str | None = None,
                title: str | None = None, xlabel: str | None = None, ylabel: str | None = None,
                percent: bool = True, ax=None):
    """Proportion against denominator with the target, the 95% and 99.8% limits and one point per unit.

    Readable without colour: the target is a solid line, 95% limits dashed, 99.8% limits dotted; points are
    hollow circles inside the limits and triangles (up: high, down: low; filled: outside 99.8%) outside them.
    The unit `highlight` (e.g. the LA running the report) is a large diamond with its name beside it.
    """
    t = result.table
    scale = 100 if percent else 1
    if ax is None:
        fig, ax = plt.subplots(figsize=(7.5, 4.8), layout="constrained")
    else:
        fig = ax.figure
    n_min = max(1.0, float(t["denominator"].min()) * 0.9)
    n_max = float(t["denominator"].max()) * 1.05
    grid = np.unique(np.round(np.geomspace(n_min, n_max, 300)))
    lim = result.limits_at(grid)
    ax.axhline(result.target * scale, color="black", linestyle="-", linewidth=1.2,
               label=f"Target {result.target * scale:.1f}{'%' if percent else ''} ({result.target_source})")
    drawstyle = "steps-post" if result.method == "exact" else "default"
    for cols, style, label in ((("lower_95", "upper_95"), "--", "95% limits"),
                               (("lower_998", "upper_998"), ":", "99.8% limits")):
        for i, col in enumerate(cols):
            ax.plot(grid, lim[col].to_numpy() * scale, color="#444444", linestyle=style, linewidth=1.3,
                    drawstyle=drawstyle, label=label if i == 0 else None)
    other = t if highlight is None else t[t[result.id_col] != str(highlight)]
    for f in FLAGS:
        pts = other[other["flag"] == f]
        if pts.empty:
            continue
        marker, face = _MARKERS[f]
        ax.scatter(pts["denominator"], pts["proportion"] * scale, marker=marker, facecolors=face,
                   edgecolors="black", s=36 if f == "within" else 54, linewidths=0.9, zorder=3,
                   label=f"{f.capitalize()} ({len(pts)})")
    if highlight is not None:
        mine = t[t[result.id_col] == str(highlight)]
        if not mine.empty:
            row = mine.iloc[0]
            name = highlight_label or str(row[result.name_col])
            ax.scatter([row["denominator"]], [row["proportion"] * scale], marker="D", s=110,
                       facecolors=_HIGHLIGHT, edgecolors="black", linewidths=1.5, zorder=4,
                       label=f"{name} ({row['flag']})")
            ax.annotate(name, (row["denominator"], row["proportion"] * scale), xytext=(22, 22),
                        textcoords="offset points", fontsize=9, fontweight="bold", zorder=5,
                        bbox={"boxstyle": "round,pad=0.25", "facecolor": "white", "edgecolor": "black",
                              "linewidth": 0.6},
                        arrowprops={"arrowstyle": "-", "color": "black", "linewidth": 0.8})
    ax.set_xlabel(xlabel or f"Denominator ({result.denominator})")
    ax.set_ylabel(ylabel or f"{result.numerator} / {result.denominator}{' (%)' if percent else ''}")
    ax.set_xlim(0, n_max)
    low = min(float(lim["lower_998"].min()), float(t["proportion"].min()))
    high = max(float(lim["upper_998"].max()), float(t["proportion"].max()))
    pad = 0.05 * (high - low) + 0.005
    ax.set_ylim(max(0.0, low - pad) * scale, min(1.0, high + pad) * scale)
    if title:
        ax.set_title(title)
    ax.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return fig
