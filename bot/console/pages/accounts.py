"""Placeholder: filled in by its own slice of issue 10."""

from flask import render_template


def register(bp, runtime) -> None:
    @bp.get("/accounts")
    def accounts():
        return render_template("admin/placeholder.html", title="accounts")
