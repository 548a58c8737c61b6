"""The console provider: talk to the bot over HTTP as a Zalo or SMS citizen would.

`POST /webhooks/console` with {"from": "<any id>", "text": "...", "channel": "zalo"|"sms",
"id": "<optional message id, for dedup>"} answers 200 {"replies": [...]} with the
texts this message queued, rendered for that channel. `/simulator` is a
phone-shaped page over the same endpoint. Mounted only when CDHT_CONSOLE=1.
"""

import uuid

from flask import Blueprint, jsonify, render_template

from ..contract import CHANNELS, Host, InboundMessage, OutboundMessage, SendResult
from ..http import BodyTooLarge, clean_id, json_or_none, read_body, storable

NAME = "console"
MAX_TEXT = 2000


class BadRequest(ValueError):
    pass


def parse(body) -> InboundMessage:
    """The request body as an InboundMessage, or BadRequest saying which field is wrong."""
    if not isinstance(body, dict):
        raise BadRequest("body must be a JSON object")
    sender, text = body.get("from"), body.get("text")
    channel = body.get("channel", "zalo")
    external_id = body.get("id", None)
    if external_id is None:
        external_id = uuid.uuid4().hex
    if not isinstance(sender, str) or not sender.strip() or len(sender) > 128:
        raise BadRequest("'from' must be a non-empty string of at most 128 characters")
    if not isinstance(external_id, str) or not external_id or len(external_id) > 128:
        raise BadRequest("'id' must be a non-empty string of at most 128 characters")
    if not isinstance(text, str) or len(text) > MAX_TEXT:
        raise BadRequest(f"'text' must be a string of at most {MAX_TEXT} characters")
    if channel not in CHANNELS:
        raise BadRequest(f"'channel' must be one of {', '.join(CHANNELS)}")
    for name, value in (("from", sender), ("id", external_id)):
        if not clean_id(value):
            raise BadRequest(f"'{name}' must not contain control characters or invalid Unicode")
    if not storable(text):
        raise BadRequest("'text' is not valid Unicode")
    return InboundMessage(provider=NAME, external_id=external_id, channel=channel,
                          address=sender.strip(),
                          text=text.replace("\x00", ""))   # PostgreSQL keeps no NUL in text


def configured(settings) -> bool:
    return bool(settings.console)


def make_blueprint(host: Host, settings=None) -> Blueprint:
    bp = Blueprint(NAME, __name__, template_folder="templates")

    @bp.post("/webhooks/console")
    def receive():
        try:
            message = parse(json_or_none(read_body()))
        except BodyTooLarge as exc:
            return jsonify(error=str(exc)), 413
        except BadRequest as exc:
            return jsonify(error=str(exc)), 400
        result = host.answer(message)   # inline: the replies go back in this answer
        return jsonify(replies=[r.text for r in result.replies],
                       segments=[{"count": r.segments, "encoding": r.encoding}
                                 for r in result.replies],
                       duplicate=result.duplicate)

    @bp.get("/simulator")
    def simulator():
        return render_template("simulator.html")

    return bp


class ConsoleChannel:
    """Replies were already handed back in the HTTP answer; sending only records it."""
    name = NAME

    def parts(self, text: str) -> list[str]:
        return [text]

    def send(self, message: OutboundMessage) -> SendResult:
        return SendResult(provider_message_id=f"console-{message.outbox_id}")


def make_channel(host: Host, settings=None) -> ConsoleChannel:
    return ConsoleChannel()
