"""numpy <-> onnxrt tensor exchange (the protocol is described at the top of bindings.cc)."""

from __future__ import annotations

import numpy as np

try:  # bfloat16 and float8 exist in numpy only through ml_dtypes
    import ml_dtypes
except ImportError:  # pragma: no cover - ml_dtypes is in requirements.txt
    ml_dtypes = None

# ONNX TensorProto.DataType codes (equal to onnxrt::DType).
FLOAT, UINT8, INT8, UINT16, INT16, INT32, INT64, STRING, BOOL = 1, 2, 3, 4, 5, 6, 7, 8, 9
FLOAT16, DOUBLE, UINT32, UINT64, COMPLEX64, COMPLEX128, BFLOAT16 = 10, 11, 12, 13, 14, 15, 16
FLOAT8E4M3FN, FLOAT8E4M3FNUZ, FLOAT8E5M2, FLOAT8E5M2FNUZ, FLOAT8E8M0 = 17, 18, 19, 20, 24

_NUMPY_TO_CODE: dict[np.dtype, int] = {
    np.dtype(np.float32): FLOAT,
    np.dtype(np.float64): DOUBLE,
    np.dtype(np.float16): FLOAT16,
    np.dtype(np.int8): INT8,
    np.dtype(np.int16): INT16,
    np.dtype(np.int32): INT32,
    np.dtype(np.int64): INT64,
    np.dtype(np.uint8): UINT8,
    np.dtype(np.uint16): UINT16,
    np.dtype(np.uint32): UINT32,
    np.dtype(np.uint64): UINT64,
    np.dtype(np.bool_): BOOL,
    np.dtype(np.complex64): COMPLEX64,
    np.dtype(np.complex128): COMPLEX128,
}

# Types that cross the boundary as unsigned integers of the same width (numpy's DLPack and buffer
# protocol cannot describe them) and are re-viewed on the other side.
_BITS_VIEW: dict[int, np.dtype] = {}

if ml_dtypes is not None:
    for _name, _code in [
        ("bfloat16", BFLOAT16),
        ("float8_e4m3fn", FLOAT8E4M3FN),
        ("float8_e4m3fnuz", FLOAT8E4M3FNUZ),
        ("float8_e5m2", FLOAT8E5M2),
        ("float8_e5m2fnuz", FLOAT8E5M2FNUZ),
        ("float8_e8m0fnu", FLOAT8E8M0),
        # Sub-byte types: one element per byte in numpy; the engine packs/unpacks them.
        ("uint4", 21),
        ("int4", 22),
        ("float4_e2m1fn", 23),
        ("uint2", 25),
        ("int2", 26),
        ("float6_e2m3fn", 27),
        ("float6_e3m2fn", 28),
    ]:
        _t = getattr(ml_dtypes, _name, None)
        if _t is not None:
            _NUMPY_TO_CODE[np.dtype(_t)] = _code
            _BITS_VIEW[_code] = np.dtype(np.uint16 if _code == BFLOAT16 else np.uint8)

_CODE_TO_NUMPY: dict[int, np.dtype] = {code: dt for dt, code in _NUMPY_TO_CODE.items()}

_CODE_NAMES = {
    1: "float", 2: "uint8", 3: "int8", 4: "uint16", 5: "int16", 6: "int32", 7: "int64",
    8: "string", 9: "bool", 10: "float16", 11: "double", 12: "uint32", 13: "uint64",
    14: "complex64", 15: "complex128", 16: "bfloat16", 17: "float8e4m3fn", 18: "float8e4m3fnuz",
    19: "float8e5m2", 20: "float8e5m2fnuz", 21: "uint4", 22: "int4", 23: "float4e2m1",
    24: "float8e8m0", 25: "uint2", 26: "int2", 27: "float6e2m3", 28: "float6e3m2",
}


def code_name(code: int) -> str:
    return _CODE_NAMES.get(code, f"dtype#{code}")


def numpy_dtype(code: int) -> np.dtype | None:
    """The numpy dtype for an ONNX element type, or None if numpy cannot hold it."""
    if code == STRING:
        return np.dtype(object)
    return _CODE_TO_NUMPY.get(code)


def to_feed(name: str, value, declared_code: int | None):
    """One (name, dtype_code, payload) feed for _onnxrt.Session.run.

    Lists and scalars become arrays of the declared element type, as onnxruntime does; numpy
    arrays are passed as they are, so a wrong dtype is reported by the engine, naming the input.
    """
    if not isinstance(value, np.ndarray):
        if hasattr(value, "__array__") or not (declared_code and numpy_dtype(declared_code)):
            value = np.asarray(value)
        else:
            value = np.asarray(value, dtype=numpy_dtype(declared_code))
    kind = value.dtype.kind
    if kind in "OUS":
        flat = value.reshape(-1)
        items = flat.tolist()
        for v in items:
            if not isinstance(v, (str, bytes)):
                from . import InvalidArgument

                raise InvalidArgument(
                    f"input '{name}': a string tensor may hold only str or bytes, "
                    f"got {type(v).__name__}"
                )
        return (name, STRING, (tuple(value.shape), items))
    code = _NUMPY_TO_CODE.get(value.dtype)
    if code is None:
        from . import InvalidArgument

        raise InvalidArgument(f"input '{name}': numpy dtype {value.dtype} has no ONNX element type")
    # Zero-copy needs C order and natural alignment; anything else is copied once here.
    if not (value.flags.c_contiguous and value.flags.aligned):
        value = np.ascontiguousarray(value)
        if not value.flags.aligned:
            value = value.copy()
    bits = _BITS_VIEW.get(code)
    if bits is not None:
        value = value.view(bits)
    return (name, code, value)


def from_output(code: int, shape: tuple, payload) -> np.ndarray:
    """A numpy array from one (dtype_code, shape, payload) output of _onnxrt.Session.run."""
    if code == STRING:
        out = np.empty(len(payload), dtype=object)
        out[:] = payload
        return out.reshape(shape)
    dtype = numpy_dtype(code)
    if dtype is None:
        from . import NotImplemented as _NotImplemented

        raise _NotImplemented(f"output element type {code_name(code)} cannot be held by numpy")
    if payload is None:
        return np.empty(shape, dtype=dtype)
    if code in _BITS_VIEW:
        return payload.view(dtype)
    return payload
