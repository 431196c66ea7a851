"""``onnxrt compare``: the first node whose output differs between onnxrt and another runtime.

    onnxrt compare model.onnx [--against onnxruntime|reference|reference-kernels]
                              [--level disable|basic|extended|all] [--rtol R] [--atol A] [--all]
                              [input options]

Both sides run the same inputs and report every intermediate value:

* onnxrt: ``InferenceSession.run_with_intermediates`` at ``--level`` (default ``all``, what users
  run; ``disable`` keeps every value of the model, as written, visible);
* ``onnxruntime``: the model with every node output added as a graph output, optimizations off
  (ORT_DISABLE_ALL) so that nothing is fused away;
* ``reference``: ``onnx.reference.ReferenceEvaluator`` (slow, the spec's reading);
* ``reference-kernels``: onnxrt itself on its naive reference kernels at the same level. A
  mismatch there is an optimized-kernel bug; agreement there but a mismatch against onnxruntime
  points at a graph pass (retry with ``--level disable``) or at both kernels.

Values are compared in onnxrt's execution order; the first one beyond ``|a - b| <= atol + rtol *
|b|`` is reported with the node that computed it. Exit status: 0 when all match, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

AGAINST = ("onnxruntime", "reference", "reference-kernels")
LEVELS = {"disable": 0, "basic": 1, "extended": 2, "all": 99}


@dataclass
class ValueDiff:
    """How one value differs between the two runtimes."""

    name: str
    ok: bool
    max_abs: float = 0.0
    max_rel: float = 0.0
    where: tuple[int, ...] | None = None  # index of the largest absolute error
    bad: int = 0  # elements beyond tolerance
    size: int = 0
    note: str = ""  # why the value could not be compared element by element


def describe_array(value: Any) -> str:
    """dtype, shape and statistics of a value, on one line."""
    if not isinstance(value, np.ndarray):
        return f"{type(value).__name__}"
    head = f"{value.dtype} {list(value.shape)}"
    if value.size == 0 or value.dtype.kind not in "biufc":
        return head
    v = np.abs(value) if value.dtype.kind == "c" else value.astype(np.float64)
    finite = v[np.isfinite(v)]
    nans = int(np.isnan(v).sum())
    stats = (f" min={finite.min():.6g} max={finite.max():.6g} mean={finite.mean():.6g} std={finite.std():.6g}"
             if finite.size else " no finite values")
    return head + stats + (f" nan={nans}" if nans else "")


def compare_values(name: str, ours: Any, theirs: Any, rtol: float, atol: float) -> ValueDiff:
    """Compares two runtime values with numpy's allclose rule (NaN equals NaN)."""
    if not isinstance(ours, np.ndarray) or not isinstance(theirs, np.ndarray):
        return ValueDiff(name, True, note="not a tensor (skipped)")
    theirs = np.asarray(theirs)
    if ours.shape != theirs.shape:
        return ValueDiff(name, False, note=f"shape {list(ours.shape)} vs {list(theirs.shape)}")
    if ours.dtype.kind not in "biufc" or theirs.dtype.kind not in "biufc":
        equal = ours.shape == theirs.shape and bool(np.all(ours.astype(object) == theirs.astype(object)))
        return ValueDiff(name, equal, size=int(ours.size), bad=0 if equal else int(ours.size),
                         note="" if equal else "non-numeric values differ")
    if ours.size == 0:
        return ValueDiff(name, True, size=0)
    a = ours.astype(np.complex128 if ours.dtype.kind == "c" else np.float64)
    b = theirs.astype(np.complex128 if theirs.dtype.kind == "c" else np.float64)
    close = np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=True)
    with np.errstate(invalid="ignore", over="ignore"):
        err = np.abs(a - b)
        # Equal values (the same infinity, as in attention masks) and NaN on both sides are no
        # error; NaN on one side only is an infinite one.
        err = np.where((a == b) | (np.isnan(a) & np.isnan(b)), 0.0, err)
        err = np.where(np.isnan(err), np.inf, err)
        big = np.isfinite(b) & (np.abs(b) > atol)  # relative error only where the reference is not ~0
        rel = float(np.max(err[big] / np.abs(b[big]))) if np.any(big) else 0.0
    where = tuple(int(i) for i in np.unravel_index(int(np.argmax(err)), err.shape)) if err.size else None
    bad = int(close.size - np.count_nonzero(close))
    return ValueDiff(name, bad == 0, float(err.max()), rel, where, bad, int(close.size))


def _all_outputs_model(model: Any) -> Any:
    """A copy of ``model`` whose graph outputs are every node output of the main graph."""
    import onnx

    m = onnx.ModelProto()
    m.CopyFrom(model)
    seen = {o.name for o in m.graph.output}
    for node in m.graph.node:
        for name in node.output:
            if name and name not in seen:
                m.graph.output.append(onnx.ValueInfoProto(name=name))
                seen.add(name)
    return m


def onnxruntime_values(model_path: str, feeds: Mapping[str, Any], threads: int | None) -> dict[str, Any]:
    """Every node output of the main graph, computed by onnxruntime with optimizations off."""
    import onnx
    import onnxruntime as ort

    model = _all_outputs_model(onnx.load(model_path))
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    if threads:
        opts.intra_op_num_threads = threads
    sess = ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    return dict(zip(names, sess.run(names, dict(feeds))))


def reference_values(model_path: str, feeds: Mapping[str, Any]) -> dict[str, Any]:
    """Every value of the main graph, computed by onnx.reference.ReferenceEvaluator."""
    import onnx
    from onnx.reference import ReferenceEvaluator

    evaluator = ReferenceEvaluator(onnx.load(model_path))
    return dict(evaluator.run(None, dict(feeds), intermediate=True))


def onnxrt_session(model_path: str, level: int, threads: int | None, reference_kernels: bool = False) -> Any:
    """An onnxrt session at optimization ``level`` (optionally on the reference kernels)."""
    import onnxrt

    opts = onnxrt.SessionOptions()
    opts.graph_optimization_level = level
    opts.use_reference_kernels = reference_kernels
    if threads is not None:
        opts.intra_op_num_threads = threads
    return onnxrt.InferenceSession(model_path, sess_options=opts)


def producers(model_path: str, level: int) -> dict[str, tuple[str, str]]:
    """{value name: (node name, op type)} of the graph as onnxrt runs it at ``level``."""
    import onnxrt

    from . import _onnxrt

    opts = onnxrt.SessionOptions()
    opts.graph_optimization_level = level
    graph = json.loads(_onnxrt._dump_graph(model_path, opts._to_native(), ""))
    out = {}
    for node in graph["nodes"]:
        op = f"{node['domain']}.{node['op_type']}" if node["domain"] else node["op_type"]
        for v in node["outputs"]:
            if v:
                out[v["name"]] = (node["name"], op)
    return out


def cmd_compare(args: argparse.Namespace) -> int:
    """Runs both sides and prints the first mismatch (exit 1) or that all values match (exit 0)."""
    from .cli import UsageError, check_model_path, make_feeds, parse_dims, session_options

    if args.rtol < 0 or args.atol < 0:
        raise UsageError("--rtol and --atol must be >= 0")
    check_model_path(args.model)
    parse_dims(args.dim)
    level = LEVELS[args.level]
    session_options(args)  # checks --threads
    sess = onnxrt_session(args.model, level, args.threads)
    feeds = make_feeds(sess, args)
    ours = sess.run_with_intermediates(feeds)
    del sess  # its buffers; the other side may be large too

    if args.against == "reference-kernels":
        theirs = onnxrt_session(args.model, level, args.threads, True).run_with_intermediates(feeds)
        other = "onnxrt reference kernels"
    else:
        try:
            if args.against == "onnxruntime":
                theirs = onnxruntime_values(args.model, feeds, args.threads)
            else:
                theirs = reference_values(args.model, feeds)
        except ImportError as e:
            raise UsageError(f"--against {args.against} needs a package that is missing: {e}") from None
        except Exception as e:  # the other runtime's own exception types
            raise UsageError(f"{args.against} cannot run this model: {type(e).__name__}: {e}") from None
        other = args.against

    names = [n for n in ours if n in theirs]
    diffs = [compare_values(n, ours[n], theirs[n], args.rtol, args.atol) for n in names]
    made_by = producers(args.model, level)
    print(f"onnxrt (level {args.level}) vs {other}: {len(names)} values compared, "
          f"{len(ours) - len(names)} computed only by onnxrt (fused or renamed), rtol={args.rtol:g} atol={args.atol:g}")
    if args.all:
        print(f"{'value':<36} {'node':<28} {'op':<18} {'max abs':>10} {'max rel':>10}  status")
        for d in diffs:
            node, op = made_by.get(d.name, ("?", "?"))
            status = "ok" if d.ok else "MISMATCH"
            print(f"{d.name[:36]:<36} {node[:28]:<28} {op[:18]:<18} {d.max_abs:>10.3g} {d.max_rel:>10.3g}  "
                  f"{status}{' (' + d.note + ')' if d.note else ''}")
    first = next((d for d in diffs if not d.ok), None)
    if first is None:
        worst = max(diffs, key=lambda d: d.max_abs, default=None)
        tail = f"; largest difference {worst.max_abs:.3g} in '{worst.name}'" if worst else ""
        print(f"all values match{tail}")
        return 0
    node, op = made_by.get(first.name, ("?", "?"))
    print(f"first mismatch: value '{first.name}' computed by node '{node}' ({op})")
    if first.note:
        print(f"  {first.note}")
    else:
        print(f"  max abs error {first.max_abs:.6g} at {list(first.where or ())}, max rel error {first.max_rel:.6g}; "
              f"{first.bad} of {first.size} elements beyond tolerance")
    width = max(len("onnxrt"), len(other)) + 1
    print(f"  {'onnxrt:':<{width + 1}} {describe_array(ours[first.name])}")
    print(f"  {other + ':':<{width + 1}} {describe_array(theirs[first.name])}")
    later = sum(1 for d in diffs if not d.ok) - 1
    if later:
        print(f"  ({later} later value(s) differ too; --all lists every value)")
    return 1


def add_parser(sub: Any) -> None:
    """Registers ``onnxrt compare``."""
    from .cli import add_input_options

    p = sub.add_parser("compare", help="find the first node whose output differs from another runtime")
    p.add_argument("model", help="path to the .onnx file")
    add_input_options(p)
    p.add_argument("--against", choices=AGAINST, default="onnxruntime",
                   help="the other side (default onnxruntime)")
    p.add_argument("--level", choices=list(LEVELS), default="all",
                   help="onnxrt's graph optimization level (default all; disable shows every value)")
    p.add_argument("--rtol", type=float, default=1e-3, help="relative tolerance (default 1e-3)")
    p.add_argument("--atol", type=float, default=1e-4, help="absolute tolerance (default 1e-4)")
    p.add_argument("--all", action="store_true", help="list every compared value")
    p.set_defaults(func=cmd_compare)
