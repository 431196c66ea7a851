"""Graph passes seen from Python: the optimized model (optimized_model_filepath) has the expected
nodes, and its outputs equal those of the unoptimized model and of onnxruntime."""

from __future__ import annotations

import numpy as np
import onnx
import onnx.reference
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

import onnxrt


def _conv_bn_model(with_bias: bool, extra_consumer: bool, opset: int = 15) -> onnx.ModelProto:
    rng = np.random.default_rng(0)
    C, M = 3, 5
    inits = [numpy_helper.from_array(rng.standard_normal((M, C, 3, 3)).astype(np.float32), "W")]
    conv_inputs = ["x", "W"]
    if with_bias:
        inits.append(numpy_helper.from_array(rng.standard_normal(M).astype(np.float32), "B"))
        conv_inputs.append("B")
    for name, values in (("scale", rng.random(M) + 0.5), ("bias", rng.standard_normal(M)),
                         ("mean", rng.standard_normal(M) * 0.1), ("var", rng.random(M) + 0.5)):
        inits.append(numpy_helper.from_array(values.astype(np.float32), name))
    nodes = [helper.make_node("Conv", conv_inputs, ["c"], pads=[1, 1, 1, 1]),
             helper.make_node("BatchNormalization", ["c", "scale", "bias", "mean", "var"], ["bn"], epsilon=1e-3),
             helper.make_node("Relu", ["bn"], ["y"])]
    outputs = [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)]
    if extra_consumer:
        nodes.append(helper.make_node("Neg", ["c"], ["c_neg"]))
        outputs.append(helper.make_tensor_value_info("c_neg", TensorProto.FLOAT, None))
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, C, 7, 6])],
                              outputs, inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=8)


def _optimized_ops(model: onnx.ModelProto, tmp_path) -> list[str]:
    path = tmp_path / "opt.onnx"
    so = onnxrt.SessionOptions()
    so.optimized_model_filepath = str(path)
    onnxrt.InferenceSession(model.SerializeToString(), so)
    return [n.op_type for n in onnx.load(str(path)).graph.node]


@pytest.mark.parametrize("with_bias", [True, False])
def test_conv_batchnorm_is_folded_and_matches(with_bias, tmp_path):
    model = _conv_bn_model(with_bias, extra_consumer=False)
    assert "BatchNormalization" not in _optimized_ops(model, tmp_path)
    x = np.random.default_rng(1).standard_normal((2, 3, 7, 6)).astype(np.float32)
    (got,) = onnxrt.InferenceSession(model.SerializeToString()).run(None, {"x": x})
    so = onnxrt.SessionOptions()
    so.graph_optimization_level = onnxrt.GraphOptimizationLevel.ORT_DISABLE_ALL
    (plain,) = onnxrt.InferenceSession(model.SerializeToString(), so).run(None, {"x": x})
    (want,) = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"x": x})
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(plain, want, rtol=1e-5, atol=1e-5)


def test_conv_batchnorm_kept_when_conv_output_has_another_reader(tmp_path):
    model = _conv_bn_model(True, extra_consumer=True)
    # Not folded into the conv (its output has another reader): the BatchNormalization stays a node
    # of its own, the depthwise 1x1 conv it is (passes/fold_conv_batchnorm.cc).
    ops = _optimized_ops(model, tmp_path)
    assert ops.count("Conv") + ops.count("FusedConv") == 2, ops
    x = np.random.default_rng(2).standard_normal((2, 3, 7, 6)).astype(np.float32)
    got = onnxrt.InferenceSession(model.SerializeToString()).run(None, {"x": x})
    want = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"x": x})
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)


def test_batchnorm_before_opset_9_is_not_folded(tmp_path):
    model = _conv_bn_model(True, extra_consumer=False, opset=7)
    assert "BatchNormalization" in _optimized_ops(model, tmp_path)


def test_large_dequantized_weight_is_folded_but_expand_is_not(tmp_path):
    """A QDQ model's int8 weight, dequantized: 4 MB of float from 1 MB of int8 folds into a constant
    (the MatMul then prepacks it); an Expand of a few bytes into 4 MB stays a node."""
    rng = np.random.default_rng(3)
    K, N = 1024, 1024
    wq = rng.integers(-127, 128, (K, N)).astype(np.int8)
    inits = [numpy_helper.from_array(wq, "wq"), numpy_helper.from_array(np.array(0.01, np.float32), "ws"),
             numpy_helper.from_array(np.array(0, np.int8), "wz"),
             numpy_helper.from_array(np.array([0.5], np.float32), "one"),
             numpy_helper.from_array(np.array([K, N], np.int64), "shape")]
    nodes = [helper.make_node("DequantizeLinear", ["wq", "ws", "wz"], ["w"]),
             helper.make_node("MatMul", ["x", "w"], ["y0"]),
             helper.make_node("Expand", ["one", "shape"], ["big"]),
             helper.make_node("Add", ["w", "big"], ["wb"]),
             helper.make_node("MatMul", ["x", "wb"], ["y1"])]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [3, K])],
                              [helper.make_tensor_value_info("y0", TensorProto.FLOAT, None),
                               helper.make_tensor_value_info("y1", TensorProto.FLOAT, None)], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)
    ops = _optimized_ops(model, tmp_path)
    assert "DequantizeLinear" not in ops and "Expand" in ops, ops
    x = rng.standard_normal((3, K)).astype(np.float32)
    got = onnxrt.InferenceSession(model.SerializeToString()).run(None, {"x": x})
    w = wq.astype(np.float32) * np.float32(0.01)
    np.testing.assert_allclose(got[0], x @ w, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(got[1], x @ (w + np.float32(0.5)), rtol=1e-4, atol=1e-4)


def _quant_matmul_model(scale_shape, with_bias: bool) -> onnx.ModelProto:
    rng = np.random.default_rng(4)
    K, N = 40, 24
    inits = [numpy_helper.from_array(rng.integers(-127, 128, (K, N)).astype(np.int8), "b"),
             numpy_helper.from_array(np.array(0, np.int8), "bz"),
             numpy_helper.from_array((rng.random(scale_shape) * 0.01).astype(np.float32), "scale"),
             numpy_helper.from_array(rng.standard_normal(N).astype(np.float32), "bias")]
    nodes = [helper.make_node("DynamicQuantizeLinear", ["x"], ["xq", "xs", "xz"]),
             helper.make_node("MatMulInteger", ["xq", "b", "xz", "bz"], ["acc"]),
             helper.make_node("Cast", ["acc"], ["accf"], to=TensorProto.FLOAT),
             helper.make_node("Mul", ["xs", "scale"], ["s"]),
             helper.make_node("Mul", ["accf", "s"], ["y0" if with_bias else "y"])]
    if with_bias:
        nodes.append(helper.make_node("Add", ["bias", "y0"], ["y"]))
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 5, K])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)


@pytest.mark.parametrize("scale_shape,with_bias,fused", [((), True, True), ((24,), True, True), ((1, 1), False, True),
                                                         ((3, 1, 1, 24), False, False)])
def test_dynamic_quantized_matmul_is_fused_and_exact(scale_shape, with_bias, fused, tmp_path):
    """quantize_dynamic's MatMulInteger -> Cast -> Mul(scale) [-> Add(bias)] becomes one
    MatMulIntegerToFloat with the same bits as the reference; a scale that would widen the
    output through broadcasting is left alone."""
    from onnx.reference import ReferenceEvaluator

    model = _quant_matmul_model(scale_shape, with_bias)
    ops = _optimized_ops(model, tmp_path)
    assert ("MatMulIntegerToFloat" in ops) == fused, ops
    assert ("Cast" in ops) != fused, ops
    x = np.random.default_rng(5).standard_normal((2, 5, 40)).astype(np.float32)
    got = onnxrt.InferenceSession(model.SerializeToString()).run(None, {"x": x})[0]
    want = ReferenceEvaluator(model).run(None, {"x": x})[0]
    np.testing.assert_array_equal(got, want)


def _dequantized_matmul_model(rows, w_type, transposed: bool, per_column: bool) -> onnx.ModelProto:
    rng = np.random.default_rng(6)
    K, N = 48, 300
    lo, hi = (-128, 128) if w_type == np.int8 else (0, 256)
    w = rng.integers(lo, hi, (N, K) if transposed else (K, N)).astype(w_type)
    shape = (N,) if per_column else ()
    inits = [numpy_helper.from_array(w, "wq"),
             numpy_helper.from_array((rng.random(shape) * 0.01 + 0.001).astype(np.float32), "ws"),
             numpy_helper.from_array(rng.integers(lo // 2 + 1, hi // 2, shape).astype(w_type), "wz")]
    nodes = [helper.make_node("DequantizeLinear", ["wt" if transposed else "wq", "ws", "wz"], ["w"]),
             helper.make_node("MatMul", ["x", "w"], ["y"])]
    if transposed:  # quantize_dynamic's tied lm_head: Transpose(wte_quantized) -> DequantizeLinear
        nodes.insert(0, helper.make_node("Transpose", ["wq"], ["wt"], perm=[1, 0]))
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [rows, K])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)], ir_version=10)


@pytest.mark.parametrize("rows,fused", [(1, True), (3, True), ("n", True), (16, False)])
@pytest.mark.parametrize("w_type,transposed,per_column", [(np.int8, False, False), (np.uint8, True, False),
                                                          (np.uint8, False, True)])
def test_dequantized_matmul_weight_stays_int8(rows, fused, w_type, transposed, per_column, tmp_path):
    """MatMul(A, DequantizeLinear(constant 8-bit W)) keeps W as int8 (MatMulInt8Weight) when A has
    few or unknown rows; with a known larger row count the weight is folded to float instead.
    Both match onnx's reference to float tolerance, at 1 to 40 rows."""
    from onnx.reference import ReferenceEvaluator

    model = _dequantized_matmul_model(rows, w_type, transposed, per_column)
    ops = _optimized_ops(model, tmp_path)
    assert ("MatMulInt8Weight" in ops) == fused, ops
    assert "DequantizeLinear" not in ops, ops
    sess = onnxrt.InferenceSession(model.SerializeToString())
    ref = ReferenceEvaluator(model)
    for n in ([rows] if isinstance(rows, int) else [1, 4, 5, 40]):
        x = np.random.default_rng(n).standard_normal((n, 48)).astype(np.float32)
        got, want = sess.run(None, {"x": x})[0], ref.run(None, {"x": x})[0]
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * float(np.abs(want).max()))


def test_basic_level_folds_dequantized_weights(tmp_path):
    model = _dequantized_matmul_model("n", np.int8, False, False)
    path = tmp_path / "opt.onnx"
    so = onnxrt.SessionOptions()
    so.optimized_model_filepath = str(path)
    so.graph_optimization_level = onnxrt.GraphOptimizationLevel.ORT_ENABLE_BASIC
    onnxrt.InferenceSession(model.SerializeToString(), so)
    assert [n.op_type for n in onnx.load(str(path)).graph.node] == ["MatMul"]


def _pad_conv_model(opset: int, pads: list[int], mode: str = "constant") -> onnx.ModelProto:
    """x [1, 3, 9, 7] -> Pad (the opset's form: attributes before 11, inputs after) -> Conv 3x3 s2."""
    rng = np.random.default_rng(2)
    inits = [numpy_helper.from_array(rng.standard_normal((4, 3, 3, 3)).astype(np.float32), "W")]
    if opset < 11:
        pad = helper.make_node("Pad", ["x"], ["p"], mode=mode, **({"paddings": pads} if opset < 2 else {"pads": pads}))
    else:
        inits.append(numpy_helper.from_array(np.array(pads, np.int64), "pads"))
        pad = helper.make_node("Pad", ["x", "pads"], ["p"], mode=mode)
    nodes = [pad, helper.make_node("Conv", ["p", "W"], ["y"], strides=[2, 2])]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 9, 7])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=7)


@pytest.mark.parametrize("opset", [1, 2, 10, 11, 13, 18])
@pytest.mark.parametrize("mode", ["constant", "edge"])
def test_zero_pad_goes_into_the_conv(opset, mode, tmp_path):
    # TensorFlow-style SAME padding of a stride-2 conv: one row and column after, none before.
    model = _pad_conv_model(opset, [0, 0, 0, 1, 0, 0, 1, 2], mode)
    ops = _optimized_ops(model, tmp_path)
    assert ("Pad" in ops) == (mode != "constant"), ops
    x = np.random.default_rng(3).standard_normal((1, 3, 9, 7)).astype(np.float32)
    (got,) = onnxrt.InferenceSession(model.SerializeToString()).run(None, {"x": x})
    want = onnx.reference.ReferenceEvaluator(model).run(None, {"x": x})[0]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("opset", [13, 16])
def test_torchscript_layer_norm_below_opset_17_is_fused(opset, tmp_path):
    """The TorchScript exporter writes nn.LayerNorm below opset 17 as ReduceMean / Sub / Pow /
    ReduceMean / Add / Sqrt / Div / Mul / Add (BERT-style models exported at opset 11-16): each
    becomes one LayerNormalization, and the block's output still equals PyTorch's."""
    import io

    import torch

    torch.manual_seed(0)
    block = torch.nn.Sequential(torch.nn.Linear(32, 48), torch.nn.LayerNorm(48, eps=1e-3), torch.nn.GELU(),
                                torch.nn.Linear(48, 48), torch.nn.LayerNorm(48)).eval()
    with torch.no_grad():
        for ln in (block[1], block[4]):  # not the default ones and zeros
            ln.weight.normal_(1.0, 0.5)
            ln.bias.normal_(0.0, 0.5)
    x = torch.randn(2, 7, 32)
    buf = io.BytesIO()
    torch.onnx.export(block, (x,), buf, opset_version=opset, dynamo=False, input_names=["x"],
                      dynamic_axes={"x": {0: "batch", 1: "seq"}})
    model = onnx.load_from_string(buf.getvalue())
    assert "LayerNormalization" not in [n.op_type for n in model.graph.node]
    ops = _optimized_ops(model, tmp_path)
    assert ops.count("LayerNormalization") == 2 and "ReduceMean" not in ops, ops
    with torch.no_grad():
        want = block(x).numpy()
    (got,) = onnxrt.InferenceSession(buf.getvalue()).run(None, {"x": x.numpy()})
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
