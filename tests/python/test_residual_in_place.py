"""Residual convolutions whose output takes over the storage of the residual they add
(Kernel::output_reuses_input, plan/memory_plan.cc): Conv + Add(Z) + Relu fuses into one FusedConv,
and when Z is an intermediate that dies there, the plan puts the output in Z's arena block. Every
conv path is checked against the unfused graph and onnxruntime, at 1 and 2 threads, over repeated
runs: the paths that write over Z element by element (pointwise direct, pixel-row GEMM), one that
must copy Z first (a strided 1x1 conv on the packed GEMM), ones that are never offered Z's block
(Winograd), and a Z that another node still reads."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

import onnxrt


def residual_model(c, m, h, k=1, stride=1, pad=0, z_read_later=False):
    """y = Relu(Conv(x) + z), z = Sigmoid(Conv_1x1(x2)) an intermediate of Y's shape."""
    rng = np.random.default_rng(c * 1000 + m + h + k + stride)
    oh = (h + 2 * pad - k) // stride + 1
    w = (rng.standard_normal((m, c, k, k)) / np.sqrt(c * k * k)).astype(np.float32)
    b = rng.standard_normal(m).astype(np.float32)
    wz = (rng.standard_normal((m, 8, 1, 1)) / np.sqrt(8)).astype(np.float32)
    nodes = [
        helper.make_node("Conv", ["x2", "wz"], ["zc"]),
        helper.make_node("Sigmoid", ["zc"], ["z"]),
        helper.make_node("Conv", ["x", "w", "b"], ["c"], kernel_shape=[k, k], strides=[stride, stride],
                         pads=[pad] * 4),
        helper.make_node("Add", ["c", "z"], ["a"]),
        helper.make_node("Relu", ["a"], ["r"]),
    ]
    if z_read_later:
        nodes.append(helper.make_node("Mul", ["r", "z"], ["y"]))
    else:
        nodes.append(helper.make_node("Identity", ["r"], ["y"]))
    g = helper.make_graph(
        nodes, "residual",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, c, h, h]),
         helper.make_tensor_value_info("x2", TensorProto.FLOAT, [1, 8, oh, oh])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, m, oh, oh])],
        [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b"), numpy_helper.from_array(wz, "wz")])
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    feed = {"x": rng.standard_normal((1, c, h, h)).astype(np.float32),
            "x2": rng.standard_normal((1, 8, oh, oh)).astype(np.float32)}
    return model, feed


CASES = {
    "pointwise_direct": dict(c=64, m=96, h=20),
    "pointwise_stride2_copies_z": dict(c=64, m=96, h=40, stride=2),
    "pixel_gemm": dict(c=512, m=64, h=7),
    "winograd_3x3": dict(c=32, m=32, h=14, k=3, pad=1),
    "z_read_later": dict(c=64, m=96, h=20, z_read_later=True),
}


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("threads", [1, 2])
def test_residual_conv_matches_unfused_and_onnxruntime(name, threads):
    model, feed = residual_model(**CASES[name])
    data = model.SerializeToString()
    so = onnxrt.SessionOptions()
    so.intra_op_num_threads = threads
    fused = onnxrt.InferenceSession(data, so)
    plain_so = onnxrt.SessionOptions()
    plain_so.intra_op_num_threads = threads
    plain_so.graph_optimization_level = onnxrt.GraphOptimizationLevel.ORT_DISABLE_ALL
    plain = onnxrt.InferenceSession(data, plain_so)
    want = ort.InferenceSession(data, providers=["CPUExecutionProvider"]).run(None, feed)[0]
    expected = plain.run(None, feed)[0]
    np.testing.assert_allclose(expected, want, rtol=1e-5, atol=1e-5)
    for _ in range(3):  # the arena is reused from run to run
        got = fused.run(None, feed)[0]
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
    # Inputs are the caller's: never written.
    model2, feed2 = residual_model(**CASES[name])
    for k in feed:
        np.testing.assert_array_equal(feed[k], feed2[k])
