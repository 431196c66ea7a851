"""torch.compile(backend="onnxrt") against eager PyTorch: compile time, steady-state latency,
and the cost of handing a large tensor to onnxrt (to show that it is not copied).

    python benchmarks/torch_compile.py [--models mlp,small_cnn] [--inductor mlp,small_cnn] [--runs 30]
                                       [--threads 1] [--write-doc]

Models come from benchmarks/models/zoo.py (random weights). Compile time is the first call of the
compiled model: TorchDynamo tracing, partitioning, torch.onnx export and session creation. Latency
is the median (and p90) of ``--runs`` calls after two warm-up calls, eager and onnxrt alternating,
under torch.no_grad(). Inductor runs for the models in ``--inductor`` (by default all that give a graph; on a loaded
2-core machine its compile time grows fast with the model, so the list can be cut), and its
first compile in a process also pays a one-time start (C++ toolchain probe, code cache), timed
separately on a one-op function so that the per-model column is comparable. ``--write-doc``
replaces the "torch.compile backend" section of docs/performance.md.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks" / "models"))

import zoo  # noqa: E402

import onnxrt.torch as ort_torch  # noqa: E402
from onnxrt.torch.records import recording  # noqa: E402

DEFAULT_MODELS = ["mlp", "small_cnn", "mobilenetv2_b1", "transformer_2layer_s128", "lstm_2layer"]
DEFAULT_INDUCTOR = ["mlp", "small_cnn", "mobilenetv2_b1", "transformer_2layer_s128"]
SECTION = "## torch.compile backend"


def _median_p90(samples):
    s = sorted(samples)
    return statistics.median(s), s[min(len(s) - 1, int(0.9 * len(s)))]


def inductor_warmup() -> float:
    """Seconds of inductor's first compile in the process, on a one-op function."""
    torch._dynamo.reset()
    t0 = time.perf_counter()
    torch.compile(lambda x: x + 1, backend="inductor")(torch.ones(4))
    return time.perf_counter() - t0


def bench_model(name: str, runs: int, threads: int, inductor: bool = False) -> dict:
    entry = zoo.BY_NAME[name]
    torch.manual_seed(0)
    model = entry.build().eval()
    inputs = entry.inputs()
    torch._dynamo.reset()
    with torch.no_grad(), recording() as graphs:
        compiled = torch.compile(model, backend="onnxrt", options={"intra_op_num_threads": threads})
        t0 = time.perf_counter()
        got = compiled(*inputs)
        compile_s = time.perf_counter() - t0
        want = model(*inputs)
        err = float((got - want).abs().max())
        variants = [model, compiled]
        if inductor:
            # A separate dynamo cache entry: reset would drop the onnxrt graphs still in use.
            by_inductor = torch.compile(model, backend="inductor")
            t0 = time.perf_counter()
            got_inductor = by_inductor(*inputs)
            inductor_s = time.perf_counter() - t0
            inductor_err = float((got_inductor - want).abs().max())
            variants.append(by_inductor)
        for _ in range(2):
            for fn in variants:
                fn(*inputs)
        times: list[list[float]] = [[] for _ in variants]
        for _ in range(runs):
            for fn, samples in zip(variants, times):
                t = time.perf_counter()
                fn(*inputs)
                samples.append(time.perf_counter() - t)
    eager, ort = times[0], times[1]
    parts = [p for g in graphs for p in g.partitions]
    extra = {}
    if inductor:
        extra = {"inductor_s": inductor_s, "inductor_ms": _median_p90([x * 1e3 for x in times[2]]),
                 "inductor_err": inductor_err}
    return {
        **extra,
        "model": name,
        "compile_s": compile_s,
        "eager_ms": _median_p90([x * 1e3 for x in eager]),
        "onnxrt_ms": _median_p90([x * 1e3 for x in ort]),
        "graphs": len(graphs),
        "on_onnxrt": sum(p.status == "onnxrt" for p in parts),
        "fell_back": sum(p.status == "eager" for p in parts),
        "eager_ops": sum(len(g.eager_nodes) for g in graphs),
        "max_abs_diff": err,
    }


def _rss_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _reset_peak() -> None:
    Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM (Linux >= 4.0)


def bench_zero_copy(mb: int = 256, repeats: int = 5) -> dict:
    """One `mb` MB float32 input through a compiled reduction (output: a scalar), then through a
    compiled x + 1 (output: `mb` MB). Peak RSS growth during the call shows what was allocated."""
    from onnxrt.torch.tensors import run_session

    x = torch.randn(mb * 1024 * 1024 // 4)
    torch._dynamo.reset()
    with torch.no_grad():
        reduce = torch.compile(lambda t: t.sum(), backend="onnxrt", options={"strict": True})
        add = torch.compile(lambda t: t + 1, backend="onnxrt", options={"strict": True})
        reduce(x), add(x)  # export and load both first
        gc.collect()

        def measure(fn):
            times, growth = [], []
            for _ in range(repeats):
                gc.collect()
                _reset_peak()
                base = _rss_mb("VmRSS")
                t = time.perf_counter()
                out = fn()
                times.append(time.perf_counter() - t)
                growth.append(_rss_mb("VmHWM") - base)
                del out
            return statistics.median(times) * 1e3, statistics.median(growth)

        r_ms, r_mb = measure(lambda: reduce(x))
        c_ms, c_mb = measure(lambda: reduce(x.clone()))  # what a copying binding would cost
        a_ms, a_mb = measure(lambda: add(x))
        y = add(x)
        shares = y.untyped_storage().data_ptr() == y.numpy().ctypes.data  # torch view of the engine buffer
    return {"mb": mb, "reduce_ms": r_ms, "reduce_rss_mb": r_mb, "copy_ms": c_ms, "copy_rss_mb": c_mb,
            "add_ms": a_ms, "add_rss_mb": a_mb, "output_shared": shares}


def to_markdown(rows, zc, threads: int, runs: int, inductor_names=(), warmup_s=None) -> str:
    today = datetime.date.today().isoformat()
    inductor_arg = ",".join(inductor_names) or "''"
    inductor_text = (
        f"Inductor (C++ codegen) is measured for {', '.join(inductor_names)} only: its "
        "compile time grows quickly with the model on this 2-core machine. Its first compile in a process "
        f"also pays a one-time start, {warmup_s:.1f} s here (timed on `x + 1`), left out of the column. "
        if inductor_names else "Inductor is not measured (no --inductor models). ")
    lines = [
        SECTION, "",
        f"Measured by `python benchmarks/torch_compile.py --threads {threads} --runs {runs} "
        f"--inductor {inductor_arg} --write-doc` on {today}; "
        f"{platform.machine()}, {torch.get_num_threads()} torch thread(s), onnxrt intra_op_num_threads={threads}, "
        f"torch {torch.__version__}. Compile = first call (TorchDynamo trace + torch.onnx export + onnxrt session); "
        "latency = median (p90) of alternating calls under torch.no_grad(); the first row's onnxrt compile also "
        "builds torch.onnx's translation table, once per process (about 2 s). " + inductor_text +
        f"Load average at the end: {os.getloadavg()[0]:.1f} "
        "(other work on the machine moves single numbers; the ratio of one row is what to read).", "",
        "| model | onnxrt compile s | inductor compile s | eager ms | onnxrt ms | inductor ms | onnxrt speedup | graphs | partitions on onnxrt / fell back | ops kept in PyTorch | max abs diff |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['model']} | failed: {r['error']} | | | | | | | | | |")
            continue
        (em, ep), (om, op) = r["eager_ms"], r["onnxrt_ms"]
        # No graph: TorchDynamo ran the whole model in PyTorch, so both columns are eager.
        speedup = f"{em / om:.2f}x" if r["graphs"] else "n/a (no graph compiled)"
        ind_s, ind_ms = "-", "-"
        if "inductor_s" in r:
            im, ip = r["inductor_ms"]
            ind_s, ind_ms = f"{r['inductor_s']:.1f}", f"{im:.3f} ({ip:.3f})"
        lines.append(
            f"| {r['model']} | {r['compile_s']:.1f} | {ind_s} | {em:.3f} ({ep:.3f}) | {om:.3f} ({op:.3f}) | {ind_ms} | "
            f"{speedup} | {r['graphs']} | {r['on_onnxrt']} / {r['fell_back']} | {r['eager_ops']} | "
            f"{r['max_abs_diff']:.2e} |")
    if zc:
        lines += [
            "",
            f"Zero-copy check, a {zc['mb']} MB float32 tensor (median of 5 calls; RSS growth = peak RSS during the "
            "call minus RSS before it):", "",
            "| call | ms | peak RSS growth MB |", "|---|---:|---:|",
            f"| compiled `x.sum()` on onnxrt | {zc['reduce_ms']:.1f} | {zc['reduce_rss_mb']:.0f} |",
            f"| same, with the input copied first (what a copying binding costs) | {zc['copy_ms']:.1f} | {zc['copy_rss_mb']:.0f} |",
            f"| compiled `x + 1` on onnxrt ({zc['mb']} MB output) | {zc['add_ms']:.1f} | {zc['add_rss_mb']:.0f} |",
            "",
            "The input is read in place (no growth for the reduction); the only allocation of `x + 1` is its "
            "output, which comes back to torch as a view of the engine's buffer "
            f"(shared storage: {zc['output_shared']}).",
        ]
    return "\n".join(lines) + "\n"


def write_section(text: str) -> None:
    doc = ROOT / "docs" / "performance.md"
    content = doc.read_text()
    start = content.find(SECTION)
    if start < 0:
        content = content.rstrip("\n") + "\n\n" + text
    else:
        end = content.find("\n## ", start + len(SECTION))
        content = content[:start] + text + ("" if end < 0 else content[end:].lstrip("\n").join(["\n", ""]))
    doc.write_text(content)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default=",".join(DEFAULT_MODELS))
    ap.add_argument("--inductor", default=",".join(DEFAULT_INDUCTOR),
                    help="models also compiled with inductor ('' for none)")
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--zero-copy-mb", type=int, default=256, help="0 skips the zero-copy check")
    ap.add_argument("--write-doc", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    inductor_names = [n for n in args.inductor.split(",") if n]
    warmup_s = inductor_warmup() if inductor_names else None
    rows = []
    for name in args.models.split(","):
        try:
            rows.append(bench_model(name, args.runs, args.threads, inductor=name in inductor_names))
        except Exception as e:  # noqa: BLE001 - report and go on with the next model
            rows.append({"model": name, "error": f"{type(e).__name__}: {str(e).splitlines()[0][:100]}"})
        print(rows[-1], flush=True)
    zc = bench_zero_copy(args.zero_copy_mb) if args.zero_copy_mb else None
    if zc:
        print(zc, flush=True)
    text = to_markdown(rows, zc, args.threads, args.runs, inductor_names, warmup_s)
    print(text)
    if args.write_doc:
        write_section(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
