"""onnxrt: an ONNX inference runtime with onnxruntime's Python interface.

    import onnxrt
    sess = onnxrt.InferenceSession("model.onnx")
    (y,) = sess.run(None, {"x": x})

Exceptions. Every error raised by the engine is an ``onnxrt.Error``; the subclass says what went
wrong, and each also derives from the closest built-in exception so that generic handlers work:

    Error            base class of all of them (an Exception)
    InvalidModel     the model file or graph is malformed or inconsistent (also a ValueError)
    InvalidArgument  a wrong input name, shape, dtype, missing input or bad option (also a
                     ValueError)
    NotImplemented   valid ONNX that onnxrt cannot run yet: an op, opset or dtype without a
                     kernel (also a NotImplementedError)
    IoError          a file is missing, unreadable, or an external-data path leaves the model's
                     directory (also an OSError)
    EngineError      a failure while running, such as running out of memory (also a RuntimeError)

Messages name the node, op and value concerned, with the expected and actual values.
"""

from __future__ import annotations

from . import _onnxrt
from ._onnxrt import EngineError, Error, InvalidArgument, InvalidModel, IoError
from ._onnxrt import NotImplemented  # noqa: A004 - the name mirrors onnxrt::ErrorCode
from .session import (
    GraphOptimizationLevel,
    InferenceSession,
    ModelMetadata,
    NodeArg,
    RunOptions,
    SessionOptions,
    get_available_providers,
    get_device,
)

try:
    from importlib.metadata import version as _dist_version

    __version__ = _dist_version("onnxrt")
except Exception:  # running from a source tree without installed metadata
    __version__ = "0.1.0"

__all__ = [
    "EngineError",
    "Error",
    "GraphOptimizationLevel",
    "InferenceSession",
    "InvalidArgument",
    "InvalidModel",
    "IoError",
    "ModelMetadata",
    "NodeArg",
    "NotImplemented",
    "RunOptions",
    "SessionOptions",
    "__version__",
    "get_available_providers",
    "get_device",
]
