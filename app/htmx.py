"""One template, two renderings: the full page, or one block of it for an htmx request."""
from __future__ import annotations

from flask import make_response, render_template
from htmx_flask import request
from jinja2_fragments.flask import render_block


def render(template: str, block: str | None = None, status: int = 200, **context):
    """Render `template`; an htmx request that is not a boost gets only `block`.

    The response varies on HX-Request, so caches keep the two renderings apart.
    """
    if block and request.htmx and not request.htmx.boosted:
        body = render_block(template, block, **context)
    else:
        body = render_template(template, **context)
    response = make_response(body, status)
    response.vary.add("HX-Request")
    return response
