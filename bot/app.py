"""The app factory. `wsgi.py` is `app = create_app()`; tests pass overrides."""

import logging

from datetime import datetime, timezone

from flask import Flask, jsonify, render_template, request
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy import text

from webhooks.registry import PROVIDERS

from . import cli
from .config import ROOT, Settings
from .runtime import Runtime
from .inbound.queue import stats as inbound_stats
from .delivery.stats import delivery_stats
from .embedded import EmbeddedWorker
from .console import make_blueprint as console_blueprint


class NoSessionForWebhooks(SecureCookieSessionInterface):
    """Providers carry no cookie: do not look for one on every message."""

    def open_session(self, app, request):
        if request.path.startswith("/webhooks/"):
            return None   # Flask then uses its null session
        return super().open_session(app, request)


def create_app(overrides: dict | None = None) -> Flask:
    settings = Settings.load(overrides)
    app = Flask(__name__, instance_path=str(ROOT / "instance"))
    app.config.update(SECRET_KEY=settings.secret_key, MAX_CONTENT_LENGTH=1024 * 1024)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app.session_interface = NoSessionForWebhooks()
    runtime = Runtime(settings)
    app.extensions["cdht"] = runtime

    for provider in PROVIDERS.values():
        if provider.configured(settings):
            app.register_blueprint(provider.make_blueprint(runtime.host, settings))

    app.register_blueprint(console_blueprint(runtime))

    workers = EmbeddedWorker(settings)
    app.extensions["cdht.workers"] = workers
    if settings.workers_embedded:
        @app.before_request
        def _start_workers():
            workers.ensure_started()

    @app.get("/healthz")
    def healthz():
        queue = {}
        try:
            with runtime.db.read() as session:
                session.execute(text("SELECT 1"))
                now = datetime.now(timezone.utc)
                queue = inbound_stats(session, now, runtime.inbox)
                queue.update(delivery_stats(session, settings, now))
            database = "ok"
        except Exception as exc:
            database = f"error: {type(exc).__name__}"
        status = 200 if database == "ok" else 503
        zalo = runtime.host.tokens("zalo").status() if database == "ok" else None
        return jsonify(status="ok" if status == 200 else "degraded", database=database,
                       criteria=f"{runtime.criteria.id} {runtime.criteria.version}",
                       embedded_workers=settings.workers_embedded, zalo=zalo, **queue,
                       counters=dict(runtime.host.counters)), status

    @app.errorhandler(413)
    def _too_large(_error):
        if request.path.startswith("/admin/"):
            return render_template("admin/error.html", code=413,
                                   message="Tệp hoặc biểu mẫu quá lớn (tối đa 1 MB)."), 413
        return jsonify(error="request body too large (at most 64 KB for webhooks)"), 413

    @app.errorhandler(404)
    def _not_found(_error):
        if request.path.startswith("/admin/"):
            return render_template("admin/error.html", code=404, message="Không có trang này."), 404
        return jsonify(error=f"no such page: {request.path}"), 404

    @app.errorhandler(405)
    def _method(error):
        response = jsonify(error=f"{request.method} is not allowed here")
        response.headers["Allow"] = ", ".join(sorted(error.valid_methods or ()))
        return response, 405

    cli.register(app)
    return app
