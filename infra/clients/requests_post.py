"""The overview note's Python sender, unsigned JSON: `requests.post(url, json=payload)`.

Usage: python requests_post.py URL AUTHOR MESSAGE
Prints one JSON line, {"status": <HTTP status>, "body": <the answer>}; exits 1 without an
answer. Never prints the URL: for a URL-token source it holds the secret.
"""

import json
import sys

import requests


def main() -> int:
    url, name, message = sys.argv[1:4]
    payload = {"commits": [{"author": {"name": name}, "message": message}]}
    try:
        r = requests.post(url, json=payload)
    except requests.RequestException as e:
        print(f"no answer: {type(e).__name__}", file=sys.stderr)
        return 1
    try:
        body = r.json()
    except ValueError:
        body = r.text
    print(json.dumps({"status": r.status_code, "body": body}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
