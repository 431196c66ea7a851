"""Resize in nearest mode copies values through per-axis index tables (kernels/reference/
image_resize.cc, resize_nearest): every coordinate transformation and nearest mode, up- and
downsampling, sizes and scales, axes, roi with tf_crop_and_resize extrapolation, element types
whose values a round trip through double would change. Checked bit for bit against a gather
through the source indices that onnx's ReferenceEvaluator picks: it resizes the index of every
element (exact in float32), since its own nearest mode sums weighted values, which spreads a NaN
to its zero-weight neighbours, turns -0 into 0 and rounds int64 values past 2^53."""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import onnxruntime
import pytest
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator

import onnxrt

COORDS = ["half_pixel", "half_pixel_symmetric", "pytorch_half_pixel", "align_corners", "asymmetric"]
NEAREST = ["round_prefer_floor", "round_prefer_ceil", "floor", "ceil"]


def _model(x_shape, dtype, scales=None, sizes=None, roi=None, **attrs):
    inits, inputs = [], ["x", "", ""]
    if roi is not None:
        inits.append(numpy_helper.from_array(np.array(roi, np.float32), "roi"))
        inputs[1] = "roi"
    if scales is not None:
        inits.append(numpy_helper.from_array(np.array(scales, np.float32), "scales"))
        inputs[2] = "scales"
    if sizes is not None:
        inits.append(numpy_helper.from_array(np.array(sizes, np.int64), "sizes"))
        inputs.append("sizes")
    node = helper.make_node("Resize", inputs, ["y"], mode="nearest", **attrs)
    elem = helper.np_dtype_to_tensor_dtype(np.dtype(dtype))
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", elem, x_shape)],
                              [helper.make_tensor_value_info("y", elem, None)], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 19)], ir_version=9)


def _values(shape, dtype, rng):
    if dtype == np.float32:
        x = rng.standard_normal(shape).astype(np.float32)
        flat = x.reshape(-1)
        if flat.size > 3:  # NaN payloads and negative zero must come through as they are
            flat[:3] = np.array([0x7FC00123, 0xFFC00001, 0x80000000], np.uint32).view(np.float32)
        return x
    if dtype == np.int64:  # past 2^53: a double would round them
        return (rng.integers(-1000, 1000, shape) + (1 << 60)).astype(np.int64)
    return rng.integers(0, 256, shape).astype(dtype)


def _check(model, x, threads=2, oracle="reference"):
    so = onnxrt.SessionOptions()
    so.intra_op_num_threads = threads
    (got,) = onnxrt.InferenceSession(model.SerializeToString(), so).run(None, {"x": x})
    index_model = model.__class__()
    index_model.CopyFrom(model)
    for v in (index_model.graph.input[0], index_model.graph.output[0]):
        v.type.tensor_type.elem_type = TensorProto.FLOAT
    codes = np.arange(x.size, dtype=np.float32).reshape(x.shape) + 1  # 0: extrapolated
    if oracle == "reference":
        (picked,) = ReferenceEvaluator(index_model).run(None, {"x": codes})
    else:
        sess = onnxruntime.InferenceSession(index_model.SerializeToString(), providers=["CPUExecutionProvider"])
        (picked,) = sess.run(None, {"x": codes})
    extrapolation = next((a.f for a in model.graph.node[0].attribute if a.name == "extrapolation_value"), 0.0)
    flat = picked.reshape(-1).astype(np.int64)
    want = np.where(flat > 0, x.reshape(-1)[np.maximum(flat - 1, 0)], np.array(extrapolation).astype(x.dtype))
    assert got.shape == picked.shape and got.dtype == x.dtype
    np.testing.assert_array_equal(got.reshape(-1).view(np.uint8), want.astype(x.dtype).view(np.uint8))


@pytest.mark.parametrize("coord,nearest", list(itertools.product(COORDS, NEAREST)))
def test_scales_up_and_down_every_mode(coord, nearest):
    rng = np.random.default_rng(0)
    # 2x, 3x and 1x along the last axis take the repeat path where the mode picks j // k.
    for scales in ([1, 1, 2, 2], [1, 1, 0.5, 0.75], [1, 1, 1.7, 0.6], [1, 3, 1, 2.5], [1, 1, 2, 1], [1, 1, 1, 3]):
        model = _model([2, 3, 7, 9], np.float32, scales=scales, coordinate_transformation_mode=coord,
                       nearest_mode=nearest)
        x = _values((2, 3, 7, 9), np.float32, rng)
        if coord != "half_pixel_symmetric":
            _check(model, x)
            continue
        # Its offset puts some coordinates on whole or half numbers only up to rounding, and the
        # reference's float steps (and onnxruntime's) land on either side of them: the oracle is
        # the formula in exact rational arithmetic.
        (got,) = onnxrt.InferenceSession(model.SerializeToString()).run(None, {"x": x})
        axes = [_exact_half_pixel_symmetric(n, sc, nearest) for n, sc in zip(x.shape, scales)]
        np.testing.assert_array_equal(got.view(np.uint32), x[np.ix_(*axes)].view(np.uint32))


def _exact_half_pixel_symmetric(n: int, scale: float, nearest: str) -> list[int]:
    """Source index per output index along one axis, from the spec's formula in fractions."""
    s = Fraction(float(np.float32(scale)))
    out = int(np.floor(float(np.float32(scale)) * n))
    if s == 1:
        return list(range(n))
    ow = s * n
    offset = Fraction(n, 2) * (1 - Fraction(out) / ow)
    picks = []
    for y in range(out):
        x = offset + (y + Fraction(1, 2)) / s - Fraction(1, 2)
        fl = x.numerator // x.denominator
        r = x - fl
        if r == 0:
            i = fl
        else:
            up = {"round_prefer_floor": r > Fraction(1, 2), "round_prefer_ceil": r >= Fraction(1, 2),
                  "floor": False, "ceil": True}[nearest]
            i = fl + int(up)
        picks.append(min(max(i, 0), n - 1))
    return picks


@pytest.mark.parametrize("dtype", [np.float32, np.uint8, np.int64, np.int8])
@pytest.mark.parametrize("threads", [1, 2])
def test_sizes_and_element_types(dtype, threads):
    rng = np.random.default_rng(1)
    for x_shape, sizes in (([1, 128, 20, 20], [1, 128, 40, 40]), ([3, 5], [7, 2]), ([11], [4]), ([2, 1, 3, 4, 5], [2, 2, 6, 3, 9])):
        model = _model(x_shape, dtype, sizes=sizes, coordinate_transformation_mode="asymmetric", nearest_mode="floor")
        _check(model, _values(tuple(x_shape), dtype, rng), threads)


def test_axes_and_aspect_ratio_policy():
    rng = np.random.default_rng(2)
    for policy in ("stretch", "not_larger", "not_smaller"):
        model = _model([1, 2, 6, 10], np.float32, sizes=[9, 4], axes=[2, 3], keep_aspect_ratio_policy=policy)
        _check(model, _values((1, 2, 6, 10), np.float32, rng))


def test_tf_crop_and_resize_extrapolates():
    rng = np.random.default_rng(3)
    roi = [0, 0, -0.3, 0.2, 1, 1, 1.4, 0.9]  # starts then ends; past the edges on H
    model = _model([1, 2, 8, 8], np.float32, sizes=[1, 2, 11, 5], roi=roi, coordinate_transformation_mode="tf_crop_and_resize",
                   extrapolation_value=-7.5)
    _check(model, _values((1, 2, 8, 8), np.float32, rng))


@pytest.mark.parametrize("mode", ["linear", "cubic"])
@pytest.mark.parametrize("dtype", [np.float32, np.uint8])
def test_linear_and_cubic_image_resizes_match_reference(mode, dtype):
    """Linear and cubic resizes of the last two axes (or one) take per-row weighted sums
    (resize_last_two) instead of the separable passes: the values of onnx's reference, which
    computes in float64 too, within 1e-6; within 2e-5 for antialias and cubic, where the reference's
    weights differ from ours (the separable passes gave the values we give now)."""
    rng = np.random.default_rng(4)
    cases = [([2, 3, 7, 9], [1, 1, 2, 2], {}), ([1, 2, 13, 11], [1, 1, 0.5, 0.6], {"antialias": 1}),
             ([1, 4, 6, 5], [1, 1, 1.5, 0.7], {"exclude_outside": 1}), ([3, 17], [1, 2.3], {}),
             ([2, 5, 9], [1, 1, 0.4], {"coordinate_transformation_mode": "align_corners"}),
             ([1, 1, 8, 8], [1, 1, 1.3, 1.3], {"coordinate_transformation_mode": "asymmetric"})]
    for shape, scales, attrs in cases:
        model = _model(shape, dtype, scales=scales, **attrs)
        next(a for a in model.graph.node[0].attribute if a.name == "mode").s = mode.encode()
        x = (_values(tuple(shape), dtype, rng) if dtype == np.uint8 else rng.standard_normal(shape).astype(np.float32))
        for threads in (1, 2):
            so = onnxrt.SessionOptions()
            so.intra_op_num_threads = threads
            (got,) = onnxrt.InferenceSession(model.SerializeToString(), so).run(None, {"x": x})
            (want,) = ReferenceEvaluator(model).run(None, {"x": x})
            if dtype == np.uint8:
                assert np.abs(got.astype(int) - want.astype(int)).max() <= 1, (shape, scales, attrs)
            else:
                tol = 2e-5 if attrs.get("antialias") or mode == "cubic" else 1e-6
                np.testing.assert_allclose(got, want, rtol=tol, atol=tol, err_msg=str((shape, scales, attrs)))
