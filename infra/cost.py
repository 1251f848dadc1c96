"""AWS cost per million 1 KiB webhooks, from measured inputs and list prices (us-east-1).

Usage: python3 infra/cost.py [--ingest-ms MS] [--processor-batch-ms MS] [--batch N]
       [--ingest-log-bytes B] [--processor-log-bytes B] [--memory-mb MB]
Defaults are the figures measured here (docs/BENCHMARKS.md, docs/COST.md say how); prices
are the public list prices cited in docs/COST.md. Prints a Markdown table.
"""
import argparse

# USD, us-east-1, list prices (docs/COST.md cites the pages).
LAMBDA_REQUEST = 0.20 / 1e6
LAMBDA_GB_S_ARM = 0.0000133334
HTTP_API_REQUEST = 1.00 / 1e6
SQS_REQUEST = 0.40 / 1e6
DDB_WRU_ON_DEMAND = 0.625 / 1e6
DDB_WCU_HOUR = 0.00065
LOGS_PER_GB = 0.50

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
a = p.parse_args()

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
for fe, fe_cost in (("Function URL", 0.0), ("HTTP API", HTTP_API_REQUEST)):
    for tbl, t_cost in (("on-demand", ddb_on_demand), ("provisioned", ddb_provisioned)):
        print(f"| {fe} | {tbl} | {(common + fe_cost + t_cost) * 1e6:.2f} |")
