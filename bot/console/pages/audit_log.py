"""Placeholder: filled in by its own slice of issue 10."""

from flask import render_template


def register(bp, runtime) -> None:
    @bp.get("/audit_log")
    def audit():
        return render_template("admin/placeholder.html", title="audit_log")
