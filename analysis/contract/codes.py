"""Code lists from the CIN census and SEN2 specifications, with their history by year.

Sources: DfE CIN census XSDs 2017-2024 (as in liia-tools) and the SEN2 guidance and dictionaries (as in
witan.sen2 and the D2I SSD specification), summarised in the team's shared domain reference notes.
"""

from __future__ import annotations

# CIN assessment factors: code -> (first collection year valid, last collection year valid or None).
# The history is checked from the 2017 schema on; 2017 is the earliest year we can vouch for.
EARLIEST_CHECKED_YEAR = 2017
ASSESSMENT_FACTORS: dict[str, tuple[int, int | None]] = {
    **{
        c: (2017, None)
        for c in (
            "1A",
            "1B",
            "1C",
            "2A",
            "2B",
            "2C",
            "3A",
            "3B",
            "3C",
            "4A",
            "4B",
            "4C",
            "5A",
            "5B",
            "5C",
            "6A",
            "6B",
            "6C",
            "7A",
            "8B",
            "8C",
            "8D",
            "8E",
            "8F",
            "9A",
            "10A",
            "11A",
            "12A",
            "13A",
            "14A",
            "15A",
            "16A",
            "17A",
            "20",
            "21",
            "22A",
            "23A",
        )
    },
    "18A": (2017, 2020),
    "19A": (2017, 2020),
    "18B": (2021, None),
    "18C": (2021, None),
    "19B": (2021, None),
    "19C": (2021, None),
    "24A": (2022, None),
}

CIN_PRIMARY_NEED = {
    "N0": "Not stated",
    "N1": "Abuse or neglect",
    "N2": "Child's disability",
    "N3": "Parental disability or illness",
    "N4": "Family in acute stress",
    "N5": "Family dysfunction",
    "N6": "Socially unacceptable behaviour",
    "N7": "Low income",
    "N8": "Absent parenting",
    "N9": "Cases other than children in need",
}

REFERRAL_SOURCE_LABEL = {
    "1A": "Individual: family member, relative or carer",
    "1B": "Individual: acquaintance",
    "1C": "Individual: self",
    "1D": "Individual: other",
    "2A": "Schools",
    "2B": "Education services",
    "3A": "Health: GP",
    "3B": "Health: health visitor",
    "3C": "Health: school nurse",
    "3D": "Health: other primary health",
    "3E": "Health: A&E",
    "3F": "Health: other",
    "4": "Housing",
    "5A": "LA services: social care",
    "5B": "LA services: other internal",
    "5C": "LA services: external or other LA",
    "5D": "LA services: early help (from 2023)",
    "6": "Police",
    "7": "Other legal agency",
    "8": "Other",
    "9": "Anonymous",
    "10": "Unknown",
}
REFERRAL_SOURCE = tuple(REFERRAL_SOURCE_LABEL)

CP_CATEGORY = {
    "NEG": "Neglect",
    "PHY": "Physical abuse",
    "SAB": "Sexual abuse",
    "EMO": "Emotional abuse",
    "MUL": "Multiple",
}

SEX = {"M": "Male", "F": "Female", "U": "Unknown"}

# SEN2 type of need: code -> first SEN2 year valid (DS from 2025).
SEN_TYPE: dict[str, int] = {
    **{c: 2015 for c in ("SPLD", "MLD", "SLD", "PMLD", "SEMH", "SLCN", "HI", "VI", "MSI", "PD", "ASD", "OTH")},
    "DS": 2025,
}
SEN_TYPE_LABEL = {
    "SPLD": "Specific learning difficulty",
    "MLD": "Moderate learning difficulty",
    "SLD": "Severe learning difficulty",
    "PMLD": "Profound and multiple learning difficulty",
    "SEMH": "Social, emotional and mental health",
    "SLCN": "Speech, language and communication needs",
    "HI": "Hearing impairment",
    "VI": "Vision impairment",
    "MSI": "Multi-sensory impairment",
    "PD": "Physical disability",
    "ASD": "Autistic spectrum disorder",
    "OTH": "Other difficulty",
    "DS": "Down syndrome",
}

# SEN2 UPN unknown reasons (SEN2 code set).
SEN2_UPN_UNKNOWN = ("UN1", "UN2", "UN3", "UN5", "UN8", "UN9", "UN10")

# Why an EHC plan ceased (SEN2 named plan CeaseReason).
PLAN_CEASE_REASON = {
    "1": "Reached maximum age",
    "2": "Needs met without a plan",
    "3": "Moved on to higher education",
    "4": "Moved on to paid employment",
    "5": "Transferred to another LA",
    "6": "Young person no longer engages",
    "7": "Moved outside England",
    "8": "Deceased",
    "9": "Other",
}

LINKED_IDENTIFIER_TYPES = ("Unique Pupil Number", "Former Unique Pupil Number", "NHS Number", "SEND Person ID")

# SEN2 request and assessment outcomes.
SEN2_OUTCOME = {"Y": "Yes", "N": "No", "A": "Decision yet to be made", "W": "Withdrawn", "H": "Historical"}

# Adversity types an LA may record in the manual case review table.
REVIEW_ADVERSITY_TYPES = (
    "domestic_abuse",
    "parental_mental_illness",
    "parental_substance_misuse",
    "parental_separation",
    "parental_imprisonment",
    "neglect",
    "emotional_abuse",
    "physical_abuse",
    "sexual_abuse",
    "parental_disability_or_illness",
    "young_carer",
    "extra_familial_harm",
    "other",
)

REVIEW_SOURCE_TYPES = ("case_note", "assessment", "referral", "health_record", "education_record", "other")


def factor_valid_in(code: str, year: int) -> bool:
    """Whether an assessment factor code was in the CIN census code list for a collection year.

    >>> factor_valid_in("18A", 2019), factor_valid_in("18A", 2022), factor_valid_in("24A", 2021)
    (True, False, False)
    """
    if code not in ASSESSMENT_FACTORS:
        return False
    year = max(year, EARLIEST_CHECKED_YEAR)  # earlier code lists were not checked: treat them as the 2017 list
    first, last = ASSESSMENT_FACTORS[code]
    return first <= year and (last is None or year <= last)
