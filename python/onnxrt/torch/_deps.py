"""Dependency checks for the torch.compile backend; nothing here imports torch at module load."""

from __future__ import annotations

import importlib

# (module, why it is needed)
_DEPENDENCIES = (
    ("torch", "the model and the FX graphs come from PyTorch"),
    ("onnx", "the exporter produces onnx.ModelProto"),
    ("onnxscript", "torch.onnx's dynamo exporter translates aten ops through onnxscript's torchlib"),
)


def missing_dependencies() -> list[str]:
    """Names of the modules the backend needs that do not import."""
    missing = []
    for name, _ in _DEPENDENCIES:
        try:
            importlib.import_module(name)
        except ImportError:
            missing.append(name)
    return missing


def is_onnxrt_backend_supported() -> bool:
    """True when torch, onnx and onnxscript (which torch.onnx's exporter needs) all import."""
    return not missing_dependencies()


def require_dependencies() -> None:
    """Raises ImportError naming each missing module and how to install it."""
    missing = missing_dependencies()
    if not missing:
        return
    reasons = "\n".join(f"  - {name}: {why}" for name, why in _DEPENDENCIES if name in missing)
    raise ImportError(
        "torch.compile(backend='onnxrt') cannot run: missing "
        + ", ".join(missing)
        + ".\n"
        + reasons
        + "\nTo fix it:\n"
        "  1. pip install torch onnx onnxscript   (the versions pinned in onnxrt's requirements.txt)\n"
        "  2. check with: python -c \"import onnxrt.torch as t; print(t.is_onnxrt_backend_supported())\"\n"
        "  3. restart the Python process so the backend sees the new packages"
    )
