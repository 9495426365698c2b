#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Summarise fvbench runs (one JSON object a line): medians per row and
variant, the fastvhost/stock ratio, a JSON file and a gnuplot chart.

  report.py RAW.jsonl --json OUT.json [--png OUT.png] [--note TEXT]
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys

METRICS = [
    ("iops", lambda r: r["iops"]),
    ("mib_s", lambda r: r["mib_s"]),
    ("lat_p50_us", lambda r: r["lat_us"]["p50"]),
    ("lat_p99_us", lambda r: r["lat_us"]["p99"]),
    ("lat_p999_us", lambda r: r["lat_us"]["p99.9"]),
    ("worker_us_per_io", lambda r: r["cpu"]["worker_us_per_io"]),
    ("driver_us_per_io", lambda r: r["cpu"]["driver_us_per_io"]),
    ("machine_us_per_io", lambda r: r["cpu"]["machine_us_per_io"]),
    ("calls_per_io", lambda r: r.get("calls_per_io")),
]
VARIANT_ORDER = ["stock", "stock-mq", "fv-poll-off", "fv-adaptive", "fv-poll-wide",
                 "fv-dirtylog", "fv-regions"]


def load(path):
    """I/O runs, failed runs, and the memory runs (fvbench --mem)."""
    runs, bad, mem = [], [], []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            r = json.loads(line)
            if r.get("mode") == "mem":
                mem.append(r)
            else:
                (runs if r["ok"] else bad).append(r)
    return runs, bad, mem


def summarise(runs):
    groups = {}
    rows = []
    for r in runs:
        key = (r["tags"]["row"], r["tags"]["variant"])
        if r["tags"]["row"] not in rows:
            rows.append(r["tags"]["row"])
        groups.setdefault(key, []).append(r)
    out = []
    for row in rows:
        variants = sorted({v for (rw, v) in groups if rw == row},
                          key=lambda v: VARIANT_ORDER.index(v)
                          if v in VARIANT_ORDER else 99)
        for v in variants:
            g = groups[(row, v)]
            first = g[0]
            ent = {
                "row": row, "variant": v, "runs": len(g),
                "rw": first["rw"], "bs": first["bs"],
                "iodepth": first["iodepth"], "queues": first["queues"],
                "lun": first["lun"], "dev": first["dev"],
                "worker_per_vq": first["worker_per_vq"],
                "median": {}, "values": {},
            }
            for name, get in METRICS:
                vals = [get(r) for r in g]
                ent["values"][name] = vals
                known = [x for x in vals if x is not None]
                ent["median"][name] = statistics.median(known) if known else None
            iops = ent["values"]["iops"]
            ent["iops_spread"] = max(iops) / min(iops) if min(iops) else None
            out.append(ent)
    # Ratios against the plain stock run and the best stock run of the row.
    for ent in out:
        same = {e["variant"]: e for e in out if e["row"] == ent["row"]}
        stock = same.get("stock")
        best = max((e for e in same.values() if e["variant"].startswith("stock")),
                   key=lambda e: e["median"]["iops"], default=None)
        m = ent["median"]["iops"]
        ent["iops_vs_stock"] = m / stock["median"]["iops"] if stock and stock["median"]["iops"] else None
        ent["iops_vs_best_stock"] = m / best["median"]["iops"] if best and best["median"]["iops"] else None
        ent["best_stock"] = best["variant"] if best else None
        bc = best["median"]["machine_us_per_io"] if best else None
        ent["cpu_vs_best_stock"] = (ent["median"]["machine_us_per_io"] / bc
                                    if bc else None)
    return out


def row_names(summary):
    """The rows of a summary, in the order they ran."""
    return list(dict.fromkeys(e["row"] for e in summary))


def fmt(v, width, prec=0):
    if v is None:
        return "-".rjust(width)
    return ("%.*f" % (prec, v)).rjust(width)


def table(kver, summary, runtime, reps):
    lines = []
    lines.append("%s: medians of %s run(s) of %s s each (TCG VM: see docs/performance.md)"
                 % (kver, reps, runtime))
    hdr = ("%-17s %-12s %9s %8s %8s %9s %9s %8s %8s %8s %7s %7s %7s %7s %7s"
           % ("row", "variant", "IOPS", "MiB/s", "p50 us", "p99 us", "p99.9 us",
              "wkr/io", "drv/io", "all/io", "/stock", "/best", "cpu/b",
              "spread", "irq/io"))
    lines.append(hdr)
    lines.append("-" * len(hdr))
    last = None
    for e in summary:
        if last and e["row"] != last:
            lines.append("")
        last = e["row"]
        m = e["median"]
        lines.append("%-17s %-12s %s %s %s %s %s %s %s %s %s %s %s %s %s" % (
            e["row"], e["variant"], fmt(m["iops"], 9), fmt(m["mib_s"], 8, 1),
            fmt(m["lat_p50_us"], 8, 1), fmt(m["lat_p99_us"], 9, 1),
            fmt(m["lat_p999_us"], 9, 1), fmt(m["worker_us_per_io"], 8, 1),
            fmt(m["driver_us_per_io"], 8, 1), fmt(m["machine_us_per_io"], 8, 1),
            fmt(e["iops_vs_stock"], 7, 2), fmt(e["iops_vs_best_stock"], 7, 2),
            fmt(e["cpu_vs_best_stock"], 7, 2), fmt(e["iops_spread"], 7, 2),
            fmt(m["calls_per_io"], 7, 2)))
    lines.append("")
    lines.append("wkr/io, drv/io, all/io: CPU microseconds per I/O of the target's workers,"
                 " of the driver threads, of the whole VM; /stock, /best: IOPS over"
                 " stock vhost_scsi's (plain, and its best variant in the row);"
                 " cpu/b: all/io over that best variant's; spread: the highest"
                 " run's IOPS over the lowest's; irq/io: calls (interrupts) to"
                 " the driver per I/O")
    return "\n".join(lines)


def summarise_mem(mem):
    """Median kernel KiB per (queues, variant) of the --mem runs."""
    groups = {}
    for r in mem:
        groups.setdefault((r["queues"], r["tags"].get("variant", r["dev"])), []).append(r)
    out = []
    for (nq, v) in sorted(groups, key=lambda k: (k[0], VARIANT_ORDER.index(k[1])
                                                 if k[1] in VARIANT_ORDER else 99)):
        g = groups[(nq, v)]
        out.append({"queues": nq, "variant": v, "ring": g[0]["ring"], "runs": len(g),
                    "attached_kib": statistics.median(r["kernel_kib"]["attached"] for r in g),
                    "after_close_kib": statistics.median(r["kernel_kib"]["after_close"] for r in g),
                    "values": [r["kernel_kib"] for r in g]})
    return out


def mem_table(mem):
    lines = ["kernel memory of one attached device (unreclaimable slab, kernel stacks, vmalloc;"
             " median KiB of the runs; rings of %s entries)"
             % (mem[0]["ring"] if mem else "?"),
             "%-8s %-12s %12s %14s" % ("queues", "variant", "attached", "after close")]
    for m in mem:
        lines.append("%-8d %-12s %12.0f %14.0f" % (m["queues"], m["variant"],
                                                   m["attached_kib"], m["after_close_kib"]))
    return lines


def goals(summary):
    """The performance issue's goals, row by row: met or not, with the numbers."""
    by = {(e["row"], e["variant"]): e for e in summary}
    out = []
    for row in row_names(summary):
        e = by.get((row, "fv-poll-off"))
        if not e or e["iops_vs_best_stock"] is None:
            continue
        ok = e["iops_vs_best_stock"] >= 1.10 and (e["cpu_vs_best_stock"] or 9) <= 0.90
        out.append("%-6s %s polling off: IOPS %.2f of %s (goal >= 1.10), all/io %.2f (goal <= 0.90)"
                   % ("met" if ok else "NOT", row, e["iops_vs_best_stock"], e["best_stock"],
                      e["cpu_vs_best_stock"] or 0))
    for var in ("fv-adaptive", "fv-poll-wide"):
        spin = by.get(("rd-4k-qd1-spin", var))
        st = [by[k] for k in by if k[0] == "rd-4k-qd1-spin" and k[1].startswith("stock")]
        if spin and st:
            best = min(x["median"]["lat_p50_us"] for x in st)
            r = spin["median"]["lat_p50_us"] / best
            out.append("%-6s rd-4k-qd1-spin %s: p50 %.2f of stock's best (goal <= 0.70)"
                       % ("met" if r <= 0.70 else "NOT", var, r))
        for row, what, want in (("rd-4k-qd1-1q", "p50", "lat_p50_us"),
                                ("rd-4k-qd32-2q", "IOPS", "iops"),
                                ("rd-64k-qd32-2q", "IOPS", "iops")):
            a, off = by.get((row, var)), by.get((row, "fv-poll-off"))
            if not a or not off or not off["median"][want]:
                continue
            r = a["median"][want] / off["median"][want]
            ok = r <= 1.05 if want.startswith("lat") else r >= 0.95
            out.append("%-6s %s %s: %s %.2f of polling off's (goal: no worse, within the"
                       " 5%% two identical variants differ by)" % ("met" if ok else "NOT",
                                                                  row, var, what, r))
    return out


# QD1 4 KiB random reads: the driver sleeping for its completions, and
# the driver spinning on the used ring (a guest vCPU that stays on its CPU).
VERDICT_ROWS = ("rd-4k-qd1-1q", "rd-4k-qd1-spin")
POLL_VARIANTS = ("fv-adaptive", "fv-poll-wide")


def logging_cost(summary):
    """IOPS with dirty logging on (a migration running) over without it,
    for every QD32 row: fv-dirtylog against fv-adaptive, same target."""
    out = []
    for e in summary:
        if e["variant"] != "fv-dirtylog" or e["iodepth"] != 32:
            continue
        base = next((b for b in summary if b["row"] == e["row"]
                     and b["variant"] == "fv-adaptive"), None)
        if base and base["median"]["iops"]:
            out.append("%s with dirty logging: %.0f IOPS, %.2f of %.0f without"
                       % (e["row"], e["median"]["iops"],
                          e["median"]["iops"] / base["median"]["iops"],
                          base["median"]["iops"]))
    return out


def regions_cost(summary):
    """IOPS and p50 with a memory table of 509 regions over one region,
    every row: fv-regions against fv-poll-off, same target."""
    out = []
    for e in summary:
        if e["variant"] != "fv-regions":
            continue
        base = next((b for b in summary if b["row"] == e["row"]
                     and b["variant"] == "fv-poll-off"), None)
        if base and base["median"]["iops"] and base["median"]["lat_p50_us"]:
            out.append("%s with 509 memory regions: IOPS %.2f, p50 %.2f of one region's"
                       % (e["row"], e["median"]["iops"] / base["median"]["iops"],
                          e["median"]["lat_p50_us"] / base["median"]["lat_p50_us"]))
    return out


def polling_verdict(summary, row, var):
    """The QD1 4 KiB randread p50 of a polling variant against the others."""
    same = {e["variant"]: e["median"]["lat_p50_us"] for e in summary
            if e["row"] == row}
    ad = same.get(var)
    if not ad:
        return "%s: no %s result" % (row, var)
    parts = []
    for v in ("fv-poll-off", "stock", "stock-mq"):
        if same.get(v):
            d = 100.0 * (1 - ad / same[v])
            parts.append("%.0f%% %s %s (%.1f us)"
                         % (abs(d), "below" if d >= 0 else "above", v, same[v]))
    return "%s p50 with %s: %.1f us, %s" % (row, var, ad, ", ".join(parts))


def chart(kver, summary, png, workdir):
    gp = shutil.which("gnuplot")
    if not gp:
        print("report: gnuplot missing, no chart", file=sys.stderr)
        return False
    rows = row_names(summary)
    variants = [v for v in VARIANT_ORDER if any(e["variant"] == v for e in summary)]
    by = {(e["row"], e["variant"]): e for e in summary}
    dat = os.path.join(workdir, "chart-%s.dat" % kver)
    with open(dat, "w") as f:
        f.write("# row " + " ".join(variants) + " " +
                " ".join("cpu_" + v for v in variants) + "\n")
        for row in rows:
            ratio = [by[(row, v)]["iops_vs_best_stock"] if (row, v) in by and
                     by[(row, v)]["iops_vs_best_stock"] is not None else float("nan")
                     for v in variants]
            cpu = [by[(row, v)]["median"]["machine_us_per_io"] if (row, v) in by
                   else float("nan") for v in variants]
            f.write(row + " " + " ".join("%.4f" % x for x in ratio) + " " +
                    " ".join("%.3f" % x for x in cpu) + "\n")
    n = len(variants)
    plot1 = ", ".join("'%s' using %d:xtic(1) title '%s'" % (dat, i + 2, v)
                      for i, v in enumerate(variants))
    plot2 = ", ".join("'%s' using %d:xtic(1) title '%s'" % (dat, n + i + 2, v)
                      for i, v in enumerate(variants))
    script = f"""
set terminal pngcairo size 1400,900 noenhanced font ',10'
set output '{png}'
set multiplot layout 2,1 title 'fastvhost vs stock vhost_scsi, {kver} (TCG VM, medians)'
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set key top left horizontal
set grid ytics
set xtics rotate by -25 scale 0
set ylabel 'IOPS / best stock variant IOPS'
set yrange [0:*]
set xrange [-0.6:{len(rows) - 0.4}]
plot {plot1}, 1 with lines lc rgb 'black' dt 2 notitle
set ylabel 'CPU us per I/O, whole VM'
set logscale y
set yrange [*:*]
plot {plot2}
unset multiplot
"""
    res = subprocess.run([gp], input=script, text=True, capture_output=True)
    if res.returncode:
        # gnuplot-nox may lack cairo: fall back to the gd png terminal.
        script = script.replace("pngcairo size 1400,900 noenhanced font ',10'",
                                "png size 1400,900 noenhanced")
        res = subprocess.run([gp], input=script, text=True, capture_output=True)
    if res.returncode:
        print("report: gnuplot failed: " + res.stderr.strip(), file=sys.stderr)
        return False
    return True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("raw")
    ap.add_argument("--json", required=True)
    ap.add_argument("--png")
    ap.add_argument("--kver", default="")
    ap.add_argument("--note", default="")
    a = ap.parse_args()
    runs, bad, memruns = load(a.raw)
    if not runs:
        print("report: no successful runs in " + a.raw, file=sys.stderr)
        return 1
    kver = a.kver or runs[0]["kernel"]
    summary = summarise(runs)
    runtime = runs[0]["runtime_s"]
    reps = max(e["runs"] for e in summary)
    text = table(kver, summary, runtime, reps)
    print(text)
    if a.note:
        print(a.note)
    verdicts = [polling_verdict(summary, r, v) for r in VERDICT_ROWS for v in POLL_VARIANTS
                if any(e["row"] == r and e["variant"] == v for e in summary)]
    for v in verdicts:
        print(v)
    logging = logging_cost(summary)
    for v in logging:
        print(v)
    regions = regions_cost(summary)
    for v in regions:
        print(v)
    mem = summarise_mem(memruns)
    if mem:
        print("\n".join([""] + mem_table(mem)))
    met = goals(summary)
    if met:
        print("\n".join(["", "goals (docs/performance.md):"] + met))
    if bad:
        print("%d failed run(s) left out: %s" % (len(bad), "; ".join(
            "%s/%s: %s" % (r["tags"].get("row"), r["tags"].get("variant"), r["error"])
            for r in bad[:5])))
    with open(a.json, "w") as f:
        json.dump({"kernel": kver, "note": a.note, "runtime_s": runtime,
                   "polling": verdicts, "dirty_logging": logging,
                   "memory_regions": regions, "memory": mem, "goals": met,
                   "failed_runs": len(bad), "rows": summary, "runs": runs},
                  f, indent=1)
    if a.png and chart(kver, summary, a.png, os.path.dirname(os.path.abspath(a.json))):
        print("chart: " + a.png)
    return 0


if __name__ == "__main__":
    sys.exit(main())
