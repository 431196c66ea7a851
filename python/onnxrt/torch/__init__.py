"""onnxrt for PyTorch: ``torch.compile(model, backend="onnxrt")`` and running ``torch.onnx.export``
programs on onnxrt.

    compiled = torch.compile(model, backend="onnxrt", options={"min_block_size": 2})
    onnxrt.torch.explain(model, x)             # what ran on onnxrt, what fell back and why
    onnxrt.torch.verify(model, (x,))           # torch.onnx.export -> onnxrt vs eager PyTorch

The backend is registered through the ``torch_dynamo_backends`` entry point, so the name works
after installation without importing onnxrt first. See docs/torch.md.
"""

from __future__ import annotations

from ._deps import is_onnxrt_backend_supported
from .options import OnnxrtBackendOptions


def onnxrt_backend(gm, example_inputs, *, options=None):
    """The TorchDynamo backend (entry point ``onnxrt.torch:onnxrt_backend``)."""
    from ._deps import require_dependencies

    require_dependencies()  # before importing modules that import torch
    from .backend import onnxrt_backend as _backend

    return _backend(gm, example_inputs, options=options)


def explain(model, *args, **kwargs):
    """Compiles and runs ``model(*args, **kwargs)`` once with the onnxrt backend and returns an
    Explanation of every graph and partition (onnxrt.torch.report)."""
    from .report import explain as _explain

    return _explain(model, *args, **kwargs)


def run(program, *args, **kwargs):
    """Runs a torch.onnx.export ONNXProgram on onnxrt; returns torch tensors."""
    from .program import run as _run

    return _run(program, *args, **kwargs)


run_onnx_program = run


def load(source, weights=None, sess_options=None):
    """Loads an ONNXProgram, ModelProto, bytes or path for ``run``/``verify``, binding
    ``weights`` (a state dict) to weights saved as inputs or left out, or overriding stored ones."""
    from .program import load as _load

    return _load(source, weights, sess_options)


def verify(model_or_program, args=(), kwargs=None, **options):
    """Runs a model on onnxrt (through torch.onnx.export) and in eager PyTorch and compares."""
    from .program import verify as _verify

    return _verify(model_or_program, args, kwargs, **options)


__all__ = [
    "OnnxrtBackendOptions",
    "explain",
    "is_onnxrt_backend_supported",
    "load",
    "onnxrt_backend",
    "run",
    "run_onnx_program",
    "verify",
]
