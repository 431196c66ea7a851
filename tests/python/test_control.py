"""Sequences, optionals and control flow through the Python API: lists in and out for
sequences, None for an empty optional, checked against onnxruntime where it runs the model."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

import onnxrt

IR_VERSION = 10


def _model(nodes, inputs, outputs, opset=18):
    graph = helper.make_graph(nodes, "g", inputs, outputs)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=IR_VERSION)


def _seq_info(name, elem=TensorProto.FLOAT, shape=None):
    return helper.make_tensor_sequence_value_info(name, elem, shape)


def _ort(model):
    ort = pytest.importorskip("onnxruntime")
    return ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])


def test_sequence_input_and_output_are_lists():
    model = _model(
        [
            helper.make_node("SequenceInsert", ["s", "x"], ["s2"]),
            helper.make_node("SequenceLength", ["s2"], ["n"]),
            helper.make_node("ConcatFromSequence", ["s2"], ["cat"], axis=0),
        ],
        [_seq_info("s"), helper.make_tensor_value_info("x", TensorProto.FLOAT, [None])],
        [_seq_info("s2"), helper.make_tensor_value_info("n", TensorProto.INT64, []),
         helper.make_tensor_value_info("cat", TensorProto.FLOAT, [None])],
    )
    sess = onnxrt.InferenceSession(model.SerializeToString())
    assert sess.get_inputs()[0].type == "seq(tensor(float))"
    feed = {"s": [np.array([1, 2], np.float32), np.array([3], np.float32)], "x": np.array([4, 5], np.float32)}
    s2, n, cat = sess.run(None, feed)
    assert isinstance(s2, list) and len(s2) == 3
    np.testing.assert_array_equal(s2[2], [4, 5])
    assert int(n) == 3
    np.testing.assert_array_equal(cat, [1, 2, 3, 4, 5])
    # The returned arrays are the caller's: writing into them changes nothing in the next run.
    s2[0][:] = 0
    again = sess.run(["cat"], feed)[0]
    np.testing.assert_array_equal(again, [1, 2, 3, 4, 5])
    ref = _ort(model).run(None, feed)
    for a, b in zip(s2[1:], ref[0][1:]):
        np.testing.assert_array_equal(a, b)
    # An empty list is an empty sequence; a bare array is refused with the input named.
    assert sess.run(["n"], {"s": [], "x": np.array([1], np.float32)})[0] == 1
    with pytest.raises(onnxrt.InvalidArgument, match="'s'"):
        sess.run(None, {"s": np.zeros(2, np.float32), "x": np.array([1], np.float32)})


def test_optional_input_none_and_value():
    opt = helper.make_optional_type_proto(helper.make_tensor_type_proto(TensorProto.FLOAT, [2]))
    model = _model(
        [helper.make_node("OptionalHasElement", ["o"], ["has"])],
        [helper.make_value_info("o", opt)],
        [helper.make_tensor_value_info("has", TensorProto.BOOL, [])],
    )
    sess = onnxrt.InferenceSession(model.SerializeToString())
    assert not sess.run(None, {"o": None})[0]
    assert sess.run(None, {"o": np.array([1, 2], np.float32)})[0]
    assert not sess.run(None, {})[0]  # an optional input may be left out
    with pytest.raises(onnxrt.InvalidArgument):
        sess.run(None, {"o": np.array([1, 2, 3], np.float32)})


def test_optional_output_none():
    # Optional() with no input and a type attribute: an empty optional comes back as None.
    tp = helper.make_tensor_type_proto(TensorProto.FLOAT, [2])
    node = helper.make_node("Optional", [], ["o"], type=tp)
    out_type = helper.make_optional_type_proto(tp)
    model = _model([node], [], [helper.make_value_info("o", out_type)])
    sess = onnxrt.InferenceSession(model.SerializeToString())
    assert sess.run(None, {}) == [None]


def _loop_model():
    """Loop summing x[i] for i < M into a carried value, with the running sums as scan output
    and an If inside the body that reads an outer-scope value."""
    body = helper.make_graph(
        [
            helper.make_node("Gather", ["x", "i"], ["xi"], axis=0),
            helper.make_node("Add", ["acc", "xi"], ["acc2"]),
            helper.make_node("Greater", ["acc2", "limit"], ["big"]),
            helper.make_node(
                "If", ["big"], ["emit"],
                then_branch=helper.make_graph(
                    [helper.make_node("Neg", ["acc2"], ["t"])], "then", [],
                    [helper.make_tensor_value_info("t", TensorProto.FLOAT, [])]),
                else_branch=helper.make_graph(
                    [helper.make_node("Identity", ["acc2"], ["e"])], "else", [],
                    [helper.make_tensor_value_info("e", TensorProto.FLOAT, [])]),
            ),
            helper.make_node("Identity", ["c"], ["c2"]),
        ],
        "body",
        [helper.make_tensor_value_info("i", TensorProto.INT64, []),
         helper.make_tensor_value_info("c", TensorProto.BOOL, []),
         helper.make_tensor_value_info("acc", TensorProto.FLOAT, [])],
        [helper.make_tensor_value_info("c2", TensorProto.BOOL, []),
         helper.make_tensor_value_info("acc2", TensorProto.FLOAT, []),
         helper.make_tensor_value_info("emit", TensorProto.FLOAT, [])],
    )
    return _model(
        [helper.make_node("Loop", ["M", "", "acc0"], ["acc", "sums"], body=body)],
        [helper.make_tensor_value_info("M", TensorProto.INT64, []),
         helper.make_tensor_value_info("x", TensorProto.FLOAT, [None]),
         helper.make_tensor_value_info("acc0", TensorProto.FLOAT, []),
         helper.make_tensor_value_info("limit", TensorProto.FLOAT, [])],
        [helper.make_tensor_value_info("acc", TensorProto.FLOAT, []),
         helper.make_tensor_value_info("sums", TensorProto.FLOAT, [None])],
    )


def test_loop_with_nested_if_matches_onnxruntime():
    model = _loop_model()
    onnx.checker.check_model(model)
    sess = onnxrt.InferenceSession(model.SerializeToString())
    ort = _ort(model)
    rng = np.random.default_rng(0)
    for m in (0, 1, 4, 7):
        feed = {"M": np.array(m, np.int64), "x": rng.standard_normal(7).astype(np.float32),
                "acc0": np.array(0.5, np.float32), "limit": np.array(0.0, np.float32)}
        got = sess.run(None, feed)
        want = ort.run(None, feed)
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-6)
    with pytest.raises(onnxrt.Error, match="Loop"):
        sess.run(None, {"M": np.array(9, np.int64), "x": np.zeros(7, np.float32),
                        "acc0": np.array(0, np.float32), "limit": np.array(0, np.float32)})


def test_values_read_only_inside_a_subgraph_survive_the_optimizer():
    """A main-graph value read only by an If branch (by name) must not be removed or renamed by
    dead-code or Identity elimination."""
    from onnx import TensorProto, helper

    out = helper.make_tensor_value_info("r", TensorProto.FLOAT, [2])
    then_g = helper.make_graph([helper.make_node("Identity", ["negated"], ["r"])], "then", [], [out])
    else_g = helper.make_graph([helper.make_node("Identity", ["copied"], ["r"])], "else", [], [out])
    nodes = [
        helper.make_node("Neg", ["x"], ["negated"], name="neg"),
        helper.make_node("Identity", ["x"], ["copied"], name="copy"),
        helper.make_node("If", ["c"], ["r"], name="branch", then_branch=then_g, else_branch=else_g),
    ]
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("c", TensorProto.BOOL, []),
                                       helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])], [out])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 10
    x = np.array([1.0, -2.0], np.float32)
    for level in (onnxrt.GraphOptimizationLevel.ORT_DISABLE_ALL, onnxrt.GraphOptimizationLevel.ORT_ENABLE_ALL):
        opts = onnxrt.SessionOptions()
        opts.graph_optimization_level = level
        sess = onnxrt.InferenceSession(m.SerializeToString(), opts)
        np.testing.assert_array_equal(sess.run(None, {"c": np.array(True), "x": x})[0], -x)
        np.testing.assert_array_equal(sess.run(None, {"c": np.array(False), "x": x})[0], x)


def _if_with_branch_that_cannot_type_check() -> bytes:
    # `size` has 5 elements. The else branch splits it into 5 (fine); the then branch into 4,
    # which cannot hold for this input: as in onnx's AffineGrid function, the model is valid
    # as long as that branch never runs.
    def branch(name, parts):
        outs = [f"{name}_{i}" for i in range(parts)]
        return helper.make_graph(
            [helper.make_node("Split", ["size"], outs, axis=0, num_outputs=parts),
             helper.make_node("Identity", [outs[0]], [f"{name}_out"])],
            name, [], [helper.make_tensor_value_info(f"{name}_out", TensorProto.INT64, [1])])

    node = helper.make_node("If", ["cond"], ["y"], then_branch=branch("then", 4), else_branch=branch("else", 5))
    graph = helper.make_graph(
        [node], "g",
        [helper.make_tensor_value_info("cond", TensorProto.BOOL, []),
         helper.make_tensor_value_info("size", TensorProto.INT64, [5])],
        [helper.make_tensor_value_info("y", TensorProto.INT64, [1])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    return model.SerializeToString()


def test_if_branch_that_cannot_type_check_loads_and_fails_only_when_taken():
    sess = onnxrt.InferenceSession(_if_with_branch_that_cannot_type_check())
    size = np.array([1, 2, 3, 4, 5], dtype=np.int64)
    (y,) = sess.run(None, {"cond": np.array(False), "size": size})
    np.testing.assert_array_equal(y, [1])
    with pytest.raises(onnxrt.Error, match="Split"):
        sess.run(None, {"cond": np.array(True), "size": size})
