"""Cost of need: counts of services used, times unit costs read from a YAML file (never written into code).

This describes what the needs of the children cost the public purse at the stated unit costs. It is not an
estimate of avoidable cost or of savings: there is no counterfactual, so nothing here says what would have been
spent had the adversity been prevented or met earlier. Social care and SEND unit costs are shown side by side and
added up only as a description of the same children's use of both.

The unit cost file (see data_templates/unit_costs.example.yml):

    currency: GBP                      # optional, default GBP
    price_base: 2023-24                # optional: uprate every cost to this price year ...
    inflation_index: {2016-17: ..., 2017-18: ..., 2023-24: ...}   # ... with this index (e.g. PSSRU inflators)
    items:
      <item id>:
        label: what is costed
        quantity: what the count counts, e.g. "child-years with an EHC plan"
        value: unit cost (a positive number)
        unit: per year | per episode | per week
        source: where the figure comes from
        price_year: the price base of `value`, e.g. 2017-18
        sensitivity: {low: 0.75, high: 1.25}      # multipliers of value, or
                     {range: [low value, high value]}
        example: true                  # a placeholder that must be replaced before publishing (optional)
        by_primary_need:               # optional: need-specific costs, same keys as an item (label/quantity
          ASD: {value: ..., source: ..., price_year: ..., sensitivity: ...}   # and unit are inherited)

`estimate(counts, path)` takes counts by item id (a number, or for an item with `by_primary_need` a mapping of
need code to number) and returns one row per item (or item and need) with the quantity, unit cost, source, price
year, central estimate and the low/high sensitivity range, plus a total row.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from pathlib import Path

import pandas as pd
import yaml

from analysis.errors import UserError

UNITS = ("per year", "per episode", "per week")
REQUIRED = ("value", "unit", "source", "price_year")
COLUMNS = [
    "item",
    "label",
    "primary_need",
    "quantity_label",
    "quantity",
    "unit",
    "unit_cost",
    "price_year",
    "unit_cost_in_base",
    "price_base",
    "source",
    "central",
    "low",
    "high",
    "example",
    "notes",
]


@dataclasses.dataclass(frozen=True)
class UnitCost:
    item: str
    label: str
    quantity: str
    value: float
    unit: str
    source: str
    price_year: str
    low: float  # unit cost at the low end of the sensitivity range
    high: float
    example: bool = False
    notes: str = ""
    by_primary_need: tuple = ()  # ((need, UnitCost), ...)

    def for_need(self, need: str) -> UnitCost:
        return dict(self.by_primary_need).get(need, self)


@dataclasses.dataclass(frozen=True)
class UnitCosts:
    path: Path
    currency: str
    items: dict[str, UnitCost]
    price_base: str | None = None
    inflation_index: dict[str, float] = dataclasses.field(default_factory=dict)

    def factor(self, price_year: str) -> float:
        """The uprating factor from `price_year` to the price base (1 without a price base)."""
        if self.price_base is None:
            return 1.0
        return self.inflation_index[self.price_base] / self.inflation_index[price_year]


def _is_number(v) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(v)


def _parse_item(path: Path, item: str, raw, inherit: dict | None = None) -> UnitCost:
    where = f"{path}: unit cost '{item}'"
    if not isinstance(raw, dict):
        raise UserError(f"{where} must be a mapping with {', '.join(REQUIRED)}.")
    raw = {**(inherit or {}), **raw}
    missing = [k for k in REQUIRED if raw.get(k) in (None, "")]
    if missing:
        raise UserError(
            f"{where} has no {' or '.join(missing)}; every unit cost needs a value, a unit, "
            f"its source and its price year."
        )
    value = raw["value"]
    if not _is_number(value) or value <= 0:
        raise UserError(f"{where}: value must be a positive number, not {value!r}.")
    unit = str(raw["unit"]).strip()
    if unit not in UNITS:
        raise UserError(f"{where}: unit must be one of {', '.join(UNITS)}, not {unit!r}.")
    low, high = _sensitivity(raw.get("sensitivity"), float(value), where)
    needs = ()
    if raw.get("by_primary_need") and inherit is None:
        if not isinstance(raw["by_primary_need"], dict):
            raise UserError(f"{where}: by_primary_need must map need codes to unit costs.")
        base = {k: raw[k] for k in ("label", "quantity", "unit") if k in raw}
        needs = tuple(
            (str(need), _parse_item(path, f"{item}/{need}", sub, base)) for need, sub in raw["by_primary_need"].items()
        )
    return UnitCost(
        item=item,
        label=str(raw.get("label", item)),
        quantity=str(raw.get("quantity", "")),
        value=float(value),
        unit=unit,
        source=str(raw["source"]).strip(),
        price_year=str(raw["price_year"]).strip(),
        low=low,
        high=high,
        example=bool(raw.get("example", False)),
        notes=str(raw.get("notes", "") or "").strip(),
        by_primary_need=needs,
    )


def _sensitivity(sens, value: float, where: str) -> tuple[float, float]:
    """The unit cost at the low and high ends of its sensitivity range (multipliers or a range in the currency)."""
    if sens is None:
        return value, value
    if isinstance(sens, dict) and "range" in sens:
        rng = sens["range"]
        if not (isinstance(rng, list) and len(rng) == 2 and all(_is_number(v) for v in rng)):
            raise UserError(f"{where}: sensitivity range must be [low, high] in the currency.")
        low, high = float(rng[0]), float(rng[1])
        if not 0 <= low <= value <= high:
            raise UserError(
                f"{where}: sensitivity range [{low:g}, {high:g}] must run from at most the value "
                f"({value:g}) to at least it."
            )
        return low, high
    if isinstance(sens, dict) and {"low", "high"} <= set(sens):
        lo, hi = sens["low"], sens["high"]
        if not (_is_number(lo) and _is_number(hi) and 0 <= lo <= 1 <= hi):
            raise UserError(
                f"{where}: sensitivity low and high are multipliers of the value, with "
                f"0 <= low <= 1 <= high (got {lo!r} and {hi!r})."
            )
        return value * lo, value * hi
    raise UserError(f"{where}: sensitivity must be {{low: multiplier, high: multiplier}} or {{range: [low, high]}}.")


def load_unit_costs(path) -> UnitCosts:
    """Read and check a unit cost file; any problem is a `UserError` naming the file and the item."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: no such unit cost file.")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise UserError(f"{path}: not valid YAML ({exc}).") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("items"), dict) or not raw["items"]:
        raise UserError(f"{path}: expected an 'items' mapping of unit costs.")
    items = {str(k): _parse_item(path, str(k), v) for k, v in raw["items"].items()}
    base = raw.get("price_base")
    index = raw.get("inflation_index") or {}
    if base is not None:
        base = str(base)
        index = {str(k): v for k, v in index.items()}
        years = {base} | {u.price_year for it in items.values() for u in (it, *dict(it.by_primary_need).values())}
        lacking = sorted(y for y in years if not (_is_number(index.get(y)) and index.get(y) > 0))
        if lacking:
            raise UserError(
                f"{path}: price_base {base} needs a positive inflation_index value for {', '.join(lacking)}."
            )
    return UnitCosts(path, str(raw.get("currency", "GBP")), items, base, index)


def refuse_examples(costs: UnitCosts, edition: str, synthetic: bool) -> None:
    """A public edition of real data never publishes placeholder costs: every item marked `example: true` must be
    replaced first. The synthetic sample may keep them (its every page says it is synthetic)."""
    if edition != "public" or synthetic:
        return
    examples = [
        name if not sub else f"{name}.by_primary_need.{sub}"
        for name, item in costs.items.items()
        for sub, u in [("", item), *dict(item.by_primary_need).items()]
        if u.example
    ]
    if examples:
        raise UserError(
            f"{costs.path}: {', '.join(examples)} {'is' if len(examples) == 1 else 'are'} marked example: true. A "
            "public edition cannot publish example costs: give your authority's own value, source and price year "
            "and remove `example: true`, or leave unit_costs out of the parameters to build without the Costs chapter."
        )


def _quantity(item: str, q) -> float:
    if not _is_number(q) or q < 0:
        raise UserError(f"count for '{item}' must be a number of zero or more, not {q!r}.")
    return float(q)


def estimate(counts: dict, costs_yaml_path) -> pd.DataFrame:
    """Cost of need: one row per item in `counts` (and per primary need where counts are given by need), with
    quantity x unit cost as the central estimate and quantity x the sensitivity bounds as low and high; then a
    total row adding up each column (the range adds all lows and all highs, so it is the widest case)."""
    costs = load_unit_costs(costs_yaml_path)
    unknown = sorted(set(counts) - set(costs.items))
    if unknown:
        raise UserError(f"{costs.path}: no unit cost for {', '.join(unknown)}; the file has {', '.join(costs.items)}.")
    rows = []
    for item, q in counts.items():
        uc = costs.items[item]
        parts = q.items() if isinstance(q, dict) else [(None, q)]
        for need, qty in parts:
            u = uc.for_need(str(need)) if need is not None else uc
            qty = _quantity(f"{item}/{need}" if need is not None else item, qty)
            f = costs.factor(u.price_year)
            rows.append(
                {
                    "item": item,
                    "label": uc.label,
                    "primary_need": need,
                    "quantity_label": uc.quantity,
                    "quantity": qty,
                    "unit": u.unit,
                    "unit_cost": u.value,
                    "price_year": u.price_year,
                    "unit_cost_in_base": u.value * f,
                    "price_base": costs.price_base or u.price_year,
                    "source": u.source,
                    "central": qty * u.value * f,
                    "low": qty * u.low * f,
                    "high": qty * u.high * f,
                    "example": u.example,
                    "notes": u.notes,
                }
            )
    bases = sorted({r["price_base"] for r in rows})
    total = dict.fromkeys(COLUMNS)
    total.update(
        {
            "item": "total",
            "label": "Total",
            "central": sum(r["central"] for r in rows),
            "low": sum(r["low"] for r in rows),
            "high": sum(r["high"] for r in rows),
            "example": any(r["example"] for r in rows),
            "price_base": (bases[0] if len(bases) == 1 else "mixed: " + ", ".join(bases)) if bases else None,
            "notes": ""
            if len(bases) <= 1
            else "items are in different price years; set price_base and inflation_index to put them on one base",
        }
    )
    out = pd.DataFrame([*rows, total], columns=COLUMNS)
    out.attrs["currency"] = costs.currency
    return out
