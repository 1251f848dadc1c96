"""Prints `make load` results as a Markdown table, with hookwell's ratios to each peer."""
import json
import sys

rows = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8") if line.strip()]
by = {(r["label"], r["rate"]): r for r in rows}
labels = list(dict.fromkeys(r["label"] for r in rows))
rates = sorted({r["rate"] for r in rows})

print("| receiver | rate/s | ok | errors | p50 ms | p99 ms | CPU µs/request | peak RSS MiB |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
for label in labels:
    for rate in rates:
        r = by.get((label, rate))
        if not r:
            continue
        errs = sum(r["errors"].values()) + r["dropped"]
        num = lambda v, fmt: "-" if v is None else format(v, fmt)  # noqa: E731
        rss = None if r["peak_rss_kib"] is None else r["peak_rss_kib"] / 1024
        print(f"| {label} | {rate} | {r['ok']} | {errs} | {num(r['p50_ms'], '.1f')} | "
              f"{num(r['p99_ms'], '.1f')} | {num(r['cpu_us_per_request'], '.0f')} | {num(rss, '.1f')} |")

if "hookwell" in labels:
    print()
    print("| rate/s | peer | CPU per request: peer / hookwell | peak RSS: peer / hookwell |")
    print("|---:|---|---:|---:|")
    for rate in rates:
        h = by.get(("hookwell", rate))
        for peer in (l for l in labels if l != "hookwell"):
            p = by.get((peer, rate))
            if not (h and p and h["cpu_us_per_request"] and p["cpu_us_per_request"]):
                continue
            print(f"| {rate} | {peer} | {p['cpu_us_per_request'] / h['cpu_us_per_request']:.1f}x | "
                  f"{p['peak_rss_kib'] / h['peak_rss_kib']:.1f}x |")
