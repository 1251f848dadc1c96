"""moto server with DynamoDB requests applied one at a time.

moto's server is threaded and its DynamoDB backend takes no lock, so two concurrent
conditional writes to one item can both pass their condition: something real DynamoDB never
allows, and exactly what hookwell's exactly-once claim relies on. This launcher runs moto's
own WSGI app (same handlers, same state) and serialises DynamoDB calls, so the local AWS keeps
AWS's atomicity. Everything else (SQS long polls included) stays concurrent.

Usage: python infra/moto_server.py -H 127.0.0.1 -p PORT
"""

import argparse
import signal
import sys
import threading

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import run_simple

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
    run_simple(
        args.host,
        args.port,
        serialise_dynamodb(app),
        threaded=True,
        request_handler=MotoRequestHandler,
    )


if __name__ == "__main__":
    main()
