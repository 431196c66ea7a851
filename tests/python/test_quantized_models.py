"""Models quantized with onnxruntime.quantization, as users make them, run on onnxrt and are checked
against onnx's ReferenceEvaluator: the integer products (MatMulInteger, QLinearConv) are exact, so
the quantized outputs match bit for bit. (onnxruntime's AVX2 u8s8 products saturate int16 pairs and
may differ; that is not tested here.)"""

from __future__ import annotations

import logging

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator

import onnxrt

torch = pytest.importorskip("torch")
quantization = pytest.importorskip("onnxruntime.quantization")


def _export(model, x, path, opset):
    with torch.no_grad():
        torch.onnx.export(model.eval(), (x,), str(path), dynamo=True, verbose=False, opset_version=opset,
                          external_data=False)


def _run_both(path, feed, threads=2):
    so = onnxrt.SessionOptions()
    so.intra_op_num_threads = threads
    got = onnxrt.InferenceSession(str(path), so).run(None, feed)
    want = ReferenceEvaluator(onnx.load(str(path))).run(None, feed)
    return got, want


def test_dynamic_quantized_mlp_matches_reference(tmp_path):
    """quantize_dynamic: DynamicQuantizeLinear + MatMulInteger (int8 weights) + Cast + Mul; ReLU
    between layers keeps every step exact. (Its per_channel option fails the quantizer's own shape
    inference on this model; per-column zero points are covered by the kernel tests.)"""
    logging.getLogger().setLevel(logging.ERROR)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(96, 200), torch.nn.ReLU(), torch.nn.Linear(200, 130), torch.nn.ReLU(),
                                torch.nn.Linear(130, 7))
    x = torch.randn(2, 37, 96)  # 3-D: exported as MatMul + Add (the quantizer fails on the 2-D Gemm)
    _export(model, x, tmp_path / "f.onnx", 18)
    q = tmp_path / "q.onnx"
    quantization.quantize_dynamic(str(tmp_path / "f.onnx"), str(q), weight_type=quantization.QuantType.QInt8)
    ops = {n.op_type for n in onnx.load(str(q)).graph.node}
    assert "MatMulInteger" in ops and "DynamicQuantizeLinear" in ops, ops
    got, want = _run_both(q, {onnx.load(str(q)).graph.input[0].name: x.numpy()})
    np.testing.assert_array_equal(got[0], want[0])


def test_qdq_cnn_matches_reference(tmp_path):
    """quantize_static in the QDQ format on a small CNN (opset 21, so that the reference has every
    op): onnxrt folds the weights' DequantizeLinear and computes the graph in float; the output is a
    DequantizeLinear of a QuantizeLinear, so float rounding differences show only as whole steps,
    and none is expected on this model."""
    logging.getLogger().setLevel(logging.ERROR)
    torch.manual_seed(1)
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 16, 3, padding=1), torch.nn.ReLU(),
                                torch.nn.Conv2d(16, 16, 3, stride=2, padding=1, groups=16), torch.nn.ReLU(),
                                torch.nn.Conv2d(16, 24, 1), torch.nn.Flatten(), torch.nn.Linear(24 * 8 * 8, 10))
    x = torch.randn(1, 3, 16, 16)
    _export(model, x, tmp_path / "f.onnx", 21)
    name = onnx.load(str(tmp_path / "f.onnx")).graph.input[0].name

    class Calibration(quantization.CalibrationDataReader):
        def __init__(self):
            self.left = [np.random.default_rng(i).standard_normal((1, 3, 16, 16)).astype(np.float32) for i in range(4)]

        def get_next(self):
            return {name: self.left.pop()} if self.left else None

    q = tmp_path / "q.onnx"
    quantization.quantize_static(str(tmp_path / "f.onnx"), str(q), Calibration(),
                                 quant_format=quantization.QuantFormat.QDQ,
                                 activation_type=quantization.QuantType.QUInt8, weight_type=quantization.QuantType.QInt8)
    got, want = _run_both(q, {name: x.numpy()})
    scale = max(np.abs(want[0]).max() / 127, 1e-6)
    assert np.abs(got[0] - want[0]).max() <= scale * 1.01


def _qlinearconv_chain(size: int) -> onnx.ModelProto:
    rng = np.random.default_rng(5)
    layers = [(3, 16, 3, 1, 1, 1), (16, 24, 3, 2, 1, 2), (24, 24, 1, 1, 1, 1), (24, 24, 3, 1, 24, 1), (24, 40, 5, 2, 1, 1)]
    inits = [numpy_helper.from_array(np.array(0.03, np.float32), "s"), numpy_helper.from_array(np.array(120, np.uint8), "z")]
    nodes = [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q0"])]
    for i, (ci, co, k, stride, group, dil) in enumerate(layers):
        inits += [numpy_helper.from_array(rng.integers(-128, 128, (co, ci // group, k, k)).astype(np.int8), f"w{i}"),
                  numpy_helper.from_array((rng.random(co) * 0.004 + 0.001).astype(np.float32), f"ws{i}"),
                  numpy_helper.from_array(rng.integers(-3, 4, co).astype(np.int8), f"wz{i}"),
                  numpy_helper.from_array(rng.integers(-3000, 3000, co).astype(np.int32), f"b{i}")]
        nodes.append(helper.make_node("QLinearConv", [f"q{i}", "s", "z", f"w{i}", f"ws{i}", f"wz{i}", "s", "z", f"b{i}"],
                                      [f"q{i + 1}"], kernel_shape=[k, k], strides=[stride, stride],
                                      pads=[dil * (k // 2)] * 4, dilations=[dil, dil], group=group))
    nodes.append(helper.make_node("DequantizeLinear", [f"q{len(layers)}", "s", "z"], ["y"]))
    graph = helper.make_graph(nodes, "chain", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3, size, size])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)], ir_version=10)


@pytest.mark.parametrize("threads", [1, 2])
def test_qlinearconv_chain_matches_reference(tmp_path, threads):
    """Plain-ONNX QLinearConv (per-channel weight scales and zero points, int32 bias, stride,
    dilation, groups, depthwise, 5x5): exact against the reference at 1 and 2 threads."""
    path = tmp_path / "chain.onnx"
    onnx.save(_qlinearconv_chain(19), str(path))
    x = np.random.default_rng(6).standard_normal((2, 3, 19, 19)).astype(np.float32) * 2
    got, want = _run_both(path, {"x": x}, threads)
    np.testing.assert_array_equal(got[0], want[0])
