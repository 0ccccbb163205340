"""A Sphinx extension: every page is written again on every build, while only changed pages are read again.

An incremental Sphinx build (see `html_build`) writes only the pages whose sources changed, so a page that links to
a heading an edit removed would keep its dead link, and the warning that makes the build fail (`-n -W`) would
never be raised. References are resolved, and checked, when a page is written: writing every page keeps the check
whole. Writing is cheap beside reading the executed notebooks, which stays incremental.
"""

from __future__ import annotations


def _every_page(app, env) -> list[str]:
    return sorted(env.found_docs)


def setup(app) -> dict:
    app.connect("env-get-updated", _every_page)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
