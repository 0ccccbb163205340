"""The disclosure registry: every number a build publishes, which units it counts and where it appears.

A published count is a *cell*: a stable key (`table|row|column`, the same from one edition to the next), the set of
units it counts (children, coded events, candidate pairs: codes in one *universe*) and the places it appears (cells
of a table, fields of a measure, a fact a chapter states). A value derived from counts (a share, an interval, an odds
ratio, a cost = quantity x price, a cumulative incidence) is a place of every count it reveals, so it is shown or
hidden with them. Cells that count the same units are one *quantity*: a number hidden in one table is hidden in every
table that shows it. A statistic of a group (a median) is a place of the group's count and needs the group to have
at least `threshold` members.

Registering computes each count from its members, so no published count can disagree with what it claims to count.
`attack` then tries to recover what is hidden and `protect` hides more until it cannot; `render` writes the symbol.
"""

from __future__ import annotations

import dataclasses
import hashlib

import numpy as np
import pandas as pd

from analysis.privacy import disclosure


class RegistryError(Exception):
    """A table or measure registered inconsistently: a programming error, never a user's."""


@dataclasses.dataclass(frozen=True)
class Place:
    """Where a number appears: a table's row and columns, or a measure's fields (`row` is None for measures)."""

    artefact: str  # "table" | "measure" | "fact"
    name: str
    row: int | None
    columns: tuple[str, ...]


@dataclasses.dataclass
class Quantity:
    """A set of units counted by one or more published cells."""

    universe: str
    members: np.ndarray  # sorted unique unit codes
    keys: list[str]
    places: list[Place]
    priority: float  # the higher, the later it is hidden to protect another (headlines are hidden last)
    order: int  # registration order: later rows are hidden first
    hidden: str | None = None  # None, "primary", "secondary" or "edition"
    protect: bool = False  # audited: no attack may pin it down
    published: bool = True  # False for a set the attacker found (a difference of two cells): audited, never shown

    @property
    def value(self) -> int:
        return int(self.members.size)

    @property
    def shown(self) -> bool:
        return self.published and self.hidden is None


class Registry:
    """Cells, quantities, the raw tables and measures they appear in, and how to render them for publication."""

    def __init__(self, threshold: int) -> None:
        self.threshold = threshold
        self.quantities: dict[tuple[str, str], Quantity] = {}
        self.cells: dict[str, Quantity] = {}
        self.tables: dict[str, pd.DataFrame] = {}
        self.measures: dict[str, dict] = {}
        self.facts: dict[str, object] = {}
        self.statistics: list[tuple[Place, Quantity]] = []
        self._units: dict[str, pd.Index] = {}

    def fresh(self) -> Registry:
        """An empty registry with the same threshold and the same codes for the same units."""
        out = Registry(self.threshold)
        out._units = dict(self._units)
        return out

    def units(self, universe: str, keys) -> np.ndarray:
        """Codes for unit keys (pseudonyms, row numbers) in a universe, the same key always the same code."""
        keys = pd.Index(np.asarray(keys, dtype=object))
        known = self._units.get(universe, pd.Index([], dtype=object))
        codes = known.get_indexer(keys)
        if (codes < 0).any():
            known = known.append(pd.Index(pd.unique(keys[codes < 0])))
            self._units[universe] = known
            codes = known.get_indexer(keys)
        return codes.astype(np.int64)

    def count(
        self, key: str, universe: str, members, places=(), priority: float = 1, published: bool = True
    ) -> Quantity:
        """Register one count (`members`: unit codes) and the places showing it or a value derived from it. An
        unpublished count is a group whose size decides whether statistics of it are shown, and nothing else."""
        m = np.unique(np.asarray(members, dtype=np.int64))
        if key in self.cells:
            q = self.cells[key]
            if q.universe != universe or not np.array_equal(q.members, m):
                raise RegistryError(f"{key}: registered twice with different members")
            q.places.extend(p for p in places if p not in q.places)
            return q
        digest = hashlib.blake2b(m.tobytes(), digest_size=16).hexdigest()
        q = self.quantities.get((universe, digest))
        if q is None:
            q = Quantity(universe, m, [], [], priority, len(self.quantities), published=published)
            if disclosure.is_small(q.value, self.threshold):
                q.hidden, q.protect = "primary", True
            self.quantities[(universe, digest)] = q
        q.published = q.published or published
        q.keys.append(key)
        q.places.extend(p for p in places if p not in q.places)
        q.priority = max(q.priority, priority)
        self.cells[key] = q
        return q


@dataclasses.dataclass
class TableSpec:
    """What each column of a registered table is."""

    label: tuple[str, ...]
    counts: dict[str, list]  # column -> members per row; a count not shown as a column is revealed by `derived`
    universe: str = "children"
    derived: dict[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)
    statistics: dict[str, str] = dataclasses.field(default_factory=dict)
    exempt: dict[str, str] = dataclasses.field(default_factory=dict)
    priority: float | list[float] = 1  # one for the table or one per row
    groups: tuple[str, ...] = ()  # counts never published, only the groups `statistics` describe
    # the same count columns counted again in another universe (universe -> column -> members per row), for a table
    # whose rows add up there: domains' child and domain pairs add up to all domains' pairs, children do not
    twins: dict[str, dict[str, list]] = dataclasses.field(default_factory=dict)

    def check(self, name: str, frame: pd.DataFrame) -> None:
        known = {*self.label, *self.counts, *self.derived, *self.statistics, *self.exempt}
        unknown = [c for c in frame.columns if c not in known]
        if unknown:
            raise RegistryError(f"{name}: columns {unknown} are neither labels, counts, derived, statistics nor exempt")
        for col, src in self.derived.items():
            if not set(src) <= set(self.counts):
                raise RegistryError(f"{name}.{col}: derived from {src}, which are not all count columns")


def table(reg: Registry, name: str, frame: pd.DataFrame, spec: TableSpec) -> None:
    """Register a table: every column is a label, a count (members per row), derived from counts of its row, a
    statistic of a counted group, or exempt with a reason. An unaccounted column is an error."""
    spec.check(name, frame)
    reg.tables[name] = frame.reset_index(drop=True)
    counted = {spec.universe: spec.counts, **spec.twins}
    for col, per_row in ((c, r) for counts in counted.values() for c, r in counts.items()):
        if len(per_row) != len(frame):
            raise RegistryError(f"{name}.{col}: {len(per_row)} member sets for {len(frame)} rows")
    priority = spec.priority if isinstance(spec.priority, list) else [spec.priority] * len(frame)
    for i in range(len(frame)):
        label = " / ".join(str(frame.iloc[i][c]) for c in spec.label)
        for universe, counts in counted.items():
            at = "" if universe == spec.universe else f"@{universe}"
            for col, per_row in counts.items():
                if per_row[i] is None:  # this row counts nothing in this universe (a total of pairs only)
                    continue
                shows = (col, *[d for d, src in spec.derived.items() if col in src])
                place = Place("table", name, i, shows)
                reg.count(
                    f"{name}|{label}|{col}{at}", universe, per_row[i], [place], priority[i], col not in spec.groups
                )
        for col, group in spec.statistics.items():
            reg.statistics.append((Place("table", name, i, (col,)), reg.cells[f"{name}|{label}|{group}"]))


def measure(
    reg: Registry, m: dict, members: dict[str, np.ndarray], universe: str = "children", priority: int = 2
) -> None:
    """Register a measure: `members` per count field ("numerator", "denominator", or each of its `counts`); its
    value, interval and E-value are places of every count."""
    name = m["name"]
    reg.measures[name] = m
    derived = tuple(k for k in ("value", "interval", "e_value") if k in m)
    for field, units in members.items():
        place = Place("measure", name, None, (field, *derived))
        reg.count(f"measures|{name}|{field}", universe, units, [place], priority)


def rests_on(reg: Registry, name: str, others: list[str]) -> None:
    """A measure built from others' counts (a standardised share from strata) is hidden with any of them."""
    m = reg.measures[name]
    fields = tuple(k for k in ("numerator", "denominator", "value", "interval") if k in m)
    for other in others:
        for field in ("numerator", "denominator"):
            reg.cells[f"measures|{other}|{field}"].places.append(Place("measure", name, None, fields))


def fact(reg: Registry, key: str, value: object, universe: str | None = None, members=None, group: str | None = None):
    """A number a chapter states: a count (`members`), or a statistic or share of a registered `group` cell."""
    reg.facts[key] = value
    place = Place("fact", key, None, ("value",))
    if members is not None and isinstance(value, int) and value != len(np.unique(members)):
        raise RegistryError(f"facts|{key}: states {value} but counts {len(np.unique(members))}")
    if members is not None:
        reg.count(f"facts|{key}", universe, members, [place])
    elif group is not None:  # a statistic or share of a group: shown when the group is, and not small
        reg.statistics.append((place, reg.cells[group]))
    else:
        raise RegistryError(f"facts|{key}: a fact needs the members it counts or the group it describes")
