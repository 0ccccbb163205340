"""Checks of a built HTML site that need no browser: broken internal links and anything fetched from the network.

The report is read offline (from a folder, a USB stick or an intranet share), so every page must work from
`file://` with no internet:

* **Broken links**: an internal `href`/`src` (or `<meta http-equiv="refresh">` target, `srcset`, CSS `url()`) that
  names a file missing from the site, a path outside the site or from the filesystem root, or a `#fragment`
  that no element on the target page has as its `id` (or `<a name>`).
* **Offline problems**: any resource a reader's browser would fetch from the network by itself: `src`/`srcset`/
  `poster`/`data` attributes, `<link>` stylesheets, fonts, icons, preloads and preconnects, `@import` and
  `url(...)` in `<style>`, `style=""` and the site's `.css` files, and ES module imports in inline scripts, when
  they are `http://`, `https://` or protocol-relative `//` URLs. MathJax or any other script from a CDN is one.
  Plain `<a href="https://...">` links that a reader chooses to click are allowed, as are navigation-only
  `<link rel>` values (`canonical`, `next`, `search`, ...).

Not covered: URLs that JavaScript builds at run time (e.g. sphinx-thebe keeps the thebe CDN address in a variable
and loads it only when a reader presses a launch button, which this book does not show). The browser check in
`tests/browser/axe_check.mjs` blocks and reports any network request a page really makes.

Files under `_static/` are checked as assets (CSS) but not as pages: the `.html` files the theme leaves there are
Jinja macro templates that no reader opens.

Usage: `python tests/support/sitecheck.py SITE_DIR` prints one problem a line and exits 1 if there are any.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

# Schemes that never fetch from the network or point into the site: not links to check, not offline problems.
IGNORED_SCHEMES = {"mailto", "javascript", "tel", "sms", "data", "blob", "about"}
NETWORK_SCHEMES = {"http", "https", "ws", "wss", "ftp"}
# <link rel> values that only describe a relation; the browser fetches nothing for them.
NAVIGATION_RELS = {
    "alternate",
    "author",
    "bookmark",
    "canonical",
    "external",
    "help",
    "index",
    "license",
    "next",
    "prev",
    "previous",
    "search",
    "start",
    "first",
    "last",
    "up",
    "top",
    "contents",
    "copyright",
    "glossary",
    "me",
    "nofollow",
    "noopener",
    "noreferrer",
    "tag",
}
# Elements whose src / srcset / href / poster / data attributes the browser fetches when the page loads.
SRC_ATTRS = {"src", "poster", "data", "srcset", "imagesrcset"}
PAGE_DIRS_SKIPPED = {"_static"}
CSS_URL = re.compile(r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^'")\s][^)]*?))\s*\)""", re.IGNORECASE)
CSS_IMPORT = re.compile(r"""@import\s+(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)
CSS_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
JS_MODULE_IMPORT = re.compile(
    r"""(?:\bimport\s*\(\s*|\bimport\b[^"';]*?\bfrom\s*|\bimport\s+"""
    r"""|\bimportScripts\s*\(\s*)["']((?:https?:)?//[^"']+)["']"""
)


@dataclass
class Reference:
    """One URL found in a page or stylesheet."""

    url: str
    where: str  # e.g. '<script src>', '<a href>', 'CSS url()'
    fetched: bool  # True if the browser loads it by itself (a resource), False if the reader follows it (a link)


class _Page(HTMLParser):
    """Collects the ids and the references of one HTML document."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.refs: list[Reference] = []
        self._in: str | None = None  # inside an inline <style> or <script>
        self._script_type = ""
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v or "") for k, v in attrs}
        if a.get("id"):
            self.ids.add(a["id"])
        if tag == "a" and a.get("name"):
            self.ids.add(a["name"])
        for name in SRC_ATTRS & a.keys():
            if name == "data" and tag != "object":
                continue
            urls = _srcset(a[name]) if name.endswith("srcset") else [a[name]]
            self.refs += [Reference(u, f"<{tag} {name}>", fetched=True) for u in urls]
        href = a.get("href", a.get("xlink:href"))
        if href is not None:
            if tag == "link":
                rels = set(a.get("rel", "").lower().split())
                self.refs.append(
                    Reference(href, f'<link rel="{a.get("rel", "")}">', fetched=not rels or not rels <= NAVIGATION_RELS)
                )
            elif tag in ("use", "image", "feimage"):  # inline SVG
                self.refs.append(Reference(href, f"<{tag} href>", fetched=True))
            elif tag in ("a", "area"):
                self.refs.append(Reference(href, f"<{tag} href>", fetched=False))
        if tag == "meta" and a.get("http-equiv", "").lower() == "refresh":
            m = re.search(r"url\s*=\s*['\"]?([^'\"]+)", a.get("content", ""), re.IGNORECASE)
            if m:
                self.refs.append(Reference(m.group(1).strip(), "<meta http-equiv=refresh>", fetched=False))
        if a.get("style"):
            self.refs += [Reference(u, f"<{tag} style> url()", fetched=True) for u in css_urls(a["style"])]
        if tag in ("style", "script") and "src" not in a:
            self._in, self._script_type, self._text = tag, a.get("type", "").lower(), []

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in ("style", "script"):
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag != self._in:
            return
        text = "".join(self._text)
        if tag == "style":
            self.refs += [Reference(u, "<style>", fetched=True) for u in css_urls(text)]
        elif self._script_type in ("", "module", "text/javascript", "application/javascript"):
            self.refs += [Reference(u, "inline <script> import", fetched=True) for u in JS_MODULE_IMPORT.findall(text)]
        self._in = None


def _srcset(value: str) -> list[str]:
    return [c.strip().split()[0] for c in value.split(",") if c.strip()]


def css_urls(css: str) -> list[str]:
    """Every URL a stylesheet (or a style attribute) refers to, by `url(...)` or `@import "..."`."""
    css = CSS_COMMENT.sub("", css)
    found = ["".join(m) for m in CSS_URL.findall(css)]
    found += ["".join(m) for m in CSS_IMPORT.findall(css)]
    return [u.strip() for u in found]


def is_external(url: str) -> bool:
    """True for a URL that reaches the network: http(s), ws(s), ftp, or protocol-relative `//host/...`."""
    url = url.strip()
    if url.startswith("//"):
        return True
    return urlsplit(url).scheme.lower() in NETWORK_SCHEMES


def _pages(site: Path) -> list[Path]:
    return sorted(p for p in site.rglob("*.html") if not PAGE_DIRS_SKIPPED & set(p.relative_to(site).parts[:-1]))


class _Site:
    def __init__(self, site: Path):
        self.root = site.resolve()
        self._parsed: dict[Path, _Page] = {}

    def rel(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def parse(self, page: Path) -> _Page:
        if page not in self._parsed:
            parser = _Page()
            parser.feed(page.read_text(encoding="utf-8", errors="replace"))
            parser.close()
            self._parsed[page] = parser
        return self._parsed[page]

    def check_internal(self, source: Path, url: str, where: str) -> str | None:
        """Why an internal URL in `source` is broken, or None if it resolves."""
        parts = urlsplit(url.strip())
        if parts.scheme or parts.netloc:
            if parts.scheme.lower() == "file":
                return f"{where} {url!r}: a file:// URL only works on the machine that built the site"
            return None  # some other scheme (urn:, tel:, ...): nothing in the site to check
        path, fragment = unquote(parts.path), unquote(parts.fragment)
        if path.startswith("/"):
            return f"{where} {url!r}: starts at the filesystem root, so it breaks when the site is opened from a folder"
        if path:
            target = (source.parent / PurePosixPath(path)).resolve()
            if not target.is_relative_to(self.root):
                return f"{where} {url!r}: points outside the site"
            if target.is_dir():
                target = target / "index.html"
            if not target.is_file():
                return f"{where} {url!r}: {self.rel(target)} does not exist"
        else:
            target = source
        if fragment and fragment != "top" and target.suffix.lower() in (".html", ".htm"):
            if fragment not in self.parse(target).ids:
                return f"{where} {url!r}: no element with id {fragment!r} in {self.rel(target)}"
        return None


def _problems_for(site: _Site, source: Path, refs: list[Reference]) -> list[str]:
    problems = []
    name = site.rel(source)
    for ref in refs:
        url = ref.url.strip()
        if not url or urlsplit(url).scheme.lower() in IGNORED_SCHEMES:
            continue
        if is_external(url):
            if ref.fetched:
                what = " (MathJax from a CDN: point mathjax_path at a local copy)" if "mathjax" in url.lower() else ""
                problems.append(f"{name}: offline: {ref.where} loads {url} from the network{what}")
            continue
        why = site.check_internal(source, url, ref.where)
        if why:
            problems.append(f"{name}: broken link: {why}")
    return problems


def check_site(site_dir: str | Path) -> list[str]:
    """Every broken internal link and every network fetch in the built site at `site_dir` (its html folder).

    Returns human-readable problems, one per string, sorted; an empty list means the site is whole and offline.
    """
    site = _Site(Path(site_dir))
    if not site.root.is_dir():
        return [f"{site_dir}: not a directory"]
    pages = _pages(site.root)
    problems = [] if pages else [f"{site_dir}: no .html pages"]
    for page in pages:
        problems += _problems_for(site, page, site.parse(page).refs)
    for css in sorted(site.root.rglob("*.css")):
        text = css.read_text(encoding="utf-8", errors="replace")
        refs = [Reference(u, "CSS @import/url()", fetched=True) for u in css_urls(text)]
        # `url(#id)` in CSS names an SVG element of the page being styled, not of the stylesheet: skip those.
        problems += _problems_for(site, css, [r for r in refs if not r.url.startswith("#")])
    return sorted(set(problems))


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python tests/support/sitecheck.py SITE_DIR", file=sys.stderr)
        return 2
    problems = check_site(args[0])
    for p in problems:
        print(p)
    print(f"{len(problems)} problem(s) in {args[0]}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
