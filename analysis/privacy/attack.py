"""The attacker: tries to recover every hidden count from everything published, as a determined reader would.

The published cells of a universe are linear equations in the sizes of its *atoms* (the groups of units that every
registered cell classifies alike); sizes are never negative. The attacker knows which atoms exist, which makes it
stronger than a real reader (who does not know which combinations are empty): what it cannot pin down, nobody can.
Three routes:

- **linear**: the smallest and largest value an audited hidden count can take given every shown cell (a linear
  programme, solved with HiGHS; differences within and across tables, totals, nested groups and cumulative steps are
  all special cases). It is recovered when the bounds are closer than the threshold: an exact value is the closest.
  Audited are the small counts (primary suppression), every small group found by differencing, and counts hidden to
  stop differencing between editions.
- **difference**: two shown cells whose difference is a group of 1 to threshold - 1 units (the children known only
  through probabilistic links; the requests between two ages of a cumulative incidence). The group becomes an
  audited set: recovered while the published cells pin it down.
- **edition**: a cell whose value moved by 1 to threshold - 1 since the previous edition's ledger.

The linear programme is a relaxation (sizes need not be whole numbers), so its bounds are never narrower than the
true ones for whole numbers: a set it calls safe is safe against linear attacks, with this relaxation's known limit.
"""

from __future__ import annotations

import dataclasses
import hashlib

import highspy
import numpy as np
import scipy.sparse as sp

from analysis.privacy import disclosure
from analysis.privacy.registry import Quantity, Registry

INF = highspy.kHighsInf
TOLERANCE = 1e-6


@dataclasses.dataclass
class Finding:
    """A count the attacker recovers: how, within what bounds, and which shown cells it used."""

    target: Quantity
    route: str  # "linear" | "edition"
    low: float
    high: float
    via: list[Quantity]

    def describe(self) -> dict:
        """The finding as the audit reports it: keys only, never a value."""
        return {
            "cell": (self.target.keys or ["(a difference of published cells)"])[0],
            "route": self.route,
            "recovered_within": int(round(self.high - self.low)) if np.isfinite(self.high - self.low) else None,
            "using": sorted({k for q in self.via for k in q.keys[:1]})[:6],
        }


class Attacker:
    """One attacker per build: the atoms and the linear programme of each universe, kept between rounds (hiding a cell
    frees its equation; the programme is warm-started from the last solution)."""

    def __init__(self, reg: Registry, previous: dict[str, int] | None = None) -> None:
        self.reg, self.previous = reg, previous or {}
        self.threshold = reg.threshold
        self.safe: set[int] = set()
        self.programmes = {
            u: _Programme([q for q in reg.quantities.values() if q.universe == u and q.published])
            for u in sorted({q.universe for q in reg.quantities.values()})
        }

    def first_round(self) -> list[Finding]:
        """Editions and differences (once: hiding never creates a new difference), then the linear attack."""
        edition = _editions(self.reg, self.previous, self.threshold)
        for p in self.programmes.values():
            for members in small_differences(p, self.threshold):
                _virtual(self.reg, p.universe, members)
        return edition + self.linear()

    def linear(self) -> list[Finding]:
        """Every audited hidden count not yet shown safe, bounded by the linear programme."""
        found = []
        for q in list(self.reg.quantities.values()):
            if not q.protect or q.shown or id(q) in self.safe:
                continue
            p = self.programmes[q.universe]
            low, high, via = p.bounds(q.members, self.threshold)
            if high - low < self.threshold:
                found.append(Finding(q, "linear", low, high, via))
            else:
                self.safe.add(id(q))  # hiding more only widens the bounds: it stays safe
        return found

    def hide(self, q: Quantity, why: str) -> None:
        q.hidden = q.hidden or why
        self.programmes[q.universe].free(q)

    def first_that_protects(self, target: Quantity, candidates: list[Quantity], tries: int = 12) -> Quantity | None:
        """The first of `candidates` (in the order given: cheapest first) whose hiding alone makes `target` safe,
        tried one at a time on the programme; None when none of the first `tries` does."""
        p = self.programmes[target.universe]
        for q in candidates[:tries]:
            p.free(q)
            low, high, _ = p.bounds(target.members, self.threshold)
            if high - low >= self.threshold:
                return q
            p.fix(q)
        return None

    def neighbours(self, f: Finding) -> list[Quantity]:
        """Shown cells that count any atom of the target or of the cells the attacker used: the cells whose hiding
        can widen its bounds (a small cell's siblings share no unit with it, only the total they add up to)."""
        p = self.programmes[f.target.universe]
        atoms = np.unique(np.concatenate([p._atoms(q.members) for q in (f.target, *f.via)]))
        rows = np.flatnonzero(np.asarray(p.matrix[:, atoms].sum(axis=1)).ravel())
        return [p.quantities[i] for i in rows if p.quantities[i].shown]


def release_pinned(attacker: Attacker) -> int:
    """Show again every secondary cell that the shown cells pin to its exact value: hiding it protects nothing
    (a reader can work it out), and a table with a symbol anyone can fill in is a worse table. Primary cells
    always stay hidden. Returns how many were released."""
    released = 0
    for q in attacker.reg.quantities.values():
        if q.hidden != "secondary" or not q.published:
            continue
        p = attacker.programmes[q.universe]
        low, high, _ = p.bounds(q.members, np.iinfo(np.int64).max)
        if low == high == q.value:
            q.hidden = None
            p.fix(q)
            released += 1
    return released


def _editions(reg: Registry, previous: dict[str, int], threshold: int) -> list[Finding]:
    """Cells whose value moved by less than the threshold since the previous edition: to be hidden and audited."""
    found = []
    for key, before in previous.items():
        q = reg.cells.get(key)
        if q is not None and q.shown and disclosure.is_small(abs(q.value - before), threshold):
            found.append(Finding(q, "edition", float(before), float(before), []))
    return found


def _virtual(reg: Registry, universe: str, members: np.ndarray) -> Quantity:
    """A set the attacker showed to be small (a difference of two published cells): audited from now on."""
    m = np.unique(members)
    digest = hashlib.blake2b(m.tobytes(), digest_size=16).hexdigest()
    q = reg.quantities.get((universe, digest))
    if q is None:
        q = Quantity(universe, m, [], [], 0, len(reg.quantities), published=False)
        reg.quantities[(universe, digest)] = q
    q.protect = True
    return q


class _Programme:
    """The atoms of one universe and the linear programme over their sizes."""

    def __init__(self, quantities: list[Quantity]) -> None:
        self.universe = quantities[0].universe if quantities else ""
        self.quantities = quantities
        self.row = {id(q): i for i, q in enumerate(quantities)}
        self.atom, self.size = _atoms(quantities)
        self.matrix = _incidence(self.atom, quantities, len(self.size))
        self.highs = _model(self.matrix, quantities)

    def _atoms(self, members: np.ndarray) -> np.ndarray:
        return np.unique(self.atom[members])

    def free(self, q: Quantity) -> None:
        if id(q) in self.row:
            self.highs.changeRowBounds(self.row[id(q)], -INF, INF)

    def fix(self, q: Quantity) -> None:
        if id(q) in self.row:
            self.highs.changeRowBounds(self.row[id(q)], float(q.value), float(q.value))

    def bounds(self, members: np.ndarray, threshold: int) -> tuple[float, float, list[Quantity]]:
        """The least and greatest size of a union of atoms given the shown cells, and the shown cells that bind (the
        least is not sought when the greatest already lies `threshold` above the true size: -inf then)."""
        atoms = self._atoms(members)
        if self.size[atoms].sum() != members.size:
            raise ValueError("an audited set must be a union of atoms")
        cost = np.zeros(self.matrix.shape[1])
        cost[atoms] = 1.0
        bound, via = {}, set()
        for sign in (-1.0, 1.0):  # the greatest first: when it lies the threshold above the truth, it is safe
            if sign > 0 and bound[-1.0] - members.size >= threshold:
                bound[1.0] = -INF
                break
            self.highs.changeColsCost(len(cost), np.arange(len(cost), dtype=np.int32), sign * cost)
            self.highs.run()
            if self.highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
                bound[sign] = -sign * INF  # unbounded: nothing pins it
                continue
            bound[sign] = sign * self.highs.getInfo().objective_function_value
            duals = np.asarray(self.highs.getSolution().row_dual)
            via |= {i for i in np.flatnonzero(np.abs(duals) > TOLERANCE) if self.quantities[i].shown}
        low, high = np.ceil(bound[1.0] - TOLERANCE), np.floor(bound[-1.0] + TOLERANCE)
        return float(low), float(high), [self.quantities[i] for i in sorted(via)]


def _atoms(quantities: list[Quantity]) -> tuple[np.ndarray, np.ndarray]:
    """Each unit's atom (-1 for units no cell counts) and each atom's size: units that every cell classifies alike
    share an atom (found by hashing each unit's pattern of memberships)."""
    n_units = 1 + max((int(q.members.max()) for q in quantities if q.value), default=-1)
    pattern = np.zeros(n_units, dtype=np.uint64)
    stamps = np.random.default_rng(0).integers(1, 2**63, size=len(quantities), dtype=np.uint64)
    used = np.zeros(n_units, dtype=bool)
    for q, s in zip(quantities, stamps):
        pattern[q.members] ^= s
        used[q.members] = True
    atom = np.full(n_units, -1, dtype=np.int64)
    _, atom[used], size = np.unique(pattern[used], return_inverse=True, return_counts=True)
    return atom, size


def _incidence(atom: np.ndarray, quantities: list[Quantity], n_atoms: int) -> sp.csr_matrix:
    """Which atoms each cell counts (cells by atoms)."""
    cols = [np.unique(atom[q.members]) for q in quantities]
    rows = [np.full(len(c), i) for i, c in enumerate(cols)]
    if not cols:
        return sp.csr_matrix((0, n_atoms))
    data = np.ones(sum(len(c) for c in cols))
    return sp.csr_matrix((data, (np.concatenate(rows), np.concatenate(cols))), shape=(len(quantities), n_atoms))


def _model(matrix: sp.csr_matrix, quantities: list[Quantity]) -> highspy.Highs:
    """The programme: atom sizes of 0 or more; each shown cell fixes the sum of its atoms, hidden cells are free."""
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("presolve", "off")  # keep the basis between objectives: each solve starts warm
    lp = highspy.HighsLp()
    lp.num_row_, lp.num_col_ = matrix.shape
    lp.col_cost_ = np.zeros(lp.num_col_)
    lp.col_lower_, lp.col_upper_ = np.zeros(lp.num_col_), np.full(lp.num_col_, INF)
    value = np.array([q.value for q in quantities], dtype=float)
    shown = np.array([q.shown for q in quantities], dtype=bool)
    lp.row_lower_, lp.row_upper_ = np.where(shown, value, -INF), np.where(shown, value, INF)
    csc = matrix.tocsc()
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = csc.indptr, csc.indices, csc.data
    h.passModel(lp)
    return h


def small_differences(p: _Programme, threshold: int) -> list[np.ndarray]:
    """Members of X minus Y for shown cells X, Y that (nearly) nest: X minus Y is a group of 1 to threshold - 1
    units and Y minus X fewer than threshold. (When most of Y lies outside X, X minus Y is pinned only if the
    overlap is published, and then the overlap is a cell nested in X.)"""
    shown = [i for i, q in enumerate(p.quantities) if q.shown and q.value]
    if len(shown) < 2:
        return []
    b = p.matrix[shown]
    inter = (b.multiply(p.size[None, :]) @ b.T).toarray()
    value = np.array([p.quantities[i].value for i in shown])
    diff = value[:, None] - inter  # |X minus Y| for row X, column Y; its transpose |Y minus X|
    out = []
    for a, c in zip(*np.nonzero((diff >= 1) & (diff < threshold) & (diff.T < threshold))):
        x, y = p.quantities[shown[a]], p.quantities[shown[c]]
        out.append(np.setdiff1d(x.members, y.members, assume_unique=True))
    return out
