#!/usr/bin/env bash
# `make dev`: the whole pipeline on this machine, no AWS account.
#   moto (local SQS, DynamoDB, Secrets Manager) -> resources from template.yaml
#   cargo lambda watch (ingest + processor, hot reload) -> queue poller (event source mapping)
# Ctrl-C stops everything this script started, by process id.
# Ports: MOTO_PORT (default 4566), LAMBDA_PORT (default 9000). Sources: HOOKWELL_DEV_SOURCES.
# LAMBDA_CONCURRENCY (default 1): instances per function and processor batches in flight.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
venv="$root/.venv"
moto_port="${MOTO_PORT:-4566}"
lambda_port="${LAMBDA_PORT:-9000}"
# Function instances at once (cargo lambda watch --concurrency) and batches in flight. Above 1,
# cargo-lambda 1.9.2 stops instances mid-invocation ("command killed code=ForceStop").
concurrency="${LAMBDA_CONCURRENCY:-1}"
sources="${HOOKWELL_DEV_SOURCES:-infra/local/sources.json}"
state="${HOOKWELL_DEV_STATE:-$root/.local}"
logs="$state/logs"
mkdir -p "$logs"
started=$(date +%s)

pids=()
cleanup() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do
    # Each service runs in its own process group: stop the group (cargo lambda's children too).
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  echo "hookwell dev: stopped"
}
trap cleanup EXIT
trap 'cleanup; exit 0' INT TERM

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for p in "$moto_port" "$lambda_port"; do
  port_free "$p" || { echo "port $p is in use (set MOTO_PORT / LAMBDA_PORT)" >&2; exit 1; }
done

# Waits (bounded) until a command succeeds.
wait_for() {
  local what=$1 tries=$2; shift 2
  for _ in $(seq 1 "$tries"); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  echo "timed out waiting for $what (logs in $logs)" >&2
  return 1
}

echo "hookwell dev: building the functions and the CLI"
cargo build --quiet -p ingest -p processor -p hookwell-cli
cli="$root/target/debug/hookwell"

echo "hookwell dev: starting moto on 127.0.0.1:$moto_port"
setsid "$venv/bin/python" infra/moto_server.py -H 127.0.0.1 -p "$moto_port" >"$logs/moto.log" 2>&1 &
pids+=($!)
wait_for moto 60 curl -sf "http://127.0.0.1:$moto_port/moto-api/data.json"

export AWS_ENDPOINT_URL="http://127.0.0.1:$moto_port" AWS_REGION=us-east-1 \
  AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_EC2_METADATA_DISABLED=true
"$cli" local up --endpoint "$AWS_ENDPOINT_URL" --sources "$sources" --env-out "$state/stack.env"

echo "hookwell dev: starting the functions (cargo lambda watch on 127.0.0.1:$lambda_port)"
setsid "$venv/bin/cargo-lambda" lambda watch -A 127.0.0.1 -P "$lambda_port" --concurrency "$concurrency" \
  --env-file "$state/stack.env" >"$logs/functions.log" 2>&1 &
pids+=($!)
# A GET is answered 405 by ingest itself: the function is built, running and configured.
wait_for ingest 600 bash -c "curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$lambda_port/lambda-url/ingest/webhooks/bubble | grep -q 405"
wait_for processor 600 curl -sf -X POST -d '{"Records":[]}' \
  "http://127.0.0.1:$lambda_port/2015-03-31/functions/processor/invocations"

echo "hookwell dev: starting the queue poller (stand-in for the SQS event source mapping)"
setsid env HOOKWELL_STACK_ENV="$state/stack.env" "$cli" local poll \
  --invoke-url "http://127.0.0.1:$lambda_port/2015-03-31/functions/processor/invocations" \
  --pollers "$concurrency" \
  >"$logs/poller.log" 2>&1 &
pids+=($!)

cat <<MSG

hookwell dev: ready in $(( $(date +%s) - started )) s
  POST webhooks to  http://127.0.0.1:$lambda_port/lambda-url/ingest/webhooks/{source}
  try, in another terminal:
    ./hookwell send bubble                 # a signed Bubble MESSAGE_CREATE
    ./hookwell send groupgm --event member.joined --repeat 3
    ./hookwell send sendbird --tamper      # 401: signature no longer matches
    ./hookwell send meta --handshake       # Meta's GET: answered with its challenge
    ./hookwell send discord                # a slash command, answered {"type":5}
    ./hookwell events                      # delivery history
  logs: $logs/{functions,poller,moto}.log     stop: Ctrl-C
MSG

# Stay up until Ctrl-C, or until any service dies (bounded: 12 h).
deadline=$(( $(date +%s) + ${HOOKWELL_DEV_MAX_SECS:-43200} ))
while [ "$(date +%s)" -lt "$deadline" ]; do
  for pid in "${pids[@]}"; do
    kill -0 "$pid" 2>/dev/null || { echo "a service exited (pid $pid); see $logs" >&2; exit 1; }
  done
  sleep 1
done
