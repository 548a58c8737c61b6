"""The officer console at /admin: Flask blueprint, Jinja templates (Vietnamese), static files.

It owns the web pages officers use: login and accounts (auth.py), the scope every query
is narrowed to (scope.py), the audit log (audit.py), and one module per page under
pages/. Work that is not about HTTP lives beside the page that uses it and is a plain
function of a session and `now` (figures.py, recognition.py, reports.py), or in its own
capability package (bot/units/ for importing and reshaping the tree, bot/posters/).
May import storage, flows, messages_vi and the rest of bot; nothing imports it but
bot/app.py and bot/cli.py.
"""

from pathlib import Path

from flask import Blueprint

HERE = Path(__file__).parent


def make_blueprint(runtime) -> Blueprint:
    from . import auth, formatting
    from .pages import PAGES

    bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates",
                   static_folder="static", static_url_path="/static")
    auth.install(bp, runtime)
    formatting.install(bp)
    for page in PAGES:
        page.register(bp, runtime)
    return bp
