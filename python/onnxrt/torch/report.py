"""explain(): which parts of a model ran on onnxrt, which stayed in PyTorch, and why.

It compiles the model with the onnxrt backend, runs it once and reports what the backend recorded
(records.py): each FX graph TorchDynamo produced (a graph break starts a new one, and why it broke
comes from torch._dynamo.explain), each onnxrt partition with where it ran and, when it fell back,
the exporter's or onnxrt's error and the op it names, and each op left in PyTorch with the reason.
"""

from __future__ import annotations

import dataclasses
import functools
import os
from typing import Any

from .records import GraphRecord, recording


@dataclasses.dataclass
class Explanation:
    graphs: list[GraphRecord]
    graph_breaks: list[str]
    output: Any = None
    report_path: str | None = None

    @property
    def partitions(self):
        return [p for g in self.graphs for p in g.partitions]

    @property
    def onnxrt_partitions(self):
        return [p for p in self.partitions if p.status == "onnxrt"]

    @property
    def fallbacks(self):
        """Partitions that fell back to PyTorch: (partition name, op named by the error, error)."""
        return [(p.name, p.failed_op, p.reason) for p in self.partitions if p.status == "eager"]

    @property
    def eager_ops(self):
        """Ops never sent to onnxrt: (graph index, node, op, why)."""
        return [(g.index, *n) for g in self.graphs for n in g.eager_nodes]

    def summary(self) -> str:
        parts = self.partitions
        return (
            f"{len(self.graphs)} graph(s), {len(self.graph_breaks)} graph break(s); "
            f"{len(parts)} onnxrt partition(s): {len(self.onnxrt_partitions)} ran on onnxrt, "
            f"{len(self.fallbacks)} fell back to PyTorch; {len(self.eager_ops)} op(s) kept in PyTorch"
        )

    def to_markdown(self) -> str:
        lines = ["# onnxrt torch.compile report", "", self.summary() + ".", ""]
        if self.graph_breaks:
            lines += ["## Graph breaks", ""] + [f"- {b}" for b in self.graph_breaks] + [""]
        for g in self.graphs:
            lines += [f"## Graph {g.index} ({g.kind}, {g.num_ops} ops)", ""]
            if g.error:
                lines += [f"Whole graph ran in PyTorch: {_cell(g.error)}", ""]
            if g.partitions:
                lines += ["| partition | ran on | FX ops | exports | ONNX ops | why it fell back |",
                          "|---|---|---|---:|---|---|"]
                for p in g.partitions:
                    where = {"onnxrt": "onnxrt", "eager": "PyTorch (fallback)"}.get(p.status, "not run")
                    why = "" if p.reason is None else (f"`{p.failed_op}`: " if p.failed_op else "") + p.reason
                    lines.append(f"| {p.name} | {where} | {_cell(', '.join(p.ops))} | {p.exports} | "
                                 f"{_cell(', '.join(p.onnx_ops))} | {_cell(why)} |")
                lines.append("")
            if g.eager_nodes:
                lines += ["Ops kept in PyTorch:", "", "| node | op | why |", "|---|---|---|"]
                lines += [f"| {n} | `{op}` | {_cell(why)} |" for n, op, why in g.eager_nodes]
                lines.append("")
        return "\n".join(lines)

    def __str__(self) -> str:
        out = [self.summary()]
        for g in self.graphs:
            for p in g.partitions:
                where = {"onnxrt": "onnxrt", "eager": "PyTorch"}.get(p.status, "not run")
                out.append(f"  {p.name}: {where} [{', '.join(p.ops)}]" + (f" <- {p.reason}" if p.reason else ""))
            for n, op, why in g.eager_nodes:
                out.append(f"  graph {g.index} / {n}: PyTorch ({op}: {why})")
        for b in self.graph_breaks:
            out.append(f"  graph break: {b}")
        return "\n".join(out)


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _graph_breaks(model, args, kwargs) -> list[str]:
    import torch

    try:
        out = torch._dynamo.explain(model)(*args, **kwargs)
    except Exception as e:  # noqa: BLE001 - the report still lists what the backend saw
        return [f"(torch._dynamo.explain failed: {type(e).__name__}: {e})"]
    breaks = []
    for r in out.break_reasons:
        where = ""
        if getattr(r, "user_stack", None):
            frame = r.user_stack[-1]
            where = f" at {os.path.basename(frame.filename)}:{frame.lineno}"
        breaks.append(f"{r.reason}{where}")
    return breaks


def explain(model, *args, report: bool | str | os.PathLike = False, options: Any = None, **kwargs) -> Explanation:
    """Compiles ``model`` with backend="onnxrt", runs ``model(*args, **kwargs)`` once and returns
    an Explanation: graphs, partitions, where each ran, and why anything fell back.

    ``report=True`` writes the same as markdown to ``onnxrt_torch_report.md`` (a path: there).
    ``options`` are the backend's options (OnnxrtBackendOptions or a dict).
    """
    import torch

    from .backend import onnxrt_backend

    backend = functools.partial(onnxrt_backend, options=options)
    with recording() as graphs:
        compiled = torch.compile(model, backend=backend)
        output = compiled(*args, **kwargs)
    result = Explanation(graphs=list(graphs), graph_breaks=_graph_breaks(model, args, kwargs), output=output)
    if report:
        path = "onnxrt_torch_report.md" if report is True else os.fspath(report)
        with open(path, "w", encoding="utf-8") as f:
            f.write(result.to_markdown() + "\n")
        result.report_path = path
    return result
