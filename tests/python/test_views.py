"""Reshape and its kin copy nothing: their output shares the input's storage (an arena block for
static shapes, a pooled buffer for dynamic ones) until the last reader of either. The graphs
below make the viewed value die first and then ask for a new buffer of the same size, which is
where a view that did not keep its storage alive would be overwritten. Checked against numpy
over several runs with changing dims on one session.
"""

from __future__ import annotations

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

import onnxrt


def view_graph(op: str, batch):
    """a = Relu(x); r = op(a) (a view); b = a + 1 (a's last reader); d = -b (an intermediate of
    a's size: may take a's storage); c = r * 2 (reads the view after a died); e = -d. Outputs e
    and c."""
    shape_in = [batch, 6]
    if op == "Reshape":
        view = helper.make_node("Reshape", ["a", "target"], ["r"], name="view")
        out_shape = [None, 3]
    elif op == "Flatten":
        view = helper.make_node("Flatten", ["a"], ["r"], name="view", axis=0)
        out_shape = [1, None]
    elif op == "Unsqueeze":
        view = helper.make_node("Unsqueeze", ["a", "axes"], ["r"], name="view")
        out_shape = [batch, 1, 6]
    else:
        view = helper.make_node("Identity", ["a"], ["r"], name="view")
        out_shape = shape_in
    nodes = [
        helper.make_node("Relu", ["x"], ["a"], name="relu"),
        view,
        helper.make_node("Add", ["a", "one"], ["b"], name="add"),
        helper.make_node("Neg", ["b"], ["d"], name="neg"),
        helper.make_node("Mul", ["r", "two"], ["c"], name="mul"),
        helper.make_node("Neg", ["d"], ["e"], name="neg2"),
    ]
    inits = [numpy_helper.from_array(np.array(1.0, np.float32), "one"),
             numpy_helper.from_array(np.array(2.0, np.float32), "two"),
             numpy_helper.from_array(np.array([-1, 3], np.int64), "target"),
             numpy_helper.from_array(np.array([1], np.int64), "axes")]
    graph = helper.make_graph(
        nodes, "views", [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape_in)],
        [helper.make_tensor_value_info("e", TensorProto.FLOAT, shape_in),
         helper.make_tensor_value_info("c", TensorProto.FLOAT, out_shape)], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])


def expected(op: str, x: np.ndarray):
    a = np.maximum(x, 0)
    r = {"Reshape": lambda: a.reshape(-1, 3), "Flatten": lambda: a.reshape(1, -1),
         "Unsqueeze": lambda: a[:, None, :], "Identity": lambda: a}[op]()
    return a + 1, r * 2


@pytest.mark.parametrize("op", ["Reshape", "Flatten", "Unsqueeze", "Identity"])
@pytest.mark.parametrize("batch", [4, "batch"])
def test_view_outlives_the_value_it_views(op, batch):
    sess = onnxrt.InferenceSession(view_graph(op, batch).SerializeToString())
    rng = np.random.default_rng(0)
    for n in ([4] * 3 if batch == 4 else [4, 7, 1, 7, 300, 4]):
        x = rng.standard_normal((n, 6)).astype(np.float32)
        e, c = sess.run(None, {"x": x})
        want_e, want_c = expected(op, x)
        np.testing.assert_array_equal(e, want_e)
        np.testing.assert_array_equal(c, want_c)


@pytest.mark.parametrize("batch", [2, "n"])
@pytest.mark.parametrize("chain", [[], ["Identity"], ["Flatten"], ["Reshape"], ["Reshape", "Identity"]])
def test_unary_in_place_never_writes_into_the_callers_input(chain, batch):
    """The vector unary kernels write in place over a dying input (Kernel::output_reuses_input).
    A view of a graph input is the caller's array, so Sigmoid after x -> views must not take its
    storage: x stays as it was, and Tanh(Sigmoid(.)) (in place over the Sigmoid's output) is right,
    over repeated runs with static and symbolic dims."""
    nodes, cur = [], "x"
    for i, op in enumerate(chain):
        ins = [cur, "target"] if op == "Reshape" else [cur]
        nodes.append(helper.make_node(op, ins, [f"v{i}"]))
        cur = f"v{i}"
    nodes += [helper.make_node("Sigmoid", [cur], ["s"]), helper.make_node("Tanh", ["s"], ["y"])]
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [batch, 3, 4])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                          [numpy_helper.from_array(np.array([-1, 6], dtype=np.int64), "target")])
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    sess = onnxrt.InferenceSession(model.SerializeToString())
    rng = np.random.default_rng(3)
    for _ in range(3):
        x = rng.standard_normal((2, 3, 4)).astype(np.float32)
        before = x.copy()
        (y,) = sess.run(None, {"x": x})
        np.testing.assert_array_equal(x, before)
        np.testing.assert_allclose(y.ravel(), np.tanh(1 / (1 + np.exp(-before.ravel()))), rtol=1e-6, atol=1e-6)


def gather_graph(x_shape, indices, axis, out_is_gather: bool):
    """g = Gather(x, indices, axis); y = Tanh(Sigmoid(g)) (Sigmoid may write in place over a dying
    input). Outputs y, and g itself when out_is_gather."""
    nodes = [helper.make_node("Gather", ["x", "idx"], ["g"], axis=axis),
             helper.make_node("Sigmoid", ["g"], ["s"]), helper.make_node("Tanh", ["s"], ["y"])]
    outs = [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)]
    if out_is_gather:
        outs.append(helper.make_tensor_value_info("g", TensorProto.FLOAT, None))
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, x_shape)], outs,
                          [numpy_helper.from_array(np.array(indices, np.int64), "idx")])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 18)])


@pytest.mark.parametrize("x_shape,indices,axis", [
    ([4, 3, 5], 2, 0), ([4, 3, 5], -1, 0), ([4, 3, 5], [1, 2], 0), ([4, 3, 5], [3, 1], 0),
    ([1, 6, 5], 4, 1), ([1, 6, 5], [2, 3, 4], 1), ([2, 6, 5], 1, 1), (["n", 3, 5], [0, 1], 0)])
@pytest.mark.parametrize("out_is_gather", [False, True])
def test_gather_of_a_graph_input_never_aliases_what_the_caller_sees(x_shape, indices, axis, out_is_gather):
    """A Gather that picks one contiguous run of a graph input (consecutive indices on a leading
    axis) shows the caller's array instead of copying it. The in-place Sigmoid after it must not
    write into that array, and a Gather that is itself a graph output must be the caller's own
    copy: changing x after the run must not change it."""
    sess = onnxrt.InferenceSession(gather_graph(x_shape, indices, axis, out_is_gather).SerializeToString())
    rng = np.random.default_rng(5)
    for n in (4, 4, 2):
        x = rng.standard_normal([n if d == "n" else d for d in x_shape]).astype(np.float32)
        before = x.copy()
        outs = sess.run(None, {"x": x})
        want_g = np.take(before, np.array(indices), axis=axis)
        np.testing.assert_array_equal(x, before)
        np.testing.assert_allclose(outs[0], np.tanh(1 / (1 + np.exp(-want_g))), rtol=1e-6, atol=1e-6)
        if out_is_gather:
            np.testing.assert_array_equal(outs[1], want_g)
            assert not np.shares_memory(outs[1], x)
            x[...] = 7
            np.testing.assert_array_equal(outs[1], want_g)


def test_gather_view_outlives_later_buffers():
    """Views of a graph input are read after every arena block has been reused: a = Gather(x, 0)
    is read last, after intermediates of its size were written (they may take a's planned block)."""
    nodes = [helper.make_node("Gather", ["x", "zero"], ["a"], axis=0),
             helper.make_node("Gather", ["x", "one"], ["b"], axis=0),
             helper.make_node("Neg", ["b"], ["c"]), helper.make_node("Exp", ["c"], ["d"]),
             helper.make_node("Add", ["d", "a"], ["y"])]
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 8, 3])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                          [numpy_helper.from_array(np.array(0, np.int64), "zero"),
                           numpy_helper.from_array(np.array(1, np.int64), "one")])
    sess = onnxrt.InferenceSession(helper.make_model(g, opset_imports=[helper.make_opsetid("", 18)])
                                   .SerializeToString())
    rng = np.random.default_rng(6)
    for _ in range(3):
        x = rng.standard_normal((2, 8, 3)).astype(np.float32)
        (y,) = sess.run(None, {"x": x})
        np.testing.assert_allclose(y, np.exp(-x[1]) + x[0], rtol=1e-6, atol=1e-6)
