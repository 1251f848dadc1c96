#!/usr/bin/env bash
# Runs a command with a fresh moto server (the local AWS) on a free loopback port, and stops
# the server however the command ends. Usage: infra/moto.sh CMD [ARGS...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv="$root/.venv"
[ -x "$venv/bin/moto_server" ] || { echo "moto is not installed: run 'make venv'" >&2; exit 2; }

port=$("$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
log="${MOTO_LOG:-$root/target/moto-$port.log}"
mkdir -p "$(dirname "$log")"
"$venv/bin/python" "$root/infra/moto_server.py" -H 127.0.0.1 -p "$port" >"$log" 2>&1 &
moto_pid=$!
trap 'kill "$moto_pid" 2>/dev/null || true; wait "$moto_pid" 2>/dev/null || true' EXIT INT TERM

# Ready in well under a second normally; give up after 20 s.
for _ in $(seq 1 100); do
  if "$venv/bin/python" -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:$port/moto-api/data.json', timeout=1)" 2>/dev/null; then
    break
  fi
  kill -0 "$moto_pid" 2>/dev/null || { echo "moto exited; see $log" >&2; exit 1; }
  sleep 0.2
done

export AWS_ENDPOINT_URL="http://127.0.0.1:$port"
export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
# The SDK must never look for real credentials or instance metadata here.
export AWS_EC2_METADATA_DISABLED=true
echo "moto on $AWS_ENDPOINT_URL (log: $log)" >&2
"$@"
