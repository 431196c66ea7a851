"""torch.Tensor <-> onnxrt without copies.

A contiguous CPU tensor is viewed as a numpy array (``Tensor.numpy()`` shares the storage), and the
binding borrows a C-contiguous numpy array's memory (python/src/bindings.cc, numeric_feed), so the
engine reads the tensor's own bytes. Each output array owns the engine's buffer through a capsule,
and ``torch.from_numpy`` shares it, so outputs are not copied either. Only a non-contiguous (or
non-CPU) tensor is copied, once, into a contiguous CPU one.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import torch

from .. import _convert

# torch dtype -> (ONNX element code, torch dtype of the bits that cross as numpy). numpy knows no
# bfloat16/float8, so they cross as unsigned integers of the same width (as _convert does).
_TORCH_TO_ONNX: dict[torch.dtype, tuple[int, torch.dtype | None]] = {
    torch.float32: (_convert.FLOAT, None),
    torch.float64: (_convert.DOUBLE, None),
    torch.float16: (_convert.FLOAT16, None),
    torch.bfloat16: (_convert.BFLOAT16, torch.uint16),
    torch.int8: (_convert.INT8, None),
    torch.int16: (_convert.INT16, None),
    torch.int32: (_convert.INT32, None),
    torch.int64: (_convert.INT64, None),
    torch.uint8: (_convert.UINT8, None),
    torch.uint16: (_convert.UINT16, None),
    torch.uint32: (_convert.UINT32, None),
    torch.uint64: (_convert.UINT64, None),
    torch.bool: (_convert.BOOL, None),
    torch.complex64: (_convert.COMPLEX64, None),
    torch.complex128: (_convert.COMPLEX128, None),
    torch.float8_e4m3fn: (_convert.FLOAT8E4M3FN, torch.uint8),
    torch.float8_e4m3fnuz: (_convert.FLOAT8E4M3FNUZ, torch.uint8),
    torch.float8_e5m2: (_convert.FLOAT8E5M2, torch.uint8),
    torch.float8_e5m2fnuz: (_convert.FLOAT8E5M2FNUZ, torch.uint8),
}
_ONNX_TO_TORCH: dict[int, torch.dtype] = {code: dt for dt, (code, _) in _TORCH_TO_ONNX.items()}


def onnx_code(dtype: torch.dtype) -> int:
    entry = _TORCH_TO_ONNX.get(dtype)
    if entry is None:
        raise TypeError(f"torch dtype {dtype} has no ONNX element type onnxrt can take")
    return entry[0]


def to_feed(name: str, t: torch.Tensor) -> tuple[str, int, np.ndarray]:
    """One (name, dtype_code, array) feed for _onnxrt.Session.run sharing ``t``'s memory when it
    is a contiguous CPU tensor."""
    code, bits = _TORCH_TO_ONNX.get(t.dtype, (None, None))
    if code is None:
        raise TypeError(f"input '{name}': torch dtype {t.dtype} has no ONNX element type onnxrt can take")
    t = t.detach()
    if t.device.type != "cpu":
        t = t.cpu()
    if not t.is_contiguous():
        t = t.contiguous()
    if t.is_conj():
        t = t.resolve_conj()
    if t.is_neg():
        t = t.resolve_neg()
    if bits is not None:
        t = t.view(bits)
    return (name, code, t.numpy())


def from_output(item: Any) -> torch.Tensor:
    """A torch tensor sharing the buffer of one (dtype_code, shape, payload) engine output."""
    if item is None or isinstance(item[0], str):
        raise TypeError("onnxrt returned a sequence, map or optional where a tensor was expected")
    code, shape, payload = item
    dtype = _ONNX_TO_TORCH.get(code)
    if dtype is None:
        raise TypeError(f"onnxrt output of element type {_convert.code_name(code)} has no torch dtype")
    if payload is None:  # an empty tensor
        return torch.empty(tuple(shape), dtype=dtype)
    out = torch.from_numpy(payload)
    if out.dtype != dtype:  # bfloat16 / float8 came back as their unsigned bits
        out = out.view(dtype)
    return out


def run_session(native_session: Any, names: Sequence[str], tensors: Sequence[torch.Tensor]) -> list[torch.Tensor]:
    """Runs a native onnxrt session on torch tensors; returns every output as a torch tensor."""
    feeds = [to_feed(n, t) for n, t in zip(names, tensors)]
    return [from_output(item) for item in native_session.run(feeds, [])]
