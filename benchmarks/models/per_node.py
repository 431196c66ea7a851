"""Per-node times of one model on onnxrt and onnxruntime, side by side: each runtime's own
profiler (onnxrt's profile JSON, onnxruntime's enable_profiling), medians over the measured runs,
nodes paired in execution order by output shape (onnxruntime's extra layout nodes, such as its
NCHWc reorders, are listed where they fall). For finding which nodes of a model a ratio in
docs/performance.md comes from; the per-node figures in performance_notes.md were taken with it.

    python benchmarks/models/per_node.py MODEL.onnx [--threads 1] [--runs 30] [--below 1.0] [--by-op]
        [--dynamic-dim 1]

Columns: node, our kernel, output shape, our us, onnxruntime's us, onnxruntime/ours (> 1: we are
faster). Profiling adds a little to every node for both runtimes; compare nodes, not totals with
run.py's.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import statistics
import tempfile

import numpy as np
import onnxruntime as ort

import onnxrt


def medians(events: list[dict], runs: int) -> list[tuple[str, float, str, str, str]]:
    """(node name, median us over the last `runs` calls, kernel, output shape, op type) in
    execution order."""
    per_node: dict[str, list] = {}
    for e in events:
        if e.get("cat") != "Node" or not e["name"].endswith("_kernel_time"):
            continue
        args = e.get("args", {})
        shapes = args.get("output_type_shape") or []
        shape = str(next(iter(shapes[0].values()), "")) if shapes else ""
        per_node.setdefault(e["name"][: -len("_kernel_time")], []).append(
            (e["dur"], args.get("kernel", ""), shape, args.get("op_name", "")))
    return [(name, statistics.median(x[0] for x in v[-runs:]), v[0][1], v[0][2], v[0][3])
            for name, v in per_node.items()]


def logical_shape(shape: str) -> str:
    """A channel-blocked output shape [N, C/8, H, W, 8] as [N, C, H, W], the shape onnxruntime
    gives its NCHWc nodes, so that blocked convs pair with theirs."""
    dims = [int(d) for d in shape.strip("[]").split(",") if d.strip()]
    if len(dims) != 5 or dims[-1] != 8:
        return shape
    return str([dims[0], dims[1] * 8, dims[2], dims[3]])


def print_by_op(label: str, nodes: list) -> None:
    """Each op type's summed median us, largest first."""
    totals: dict[str, float] = {}
    for n in nodes:
        totals[n[4]] = totals.get(n[4], 0.0) + n[1]
    print(f"{label}: {sum(totals.values()):.0f} us")
    for op, us in sorted(totals.items(), key=lambda kv: -kv[1]):
        print(f"  {op:24s} {us:9.0f}")


def random_feed(sess: ort.InferenceSession, dynamic_dim: int = 1) -> dict:
    """Floats in [0, 1); integer inputs (token ids, positions) get small ids that every vocabulary
    holds. Symbolic dims are `dynamic_dim`."""
    rng = np.random.default_rng(0)
    feed = {}
    for i in sess.get_inputs():
        shape = [d if isinstance(d, int) else dynamic_dim for d in i.shape]
        if i.type in ("tensor(int64)", "tensor(int32)"):
            feed[i.name] = rng.integers(0, 100, shape).astype(np.int64 if i.type == "tensor(int64)" else np.int32)
        elif i.type == "tensor(float16)":
            feed[i.name] = rng.random(shape).astype(np.float16)
        else:
            feed[i.name] = rng.random(shape).astype(np.float32)
    return feed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--below", type=float, default=None, help="list only nodes with a ratio below this")
    ap.add_argument("--by-op", action="store_true", help="sum the nodes of each op type instead")
    ap.add_argument("--dynamic-dim", type=int, default=1, help="the size of every symbolic input dim (a batch)")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        so = ort.SessionOptions()
        so.intra_op_num_threads = args.threads
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        so.enable_profiling = True
        so.profile_file_prefix = os.path.join(tmp, "ort")
        theirs = ort.InferenceSession(args.model, so, providers=["CPUExecutionProvider"])
        feed = random_feed(theirs, args.dynamic_dim)
        for _ in range(args.runs + 5):
            theirs.run(None, feed)
        with open(theirs.end_profiling()) as f:
            ort_nodes = medians(json.load(f), args.runs)

        opts = onnxrt.SessionOptions()
        opts.intra_op_num_threads = args.threads
        opts.enable_profiling = True
        opts.profile_file_prefix = os.path.join(tmp, "ours")
        ours = onnxrt.InferenceSession(args.model, opts)
        for _ in range(args.runs + 5):
            ours.run(None, feed)
        path = ours.end_profiling() or sorted(glob.glob(os.path.join(tmp, "ours*.json")))[-1]
        with open(path) as f:
            our_nodes = medians(json.load(f), args.runs)

    if args.by_op:  # the op types differ (fused nodes, onnxruntime's layout reorders): two lists
        print_by_op(f"onnxrt ({args.threads} thread(s), medians of {args.runs})", our_nodes)
        print_by_op("onnxruntime", ort_nodes)
        return
    print(f"in kernels: onnxrt {sum(n[1] for n in our_nodes):.0f} us, "
          f"onnxruntime {sum(n[1] for n in ort_nodes):.0f} us ({args.threads} thread(s), medians of {args.runs})")
    j = 0
    for name, us, kernel, shape, _ in our_nodes:
        k = j
        wanted = {shape, logical_shape(shape) if kernel.startswith(("blocked", "to_blocked")) else shape}
        while k < len(ort_nodes) and ort_nodes[k][3] not in wanted:
            k += 1
        if k == len(ort_nodes):  # no node of that shape left: ours alone
            print(f"{name:34s} {kernel:22s} {shape:22s} {us:9.1f} {'':>9s}")
            continue
        extra = ort_nodes[j:k]
        if extra and args.below is None:
            print(f"  (onnxruntime only: {', '.join(n[0] for n in extra)}: {sum(n[1] for n in extra):.1f} us)")
        theirs_us = ort_nodes[k][1]
        j = k + 1
        ratio = theirs_us / us if us > 0 else float("inf")
        if args.below is not None and ratio >= args.below:
            continue
        print(f"{name:34s} {kernel:22s} {shape:22s} {us:9.1f} {theirs_us:9.1f} {ratio:6.2f}")


if __name__ == "__main__":
    main()
