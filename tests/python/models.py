"""A small zoo of test models: graphs built with onnx.helper, and the demo's PyTorch models.

Every builder returns an onnx.ModelProto with a fixed seed, so onnxrt and onnxruntime see the
same weights. IR version 10 keeps the models readable by the pinned onnxruntime (onnx 1.23 would
otherwise stamp an IR version newer than onnxruntime accepts).
"""

from __future__ import annotations

import importlib.util
import pathlib

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

IR_VERSION = 10
OPSET = 17
REPO = pathlib.Path(__file__).resolve().parents[2]


def make_model(nodes, inputs, outputs, initializers=(), opset=OPSET, name="g", **meta):
    graph = helper.make_graph(nodes, name, inputs, outputs, initializer=list(initializers))
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=IR_VERSION, **meta
    )
    return model


def _w(rng, name, shape, dtype=np.float32):
    return numpy_helper.from_array(rng.standard_normal(shape).astype(dtype), name)


def add_relu(batch="batch"):
    """y = Relu(x + b), x: [batch, 4] float."""
    rng = np.random.default_rng(1)
    return make_model(
        [helper.make_node("Add", ["x", "b"], ["s"], name="add0"),
         helper.make_node("Relu", ["s"], ["y"], name="relu0")],
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [batch, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [batch, 4])],
        [_w(rng, "b", [4])],
    )


def matmul_softmax():
    """y = Softmax(Relu(x @ W + b)), x: [batch, 8]."""
    rng = np.random.default_rng(2)
    return make_model(
        [helper.make_node("MatMul", ["x", "W"], ["m"], name="mm"),
         helper.make_node("Add", ["m", "b"], ["a"], name="bias"),
         helper.make_node("Relu", ["a"], ["r"], name="relu"),
         helper.make_node("Softmax", ["r"], ["y"], name="softmax", axis=-1)],
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 5])],
        [_w(rng, "W", [8, 5]), _w(rng, "b", [5])],
    )


def gather_reshape():
    """Embedding lookup: Gather(table, ids) -> Reshape [batch, 3*6] -> MatMul -> Add.

    Two inputs (int64 ids [batch, 3], float x [batch, 4]), two outputs.
    """
    rng = np.random.default_rng(3)
    return make_model(
        [helper.make_node("Gather", ["table", "ids"], ["emb"], name="gather", axis=0),
         helper.make_node("Reshape", ["emb", "shape"], ["flat"], name="reshape"),
         helper.make_node("MatMul", ["flat", "W"], ["proj"], name="mm"),
         helper.make_node("MatMul", ["x", "W2"], ["xp"], name="mm2"),
         helper.make_node("Add", ["proj", "xp"], ["y"], name="add"),
         helper.make_node("Relu", ["flat"], ["flat_relu"], name="relu")],
        [helper.make_tensor_value_info("ids", TensorProto.INT64, ["batch", 3]),
         helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 5]),
         helper.make_tensor_value_info("flat_relu", TensorProto.FLOAT, ["batch", 18])],
        [_w(rng, "table", [10, 6]),
         numpy_helper.from_array(np.array([-1, 18], dtype=np.int64), "shape"),
         _w(rng, "W", [18, 5]), _w(rng, "W2", [4, 5])],
    )


def identity(dtype: int, shape=(2, 3)):
    """y = Identity(x) for one element type; checks numpy <-> tensor conversion."""
    return make_model(
        [helper.make_node("Identity", ["x"], ["y"], name="id")],
        [helper.make_tensor_value_info("x", dtype, list(shape))],
        [helper.make_tensor_value_info("y", dtype, list(shape))],
    )


def with_metadata():
    model = add_relu()
    model.producer_name = "onnxrt-tests"
    model.producer_version = "1.2.3"
    model.domain = "org.onnxrt.test"
    model.model_version = 7
    model.doc_string = "a model with metadata"
    model.graph.name = "meta_graph"
    helper.set_model_props(model, {"author": "tests", "purpose": "metadata"})
    return model


def unknown_op():
    return make_model(
        [helper.make_node("FrobnicateTensor", ["x"], ["y"], name="mystery")],
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])],
    )


def with_external_data(directory: pathlib.Path, location: str = "weights.bin"):
    """add_relu with its bias in an external file; returns the model path.

    `location` is written into the model as is, so tests can point it outside the directory.
    """
    directory.mkdir(parents=True, exist_ok=True)
    model = add_relu()
    bias = numpy_helper.to_array(model.graph.initializer[0])
    (directory / "weights.bin").write_bytes(bias.tobytes())
    init = model.graph.initializer[0]
    init.ClearField("float_data")
    init.ClearField("raw_data")
    init.data_location = TensorProto.EXTERNAL
    for key, value in [("location", location), ("offset", "0"), ("length", str(bias.nbytes))]:
        entry = init.external_data.add()
        entry.key, entry.value = key, value
    path = directory / "model.onnx"
    path.write_bytes(model.SerializeToString())
    return path


# ---- the demo's PyTorch models (examples/python/demo.py is the single definition)


def load_demo():
    spec = importlib.util.spec_from_file_location("onnxrt_demo", REPO / "examples/python/demo.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def computed_reshape_gemm():
    """The TorchScript exporter's flatten before a Linear: Reshape(x, Concat(Slice(Shape(x)), [-1]))
    with the slice bounds in Constant nodes, then Gemm. The Reshape's rank is unknown when the
    model is loaded (the Constants are folded later), and Gemm must still accept it.
    """
    rng = np.random.default_rng(5)
    const = lambda name, values: helper.make_node(  # noqa: E731
        "Constant", [], [name], name=name, value=numpy_helper.from_array(np.array(values, np.int64)))
    return make_model(
        [helper.make_node("Shape", ["x"], ["shape"], name="shape"),
         const("zero", [0]), const("one", [1]), const("minus_one", [-1]),
         helper.make_node("Slice", ["shape", "zero", "one", "zero"], ["batch_dim"], name="slice"),
         helper.make_node("Concat", ["batch_dim", "minus_one"], ["target"], name="concat", axis=0),
         helper.make_node("Reshape", ["x", "target"], ["flat"], name="flatten"),
         helper.make_node("Gemm", ["flat", "W", "b"], ["y"], name="linear", transB=1)],
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4, 6])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 5])],
        [_w(rng, "W", [5, 24]), _w(rng, "b", [5])],
    )


HELPER_MODELS = {
    "add_relu": add_relu,
    "matmul_softmax": matmul_softmax,
    "gather_reshape": gather_reshape,
    "computed_reshape_gemm": computed_reshape_gemm,
}


def random_feeds(model: onnx.ModelProto, batch: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Inputs for a helper model: symbolic dims set to `batch`; ints are valid Gather indices."""
    rng = np.random.default_rng(seed)
    feeds = {}
    init_names = {i.name for i in model.graph.initializer}
    for v in model.graph.input:
        if v.name in init_names:
            continue
        tt = v.type.tensor_type
        shape = [d.dim_value if d.HasField("dim_value") else batch for d in tt.shape.dim]
        dtype = helper.tensor_dtype_to_np_dtype(tt.elem_type)
        if dtype.kind in "iu":
            feeds[v.name] = rng.integers(0, 10, size=shape).astype(dtype)
        else:
            feeds[v.name] = rng.standard_normal(shape).astype(dtype)
    return feeds


def assert_close(actual, expected, atol=1e-5, rtol=1e-5):
    assert len(actual) == len(expected)
    for a, e in zip(actual, expected):
        assert isinstance(a, np.ndarray)
        assert a.dtype == e.dtype, (a.dtype, e.dtype)
        assert a.shape == e.shape, (a.shape, e.shape)
        np.testing.assert_allclose(a, e, atol=atol, rtol=rtol)
