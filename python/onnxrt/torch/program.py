"""Running what torch.onnx.export produces on onnxrt, and checking it against eager PyTorch.

``run(program, *args, **kwargs)`` takes the arguments the exported model took, flattens them as
torch.onnx's ONNXProgram does (pytree order, None dropped, complex as real pairs, Python numbers
baked into the model dropped), runs onnxrt and returns the flat outputs as torch tensors, like
``ONNXProgram.__call__`` does with onnxruntime. ``verify`` also runs the model in PyTorch and
reports the largest absolute and relative error per output. ``load(source, weights=...)`` binds
weights to a saved model whose weights were left out or kept as inputs (or overrides stored ones),
as constants, so onnxrt can still fold and prepack them.
"""

from __future__ import annotations

import atexit
import dataclasses
import os
import tempfile
import weakref
from typing import Any, Sequence

import torch
from torch.utils import _pytree as pytree

from .tensors import run_session

# ONNXProgram -> (fingerprint, session, tempdir); the fingerprint notices apply_weights/optimize.
_SESSIONS: "weakref.WeakKeyDictionary[Any, tuple]" = weakref.WeakKeyDictionary()
atexit.register(_SESSIONS.clear)  # before nanobind tears down its types (see lowering.py)
_LARGE_MODEL_BYTES = 1_500_000_000  # over this, protobuf's 2 GiB limit is near: go through a file


def _fingerprint(program) -> tuple:
    graph = program.model.graph
    return (id(program.model), len(graph), tuple(id(v.const_value) for v in graph.initializers.values()))


def _initializer_bytes(program) -> int:
    total = 0
    for v in program.model.graph.initializers.values():
        if v.const_value is not None:
            total += v.const_value.nbytes
    return total


def _is_onnx_program(x: Any) -> bool:
    # Not hasattr(x, "model_proto"): that property serializes the model (and raises on fake weights).
    return isinstance(x, torch.onnx.ONNXProgram)


def _fake_initializers(program) -> list[str]:
    from torch._subclasses.fake_tensor import is_fake

    return [name for name, v in program.model.graph.initializers.items()
            if isinstance(getattr(v.const_value, "raw", None), torch.Tensor) and is_fake(v.const_value.raw)]


def session_for(program, sess_options=None):
    """An onnxrt.InferenceSession for an ONNXProgram (cached per program), an onnx.ModelProto,
    serialized bytes or a path."""
    import onnxrt

    if isinstance(program, LoadedProgram):
        return program.session
    if not _is_onnx_program(program):
        return onnxrt.InferenceSession(program, sess_options)
    cached = _SESSIONS.get(program)
    fingerprint = _fingerprint(program)
    if cached is not None and cached[0] == fingerprint and sess_options is None:
        return cached[1]
    fake = _fake_initializers(program)
    if fake:
        raise ValueError(f"the program's weights {fake[:4]}{' ...' if len(fake) > 4 else ''} are fake tensors (exported "
                         "under FakeTensorMode): give it real ones with onnxrt.torch.load(program, "
                         "weights=state_dict) or program.apply_weights(state_dict)")
    tempdir = None
    if _initializer_bytes(program) > _LARGE_MODEL_BYTES:
        tempdir = tempfile.TemporaryDirectory(ignore_cleanup_errors=True)
        path = os.path.join(tempdir.name, "model.onnx")
        program.save(path, external_data=True)
        session = onnxrt.InferenceSession(path, sess_options)
    else:
        session = onnxrt.InferenceSession(program.model_proto.SerializeToString(), sess_options)
    if sess_options is None:
        _SESSIONS[program] = (fingerprint, session, tempdir)
    return session


@dataclasses.dataclass
class LoadedProgram:
    """A model loaded by ``load``: its onnxrt session, with any weights given bound in. Calling
    it (or ``run(loaded, *args)``) runs the model like ``run`` does."""

    session: Any  # onnxrt.InferenceSession
    bound: list[str]  # weights bound as constants
    unused: list[str]  # names in ``weights`` the model has neither as input nor as initializer

    def __call__(self, *args, **kwargs) -> tuple[torch.Tensor, ...]:
        return run(self, *args, **kwargs)


def _tensor_proto(name: str, value: Any):
    from onnx import TensorProto

    from .tensors import _TORCH_TO_ONNX

    t = torch.as_tensor(value).detach().cpu().contiguous()
    code, bits = _TORCH_TO_ONNX.get(t.dtype, (None, None))
    if code is None:
        raise TypeError(f"weight '{name}': torch dtype {t.dtype} has no ONNX element type")
    proto = TensorProto(name=name, data_type=code, dims=list(t.shape))
    proto.raw_data = (t.view(bits) if bits is not None else t).numpy().tobytes()
    return proto


def _check_against_input(name: str, declared, proto) -> None:
    """A weight fed for a graph input must have the input's element type and static dims."""
    tensor_type = declared.type.tensor_type
    if tensor_type.elem_type and tensor_type.elem_type != proto.data_type:
        from onnx import helper

        raise TypeError(f"weight '{name}': element type {helper.tensor_dtype_to_string(proto.data_type)} != the "
                        f"model's {helper.tensor_dtype_to_string(tensor_type.elem_type)}")
    if tensor_type.HasField("shape"):
        dims = [d.dim_value if d.HasField("dim_value") else None for d in tensor_type.shape.dim]
        if len(dims) != len(proto.dims) or any(d is not None and d != g for d, g in zip(dims, proto.dims)):
            raise ValueError(f"weight '{name}': shape {list(proto.dims)} != the model's "
                             f"{[d if d is not None else '?' for d in dims]}")


def bind_weights(model, weights: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Makes each weight a constant initializer of ``model`` (an onnx.ModelProto, changed in
    place): it replaces a stored initializer of that name, or gives a graph input its value (the
    input is then dropped, as onnxrt does not let a run feed a constant). Returns (bound, unused):
    names of ``weights`` the model has neither as initializer nor as input are skipped, as
    ONNXProgram.apply_weights skips them (a state dict holds e.g. num_batches_tracked)."""
    graph = model.graph
    inputs = {i.name: i for i in graph.input}
    stored = {t.name: k for k, t in enumerate(graph.initializer)}
    bound, unused = [], []
    for name, value in weights.items():
        if name not in inputs and name not in stored:
            unused.append(name)
            continue
        proto = _tensor_proto(name, value)
        if name in inputs:
            _check_against_input(name, inputs[name], proto)
        if name in stored:
            old = graph.initializer[stored[name]]
            if list(old.dims) != list(proto.dims) or old.data_type != proto.data_type:
                raise ValueError(f"weight '{name}': shape {list(proto.dims)} / type {proto.data_type} != the stored "
                                 f"initializer's {list(old.dims)} / {old.data_type}")
            old.CopyFrom(proto)  # also drops any external-data reference
        else:
            graph.initializer.append(proto)
        bound.append(name)
    if model.ir_version >= 4:  # before IR 4 every initializer had to be listed as an input
        kept = [i for i in graph.input if i.name not in set(bound)]
        del graph.input[:]
        graph.input.extend(kept)
    return bound, unused


def _program_proto_with(program, weights: dict[str, Any]):
    """The ModelProto of an ONNXProgram with ``weights`` in place of its initializers of the
    same names, leaving the program as it was. Needed for a program exported under fake mode:
    its fake initializers cannot be serialized until real ones replace them."""
    from torch.onnx._internal.exporter._core import TorchTensor  # what apply_weights stores

    initializers = program.model.graph.initializers
    saved = {name: initializers[name].const_value for name in weights if name in initializers}
    try:
        for name in saved:
            initializers[name].const_value = TorchTensor(torch.as_tensor(weights[name]).detach(), name)
        return program.model_proto
    finally:
        for name, value in saved.items():
            initializers[name].const_value = value


def load(source, weights: dict[str, Any] | None = None, sess_options=None) -> LoadedProgram:
    """Loads a model for ``run``/``verify``: an ONNXProgram, an onnx.ModelProto, serialized bytes
    or a path (external data next to it is found). ``weights`` (a state dict or any name ->
    tensor mapping) fills weights the model takes as inputs (saved with
    ``include_initializers=False`` or ``keep_initializers_as_inputs=True``) and overrides stored
    initializers of the same name; they become constants of the onnxrt session."""
    import onnx

    import onnxrt

    if not weights:
        return LoadedProgram(session_for(source, sess_options), [], [])
    if _is_onnx_program(source):
        model = _program_proto_with(source, weights)
    elif isinstance(source, onnx.ModelProto):
        model = onnx.ModelProto()
        model.CopyFrom(source)
    elif isinstance(source, (bytes, bytearray, memoryview)):
        model = onnx.load_from_string(bytes(source))
    else:
        model = onnx.load(os.fspath(source))  # reads the external data too
    bound, unused = bind_weights(model, dict(weights))
    return LoadedProgram(onnxrt.InferenceSession(model.SerializeToString(), sess_options), bound, unused)


def flatten_inputs(args: Sequence[Any], kwargs: dict | None, num_inputs: int) -> list[torch.Tensor]:
    """The model inputs from the call's arguments, as torch.onnx flattens them."""
    leaves = [x for x in pytree.tree_leaves((tuple(args), dict(kwargs or {}))) if x is not None]
    leaves = [torch.view_as_real(x.resolve_conj()) if isinstance(x, torch.Tensor) and x.is_complex() else x
              for x in leaves]
    tensors = [x for x in leaves if isinstance(x, torch.Tensor)]
    if len(tensors) == num_inputs:  # Python numbers were baked into the model as constants
        return tensors
    if len(leaves) != num_inputs:
        raise ValueError(f"the ONNX model takes {num_inputs} inputs but the call gives {len(tensors)} tensors "
                         f"({len(leaves)} values after flattening)")
    return [x if isinstance(x, torch.Tensor) else torch.tensor(x) for x in leaves]


def run(program, *args, **kwargs) -> tuple[torch.Tensor, ...]:
    """Runs ``program`` (an ONNXProgram from torch.onnx.export, a ModelProto, bytes or a path) on
    onnxrt with the model's own arguments; returns the flat outputs as torch tensors."""
    return _run_on(session_for(program), args, kwargs)


def _run_on(session, args: Sequence[Any], kwargs: dict | None) -> tuple[torch.Tensor, ...]:
    declared = session.get_inputs()
    try:
        inputs = flatten_inputs(args, kwargs, len(declared))
    except ValueError as e:
        given = sum(1 for x in pytree.tree_leaves((tuple(args), dict(kwargs or {}))) if isinstance(x, torch.Tensor))
        if given < len(declared):
            unfed = [d.name for d in declared[given:]]
            raise ValueError(f"{e}; inputs {unfed} get no value: if they are weights saved as inputs, bind them "
                             "with onnxrt.torch.load(model, weights=state_dict)") from None
        raise
    return tuple(run_session(session._sess, [d.name for d in declared], inputs))


@dataclasses.dataclass
class OutputComparison:
    name: str
    shape: tuple
    dtype: str
    max_abs_error: float
    max_rel_error: float
    passed: bool
    problem: str = ""  # shape or dtype mismatch


@dataclasses.dataclass
class VerificationResult:
    outputs: list[OutputComparison]
    rtol: float
    atol: float
    program: Any = None

    @property
    def passed(self) -> bool:
        return all(o.passed for o in self.outputs)

    def __str__(self) -> str:
        lines = [f"onnxrt vs eager PyTorch (rtol={self.rtol:g}, atol={self.atol:g}): "
                 + ("passed" if self.passed else "FAILED")]
        for o in self.outputs:
            lines.append(f"  {o.name} {list(o.shape)} {o.dtype}: max abs {o.max_abs_error:.3e}, "
                         f"max rel {o.max_rel_error:.3e}" + (f" ({o.problem})" if o.problem else "")
                         + ("" if o.passed else "  MISMATCH"))
        return "\n".join(lines)


def _compare(name: str, actual: torch.Tensor, expected: torch.Tensor, rtol: float, atol: float) -> OutputComparison:
    problem = ""
    if tuple(actual.shape) != tuple(expected.shape):
        problem = f"shape {list(actual.shape)} != expected {list(expected.shape)}"
    elif actual.dtype != expected.dtype:
        problem = f"dtype {actual.dtype} != expected {expected.dtype}"
    if problem or actual.numel() == 0:
        return OutputComparison(name, tuple(expected.shape), str(expected.dtype), 0.0, 0.0, not problem, problem)
    a, e = actual.detach().to(torch.float64), expected.detach().to(torch.float64)
    if actual.is_complex():
        a, e = torch.view_as_real(actual.detach()).double(), torch.view_as_real(expected.detach()).double()
    diff = (a - e).abs()
    same_nonfinite = (a == e) | (a.isnan() & e.isnan())
    diff = torch.where(same_nonfinite, torch.zeros_like(diff), diff)
    max_abs = float(diff.max())
    max_rel = float((diff / e.abs().clamp_min(torch.finfo(torch.float64).tiny)).max())
    passed = bool(torch.all(diff <= atol + rtol * e.abs()))
    return OutputComparison(name, tuple(expected.shape), str(expected.dtype), max_abs, max_rel, passed)


def verify(model_or_program, args: Sequence[Any] = (), kwargs: dict | None = None, *, onnx_program=None,
           rtol: float = 1e-4, atol: float = 1e-5, **export_options) -> VerificationResult:
    """Runs the model in eager PyTorch and on onnxrt and compares every output.

    ``model_or_program`` is an nn.Module (exported with ``torch.onnx.export(dynamo=True,
    **export_options)`` unless ``onnx_program`` is given: an ONNXProgram, a ``load`` result, a
    ModelProto, bytes or a path, e.g. from the TorchScript exporter) or an ONNXProgram (its
    exported_program is the PyTorch reference). Returns a VerificationResult with the largest
    absolute and relative error per output; ``.passed`` is True when every output is within
    ``atol + rtol * |expected|`` with the right shape and dtype.
    """
    if not isinstance(args, (tuple, list)):
        args = (args,)
    kwargs = dict(kwargs or {})
    if _is_onnx_program(model_or_program):
        onnx_program = model_or_program
        if onnx_program.exported_program is None:
            raise ValueError("this ONNXProgram has no exported_program to compare with; pass the nn.Module")
        model = onnx_program.exported_program.module()
    else:
        model = model_or_program
        if onnx_program is None:
            from .lowering import _quiet_exporter

            with _quiet_exporter():
                onnx_program = torch.onnx.export(model, tuple(args), kwargs=kwargs or None, dynamo=True,
                                                 verbose=False, **export_options)
    session = session_for(onnx_program)
    with torch.no_grad():
        expected = [x for x in pytree.tree_leaves(model(*args, **kwargs)) if isinstance(x, torch.Tensor)]
        actual = _run_on(session, args, kwargs)
    names = [o.name for o in session.get_outputs()]
    if len(actual) != len(expected):
        raise AssertionError(f"onnxrt returned {len(actual)} outputs, PyTorch {len(expected)}")
    outputs = [_compare(n, a, e, rtol, atol) for n, a, e in zip(names, actual, expected)]
    return VerificationResult(outputs, rtol, atol, onnx_program)
