"""analysis.sitecheck: broken internal links and network fetches in a built site, on hand-made trees and on the
real sample report."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import sitecheck
from support.sitecheck import check_site

PAGE = """<!DOCTYPE html><html lang="en"><head><title>{title}</title>{head}</head>
<body><main id="main-content">{body}</main></body></html>"""


def write_site(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if name.endswith(".html") and not text.lstrip().startswith("<"):
            text = PAGE.format(title=name, head="", body=text)
        path.write_text(text)
    return root


def page(head: str = "", body: str = "", title: str = "t") -> str:
    return PAGE.format(title=title, head=head, body=body)


@pytest.fixture
def good_site(tmp_path) -> Path:
    return write_site(
        tmp_path / "site",
        {
            "index.html": '<meta http-equiv="Refresh" content="0; url=book/one.html" />',
            "book/one.html": page(
                head='<link rel="stylesheet" href="../_static/style.css?v=1" />'
                '<script src="../_static/app.js"></script>'
                '<link rel="preload" as="script" href="../_static/app.js" />'
                '<link rel="canonical" href="https://example.org/book/one.html" />'
                '<link rel="next" title="Two" href="two.html" /><link rel="index" href="../genindex.html" />',
                body='<a class="skip-link" href="#main-content">Skip</a><h1 id="one">One</h1>'
                '<a href="two.html#part-b">Part B</a> <a href="two.html">Two</a> <a href="#one">top</a>'
                '<a href="">this page</a> <a href="#">also this page</a> <a href="sub/">sub folder</a>'
                '<a href="https://www.gov.uk/">GOV.UK</a> <a href="http://example.org">plain http</a>'
                '<a href="//example.org/x">protocol-relative link</a>'
                '<a href="mailto:analyst@example.org">mail</a> <a href="javascript:void(0)">js</a>'
                '<a href="tel:+440000000000">phone</a>'
                '<img src="../_images/fig%201.png" alt="A figure"'
                ' srcset="../_images/fig%201.png 1x, ../_images/fig2x.png 2x"/>'
                '<img src="data:image/png;base64,iVBORw0KGgo=" alt="inline" />'
                "<div style=\"background: url('../_images/bg.png')\">styled</div>"
                '<script>const LATER = "https://unpkg.com/thebe@0.8.2/lib/index.js";</script>'
                '<svg><use href="#icon"/></svg><svg><symbol id="icon"></symbol></svg>',
            ),
            "book/two.html": page(
                body='<h2 id="part-b">Part B</h2><a name="legacy"></a><a href="one.html#one">back</a>'
                '<a href="../book/one.html#one">back again</a><a href="two.html#legacy">self</a>'
            ),
            "book/sub/index.html": page(body='<a href="../one.html">up</a>'),
            "genindex.html": page(body='<a href="book/one.html">One</a>'),
            "_images/fig 1.png": "png",
            "_images/fig2x.png": "png",
            "_images/bg.png": "png",
            "_static/style.css": '@import "base.css";\n/* url(https://fonts.example.com/in-a-comment.css) */\n'
            "body { background: url(data:image/svg+xml;utf8,<svg></svg>); }\n"
            '@font-face { src: url("fonts/a.woff2") format("woff2"); }\n'
            "a { filter: url(#shadow); }\n",
            "_static/base.css": "p { color: #222; }",
            "_static/fonts/a.woff2": "font",
            "_static/app.js": 'fetch("https://example.org/only-when-asked.json")',
            # The theme's Jinja macro files are not pages and are full of template syntax.
            "_static/webpack-macros.html": "{% macro x() %}<script src=\"{{ pathto('_static/x.js', 1) }}\"></script>"
            '<link href="https://cdn.example.org/y.css" rel="stylesheet">{% endmacro %}',
        },
    )


def test_a_good_site_passes(good_site):
    assert check_site(good_site) == []


def test_a_missing_page_is_a_broken_link(good_site):
    (good_site / "book" / "two.html").unlink()
    problems = check_site(good_site)
    assert any(
        p.startswith("book/one.html: broken link: <a href> 'two.html'") and "book/two.html does not exist" in p
        for p in problems
    ), problems
    assert any("<link rel=\"next\"> 'two.html'" in p for p in problems), problems


def test_a_missing_fragment_is_a_broken_link(good_site):
    (good_site / "book" / "three.html").write_text(
        page(body='<a href="two.html#part-c">C</a><a href="#nowhere">x</a><a href="two.html#part-b">B is fine</a>')
    )
    assert check_site(good_site) == [
        "book/three.html: broken link: <a href> '#nowhere': no element with id 'nowhere' in book/three.html",
        "book/three.html: broken link: <a href> 'two.html#part-c': no element with id 'part-c' in book/two.html",
    ]


def test_missing_images_stylesheets_and_css_assets_are_broken(good_site):
    (good_site / "_images" / "fig2x.png").unlink()
    (good_site / "_static" / "fonts" / "a.woff2").unlink()
    (good_site / "_static" / "base.css").unlink()
    (good_site / "book" / "four.html").write_text(
        page(
            head='<link rel="stylesheet" href="../_static/missing.css" />',
            body='<img src="/abs/logo.png" alt="logo"><a href="../../outside.html">out</a>'
            '<a href="file:///home/analyst/report.html">local</a>',
        )
    )
    problems = "\n".join(check_site(good_site))
    assert "book/one.html: broken link: <img srcset> '../_images/fig2x.png'" in problems
    assert "_static/style.css: broken link: CSS @import/url() 'fonts/a.woff2'" in problems
    assert "_static/style.css: broken link: CSS @import/url() 'base.css'" in problems
    assert "book/four.html: broken link: <link rel=\"stylesheet\"> '../_static/missing.css'" in problems
    assert "'/abs/logo.png': starts at the filesystem root" in problems
    assert "'../../outside.html': points outside the site" in problems
    assert "'file:///home/analyst/report.html': a file:// URL only works on the machine that built the site" in problems


def test_mathjax_from_a_cdn_is_an_offline_problem(good_site):
    (good_site / "book" / "maths.html").write_text(
        page(
            head='<script defer="defer" src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js"></script>',
            body="<p>\\(x^2\\)</p>",
        )
    )
    assert check_site(good_site) == [
        "book/maths.html: offline: <script src> loads https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js "
        "from the network (MathJax from a CDN: point mathjax_path at a local copy)"
    ]


@pytest.mark.parametrize(
    "markup",
    [
        '<script src="//cdn.example.org/lib.js"></script>',
        '<script type="module">import { x } from "https://esm.example.org/x.js";</script>',
        '<link rel="stylesheet" href="https://fonts.googleapis.com/css2?family=Inter" />',
        '<link rel="preconnect" href="https://fonts.gstatic.com" />',
        '<link rel="preload" as="font" href="https://cdn.example.org/f.woff2" />',
        '<link rel="icon" href="https://example.org/favicon.ico" />',
        '<style>@import url("https://cdn.example.org/theme.css");</style>',
        "<style>body { background: url(https://cdn.example.org/bg.png) }</style>",
        '<img src="https://example.org/logo.png" alt="logo">',
        '<img src="logo.png" srcset="https://example.org/logo@2x.png 2x" alt="logo">',
        '<iframe src="https://www.youtube.com/embed/x" title="video"></iframe>',
        '<video poster="http://example.org/p.jpg"></video>',
        '<div style="background-image: url(//example.org/bg.png)"></div>',
    ],
)
def test_anything_the_browser_fetches_from_the_network_is_an_offline_problem(good_site, markup):
    (good_site / "book" / "logo.png").write_text("png")
    (good_site / "book" / "net.html").write_text(page(head=markup))
    problems = check_site(good_site)
    assert len(problems) == 1 and problems[0].startswith("book/net.html: offline: "), problems


def test_an_external_url_in_a_site_stylesheet_is_an_offline_problem(good_site):
    css = good_site / "_static" / "style.css"
    css.write_text(
        css.read_text() + "@import url(https://fonts.example.com/x.css);\n"
        "@font-face { src: url('https://fonts.example.com/a.woff2'); }\n"
    )
    assert check_site(good_site) == [
        "_static/style.css: offline: CSS @import/url() loads https://fonts.example.com/a.woff2 from the network",
        "_static/style.css: offline: CSS @import/url() loads https://fonts.example.com/x.css from the network",
    ]


def test_not_a_site():
    assert check_site("/nonexistent/site") == ["/nonexistent/site: not a directory"]


def test_command_line(good_site, tmp_path, capsys):
    assert sitecheck.main([str(good_site)]) == 0
    (good_site / "book" / "two.html").unlink()
    assert sitecheck.main([str(good_site)]) == 1
    assert "book/two.html does not exist" in capsys.readouterr().out
    assert sitecheck.main([]) == 2


@pytest.fixture(scope="session")
def sample_site(sample_report) -> Path:
    return sample_report / "html"


@pytest.mark.slow
def test_the_built_sample_report_has_no_broken_links_and_works_offline(sample_site):
    assert (sample_site / "index.html").is_file()
    assert check_site(sample_site) == []
