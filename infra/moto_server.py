"""moto server as AWS behaves: DynamoDB requests applied one at a time, connections kept alive.

moto's server is threaded and its DynamoDB backend takes no lock, so two concurrent
conditional writes to one item can both pass their condition: something real DynamoDB never
allows, and exactly what hookwell's exactly-once claim relies on. This launcher runs moto's
own WSGI app (same handlers, same state) and serialises DynamoDB calls, so the local AWS keeps
AWS's atomicity. Everything else (SQS long polls included) stays concurrent.

moto's own server (werkzeug's development server) answers every request with
`Connection: close`, so each SDK call against it pays a new TCP connection that AWS's
endpoints, which keep HTTP/1.1 connections alive, do not. This launcher serves the same app
with waitress instead: persistent HTTP/1.1 connections, 64 worker threads (SQS long polls each
hold one while they wait).

Usage: python infra/moto_server.py -H 127.0.0.1 -p PORT
       MOTO_KEEPALIVE=0 ... serves with moto's own server (Connection: close), to measure the
       difference side by side.
"""

import argparse
import os
import signal
import sys
import threading

import waitress
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    create_backend_app,
)

_dynamodb = threading.Lock()


def serialise_dynamodb(app):
    def wrapped(environ, start_response):
        if environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB_"):
            with _dynamodb:
                # Consume the whole response inside the lock: the write happens while the
                # body is produced.
                chunks = []
                status_headers = {}

                def capture(status, headers, exc_info=None):
                    status_headers["v"] = (status, headers, exc_info)
                    return lambda data: chunks.append(data)

                result = app(environ, capture)
                try:
                    chunks.extend(result)
                finally:
                    close = getattr(result, "close", None)
                    if close:
                        close()
            status, headers, exc_info = status_headers["v"]
            start_response(status, headers, exc_info)
            return chunks
        return app(environ, start_response)

    return wrapped


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, required=True)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    app = DomainDispatcherApplication(create_backend_app)
    if os.environ.get("MOTO_KEEPALIVE") == "0":
        from moto.moto_server.werkzeug_app import MotoRequestHandler
        from werkzeug.serving import run_simple

        run_simple(
            args.host,
            args.port,
            serialise_dynamodb(app),
            threaded=True,
            request_handler=MotoRequestHandler,
        )
        return
    waitress.serve(
        serialise_dynamodb(app),
        host=args.host,
        port=args.port,
        threads=64,
        connection_limit=1000,
        # Idle keep-alive connections are closed after this long (AWS closes idle ones too).
        channel_timeout=60,
        # Bodies up to Lambda's 6 MB limit and beyond (a 5 MB claim-checked PUT) are fine.
        max_request_body_size=64 * 1024 * 1024,
        ident="moto",
        _quiet=True,
    )


if __name__ == "__main__":
    main()
