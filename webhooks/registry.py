"""Every messaging provider the bot knows. Adding one: a folder under webhooks/
with NAME, make_blueprint and make_channel (see contract.py), its test table,
and one line here."""

from . import console

PROVIDERS = {
    console.NAME: console,
}
