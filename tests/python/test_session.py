"""InferenceSession: parity with onnxruntime, introspection, options, dtype conversion."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto

import models
import onnxrt
from models import assert_close

try:
    import ml_dtypes
except ImportError:  # pragma: no cover
    ml_dtypes = None


@pytest.mark.parametrize("name", sorted(models.HELPER_MODELS))
@pytest.mark.parametrize("batch", [1, 3, 16])
def test_helper_models_match_onnxruntime(name, batch, ort_run):
    model = models.HELPER_MODELS[name]()
    feeds = models.random_feeds(model, batch, seed=batch)
    sess = onnxrt.InferenceSession(model.SerializeToString())
    assert_close(sess.run(None, feeds), ort_run(model, feeds))


def test_symbolic_batch_changes_between_runs_on_one_session(ort_run):
    model = models.gather_reshape()
    sess = onnxrt.InferenceSession(model)
    for batch in [2, 5, 1, 9, 0, 2]:
        feeds = models.random_feeds(model, batch, seed=batch)
        assert_close(sess.run(None, feeds), ort_run(model, feeds))


def test_load_from_path_bytes_and_modelproto_agree(tmp_path):
    model = models.matmul_softmax()
    path = tmp_path / "m.onnx"
    path.write_bytes(model.SerializeToString())
    feeds = models.random_feeds(model, 4)
    results = [
        onnxrt.InferenceSession(src).run(None, feeds)[0]
        for src in [str(path), path, model.SerializeToString(), model]
    ]
    for r in results[1:]:
        np.testing.assert_array_equal(r, results[0])


def test_output_names_select_and_order(ort_run):
    model = models.gather_reshape()
    feeds = models.random_feeds(model, 3)
    sess = onnxrt.InferenceSession(model)
    both = sess.run(["flat_relu", "y"], feeds)
    assert_close(both, ort_run(model, feeds, ["flat_relu", "y"]))
    (only,) = sess.run(["y"], feeds)
    np.testing.assert_array_equal(only, both[1])
    assert len(sess.run([], feeds)) == 2  # empty list means every output, like None


def test_inputs_and_outputs_describe_the_model():
    sess = onnxrt.InferenceSession(models.gather_reshape())
    inputs = sess.get_inputs()
    assert [i.name for i in inputs] == ["ids", "x"]
    assert [i.type for i in inputs] == ["tensor(int64)", "tensor(float)"]
    assert inputs[0].shape == ["batch", 3]
    assert inputs[1].shape == ["batch", 4]
    outputs = sess.get_outputs()
    assert [o.name for o in outputs] == ["y", "flat_relu"]
    assert all(o.type == "tensor(float)" for o in outputs)
    assert outputs[0].shape == ["batch", 5]
    assert "ids" in repr(inputs[0])


def test_unknown_dims_are_none_like_onnxruntime():
    model = models.add_relu()
    model.graph.input[0].type.tensor_type.shape.dim[0].Clear()
    sess = onnxrt.InferenceSession(model)
    assert sess.get_inputs()[0].shape == [None, 4]


def test_initializers_are_not_inputs():
    model = models.add_relu()
    # IR < 4 style: the initializer is also listed as a graph input (with a default value).
    model.graph.input.append(onnx.helper.make_tensor_value_info("b", TensorProto.FLOAT, [4]))
    sess = onnxrt.InferenceSession(model)
    x = np.ones((2, 4), np.float32)
    (y,) = sess.run(None, {"x": x})
    assert y.shape == (2, 4)


def test_model_metadata():
    sess = onnxrt.InferenceSession(models.with_metadata())
    md = sess.get_modelmeta()
    assert md.producer_name == "onnxrt-tests"
    assert md.graph_name == "meta_graph"
    assert md.domain == "org.onnxrt.test"
    assert md.description == "a model with metadata"
    assert md.version == 7
    assert md.custom_metadata_map == {"author": "tests", "purpose": "metadata"}


def test_providers_device_and_version():
    assert onnxrt.get_available_providers() == ["CPUExecutionProvider"]
    assert onnxrt.get_device() == "CPU"
    assert isinstance(onnxrt.__version__, str) and onnxrt.__version__
    model = models.add_relu()
    sess = onnxrt.InferenceSession(model, providers=["CPUExecutionProvider"])
    assert sess.get_providers() == ["CPUExecutionProvider"]
    sess = onnxrt.InferenceSession(model, providers=[("CPUExecutionProvider", {"arena": "1"})])
    assert sess.get_providers() == ["CPUExecutionProvider"]


def test_unavailable_provider_is_refused_by_name():
    with pytest.raises(ValueError, match="CUDAExecutionProvider.*CPUExecutionProvider"):
        onnxrt.InferenceSession(models.add_relu(), providers=["CUDAExecutionProvider"])


def test_session_options_are_kept_and_accept_onnxruntime_enums(tmp_path):
    import onnxruntime as ort

    opts = onnxrt.SessionOptions()
    opts.intra_op_num_threads = 2
    opts.graph_optimization_level = onnxrt.GraphOptimizationLevel.ORT_DISABLE_ALL
    opts.log_severity_level = 3
    sess = onnxrt.InferenceSession(models.matmul_softmax(), sess_options=opts)
    got = sess.get_session_options()
    assert got.intra_op_num_threads == 2
    assert got.graph_optimization_level == onnxrt.GraphOptimizationLevel.ORT_DISABLE_ALL
    assert int(onnxrt.GraphOptimizationLevel.ORT_ENABLE_ALL) == 99

    opts = onnxrt.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
    sess = onnxrt.InferenceSession(models.matmul_softmax(), opts)
    feeds = models.random_feeds(models.matmul_softmax(), 2)
    assert sess.run(None, feeds)[0].shape == (2, 5)


@pytest.mark.parametrize("level", list(onnxrt.GraphOptimizationLevel))
def test_every_optimization_level_gives_the_same_result(level, ort_run):
    model = models.gather_reshape()
    opts = onnxrt.SessionOptions()
    opts.graph_optimization_level = level
    feeds = models.random_feeds(model, 3)
    assert_close(onnxrt.InferenceSession(model, opts).run(None, feeds), ort_run(model, feeds))


def test_optimized_model_filepath_writes_a_loadable_model(tmp_path):
    opts = onnxrt.SessionOptions()
    opts.optimized_model_filepath = str(tmp_path / "opt.onnx")
    model = models.matmul_softmax()
    feeds = models.random_feeds(model, 3)
    expected = onnxrt.InferenceSession(model, opts).run(None, feeds)
    assert (tmp_path / "opt.onnx").exists()
    assert_close(onnxrt.InferenceSession(str(tmp_path / "opt.onnx")).run(None, feeds), expected)


def test_python_lists_and_scalars_are_converted_to_the_declared_type():
    sess = onnxrt.InferenceSession(models.add_relu())
    (y,) = sess.run(None, {"x": [[1, -2, 3, -4]]})
    assert y.dtype == np.float32 and y.shape == (1, 4)


def test_non_contiguous_input_gives_the_same_result():
    sess = onnxrt.InferenceSession(models.add_relu())
    base = np.arange(32, dtype=np.float32).reshape(8, 4) - 10
    strided = base[::2]  # every other row: not C-contiguous
    fortran = np.asfortranarray(base)
    expected = sess.run(None, {"x": np.ascontiguousarray(strided)})[0]
    np.testing.assert_array_equal(sess.run(None, {"x": strided})[0], expected)
    np.testing.assert_array_equal(sess.run(None, {"x": fortran})[0],
                                  sess.run(None, {"x": base})[0])


def test_outputs_are_writable_and_independent_of_inputs():
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    sess = onnxrt.InferenceSession(models.identity(TensorProto.FLOAT))
    (y,) = sess.run(None, {"x": x})
    np.testing.assert_array_equal(y, x)
    y[...] = -1  # must not write through into the caller's input
    np.testing.assert_array_equal(x, np.arange(6, dtype=np.float32).reshape(2, 3))
    (y2,) = sess.run(None, {"x": x})
    np.testing.assert_array_equal(y2, x)


def test_array_fast_path_agrees_with_the_general_path():
    # run() hands a plain dict of C-contiguous numeric arrays straight to the engine
    # (_sess.run_arrays); anything else takes the general encoding. Both must give the same
    # arrays, and a fed array changed after run() must not change the output.
    sess = onnxrt.InferenceSession(models.add_relu())
    x = np.arange(12, dtype=np.float32).reshape(3, 4) - 6
    fast = sess._sess.run_arrays({"x": x}, None)
    assert fast is not None and type(fast[0]) is np.ndarray
    (general,) = sess.run(None, {"x": x.tolist()})
    np.testing.assert_array_equal(fast[0], general)
    assert sess._sess.run_arrays({"x": x}, ["y"])[0].shape == (3, 4)
    x[...] = 100
    np.testing.assert_array_equal(fast[0], general)
    # Not for the fast path: a dict subclass, a strided view, a big-endian array, a list, a
    # non-str output name. run() still takes them (or reports them) as before.
    class Feeds(dict):
        pass

    base = np.arange(32, dtype=np.float32).reshape(8, 4) - 10
    for feeds, names in [({"x": base[::2]}, None), ({"x": base.astype(">f4")}, None),
                         ({"x": [[1.0, 2.0, 3.0, 4.0]]}, None), ({"x": base}, [0])]:
        assert sess._sess.run_arrays(feeds, names) is None
    np.testing.assert_array_equal(sess.run(None, Feeds(x=base))[0], sess.run(None, {"x": base})[0])
    with pytest.raises(onnxrt.InvalidArgument, match=">f4"):
        sess.run(None, {"x": base.astype(">f4")})
    with pytest.raises(onnxrt.InvalidArgument, match="nope"):
        sess.run(["nope"], {"x": base})
    with pytest.raises(onnxrt.InvalidArgument, match="'x'"):
        sess.run(None, {"x": base.astype(np.float64)})


def test_read_only_input_is_accepted():
    x = np.arange(8, dtype=np.float32).reshape(2, 4)
    x.flags.writeable = False
    sess = onnxrt.InferenceSession(models.add_relu())
    assert sess.run(None, {"x": x})[0].shape == (2, 4)


def test_outputs_outlive_the_session():
    sess = onnxrt.InferenceSession(models.matmul_softmax())
    feeds = models.random_feeds(models.matmul_softmax(), 3)
    (y,) = sess.run(None, feeds)
    expected = y.copy()
    del sess
    import gc

    gc.collect()
    np.testing.assert_array_equal(y, expected)


_NUMERIC = [
    (TensorProto.FLOAT, np.float32),
    (TensorProto.DOUBLE, np.float64),
    (TensorProto.FLOAT16, np.float16),
    (TensorProto.INT8, np.int8),
    (TensorProto.INT16, np.int16),
    (TensorProto.INT32, np.int32),
    (TensorProto.INT64, np.int64),
    (TensorProto.UINT8, np.uint8),
    (TensorProto.UINT16, np.uint16),
    (TensorProto.UINT32, np.uint32),
    (TensorProto.UINT64, np.uint64),
    (TensorProto.BOOL, np.bool_),
    (TensorProto.COMPLEX64, np.complex64),
    (TensorProto.COMPLEX128, np.complex128),
]


@pytest.mark.parametrize("onnx_type,np_type", _NUMERIC, ids=[t.__name__ for _, t in _NUMERIC])
def test_numeric_dtypes_round_trip(onnx_type, np_type):
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((2, 3)) * 50).astype(np_type)
    if np.dtype(np_type).kind == "c":
        x = x + 1j * np.ones((2, 3), np_type)
    (y,) = onnxrt.InferenceSession(models.identity(onnx_type)).run(None, {"x": x})
    assert y.dtype == np.dtype(np_type)
    np.testing.assert_array_equal(y, x)


@pytest.mark.parametrize("spelling", ["object", "unicode", "bytes"])
def test_string_tensors_round_trip_as_object_arrays(spelling):
    words = [["héllo", "", "b"], ["a longer string than sso", "x", "yz"]]
    if spelling == "object":
        x = np.array(words, dtype=object)
    elif spelling == "unicode":
        x = np.array(words)
    else:
        x = np.array([[w.encode() for w in row] for row in words], dtype=object)
    (y,) = onnxrt.InferenceSession(models.identity(TensorProto.STRING)).run(None, {"x": x})
    assert y.dtype == object and y.shape == (2, 3)
    assert y.tolist() == words


@pytest.mark.skipif(ml_dtypes is None, reason="ml_dtypes not installed")
@pytest.mark.parametrize(
    "onnx_type,name",
    [(TensorProto.BFLOAT16, "bfloat16"), (TensorProto.FLOAT8E4M3FN, "float8_e4m3fn"),
     (TensorProto.FLOAT8E5M2, "float8_e5m2")],
)
def test_ml_dtypes_round_trip(onnx_type, name):
    dtype = np.dtype(getattr(ml_dtypes, name))
    x = np.array([[0.5, -1.0, 2.0], [0.0, 3.0, -0.25]], dtype=np.float32).astype(dtype)
    (y,) = onnxrt.InferenceSession(models.identity(onnx_type)).run(None, {"x": x})
    assert y.dtype == dtype
    np.testing.assert_array_equal(y.astype(np.float32), x.astype(np.float32))


def test_scalar_and_empty_tensors():
    sess = onnxrt.InferenceSession(models.identity(TensorProto.FLOAT, shape=()))
    (y,) = sess.run(None, {"x": np.float32(2.5)})
    assert y.shape == () and y == np.float32(2.5)
    sess = onnxrt.InferenceSession(models.add_relu())
    (y,) = sess.run(None, {"x": np.zeros((0, 4), np.float32)})
    assert y.shape == (0, 4) and y.dtype == np.float32


@pytest.mark.parametrize("name", ["mlp", "cnn"])
def test_demo_models_match_torch_and_onnxruntime(name, demo_models, ort_run):
    data, x, expected = demo_models[name]
    sess = onnxrt.InferenceSession(data)
    input_name = sess.get_inputs()[0].name
    assert sess.get_inputs()[0].shape[0] == "batch"
    (ours,) = sess.run(None, {input_name: x})
    (theirs,) = ort_run(data, {input_name: x})
    assert ours.shape == expected.shape and ours.dtype == np.float32
    assert np.max(np.abs(ours - expected)) <= 1e-4
    np.testing.assert_allclose(ours, theirs, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("name", ["mlp", "cnn"])
def test_demo_models_with_other_batch_sizes(name, demo_models, ort_run):
    data, x, _ = demo_models[name]
    sess = onnxrt.InferenceSession(data)
    input_name = sess.get_inputs()[0].name
    for batch in [1, 2, 5]:
        xb = np.resize(x, (batch,) + x.shape[1:]).astype(np.float32)
        assert_close(sess.run(None, {input_name: xb}), ort_run(data, {input_name: xb}),
                     atol=1e-5, rtol=1e-4)


def test_list_functions_describe_the_engine():
    from onnxrt import _onnxrt

    ops = _onnxrt._list_ops()
    assert ("", "Relu") in ops and ("", "MatMul") in ops
    kernels = _onnxrt._list_kernels()
    assert any(k[1] == "Relu" and k[4] in ("float", "any") for k in kernels)
    for domain, op, since, until, dtype in kernels:
        assert since <= until and isinstance(dtype, str)


def test_proto_roundtrip_keeps_the_model():
    from onnxrt import _onnxrt

    model = models.with_metadata()
    data = _onnxrt._proto_roundtrip(model.SerializeToString())
    back = onnx.load_from_string(data)
    assert back.producer_name == "onnxrt-tests"
    assert [n.op_type for n in back.graph.node] == ["Add", "Relu"]
    np.testing.assert_array_equal(onnx.numpy_helper.to_array(back.graph.initializer[0]),
                                  onnx.numpy_helper.to_array(model.graph.initializer[0]))


def test_non_utf8_strings_survive_as_bytes():
    x = np.array([b"\xff\xfe", b"ok"], dtype=object)
    (y,) = onnxrt.InferenceSession(models.identity(TensorProto.STRING, shape=(2,))).run(None, {"x": x})
    assert y.tolist() == [b"\xff\xfe", "ok"]
