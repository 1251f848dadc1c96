#!/usr/bin/env bash
# Where `hookwell serve`'s CPU goes under `make load`'s request stream: `perf record` (Debian's
# linux-perf) on the receiver while `hookwell load` drives it, then `perf report`'s top
# symbols. Usage: infra/load/profile.sh [accepted|rejected] (default accepted).
# Knobs: PROFILE_RATE (default 50 accepted, 1000 rejected), PROFILE_SECS (default 20),
# PERF_ARGS (default "-F 4999 -g"), HOOKWELL_CLI (a build with symbols:
# `CARGO_PROFILE_RELEASE_STRIP=none cargo build --release -p hookwell-cli`).
# Also counts the receiver's system calls per request with `strace -c` (PROFILE_STRACE=1).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
mode="${1:-accepted}"
cli="${HOOKWELL_CLI:-$root/target/release/hookwell}"
out="$root/target/load"
mkdir -p "$out"
if [ -z "${AWS_ENDPOINT_URL:-}" ]; then
  exec "$root/infra/moto.sh" "$0" "$@"
fi
case "$mode" in
  accepted) rate="${PROFILE_RATE:-50}"; extra=(--drain-queue-url) ;;
  rejected) rate="${PROFILE_RATE:-1000}"; extra=(--tamper) ;;
  *) echo "usage: $0 [accepted|rejected]" >&2; exit 2 ;;
esac
secs="${PROFILE_SECS:-20}"
state=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill -TERM -- "-$pid" 2>/dev/null; rm -rf "$state"' EXIT INT TERM
"$cli" local up --endpoint "$AWS_ENDPOINT_URL" --sources infra/local/sources.json \
  --env-out "$state/stack.env" >/dev/null
queue_url=$(grep '^HOOKWELL_QUEUE_URL=' "$state/stack.env" | cut -d= -f2-)
export HOOKWELL_QUEUE_URL="$queue_url" HOOKWELL_SOURCES_FILE="$root/infra/local/sources.json"
port=$("$root/.venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
RUST_LOG=${HOOKWELL_LOAD_LOG:-info} setsid "$cli" serve --port "$port" >"$out/profile-serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 150); do
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/webhooks/github" || true)
  case "$code" in 404|405) break ;; esac
  sleep 0.2
done
[ "$mode" = accepted ] && extra+=("$queue_url")
"$cli" load --url "http://127.0.0.1:$port" --rate 20 --secs 2 --drain-queue-url "$queue_url" \
  --label warmup >/dev/null
data="$out/perf-$mode.data"
if [ "${PROFILE_STRACE:-0}" = 1 ]; then
  strace -c -f -p "$pid" -o "$out/strace-$mode.txt" &
else
  # shellcheck disable=SC2086
  perf record ${PERF_ARGS:--F 4999 -g} -p "$pid" -o "$data" 2>"$out/perf-$mode.log" &
fi
rec=$!
sleep 0.5
"$cli" load --url "http://127.0.0.1:$port" --rate "$rate" --secs "$secs" --pid "$pid" \
  "${extra[@]}" --label "hookwell-$mode" | tee "$out/profile-$mode.json" >&2
kill -INT "$rec" 2>/dev/null || true
wait "$rec" 2>/dev/null || true
if [ "${PROFILE_STRACE:-0}" = 1 ]; then
  cat "$out/strace-$mode.txt"
else
  perf report -i "$data" --no-children --sort dso,symbol --percent-limit 0.7 --stdio 2>/dev/null \
    | grep -v '^$' | head -80
  echo "full profile: perf report -i $data" >&2
fi
