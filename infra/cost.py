"""AWS cost per million 1 KiB webhooks, from measured inputs and list prices (us-east-1).

Usage: python3 infra/cost.py [--ingest-ms MS] [--processor-batch-ms MS] [--batch N]
       [--ingest-log-bytes B] [--processor-log-bytes B] [--memory-mb MB]
       [--filtered-share F [F ...]] [--filtered-ingest-ms MS] [--filtered-ingest-log-bytes B]
Defaults are the figures measured here (docs/BENCHMARKS.md, docs/COST.md say how); prices
are the public list prices cited in docs/COST.md. Prints a Markdown table.

--filtered-share F models a source's event-type filter (accept_event_types /
drop_event_types): a share F of the deliveries received is verified by ingest, answered
200 "filtered" and never enqueued, so it costs the front end, one ingest invocation and its
metric line, but no SQS requests, no processor run and no table writes. With F > 0 a second
table gives the cost per million deliveries received without and with the filter (without
it, every delivery is enqueued, processed and written twice, and the handler ignores the
unwanted ones). The default, 0, prints only the first tables.
"""
import argparse
import math

# USD, us-east-1, list prices (docs/COST.md cites the pages).
LAMBDA_REQUEST = 0.20 / 1e6
LAMBDA_GB_S_ARM = 0.0000133334
HTTP_API_REQUEST = 1.00 / 1e6
SQS_REQUEST = 0.40 / 1e6
DDB_WRU_ON_DEMAND = 0.625 / 1e6
DDB_WCU_HOUR = 0.00065
LOGS_PER_GB = 0.50
S3_PUT = 0.005 / 1000
S3_GET = 0.0004 / 1000
S3_GB_MONTH = 0.023
DDB_GB_MONTH = 0.25
# Point-in-time recovery, which the template turns on for the events table.
DDB_PITR_GB_MONTH = 0.20

p = argparse.ArgumentParser()
p.add_argument("--ingest-ms", type=float, default=10.0,
               help="billed ms per ingest invocation (measured warm invocation, rounded up)")
p.add_argument("--processor-batch-ms", type=float, default=407.0,
               help="billed ms per processor batch of --batch fresh events")
p.add_argument("--batch", type=int, default=10)
p.add_argument("--ingest-log-bytes", type=float, default=700.0)
p.add_argument("--processor-log-bytes", type=float, default=700.0,
               help="log bytes per processed event (its lines plus its share of the batch's)")
p.add_argument("--memory-mb", type=float, default=256.0)
p.add_argument("--provisioned-utilisation", type=float, default=0.7)
p.add_argument("--filtered-share", type=float, nargs="+", default=[0.0], metavar="F",
               help="share (0..1) of deliveries dropped by an event-type filter; several give several rows")
p.add_argument("--filtered-ingest-ms", type=float, default=1.2,
               help="ms per ingest invocation that enqueues nothing (measured warm invocation of the "
                    "GET answered 405, docs/BENCHMARKS.md); billed rounded up to whole ms, at least 1")
p.add_argument("--large-body-mb", type=float, nargs="+", default=[], metavar="MB",
               help="also price the claim check for bodies of these sizes (MB): S3 PUT, GET, storage")
p.add_argument("--large-body-days", type=float, default=30.0,
               help="days a stored body is kept (template LargeBodyRetentionDays)")
p.add_argument("--retained-bytes", type=float, nargs="+", default=[], metavar="B",
               help="also price payload retention: bytes each record grows by (payload + names)")
p.add_argument("--retention-days", type=float, default=16.0,
               help="days a record is kept (template RetentionHours / 24)")
p.add_argument("--filtered-ingest-log-bytes", type=float, default=None,
               help="log bytes per filtered delivery (default: --ingest-log-bytes; at warn both are "
                    "the one metric line, 'Filtered' in place of 'Enqueued', the same length)")
a = p.parse_args()
if any(not 0.0 <= f <= 1.0 for f in a.filtered_share):
    p.error("--filtered-share takes values from 0 to 1")
if a.filtered_ingest_log_bytes is None:
    a.filtered_ingest_log_bytes = a.ingest_log_bytes

gb = a.memory_mb / 1024.0
per_event = {}
per_event["ingest Lambda requests"] = LAMBDA_REQUEST
per_event["ingest Lambda duration"] = gb * a.ingest_ms / 1000.0 * LAMBDA_GB_S_ARM
per_event["processor Lambda requests"] = LAMBDA_REQUEST / a.batch
per_event["processor Lambda duration"] = gb * a.processor_batch_ms / 1000.0 / a.batch * LAMBDA_GB_S_ARM
# SendMessage 1; ReceiveMessage and DeleteMessageBatch once per batch (event source mapping).
sqs_calls = 1 + 2.0 / a.batch
per_event["SQS requests (%.1f per event)" % sqs_calls] = sqs_calls * SQS_REQUEST
per_event["CloudWatch Logs ingestion"] = (a.ingest_log_bytes + a.processor_log_bytes) / 1e9 * LOGS_PER_GB
ddb_on_demand = 2 * DDB_WRU_ON_DEMAND
ddb_provisioned = 2 * DDB_WCU_HOUR / 3600.0 / a.provisioned_utilisation

common = sum(per_event.values())
print(f"Inputs: ingest {a.ingest_ms} ms, processor {a.processor_batch_ms} ms per batch of {a.batch}, "
      f"{a.memory_mb:.0f} MB arm64, logs {a.ingest_log_bytes:.0f} + {a.processor_log_bytes:.0f} B per event\n")
print("| item | USD per million webhooks |")
print("|---|---:|")
for k, v in per_event.items():
    print(f"| {k} | {v * 1e6:.3f} |")
print(f"| DynamoDB, on-demand (2 writes) | {ddb_on_demand * 1e6:.3f} |")
print(f"| DynamoDB, provisioned at {a.provisioned_utilisation:.0%} utilisation (2 writes) | {ddb_provisioned * 1e6:.3f} |")
print(f"| HTTP API front end | {HTTP_API_REQUEST * 1e6:.3f} |")
print()
print("| front end | table | USD per million webhooks |")
print("|---|---|---:|")
DEPLOYMENTS = [(fe, fe_cost, tbl, t_cost)
               for fe, fe_cost in (("Function URL", 0.0), ("HTTP API", HTTP_API_REQUEST))
               for tbl, t_cost in (("on-demand", ddb_on_demand), ("provisioned", ddb_provisioned))]
for fe, fe_cost, tbl, t_cost in DEPLOYMENTS:
    print(f"| {fe} | {tbl} | {(common + fe_cost + t_cost) * 1e6:.2f} |")

if any(f > 0 for f in a.filtered_share):
    # A filtered delivery: front end, one ingest invocation (no SendMessage), its metric line.
    billed_ms = max(1, math.ceil(a.filtered_ingest_ms - 1e-9))
    filtered = {
        "ingest Lambda requests": LAMBDA_REQUEST,
        "ingest Lambda duration": gb * billed_ms / 1000.0 * LAMBDA_GB_S_ARM,
        "CloudWatch Logs ingestion": a.filtered_ingest_log_bytes / 1e9 * LOGS_PER_GB,
    }
    filtered_common = sum(filtered.values())
    print()
    print(f"Filtered at ingest: {a.filtered_ingest_ms} ms ({billed_ms} ms billed), "
          f"logs {a.filtered_ingest_log_bytes:.0f} B per filtered delivery\n")
    print("| item | USD per million filtered deliveries |")
    print("|---|---:|")
    for k, v in filtered.items():
        print(f"| {k} | {v * 1e6:.3f} |")
    print(f"| HTTP API front end | {HTTP_API_REQUEST * 1e6:.3f} |")
    print()
    print("| filtered share | front end | table | USD per million received, no filter | with the filter | saving |")
    print("|---:|---|---|---:|---:|---:|")
    for f in a.filtered_share:
        for fe, fe_cost, tbl, t_cost in DEPLOYMENTS:
            without = common + fe_cost + t_cost
            with_filter = (1 - f) * without + f * (filtered_common + fe_cost)
            print(f"| {f:.0%} | {fe} | {tbl} | {without * 1e6:.2f} | {with_filter * 1e6:.2f} | "
                  f"{(without - with_filter) * 1e6:.2f} ({1 - with_filter / without:.0%}) |")

if a.large_body_mb:
    # A body over the queue's limit: one PutObject (ingest), one GetObject per attempt (the
    # processor; one when it succeeds first time), and its storage until it expires.
    print()
    print(f"Claim check (bodies over 1 MiB), kept {a.large_body_days:.0f} days; "
          "on top of the per-webhook cost above\n")
    print("| body | S3 PUT | S3 GET | storage | USD per million large webhooks |")
    print("|---:|---:|---:|---:|---:|")
    for mb in a.large_body_mb:
        storage = mb / 1024.0 * S3_GB_MONTH * a.large_body_days / 30.0
        total = S3_PUT + S3_GET + storage
        print(f"| {mb:g} MB | {S3_PUT * 1e6:.2f} | {S3_GET * 1e6:.2f} | {storage * 1e6:.2f} | {total * 1e6:.2f} |")

if a.retained_bytes:
    # The payload rides in the COMPLETED (or dead-letter) write the record gets anyway: while
    # the item stays within 1 KB that write costs one unit as before, so the only new cost is
    # storage for the retention.
    print()
    print(f"Payload retention, records kept {a.retention_days:.0f} days; "
          "no extra write units while the item stays within 1 KB\n")
    print("| record grows by | table storage | point-in-time recovery | USD per million webhooks |")
    print("|---:|---:|---:|---:|")
    for b in a.retained_bytes:
        months = b / 1e9 * a.retention_days / 30.0
        storage, pitr = months * DDB_GB_MONTH, months * DDB_PITR_GB_MONTH
        print(f"| {b:.0f} B | {storage * 1e6:.3f} | {pitr * 1e6:.3f} | {(storage + pitr) * 1e6:.3f} |")
