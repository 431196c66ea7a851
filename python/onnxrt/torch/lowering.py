"""One onnxrt partition: exported with torch.onnx on first use, run on onnxrt afterwards.

The partition is an ``nn.Module`` put in place of the fused submodule, so the FX graph around it
calls it like any module. Export happens at the first call with the real arguments (the exporter
wants real tensors), once per input signature (cache.py). A failure of the export, of loading the
ONNX model or of a run makes the partition run its FX code in PyTorch from then on, logged once;
``strict`` raises instead.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import functools
import logging
import re
import threading
import warnings
import weakref
from typing import Any

import torch
import torch.fx

from .cache import SessionCache, SessionEntry
from .options import OnnxrtBackendOptions
from .records import PartitionRecord, op_named_in
from .tensors import run_session

_log = logging.getLogger("onnxrt.torch")


@dataclasses.dataclass
class ArgSpec:
    """How one argument of the partition reaches the exported model.

    kind "tensor": fed to onnxrt (or baked in as a weight when ``frozen``); ``symbolic_dims`` are
    exported symbolic. kind "size": an int that equals dim ``source[1]`` of tensor argument
    ``source[0]``, recomputed inside the exported model so it stays symbolic. kind "const": any
    other value, baked into the export and part of the cache key.
    """

    kind: str
    symbolic_dims: tuple[int, ...] = ()
    static_dims: tuple[int, ...] = ()
    frozen: bool = False
    source: tuple[int, int] | None = None


def _example_value(node: Any) -> Any:
    if not isinstance(node, torch.fx.Node):
        return node
    return node.meta.get("example_value", node.meta.get("val"))


def _is_static_input(value: Any) -> bool:
    """Parameters and buffers, as TorchDynamo passes them (it marks both as static inputs)."""
    return isinstance(value, torch.nn.Parameter) or getattr(value, "_dynamo_static_input_type", None) is not None


def arg_specs(call_node: torch.fx.Node, static_placeholders: set[str], options: OnnxrtBackendOptions) -> list[ArgSpec]:
    """The ArgSpec of each argument of the call to a fused partition in the parent graph."""
    values = [_example_value(a) for a in call_node.args]
    specs: list[ArgSpec] = []
    for arg, value in zip(call_node.args, values):
        if isinstance(value, torch.Tensor):
            frozen = options.freeze_parameters and isinstance(arg, torch.fx.Node) and arg.name in static_placeholders
            if frozen or options.dynamic is False:
                symbolic: tuple[int, ...] = ()
            elif options.dynamic is True:
                symbolic = tuple(range(value.dim()))
            else:
                symbolic = tuple(d for d, s in enumerate(value.shape) if isinstance(s, torch.SymInt))
            static = tuple(d for d in range(value.dim()) if d not in symbolic)
            specs.append(ArgSpec("tensor", symbolic, static, frozen))
        else:
            specs.append(ArgSpec("const"))
    # An int that is the size of a symbolic dim of a tensor argument stays symbolic.
    for i, value in enumerate(values):
        if not isinstance(value, torch.SymInt) or options.dynamic is False:
            continue
        expr = value.node.expr
        for j, (spec, tensor) in enumerate(zip(specs, values)):
            if spec.kind != "tensor":
                continue
            for d in spec.symbolic_dims:
                size = tensor.shape[d]
                if isinstance(size, torch.SymInt) and size.node.expr == expr:
                    specs[i] = ArgSpec("size", source=(j, d))
                    break
            if specs[i].kind == "size":
                break
    return specs


class _ExportModule(torch.nn.Module):
    """What is handed to torch.onnx.export: takes only the fed tensors, rebuilds the partition's
    argument list (weights as buffers so they become initializers, sizes from the tensors)."""

    def __init__(self, gm: torch.fx.GraphModule, specs: list[ArgSpec], args: tuple, fed: list[int]):
        super().__init__()
        self.gm = gm
        self._plan: list[tuple[str, Any]] = []
        position_of = {pos: k for k, pos in enumerate(fed)}
        for i, (spec, arg) in enumerate(zip(specs, args)):
            if spec.kind == "tensor" and spec.frozen:
                self.register_buffer(f"weight_{i}", arg.detach())
                self._plan.append(("weight", f"weight_{i}"))
            elif spec.kind == "tensor":
                self._plan.append(("input", position_of[i]))
            elif spec.kind == "size":
                j, d = spec.source
                self._plan.append(("size", (position_of[j], d)))
            else:
                self._plan.append(("const", arg))

    def forward(self, *inputs):
        args = []
        for kind, what in self._plan:
            if kind == "input":
                args.append(inputs[what])
            elif kind == "weight":
                args.append(getattr(self, what))
            elif kind == "size":
                args.append(inputs[what[0]].shape[what[1]])
            else:
                args.append(what)
        return tuple(self.gm(*args))


@functools.lru_cache(maxsize=1)
def _onnxrt_ops() -> frozenset[tuple[str, str]]:
    from .. import _onnxrt

    return frozenset((("" if d == "ai.onnx" else d), op) for d, op, *_ in _onnxrt._list_kernels())


def _onnx_ops(model) -> list[tuple[str, str]]:
    """(domain, op_type) of every node of the model, subgraphs and local functions included."""
    local = {(f.domain, f.name) for f in model.functions}
    found: list[tuple[str, str]] = []

    def walk(graph_nodes):
        for node in graph_nodes:
            key = ("" if node.domain == "ai.onnx" else node.domain, node.op_type)
            if key not in local and key not in found:
                found.append(key)
            for attr in node.attribute:
                if attr.HasField("g"):
                    walk(attr.g.node)
                for g in attr.graphs:
                    walk(g.node)

    walk(model.graph.node)
    for f in model.functions:
        walk(f.node)
    return found


@contextlib.contextmanager
def _quiet_exporter():
    """Silences the exporter's warnings for one export (e.g. one per missing torchvision op,
    every time the exporter builds its registry); errors still raise."""
    logger = logging.getLogger("torch.onnx._internal.exporter._registration")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def _in_clean_thread(fn):
    """Runs ``fn`` (an export) on a new thread and returns its result or raises its error.

    The first call of a partition may come from inside AOTAutograd's runtime wrapper, whose
    thread-local dispatch state (functionalization, excluded keys, modes) breaks torch.export's
    re-tracing ("Attempting to use FunctionalTensor on its own"); a fresh thread starts clean.
    """
    result: list = []

    def work():
        try:
            with _quiet_exporter(), torch.no_grad():
                result.append((True, fn()))
        except BaseException as e:  # noqa: BLE001 - handed to the calling thread
            result.append((False, e))

    thread = threading.Thread(target=work, name="onnxrt-torch-export")
    thread.start()
    thread.join()
    ok, value = result[0]
    if not ok:
        raise value
    return value


_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")
_SUMMARY_CAUSE = re.compile(r"^<class '(?:[\w.]+\.)?(\w+)'>: (.+)$", re.MULTILINE)


@functools.lru_cache(maxsize=1)
def translation_registry():
    """(torch.onnx's aten -> ONNX translation table, its opset), built once; None when this
    torch's private exporter API is not the one expected.

    torch.onnx.export rebuilds the table on every call, re-reading the source of ~500 torchlib
    functions: about half the time of exporting a small graph (profiled on torch 2.13: 2.0 of
    4.0 s for a ResNet block). The backend exports once per partition and signature, so it
    keeps one table and calls the exporter's core with it. Nothing changes the table during an
    export (only custom_translation_table would, which the backend does not use).
    """
    try:
        from torch.onnx import _constants
        from torch.onnx._internal.exporter import _constants as exporter_constants
        from torch.onnx._internal.exporter import _core, _registration

        if not callable(getattr(_core, "export", None)):
            return None
        opset = max(_constants.ONNX_DEFAULT_OPSET, exporter_constants.TORCHLIB_OPSET)  # as torch.onnx.export picks
        with _quiet_exporter():
            return _registration.ONNXRegistry.from_torchlib(opset_version=opset), opset
    except Exception:  # noqa: BLE001 - private API: fall back to torch.onnx.export
        return None


def export_in_memory(module: torch.nn.Module, inputs: tuple, dynamic_shapes: Any):
    """torch.onnx.export(module, inputs, dynamo=True, dynamic_shapes=...) with the translation
    table built once per process (translation_registry)."""
    cached = translation_registry()
    if cached is not None:
        from torch.onnx._internal.exporter import _core

        registry, opset = cached
        return _core.export(module, inputs, None, registry=registry, dynamic_shapes=dynamic_shapes, verbose=False,
                            report=False, optimize=True, opset_version=opset)
    return torch.onnx.export(module, inputs, dynamo=True, dynamic_shapes=dynamic_shapes, verbose=False,
                             report=False, optimize=True)


def _first_line(e: BaseException) -> str:
    """A one-line reason for logs and explain(). torch.onnx's errors open with generic advice
    ("Failed to convert ... step 3/3") and name the real cause under "## Exception summary"
    as "<class '...DispatchError'>: No ONNX function found for ...": that line is the reason."""
    text = _ANSI_ESCAPE.sub("", str(e)).strip()
    head = next((line.strip() for line in text.splitlines() if line.strip()), "")
    summary = text.split("## Exception summary", 1)
    cause = _SUMMARY_CAUSE.search(summary[1]) if len(summary) == 2 else None
    if cause:
        return f"{type(e).__name__}: {cause.group(1)}: {cause.group(2).strip()}"
    return f"{type(e).__name__}: {head}" if head else type(e).__name__


def session_options(options: OnnxrtBackendOptions):
    import onnxrt

    so = onnxrt.SessionOptions()
    so.intra_op_num_threads = int(options.intra_op_num_threads)
    if options.graph_optimization_level is not None:
        so.graph_optimization_level = options.graph_optimization_level
    return so


# Every partition alive, so that their sessions can be dropped at exit: TorchDynamo's caches keep
# compiled graphs until the interpreter ends, after nanobind has started tearing its types down.
_LIVE_PARTITIONS: "weakref.WeakSet[OnnxrtPartition]" = weakref.WeakSet()


@atexit.register
def _drop_sessions_at_exit() -> None:
    for partition in list(_LIVE_PARTITIONS):
        partition._cache.clear()


class OnnxrtPartition(torch.nn.Module):
    """Runs one fused FX partition on onnxrt; falls back to its FX code in PyTorch for good when
    it cannot be exported or run."""

    def __init__(self, gm: torch.fx.GraphModule, specs: list[ArgSpec], options: OnnxrtBackendOptions, record: PartitionRecord):
        super().__init__()
        self.gm = gm
        self._specs = specs
        self._options = options
        self.record = record
        self._cache = SessionCache(options.cache_size)
        self._fed = [i for i, s in enumerate(specs) if s.kind == "tensor" and not s.frozen]
        self._frozen = [i for i, s in enumerate(specs) if s.kind == "tensor" and s.frozen]
        self._weights: list[tuple[int, torch.Tensor, int]] = []  # (position, tensor, version) exported
        self._fallback = False
        _LIVE_PARTITIONS.add(self)

    @property
    def sessions(self) -> list[SessionEntry]:
        return self._cache.entries()

    def _key(self, args: tuple) -> tuple:
        key: list[Any] = []
        for spec, arg in zip(self._specs, args):
            if spec.kind == "tensor":
                if not isinstance(arg, torch.Tensor):
                    raise TypeError(f"partition {self.record.name}: expected a tensor argument, got {type(arg).__name__}")
                shape = arg.shape
                key.append((arg.dtype, arg.dim(), tuple(shape[d] for d in spec.static_dims)))
            elif spec.kind == "const":
                key.append(arg)
        return tuple(key)

    def _weights_changed(self, args: tuple) -> bool:
        for pos, tensor, version in self._weights:
            arg = args[pos]
            if arg is not tensor or arg._version != version:
                return True
        return False

    def _export(self, args: tuple, key: tuple) -> SessionEntry:
        import onnxrt

        module = _ExportModule(self.gm, self._specs, args, self._fed)
        inputs = tuple(args[i] for i in self._fed)
        dynamic = None
        if any(self._specs[i].symbolic_dims for i in self._fed):
            auto = torch.export.Dim.AUTO
            # forward(*inputs) takes one (varargs) argument: the specs nest one level down.
            dynamic = (tuple({d: auto for d in self._specs[i].symbolic_dims} or None for i in self._fed),)
        program = _in_clean_thread(lambda: export_in_memory(module, inputs, dynamic))
        self.record.exports += 1
        model = program.model_proto
        ops = _onnx_ops(model)
        missing = [f"{d}::{op}" if d else op for d, op in ops if (d, op) not in _onnxrt_ops()]
        if missing:
            raise NotImplementedError(f"onnxrt has no kernel for ONNX op(s) {', '.join(missing)}")
        session = onnxrt.InferenceSession(model.SerializeToString(), session_options(self._options))
        declared = session.get_inputs()
        if len(declared) != len(inputs):
            raise RuntimeError(f"the exported model takes {len(declared)} inputs, the partition feeds {len(inputs)}")
        fixed = []
        for k, (pos, arg) in enumerate(zip(self._fed, inputs)):
            for d in self._specs[pos].symbolic_dims:
                shape = declared[k].shape
                if shape is not None and d < len(shape) and isinstance(shape[d], int):
                    fixed.append((pos, d, int(arg.shape[d])))  # the exporter specialized this dim
        entry = SessionEntry(session, session._sess, [a.name for a in declared], list(self._fed), fixed,
                             [op for _, op in ops], [(a.name, list(a.shape or [])) for a in declared])
        self.record.onnx_ops = entry.onnx_ops
        self.record.inputs = entry.symbolic_inputs
        self._cache.insert(key, entry)
        return entry

    def _run_onnxrt(self, args: tuple) -> tuple:
        if self._frozen and (not self._weights or self._weights_changed(args)):
            if self._weights:
                _log.debug("onnxrt backend: weights of %s changed in place; exporting again", self.record.name)
            self._cache.clear()
            self._weights = [(i, args[i], args[i]._version) for i in self._frozen]
        key = self._key(args)
        entry = self._cache.lookup(key, args)
        if entry is None:
            entry = self._export(args, key)
        outputs = run_session(entry.native, entry.input_names, [args[i] for i in entry.input_positions])
        self.record.status = "onnxrt"
        self.record.runs_onnxrt += 1
        return tuple(outputs)

    def forward(self, *args):
        if not self._fallback:
            try:
                return self._run_onnxrt(args)
            except Exception as e:  # noqa: BLE001 - any failure falls back unless strict
                if self._options.strict:
                    raise
                self._fall_back(e)
        self.record.runs_eager += 1
        return tuple(self.gm(*args))

    def _fall_back(self, error: BaseException) -> None:
        self._fallback = True
        self._cache.clear()
        message = _first_line(error)
        self.record.status = "eager"
        self.record.reason = message
        self.record.failed_op = op_named_in(message) or op_named_in(_ANSI_ESCAPE.sub("", str(error)))
        _log.warning("onnxrt backend: %s (%s) runs in eager PyTorch from now on: %s",
                     self.record.name, ", ".join(self.record.ops[:6]) + (", ..." if len(self.record.ops) > 6 else ""),
                     message)
