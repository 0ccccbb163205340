"""Main points in the style of a statistical bulletin: a few plain sentences with rounded numbers, fair comparisons,
what they mean for commissioners, and the facts of the release (date, next update, status, contact).

Every number comes from `measures.json`, which disclosure control has already been over; a measure it hid becomes a
sentence saying the figure is withheld, never a number. Every qualitative word is decided by a computed comparison:
shares are worded by `proportion` (a rounded fraction), `narrative.how_many` (so "most" means more than half) or by
whether two 95% intervals overlap (`compared`), never typed. Reads the study by duck type (`params`, `measures`,
`comparison`, `provenance`, `fired`).

>>> proportion(0.2147, "children")
'about one in five children (21%)'
>>> rounded(24213)
'24,200'
"""

from __future__ import annotations

import datetime as dt
import math

from analysis.privacy import disclosure
from analysis.report import narrative

WITHHELD = "is withheld because too few children were involved"
DEFAULT_STATUS = "Management information; not official statistics"
PLACEHOLDER_CONTACT = "the authority's performance and intelligence team"
RELEASE_LABELS = {  # release_facts' keys, as a page or the briefing labels them
    "published": "Published",
    "next_update": "Next update",
    "status": "Statistics status",
    "contact": "Contact",
}
EXPANSIONS = (  # each acronym spelled out where it first appears in a list of sentences
    ("EHC needs assessment", "Education, Health and Care (EHC) needs assessment"),
    ("SEND", "special educational needs and disabilities (SEND)"),
)
MONTHS = (  # English month names whatever the machine's locale
    "January February March April May June July August September October November December".split()
)


def rounded(n) -> str:
    """A count as a bulletin rounds it: exact below 1,000, three significant figures above, millions in words.

    >>> [rounded(n) for n in (163, 3073, 24213, 24250, 60000, 999_950, 1_234_567)]
    ['163', '3,070', '24,200', '24,300', '60,000', '1 million', '1.23 million']
    """
    n = int(n)
    if n < 1000:
        return narrative.count(n)
    step = 10 ** (int(math.log10(n)) - 2)
    r = (n + step // 2) // step * step  # halves round up, as a bulletin rounds them
    return f"{r / 1e6:.3g} million" if r >= 1_000_000 else narrative.count(r)


def about(n) -> str:
    """A count rounded as a bulletin rounds it, with "about" when rounding changed it.

    >>> about(163), about(1024), about(60000)
    ('163', 'about 1,020', '60,000')
    """
    return rounded(n) if rounded(n) == narrative.count(int(n)) else f"about {rounded(n)}"


def of(words: str) -> str:
    """`narrative.how_many`'s words ready to stand before a plural noun.

    >>> [of(w) + " children" for w in ("most", "a minority", "half", "none")]
    ['most children', 'a minority of the children', 'half of the children', 'none of the children']
    """
    return f"{words} of the" if words in ("a minority", "half", "none") else words


def percent(p: float) -> str:
    """A share to a whole per cent, or to one decimal place when it would otherwise read as 0% or 100%.

    >>> [percent(p) for p in (0.2147, 0.004, 0.998, 0.0, 1.0)]
    ['21%', '0.4%', '99.8%', '0%', '100%']
    """
    return narrative.pct(p, 1 if 0 < p < 0.005 or 0.995 < p < 1 else 0)


NUMBER_WORDS = {  # the numbers a rounded fraction can hold, in words: "one in five" is no count of children
    **dict(enumerate("one two three four five six seven eight nine ten eleven twelve".split(), start=1)),
    **{15: "fifteen", 20: "twenty", 25: "twenty-five", 30: "thirty", 35: "thirty-five", 40: "forty"},
    **{45: "forty-five", 50: "fifty", 60: "sixty", 70: "seventy", 80: "eighty", 90: "ninety", 100: "a hundred"},
}


def _fraction(p: float) -> str:
    """The nearest simple fraction of a share (0.01 to 0.95), in words: 'one in four', 'four in five', 'half'.
    Words, not numerals, as a statistical bulletin may: "1 in 4 children" would read as a count of four children
    to a reader and to the publish gate."""
    if p < 0.35:
        n = round(1 / p)
        n = n if n <= 12 else 5 * round(n / 5) if n <= 50 else 10 * round(n / 10)
        return f"one in {NUMBER_WORDS[n]}"
    if 0.45 <= p <= 0.55:
        return "half"
    k, n = min(((k, n) for n in (2, 3, 4, 5, 6, 10) for k in range(1, n)), key=lambda f: (abs(f[0] / f[1] - p), f[1]))
    return f"{NUMBER_WORDS[k]} in {NUMBER_WORDS[n]}"


def proportion(p: float, noun: str = "") -> str:
    """A share as words, the noun after the fraction and the per cent after both.

    >>> [proportion(p) for p in (0.25, 0.54, 0.79, 0.086, 0.0123, 0.4)]
    ['about one in four (25%)', 'about half (54%)', 'about four in five (79%)', 'about one in twelve (9%)', \
'about one in eighty (1%)', 'about two in five (40%)']
    >>> [proportion(p, "children") for p in (0.0, 0.004, 0.97, 1.0)]
    ['none of the children (0%)', 'fewer than one in a hundred children (0.4%)', 'almost all children (97%)', \
'all children (100%)']
    """
    noun = f" {noun}" if noun else ""
    if p <= 0:
        words = "none of the" + noun if noun else "none"
    elif p >= 1:
        words = "all" + noun
    elif p < 0.01:
        words = "fewer than one in a hundred" + noun
    elif p > 0.95:
        words = "almost all" + noun
    elif _fraction(p) == "half":
        words = "about half of the" + noun if noun else "about half"
    else:
        words = f"about {_fraction(p)}{noun}"
    return f"{words} ({percent(p)})"


def withheld(m) -> bool:
    """Whether a measure (a dict of measures.json, or a bare value) was hidden by disclosure control: marked
    suppressed, replaced by the symbol, or holding the symbol where a number should be."""
    if disclosure.is_suppressed(m):
        return True
    if not isinstance(m, dict):
        return False
    numbers = [m.get(k) for k in ("value", "numerator", "denominator")]
    return bool(m.get("suppressed")) or any(disclosure.is_suppressed(v) for v in [*numbers, *m.get("interval", ())])


def shown(m) -> bool:
    """Whether a measure can be stated: present, not withheld, and with a value (a share of nobody has none)."""
    return isinstance(m, dict) and not withheld(m) and m.get("value") is not None


def compared(a: dict, b: dict) -> int:
    """+1 if a's 95% interval lies wholly above b's, -1 if wholly below, 0 if they overlap (no clear difference).

    >>> compared({"interval": [0.2, 0.3]}, {"interval": [0.1, 0.15]}), compared({"interval": [0.2, 0.3]},
    ...     {"interval": [0.25, 0.4]})
    (1, 0)
    """
    (a_low, a_high), (b_low, b_high) = a["interval"], b["interval"]
    return 1 if a_low > b_high else -1 if a_high < b_low else 0


def expand_acronyms(sentences: list[str]) -> list[str]:
    """The sentences with each acronym in `EXPANSIONS` spelled out at its first use only (an expansion elsewhere, as
    when sections written to stand alone are put together, goes back to the acronym).

    >>> expand_acronyms(["An EHC needs assessment.", "Another Education, Health and Care (EHC) needs assessment, SEND"])
    ['An Education, Health and Care (EHC) needs assessment.', \
'Another EHC needs assessment, special educational needs and disabilities (SEND)']
    """
    out = list(sentences)
    for short, full in EXPANSIONS:
        out = [s.replace(full, short) for s in out]
        i = next((i for i, s in enumerate(out) if short in s), None)
        if i is not None:
            out[i] = out[i].replace(short, full, 1)
    return out


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def period(params: dict) -> str:
    """The study window as 'April 2016 to March 2026'."""
    start, end = (dt.date.fromisoformat(str(params[k])[:10]) for k in ("study_start", "study_end"))
    return f"{MONTHS[start.month - 1]} {start.year} to {MONTHS[end.month - 1]} {end.year}"


def _known(m: dict, params: dict) -> str:
    """Requesting children already known to social care, set beside all resident children when there are any."""
    cohort, known = m.get("cohort_size"), m.get("known_to_csc")
    what = "already known to children's social care before their EHC needs assessment request"
    if cohort is None or withheld(cohort):
        return f"The number of children {what} {WITHHELD}."
    lead = f"Of {about(cohort)} children whose first EHC needs assessment request was made from {period(params)}"
    if not shown(known):
        return f"{lead}, the number already known to children's social care before the request {WITHHELD}."
    text = (
        f"{lead}, {proportion(known['value'])} were already known to children's social care (a "
        f"{known.get('tier', 'referral')} or more) before the request."
    )
    population = m.get("population_known_to_csc")
    if population is None:
        return text
    if not shown(population):
        return f"{text} The share of all children in the area known to social care {WITHHELD}."
    word = {1: "a higher share than", -1: "a lower share than", 0: "no clear difference from"}[
        compared(known, population)
    ]
    return (
        f"{text} That is {word} among all children living in the area over the same years "
        f"({percent(population['value'])})."
    )


def _adversity(m: dict) -> str:
    """Adversity documented before the request, with the commonest kinds."""
    adversity = m.get("with_adversity")
    if not shown(adversity):
        return f"The number of children with adversity documented before their request {WITHHELD}."
    text = f"{_sentence(proportion(adversity['value'], 'children'))} had adversity documented before their request"
    domains = [d for d in m.get("domains", []) if d.get("name") != "other" and shown(d)]
    top = [narrative.lowercase(d["label"]) for d in sorted(domains, key=lambda d: -d["value"])[:3]]
    if not top:
        return f"{text}; which kinds were commonest {WITHHELD}."
    return f"{text}; the commonest kinds were {narrative.listing(top)}."


def _early(m: dict, age: int) -> str:
    """How many children with adversity had it first documented before the age threshold."""
    before = m.get("first_adversity_before_5")
    age = before.get("age_threshold", age) if isinstance(before, dict) else age
    if before is None or withheld(before):
        return f"The share of children whose adversity was first documented before age {age} {WITHHELD}."
    if not shown(before):
        return f"No child in the records from birth had adversity documented before a request made at {age} or over."
    words = narrative.how_many(int(before["numerator"]), int(before["denominator"]))
    return (
        f"Of the children who requested at {age} or over with adversity documented and whose records began at birth, "
        f"{words} ({percent(before['value'])}) had it first documented before age {age}."
    )


def _like_with_like(m: dict, age: int, sources=None) -> str | None:
    """Early adversity in coded records (and case notes, when supplied: `sources`) among requesting children
    against all resident children, both observed from birth; nothing when there is no resident population."""
    cohort, population = m.get("cohort_early_adversity_coded"), m.get("population_early_adversity")
    if population is None:
        return None
    age = cohort.get("age_threshold", age) if isinstance(cohort, dict) else age
    if not (shown(cohort) and shown(population)):
        return (
            f"The comparison of adversity recorded before age {age} between children who requested an EHC needs "
            f"assessment and all children in the area {WITHHELD}."
        )
    word = {1: "more common among", -1: "less common among", 0: "about as common among"}[compared(cohort, population)]
    than = "as" if word.startswith("about") else "than"
    return (
        f"Adversity in {narrative.coded_evidence(sources)} before age {age} was {word} children who went on to "
        f"request an EHC needs assessment ({percent(cohort['value'])}) {than} among all children in the area "
        f"({percent(population['value'])}), comparing children whose records began at birth in both groups."
    )


def _later_requests(m: dict, info) -> str | None:
    """The landmark comparison: risk of a request by the horizon age with and without early adversity."""
    if info is None or not getattr(info, "available", False) or "landmark_risk_ratio" not in m:
        return None
    landmark, horizon = narrative.ordinal(info.landmark_age), info.horizon_age
    rr, exposed, unexposed = (m.get(f"landmark_risk_{k}") for k in ("ratio", "exposed", "unexposed"))
    if not all(shown(x) for x in (rr, exposed, unexposed)):
        return (
            f"The comparison of requests by age {horizon} between children with and without adversity recorded "
            f"before their {landmark} birthday {WITHHELD}."
        )
    odds = f"({percent(exposed['value'])} against {percent(unexposed['value'])})"
    low, high = rr["interval"]
    if low > 1 or high < 1:
        word = "more" if low > 1 else "less"
        return (
            f"Children with adversity recorded before their {landmark} birthday were {word} likely to have an EHC "
            f"needs assessment request by age {horizon} than children without {odds}."
        )
    return (
        f"There was no clear difference in the chance of an EHC needs assessment request by age {horizon} between "
        f"children with and without adversity recorded before their {landmark} birthday {odds}."
    )


def _early_help(m: dict) -> str:
    help_ = m.get("early_help_before_request")
    if not shown(help_):
        return f"The number of children who had early help before their request {WITHHELD}."
    return f"{_sentence(proportion(help_['value'], 'children'))} had early help before their request."


def main_points(study) -> list[str]:
    """Four to six plain-English sentences: who was already known to social care, what adversity was documented
    and how early, the like-with-like comparisons where a resident population allows them, and early help."""
    m, age = study.measures, study.params.get("age_threshold", 5)
    points = [
        _known(m, study.params),
        _adversity(m),
        _early(m, age),
        _like_with_like(m, age, getattr(study, "adversity_sources", None)),
        _later_requests(m, getattr(study, "comparison", None)),
        _early_help(m),
    ]
    return expand_acronyms([p for p in points if p])


def _implication(rec, m: dict, notes: bool = False) -> str:
    """What a recommendation that fired means for commissioners, in words its own measure decides (a rule edited
    so that the words no longer follow gets the plain form)."""
    known, population = m.get("known_to_csc"), m.get("population_known_to_csc")
    before, review, rr = m.get("first_adversity_before_5"), m.get("review_coverage"), m.get("landmark_risk_ratio")
    if rec.id == "early-identification" and shown(before) and before["value"] > 0.5:
        words = narrative.how_many(int(before["numerator"]), int(before["denominator"]))
        return (
            f"For {of(words)} children with adversity it was first documented before age {before['age_threshold']}, "
            "so Family Hubs, health visiting and early years settings are where it can first be recognised."
        )
    if rec.id == "later-requests" and shown(rr) and rr["interval"][0] > 1:
        return (
            "Children with early adversity were more likely to go on to an EHC needs assessment request, so SEND "
            "and early help services should plan for that demand together."
        )
    if rec.id == "shared-view" and shown(known) and shown(population) and compared(known, population) > 0:
        return (
            "Children reaching an EHC needs assessment were more often already known to social care than children "
            "in the area as a whole, so SEND teams should be able to see, with consent and safeguards, what social "
            "care already knows."
        )
    if rec.id == "record-review" and shown(review) and review["value"] < 0.5:
        words = narrative.how_many(int(review["numerator"]), int(review["denominator"]))
        if notes:
            return (
                f"Case review findings were recorded for {of(words)} children; adversity that coded data cannot show, "
                "such as parental separation, was found here by coding case notes, which a structured case review "
                "field would confirm and complete."
            )
        return (
            f"Case review findings were recorded for {of(words)} children, so adversity that coded data cannot "
            "show, such as parental separation, is under-counted until a structured case review field is used."
        )
    return f"The evidence supports the recommendation to {narrative.lower_first(rec.title.rstrip('.'))}."


def what_this_means(study) -> list[str]:
    """Two to four sentences for commissioners: one for each recommendation whose evidence was clear of chance (at
    most three), then what the figures can and cannot say."""
    fired = list(study.fired)
    notes = narrative.notes_coded(getattr(study, "adversity_sources", None))
    said = [_implication(r, study.measures, notes) for r in fired[:3]]
    if not fired:
        said.append(
            "None of this report's recommendations rests on evidence clear of chance in this edition, so these "
            "figures are best used to watch for change at the next update rather than to change services on their own."
        )
    said.append(
        "The figures show what services recorded, not everything children experienced, and they describe "
        "associations rather than causes."
    )
    return expand_acronyms(said)


def _date(value) -> dt.date:
    return dt.datetime.fromisoformat(str(value)).date() if "T" in str(value) else dt.date.fromisoformat(str(value))


def release_date(study) -> dt.date:
    """The day the study was prepared: the release's publication date."""
    return _date(study.provenance.prepared_at)


def release_facts(study) -> dict:
    """The facts a statistical release states: publication date (the day the study was prepared), the next update
    (a year on, provisional), the statistics' status (management information unless the authority says otherwise)
    and a contact (the authority's, or a placeholder naming the team that usually answers).

    Keys are those of `RELEASE_LABELS`, in its order."""
    published = release_date(study)
    params = study.params
    return {
        "published": f"{published.day} {MONTHS[published.month - 1]} {published.year}",
        "next_update": f"{MONTHS[published.month - 1]} {published.year + 1} (provisional)",
        "status": params.get("statistics_status") or DEFAULT_STATUS,
        "contact": params.get("contact") or PLACEHOLDER_CONTACT,
    }
