"""A TorchDynamo backend that runs FX graphs on onnxrt: ``torch.compile(model, backend="onnxrt")``.

Registered through the ``torch_dynamo_backends`` entry point, so the name works after installation
without importing onnxrt first. Each FX graph is exported in memory with ``torch.onnx.export(...,
dynamo=True)`` and loaded into an onnxrt session, one per input signature (dtypes and shapes),
kept in a small LRU. A graph whose export or run fails falls back to eager PyTorch for good, logged
once; ``options={"strict": True}`` raises instead.

This is the first version: whole graphs only (no partitioning), static shapes (a new shape exports
again), tensors cross as numpy arrays.
"""

from __future__ import annotations

import collections
import logging
import warnings
from typing import Any, Callable

_log = logging.getLogger(__name__)
_MAX_SESSIONS = 8


def is_onnxrt_backend_supported() -> bool:
    """True when torch, onnx and onnxscript (which torch.onnx's exporter needs) all import."""
    try:
        import onnx  # noqa: F401
        import onnxscript  # noqa: F401
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def _require_dependencies() -> None:
    if not is_onnxrt_backend_supported():
        raise ImportError(
            "the onnxrt torch.compile backend needs torch, onnx and onnxscript; install them with "
            "`pip install torch onnx onnxscript` (the versions pinned in onnxrt's requirements.txt)"
        )


class _CompiledGraph:
    def __init__(self, gm, strict: bool):
        self._gm = gm
        self._strict = strict
        self._sessions: collections.OrderedDict[tuple, Any] = collections.OrderedDict()
        self._fallback = False

    def _session_for(self, args: tuple):
        import torch

        import onnxrt

        key = tuple((tuple(a.shape), str(a.dtype)) if isinstance(a, torch.Tensor) else repr(a) for a in args)
        sess = self._sessions.get(key)
        if sess is not None:
            self._sessions.move_to_end(key)
            return sess
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            program = torch.onnx.export(self._gm, args, dynamo=True, verbose=False)
        sess = onnxrt.InferenceSession(program.model_proto.SerializeToString())
        self._sessions[key] = sess
        if len(self._sessions) > _MAX_SESSIONS:
            self._sessions.popitem(last=False)
        return sess

    def __call__(self, *args):
        import torch

        if self._fallback:
            return self._gm(*args)
        try:
            sess = self._session_for(args)
            names = [i.name for i in sess.get_inputs()]
            tensors = [a for a in args if isinstance(a, torch.Tensor)]
            feed = {n: t.detach().cpu().numpy() for n, t in zip(names, tensors)}
            outputs = [torch.from_numpy(o) for o in sess.run(None, feed)]
        except Exception as e:  # noqa: BLE001 - any failure falls back unless strict
            if self._strict:
                raise
            _log.warning("onnxrt backend: running this graph in eager PyTorch from now on (%s: %s)",
                         type(e).__name__, str(e).splitlines()[0] if str(e) else "")
            self._fallback = True
            return self._gm(*args)
        return tuple(outputs) if len(outputs) != 1 or not _returns_single(self._gm) else outputs[0]


def _returns_single(gm) -> bool:
    for node in gm.graph.nodes:
        if node.op == "output":
            return not isinstance(node.args[0], (tuple, list))
    return False


def onnxrt_backend(gm, example_inputs, *, options: dict | None = None) -> Callable:
    """The TorchDynamo backend: returns a callable that runs `gm` on onnxrt."""
    _require_dependencies()
    strict = bool((options or {}).get("strict", False))
    return _CompiledGraph(gm, strict)
