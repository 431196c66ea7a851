"""Running what torch.onnx.export produces on onnxrt, and checking it against eager PyTorch.

``run(program, *args, **kwargs)`` takes the arguments the exported model took, flattens them as
torch.onnx's ONNXProgram does (pytree order, None dropped, complex as real pairs, Python numbers
baked into the model dropped), runs onnxrt and returns the flat outputs as torch tensors, like
``ONNXProgram.__call__`` does with onnxruntime. ``verify`` also runs the model in PyTorch and
reports the largest absolute and relative error per output.
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


def session_for(program, sess_options=None):
    """An onnxrt.InferenceSession for an ONNXProgram (cached per program), an onnx.ModelProto,
    serialized bytes or a path."""
    import onnxrt

    if not hasattr(program, "model") or not hasattr(program, "model_proto"):
        return onnxrt.InferenceSession(program, sess_options)
    cached = _SESSIONS.get(program)
    fingerprint = _fingerprint(program)
    if cached is not None and cached[0] == fingerprint and sess_options is None:
        return cached[1]
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
    session = session_for(program)
    declared = session.get_inputs()
    inputs = flatten_inputs(args, kwargs, len(declared))
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
    **export_options)`` unless ``onnx_program`` is given) or an ONNXProgram (its
    exported_program is the PyTorch reference). Returns a VerificationResult with the largest
    absolute and relative error per output; ``.passed`` is True when every output is within
    ``atol + rtol * |expected|`` with the right shape and dtype.
    """
    if not isinstance(args, (tuple, list)):
        args = (args,)
    kwargs = dict(kwargs or {})
    if hasattr(model_or_program, "model_proto"):
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
    with torch.no_grad():
        expected = [x for x in pytree.tree_leaves(model(*args, **kwargs)) if isinstance(x, torch.Tensor)]
        actual = run(onnx_program, *args, **kwargs)
    names = [v.name for v in onnx_program.model.graph.outputs]
    if len(actual) != len(expected):
        raise AssertionError(f"onnxrt returned {len(actual)} outputs, PyTorch {len(expected)}")
    outputs = [_compare(n, a, e, rtol, atol) for n, a, e in zip(names, actual, expected)]
    return VerificationResult(outputs, rtol, atol, onnx_program)
