"""``onnxrt profile``: where the time of a model goes, by op type and by node.

    onnxrt profile model.onnx [--runs 10] [--warmup 1] [--top 10] [--prefix PATH] [input options]

Runs the model with ``SessionOptions.enable_profiling`` and reads back the Chrome-trace JSON that
the engine writes (the file stays, for Perfetto or chrome://tracing). Warm-up runs are in the
trace but not in the tables.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
from dataclasses import dataclass, field
from typing import Any


@dataclass
class NodeStats:
    """Time of one node over the measured runs."""

    name: str
    op: str
    kernel: str
    calls: int = 0
    total_us: float = 0.0
    output_shapes: list[Any] = field(default_factory=list)


@dataclass
class ProfileSummary:
    """What a profile says, after dropping the warm-up runs."""

    runs: int
    run_us: list[float]  # duration of each measured run
    nodes: dict[str, NodeStats]

    @property
    def node_total_us(self) -> float:
        """Time spent inside kernels, summed over nodes and runs."""
        return sum(n.total_us for n in self.nodes.values())

    def by_op(self) -> list[tuple[str, int, float]]:
        """(op type, number of node runs, total us), slowest first."""
        acc: dict[str, list[float]] = collections.defaultdict(lambda: [0, 0.0])
        for n in self.nodes.values():
            acc[n.op][0] += n.calls
            acc[n.op][1] += n.total_us
        rows = [(op, int(c), t) for op, (c, t) in acc.items()]
        return sorted(rows, key=lambda r: -r[2])


def summarize_trace(events: list[dict[str, Any]], warmup: int = 0) -> ProfileSummary:
    """Reads an onnxrt (or onnxruntime) trace: node events ("cat": "Node") that fall inside one of
    the measured "model_run" events are summed per node; the first ``warmup`` runs are skipped."""
    runs = sorted((e for e in events if e.get("cat") == "Session" and e.get("name") == "model_run"),
                  key=lambda e: e["ts"])
    measured = runs[warmup:]
    windows = [(e["ts"], e["ts"] + e["dur"]) for e in measured]
    nodes: dict[str, NodeStats] = {}
    for e in events:
        if e.get("cat") != "Node":
            continue
        ts = e["ts"]
        if windows and not any(lo <= ts <= hi for lo, hi in windows):
            continue
        args = e.get("args", {})
        name = args.get("node_name") or e["name"].removesuffix("_kernel_time")
        stats = nodes.get(name)
        if stats is None:
            stats = nodes[name] = NodeStats(name, args.get("op_name", "?"), args.get("kernel", ""))
            stats.output_shapes = args.get("output_type_shape", [])
        stats.calls += 1
        # dur_ns when present: many kernels of small models run in under a microsecond.
        stats.total_us += args["dur_ns"] / 1000.0 if "dur_ns" in args else float(e["dur"])
    return ProfileSummary(len(measured), [float(e["dur"]) for e in measured], nodes)


def _shape_text(type_shapes: list[Any]) -> str:
    parts = []
    for ts in type_shapes:
        for dtype, dims in ts.items():
            parts.append(f"{dtype}[{','.join(str(d) for d in dims)}]")
    return " ".join(parts)


def print_summary(summary: ProfileSummary, top: int) -> None:
    """The two tables of ``onnxrt profile``."""
    runs = max(summary.runs, 1)
    total = summary.node_total_us or 1.0
    mean_run = sum(summary.run_us) / len(summary.run_us) if summary.run_us else 0.0
    print(f"{summary.runs} measured run(s): mean {mean_run / 1000:.3f} ms per run, "
          f"{summary.node_total_us / runs / 1000:.3f} ms in kernels")
    print()
    print(f"{'op type':<24} {'nodes':>6} {'ms/run':>9} {'us/call':>9} {'share':>7}")
    for op, calls, t in summary.by_op():
        print(f"{op:<24} {calls // runs:>6} {t / runs / 1000:>9.3f} {t / max(calls, 1):>9.1f} "
              f"{100 * t / total:>6.1f}%")
    print()
    print(f"top {top} nodes:")
    print(f"{'node':<32} {'op type':<18} {'kernel':<20} {'us/run':>10} {'share':>7}  output")
    ranked = sorted(summary.nodes.values(), key=lambda n: -n.total_us)[:top]
    for n in ranked:
        print(f"{n.name[:32]:<32} {n.op[:18]:<18} {n.kernel[:20]:<20} {n.total_us / runs:>10.1f} "
              f"{100 * n.total_us / total:>6.1f}%  {_shape_text(n.output_shapes)}")


def cmd_profile(args: argparse.Namespace) -> int:
    """Runs the model ``--warmup + --runs`` times with profiling on and prints the tables."""
    import onnxrt

    from .cli import UsageError, check_model_path, make_feeds, parse_dims, session_options

    if args.runs < 1:
        raise UsageError(f"--runs must be >= 1, got {args.runs}")
    if args.warmup < 0:
        raise UsageError(f"--warmup must be >= 0, got {args.warmup}")
    if args.top < 1:
        raise UsageError(f"--top must be >= 1, got {args.top}")
    check_model_path(args.model)
    parse_dims(args.dim)
    opts = session_options(args)
    opts.enable_profiling = True
    opts.profile_file_prefix = args.prefix or os.path.splitext(os.path.basename(args.model))[0] + "_profile"
    sess = onnxrt.InferenceSession(args.model, sess_options=opts)
    feeds = make_feeds(sess, args)
    for _ in range(args.warmup + args.runs):
        sess.run(None, feeds)
    path = sess.end_profiling()
    with open(path, encoding="utf-8") as f:
        events = json.load(f)
    print_summary(summarize_trace(events, args.warmup), args.top)
    print()
    print(f"trace: {path} (open in https://ui.perfetto.dev or chrome://tracing)")
    return 0


def add_parser(sub: Any) -> None:
    """Registers ``onnxrt profile``."""
    from .cli import add_input_options

    p = sub.add_parser("profile", help="time every node; print time by op type and the slowest nodes")
    p.add_argument("model", help="path to the .onnx file")
    add_input_options(p)
    p.add_argument("--runs", type=int, default=10, help="measured runs (default 10)")
    p.add_argument("--warmup", type=int, default=1, help="runs left out of the tables (default 1)")
    p.add_argument("--top", type=int, default=10, help="how many of the slowest nodes to list")
    p.add_argument("--prefix", help="trace file prefix (default: <model name>_profile in the current "
                                    "directory); the file is <prefix>_<date>_<time>.json")
    p.set_defaults(func=cmd_profile)
