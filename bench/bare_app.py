"""The baseline beside the product: a Flask endpoint that only parses the JSON body.
Served by bench/inbound.py with the same gunicorn settings as the bot."""

import json

from flask import Flask, jsonify, request

app = Flask(__name__)


@app.post("/webhooks/zalo")
def receive():
    body = json.loads(request.get_data())
    return jsonify(ok=True, event=body.get("event_name"))
