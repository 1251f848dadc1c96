"""Prints `make load` results as Markdown tables, with each peer's ratio to hookwell: accepted
requests (valid signature, one SendMessage) and rejected ones (altered body, 401). With the
`floor` receiver (the HTTP server and, for accepted requests, one SDK SendMessage, nothing
else), also each receiver's figures over the floor's, and what it adds to them."""
import json
import sys

rows = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8") if line.strip()]
for r in rows:
    r.setdefault("mode", "accepted")  # results written before the rejected phase existed
by = {(r["label"], r["mode"], r["rate"]): r for r in rows}
labels = list(dict.fromkeys(r["label"] for r in rows))
modes = [m for m in ("accepted", "rejected") if any(r["mode"] == m for r in rows)]
rates = sorted({r["rate"] for r in rows})


def num(v, fmt):
    return "-" if v is None else format(v, fmt)


print("| receiver | requests | rate/s | ok | errors | p50 ms | p99 ms | CPU µs/request | peak RSS MiB |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
for label in labels:
    for mode in modes:
        for rate in rates:
            r = by.get((label, mode, rate))
            if not r:
                continue
            errs = sum(r["errors"].values()) + r["dropped"]
            rss = None if r["peak_rss_kib"] is None else r["peak_rss_kib"] / 1024
            print(f"| {label} | {mode} | {rate} | {r['ok']} | {errs} | {num(r['p50_ms'], '.1f')} | "
                  f"{num(r['p99_ms'], '.1f')} | {num(r['cpu_us_per_request'], '.1f')} | {num(rss, '.1f')} |")

def against(base, others):
    """(mode, rate, other's label, base's row, other's row) wherever both measured CPU."""
    for mode in modes:
        for rate in rates:
            b = by.get((base, mode, rate))
            for label in others:
                r = by.get((label, mode, rate))
                if b and r and b["cpu_us_per_request"] and r["cpu_us_per_request"]:
                    yield mode, rate, label, b, r


if "hookwell" in labels:
    print()
    print("| requests | rate/s | peer | CPU per request: peer / hookwell | peak RSS: peer / hookwell |")
    print("|---|---:|---|---:|---:|")
    peers = [l for l in labels if l not in ("hookwell", "floor")]
    for mode, rate, peer, h, p in against("hookwell", peers):
        print(f"| {mode} | {rate} | {peer} | "
              f"{p['cpu_us_per_request'] / h['cpu_us_per_request']:.1f}x | "
              f"{p['peak_rss_kib'] / h['peak_rss_kib']:.1f}x |")

if "floor" in labels:
    print()
    print("| requests | rate/s | receiver | CPU per request: receiver / floor | added to the floor, µs |")
    print("|---|---:|---|---:|---:|")
    for mode, rate, label, f, r in against("floor", [l for l in labels if l != "floor"]):
        print(f"| {mode} | {rate} | {label} | "
              f"{r['cpu_us_per_request'] / f['cpu_us_per_request']:.1f}x | "
              f"{r['cpu_us_per_request'] - f['cpu_us_per_request']:.1f} |")
