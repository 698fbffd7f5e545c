#!/usr/bin/env python3
"""Print the engine bench's medians as a Markdown table.

Reads criterion's estimates (<target>/criterion/<group>/<engine>/new/estimates.json) written by
`cargo bench -p basalt-bench --bench engines`, and prints, per workload and engine, the median
time per iteration, the median time per operation and operations per second.

Usage: python3 crates/bench/summarize.py [TARGET_DIR]   (default: $CARGO_TARGET_DIR or target)
"""

import json
import os
import sys

# Workload -> (operations per iteration, what one operation is).
GROUPS = {
    "point_read": (1, "point read"),
    "range_scan_100": (100, "row scanned"),
    "gc_delete_256": (256, "delete"),
    "apply_batch16": (16384, "key written (batches of 16, one sync per 16384 keys)"),
    "apply_batch256": (16384, "key written (batches of 256, one sync per 16384 keys)"),
    "checkpoint_sync_10k": (1, "sync after 10k unsynced writes"),
}
ENGINES = ["memory", "redb", "fjall"]


def fmt_time(ns):
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"


def fmt_rate(per_s):
    for unit, scale in (("M", 1e6), ("k", 1e3)):
        if per_s >= scale:
            return f"{per_s / scale:.3g} {unit}"
    return f"{per_s:.3g}"


def main():
    target = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("CARGO_TARGET_DIR", "target")
    root = os.path.join(target, "criterion")
    print("| workload | engine | median per iteration | median per op | ops/s |")
    print("|---|---|---|---|---|")
    for group, (ops, what) in GROUPS.items():
        for engine in ENGINES:
            path = os.path.join(root, group, engine, "new", "estimates.json")
            if not os.path.exists(path):
                print(f"| {group} | {engine} | - | - | - |")
                continue
            with open(path) as f:
                median = json.load(f)["median"]["point_estimate"]
            per_op = median / ops
            print(
                f"| {group} ({what}) | {engine} | {fmt_time(median)} | {fmt_time(per_op)} "
                f"| {fmt_rate(1e9 / per_op)} |"
            )


if __name__ == "__main__":
    main()
