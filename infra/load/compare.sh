#!/usr/bin/env bash
# `make load`: hookwell's ingest, an Express receiver and a Flask receiver side by side, each
# verifying GitHub's signature on the raw body and putting the same envelope in the same moto
# SQS queue, driven by the same open-loop request stream (`hookwell load`) at fixed rates.
# Reports ack latency p50/p99, CPU time per request and peak RSS of each receiver's process
# tree, and the ratios. Each receiver gets a fresh moto (infra/moto.sh), so none inherits
# another's backlog. Rates stay below what one moto process sustains (~130 sends/s with the
# queue kept drained): above it, every receiver measures moto.
# Then the rejected path: bodies altered after signing (`hookwell load --tamper`), each answered
# 401 before any AWS call, at LOAD_REJECT_RATES (default 1000; no queue in the way, so higher).
# Last, the yardstick, `floor` (cli/examples/http_floor.rs): the same HTTP server as `hookwell
# serve` and none of ingest; for the accepted rates it puts each body in the queue with one SDK
# `SendMessage`, configured as `serve` configures it, for the rejected rate it answers 401 unread.
# Knobs: LOAD_RATES (default "25 50"), LOAD_REJECT_RATES, LOAD_SECS (default 20), LOAD_RECEIVERS
# (default "hookwell express flask floor").
# LOAD_PROFILE=perf records each measured run of the receiver with `perf record` (Debian's
# linux-perf; PERF_ARGS, default "-F 4999 -g") into target/load/<receiver>-<mode>-<rate>.perf,
# LOAD_PROFILE=strace counts its system calls (`strace -c`) into ...strace; either inflates the
# CPU figures of that run. For symbols in hookwell's profile, build it with
# CARGO_PROFILE_RELEASE_STRIP=none CARGO_PROFILE_RELEASE_DEBUG=line-tables-only.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
rates="${LOAD_RATES:-25 50}"
reject_rates="${LOAD_REJECT_RATES:-1000}"
secs="${LOAD_SECS:-20}"
receivers="${LOAD_RECEIVERS:-hookwell express flask floor}"
cli="${HOOKWELL_CLI:-$root/target/release/hookwell}"
floor="${HOOKWELL_FLOOR:-$root/target/release/examples/http_floor}"
out="$root/target/load"
mkdir -p "$out"
results="${LOAD_RESULTS:-$out/results-$(date +%Y%m%d-%H%M%S).jsonl}"
if [ $# -eq 0 ]; then
  # Driver: one fresh moto per receiver, then the table.
  for name in $receivers; do
    LOAD_RESULTS="$results" "$root/infra/moto.sh" "$0" "$name"
  done
  python3 infra/load/summary.py "$results"
  echo "raw results: $results" >&2
  exit 0
fi
: "${AWS_ENDPOINT_URL:?the per-receiver run needs moto (infra/moto.sh)}"
receivers=$1
state=$(mktemp -d)
pid=""
stop_receiver() {
  if [ -n "$pid" ]; then
    kill -TERM -- "-$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    pid=""
  fi
}
trap 'stop_receiver; rm -rf "$state"' EXIT INT TERM

"$cli" local up --endpoint "$AWS_ENDPOINT_URL" --sources infra/local/sources.json \
  --env-out "$state/stack.env" >/dev/null
queue_url=$(grep '^HOOKWELL_QUEUE_URL=' "$state/stack.env" | cut -d= -f2-)
export HOOKWELL_QUEUE_URL="$queue_url" HOOKWELL_SOURCES_FILE="$root/infra/local/sources.json"
free_port() { "$root/.venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start_receiver() {
  local name=$1 port=$2
  case "$name" in
    hookwell)
      RUST_LOG=${HOOKWELL_LOAD_LOG:-info} setsid "$cli" serve --port "$port" >"$out/$name.log" 2>&1 & ;;
    express)
      PORT=$port setsid node infra/load/express/server.js >"$out/$name.log" 2>&1 & ;;
    flask)
      setsid "$root/.venv/bin/gunicorn" --chdir infra/load/flask -b "127.0.0.1:$port" \
        -w 1 -k gthread --threads 8 app:app >"$out/$name.log" 2>&1 & ;;
    floor)
      # shellcheck disable=SC2086
      setsid "$floor" "$port" ${floor_queue:-} >"$out/$name.log" 2>&1 & ;;
    *) echo "unknown receiver $name (hookwell, express, flask, floor)" >&2; exit 2 ;;
  esac
  pid=$!
  # Ready when the route answers (a GET is not allowed: 404 or 405; the 401 floor: 401);
  # bounded, 30 s.
  for _ in $(seq 1 150); do
    code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/webhooks/github" || true)
    case "$code" in 401|404|405) return 0 ;; esac
    kill -0 "$pid" 2>/dev/null || { echo "$name exited; see $out/$name.log" >&2; exit 1; }
    sleep 0.2
  done
  echo "$name did not start; see $out/$name.log" >&2
  exit 1
}

# One measured run: `hookwell load ARGS` against the receiver, its report appended to the
# results, under the profiler LOAD_PROFILE names (if any).
measure() {
  local tag=$1 rec=""
  shift
  case "${LOAD_PROFILE:-}" in
    perf)
      # shellcheck disable=SC2086
      perf record ${PERF_ARGS:--F 4999 -g} -p "$pid" -o "$out/$tag.perf" 2>/dev/null &
      rec=$! ;;
    strace) strace -c -f -p "$pid" -o "$out/$tag.strace" & rec=$! ;;
  esac
  [ -z "$rec" ] || sleep 0.5
  "$cli" load "$@" | tee -a "$results" >&2
  if [ -n "$rec" ]; then
    kill -INT "$rec" 2>/dev/null || true
    wait "$rec" 2>/dev/null || true
    echo "profile: $out/$tag.${LOAD_PROFILE}" >&2
  fi
}

for name in $receivers; do
  port=$(free_port)
  floor_queue=$queue_url
  start_receiver "$name" "$port"
  echo "== $name (pid $pid, port $port)" >&2
  # Warm-up (connections, JIT, lazy imports), not reported.
  "$cli" load --url "http://127.0.0.1:$port" --rate 20 --secs 2 \
    --drain-queue-url "$queue_url" --label warmup >/dev/null
  for rate in $rates; do
    measure "$name-accepted-$rate" --url "http://127.0.0.1:$port" --rate "$rate" \
      --secs "$secs" --pid "$pid" --drain-queue-url "$queue_url" --label "$name"
  done
  if [ "$name" = floor ]; then
    # The rejected phase's floor does not even read the request: restart it without a queue.
    stop_receiver
    port=$(free_port)
    floor_queue=""
    start_receiver "$name" "$port"
    "$cli" load --url "http://127.0.0.1:$port" --rate 200 --secs 2 --tamper --label warmup >/dev/null
  fi
  for rate in $reject_rates; do
    measure "$name-rejected-$rate" --url "http://127.0.0.1:$port" --rate "$rate" \
      --secs "$secs" --pid "$pid" --tamper --label "$name"
  done
  stop_receiver
done

