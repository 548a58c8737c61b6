"""Every messaging provider the bot knows. Adding one: a folder under webhooks/
with NAME, configured(settings), make_blueprint and make_channel (see contract.py),
SMS_GATEWAY = True if it carries SMS, its test table, and one line here."""

from . import console, kannel, smsgate, zalo

PROVIDERS = {
    console.NAME: console,
    zalo.NAME: zalo,
    kannel.NAME: kannel,
    smsgate.NAME: smsgate,
}

# Providers that send and receive SMS: replies and bulk messages may be routed among them.
SMS_GATEWAYS = tuple(name for name, provider in PROVIDERS.items()
                     if getattr(provider, "SMS_GATEWAY", False))
