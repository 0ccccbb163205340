"""Numbers as words: the formats every chapter uses, so prose and tables agree.

>>> pct(0.54)
'54.0%'
>>> share({"numerator": 54, "denominator": 100, "value": 0.54, "interval": [0.4426, 0.6344]})
'54 of 100 (54.0%; 95% CI 44.3% to 63.4%)'
"""

from __future__ import annotations

import math
import re

from analysis.privacy import disclosure


def pct(x: float, digits: int = 1) -> str:
    if disclosure.is_suppressed(x):
        return "a suppressed share"
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "not available"
    return f"{100 * x:.{digits}f}%"


def count(n) -> str:
    """A count with thousands separators; a suppressed one reads on before its noun.

    >>> count(60000), count("c") + " children"
    ('60,000', 'a suppressed number of children')
    """
    if disclosure.is_suppressed(n):
        return "a suppressed number of"
    return f"{n:,}" if isinstance(n, int) else str(n)


def share(m: dict) -> str:
    """A measure as 'n of N (p%; 95% CI a% to b%)', to be followed by its noun ("... children had"); when suppressed
    (a small numerator, denominator or difference), 'a suppressed number of', which reads the same way.

    >>> share({"suppressed": True, "threshold": 10}) + " children"
    'a suppressed number of children'
    """
    if m.get("suppressed"):
        return "a suppressed number of"
    if not m["denominator"]:
        return "none of 0"
    low, high = m["interval"]
    return f"{count(m['numerator'])} of {count(m['denominator'])} ({pct(m['value'])}; 95% CI {pct(low)} to {pct(high)})"


def years(x: float) -> str:
    """Years to one decimal; a statistic of too few children is not shown.

    >>> years(2.345), years("c"), years(None)
    ('2.3 years', 'not shown (too few children)', 'not available')
    """
    if disclosure.is_suppressed(x):
        return "not shown (too few children)"
    return "not available" if x is None or math.isnan(x) else f"{x:.1f} years"


def listing(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def cell_pct(v) -> str:
    """A table cell holding a proportion, or the suppression symbol.

    >>> cell_pct(0.125), cell_pct("c")
    ('12.5%', 'c')
    """
    return v if disclosure.is_suppressed(v) else pct(v)


def odds_ratio_sentence(table, exposure: str, horizon: int) -> str:
    """The crude and adjusted odds ratios of a request by the horizon age for one exposure, as a sentence (or why
    there are none)."""
    t = table[table["Exposure"] == exposure].set_index("Model") if len(table) else table
    if len(t) < 2:
        return f"There were too few children to estimate odds ratios for {lowercase(exposure)}."
    c, a = t.loc["crude"], t.loc["adjusted"]
    numbers = [c["Odds ratio"], c["Lower 95%"], c["Upper 95%"], a["Odds ratio"], a["Lower 95%"], a["Upper 95%"]]
    if any(isinstance(v, str) or v is None for v in [*numbers, a["E-value"]]):
        return (
            f"The odds ratios for {lowercase(exposure)} are withheld: a count they rest on is small enough to "
            "identify children."
        )
    return (
        f"Children with {lowercase(exposure)} had {c['Odds ratio']:.2f} times the odds of a request by age {horizon} "
        f"(95% CI {c['Lower 95%']:.2f} to {c['Upper 95%']:.2f}); after adjustment, "
        f"{a['Odds ratio']:.2f} (95% CI {a['Lower 95%']:.2f} to {a['Upper 95%']:.2f}), which unmeasured confounding "
        f"would need an association of {a['E-value']:.2f} with both exposure and outcome to explain away (E-value)."
    )


def how_many(part: int, whole: int) -> str:
    """A share in words, by a fixed rule (so that "most" always means more than half).

    >>> [how_many(n, 100) for n in (0, 4, 30, 50, 51, 96, 100)]
    ['none', 'few', 'a minority', 'half', 'most', 'almost all', 'all']
    """
    if whole == 0 or part == 0:
        return "none"
    share = part / whole
    if part == whole:
        return "all"
    if share >= 0.95:
        return "almost all"
    if share > 0.5:
        return "most"
    if share == 0.5:
        return "half"
    return "a minority" if share >= 0.1 else "few"


def co_occurrence(counts) -> str:
    """How often documented adversity came with another kind, as a sentence decided by the counts (a suppressed
    count makes it say so rather than guess)."""
    values = dict(zip(counts["Domains"], counts["Children"]))
    if any(disclosure.is_suppressed(v) for k, v in values.items() if k != "None"):
        return "Numbers are too small to say how often adversity came with another kind"
    several = sum(int(v) for k, v in values.items() if k not in ("None", "1"))
    with_any = several + int(values.get("1", 0))
    if with_any == 0:
        return "No child had documented adversity"
    return (
        f"Of the {count(with_any)} children with documented adversity, {how_many(several, with_any)} "
        f"({count(several)}) had two or more kinds documented before their request"
    )


def top_combination(combinations) -> str:
    """The commonest combination of two or more domains, as words."""
    multi = combinations[
        combinations["Combination"].str.contains(r" \+ ") & (disclosure.shown(combinations["Children"]))
    ]
    if multi.empty:
        return "no combination was common enough to show"
    row = multi.sort_values("Children", ascending=False).iloc[0]
    return f"{lowercase(row['Combination'].replace(' + ', ' with '))} ({count(int(row['Children']))} children)"


def highest_share(table, label: str) -> str:
    """Which category has the highest (unsuppressed) share, as a sentence fragment."""
    t = table[disclosure.shown(table["Share"])]
    if t.empty:
        return "Numbers by type of need are too small to show"
    row = t.sort_values("Share", ascending=False).iloc[0]
    which = f"{lowercase(label)} was {lowercase(str(row[label]))}"
    return f"Adversity was most often documented for children whose {which} ({pct(row['Share'])})"


def event_medians(events) -> str:
    """The median age at each kind of first event, as a sentence. Each median is of the children who had that kind
    of event, so the medians are not a sequence any one child went through, and the sentence does not say so."""
    t = events[disclosure.shown(events["Median age"])]
    if t.empty:
        return "Numbers are too small to show the ages at first events"
    t = t.sort_values("Median age")
    steps = [f"{lowercase(str(r['Event']))} {float(r['Median age']):.1f}" for _, r in t.iterrows()]
    return "Among the children who had each kind of event, the median age at the first was: " + listing(steps)


def flow_sentence(flow) -> str:
    """The selection flow as a sentence: each step with its count."""

    def children(n) -> str:
        return n if disclosure.is_suppressed(n) else count(int(n))

    parts = [f"{lowercase(str(r['Step']))} {children(r['Children'])}" for _, r in flow.iterrows()]
    return "; ".join(parts)


def lowest_completeness(table) -> str:
    """The least complete field, as a sentence fragment."""
    t = table[disclosure.shown(table["Complete"])]
    if t.empty:
        return "too few records to judge completeness"
    row = t.sort_values("Complete").iloc[0]
    when = "" if row["Year"] == "All years" else f" in {row['Year']}"
    return f"the least complete is {row['Field']}, {pct(row['Complete'])} complete{when}"


def largest(table, label: str, lead: str = "the largest group is") -> str:
    """The largest category of a count table (a `label` column and a 'Children' column), as words.

    >>> import pandas as pd
    >>> largest(pd.DataFrame({"Route": ["Contact", "Referral"], "Children": [40, "c"]}), "Route", "the commonest is")
    'the commonest is contact (40 children)'
    """
    t = table[disclosure.shown(table["Children"])]
    if t.empty:
        return "numbers are too small to show"
    row = t.sort_values("Children", ascending=False).iloc[0]
    return f"{lead} {lowercase(str(row[label]))} ({count(int(row['Children']))} children)"


def incidence_at(table, age: int) -> str:
    """Cumulative incidence by group at an age, as words."""
    if table is None or len(table) == 0:
        return "too few children could be followed"
    t = table[(table["Age"] == age) & (disclosure.shown(table["Cumulative incidence"]))]
    if t.empty:
        return f"numbers at age {age} are too small to show"
    return f"by age {age}, " + listing(
        [
            f"{pct(float(r['Cumulative incidence']))} of children with {lower_first(str(r['Group']))}"
            for _, r in t.iterrows()
        ]
    )


def before_threshold_title(m: dict) -> str:
    """A chart title that states the finding: the share of first adversity documented before the threshold age
    (the reference study's definition), or that it is withheld.

    >>> before_threshold_title({"age_threshold": 5, "value": 0.786, "suppressed": False})
    '79% of first adversity was documented before age 5'
    >>> before_threshold_title({"age_threshold": 5, "value": None, "suppressed": True})
    'The share documented before age 5 is withheld: too few children'
    """
    age = m["age_threshold"]
    if m.get("suppressed") or m.get("value") is None:
        return f"The share documented before age {age} is withheld: too few children"
    return f"{pct(m['value'], 0)} of first adversity was documented before age {age}"


def money(value) -> str:
    """Pounds rounded as a statistics producer rounds money: three significant figures, millions in words, so an
    estimate does not claim a precision its unit costs lack; a suppressed amount stays the symbol.

    >>> money(24_213_456), money(312_449), money(4_561), money(87.2), money(1_250_000_000)
    ('£24.2 million', '£312,000', '£4,560', '£87', '£1.25 billion')
    """
    if disclosure.is_suppressed(value):
        return value
    rounded = float(f"{value:.3g}") if value else 0.0
    for size, word in ((1e9, "billion"), (1e6, "million")):
        if abs(rounded) >= size:
            return f"£{rounded / size:.3g} {word}"
    return f"£{rounded:,.0f}"


def cost_sentence(costs, age: int) -> str:
    """The cost of need (a `Costs` section, or None), as a sentence."""
    if costs is None:
        return "No unit costs were given, so no costs are estimated (set unit_costs in the parameters file)."
    if costs.suppressed or not costs.table:
        return "Too few children had early adversity to estimate costs."
    total = dict(zip(costs.table["columns"], costs.table["data"][-1]))
    if disclosure.is_suppressed(total["central"]):
        return (
            f"For the {count(costs.children)} children whose adversity was first documented before age {age}, "
            "the total is not shown: a service used by too few of them is hidden, and the total would give it away."
        )
    return (
        f"For the {count(costs.children)} children whose adversity was first documented before age {age}, "
        f"services recorded here cost an estimated {money(total['central'])} over the study years (range "
        f"{money(total['low'])} to {money(total['high'])})."
    )


def recommendation(rec, measures: dict) -> str:
    """A recommendation's text with each measure it cites (`{name}`) written out: a share as 'n of N (p%; 95% CI
    ...)', an estimate such as a risk ratio as 'x (95% CI a to b)'; `{name.field}` is one field of the measure, such
    as the age it is about (`{landmark_risk_ratio.horizon_age}`), so no rule types an age the run may change."""

    def cite(match: re.Match) -> str:
        m = find(measures, match.group(1))
        return str(m[match.group(2)]) if match.group(2) else cited(m)

    return re.sub(r"\{(\w+)(?:\.(\w+))?\}", cite, rec.text)


def find(measures: dict, name: str) -> dict:
    """A measure by name, at the top level or inside a list (domains, tiers, strata)."""
    if isinstance(measures.get(name), dict):
        return measures[name]
    return next(m for v in measures.values() if isinstance(v, list) for m in v if m.get("name") == name)


def cited(m: dict) -> str:
    """A measure in running text: a share, or an estimate with its interval."""
    return share(m) if "numerator" in m else estimate(m)


def estimate(m: dict, digits: int = 2) -> str:
    """An estimate such as a risk ratio, as 'x (95% CI a to b)', or that it is suppressed.

    >>> estimate({"value": 1.8, "interval": [1.25, 2.6], "suppressed": False})
    '1.80 (95% CI 1.25 to 2.60)'
    """
    if m.get("suppressed"):
        return f"not shown (it rests on fewer than {m['threshold']} children in a group)"
    low, high = m["interval"]
    return f"{m['value']:.{digits}f} (95% CI {low:.{digits}f} to {high:.{digits}f})"


def linkage_quality(lk) -> str:
    """How good the linkage was, as sentences: precision and recall against synthetic ground truth where it
    exists, otherwise Splink's own estimate; and whether the probabilistic pass ran."""
    if lk.precision is not None:
        text = (
            f"Against the known true links of this synthetic authority, precision was {pct(lk.precision)} "
            f"and recall {pct(lk.recall)}: {pct(lk.recall_under_5)} for children first known to social care "
            f"before age five and {pct(lk.recall_5_plus)} for older children."
        )
    elif lk.expected_precision is not None:
        text = (
            "No true links are known for real data; Splink's own estimate of the precision of the probabilistic "
            f"links (their mean match probability) is {pct(lk.expected_precision)}."
        )
    else:
        text = "No true links are known for real data, and the probabilistic pass made no links."
    if lk.probabilistic_pass != "ran":
        text += f" The probabilistic pass did {lk.probabilistic_pass}."
    return text


def estimated_recall(lk) -> str:
    """The recall estimated on the children linked by UPN, linked again without it, as sentences."""
    est = lk.estimated_recall
    if est is None:
        return (
            "Recall could not be estimated: too few children hold a UPN in both sources to serve as a gold "
            "standard, or the probabilistic pass did not run."
        )
    bands = "; ".join(
        f"{pct(b['recall'])} of those {b['band']} at first request"
        + (" (too few to estimate alone: the figure for all ages)" if b["pooled"] else "")
        for b in est["by_age_band"]
    )
    low, high = est["interval"]
    return (
        f"The {count(est['gold_pairs'])} children linked by UPN were linked again with their UPN withheld, as a gold "
        f"standard for the children who have none. The other passes found them again: {bands}. Carried over to the "
        f"children linked without a UPN, the linkage as a whole found an estimated {pct(est['value'])} of the "
        f"children who are in both sources (95% interval {pct(low)} to {pct(high)})."
    )


def linkage_bias(m: dict, names: tuple[str, ...]) -> str:
    """How far each headline could move under the estimated linkage error, as sentences."""
    parts = []
    for name in names:
        b = m[name].get("linkage_bias") if isinstance(m.get(name), dict) else None
        if not b or b["median"] is None:
            continue
        low, high = b["interval"]
        parts.append(
            f"{m[name]['description'].rstrip('.')}: {pct(m[name]['value'])} as measured, {pct(b['median'])} "
            f"allowing for linkage error (95% interval {pct(low)} to {pct(high)})"
        )
    if not parts:
        return "No headline could be adjusted for linkage error (no gold standard to estimate it from)."
    return "; ".join(parts) + "."


SOURCE_KINDS = {
    "ssd": "Standard Safeguarding Dataset tables and SEN2 modules",
    "returns": "the Children in Need census and SEN2 returns",
    "templates": "the project's extract templates",
}


def source_kind(kind: str) -> str:
    """What the extract was made of, in words."""
    return SOURCE_KINDS[kind]


def before_threshold(m: dict) -> str:
    """The before-N share in its main definition, with the reference study's beside it."""
    main, ref = m["first_adversity_before_5"], m["first_adversity_before_5_reference"]
    age = main["age_threshold"]
    return (
        f"Of children observed from birth who requested at {age} or over and had adversity documented before their "
        f"request, {share(main)} children had it first documented before age {age}; under the reference study's "
        f"definition (every child with adversity, whenever they requested and whether or not their early years were "
        f"in the records), {share(ref)} children"
    )


def estimate_pct(m: dict, signed: bool = False) -> str:
    """A risk (or risk difference) as a percentage with its interval.

    >>> estimate_pct({"value": 0.2, "interval": [0.15, 0.26], "suppressed": False})
    '20.0% (95% CI 15.0% to 26.0%)'
    """
    if m.get("suppressed"):
        return "a suppressed figure"
    sign = "+" if signed and m["value"] > 0 else ""
    low, high = m["interval"]
    return f"{sign}{pct(m['value'])} (95% CI {pct(low)} to {pct(high)})"


def known(m: dict) -> str:
    """Known to social care at the headline tier, with the broadest and narrowest tiers beside it."""
    tiers = {t["tier"]: t for t in m["known_tiers"]}
    return (
        f"{share(m['known_to_csc'])} children had a referral or more to children's social care before their request "
        f"({share(tiers['contact'])} children had at least a contact; {share(tiers['child in need'])} children a "
        f"child in need plan, protection enquiry or plan, or care)"
    )


def ordinal(n: int) -> str:
    """5th, 21st, 12th.

    >>> [ordinal(n) for n in (1, 2, 3, 5, 11, 12, 21)]
    ['1st', '2nd', '3rd', '5th', '11th', '12th', '21st']
    """
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def lower_first(text: str) -> str:
    """A title in running text: its first letter in lower case, acronyms left alone (so "SEND" stays "SEND").

    >>> lower_first("Share what social care knows with SEND teams"), lower_first("EHC plans")
    ('share what social care knows with SEND teams', 'EHC plans')
    """
    first = text.split(" ", 1)[0]
    return text if first.isupper() and len(first) > 1 else text[:1].lower() + text[1:]


def lowercase(text: str) -> str:
    """A label in running text: every word in lower case but acronyms ("EHC", "SEND", "CIN").

    >>> lowercase("EHC needs assessment request"), lowercase("Children in the SEND extract")
    ('EHC needs assessment request', 'children in the SEND extract')
    """
    return " ".join(w if len(w) > 1 and w.isupper() else w.lower() for w in text.split(" "))


def disclosure_summary(audit) -> str:
    """What disclosure control did in this edition, in one sentence (numbers of published cells, not children).

    >>> from types import SimpleNamespace as S
    >>> text = disclosure_summary(S(cells_published=455, cells_suppressed={"primary": 21, "secondary": 20},
    ...     recoverable=[], previous_edition=False, audited=60))
    >>> text[:80]
    'In this edition 455 numbers are shown and 41 hidden (21 small counts and 20 more'
    >>> text[-60:]
    'bounded 60 hidden counts and differences and recovered none.'
    """
    hidden = audit.cells_suppressed
    parts = [f"{hidden.get('primary', 0):,} small counts"]
    if hidden.get("secondary"):
        parts.append(f"{hidden['secondary']:,} more so that they cannot be worked out")
    if hidden.get("edition"):
        parts.append(f"{hidden['edition']:,} that moved too little since the previous edition")
    outcome = "recovered none" if not audit.recoverable else f"recovered {len(audit.recoverable):,}"
    return (
        f"In this edition {audit.cells_published:,} numbers are shown and {sum(hidden.values()):,} hidden "
        f"({listing(parts)}); "
        f"the attacker bounded {audit.audited:,} hidden counts and differences and {outcome}."
    )


def previous_edition(audit) -> str:
    """Whether this edition was checked against the previous one's ledger."""
    if audit.previous_edition:
        return "Every number was also compared with the previous edition's, so the two cannot be differenced."
    return (
        "No previous edition was given, so numbers were not compared with last year's; build the next edition with "
        "`--previous` pointing at this one."
    )


COARSENED = {
    "first_adversity_age": "Ages are shown in wider bands than usual",
    "lead_time": "Times are shown in wider bands than usual",
    "linkage_by_year": "Years are pooled in pairs",
    "linkage_weights": "Match weights are shown in bands of 10",
}


def coarsened(audit, table: str) -> str:
    """Why a table has wider bands than usual in this edition, or nothing.

    >>> from types import SimpleNamespace as S
    >>> coarsened(S(coarsened=["linkage_by_year"]), "linkage_by_year")
    'Years are pooled in pairs: with the usual bands too many numbers would have had to be hidden.'
    >>> coarsened(S(coarsened=[]), "linkage_by_year")
    ''
    """
    if table not in (getattr(audit, "coarsened", None) or []):
        return ""
    return f"{COARSENED[table]}: with the usual bands too many numbers would have had to be hidden."


def adversity_sources(sources) -> str:
    """How adversity was found, in words: whether case notes were coded and with which lexicon, and which
    instruments the domains rest on (`sources`: the Study's `adversity_sources`, or None for an older study).

    >>> print(adversity_sources(None))
    No case notes were supplied, so adversity rests on the coded records and any manual case review.
    """
    if not notes_coded(sources):
        return "No case notes were supplied, so adversity rests on the coded records and any manual case review."
    notes_only = [d for d, found in sources.instruments.items() if found == ["case notes (coder)"]]
    with_notes = [d for d, found in sources.instruments.items() if "case notes (coder)" in found]
    no_codes = [d for d, found in sources.instruments.items() if "coded records" not in found]
    text = (
        f"Case notes were coded by rule with the lexicon {sources.lexicon} ({sources.lexicon_terms:,} words and "
        f"abbreviations over {sources.lexicon_domains} domains), for every child known to social care, the "
        f"comparison group as well as the cohort. {len(with_notes)} domains can rest on the case notes"
    )
    if no_codes:
        text += f"; {listing([lowercase(d) for d in no_codes])} have no code in the records and rest on "
        text += "the case notes" + (" alone" if set(no_codes) <= set(notes_only) else " and the manual review")
    return text + "."


def how_adversity_was_found(sources, agreement) -> str:
    """The section's paragraph: the instruments and lexicon, then the coder's agreement with a reviewer (one
    sentence, saying so, when no case notes were supplied)."""
    if not notes_coded(sources):
        return adversity_sources(sources)
    return f"{adversity_sources(sources)} {agreement_sentence(agreement, sources)}"


def agreement_sentence(table, sources) -> str:
    """What the agreement table shows, or why there is none."""
    if not notes_coded(sources):
        return ""
    if table is None or table.empty:
        return (
            "No manual case review covers children with case notes, so the coder's agreement with a reviewer "
            "could not be measured."
        )
    domains, pooled = table.iloc[:-1], table.iloc[-1]  # the last row pools every domain (child and domain pairs)
    shown = domains[~domains["Kappa"].map(disclosure.is_suppressed)]
    lead = (
        f"Where a manual case review covers children with case notes, the coder was compared with the reviewer on "
        f"{len(domains)} domains: precision, recall, F1 and Cohen's kappa with 95% intervals, and how often the two "
        f"dates of first documentation fall within 30 days"
    )
    overall = _pooled_agreement(pooled)
    if shown.empty:
        return f"{lead}{overall}. {NO_DOMAIN_SHOWN}"
    best = shown.sort_values("Kappa", ascending=False).iloc[0]
    return f"{lead}{overall}; agreement was highest for {lowercase(best['Domain'])} (kappa {float(best['Kappa']):.2f})."


NO_DOMAIN_SHOWN = (
    "No single domain's kappa can be shown: each would reveal a count too small to publish, such as the few "
    "children on whom the coder and the reviewer disagreed."
)


def _pooled_agreement(row) -> str:
    """The agreement over all domains together (the table's last row), as a clause."""
    if disclosure.is_suppressed(row["Kappa"]):
        return "; the kappa for all domains together is withheld, as it would reveal a count too small to publish"
    low, high = float(row["Kappa lower 95%"]), float(row["Kappa upper 95%"])
    kappa, f1 = float(row["Kappa"]), float(row["F1"])
    return (
        f"; over all domains together, kappa was {kappa:.2f} (95% CI {low:.2f} to {high:.2f}) and F1 {f1:.2f}, each "
        "child counted once per domain (a child's judgements are not independent, so that interval is a little "
        "narrow)"
    )


CODED_RECORDS = "coded social care records (assessment factors, child protection categories and primary need)"
LEFT_OUT_REVIEW = "it covers only children who had a request, and would find adversity in one group only"


def notes_coded(sources) -> bool:
    """Whether the run coded case notes (`sources`: the Study's `adversity_sources`, None for an older study)."""
    return sources is not None and bool(sources.notes_supplied)


def coded_evidence(sources) -> str:
    """The instruments that count for every child alike, briefly: the coded records, and the case notes when the
    authority supplied them (the manual review covers the requesting cohort only, so it is never among them).

    >>> coded_evidence(None)
    'coded records'
    """
    return "coded records or case notes" if notes_coded(sources) else "coded records"


def grouping_instruments(sources) -> str:
    """The same instruments in full, for the sentence that says how children are grouped.

    >>> grouping_instruments(None) == CODED_RECORDS
    True
    """
    if not notes_coded(sources):
        return CODED_RECORDS
    return f"{CODED_RECORDS} or case notes coded by rule with the lexicon"


def notes_only_domains(sources) -> list[str]:
    """The kinds of adversity (in running text) that have no code in the records but that the case notes find."""
    if not notes_coded(sources):
        return []
    found = sources.instruments.items()
    return [lowercase(d) for d, by in found if "case notes (coder)" in by and "coded records" not in by]


def review_left_out(sources) -> str:
    """Why the manual case review is left out of comparisons with children who had no request, saying so when
    the authority supplied none (an older study, None, is taken to have had one).

    >>> review_left_out(None).startswith("The manual case review is left out here")
    True
    """
    if sources is not None and not sources.review_supplied:
        return f"No manual case review was supplied; one would be left out here, as {LEFT_OUT_REVIEW}."
    return f"The manual case review is left out here: {LEFT_OUT_REVIEW}."


def comparison_grouping(sources) -> str:
    """The comparison's design in words: which instruments group the children before the landmark, what the
    case notes bring when they were supplied, and why the manual case review is left out."""
    text = (
        f"Children are grouped by whether {grouping_instruments(sources)} documented adversity before the "
        "landmark, so the groups are fixed before follow-up begins and no adversity after a request can move a "
        "child between them."
    )
    if notes_coded(sources):
        extra = notes_only_domains(sources)
        text += (
            " Case notes were coded for every child known to social care, whether or not they later had a request, "
            "so they count for both groups alike"
        )
        text += f" and bring in {listing(extra)}, which have no code in the records." if extra else "."
    return f"{text} {review_left_out(sources)}"


def base_rates(m: dict, sources=None) -> str:
    """The like-with-like comparison of early adversity in one sentence (or why it cannot be made), naming the
    instruments the shares rest on: the coded records, and the case notes when they were supplied."""
    cohort, evidence = m["cohort_early_adversity_coded"], coded_evidence(sources)
    age = cohort["age_threshold"]
    if "population_early_adversity" not in m:
        return (
            f"Among requesting children observed from birth, {share(cohort)} children had adversity in {evidence} "
            f"before age {age}; without a resident population table there is no base rate to set beside it"
        )
    return (
        f"{evidence[:1].upper()}{evidence[1:]} showed adversity before age {age} for {share(cohort)} requesting "
        f"children observed from birth, and for {share(m['population_early_adversity'])} resident children "
        f"observed from birth who reached {age}"
    )


def landmark(m: dict, info, sources=None) -> str:
    """The landmark comparison's result in words (or why it was not made), naming the instruments the groups
    rest on."""
    if not info.available:
        return info.why_not
    if "landmark_risk_ratio" not in m or m["landmark_risk_ratio"]["suppressed"]:
        return (
            f"Too few children could be followed from their {ordinal(info.landmark_age)} birthday to compare risks "
            f"by age {info.horizon_age}"
        )
    exposed, unexposed = m["landmark_risk_exposed"], m["landmark_risk_unexposed"]
    return (
        f"Of children followed from their {ordinal(info.landmark_age)} birthday, {estimate_pct(exposed)} of those with "
        f"adversity in {coded_evidence(sources)} before it had a request by age {info.horizon_age}, against "
        f"{estimate_pct(unexposed)} of those without: a risk ratio of {estimate(m['landmark_risk_ratio'])} and a "
        f"difference of {estimate_pct(m['landmark_risk_difference'], signed=True)}"
    )


REVIEW_TABLE = (
    "the manual case review table, which may name the social care person or, for adversity found in education or "
    "health records of a child never known to social care, the SEND person"
)


def no_code_sources(sources) -> str:
    """Where the kinds of adversity with no code in the CIN census (parental separation, imprisonment) come from:
    the case notes when they were coded, and the manual review.

    >>> no_code_sources(None).startswith("they come from the manual case review table")
    True
    """
    if notes_coded(sources):
        notes = "the case notes, coded by rule for every child known to social care"
        return f"they come from {notes}, and from {REVIEW_TABLE}"
    return f"they come from {REVIEW_TABLE}"


def every_instrument(sources) -> str:
    """The instruments a cohort figure about adversity rests on: all of them, the manual review included (the
    cohort's own adversity is not compared with children outside it, so nothing is left out).

    >>> every_instrument(None)
    'the coded records and any manual case review'
    """
    if notes_coded(sources):
        review = "and the manual case review" if sources.review_supplied else "(no manual case review was supplied)"
        return f"the coded records, the case notes (coded by rule) {review}"
    if sources is not None and not sources.review_supplied:
        return "the coded records alone (no manual case review was supplied)"
    return "the coded records and any manual case review"
