"""Placeholder: filled in by its own slice of issue 10."""

from flask import render_template


def register(bp, runtime) -> None:
    @bp.get("/")
    def dashboard():
        return render_template("admin/placeholder.html", title="dashboard")
