"""Which FX nodes go to onnxrt, and cutting a graph into onnxrt partitions.

A node goes to onnxrt when torch.onnx's exporter can translate it and onnxrt can run the result.
The exporter's coverage cannot be asked about torch-level functions (TorchDynamo's graphs call
``torch.relu``, ``operator.add``, methods such as ``view``), so support is decided by what is known
to fail, which stays in PyTorch:

- ops named in ``disabled_ops``;
- custom ops (torch.library) and aten ops that the exporter has no translation or decomposition for,
  also when the graph calls them as torch functions (``torch._transformer_encoder_layer_fwd``);
- nodes that do not produce tensors (``size()``, ``item()``, ...): their values are Python
  numbers that a partition takes as inputs instead;
- in-place ops and ``out=`` calls, whose writes onnxrt could not make visible to PyTorch;
- tensors on another device than the CPU.

What is left is grouped by torch.fx's CapabilityBasedPartitioner into partitions that are exported
whole; a partition whose export or run still fails falls back to PyTorch (lowering.py), which is
how a gap in the exporter or in onnxrt shows up (explain() names the op and the error).
"""

from __future__ import annotations

import dataclasses
import functools
import operator
import types
from typing import Any, Iterable

import torch
import torch.fx
from torch.fx.passes.infra.partitioner import CapabilityBasedPartitioner
from torch.fx.passes.operator_support import OperatorSupportBase
from torch.fx.passes.utils.fuser_utils import fuse_by_partitions

PARTITION_PREFIX = "onnxrt_partition_"

# Calls whose results are Python values or whose meaning is a side effect: never exported.
_DENYLIST = frozenset({
    "item", "tolist", "numpy", "size", "dim", "numel", "stride", "data_ptr", "element_size",
    "storage_offset", "is_contiguous", "print", "_assert", "_assert_async", "setitem",
    "sym_size", "sym_numel", "sym_stride", "_set_grad_enabled", "set_grad_enabled",
})
_CALL_OPS = ("call_function", "call_method", "call_module")


def op_aliases(node: torch.fx.Node, modules: dict[str, Any] | None = None) -> set[str]:
    """The names a user may give this node's op in disabled_ops."""
    target = node.target
    names: set[str] = set()
    if node.op == "call_method":
        names |= {str(target), f"Tensor.{target}", f"torch.Tensor.{target}"}
    elif node.op == "call_module":
        mod = (modules or {}).get(str(target))
        if mod is not None:
            names |= {type(mod).__name__, f"{type(mod).__module__}.{type(mod).__name__}"}
        names.add(str(target))
    elif isinstance(target, torch._ops.OpOverload):
        packet = target.overloadpacket
        ns, base = target.namespace, packet.__name__
        names |= {str(target), f"{ns}.{base}", f"{ns}::{base}", target.name(), base}
    elif isinstance(target, torch._ops.OpOverloadPacket):
        ns, base = target._qualified_op_name.split("::")
        names |= {str(target), f"{ns}.{base}", f"{ns}::{base}", base}
    elif callable(target):
        name = getattr(target, "__name__", str(target))
        module = getattr(target, "__module__", None) or ""
        names |= {name, f"{module}.{name}" if module else name}
        if module.startswith("torch"):
            names.add(f"torch.{name}")
    return names


def op_display_name(node: torch.fx.Node, modules: dict[str, Any] | None = None) -> str:
    """A short readable name of the node's op (for logs and explain())."""
    target = node.target
    if node.op == "call_method":
        return f"Tensor.{target}"
    if node.op == "call_module":
        mod = (modules or {}).get(str(target))
        return type(mod).__name__ if mod is not None else str(target)
    if isinstance(target, (torch._ops.OpOverload, torch._ops.OpOverloadPacket)):
        return str(target)
    if callable(target):
        module = getattr(target, "__module__", "") or ""
        name = getattr(target, "__name__", str(target))
        if module in ("_operator", "operator"):
            return f"operator.{name}"
        return f"torch.{name}" if module.startswith("torch") else f"{module}.{name}"
    return str(target)


@functools.lru_cache(maxsize=1)
def _exporter_registry():
    """torch.onnx's table of aten/custom op translations, or None when this torch lacks it."""
    from .lowering import _quiet_exporter, translation_registry

    cached = translation_registry()  # the table the exports use, when available
    if cached is not None:
        return cached[0]
    try:
        from torch.onnx._internal.exporter._registration import ONNXRegistry

        with _quiet_exporter():
            return ONNXRegistry.from_torchlib()
    except Exception:  # noqa: BLE001 - a private API; without it only known-good ops pass
        return None


@functools.lru_cache(maxsize=1)
def _default_decompositions():
    return frozenset(torch.export.default_decompositions().keys())


def _exporter_translates(op: torch._ops.OpOverload) -> bool:
    """True when the exporter has a translation for ``op`` or decomposes it into ops it has."""
    if op in _default_decompositions():
        return True
    try:  # ops with a CompositeImplicitAutograd kernel are decomposed while exporting
        if torch._C._dispatch_has_kernel_for_dispatch_key(op.name(), "CompositeImplicitAutograd"):
            return True
    except Exception:  # noqa: BLE001
        pass
    if op.namespace not in ("aten", "prims", "torchvision"):
        # The exporter's registry holds only aten/prims and torchvision translations, so a
        # custom op without a decomposition cannot be exported; skip building the registry.
        return False
    registry = _exporter_registry()
    return registry is not None and registry.is_registered(op)


@functools.lru_cache(maxsize=1024)
def _untranslatable_aten_twin(target: Any) -> str | None:
    """The aten op behind a torch builtin (``torch.lstm`` -> ``aten.lstm``) when the exporter can
    translate none of its overloads, else None.

    TorchDynamo's graphs call torch functions, not aten ops; most are translated, but fused
    fast paths such as ``torch._transformer_encoder_layer_fwd`` (nn.TransformerEncoderLayer in
    inference) or ``torch._native_multi_head_attention`` have no ONNX translation. Caught here,
    they stay in PyTorch alone instead of failing the export of their whole partition.
    """
    if not isinstance(target, types.BuiltinFunctionType):
        return None
    module = getattr(target, "__module__", None) or ""
    if module != "torch" and not module.startswith("torch._C."):
        return None
    packet = getattr(torch.ops.aten, target.__name__, None)
    if not isinstance(packet, torch._ops.OpOverloadPacket):
        return None
    for overload in packet.overloads():
        op = getattr(packet, overload, None)
        if isinstance(op, torch._ops.OpOverload) and _exporter_translates(op):
            return None
    return f"aten.{target.__name__}"


def _example_value(node: torch.fx.Node) -> Any:
    meta = node.meta
    return meta.get("example_value", meta.get("val"))


def _is_tensor_output(value: Any, node: torch.fx.Node | None = None) -> bool:
    """True when ``value`` is a CPU tensor or a tuple of them. A tuple may also hold None where
    ``node``'s users only index its tensors: F.multi_head_attention_forward returns
    (output, None) without attention weights, and only the output is used."""
    if isinstance(value, torch.Tensor):
        return value.device.type == "cpu"
    if isinstance(value, (tuple, list)) and value:
        if all(isinstance(v, torch.Tensor) and v.device.type == "cpu" for v in value):
            return True
        if node is None or not all(v is None or (isinstance(v, torch.Tensor) and v.device.type == "cpu") for v in value):
            return False
        return all(
            user.target is operator.getitem and isinstance(user.args[1], int) and value[user.args[1]] is not None
            for user in node.users
        ) and any(v is not None for v in value)
    return False


def _disabled_matcher(disabled_ops: Iterable[Any]):
    objects, names = set(), set()
    for op in disabled_ops:
        if isinstance(op, str):
            names.add(op)
        else:
            objects.add(op)
            if isinstance(op, (torch._ops.OpOverload, torch._ops.OpOverloadPacket)):
                names.add(str(op))
    return objects, names


class OnnxrtOperatorSupport(OperatorSupportBase):
    """Decides per FX node whether it may go into an onnxrt partition; ``reason`` says why not."""

    def __init__(self, disabled_ops: Iterable[Any] = ()):
        super().__init__()
        self._disabled_objects, self._disabled_names = _disabled_matcher(disabled_ops)

    def is_node_supported(self, submodules, node: torch.fx.Node) -> bool:
        return self.reason(node, submodules) is None

    def reason(self, node: torch.fx.Node, submodules: dict[str, Any] | None = None) -> str | None:
        """None when the node may run on onnxrt, else why it stays in PyTorch."""
        if node.op not in _CALL_OPS:
            return "not an op"
        target = node.target
        aliases = op_aliases(node, submodules)
        try:
            disabled_object = target in self._disabled_objects
        except TypeError:  # an unhashable target
            disabled_object = False
        if disabled_object or aliases & self._disabled_names:
            return "listed in disabled_ops"
        if target is operator.getitem:
            return None if _is_tensor_output(_example_value(node)) else "indexes a non-tensor value"
        if node.op == "call_module":
            # torch.fx.symbolic_trace keeps torch.nn layers as calls; a user module could do
            # anything (TorchDynamo inlines those it can trace), so only torch.nn's own pass.
            module = (submodules or {}).get(str(target))
            if module is None or not type(module).__module__.startswith("torch.nn."):
                return "a call to a module that is not a torch.nn layer"
        if aliases & _DENYLIST or str(target) in _DENYLIST:
            return "returns a Python value or acts by side effect"
        if "out" in node.kwargs:
            return "writes into an out= tensor"
        if node.op == "call_method" and str(target).endswith("_") and not str(target).endswith("__"):
            return "an in-place op"
        if isinstance(target, torch._ops.OpOverloadPacket):
            target = getattr(target, "default", target)
        if isinstance(target, torch._ops.OpOverload):
            if target._schema.is_mutable:
                return "an in-place op (its schema mutates an input)"
            if not _exporter_translates(target):
                return f"torch.onnx has no translation for {target}"
        elif node.op == "call_function":
            twin = _untranslatable_aten_twin(target)
            if twin is not None:
                return f"torch.onnx has no translation for {twin}"
        value = _example_value(node)
        if value is None:
            return "no example value to export with"
        if not _is_tensor_output(value, node):
            return "produces a non-tensor or non-CPU value"
        return None


@dataclasses.dataclass
class Partitioning:
    """The result of partition_graph: ``gm`` with each onnxrt partition fused into a submodule
    named PARTITION_PREFIX + index, and what stayed out and why."""

    gm: torch.fx.GraphModule
    partition_nodes: dict[str, list[tuple[str, str]]]  # submodule name -> [(node name, op)]
    eager_nodes: list[tuple[str, str, str]]  # (node name, op, reason)


def _compute_nodes(nodes: Iterable[torch.fx.Node]) -> int:
    return sum(1 for n in nodes if n.op in _CALL_OPS and n.target is not operator.getitem)


def partition_graph(gm: torch.fx.GraphModule, support: OnnxrtOperatorSupport, min_block_size: int) -> Partitioning:
    """Fuses the supported nodes of ``gm`` (modified in place) into onnxrt partitions."""
    modules = dict(gm.named_modules())
    partitioner = CapabilityBasedPartitioner(gm, support, allows_single_node_partition=True)
    proposed = partitioner.propose_partitions()
    # Keep graph order so partition names follow the program.
    order = {n: i for i, n in enumerate(gm.graph.nodes)}
    proposed.sort(key=lambda p: min(order[n] for n in p.nodes))

    kept, eager = [], []
    in_partition: set[torch.fx.Node] = set()
    for part in proposed:
        count = _compute_nodes(part.nodes)
        if count >= min_block_size:
            kept.append(part)
            in_partition.update(part.nodes)
        else:
            for n in part.nodes:
                if n.op in _CALL_OPS:
                    eager.append((n.name, op_display_name(n, modules),
                                  f"in a block of {count} op(s), below min_block_size={min_block_size}"))
                    in_partition.add(n)
    for n in gm.graph.nodes:
        if n.op in _CALL_OPS and n not in in_partition:
            eager.append((n.name, op_display_name(n, modules), support.reason(n, modules) or "not partitioned"))

    partition_nodes = {}
    for i, part in enumerate(kept):
        nodes = sorted(part.nodes, key=order.__getitem__)
        partition_nodes[f"{PARTITION_PREFIX}{i}"] = [
            (n.name, op_display_name(n, modules)) for n in nodes if n.op in _CALL_OPS and n.target is not operator.getitem
        ]
    if kept:
        gm = fuse_by_partitions(gm, [dict(p.nodes) for p in kept], prefix=PARTITION_PREFIX, always_return_tuple=True)
    return Partitioning(gm, partition_nodes, eager)
