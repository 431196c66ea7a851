"""What the backend did with each graph, kept for explain() and for tests."""

from __future__ import annotations

import contextlib
import dataclasses
import re
from typing import Iterator


@dataclasses.dataclass
class PartitionRecord:
    """One onnxrt partition: its ops, where it ran and, if it fell back, why."""

    name: str
    ops: list[str]  # the FX ops inside, in graph order
    status: str = "pending"  # "pending" (not run yet), "onnxrt" or "eager" (fell back for good)
    reason: str | None = None  # the exporter's or onnxrt's error when it fell back
    failed_op: str | None = None  # the op that error names, when it names one
    exports: int = 0  # torch.onnx exports made (one per new signature)
    runs_onnxrt: int = 0
    runs_eager: int = 0
    onnx_ops: list[str] = dataclasses.field(default_factory=list)  # ONNX op types of the last export
    inputs: list[tuple[str, list]] = dataclasses.field(default_factory=list)  # ONNX input shapes


@dataclasses.dataclass
class GraphRecord:
    """One FX graph handed to the backend by TorchDynamo (or AOTAutograd)."""

    index: int
    kind: str  # "inference", "forward" or "backward"
    num_ops: int
    partitions: list[PartitionRecord] = dataclasses.field(default_factory=list)
    eager_nodes: list[tuple[str, str, str]] = dataclasses.field(default_factory=list)  # (node, op, why)
    error: str | None = None  # when the whole graph runs in PyTorch (partitioning failed)


_RECORDERS: list[list[GraphRecord]] = []
_graph_counter = 0


def new_graph_record(kind: str, num_ops: int) -> GraphRecord:
    global _graph_counter
    record = GraphRecord(index=_graph_counter, kind=kind, num_ops=num_ops)
    _graph_counter += 1
    for recorder in _RECORDERS:
        recorder.append(record)
    return record


@contextlib.contextmanager
def recording() -> Iterator[list[GraphRecord]]:
    """Collects the GraphRecord of every graph the backend compiles inside the ``with``."""
    graphs: list[GraphRecord] = []
    _RECORDERS.append(graphs)
    try:
        yield graphs
    finally:
        _RECORDERS.remove(graphs)


_OP_IN_MESSAGE = re.compile(r"\b((?:aten|prims|[a-z_][a-z0-9_]*)(?:::|\.)[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_]+)?)")
_ONNX_OP_IN_MESSAGE = re.compile(r"ONNX op(?:\(s\))?\s+'?([A-Za-z0-9_.:, ]+)'?")


def op_named_in(message: str) -> str | None:
    """The op an exporter/onnxrt error message names, when it names one."""
    m = _ONNX_OP_IN_MESSAGE.search(message)
    if m:
        return m.group(1).strip()
    for m in _OP_IN_MESSAGE.finditer(message):
        text = m.group(1)
        if text.startswith(("aten", "prims")) or "::" in text:
            return text
    return None
