"""float16 / bfloat16 graphs computed in float32 (passes/widen_16bit_floats.cc): the optimized model
switches the 16-bit nodes to float32 with Casts only where 16-bit values meet graph inputs, graph
outputs and nodes left as they are; the results stay within float16 rounding of the float64
truth (closer than op-by-op rounding), the session's inputs and outputs keep their 16-bit types,
and graphs with nothing to compute are left alone."""

from __future__ import annotations

import io
import os
import tempfile
from math import erf

import ml_dtypes
import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator

import onnxrt

BASIC = onnxrt.GraphOptimizationLevel.ORT_ENABLE_BASIC


def _session(model: onnx.ModelProto, level=None, path=None) -> onnxrt.InferenceSession:
    so = onnxrt.SessionOptions()
    if level is not None:
        so.graph_optimization_level = level
    if path is not None:
        so.optimized_model_filepath = str(path)
    return onnxrt.InferenceSession(model.SerializeToString(), so)


def _mlp_model(elem: int, np_type) -> tuple[onnx.ModelProto, dict]:
    """x -> MatMul(W) -> Add(b) -> Relu -> Softmax -> y, with side paths that must stay 16-bit:
    the hidden value is also a graph output and read by name inside an If branch, and W is also
    read by a node without a float32 switch (Compress, not in the pass's list)."""
    rng = np.random.default_rng(0)
    W = (rng.standard_normal((16, 24)) * 0.3).astype(np.float32)
    b = rng.standard_normal(24).astype(np.float32)
    to16 = (lambda a: a.astype(np_type)) if np_type is not None else None
    inits = [helper.make_tensor("W", elem, W.shape, to16(W).view(np.uint16).flatten().tolist(), raw=False)
             if False else numpy_helper.from_array(to16(W), "W") if elem == TensorProto.FLOAT16 else
             helper.make_tensor("W", elem, W.shape, W.flatten().tolist()),
             numpy_helper.from_array(to16(b), "b") if elem == TensorProto.FLOAT16 else
             helper.make_tensor("b", elem, b.shape, b.flatten().tolist())]
    then_graph = helper.make_graph([helper.make_node("Neg", ["h"], ["t"])], "then", [],
                                   [helper.make_tensor_value_info("t", elem, None)])
    else_graph = helper.make_graph([helper.make_node("Abs", ["h"], ["e"])], "else", [],
                                   [helper.make_tensor_value_info("e", elem, None)])
    nodes = [
        helper.make_node("MatMul", ["x", "W"], ["m"]),
        helper.make_node("Add", ["m", "b"], ["h"]),
        helper.make_node("Relu", ["h"], ["r"]),
        helper.make_node("Softmax", ["r"], ["y"], axis=-1),
        helper.make_node("Compress", ["W", "keep"], ["hw"], axis=0),
        helper.make_node("If", ["flag"], ["branch"], then_branch=then_graph, else_branch=else_graph),
    ]
    graph = helper.make_graph(
        nodes, "g",
        [helper.make_tensor_value_info("x", elem, [3, 16]), helper.make_tensor_value_info("flag", TensorProto.BOOL, []),
         helper.make_tensor_value_info("keep", TensorProto.BOOL, [16])],
        [helper.make_tensor_value_info(n, elem, None) for n in ("y", "h", "hw", "branch")], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    x = rng.standard_normal((3, 16)).astype(np.float32)
    return model, {"W": W, "b": b, "x": x}


def _truth(v: dict) -> dict:
    """float64 on the 16-bit inputs and weights."""
    m = v["x"].astype(np.float64) @ v["W"].astype(np.float64)
    h = m + v["b"].astype(np.float64)
    r = np.maximum(h, 0)
    e = np.exp(r - r.max(-1, keepdims=True))
    return {"m": m, "h": h, "y": e / e.sum(-1, keepdims=True)}


def test_float16_graph_runs_in_float32_between_casts(tmp_path):
    model, v = _mlp_model(TensorProto.FLOAT16, np.float16)
    for k in ("W", "b", "x"):  # the 16-bit values, as float32
        v[k] = v[k].astype(np.float16).astype(np.float32)
    path = tmp_path / "opt.onnx"
    sess = _session(model, path=path)
    assert [o.type for o in sess.get_outputs()] == ["tensor(float16)"] * 4
    assert sess.get_inputs()[0].type == "tensor(float16)"
    opt = onnx.load(str(path))
    ops = [n.op_type for n in opt.graph.node]
    # The If branch reads h by name, so the Add making h stays float16: x is widened for the
    # MatMul, m narrowed for the Add, h widened for the Relu and y narrowed for the output. The
    # MatMul becomes FusedMatMul reading W as the float16 weight it is, which Compress reads too:
    # no float32 copy of W.
    casts = [n for n in opt.graph.node if n.op_type == "Cast"]
    assert sorted(helper.get_attribute_value(a) for n in casts for a in n.attribute if a.name == "to") == sorted(
        [TensorProto.FLOAT, TensorProto.FLOAT16, TensorProto.FLOAT, TensorProto.FLOAT16]), ops
    assert "Compress" in ops and "If" in ops and "FusedMatMul" in ops and "MatMul" not in ops
    inits = {i.name: i.data_type for i in opt.graph.initializer}
    assert inits["W"] == TensorProto.FLOAT16 and not [n for n in inits if n.startswith("W") and n != "W"]

    x16 = v["x"].astype(np.float16)
    for flag in (True, False):
        feed = {"x": x16, "flag": np.array(flag), "keep": np.arange(16) % 3 == 0}
        got = dict(zip(["y", "h", "hw", "branch"], sess.run(None, feed)))
        ref = dict(zip(["y", "h", "hw", "branch"], ReferenceEvaluator(model).run(None, feed)))
        assert all(a.dtype == np.float16 for a in got.values())
        t = _truth(v)
        # h comes from the float16 Add: m and h each rounded once (half a float16 ulp each).
        half_ulps = sum(np.spacing(np.abs(t[k]).astype(np.float16)).astype(np.float64) / 2 for k in ("m", "h"))
        assert np.all(np.abs(got["h"] - t["h"]) <= half_ulps + 1e-12)
        np.testing.assert_allclose(got["y"].astype(np.float64), t["y"], rtol=1e-2, atol=2e-4)
        np.testing.assert_allclose(got["y"].astype(np.float32), ref["y"].astype(np.float32), rtol=1e-2, atol=2e-4)
        np.testing.assert_array_equal(got["hw"], ref["hw"])
        np.testing.assert_array_equal(got["branch"], -got["h"] if flag else np.abs(got["h"]))


def test_bfloat16_graph_matches_basic_level_within_rounding(tmp_path):
    model, v = _mlp_model(TensorProto.BFLOAT16, None)
    path = tmp_path / "opt.onnx"
    sess = _session(model, path=path)
    assert "Cast" in [n.op_type for n in onnx.load(str(path)).graph.node]
    basic = _session(model, level=BASIC)
    feed = {"x": v["x"].astype(ml_dtypes.bfloat16), "flag": np.array(True), "keep": np.ones(16, bool)}
    got = sess.run(["y", "h"], feed)
    want = basic.run(["y", "h"], feed)
    assert got[0].dtype == ml_dtypes.bfloat16
    for g, w in zip(got, want):  # op by op rounds h to bfloat16 before y: within 2 bfloat16 ulps
        np.testing.assert_allclose(g.astype(np.float32), w.astype(np.float32), rtol=2 ** -6, atol=1e-6)


def test_graph_with_only_data_movement_is_left_alone(tmp_path):
    nodes = [helper.make_node("Reshape", ["x", "s"], ["r"]), helper.make_node("Transpose", ["r"], ["y"], perm=[1, 0]),
             helper.make_node("Cast", ["y"], ["z"], to=TensorProto.FLOAT)]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT16, [2, 6])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT16, None),
                               helper.make_tensor_value_info("z", TensorProto.FLOAT, None)],
                              [numpy_helper.from_array(np.array([3, 4], np.int64), "s")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    path = tmp_path / "opt.onnx"
    sess = _session(model, path=path)
    assert [n.op_type for n in onnx.load(str(path)).graph.node] == ["Reshape", "Transpose", "Cast"]
    x = np.arange(12, dtype=np.float16).reshape(2, 6)
    y, z = sess.run(None, {"x": x})
    np.testing.assert_array_equal(y, x.reshape(3, 4).T)
    assert z.dtype == np.float32


def _transformer_fp16() -> tuple[bytes, torch.nn.Module, torch.Tensor]:
    torch.manual_seed(0)
    layer = torch.nn.TransformerEncoderLayer(64, 4, 128, batch_first=True)
    model = torch.nn.TransformerEncoder(layer, 2, enable_nested_tensor=False).eval().half()
    x = torch.randn(2, 16, 64).half()
    f = io.BytesIO()
    torch.onnx.export(model, (x,), f, dynamo=False, opset_version=17, input_names=["x"])
    return f.getvalue(), model, x


def test_float16_transformer_closer_to_float32_truth_than_op_by_op(tmp_path):
    data, model, x = _transformer_fp16()
    with torch.no_grad():
        truth = model.float()(x.float()).double().numpy()
    feed = {"x": x.numpy()}
    path = tmp_path / "opt.onnx"
    so = onnxrt.SessionOptions()
    so.optimized_model_filepath = str(path)
    (wide,) = onnxrt.InferenceSession(data, so).run(None, feed)
    so = onnxrt.SessionOptions()
    so.graph_optimization_level = BASIC
    (per_op,) = onnxrt.InferenceSession(data, so).run(None, feed)
    (theirs,) = ort.InferenceSession(data, providers=["CPUExecutionProvider"]).run(None, feed)
    assert wide.dtype == np.float16
    ops = [n.op_type for n in onnx.load(str(path)).graph.node]
    assert "FusedAttention" in ops and "FusedMatMul" in ops  # the float32 fusions apply
    err = lambda a: np.abs(a.astype(np.float64) - truth)  # noqa: E731
    assert err(wide).mean() < 0.7 * err(per_op).mean()
    assert err(wide).max() <= err(per_op).max()
    np.testing.assert_allclose(wide.astype(np.float32), theirs.astype(np.float32), atol=1e-2)


@pytest.mark.parametrize("rows", [1, 5, 64])
@pytest.mark.parametrize("np_type, elem", [(np.float16, TensorProto.FLOAT16), (ml_dtypes.bfloat16, TensorProto.BFLOAT16)])
def test_16bit_weights_stay_16_bit_and_embeddings_are_gathered_16_bit(rows, np_type, elem, tmp_path):
    """An embedding Gather, a Linear (MatMul + Add + Relu) and a second Linear on a float16 (and a
    bfloat16) model: the weights stay 16-bit initializers read by FusedMatMul (packed as 16-bit
    panels), the table stays 16-bit with only the gathered rows cast, and the outputs are the
    float32 computation on the 16-bit values, rounded once."""
    rng = np.random.default_rng(rows)
    V, D, H = 50, 24, 40
    table = rng.standard_normal((V, D)).astype(np_type)
    w1 = (rng.standard_normal((D, H)) * 0.2).astype(np_type)
    b1 = rng.standard_normal(H).astype(np_type)
    w2 = (rng.standard_normal((H, D)) * 0.2).astype(np_type)
    nodes = [helper.make_node("Gather", ["table", "ids"], ["e"]),
             helper.make_node("MatMul", ["e", "w1"], ["m1"]), helper.make_node("Add", ["m1", "b1"], ["a1"]),
             helper.make_node("Relu", ["a1"], ["r1"]), helper.make_node("MatMul", ["r1", "w2"], ["y"])]
    inits = [numpy_helper.from_array(a, n) for a, n in ((table, "table"), (w1, "w1"), (b1, "b1"), (w2, "w2"))]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("ids", TensorProto.INT64, [rows])],
                              [helper.make_tensor_value_info("y", elem, None)], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    path = tmp_path / "opt.onnx"
    sess = _session(model, path=path)
    opt = onnx.load(str(path))
    # (the saved model renames the narrowed output back to "y" with an Identity)
    assert [n.op_type for n in opt.graph.node] == ["Gather", "Cast", "FusedMatMul", "FusedMatMul", "Cast", "Identity"]
    kinds = {i.name: i.data_type for i in opt.graph.initializer}
    assert kinds["table"] == kinds["w1"] == kinds["w2"] == elem and kinds["b1"] == TensorProto.FLOAT
    ids = rng.integers(0, V, rows)
    (y,) = sess.run(None, {"ids": ids})
    f = lambda a: a.astype(np.float32)  # noqa: E731
    want = np.maximum(f(table)[ids] @ f(w1) + f(b1), 0) @ f(w2)
    assert y.dtype == np_type
    ulp = 2e-3 if np_type == np.float16 else 1.6e-2  # one rounding of the output to the 16-bit type
    np.testing.assert_allclose(f(y), want, rtol=ulp, atol=ulp)
    # Two threads split the float16 panels by columns: the same bits.
    so = onnxrt.SessionOptions()
    so.intra_op_num_threads = 2
    np.testing.assert_array_equal(onnxrt.InferenceSession(model.SerializeToString(), so).run(None, {"ids": ids})[0], y)


def test_float16_gelu_constants_are_recognised():
    """A float16 export writes GELU's sqrt 2 as 1.4140625: computed in float32, the fusion takes it
    for sqrt 2 and the Linear + GELU becomes one FusedMatMul, within float16 rounding of the exact
    GELU; a constant that is not a rounded GELU constant (1.5) is left as it is."""
    rng = np.random.default_rng(5)
    w = (rng.standard_normal((16, 32)) * 0.3).astype(np.float16)
    x = rng.standard_normal((4, 16)).astype(np.float16)
    for divisor, fused in ((np.sqrt(2.0), True), (1.5, False)):
        nodes = [helper.make_node("MatMul", ["x", "w"], ["h"]), helper.make_node("Div", ["h", "c"], ["d"]),
                 helper.make_node("Erf", ["d"], ["e"]), helper.make_node("Add", ["e", "one"], ["a"]),
                 helper.make_node("Mul", ["h", "a"], ["m"]), helper.make_node("Mul", ["m", "half"], ["y"])]
        inits = [numpy_helper.from_array(w, "w"), numpy_helper.from_array(np.array(divisor, np.float16), "c"),
                 numpy_helper.from_array(np.array(1, np.float16), "one"),
                 numpy_helper.from_array(np.array(0.5, np.float16), "half")]
        graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT16, [4, 16])],
                                  [helper.make_tensor_value_info("y", TensorProto.FLOAT16, None)], inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
        sess = _session(model)
        (y,) = sess.run(None, {"x": x})
        h = x.astype(np.float64) @ w.astype(np.float64)
        want = 0.5 * h * (1 + np.vectorize(erf)(h / float(np.float16(divisor)) if not fused else h / np.sqrt(2.0)))
        np.testing.assert_allclose(y.astype(np.float64), want, rtol=2e-3, atol=2e-3)
        ops = [n.op_type for n in _optimized_graph(model).node]
        assert ("Erf" not in ops) == fused, ops


def _optimized_graph(model: onnx.ModelProto) -> onnx.GraphProto:
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "opt.onnx")
        _session(model, path=path)
        return onnx.load(path).graph


@pytest.mark.parametrize("name", ["cnn", "mobilenetv2_stack", "efficientnet_block", "transformer_encoder", "gpt_block",
                                  "lstm"])
def test_float16_zoo_models_at_least_as_close_to_float32_as_op_by_op(name):
    """Zoo models through .half() and torch.onnx.export: onnxrt's output (float32 between casts)
    is as close to the float32 model on the same float16 weights and inputs as op-by-op rounding
    (the basic level) and as onnxruntime, within a margin for the final float16 rounding."""
    import torch_zoo

    model = torch_zoo.build(name).half()
    x = tuple(t.half() for t in torch_zoo.inputs(name, 3))
    program = torch.onnx.export(model, x, dynamo=True, opset_version=18, verbose=False)
    data = program.model_proto.SerializeToString()
    with torch.no_grad():
        truth = model.float()(*[t.float() for t in x])
    truth = (truth[0] if isinstance(truth, (tuple, list)) else truth).double().numpy()
    sess = onnxrt.InferenceSession(data)
    feed = {i.name: t.numpy() for i, t in zip(sess.get_inputs(), x)}
    so = onnxrt.SessionOptions()
    so.graph_optimization_level = BASIC
    err = lambda a: float(np.abs(a.astype(np.float64) - truth).max())  # noqa: E731
    ours = err(sess.run(None, feed)[0])
    per_op = err(onnxrt.InferenceSession(data, so).run(None, feed)[0])
    theirs = err(ort.InferenceSession(data, providers=["CPUExecutionProvider"]).run(None, feed)[0])
    half_ulp = float(np.spacing(np.float16(np.abs(truth).max()))) / 2
    assert ours <= min(per_op, theirs) + half_ulp, (ours, per_op, theirs)
