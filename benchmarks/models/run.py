"""Model benchmarks: onnxrt vs onnxruntime on the zoo, same process, same thread count.

    python benchmarks/models/run.py [--models a,b] [--threads 1,2] [--runs 30] [--write-doc]

For each model and thread count both sessions are created on the same ONNX file (onnxruntime with
ORT_ENABLE_ALL, sequential execution, intra_op_num_threads = inter_op_num_threads... = N), warmed
up, then timed in alternating blocks of runs (ours, theirs, theirs, ours, ...), so that drift in
machine load hits both alike. Each block starts after an idle gap that lets the other runtime's
spinning worker threads go quiet (onnxruntime's spin for ~40 ms after a run), then one untimed run. Reported: medians, p90 and the ratio onnxruntime/onnxrt (> 1: onnxrt is faster),
and the max abs difference between the two outputs. With --memory, session creation time and peak
RSS are measured at each thread count in fresh processes (median of 3 per runtime). Results go to benchmarks/results/*.json and,
with --write-doc, to docs/performance.md (--from-json FILE rewrites the page from saved results,
for instance after editing performance_notes.md).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).parent))

import zoo  # noqa: E402


# Runs are timed in alternating blocks (ours, theirs, theirs, ours, ...) of BLOCK_RUNS runs, each
# block after an idle gap (see timed_block).
BLOCK_RUNS = 5
BLOCK_GAP_S = 0.06


def percentile(xs: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(xs), q))


def make_sessions(path: Path, threads: int, ort_config: dict[str, str] | None = None):
    """onnxrt and onnxruntime sessions of one file at `threads` threads; ort_config: onnxruntime
    session config entries (idle_gap.py turns its spinning off with one)."""
    import onnxruntime as ort

    import onnxrt

    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    for key, value in (ort_config or {}).items():
        so.add_session_config_entry(key, value)
    theirs = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
    ours_opts = onnxrt.SessionOptions()
    ours_opts.intra_op_num_threads = threads
    ours = onnxrt.InferenceSession(str(path), ours_opts)
    return ours, theirs


def bench_one(name: str, threads: int, runs: int, warmup: int) -> dict:
    entry = zoo.BY_NAME[name]
    path, inputs = zoo.export(entry)
    result: dict = {"model": name, "threads": threads}
    try:
        ours, theirs = make_sessions(path, threads)
    except Exception as e:  # a model onnxrt cannot load yet is reported, not hidden
        result["error"] = f"{type(e).__name__}: {str(e).splitlines()[0][:200]}"
        return result
    feed = {i.name: x for i, x in zip(theirs.get_inputs(), inputs)}
    try:
        ref = theirs.run(None, feed)
        got = ours.run(None, feed)
    except Exception as e:
        result["error"] = f"{type(e).__name__}: {str(e).splitlines()[0][:200]}"
        return result
    result["max_abs_diff"] = max(float(np.max(np.abs(a.astype(np.float64) - b))) if a.size else 0.0 for a, b in zip(got, ref))
    for _ in range(warmup):
        ours.run(None, feed)
        theirs.run(None, feed)
    t_ours, t_theirs = [], []

    def timed_block(sess, times: list[float]) -> None:
        # Both runtimes keep worker threads spinning after a run: onnxrt for 0.3 ms, onnxruntime
        # (allow_spinning, its default) for about 40 ms measured here. Timed back to back, each
        # run would share the cores with the other runtime's spinners. So each block starts after
        # an idle gap longer than either spin, with one untimed run that wakes its own threads.
        time.sleep(BLOCK_GAP_S)
        sess.run(None, feed)
        for _ in range(BLOCK_RUNS):
            t0 = time.perf_counter()
            sess.run(None, feed)
            times.append((time.perf_counter() - t0) * 1e3)

    for i in range(max(1, -(-runs // BLOCK_RUNS))):
        order = ((ours, t_ours), (theirs, t_theirs)) if i % 2 == 0 else ((theirs, t_theirs), (ours, t_ours))
        for sess, times in order:
            timed_block(sess, times)
    result.update(
        onnxrt_median_ms=statistics.median(t_ours),
        onnxrt_p90_ms=percentile(t_ours, 90),
        ort_median_ms=statistics.median(t_theirs),
        ort_p90_ms=percentile(t_theirs, 90),
    )
    result["speedup"] = result["ort_median_ms"] / result["onnxrt_median_ms"]
    return result


# Peak RSS is VmHWM of the probe's own address space: Linux carries ru_maxrss across fork+exec, so
# getrusage in a child started by this (large) process reports the parent's peak instead.
# Creation time excludes importing the package.
_MEMORY_PROBE = r"""
import sys, time
import numpy as np
which, path, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
if which == "onnxrt":
    import onnxrt
    t0 = time.perf_counter()
    so = onnxrt.SessionOptions(); so.intra_op_num_threads = threads
    s = onnxrt.InferenceSession(path, so)
else:
    import onnxruntime as ort
    t0 = time.perf_counter()
    so = ort.SessionOptions(); so.intra_op_num_threads = threads
    s = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
created = time.perf_counter() - t0
hwm_kb = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:"))
print(created * 1e3, hwm_kb / 1024)
"""


def memory_one(name: str, threads: int, repeats: int = 3) -> dict:
    """Creation time and peak RSS, each the median of `repeats` fresh processes per runtime, the
    two runtimes alternating (creation of a 500 MB model moves by up to 2x between processes on
    this VM with the page-fault cost, so one sample is not enough)."""
    path, _ = zoo.export(zoo.BY_NAME[name])
    samples: dict[str, list[tuple[float, float]]] = {"onnxrt": [], "ort": []}
    for _ in range(repeats):
        for which in ("onnxrt", "ort"):
            p = subprocess.run([sys.executable, "-c", _MEMORY_PROBE, which, str(path), str(threads)],
                               capture_output=True, text=True)
            if p.returncode == 0:
                ms, rss = map(float, p.stdout.split())
                samples[which].append((ms, rss))
    out = {}
    for which, got in samples.items():
        if not got:
            out[f"{which}_create_ms"] = None
            continue
        out[f"{which}_create_ms"] = statistics.median(ms for ms, _ in got)
        out[f"{which}_peak_rss_mb"] = statistics.median(rss for _, rss in got)
    return out


def write_plot(results: list[dict], path: Path) -> None:
    """Horizontal bars of the speedup per model and thread count, as a plain SVG (no plotting
    library is among the pinned dependencies). The line at 1.0 is parity with onnxruntime."""
    rows = [(f"{r['model']} ({r['threads']}T)", r["speedup"]) for r in results]
    top = max([2.0] + [v for _, v in rows])
    left, width, bar, gap = 230, 420, 14, 6
    height = 40 + len(rows) * (bar + gap)
    x_of = lambda v: left + width * min(v, top) / top  # noqa: E731
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 70}" height="{height}" '
           'font-family="sans-serif" font-size="12">',
           f'<text x="{left}" y="16">onnxruntime median / onnxrt median (above 1: onnxrt is faster)</text>']
    for i, (label, v) in enumerate(rows):
        y = 30 + i * (bar + gap)
        color = "#2a7" if v >= 1.0 else "#d64"
        out.append(f'<text x="{left - 6}" y="{y + bar - 3}" text-anchor="end">{label}</text>')
        out.append(f'<rect x="{left}" y="{y}" width="{x_of(v) - left:.1f}" height="{bar}" fill="{color}"/>')
        out.append(f'<text x="{x_of(v) + 4:.1f}" y="{y + bar - 3}">{v:.2f}x</text>')
    out.append(f'<line x1="{x_of(1.0):.1f}" y1="24" x2="{x_of(1.0):.1f}" y2="{height - 4}" stroke="#000" '
               'stroke-dasharray="4 3"/>')
    out.append("</svg>")
    path.write_text("\n".join(out) + "\n")


def speed_table(rows: list[dict]) -> list[str]:
    lines = ["| model | threads | onnxrt median (p90) ms | onnxruntime median (p90) ms | speedup | max abs diff |",
             "|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['model']} | {r['threads']} | fails: {r['error']} | | | |")
            continue
        lines.append(
            f"| {r['model']} | {r['threads']} | {r['onnxrt_median_ms']:.3f} ({r['onnxrt_p90_ms']:.3f}) | "
            f"{r['ort_median_ms']:.3f} ({r['ort_p90_ms']:.3f}) | {r['speedup']:.2f}x | {r['max_abs_diff']:.2e} |"
        )
    ok = [r for r in rows if "speedup" in r]
    if ok:
        lines += [""]
        for t in sorted({r["threads"] for r in ok}):
            rs = [r["speedup"] for r in ok if r["threads"] == t]
            geo = float(np.exp(np.mean(np.log(rs))))
            lines.append(f"- {t} thread(s): geometric mean speedup {geo:.2f}x; onnxrt faster on "
                         f"{sum(x >= 1.0 for x in rs)} of {len(rs)} models.")
    return lines


def memory_table(rows: list[dict]) -> list[str]:
    lines = ["| model | threads | onnxrt create ms | onnxrt peak RSS MB | onnxruntime create ms | "
             "onnxruntime peak RSS MB | create speedup |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        if "onnxrt_create_ms" not in r:
            continue
        f = lambda k: "-" if r.get(k) is None else f"{r[k]:.0f}"  # noqa: E731
        ratio = (f"{r['ort_create_ms'] / r['onnxrt_create_ms']:.1f}x"
                 if r.get("ort_create_ms") and r.get("onnxrt_create_ms") else "-")
        lines.append(f"| {r['model']} | {r['threads']} | {f('onnxrt_create_ms')} | {f('onnxrt_peak_rss_mb')} | "
                     f"{f('ort_create_ms')} | {f('ort_peak_rss_mb')} | {ratio} |")
    return lines


# Models measured the same way but kept out of issue #8's suite and its geometric means.
SIDE_TABLES = [
    (zoo.QUANTIZED, "## Quantized models (outside issue #8's suite)",
     "The same measurement on models quantized with onnxruntime.quantization (benchmarks/models/zoo.py "
     "QUANTIZED): `_qdyn` = quantize_dynamic (int8 weights, DynamicQuantizeLinear + MatMulInteger), "
     "`_qdq` = quantize_static in the QDQ format (uint8 activations, int8 weights), and a plain-ONNX "
     "QLinearConv chain. Not part of the suite's geometric mean above. max abs diff is against "
     "onnxruntime, whose AVX2 int8 products are not exact (see the notes below); onnxrt's integer "
     "products equal onnx's reference (tests/python/test_quantized_models.py)."),
    (zoo.HALF, "## float16 models (outside issue #8's suite)",
     "The same measurement on suite models converted with `.half()` before export (benchmarks/models/zoo.py "
     "HALF): float16 weights, inputs and outputs. Both runtimes compute them in float32 between casts "
     "(onnxrt: passes/widen_16bit_floats.cc), so max abs diff is a float16 rounding of the output, "
     "not an error of either. Not part of the suite's geometric mean above."),
]


def write_doc(results: list[dict], command: str) -> None:
    import onnxruntime

    lines = [
        "# Performance: onnxrt vs onnxruntime (CPU)",
        "",
        f"Measured by `{command}` on {time.strftime('%Y-%m-%d')}; machine: {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores; onnxruntime {onnxruntime.__version__} (ORT_ENABLE_ALL, sequential). "
        "Both runtimes run the same exported file in one process, in alternating blocks of "
        f"{BLOCK_RUNS} timed runs, each block after a {BLOCK_GAP_S * 1e3:.0f} ms idle gap and one untimed run "
        "(onnxruntime's worker threads spin for ~40 ms after a run and would otherwise share the cores with "
        "onnxrt's next run; onnxrt's spin for 0.3 ms). "
        "speedup = onnxruntime median / onnxrt median (above 1: onnxrt is faster). Models are built in "
        "benchmarks/models/zoo.py with random weights and exported with torch.onnx.export(dynamo=True), opset 18.",
        "",
    ]
    side_names = {e.name for e in zoo.QUANTIZED + zoo.HALF}
    main_rows = [r for r in results if r["model"] not in side_names]
    lines += speed_table(main_rows)
    ok = [r for r in main_rows if "speedup" in r]
    if ok:
        write_plot(ok, ROOT / "docs" / "performance_speedup.svg")
        lines += ["", "![speedup per model](performance_speedup.svg)"]
    if any("onnxrt_create_ms" in r for r in main_rows):
        lines += ["", "## Session creation and peak RSS (fresh process each)", "",
                  "Each figure is the median of 3 fresh processes per runtime, alternating; creation "
                  "excludes importing the package; peak RSS is the process's VmHWM after creation. "
                  "create speedup = onnxruntime create ms / onnxrt create ms.", ""]
        lines += memory_table(main_rows)
    for entries, heading, text in SIDE_TABLES:
        names = {e.name for e in entries}
        rows = [r for r in results if r["model"] in names]
        if not rows:
            continue
        lines += ["", heading, "", text, ""]
        lines += speed_table(rows)
        if any("onnxrt_create_ms" in r for r in rows):
            lines += [""] + memory_table(rows)
    # Hand-written analysis (what changed, what is still slower and why) follows the table.
    notes = Path(__file__).with_name("performance_notes.md")
    if notes.exists():
        lines += [""] + notes.read_text().rstrip().splitlines()
    doc = ROOT / "docs" / "performance.md"
    # Other benchmarks (torch.compile, tree ensembles, kernels) write their own "## " sections of
    # the same file: keep every section this script does not generate.
    ours = {l for l in lines if l.startswith("## ")}
    kept: list[str] = []
    if doc.exists():
        keep = False
        for l in doc.read_text().splitlines():
            if l.startswith("## "):
                keep = l not in ours
            elif l.startswith("# "):
                keep = False
            if keep:
                kept.append(l)
    text = "\n".join(lines).rstrip() + "\n"
    if kept:
        text += "\n" + "\n".join(kept).rstrip() + "\n"
    doc.write_text(text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=",".join(e.name for e in zoo.ZOO + zoo.QUANTIZED + zoo.HALF))
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--memory", action="store_true")
    parser.add_argument("--write-doc", action="store_true")
    parser.add_argument("--from-json", help="rewrite docs/performance.md from a saved results file (no runs)")
    args = parser.parse_args()
    if args.from_json:
        saved = json.loads(Path(args.from_json).read_text())
        write_doc(saved["results"], saved["command"])
        return 0
    results = []
    for name in args.models.split(","):
        for threads in (int(t) for t in args.threads.split(",")):
            r = bench_one(name, threads, args.runs, args.warmup)
            if args.memory:
                r.update(memory_one(name, threads))
            results.append(r)
            print(json.dumps(r), flush=True)
    out_dir = ROOT / "benchmarks" / "results"
    out_dir.mkdir(exist_ok=True)
    command = "python " + " ".join(sys.argv)
    (out_dir / f"models_{time.strftime('%Y%m%d_%H%M%S')}.json").write_text(
        json.dumps({"command": command, "results": results}, indent=1))
    if args.write_doc:
        write_doc(results, command)
    return 0


if __name__ == "__main__":
    sys.exit(main())
