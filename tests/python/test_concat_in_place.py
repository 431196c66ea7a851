"""Concat inputs written in place (plan::SlotInfo::placed_in, src/plan/memory_plan.cc): when every
dim before the axis is 1, the producers of a Concat's inputs write straight into its output and the
Concat copies nothing for them. The graphs below put placed inputs where a wrong plan would show:
read again after the Concat, overwritten in place by a later op, repeated, reached through views,
mixed with graph inputs and constants, nested, in subgraphs, and as graph outputs that the caller
keeps across runs. Each is checked against onnx's ReferenceEvaluator over several runs.
"""

from __future__ import annotations

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator

import onnxrt

F = TensorProto.FLOAT


def model(nodes, inputs, outputs, inits=(), opset=18):
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info(n, F, s) for n, s in inputs],
                          [helper.make_tensor_value_info(n, F, None) for n in outputs], list(inits))
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])


def check(m, feeds_list, keep_outputs=True):
    sess = onnxrt.InferenceSession(m.SerializeToString())
    ref = ReferenceEvaluator(m)
    kept = []
    for feeds in feeds_list:
        got = sess.run(None, feeds)
        want = ref.run(None, feeds)
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)
        if keep_outputs:
            kept.append(([g.copy() for g in got], got))
    # Outputs of earlier runs stay as they were returned: no later run writes into them.
    for copies, held in kept:
        for c, h in zip(copies, held):
            np.testing.assert_array_equal(c, h)


def feeds(shapes, runs=3, seed=0):
    rng = np.random.default_rng(seed)
    return [{n: rng.standard_normal(s).astype(np.float32) for n, s in shapes.items()} for _ in range(runs)]


def test_stacked_caches_as_graph_output():
    """The GPT-2 decode pattern: per-layer Concat(past, new) on axis 2, each read by a later op and
    unsqueezed into one stacked graph output."""
    nodes, stacked = [], []
    for i in range(3):
        nodes += [helper.make_node("Gather", ["past", f"i{i}"], [f"p{i}"], axis=0),
                  helper.make_node("Mul", ["new", f"s{i}"], [f"n{i}"]),
                  helper.make_node("Concat", [f"p{i}", f"n{i}"], [f"cat{i}"], axis=2),
                  helper.make_node("ReduceSum", [f"cat{i}"], [f"r{i}"], keepdims=0),
                  helper.make_node("Unsqueeze", [f"cat{i}", "zero"], [f"u{i}"])]
        stacked.append(f"u{i}")
    nodes += [helper.make_node("Concat", stacked, ["stack"], axis=0),
              helper.make_node("Sum", ["r0", "r1", "r2"], ["total"])]
    inits = [numpy_helper.from_array(np.array(i, np.int64), f"i{i}") for i in range(3)]
    inits += [numpy_helper.from_array(np.array(i + 1.5, np.float32), f"s{i}") for i in range(3)]
    inits.append(numpy_helper.from_array(np.array([0], np.int64), "zero"))
    m = model(nodes, [("past", [3, 1, 2, 16, 8]), ("new", [1, 2, 1, 8])], ["stack", "total"], inits)
    check(m, feeds({"past": [3, 1, 2, 16, 8], "new": [1, 2, 1, 8]}))


@pytest.mark.parametrize("after", ["none", "read_parts", "in_place_on_part", "in_place_on_whole"])
def test_intermediate_concat(after):
    """a, b, c made by Relu/Exp/Neg, concatenated on axis 1 of [1, C, 4, 4]; then, depending on
    `after`: the parts are read again after the Concat, a part dies into an in-place op while the
    concat lives on, or the concat dies into an in-place op while a part is read later."""
    nodes = [helper.make_node("Relu", ["x"], ["a"]), helper.make_node("Exp", ["x"], ["b"]),
             helper.make_node("Neg", ["x"], ["c"]),
             helper.make_node("Concat", ["a", "b", "c"], ["cat"], axis=1)]
    outs = ["y"]
    if after == "none":
        nodes.append(helper.make_node("Mul", ["cat", "cat"], ["y"]))
    elif after == "read_parts":
        nodes += [helper.make_node("Mul", ["cat", "cat"], ["m"]),
                  helper.make_node("Add", ["a", "b"], ["ab"]), helper.make_node("ReduceSum", ["m"], ["y"]),
                  helper.make_node("Mul", ["ab", "c"], ["z"])]
        outs.append("z")
    elif after == "in_place_on_part":
        # b dies into Sigmoid (which may write over a dying input) while cat is read afterwards.
        nodes += [helper.make_node("Sigmoid", ["b"], ["sb"]), helper.make_node("Tanh", ["sb"], ["t"]),
                  helper.make_node("Sin", ["cat"], ["y"]), helper.make_node("ReduceSum", ["t"], ["z"])]
        outs.append("z")
    else:
        # cat dies into Sigmoid while a is read afterwards.
        nodes += [helper.make_node("Sigmoid", ["cat"], ["s"]), helper.make_node("Tanh", ["s"], ["t"]),
                  helper.make_node("Cos", ["a"], ["z"]), helper.make_node("Add", ["t", "zero"], ["y"])]
        outs.append("z")
    inits = [numpy_helper.from_array(np.array(0.0, np.float32), "zero")]
    m = model(nodes, [("x", [1, 16, 4, 4])], outs, inits)
    check(m, feeds({"x": [1, 16, 4, 4]}))


@pytest.mark.parametrize("case", ["repeated", "graph_input_and_constant", "views", "outer_not_one",
                                  "unaligned", "nested", "symbolic"])
def test_concat_cases(case):
    shape_x = [1, 16, 4]
    inits = [numpy_helper.from_array(np.arange(64, dtype=np.float32).reshape(1, 16, 4), "k")]
    if case == "repeated":
        nodes = [helper.make_node("Exp", ["x"], ["a"]), helper.make_node("Concat", ["a", "a", "a"], ["y"], axis=1)]
    elif case == "graph_input_and_constant":
        nodes = [helper.make_node("Exp", ["x"], ["a"]), helper.make_node("Concat", ["x", "a", "k", "a"], ["y"], axis=2)]
    elif case == "views":
        nodes = [helper.make_node("Exp", ["x"], ["a"]),
                 helper.make_node("Reshape", ["a", "shape"], ["r"]),
                 helper.make_node("Unsqueeze", ["r", "zero"], ["u"]),
                 helper.make_node("Neg", ["x"], ["n"]),
                 helper.make_node("Concat", ["n", "u"], ["cat"], axis=1),
                 helper.make_node("ReduceSum", ["r", "axis0"], ["rs"]),
                 helper.make_node("Add", ["cat", "rs"], ["y"])]
        inits += [numpy_helper.from_array(np.array([16, 4], np.int64), "shape"),
                  numpy_helper.from_array(np.array([0], np.int64), "zero"),
                  numpy_helper.from_array(np.array([0], np.int64), "axis0")]
    elif case == "outer_not_one":
        shape_x = [3, 16, 4]
        nodes = [helper.make_node("Exp", ["x"], ["a"]), helper.make_node("Neg", ["x"], ["b"]),
                 helper.make_node("Concat", ["a", "b"], ["y"], axis=1)]
    elif case == "unaligned":
        # 3 floats (12 bytes) before the second part: not at a 64-byte offset, so copied.
        shape_x = [1, 3]
        nodes = [helper.make_node("Exp", ["x"], ["a"]), helper.make_node("Neg", ["x"], ["b"]),
                 helper.make_node("Concat", ["a", "b", "a"], ["y"], axis=1)]
    elif case == "nested":
        # DenseNet-like: each concat feeds the next one, parts made from the previous concat.
        nodes = [helper.make_node("Exp", ["x"], ["a"]), helper.make_node("Neg", ["x"], ["b"]),
                 helper.make_node("Concat", ["a", "b"], ["c1"], axis=1),
                 helper.make_node("Sin", ["c1"], ["d"]),
                 helper.make_node("Concat", ["c1", "d"], ["c2"], axis=1),
                 helper.make_node("Cos", ["c2"], ["e"]),
                 helper.make_node("Concat", ["c2", "e", "a"], ["y"], axis=1)]
    else:
        shape_x = ["n", 16, 4]
        nodes = [helper.make_node("Exp", ["x"], ["a"]), helper.make_node("Neg", ["x"], ["b"]),
                 helper.make_node("Concat", ["a", "b"], ["y"], axis=1)]
    m = model(nodes, [("x", shape_x)], ["y"], inits)
    concrete = [1 if d == "n" else d for d in shape_x]
    check(m, feeds({"x": concrete}))


def test_concat_in_loop_body():
    """A Loop whose body concatenates two parts it makes into a body output, three iterations."""
    body = helper.make_graph(
        [helper.make_node("Exp", ["v_in"], ["a"]), helper.make_node("Neg", ["v_in"], ["b"]),
         helper.make_node("Concat", ["a", "b"], ["cat"], axis=1),
         helper.make_node("Slice", ["cat", "starts", "ends", "axes"], ["v_out"]),
         helper.make_node("Identity", ["cond_in"], ["cond_out"]),
         helper.make_node("Identity", ["cat"], ["scan_out"])],
        "body",
        [helper.make_tensor_value_info("iter", TensorProto.INT64, []),
         helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
         helper.make_tensor_value_info("v_in", F, [1, 16])],
        [helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []),
         helper.make_tensor_value_info("v_out", F, [1, 16]),
         helper.make_tensor_value_info("scan_out", F, [1, 32])],
        [numpy_helper.from_array(np.array([0], np.int64), "starts"),
         numpy_helper.from_array(np.array([16], np.int64), "ends"),
         numpy_helper.from_array(np.array([1], np.int64), "axes")])
    nodes = [helper.make_node("Loop", ["trips", "cond", "x"], ["v", "scan"], body=body)]
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", F, [1, 16])],
                          [helper.make_tensor_value_info("v", F, None), helper.make_tensor_value_info("scan", F, None)],
                          [numpy_helper.from_array(np.array(3, np.int64), "trips"),
                           numpy_helper.from_array(np.array(True), "cond")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 18)])
    sess = onnxrt.InferenceSession(m.SerializeToString())
    for seed in range(3):
        x = (np.random.default_rng(seed).standard_normal((1, 16)) * 0.1).astype(np.float32)
        v, scan = sess.run(None, {"x": x})
        want = []
        for _ in range(3):
            cat = np.concatenate([np.exp(x), -x], axis=1)
            want.append(cat)
            x = cat[:, :16]
        np.testing.assert_allclose(v, x, rtol=1e-6)
        np.testing.assert_allclose(scan, np.stack(want), rtol=1e-6)


@pytest.mark.parametrize("when", ["parts_made_early", "parts_read_late"])
def test_concat_block_covers_its_parts_lifetimes(when):
    """The Concat's arena block must hold its parts from the first part's making to the last
    part's last reader. Temporaries of the same size live in between (before the Concat, or after
    its last reader while a part is still read): a block placed only for the Concat's own
    lifetime would let them overwrite a part."""
    temps = [helper.make_node("Sin", ["x2"], ["t1"]), helper.make_node("Cos", ["t1"], ["t2"]),
             helper.make_node("Neg", ["t2"], ["t3"]), helper.make_node("Mul", ["t3", "t1"], ["t4"])]
    dup = [helper.make_node("Concat", ["x", "x"], ["x2"], axis=1)]  # [1, 32, 4]: the Concat's size
    if when == "parts_made_early":
        nodes = dup + [helper.make_node("Exp", ["x"], ["a"]), helper.make_node("Neg", ["x"], ["b"])] + temps + [
            helper.make_node("Concat", ["a", "b"], ["cat"], axis=1),
            helper.make_node("Add", ["cat", "t4"], ["y"])]
    else:
        nodes = dup + [helper.make_node("Exp", ["x"], ["a"]), helper.make_node("Neg", ["x"], ["b"]),
                       helper.make_node("Concat", ["a", "b"], ["cat"], axis=1),
                       helper.make_node("ReduceSum", ["cat"], ["s"])] + temps + [
            helper.make_node("ReduceSum", ["t4"], ["s4"]),
            helper.make_node("Add", ["a", "s4"], ["as"]), helper.make_node("Add", ["as", "s"], ["y"])]
    m = model(nodes, [("x", [1, 16, 4])], ["y"])
    check(m, feeds({"x": [1, 16, 4]}))
