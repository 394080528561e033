"""Server-rendered web dashboard over the read models (``GET /dashboard``).

Jinja2 templates with autoescaping, server-side SVG charts and one stylesheet; no
JavaScript and nothing fetched from the internet.
"""
