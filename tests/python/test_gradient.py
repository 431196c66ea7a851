"""Gradient (ai.onnx.preview.training), lowered at load time into a backward graph
(src/passes/lower_gradient.cc): every supported op, with broadcasting, checked against
torch.autograd on the same expression."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import helper as h

import onnxrt

torch = pytest.importorskip("torch")

OPSET = 17


def gradient_model(nodes, inputs, y, xs, zs=(), opset=OPSET, dtype=onnx.TensorProto.FLOAT, initializers=(), grad_of=None):
    """A graph of `nodes` on `inputs` (name -> shape) plus Gradient(xs, zs -> y); outputs y, then dy/dx per x.
    `grad_of` names the Gradient's y attribute when it differs from the output y."""
    grads = [f"d_{x}" for x in xs]
    attrs = {"xs": list(xs), "y": grad_of or y} | ({"zs": list(zs)} if zs else {})
    grad = h.make_node("Gradient", list(xs) + list(zs), grads, domain="ai.onnx.preview.training", name="grad", **attrs)
    graph = h.make_graph(
        list(nodes) + [grad], "g",
        [h.make_tensor_value_info(n, dtype, s) for n, s in inputs.items()],
        [h.make_tensor_value_info(y, dtype, None)] + [h.make_tensor_value_info(g, dtype, None) for g in grads],
        initializer=list(initializers))
    model = h.make_model(graph, opset_imports=[h.make_opsetid("", opset), h.make_opsetid("ai.onnx.preview.training", 1)])
    return model.SerializeToString()


def run(model, feeds, **opts):
    so = onnxrt.SessionOptions()
    for k, v in opts.items():
        setattr(so, k, v)
    return onnxrt.InferenceSession(model, so).run(None, feeds)


def torch_grads(fn, feeds, xs):
    ts = {k: torch.tensor(v, requires_grad=k in xs) for k, v in feeds.items()}
    y = fn(ts)
    y.sum().backward()
    return y.detach().numpy(), [ts[x].grad.numpy() if ts[x].grad is not None else np.zeros_like(feeds[x]) for x in xs]


rng = np.random.default_rng(0)


def rand(*shape, positive=False):
    x = rng.standard_normal(shape).astype(np.float32)
    return np.abs(x) + 0.5 if positive else x


CASES = [
    # name, nodes, feeds, torch expression, xs
    ("add_broadcast", [h.make_node("Add", ["a", "b"], ["y"])], {"a": rand(2, 3, 4), "b": rand(3, 1)},
     lambda t: t["a"] + t["b"], ["a", "b"]),
    ("sub_mul", [h.make_node("Sub", ["a", "b"], ["c"]), h.make_node("Mul", ["c", "b"], ["y"])],
     {"a": rand(4, 1), "b": rand(1, 5)}, lambda t: (t["a"] - t["b"]) * t["b"], ["a", "b"]),
    ("div", [h.make_node("Div", ["a", "b"], ["y"])], {"a": rand(3, 4), "b": rand(4, positive=True)},
     lambda t: t["a"] / t["b"], ["a", "b"]),
    ("matmul_mlp", [h.make_node("MatMul", ["x", "w1"], ["h"]), h.make_node("Add", ["h", "b1"], ["hb"]),
                    h.make_node("Relu", ["hb"], ["r"]), h.make_node("MatMul", ["r", "w2"], ["o"]),
                    h.make_node("Sigmoid", ["o"], ["s"]), h.make_node("Tanh", ["s"], ["th"]),
                    h.make_node("Neg", ["th"], ["n"]), h.make_node("Identity", ["n"], ["y"])],
     {"x": rand(5, 3), "w1": rand(3, 4), "b1": rand(4), "w2": rand(4, 2)},
     lambda t: -torch.tanh(torch.sigmoid(torch.relu(t["x"] @ t["w1"] + t["b1"]) @ t["w2"])), ["x", "w1", "b1", "w2"]),
    ("batched_matmul_broadcast", [h.make_node("MatMul", ["a", "b"], ["y"])], {"a": rand(2, 3, 4, 5), "b": rand(5, 2)},
     lambda t: t["a"] @ t["b"], ["a", "b"]),
    ("reduce_sum_axes_input", [h.make_node("ReduceSum", ["a", "axes"], ["r"], keepdims=0), h.make_node("Mul", ["r", "r"], ["y"])],
     {"a": rand(2, 3, 4)}, lambda t: t["a"].sum(dim=(0, 2)) ** 2, ["a"]),
    ("reduce_mean_keepdims", [h.make_node("ReduceMean", ["a"], ["r"], axes=[1], keepdims=1), h.make_node("Mul", ["r", "a"], ["y"])],
     {"a": rand(3, 4)}, lambda t: t["a"].mean(dim=1, keepdim=True) * t["a"], ["a"]),
    ("reduce_mean_all", [h.make_node("ReduceMean", ["a"], ["y"], keepdims=0)], {"a": rand(3, 4, 2)},
     lambda t: t["a"].mean(), ["a"]),
    ("shared_value", [h.make_node("Mul", ["a", "a"], ["s"]), h.make_node("Add", ["s", "a"], ["y"])], {"a": rand(6)},
     lambda t: t["a"] * t["a"] + t["a"], ["a"]),
]


@pytest.mark.parametrize("name,nodes,feeds,fn,xs", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("level", ["ORT_DISABLE_ALL", "ORT_ENABLE_ALL"])
def test_matches_torch_autograd(name, nodes, feeds, fn, xs, level):
    inits = []
    if name == "reduce_sum_axes_input":
        inits = [onnx.numpy_helper.from_array(np.array([0, 2], np.int64), "axes")]
    model = gradient_model(nodes, {k: list(v.shape) for k, v in feeds.items()}, "y", xs, initializers=inits)
    y, *grads = run(model, feeds, graph_optimization_level=getattr(onnxrt.GraphOptimizationLevel, level))
    ty, tgrads = torch_grads(fn, feeds, xs)
    np.testing.assert_allclose(y, ty, rtol=1e-5, atol=1e-6)
    for x, g, tg in zip(xs, grads, tgrads):
        assert g.shape == feeds[x].shape, x
        np.testing.assert_allclose(g, tg, rtol=1e-4, atol=1e-5, err_msg=f"d y / d {x}")


def test_double_and_zs_and_unused_x():
    # zs are inputs that are not differentiated; an x that y does not depend on gets zeros.
    nodes = [h.make_node("Mul", ["a", "z"], ["y"])]
    feeds = {"a": rand(3).astype(np.float64), "z": rand(3).astype(np.float64), "u": rand(2, 2).astype(np.float64)}
    model = gradient_model(nodes, {k: list(v.shape) for k, v in feeds.items()}, "y", ["a", "u"], zs=["z"],
                           dtype=onnx.TensorProto.DOUBLE)
    y, da, du = run(model, feeds)
    np.testing.assert_allclose(da, feeds["z"])
    assert du.dtype == np.float64 and du.shape == (2, 2) and not du.any()


def test_unsupported_op_is_named():
    model = gradient_model([h.make_node("Exp", ["a"], ["y"], name="my_exp")], {"a": [3]}, "y", ["a"])
    with pytest.raises(Exception, match=r"no derivative for op 'Exp'.*my_exp"):
        onnxrt.InferenceSession(model)


def test_bad_attributes_are_errors():
    model = gradient_model([h.make_node("Neg", ["a"], ["y"])], {"a": [3]}, "y", ["a"], grad_of="nope")
    with pytest.raises(Exception, match="y 'nope' names no value"):
        onnxrt.InferenceSession(model)
    model = gradient_model([h.make_node("Neg", ["a"], ["y"])], {"a": [3]}, "y", ["a"], grad_of="d_a")
    with pytest.raises(Exception, match="output of the Gradient itself"):
        onnxrt.InferenceSession(model)
    model = gradient_model([h.make_node("Neg", ["a"], ["y"])], {"a": [3]}, "y", ["nope"])
    with pytest.raises(Exception):
        onnxrt.InferenceSession(model)
