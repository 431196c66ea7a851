"""The ``onnx.backend.base.Backend`` interface on onnxrt.

    import onnxrt.backend as backend
    rep = backend.prepare(model, "CPU")
    outputs = rep.run([x])

Also answers ``onnx.backend.test.BackendTest``, which runs the official ONNX conformance suite.
``is_compatible`` is answered from the engine's kernel table: it is true exactly when every node
(including nodes of subgraphs) has a kernel for its domain, op, opset and element type.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import onnx
from onnx import helper, shape_inference
from onnx.backend.base import Backend, BackendRep, Device, DeviceType, namedtupledict

from . import _onnxrt
from .session import InferenceSession, SessionOptions

_DEFAULT_DOMAINS = ("", "ai.onnx")


def _kernel_index() -> dict[tuple[str, str], list[tuple[int, int, str]]]:
    index: dict[tuple[str, str], list[tuple[int, int, str]]] = {}
    for domain, op, since, until, dtype in _onnxrt._list_kernels():
        index.setdefault(("" if domain == "ai.onnx" else domain, op), []).append((since, until, dtype))
    return index


_KERNELS: dict[tuple[str, str], list[tuple[int, int, str]]] | None = None


def _kernels() -> dict[tuple[str, str], list[tuple[int, int, str]]]:
    global _KERNELS
    if _KERNELS is None:
        _KERNELS = _kernel_index()
    return _KERNELS


_ONNX_TO_ENGINE_NAME = {
    onnx.TensorProto.FLOAT: "float",
    onnx.TensorProto.DOUBLE: "double",
    onnx.TensorProto.FLOAT16: "float16",
    onnx.TensorProto.BFLOAT16: "bfloat16",
    onnx.TensorProto.BOOL: "bool",
    onnx.TensorProto.STRING: "string",
}


def _engine_dtype(elem_type: int) -> str:
    if elem_type in _ONNX_TO_ENGINE_NAME:
        return _ONNX_TO_ENGINE_NAME[elem_type]
    return onnx.TensorProto.DataType.Name(elem_type).lower()


def _graph_nodes(graph: onnx.GraphProto):
    for node in graph.node:
        yield node
        for attr in node.attribute:
            if attr.type == onnx.AttributeProto.GRAPH:
                yield from _graph_nodes(attr.g)
            elif attr.type == onnx.AttributeProto.GRAPHS:
                for g in attr.graphs:
                    yield from _graph_nodes(g)


def _value_types(model: onnx.ModelProto) -> dict[str, int]:
    """Element type of every tensor value that onnx's shape inference can type."""
    try:
        inferred = shape_inference.infer_shapes(model)
    except Exception:
        inferred = model
    types: dict[str, int] = {}

    def collect(graph: onnx.GraphProto) -> None:
        for vi in list(graph.input) + list(graph.output) + list(graph.value_info):
            if vi.type.HasField("tensor_type"):
                types[vi.name] = vi.type.tensor_type.elem_type
        for init in graph.initializer:
            types[init.name] = init.data_type
        for node in graph.node:
            for attr in node.attribute:
                if attr.type == onnx.AttributeProto.GRAPH:
                    collect(attr.g)
                elif attr.type == onnx.AttributeProto.GRAPHS:
                    for g in attr.graphs:
                        collect(g)

    collect(inferred.graph)
    return types


def _opset_of(model: onnx.ModelProto, domain: str) -> int:
    for imp in model.opset_import:
        if imp.domain == domain or (domain in _DEFAULT_DOMAINS and imp.domain in _DEFAULT_DOMAINS):
            return imp.version
    return 0


# Ops that a load-time pass replaces by other ops (src/passes/lower_gradient.cc), so they need no kernel.
_LOWERED_AT_LOAD = {("ai.onnx.preview.training", "Gradient")}


def unsupported_nodes(model: onnx.ModelProto) -> list[str]:
    """Descriptions of the nodes that no onnxrt kernel can run (empty when all can)."""
    kernels = _kernels()
    types = _value_types(model)
    local_functions = {(f.domain, f.name) for f in model.functions}
    missing = []
    for node in _graph_nodes(model.graph):
        domain = "" if node.domain in _DEFAULT_DOMAINS else node.domain
        if (node.domain, node.op_type) in local_functions:
            continue  # expanded at load time into ops that are checked on their own
        if (domain, node.op_type) in _LOWERED_AT_LOAD:
            continue
        entries = kernels.get((domain, node.op_type))
        what = f"{node.op_type} '{node.name}'"
        if not entries:
            missing.append(f"{what}: no kernel for op {node.op_type} (domain '{domain or 'ai.onnx'}')")
            continue
        opset = _opset_of(model, domain)
        in_range = [e for e in entries if e[0] <= opset <= e[1]]
        if not in_range:
            missing.append(f"{what}: no kernel for opset {opset}")
            continue
        key_names = [n for n in node.input if n] or [n for n in node.output if n]
        key = types.get(key_names[0]) if key_names else None
        if key is None or any(e[2] in ("any", "undefined") for e in in_range):
            continue
        if _engine_dtype(key) not in {e[2] for e in in_range}:
            missing.append(f"{what}: no kernel for element type {_engine_dtype(key)}")
    return missing


class OnnxrtBackendRep(BackendRep):
    """A prepared model: ``run(inputs)`` returns the outputs as a named tuple."""

    def __init__(self, session: InferenceSession):
        self._session = session
        self._input_names = [i.name for i in session.get_inputs()]
        self._output_names = [o.name for o in session.get_outputs()]

    def run(self, inputs: Any, **kwargs: Any) -> tuple[Any, ...]:
        """Runs the model on a dict of name -> array, a list of arrays in input order, or one
        array; returns the outputs as a named tuple."""
        if isinstance(inputs, dict):
            feed = dict(inputs)
        elif isinstance(inputs, (list, tuple)):
            if len(inputs) > len(self._input_names):
                raise ValueError(
                    f"{len(inputs)} inputs given, the model takes {len(self._input_names)}: "
                    f"{self._input_names}"
                )
            feed = dict(zip(self._input_names, inputs))
        else:
            feed = {self._input_names[0]: inputs}
        outputs = self._session.run(None, feed)
        return namedtupledict("Outputs", self._output_names)(*outputs)


class OnnxrtBackend(Backend):
    """onnxrt as an ``onnx.backend.base.Backend`` (prepare, run_model, run_node), for the ONNX
    backend test suite and code written against that interface."""

    @classmethod
    def is_compatible(cls, model: onnx.ModelProto, device: str = "CPU", **kwargs: Any) -> bool:
        return cls.supports_device(device) and not unsupported_nodes(model)

    @classmethod
    def is_opset_supported(cls, model: onnx.ModelProto) -> tuple[bool, str]:
        from onnx import defs

        for imp in model.opset_import:
            domain = imp.domain or "ai.onnx"
            if domain not in ("ai.onnx", "ai.onnx.ml"):
                return False, f"domain '{domain}' is not supported"
            latest = defs.onnx_opset_version() if domain == "ai.onnx" else defs.onnx_ml_opset_version() \
                if hasattr(defs, "onnx_ml_opset_version") else imp.version
            if imp.version > latest:
                return False, f"opset {imp.version} of '{domain}' is newer than the pinned onnx ({latest})"
        return True, ""

    @classmethod
    def supports_device(cls, device: str) -> bool:
        return Device(device).type == DeviceType.CPU

    @classmethod
    def prepare(cls, model: onnx.ModelProto | bytes | str, device: str = "CPU", **kwargs: Any) -> OnnxrtBackendRep:
        if not cls.supports_device(device):
            raise RuntimeError(f"onnxrt runs on CPU only, not on '{device}'")
        options = SessionOptions()
        for key, value in kwargs.items():
            if hasattr(options, key):
                setattr(options, key, value)
        if isinstance(model, onnx.ModelProto):
            model = model.SerializeToString()
        return OnnxrtBackendRep(InferenceSession(model, sess_options=options))

    @classmethod
    def run_model(cls, model: onnx.ModelProto, inputs: Any, device: str = "CPU", **kwargs: Any) -> tuple[Any, ...]:
        return cls.prepare(model, device, **kwargs).run(inputs)

    @classmethod
    def run_node(
        cls,
        node: onnx.NodeProto,
        inputs: Any,
        device: str = "CPU",
        outputs_info: Any = None,
        **kwargs: Any,
    ) -> tuple[Any, ...]:
        """Runs one node by wrapping it in a one-node model typed from the given inputs."""
        opset = kwargs.pop("opset_version", None) or onnx.defs.onnx_opset_version()
        arrays = [np.asarray(x) for x in inputs]
        graph_inputs = []
        present = [name for name in node.input if name]
        for name, value in zip(present, arrays):
            elem = helper.np_dtype_to_tensor_dtype(value.dtype)
            graph_inputs.append(helper.make_tensor_value_info(name, elem, value.shape))
        graph_outputs = [helper.make_empty_tensor_value_info(name) for name in node.output if name]
        if outputs_info:
            graph_outputs = [
                helper.make_tensor_value_info(name, helper.np_dtype_to_tensor_dtype(np.dtype(dtype)), shape)
                for name, (dtype, shape) in zip([n for n in node.output if n], outputs_info)
            ]
        domain = node.domain or ""
        opsets = [helper.make_opsetid("", opset)]
        if domain not in _DEFAULT_DOMAINS:
            opsets.append(helper.make_opsetid(domain, kwargs.pop("domain_version", 1)))
        model = helper.make_model(
            helper.make_graph([node], "run_node", graph_inputs, graph_outputs), opset_imports=opsets
        )
        return cls.run_model(model, dict(zip(present, arrays)), device, **kwargs)


is_compatible = OnnxrtBackend.is_compatible
is_opset_supported = OnnxrtBackend.is_opset_supported
prepare = OnnxrtBackend.prepare
run = OnnxrtBackend.run_model
run_model = OnnxrtBackend.run_model
run_node = OnnxrtBackend.run_node
supports_device = OnnxrtBackend.supports_device
