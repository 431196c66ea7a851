"""``onnxrt optimize`` and ``onnxrt dump``: the graph as onnxrt's passes leave it.

    onnxrt optimize in.onnx out.onnx [--level disable|basic|extended|all]
    onnxrt dump model.onnx [--after PASS] [--level ...] [--json]

``optimize`` saves the graph after the passes (SessionOptions.optimized_model_filepath); fused
operators are in the domain com.onnxrt (docs/tools.md), so the saved model runs on onnxrt only.
``dump`` prints the graph with every value's inferred type and shape after any stage of the
pipeline: ``import`` (no pass) or one of the passes of the level (``--after list`` names them).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
from typing import Any

LEVELS = {"disable": 0, "basic": 1, "extended": 2, "all": 99}


def cmd_optimize(args: argparse.Namespace) -> int:
    """Loads ``in.onnx`` at the level, saves the optimized graph, prints the op counts."""
    import onnx

    import onnxrt

    from .cli import UsageError, check_model_path

    check_model_path(args.model)
    if os.path.abspath(args.model) == os.path.abspath(args.output):
        raise UsageError("the output path must differ from the input path")
    opts = onnxrt.SessionOptions()
    opts.graph_optimization_level = LEVELS[args.level]
    opts.optimized_model_filepath = args.output
    onnxrt.InferenceSession(args.model, sess_options=opts)

    def ops(path: str) -> list[str]:
        m = onnx.load(path, load_external_data=False)
        return [(f"{n.domain}." if n.domain and n.domain != "ai.onnx" else "") + n.op_type for n in m.graph.node]

    before, after = collections.Counter(ops(args.model)), collections.Counter(ops(args.output))
    print(f"saved {args.output} (level {args.level}): {sum(before.values())} nodes -> {sum(after.values())} nodes")
    for op in sorted(set(before) | set(after)):
        if before[op] != after[op]:
            print(f"  {op:<28} {before[op]:>5} -> {after[op]}")
    return 0


def _value_text(v: dict[str, Any] | None) -> str:
    if v is None:
        return "<omitted>"
    elem = v["type"]
    if elem.startswith("tensor(") and elem.endswith(")"):
        elem = elem[len("tensor("):-1]
    shape = "[?]" if v["shape"] is None else "[" + ",".join(str(d) for d in v["shape"]) + "]"
    return f"{v['name']}: {elem}{shape}"


def format_graph(graph: dict[str, Any]) -> str:
    """The text form of ``onnxrt dump``: inputs, initializers, nodes in order, outputs."""
    lines = [f"graph '{graph['graph']}' after stage '{graph['stage']}' "
             f"(stages: {', '.join(graph['stages'])})"]
    lines.append("inputs:")
    lines += [f"  {_value_text(v)}" for v in graph["inputs"]]
    lines.append(f"initializers ({len(graph['initializers'])}):")
    lines += [f"  {_value_text(v)}" for v in graph["initializers"]]
    lines.append(f"nodes ({len(graph['nodes'])}):")
    for n in graph["nodes"]:
        op = f"{n['domain']}.{n['op_type']}" if n["domain"] else n["op_type"]
        attrs = ", ".join(f"{k}={json.dumps(v)}" for k, v in n["attributes"].items())
        lines.append(f"  {n['name'] or '<unnamed>'} = {op}({', '.join(_value_text(v) for v in n['inputs'])})"
                     + (f" {{{attrs}}}" if attrs else ""))
        lines.append(f"      -> {', '.join(_value_text(v) for v in n['outputs'])}")
    lines.append("outputs:")
    lines += [f"  {_value_text(v)}" for v in graph["outputs"]]
    return "\n".join(lines)


def dump_graph(model_path: str, after: str = "", level: int = 99) -> dict[str, Any]:
    """The graph (as ``onnxrt dump --json`` prints it) after stage ``after`` ('' = every pass)."""
    import onnxrt

    from . import _onnxrt

    opts = onnxrt.SessionOptions()
    opts.graph_optimization_level = level
    return json.loads(_onnxrt._dump_graph(os.fspath(model_path), opts._to_native(), after))


def cmd_dump(args: argparse.Namespace) -> int:
    """Prints the graph after ``--after`` (text, or JSON with --json)."""
    import onnxrt

    from . import _onnxrt
    from .cli import check_model_path

    level = LEVELS[args.level]
    if args.after == "list":
        for name in _onnxrt._pipeline_stages(onnxrt.session._native_level(level)):
            print(name)
        return 0
    check_model_path(args.model)
    graph = dump_graph(args.model, args.after or "", level)
    print(json.dumps(graph, indent=1) if args.json else format_graph(graph))
    return 0


def add_parsers(sub: Any) -> None:
    """Registers ``onnxrt optimize`` and ``onnxrt dump``."""
    p = sub.add_parser("optimize", help="save the graph after onnxrt's passes (fused ops in com.onnxrt)")
    p.add_argument("model", help="the input .onnx file")
    p.add_argument("output", help="where to write the optimized model")
    p.add_argument("--level", choices=list(LEVELS), default="all", help="optimization level (default all)")
    p.set_defaults(func=cmd_optimize)

    p = sub.add_parser("dump", help="print the graph with inferred types after any pass")
    p.add_argument("model", help="path to the .onnx file")
    p.add_argument("--after", metavar="PASS",
                   help="stop after this stage: 'import' or a pass name ('list' prints them); default: all")
    p.add_argument("--level", choices=list(LEVELS), default="all", help="optimization level (default all)")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.set_defaults(func=cmd_dump)
