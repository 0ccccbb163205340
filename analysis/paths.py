"""Where things live: the repository, the committed sample and templates, and the build caches.

Every path the runtime package reads or writes by default is named here once.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
REPO = PACKAGE.parent
TEMPLATES = REPO / "data_templates"
SAMPLE_EXTRACT = TEMPLATES / "sample_extract"
EXAMPLE_PARAMS = TEMPLATES / "params.example.yml"
CODING_FRAME = TEMPLATES / "adversity_frame.yml"
RECOMMENDATION_RULES = TEMPLATES / "recommendations.yml"
BOOK_TOC = REPO / "_toc.yml"
COMPARE_TOC = REPO / "book" / "compare" / "_toc.yml"
CACHE = REPO / "_build" / "cache"
