"""Every messaging provider the bot knows. Adding one: a folder under webhooks/
with NAME, configured(settings), make_blueprint and make_channel (see contract.py),
its test table, and one line here."""

from . import console, kannel, zalo

PROVIDERS = {
    console.NAME: console,
    zalo.NAME: zalo,
    kannel.NAME: kannel,
}
