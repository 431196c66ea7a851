"""The Scan that scikit-learn converters write for pairwise squared distances becomes
com.onnxrt SquaredDistances (passes/fuse_scan_distances.cc). Models with that Scan, in every
form the pass takes and some it must refuse, run on onnxrt and are compared with onnx's
ReferenceEvaluator; skl2onnx's nearest-neighbour models are compared with scikit-learn."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator

import onnxrt


def _body(opset: int, sub_order: str = "state_first", extra_identity: bool = True, keepdims: int = 0,
          axis: int = 1, extra_node: bool = False) -> onnx.GraphProto:
    nodes = [helper.make_node("Identity", ["next_in"], ["next_out"])]
    sub_in = ["next_in", "next"] if sub_order == "state_first" else ["next", "next_in"]
    nodes.append(helper.make_node("Sub", sub_in, ["diff"]))
    inits = []
    if opset >= 18:
        inits.append(numpy_helper.from_array(np.array([axis], np.int64), "axes"))
        nodes.append(helper.make_node("ReduceSumSquare", ["diff", "axes"], ["red"], keepdims=keepdims))
    else:
        nodes.append(helper.make_node("ReduceSumSquare", ["diff"], ["red"], axes=[axis], keepdims=keepdims))
    last = "red"
    if extra_node:  # a body that computes something else: must not be fused
        nodes.append(helper.make_node("Sqrt", [last], ["root"]))
        last = "root"
    if extra_identity:
        nodes.append(helper.make_node("Identity", [last], ["scan_out"]))
        last = "scan_out"
    return helper.make_graph(
        nodes, "cdist_body",
        [helper.make_tensor_value_info("next_in", TensorProto.FLOAT, [None, 6]),
         helper.make_tensor_value_info("next", TensorProto.FLOAT, [None])],
        [helper.make_tensor_value_info("next_out", TensorProto.FLOAT, [None, 6]),
         helper.make_tensor_value_info(last, TensorProto.FLOAT, [None])], inits)


def _model(opset: int = 17, transpose_after: bool = True, state_used: bool = False, constant_v: bool = True,
           **body) -> tuple[onnx.ModelProto, dict]:
    rng = np.random.default_rng(opset)
    v = rng.standard_normal((37, 6)).astype(np.float32)
    inputs = [helper.make_tensor_value_info("X", TensorProto.FLOAT, [None, 6])]
    inits = []
    if constant_v:
        inits.append(numpy_helper.from_array(v, "V"))
    else:
        inputs.append(helper.make_tensor_value_info("V", TensorProto.FLOAT, [None, 6]))
    nodes = [helper.make_node("Scan", ["X", "V"], ["final", "stacked"], num_scan_inputs=1, body=_body(opset, **body))]
    out = "stacked"
    if transpose_after:
        nodes.append(helper.make_node("Transpose", ["stacked"], ["dist2"], perm=[1, 0]))
        out = "dist2"
    nodes.append(helper.make_node("Sqrt", [out], ["dist"]))
    outputs = [helper.make_tensor_value_info("dist", TensorProto.FLOAT, None)]
    if state_used:
        outputs.append(helper.make_tensor_value_info("final", TensorProto.FLOAT, None))
    graph = helper.make_graph(nodes, "cdist", inputs, outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=8)
    feed = {"X": rng.standard_normal((5, 6)).astype(np.float32)}
    if not constant_v:
        feed["V"] = v
    return model, feed


def _op_types(model: onnx.ModelProto, tmp_path) -> list[str]:
    so = onnxrt.SessionOptions()
    so.optimized_model_filepath = str(tmp_path / "opt.onnx")
    onnxrt.InferenceSession(model.SerializeToString(), so)
    return [n.op_type for n in onnx.load(str(tmp_path / "opt.onnx")).graph.node]


CASES = {
    "skl2onnx_form": dict(),
    "opset18_axes_input": dict(opset=18),
    "sub_reversed": dict(sub_order="row_first"),
    "negative_axis": dict(axis=-1, extra_identity=False),
    "no_transpose_after": dict(transpose_after=False),
    "v_fed_at_run_time": dict(constant_v=False),
}
REFUSED = {
    "final_state_is_an_output": dict(state_used=True),
    "keepdims": dict(keepdims=1, transpose_after=False),
    "other_body": dict(extra_node=True),
    "axis_0": dict(axis=0),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_distance_scan_is_fused_and_matches_reference(case, tmp_path):
    model, feed = _model(**CASES[case])
    assert "SquaredDistances" in _op_types(model, tmp_path)
    want = ReferenceEvaluator(model).run(None, feed)
    for threads in (1, 2):
        so = onnxrt.SessionOptions()
        so.intra_op_num_threads = threads
        got = onnxrt.InferenceSession(model.SerializeToString(), so).run(None, feed)
        assert got[0].shape == want[0].shape
        np.testing.assert_allclose(got[0], want[0], rtol=2e-6, atol=1e-6)
    # Against exact distances: the fused sums in double are at least as close as the float graph's.
    x, v = feed["X"].astype(np.float64), (feed["V"] if "V" in feed else
                                          numpy_helper.to_array(model.graph.initializer[0])).astype(np.float64)
    exact = np.sqrt(((x[:, None, :] - v[None, :, :]) ** 2).sum(-1))
    if want[0].shape != exact.shape:  # the Scan's own [M, N] layout
        exact = exact.T
    assert np.max(np.abs(got[0] - exact)) <= np.max(np.abs(want[0] - exact)) + 1e-7


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_other_scans_are_left_alone(case, tmp_path):
    model, feed = _model(**REFUSED[case])
    assert "Scan" in _op_types(model, tmp_path)
    want = ReferenceEvaluator(model).run(None, feed)
    got = onnxrt.InferenceSession(model.SerializeToString()).run(None, feed)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=2e-6, atol=1e-6)


def test_column_mismatch_is_refused_with_a_clear_error():
    model, feed = _model(constant_v=False)
    feed["V"] = np.zeros((4, 5), np.float32)
    sess = onnxrt.InferenceSession(model.SerializeToString())
    with pytest.raises(Exception, match="V|columns|6"):
        sess.run(None, feed)


@pytest.mark.parametrize("kind", ["classifier", "regressor"])
def test_skl2onnx_nearest_neighbours_match_scikit_learn(kind, tmp_path):
    skl2onnx = pytest.importorskip("skl2onnx")
    from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor

    rng = np.random.default_rng(1)
    x = rng.standard_normal((300, 8)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > 0).astype(np.int64) if kind == "classifier" else x[:, 0] * 2 + x[:, 2]
    model = (KNeighborsClassifier(5) if kind == "classifier" else KNeighborsRegressor(5)).fit(x, y)
    onx = skl2onnx.to_onnx(model, x[:1], target_opset={"": 17, "ai.onnx.ml": 3},
                           options={id(model): {"zipmap": False}} if kind == "classifier" else None)
    assert "SquaredDistances" in _op_types(onx, tmp_path)
    q = rng.standard_normal((64, 8)).astype(np.float32)
    got = onnxrt.InferenceSession(onx.SerializeToString()).run(None, {"X": q})
    if kind == "classifier":
        np.testing.assert_array_equal(got[0], model.predict(q))
        np.testing.assert_allclose(got[1], model.predict_proba(q), atol=1e-6)
    else:
        np.testing.assert_allclose(got[0].ravel(), model.predict(q), rtol=1e-5, atol=1e-5)
