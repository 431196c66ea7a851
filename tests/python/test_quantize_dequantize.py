"""QDQ pairs on activations (QuantizeLinear -> DequantizeLinear, per tensor): the extended levels
turn each into com.onnxrt QuantizeDequantize, which the conv and matmul fusions take as their
activation and the channel-blocked chains keep inside (passes/fuse_quantize_dequantize.cc). The
models use integer data, so every conv sum is exact and the outputs must equal onnx's
ReferenceEvaluator bit for bit, ties of x / scale included."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator

import onnxrt

OPSET = 21
ZERO_POINTS = {"uint8": (TensorProto.UINT8, 3), "int8": (TensorProto.INT8, -2), "int16": (TensorProto.INT16, 100),
               "uint16": (TensorProto.UINT16, 7), "absent": (None, 0)}


def _qdq(nodes, inits, x, name, scale, zp_kind, q_scale=None):
    """Appends x -> QuantizeLinear -> DequantizeLinear; returns the dequantized name."""
    zp_type, zp = ZERO_POINTS[zp_kind]
    inits.append(numpy_helper.from_array(np.array(scale, np.float32), f"{name}_s"))
    q_in, dq_in = [x, f"{name}_s"], [f"{name}_q", f"{name}_s"]
    if q_scale is not None:  # a different scale on the QuantizeLinear side
        inits.append(numpy_helper.from_array(np.array(q_scale, np.float32), f"{name}_qs"))
        q_in[1] = f"{name}_qs"
    if zp_type is not None:
        inits.append(helper.make_tensor(f"{name}_z", zp_type, [], [zp]))
        q_in.append(f"{name}_z")
        dq_in.append(f"{name}_z")
    nodes.append(helper.make_node("QuantizeLinear", q_in, [f"{name}_q"], name=f"{name}_Q"))
    nodes.append(helper.make_node("DequantizeLinear", dq_in, [f"{name}_dq"], name=f"{name}_DQ"))
    return f"{name}_dq"


def _chain_model(zp_kind: str, scale: float, extra: str = "") -> onnx.ModelProto:
    """A MobileNet-style chain with integer weights: 1x1 conv 8->16, QDQ, depthwise 3x3, QDQ,
    1x1 conv 16->8, QDQ, residual Add with the input's QDQ, QDQ. `extra` varies one pair."""
    rng = np.random.default_rng(0)
    nodes, inits = [], []
    x = _qdq(nodes, inits, "x", "in", scale, zp_kind)
    for name, shape in (("w1", (16, 8, 1, 1)), ("w2", (16, 1, 3, 3)), ("w3", (8, 16, 1, 1))):
        inits.append(numpy_helper.from_array(rng.integers(-3, 4, shape).astype(np.float32), name))
    inits.append(numpy_helper.from_array(rng.integers(-5, 6, 16).astype(np.float32), "b1"))
    nodes.append(helper.make_node("Conv", [x, "w1", "b1"], ["c1"]))
    q_scale = scale * 1.5 if extra == "different_scales" else None
    h = _qdq(nodes, inits, "c1", "a1", scale, zp_kind, q_scale=q_scale)
    nodes.append(helper.make_node("Conv", [h, "w2"], ["c2"], group=16, pads=[1, 1, 1, 1]))
    h = _qdq(nodes, inits, "c2", "a2", scale, zp_kind)
    nodes.append(helper.make_node("Conv", [h, "w3"], ["c3"]))
    h = _qdq(nodes, inits, "c3", "a3", scale, zp_kind)
    nodes.append(helper.make_node("Add", [h, x], ["sum"]))
    y = _qdq(nodes, inits, "sum", "out", scale, zp_kind)
    outputs = [helper.make_tensor_value_info(y, TensorProto.FLOAT, None)]
    if extra == "quantized_output":  # the 8-bit value of one pair is also a graph output
        outputs.append(helper.make_tensor_value_info("a2_q", ZERO_POINTS[zp_kind][0] or TensorProto.UINT8, None))
    graph = helper.make_graph(nodes, "qdq_chain", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8, 20, 20])],
                              outputs, inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], ir_version=10)


def _optimized(model: onnx.ModelProto, tmp_path) -> onnx.ModelProto:
    so = onnxrt.SessionOptions()
    so.optimized_model_filepath = str(tmp_path / "opt.onnx")
    onnxrt.InferenceSession(model.SerializeToString(), so)
    return onnx.load(str(tmp_path / "opt.onnx"))


def _activations(model: onnx.ModelProto) -> list[tuple[str, str]]:
    out = []
    for n in model.graph.node:
        act = next((a.s.decode() for a in n.attribute if a.name == "activation"), "")
        out.append((n.op_type, act))
    return out


def _feed(scale: float) -> dict:
    # Integers and half-integers times the scale: many quotients are exact ties.
    rng = np.random.default_rng(1)
    return {"x": (rng.integers(-40, 40, (1, 8, 20, 20)) * 0.5 * scale).astype(np.float32)}


def _assert_bits_equal(got, want):
    for g, w in zip(got, want):
        assert g.dtype == w.dtype and g.shape == w.shape
        np.testing.assert_array_equal(g.view(np.uint8), w.view(np.uint8))


@pytest.mark.parametrize("zp_kind", sorted(ZERO_POINTS))
@pytest.mark.parametrize("scale", [2.0, 0.37])
@pytest.mark.parametrize("threads", [1, 2])
def test_qdq_chain_is_fused_and_exact(zp_kind, scale, threads, tmp_path):
    model = _chain_model(zp_kind, scale)
    ops = _activations(_optimized(model, tmp_path))
    kinds = {op for op, _ in ops}
    assert "QuantizeLinear" not in kinds and "DequantizeLinear" not in kinds, ops
    # Each conv took its pair as its activation; the pairs after the input and the Add stand alone.
    assert sum(act == "QuantizeDequantize" for _, act in ops) == 3, ops
    assert sum(op == "QuantizeDequantize" for op, _ in ops) == 2, ops
    if onnxrt.get_device() == "CPU" and ("BlockedConv", "QuantizeDequantize") not in ops:
        # Blocked only on AVX2 CPUs without AVX-512; elsewhere FusedConv carries the activation.
        assert ("FusedConv", "QuantizeDequantize") in ops, ops
    so = onnxrt.SessionOptions()
    so.intra_op_num_threads = threads
    feed = _feed(scale)
    got = onnxrt.InferenceSession(model.SerializeToString(), so).run(None, feed)
    _assert_bits_equal(got, ReferenceEvaluator(model).run(None, feed))


@pytest.mark.parametrize("extra", ["different_scales", "quantized_output"])
def test_pairs_that_are_not_one_step_keep_their_meaning(extra, tmp_path):
    """A pair whose QuantizeLinear has another scale stays two nodes; a pair whose 8-bit value is
    also a graph output keeps its QuantizeLinear beside the fused node."""
    model = _chain_model("uint8", 2.0, extra)
    kinds = [op for op, _ in _activations(_optimized(model, tmp_path))]
    if extra == "different_scales":
        assert kinds.count("QuantizeLinear") == 1 and kinds.count("DequantizeLinear") == 1, kinds
    else:
        assert kinds.count("QuantizeLinear") == 1 and "DequantizeLinear" not in kinds, kinds
    feed = _feed(2.0)
    _assert_bits_equal(onnxrt.InferenceSession(model.SerializeToString()).run(None, feed),
                       ReferenceEvaluator(model).run(None, feed))


def test_per_axis_pair_is_left_alone(tmp_path):
    scales = np.array([0.5, 0.25, 2.0], np.float32)
    zps = np.array([1, 2, 3], np.uint8)
    inits = [numpy_helper.from_array(scales, "s"), numpy_helper.from_array(zps, "z")]
    nodes = [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"], axis=1),
             helper.make_node("DequantizeLinear", ["q", "s", "z"], ["y"], axis=1)]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3, 4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], ir_version=10)
    assert "QuantizeDequantize" not in [op for op, _ in _activations(_optimized(model, tmp_path))]
    feed = {"x": np.random.default_rng(2).standard_normal((2, 3, 4)).astype(np.float32) * 3}
    _assert_bits_equal(onnxrt.InferenceSession(model.SerializeToString()).run(None, feed),
                       ReferenceEvaluator(model).run(None, feed))


def test_hostile_values_through_a_standalone_pair():
    """NaN, infinities, values past int32 and exact ties through a pair on a graph input (the
    standalone op, every thread)."""
    nodes, inits = [], []
    y = _qdq(nodes, inits, "x", "p", 0.5, "int8")
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [5000])],
                              [helper.make_tensor_value_info(y, TensorProto.FLOAT, None)], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], ir_version=10)
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.integers(-300, 300, 2000) * 0.25, rng.standard_normal(2990) * 100,
                        [np.nan, np.inf, -np.inf, 3e9, -3e9, 1e-40, -0.0, 63.75, 64.25, -64.25]]).astype(np.float32)
    so = onnxrt.SessionOptions()
    so.intra_op_num_threads = 2
    _assert_bits_equal(onnxrt.InferenceSession(model.SerializeToString(), so).run(None, {"x": x}),
                       ReferenceEvaluator(model).run(None, {"x": x}))


def test_bad_quantize_dequantize_node_is_a_clear_error():
    inits = [numpy_helper.from_array(np.array(0.5, np.float32), "s"), numpy_helper.from_array(np.array(1.0, np.float32), "z")]
    node = helper.make_node("QuantizeDequantize", ["x", "s", "z"], ["y"], domain="com.onnxrt", name="qdq_node")
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET), helper.make_opsetid("com.onnxrt", 1)],
                              ir_version=10)
    with pytest.raises(Exception, match="qdq_node.*zero_point|zero_point.*qdq_node"):
        onnxrt.InferenceSession(model.SerializeToString())
