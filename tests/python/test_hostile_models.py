"""Hostile and malformed models: each must give a clean onnxrt error that names the problem, never a
crash, a hang or an allocation the file cannot back. Built with onnx.helper, then corrupted."""

from __future__ import annotations

import os

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

import onnxrt

OPSET = 17


def model(nodes, inputs, outputs, inits=(), opset=OPSET, ir_version=10, check=False):
    g = helper.make_graph(nodes, "g", inputs, outputs, list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = ir_version
    return m


def vi(name, shape, elem=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, elem, shape)


def raw_tensor(name, dims, raw: bytes, elem=TensorProto.FLOAT) -> TensorProto:
    """A TensorProto with whatever dims and bytes we like (onnx.helper validates; we must not)."""
    t = TensorProto(name=name, data_type=elem, dims=dims)
    t.raw_data = raw
    return t


def load(m):
    return onnxrt.InferenceSession(m.SerializeToString() if isinstance(m, onnx.ModelProto) else m)


def test_cyclic_graph_is_an_error_naming_a_node():
    m = model([helper.make_node("Relu", ["b"], ["a"], name="n1"), helper.make_node("Relu", ["a"], ["b"], name="n2")],
              [vi("x", [1])], [vi("a", [1])])
    with pytest.raises(onnxrt.InvalidModel, match=r"cycle|n1|n2|'a'|'b'"):
        load(m)


def test_undefined_input_name_is_named():
    m = model([helper.make_node("Relu", ["nowhere"], ["y"], name="r")], [vi("x", [1])], [vi("y", [1])])
    with pytest.raises(onnxrt.InvalidModel, match="nowhere"):
        load(m)


def test_value_defined_twice_is_named():
    m = model([helper.make_node("Relu", ["x"], ["y"], name="r1"), helper.make_node("Neg", ["x"], ["y"], name="r2")],
              [vi("x", [1])], [vi("y", [1])])
    with pytest.raises(onnxrt.InvalidModel, match="'y'"):
        load(m)


def test_attribute_of_the_wrong_kind_is_named():
    node = helper.make_node("Softmax", ["x"], ["y"], name="sm")
    node.attribute.append(helper.make_attribute("axis", "not an int"))
    m = model([node], [vi("x", [2, 3])], [vi("y", [2, 3])])
    with pytest.raises(onnxrt.InvalidModel, match="axis"):
        load(m)


def test_unknown_domain_is_not_implemented():
    node = helper.make_node("Relu", ["x"], ["y"], name="r", domain="com.example.secret")
    m = model([node], [vi("x", [2])], [vi("y", [2])])
    m.opset_import.append(helper.make_opsetid("com.example.secret", 1))
    with pytest.raises(onnxrt.Error, match="com.example.secret"):
        load(m)


def test_huge_declared_tensor_in_tiny_file_is_refused_before_allocating():
    t = raw_tensor("w", [1000000, 1000000], b"\0" * 16)
    m = model([helper.make_node("Add", ["x", "w"], ["y"], name="add")], [vi("x", [1])], [vi("y", None)], [t])
    with pytest.raises(onnxrt.InvalidModel, match="'w'"):
        load(m)


def test_dim_product_overflow_is_refused():
    t = raw_tensor("w", [2**40, 2**40], b"\0" * 4)
    m = model([helper.make_node("Identity", ["w"], ["y"], name="id")], [], [vi("y", None)], [t])
    with pytest.raises(onnxrt.InvalidModel, match="'w'"):
        load(m)


def test_negative_dim_is_refused():
    t = raw_tensor("w", [-3], b"")
    m = model([helper.make_node("Identity", ["w"], ["y"], name="id")], [], [vi("y", None)], [t])
    with pytest.raises(onnxrt.InvalidModel, match="'w'"):
        load(m)


def test_raw_data_size_mismatch_is_refused():
    t = raw_tensor("w", [4], b"\0" * 7)
    m = model([helper.make_node("Identity", ["w"], ["y"], name="id")], [], [vi("y", None)], [t])
    with pytest.raises(onnxrt.InvalidModel, match="'w'"):
        load(m)


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited protobuf field."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _nested_if_bytes(depth: int) -> bytes:
    """A model whose If bodies nest `depth` deep. Written as raw protobuf, inside out, because the
    protobuf library itself refuses to build messages this deep."""
    y_info = _field(12, _field(1, b"y"))  # GraphProto.output = ValueInfoProto{name: "y"}
    leaf_node = _field(1, _field(1, b"x") + _field(2, b"y") + _field(4, b"Identity"))
    graph = leaf_node + y_info
    for _ in range(depth):
        attr = _field(1, b"then_branch") + _varint(20 << 3) + _varint(5) + _field(6, graph)
        node = _field(1, b"c") + _field(2, b"y") + _field(4, b"If") + _field(5, attr)
        graph = _field(1, node) + y_info
    inputs = _field(11, helper.make_tensor_value_info("c", TensorProto.BOOL, []).SerializeToString())
    inputs += _field(11, helper.make_tensor_value_info("x", TensorProto.FLOAT, [1]).SerializeToString())
    opset = _field(8, helper.make_opsetid("", OPSET).SerializeToString())
    return _varint(1 << 3) + _varint(10) + _field(7, graph + inputs) + opset


def test_subgraphs_thousands_deep_are_refused_cleanly():
    with pytest.raises(onnxrt.Error, match="(?i)deep|nest|depth"):
        load(_nested_if_bytes(3000))


@pytest.mark.parametrize("cut", [1, 10, 100, -1])
def test_truncated_model_bytes_are_refused(cut):
    w = helper.make_tensor("w", TensorProto.FLOAT, [64], np.arange(64, dtype=np.float32).tobytes(), raw=True)
    m = model([helper.make_node("Add", ["x", "w"], ["y"], name="add")], [vi("x", [64])], [vi("y", [64])], [w])
    data = m.SerializeToString()
    data = data[:cut] if cut > 0 else data[:-5]
    with pytest.raises(onnxrt.InvalidModel):
        load(data)


def test_random_garbage_never_crashes():
    rng = np.random.default_rng(0)
    for _ in range(200):
        data = rng.integers(0, 256, size=int(rng.integers(1, 400)), dtype=np.uint8).tobytes()
        try:
            load(data)
        except onnxrt.Error:
            pass


def test_byte_flips_of_a_valid_model_never_crash():
    w = helper.make_tensor("w", TensorProto.FLOAT, [8], np.ones(8, np.float32).tobytes(), raw=True)
    m = model([helper.make_node("Add", ["x", "w"], ["s"], name="add"), helper.make_node("Relu", ["s"], ["y"], name="r")],
              [vi("x", ["n", 8])], [vi("y", ["n", 8])], [w])
    data = bytearray(m.SerializeToString())
    rng = np.random.default_rng(1)
    x = np.ones((2, 8), np.float32)
    for _ in range(300):
        corrupt = bytearray(data)
        for _ in range(int(rng.integers(1, 4))):
            corrupt[int(rng.integers(0, len(corrupt)))] = int(rng.integers(0, 256))
        try:
            sess = load(bytes(corrupt))
            sess.run(None, {i.name: x for i in sess.get_inputs() if i.name == "x"})
        except onnxrt.Error:
            pass


def _external_model(tmp_path, location, offset=None, length=None, size=16):
    w = helper.make_tensor("w", TensorProto.FLOAT, [size // 4], np.ones(size // 4, np.float32).tobytes(), raw=True)
    w.ClearField("raw_data")
    w.data_location = TensorProto.EXTERNAL
    for k, v in (("location", location), ("offset", offset), ("length", length)):
        if v is not None:
            w.external_data.append(onnx.StringStringEntryProto(key=k, value=str(v)))
    m = model([helper.make_node("Add", ["x", "w"], ["y"], name="add")], [vi("x", [size // 4])], [vi("y", [size // 4])], [w])
    path = tmp_path / "model.onnx"
    path.write_bytes(m.SerializeToString())
    return str(path)


def test_external_data_absolute_path_is_refused(tmp_path):
    secret = tmp_path.parent / "secret.bin"
    secret.write_bytes(b"\0" * 16)
    with pytest.raises(onnxrt.Error, match="(?i)absolute|outside|location"):
        onnxrt.InferenceSession(_external_model(tmp_path, str(secret)))


def test_external_data_parent_escape_is_refused(tmp_path):
    (tmp_path / "model_dir").mkdir()
    (tmp_path / "w.bin").write_bytes(b"\0" * 16)
    with pytest.raises(onnxrt.Error, match=r"\.\.|outside"):
        onnxrt.InferenceSession(_external_model(tmp_path / "model_dir", "../w.bin"))


def test_external_data_symlink_escape_is_refused(tmp_path):
    (tmp_path / "model_dir").mkdir()
    outside = tmp_path / "outside.bin"
    outside.write_bytes(b"\0" * 16)
    os.symlink(outside, tmp_path / "model_dir" / "link.bin")
    with pytest.raises(onnxrt.Error, match="(?i)outside|symlink|link.bin"):
        onnxrt.InferenceSession(_external_model(tmp_path / "model_dir", "link.bin"))


def test_external_data_range_beyond_file_is_refused(tmp_path):
    (tmp_path / "w.bin").write_bytes(b"\0" * 16)
    with pytest.raises(onnxrt.Error, match="(?i)offset|length|beyond|size"):
        onnxrt.InferenceSession(_external_model(tmp_path, "w.bin", offset=8, length=16))


def test_external_data_inside_the_directory_loads(tmp_path):
    (tmp_path / "w.bin").write_bytes(np.full(4, 2.0, np.float32).tobytes())
    sess = onnxrt.InferenceSession(_external_model(tmp_path, "w.bin"))
    (y,) = sess.run(None, {"x": np.ones(4, np.float32)})
    np.testing.assert_array_equal(y, np.full(4, 3.0, np.float32))


@pytest.mark.parametrize(
    "feed, pattern",
    [
        ({"x": np.ones((2, 3), np.float32)}, r"rank|shape"),
        ({"x": np.ones((2, 3, 5), np.float32)}, r"dim 2|must be 4|shape"),
        ({"x": np.ones((2, 3, 4), np.float64)}, r"double|float"),
        ({"y": np.ones((2, 3, 4), np.float32)}, r"unknown input 'y'"),
        ({}, r"'x'.*missing"),
    ],
)
def test_bad_run_inputs_are_named(feed, pattern):
    m = model([helper.make_node("Relu", ["x"], ["y"], name="r")], [vi("x", ["n", 3, 4])], [vi("y", ["n", 3, 4])])
    sess = load(m)
    with pytest.raises(onnxrt.InvalidArgument, match=pattern):
        sess.run(None, feed)


# ---- hostile values at run time (found by fuzz/fuzz_run.cc; UBSan flags the old code in
# `make test-sanitize`, these check the defined results)


def test_uint16_mul_wraps_instead_of_overflowing_int():
    # uint16 operands are promoted to (signed) int, where 65535 * 65535 overflows.
    m = model([helper.make_node("Mul", ["a", "b"], ["y"], name="mul")],
              [vi("a", [3], TensorProto.UINT16), vi("b", [3], TensorProto.UINT16)], [vi("y", [3], TensorProto.UINT16)])
    a = np.array([65535, 65533, 300], np.uint16)
    (y,) = load(m).run(None, {"a": a, "b": a})
    np.testing.assert_array_equal(y, a * a)  # numpy wraps modulo 2**16


def test_range_with_far_apart_limits_is_refused():
    m = model([helper.make_node("Range", ["s", "l", "d"], ["y"], name="range")],
              [vi("s", [], TensorProto.INT64), vi("l", [], TensorProto.INT64), vi("d", [], TensorProto.INT64)],
              [vi("y", None, TensorProto.INT64)])
    sess = load(m)
    feeds = {"s": np.array(-(2**62) * 2, np.int64), "l": np.array(2**62, np.int64), "d": np.array(1, np.int64)}
    with pytest.raises(onnxrt.Error, match="range|too large|memory"):
        sess.run(None, feeds)
    feeds["d"] = np.array(2**62, np.int64)  # l - s overflows int64, but only 3 elements
    (y,) = sess.run(None, feeds)
    np.testing.assert_array_equal(y, np.arange(-(2**63), 2**62, 2**62, dtype=np.int64))


def test_output_shape_from_input_values_that_overflows_is_refused():
    m = model([helper.make_node("Expand", ["x", "shape"], ["y"], name="expand")],
              [vi("x", [1]), vi("shape", [3], TensorProto.INT64)], [vi("y", None)])
    sess = load(m)
    with pytest.raises(onnxrt.Error, match="expand.*(64 bits|int64|memory)"):
        sess.run(None, {"x": np.ones(1, np.float32), "shape": np.array([2**40, 2**40, 2**40], np.int64)})
    with pytest.raises(onnxrt.Error, match="expand.*memory"):
        sess.run(None, {"x": np.ones(1, np.float32), "shape": np.array([2**30, 2**30, 1], np.int64)})


@pytest.mark.parametrize("sizes", [[2**59, 0], [2**40, 1], [0, 2**59]])
def test_resize_that_grows_one_axis_and_empties_another_is_defined(sizes):
    # The output holds few elements but an intermediate of the separable passes, taken in axis
    # order, would hold 2**62 elements (the fuzzer found this as an exception that ended the
    # process).
    m = model([helper.make_node("Resize", ["x", "", "", "sizes"], ["y"], name="resize", mode="nearest")],
              [vi("x", [1, 8]), vi("sizes", [2], TensorProto.INT64)], [vi("y", None)])
    sess = load(m)
    feeds = {"x": np.arange(8, dtype=np.float32).reshape(1, 8), "sizes": np.array(sizes, np.int64)}
    try:
        (y,) = sess.run(None, feeds)
    except onnxrt.Error as e:  # a refusal is fine if it names the node and is not an internal error
        assert "resize" in str(e) and "exception" not in str(e), str(e)
    else:
        assert y.shape == tuple(sizes)


@pytest.mark.parametrize("mode", ["nearest", "linear", "cubic"])
def test_resize_shrinking_one_axis_and_growing_another_matches_reference(mode):
    from onnx.reference import ReferenceEvaluator
    m = model([helper.make_node("Resize", ["x", "", "scales"], ["y"], name="resize", mode=mode)],
              [vi("x", [2, 3, 16, 5]), vi("scales", [4])], [vi("y", None)])
    x = np.random.default_rng(0).standard_normal((2, 3, 16, 5)).astype(np.float32)
    feeds = {"x": x, "scales": np.array([1, 1, 0.25, 3], np.float32)}
    (want,) = ReferenceEvaluator(m).run(None, feeds)
    (got,) = load(m).run(None, feeds)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_clip_6_float_bounds_on_integers_saturate():
    # Clip before opset 11 bounds by float attributes (default -+FLT_MAX). On integer elements
    # (outside that schema, but loadable) they must saturate, not convert out of range (UB).
    def clip(**attrs):
        m = model([helper.make_node("Clip", ["x"], ["y"], name="clip", **attrs)],
                  [vi("x", [4], TensorProto.INT8)], [vi("y", [4], TensorProto.INT8)], opset=6)
        (y,) = load(m).run(None, {"x": np.array([-128, -1, 5, 127], np.int8)})
        return y.tolist()

    assert clip() == [-128, -1, 5, 127]
    assert clip(min=-1e10, max=3.7) == [-128, -1, 3, 3]


def test_dynamic_quantize_linear_of_infinities_is_defined():
    m = model([helper.make_node("DynamicQuantizeLinear", ["x"], ["y", "s", "zp"], name="dql")],
              [vi("x", [4])], [vi("y", [4], TensorProto.UINT8), vi("s", []), vi("zp", [], TensorProto.UINT8)])
    y, s, zp = load(m).run(None, {"x": np.array([np.inf, -np.inf, np.nan, 1], np.float32)})
    assert y.dtype == np.uint8 and zp.dtype == np.uint8


def test_qlinear_matmul_with_zero_output_scale_is_defined():
    n = helper.make_node("QLinearMatMul", ["a", "as", "az", "b", "bs", "bz", "ys", "yz"], ["y"], name="qmm")
    u8 = TensorProto.UINT8
    m = model([n], [vi("a", [2, 2], u8), vi("as", []), vi("az", [], u8), vi("b", [2, 2], u8), vi("bs", []),
                    vi("bz", [], u8), vi("ys", []), vi("yz", [], u8)], [vi("y", [2, 2], u8)])
    u = np.full((2, 2), 3, np.uint8)
    z, one = np.array(0, np.uint8), np.array(1, np.float32)
    (y,) = load(m).run(None, {"a": u, "as": one, "az": z, "b": u, "bs": one, "bz": z, "ys": np.array(0, np.float32), "yz": z})
    assert y.shape == (2, 2)


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf, 1e30])
@pytest.mark.parametrize("mode", ["linear", "nearest", "cubic"])
def test_grid_sample_with_non_finite_or_huge_coordinates_is_defined(value, mode):
    m = model([helper.make_node("GridSample", ["x", "g"], ["y"], name="gs", mode=mode)],
              [vi("x", [1, 1, 3, 3]), vi("g", [1, 2, 2, 2])], [vi("y", [1, 1, 2, 2])], opset=20)
    g = np.full((1, 2, 2, 2), value, np.float32)
    (y,) = load(m).run(None, {"x": np.ones((1, 1, 3, 3), np.float32), "g": g})
    assert y.shape == (1, 1, 2, 2)
