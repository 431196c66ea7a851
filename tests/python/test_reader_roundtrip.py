"""onnxrt's own protobuf reader and writer must reproduce every model exactly.

Each model is parsed by onnxrt's wire-format reader and serialized back by its writer
(``_onnxrt._proto_roundtrip``); the result must parse with the reference protobuf library into a
message equal to the original, field presence and unknown fields included.
"""

from __future__ import annotations

import glob
import os

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

try:
    from onnxrt import _onnxrt

    _roundtrip = getattr(_onnxrt, "_proto_roundtrip", None)
except ImportError:  # the extension is not built
    _roundtrip = None

pytestmark = pytest.mark.skipif(
    _roundtrip is None, reason="onnxrt._onnxrt._proto_roundtrip is missing (extension not built or too old)"
)

BACKEND_DATA = os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data")
BACKEND_MODELS = sorted(glob.glob(os.path.join(BACKEND_DATA, "**", "model.onnx"), recursive=True))


def roundtrip(model: onnx.ModelProto) -> onnx.ModelProto:
    out = _roundtrip(model.SerializeToString())
    return onnx.load_from_string(out)


def _all_dtypes_model() -> onnx.ModelProto:
    rng = np.random.default_rng(0)
    inits = [
        numpy_helper.from_array(rng.standard_normal((2, 3)).astype(np.float32), "f32"),
        numpy_helper.from_array(rng.standard_normal((3,)).astype(np.float64), "f64"),
        numpy_helper.from_array(rng.integers(-100, 100, (4,)).astype(np.int8), "i8"),
        numpy_helper.from_array(np.array([1, 2**40, -5], np.int64), "i64"),
        numpy_helper.from_array(np.array([2**63 + 5], np.uint64), "u64"),
        numpy_helper.from_array(np.array([True, False]), "b"),
        numpy_helper.from_array(np.array([1.5, -2], np.float16), "f16"),
        numpy_helper.from_array(np.array([b"x", b"\x00\xff"], dtype=object), "s"),
        numpy_helper.from_array(np.array([1 + 2j], np.complex64), "c64"),
        helper.make_tensor("i4", TensorProto.INT4, [3], [1, -2, 7]),
        helper.make_tensor("bf16", TensorProto.BFLOAT16, [2], [1.0, 2.0]),
        helper.make_tensor("f8", TensorProto.FLOAT8E4M3FN, [2], [1.0, -0.5]),
        helper.make_tensor("u32typed", TensorProto.UINT32, [2], [1, 4000000000]),
        helper.make_tensor("f32typed", TensorProto.FLOAT, [2], [1.0, float("inf")]),
    ]
    then_g = helper.make_graph(
        [helper.make_node("Identity", ["f32"], ["t"])], "then", [], [helper.make_tensor_value_info("t", 1, None)]
    )
    else_g = helper.make_graph(
        [helper.make_node("Neg", ["f32"], ["e"])], "else", [], [helper.make_tensor_value_info("e", 1, ["N", 3])]
    )
    nodes = [
        helper.make_node("If", ["cond"], ["y"], then_branch=then_g, else_branch=else_g, name="if"),
        helper.make_node(
            "Custom",
            ["y"],
            ["z"],
            domain="my.domain",
            f=0.5,
            i=-3,
            s=b"bytes\x00",
            ints=[1, -1, 2**40],
            floats=[0.0, -1.5],
            strings=[b"a", b""],
            t=inits[0],
            tensors=[inits[1], inits[2]],
            graphs=[then_g],
            tp=helper.make_sequence_type_proto(helper.make_tensor_type_proto(1, ["a", None, 3])),
            doc_string="doc",
        ),
    ]
    inputs = [
        helper.make_tensor_value_info("cond", TensorProto.BOOL, []),
        helper.make_value_info("seq", helper.make_sequence_type_proto(helper.make_tensor_type_proto(7, None))),
        helper.make_value_info(
            "m", helper.make_map_type_proto(TensorProto.STRING, helper.make_tensor_type_proto(1, [2]))
        ),
        helper.make_value_info("opt", helper.make_optional_type_proto(helper.make_tensor_type_proto(1, [0]))),
        helper.make_value_info("sp", helper.make_sparse_tensor_type_proto(1, [5, "k"])),
    ]
    sparse = helper.make_sparse_tensor(
        helper.make_tensor("spv", TensorProto.FLOAT, [2], [1.0, 2.0]),
        helper.make_tensor("spi", TensorProto.INT64, [2], [0, 3]),
        [4],
    )
    graph = helper.make_graph(
        nodes,
        "all",
        inputs,
        [helper.make_tensor_value_info("z", TensorProto.FLOAT, ["N", 3])],
        initializer=inits,
        sparse_initializer=[sparse],
        value_info=[helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        doc_string="graph doc",
    )
    fn = helper.make_function(
        "my.domain",
        "Fn",
        ["a"],
        ["b"],
        [helper.make_node("Relu", ["a"], ["b"])],
        [helper.make_opsetid("", 17)],
        attributes=["alpha"],
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("my.domain", 1)],
        ir_version=10,
        producer_name="test",
        producer_version="1.0",
        domain="ai.test",
        model_version=3,
        doc_string="model doc",
        functions=[fn],
    )
    helper.set_model_props(model, {"k": "v", "empty": ""})
    ext = model.graph.initializer.add()
    ext.name = "external"
    ext.data_type = TensorProto.FLOAT
    ext.dims.extend([4])
    ext.data_location = TensorProto.EXTERNAL
    entry = ext.external_data.add()
    entry.key, entry.value = "location", "w.bin"
    return model


def test_helper_model_with_every_field_kind():
    model = _all_dtypes_model()
    assert roundtrip(model) == model


def test_defaults_present_vs_absent():
    model = onnx.ModelProto()
    model.ir_version = 0  # set explicitly to the default: must stay present
    model.graph.name = ""
    out = roundtrip(model)
    assert out == model
    assert out.HasField("ir_version") and out.HasField("graph")


def test_unknown_fields_survive():
    model = helper.make_model(helper.make_graph([], "g", [], []))
    raw = model.SerializeToString() + bytes([0xF8, 0x3E, 0x07])  # field 999, varint 7
    out = _roundtrip(raw)
    assert out.endswith(bytes([0xF8, 0x3E, 0x07]))


def test_malformed_bytes_raise():
    with pytest.raises(Exception, match="truncated"):
        _roundtrip(b"\x08\x80")


@pytest.mark.skipif(not BACKEND_MODELS, reason="the onnx backend test data is not installed")
def test_backend_suite_models():
    failures = []
    for path in BACKEND_MODELS:
        original = onnx.load(path, load_external_data=False)
        try:
            out = onnx.load_from_string(_roundtrip(open(path, "rb").read()))
        except Exception as e:  # noqa: BLE001 - collect and report every failing model
            failures.append(f"{path}: {e}")
            continue
        if out != original:
            failures.append(f"{path}: differs after round trip")
    assert not failures, f"{len(failures)} of {len(BACKEND_MODELS)} models failed:\n" + "\n".join(failures[:20])
