"""The TorchDynamo backend: ``torch.compile(model, backend="onnxrt")``.

TorchDynamo hands over one FX graph per traced region (a graph break starts another). Each graph
is cut into partitions that onnxrt can take (partition.py); each partition is exported with
torch.onnx in memory and run on onnxrt (lowering.py), the rest of the graph stays in PyTorch.
With AOTAutograd (needed when gradients flow) the same happens to the forward and the backward
graphs it produces, at the aten level.
"""

from __future__ import annotations

import copy
import functools
import logging
from typing import Any, Callable, Sequence

from ._deps import require_dependencies
from .options import OnnxrtBackendOptions

_log = logging.getLogger("onnxrt.torch")


def _needs_autograd(example_inputs: Sequence[Any]) -> bool:
    import torch

    return torch.is_grad_enabled() and any(
        isinstance(x, torch.Tensor) and x.requires_grad for x in example_inputs
    )


def _ensure_example_values(gm, placeholders, example_inputs) -> None:
    """Graphs from TorchDynamo and AOTAutograd carry each node's example value (a fake tensor);
    a graph from torch.fx.symbolic_trace does not, so propagate fake tensors through it."""
    if all("example_value" in n.meta or "val" in n.meta for n in placeholders):
        return
    from torch._subclasses.fake_tensor import FakeTensorMode
    from torch.fx.passes.fake_tensor_prop import FakeTensorProp

    mode = FakeTensorMode(allow_non_fake_inputs=True)
    FakeTensorProp(gm, mode).propagate(*example_inputs)


def compile_graph(gm, example_inputs: Sequence[Any], *, options: OnnxrtBackendOptions, kind: str = "inference") -> Callable:
    """Partitions ``gm`` and puts an OnnxrtPartition in place of each partition; returns the
    graph's forward (what TorchDynamo or AOTAutograd calls)."""
    import torch

    from .lowering import OnnxrtPartition, _is_static_input, arg_specs
    from .partition import OnnxrtOperatorSupport, partition_graph
    from .records import PartitionRecord, new_graph_record

    num_ops = sum(1 for n in gm.graph.nodes if n.op in ("call_function", "call_method", "call_module"))
    record = new_graph_record(kind, num_ops)
    try:
        placeholders = [n for n in gm.graph.nodes if n.op == "placeholder"]
        _ensure_example_values(gm, placeholders, example_inputs)
        # By name: fx.Node's hash follows its position, which fusing changes.
        static = {
            node.name for node, value in zip(placeholders, example_inputs)
            if kind == "inference" and _is_static_input(value)
        }
        support = OnnxrtOperatorSupport(options.disabled_ops)
        # Fusing rewrites the graph in place: work on a copy of the graph (sharing the weights),
        # so the caller's module, and the eager fallback for a failed graph, stay intact.
        work = torch.fx.GraphModule(gm, copy.deepcopy(gm.graph))
        parts = partition_graph(work, support, int(options.min_block_size))
        fused = parts.gm
        record.eager_nodes = parts.eager_nodes
        for node in list(fused.graph.nodes):
            if node.op != "call_module" or node.target not in parts.partition_nodes:
                continue
            name = str(node.target)
            part_record = PartitionRecord(name=f"graph {record.index} / {name}",
                                          ops=[op for _, op in parts.partition_nodes[name]])
            record.partitions.append(part_record)
            sub = getattr(fused, name)
            specs = arg_specs(node, static, options)
            setattr(fused, name, OnnxrtPartition(sub, specs, options, part_record))
        fused.recompile()
        return fused.forward
    except Exception as e:  # noqa: BLE001
        if options.strict:
            raise
        record.error = f"{type(e).__name__}: {e}"
        _log.warning("onnxrt backend: graph %d runs in eager PyTorch (partitioning failed: %s)", record.index, record.error)
        return gm.forward


def onnxrt_backend(gm, example_inputs, *, options: Any = None) -> Callable:
    """The TorchDynamo backend: returns a callable that runs ``gm`` with onnxrt where it can.

    ``options`` is an OnnxrtBackendOptions or a dict of its fields, passed as
    ``torch.compile(model, backend="onnxrt", options=...)``.
    """
    require_dependencies()
    opts = OnnxrtBackendOptions.from_any(options)
    use_aot = opts.use_aot_autograd
    if use_aot is None:
        use_aot = _needs_autograd(example_inputs)
    if not use_aot:
        return compile_graph(gm, example_inputs, options=opts)

    from functorch.compile import make_boxed_compiler
    from torch._dynamo.backends.common import aot_autograd

    return aot_autograd(
        fw_compiler=make_boxed_compiler(functools.partial(compile_graph, options=opts, kind="forward")),
        bw_compiler=make_boxed_compiler(functools.partial(compile_graph, options=opts, kind="backward")),
    )(gm, example_inputs)
