"""The usual Python receiver, for comparison with hookwell under the same load: Flask behind
gunicorn, the raw body for the signature, boto3 to put the same envelope in SQS, 200 once SQS
has it. GitHub's X-Hub-Signature-256 scheme, as hookwell verifies it."""
import base64
import hashlib
import hmac
import json
import os
from datetime import datetime, timezone

import boto3
from flask import Flask, jsonify, request

with open(os.environ["HOOKWELL_SOURCES_FILE"], encoding="utf-8") as f:
    SECRET = json.load(f)["sources"]["github"]["secrets"][0].encode()
QUEUE_URL = os.environ["HOOKWELL_QUEUE_URL"]
KEPT = ("x-github-event", "x-github-hook-id", "x-github-delivery")

sqs = boto3.client("sqs", endpoint_url=os.environ.get("AWS_ENDPOINT_URL"))
app = Flask(__name__)
app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024


@app.post("/webhooks/github")
def github():
    raw = request.get_data(cache=False)
    expected = "sha256=" + hmac.new(SECRET, raw, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(request.headers.get("X-Hub-Signature-256", ""), expected):
        return jsonify(error="bad_signature"), 401
    event_type = request.headers.get("X-GitHub-Event")
    event_id = request.headers.get("X-GitHub-Delivery")
    if not event_type or not event_id:
        return jsonify(error="no_identity"), 400
    envelope = {
        "v": 1,
        "source": "github",
        "event_type": event_type,
        "event_id": event_id,
        "received_at": datetime.now(timezone.utc).isoformat(),
        "headers": {h: request.headers[h] for h in KEPT if h in request.headers},
    }
    try:
        envelope["body"] = raw.decode("utf-8")
    except UnicodeDecodeError:
        envelope["body"] = base64.b64encode(raw).decode()
        envelope["body_encoding"] = "base64"
    attr = lambda v: {"DataType": "String", "StringValue": v}  # noqa: E731
    try:
        sqs.send_message(
            QueueUrl=QUEUE_URL,
            MessageBody=json.dumps(envelope),
            MessageAttributes={
                "source": attr("github"),
                "event_type": attr(event_type),
                "event_id": attr(event_id),
            },
        )
    except Exception:  # any SDK or transport error: the provider retries
        return jsonify(error="queue_unavailable"), 503
    return jsonify(status="accepted", event_id=event_id)
