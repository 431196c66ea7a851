"""``onnxrt bench``: latency percentiles and throughput, optionally against onnxruntime.

    onnxrt bench model.onnx [--runs N | --duration S] [--warmup W] [--threads N] [--dim batch=8]
                            [--vs onnxruntime] [--json] [input options]

With ``--vs onnxruntime`` both runtimes get the same inputs and thread count and run alternately
(onnxrt, onnxruntime, onnxrt, ...), so that machine noise lands on both alike; the ratio is
onnxruntime's median over onnxrt's (above 1: onnxrt is faster). A progress bar goes to stderr
when it is a terminal.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, dataclass
from typing import Any, Callable, Sequence

import numpy as np


@dataclass
class LatencyStats:
    """Latency of one runtime over the measured runs, in milliseconds."""

    runtime: str
    runs: int
    mean_ms: float
    min_ms: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    throughput_per_s: float  # runs per second of measured time

    @staticmethod
    def from_samples(runtime: str, samples_ns: Sequence[int]) -> "LatencyStats":
        """Percentiles of per-run latencies (nanoseconds)."""
        ms = np.asarray(samples_ns, dtype=np.float64) / 1e6
        p50, p90, p99 = np.percentile(ms, [50, 90, 99])
        return LatencyStats(runtime, len(ms), float(ms.mean()), float(ms.min()), float(p50), float(p90),
                            float(p99), float(1000.0 * len(ms) / ms.sum()) if ms.sum() > 0 else 0.0)


class Progress:
    """A one-line progress bar on stderr, drawn only when stderr is a terminal."""

    def __init__(self, label: str, enabled: bool | None = None) -> None:
        self.label = label
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self._last = 0.0

    def update(self, fraction: float) -> None:
        """Redraws at most 10 times a second."""
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last < 0.1 and fraction < 1.0:
            return
        self._last = now
        width = 30
        done = int(width * min(max(fraction, 0.0), 1.0))
        sys.stderr.write(f"\r{self.label} [{'#' * done}{'.' * (width - done)}] {100 * fraction:5.1f}%")
        sys.stderr.flush()

    def close(self) -> None:
        """Clears the line."""
        if self.enabled:
            sys.stderr.write("\r" + " " * (len(self.label) + 42) + "\r")
            sys.stderr.flush()


def measure(runners: dict[str, Callable[[], Any]], runs: int | None, duration_s: float | None, warmup: int,
            progress: Progress | None = None) -> dict[str, list[int]]:
    """Runs each runner ``warmup`` times, then alternately, one run each per round, until ``runs``
    rounds or ``duration_s`` seconds have passed; returns the latencies in ns per runner."""
    for run in runners.values():
        for _ in range(warmup):
            run()
    samples: dict[str, list[int]] = {name: [] for name in runners}
    start = time.perf_counter()
    rounds = 0
    while True:
        for name, run in runners.items():
            t0 = time.perf_counter_ns()
            run()
            samples[name].append(time.perf_counter_ns() - t0)
        rounds += 1
        elapsed = time.perf_counter() - start
        if runs is not None:
            fraction = rounds / runs
        else:
            fraction = elapsed / duration_s if duration_s else 1.0
        if progress:
            progress.update(min(fraction, 1.0))
        if fraction >= 1.0:
            break
    if progress:
        progress.close()
    return samples


def _batch_size(dims: dict[str, int]) -> int | None:
    for name in ("batch", "batch_size", "N"):
        if name in dims:
            return dims[name]
    return None


def cmd_bench(args: argparse.Namespace) -> int:
    """Measures onnxrt (and onnxruntime with --vs) and prints a table or JSON."""
    import onnxrt

    from .cli import UsageError, check_model_path, make_feeds, parse_dims, session_options

    if args.runs is not None and args.runs < 1:
        raise UsageError(f"--runs must be >= 1, got {args.runs}")
    if args.duration is not None and args.duration <= 0:
        raise UsageError(f"--duration must be > 0, got {args.duration}")
    if args.runs is not None and args.duration is not None:
        raise UsageError("give --runs or --duration, not both")
    if args.warmup < 0:
        raise UsageError(f"--warmup must be >= 0, got {args.warmup}")
    runs = args.runs if args.runs is not None or args.duration is not None else 100
    check_model_path(args.model)
    dims = parse_dims(args.dim)
    opts = session_options(args)
    sess = onnxrt.InferenceSession(args.model, sess_options=opts)
    feeds = make_feeds(sess, args)
    runners: dict[str, Callable[[], Any]] = {"onnxrt": lambda: sess.run(None, feeds)}

    agreement = None
    if args.vs:
        try:
            import onnxruntime as ort
        except ImportError:
            raise UsageError("--vs onnxruntime needs the onnxruntime package") from None
        ort_opts = ort.SessionOptions()
        ort_opts.intra_op_num_threads = opts.intra_op_num_threads
        try:
            ort_sess = ort.InferenceSession(args.model, ort_opts, providers=["CPUExecutionProvider"])
            ours, theirs = sess.run(None, feeds), ort_sess.run(None, feeds)
        except Exception as e:  # onnxruntime raises its own exception types
            raise UsageError(f"onnxruntime cannot run this model: {e}") from None
        agreement = _max_abs_difference(ours, theirs)
        runners["onnxruntime"] = lambda: ort_sess.run(None, feeds)

    samples = measure(runners, runs, args.duration, args.warmup, Progress("bench"))
    stats = [LatencyStats.from_samples(name, s) for name, s in samples.items()]
    batch = _batch_size(dims)
    if args.json:
        out: dict[str, Any] = {"model": args.model, "threads": opts.intra_op_num_threads, "dims": dims,
                               "results": [asdict(s) for s in stats]}
        if len(stats) == 2:
            out["speedup_vs_onnxruntime"] = stats[1].p50_ms / stats[0].p50_ms
            out["max_abs_difference"] = agreement
        print(json.dumps(out, indent=2))
        return 0

    print(f"model: {args.model}  threads: {opts.intra_op_num_threads or 'all cores'}"
          + (f"  dims: {', '.join(f'{k}={v}' for k, v in dims.items())}" if dims else ""))
    header = f"{'runtime':<12} {'runs':>6} {'mean ms':>9} {'p50 ms':>9} {'p90 ms':>9} {'p99 ms':>9} {'runs/s':>9}"
    if batch:
        header += f" {'items/s':>9}"
    print(header)
    for s in stats:
        line = (f"{s.runtime:<12} {s.runs:>6} {s.mean_ms:>9.3f} {s.p50_ms:>9.3f} {s.p90_ms:>9.3f} "
                f"{s.p99_ms:>9.3f} {s.throughput_per_s:>9.1f}")
        if batch:
            line += f" {s.throughput_per_s * batch:>9.1f}"
        print(line)
    if len(stats) == 2:
        ratio = stats[1].p50_ms / stats[0].p50_ms
        verdict = "faster" if ratio >= 1 else "slower"
        print(f"onnxruntime p50 / onnxrt p50 = {ratio:.2f}  (onnxrt is "
              f"{ratio if ratio >= 1 else 1 / ratio:.2f}x {verdict}; runs alternated)")
        if agreement is not None:
            print(f"outputs agree to max abs difference {agreement:.3g}")
    return 0


def _max_abs_difference(a: list[Any], b: list[Any]) -> float | None:
    worst = 0.0
    for x, y in zip(a, b):
        x, y = np.asarray(x), np.asarray(y)
        if x.shape != y.shape or x.dtype.kind not in "fiucb" or y.dtype.kind not in "fiucb":
            return None
        if x.size:
            worst = max(worst, float(np.max(np.abs(x.astype(np.float64) - y.astype(np.float64)))))
    return worst


def add_parser(sub: Any) -> None:
    """Registers ``onnxrt bench``."""
    from .cli import add_input_options

    p = sub.add_parser("bench", help="latency percentiles and throughput (optionally vs onnxruntime)")
    p.add_argument("model", help="path to the .onnx file")
    add_input_options(p)
    p.add_argument("--runs", type=int, help="measured runs per runtime (default 100)")
    p.add_argument("--duration", type=float, metavar="SECONDS", help="measure for this long instead of --runs")
    p.add_argument("--warmup", type=int, default=5, help="unmeasured runs first (default 5)")
    p.add_argument("--vs", choices=["onnxruntime"], help="also run onnxruntime, alternating, and print the ratio")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.set_defaults(func=cmd_bench)
