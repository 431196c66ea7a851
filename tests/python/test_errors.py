"""Every failure is an onnxrt exception of the right class whose message names the problem."""

from __future__ import annotations

import numpy as np
import pytest

import models
import onnxrt


def test_exception_hierarchy():
    for cls in [onnxrt.InvalidModel, onnxrt.InvalidArgument, onnxrt.NotImplemented,
                onnxrt.IoError, onnxrt.EngineError]:
        assert issubclass(cls, onnxrt.Error)
        assert cls.__module__ == "onnxrt"
    assert issubclass(onnxrt.NotImplemented, NotImplementedError)
    assert issubclass(onnxrt.InvalidArgument, ValueError)
    assert issubclass(onnxrt.IoError, OSError)
    assert issubclass(onnxrt.EngineError, RuntimeError)
    assert not issubclass(onnxrt.Error, (ValueError, OSError))


# ---- loading


def test_missing_file(tmp_path):
    path = tmp_path / "nope.onnx"
    with pytest.raises(onnxrt.IoError) as e:
        onnxrt.InferenceSession(str(path))
    assert "nope.onnx" in str(e.value)


@pytest.mark.parametrize("keep", [0.3, 0.6, 0.95])
def test_truncated_model_file(tmp_path, keep):
    data = models.matmul_softmax().SerializeToString()
    path = tmp_path / "truncated.onnx"
    path.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(onnxrt.InvalidModel) as e:
        onnxrt.InferenceSession(str(path))
    assert str(e.value)  # a reason, not an empty message


def test_truncated_model_bytes_every_prefix_fails_cleanly():
    """No prefix of a valid model crashes the reader; each either loads or raises onnxrt.Error."""
    data = models.gather_reshape().SerializeToString()
    for n in range(0, len(data), 7):
        try:
            onnxrt.InferenceSession(data[:n])
        except onnxrt.Error:
            pass


@pytest.mark.parametrize("seed", range(5))
def test_garbage_bytes(seed):
    garbage = np.random.default_rng(seed).integers(0, 256, size=4096, dtype=np.uint8).tobytes()
    with pytest.raises(onnxrt.InvalidModel):
        onnxrt.InferenceSession(garbage)


def test_empty_bytes_is_an_invalid_model():
    with pytest.raises(onnxrt.InvalidModel, match=r"(?i)graph|empty|no "):
        onnxrt.InferenceSession(b"")


def test_unknown_op_names_the_op_and_node():
    with pytest.raises(onnxrt.NotImplemented) as e:
        onnxrt.InferenceSession(models.unknown_op())
    assert "FrobnicateTensor" in str(e.value)
    assert "mystery" in str(e.value)
    assert isinstance(e.value, NotImplementedError)


def test_external_data_outside_the_model_directory(tmp_path):
    path = models.with_external_data(tmp_path / "model", location="../weights.bin")
    # The file exists where `..` points, so only the path check can refuse it.
    (tmp_path / "weights.bin").write_bytes((tmp_path / "model" / "weights.bin").read_bytes())
    with pytest.raises(onnxrt.IoError) as e:
        onnxrt.InferenceSession(str(path))
    assert "../weights.bin" in str(e.value) or "outside" in str(e.value)


def test_external_data_absolute_location_is_refused(tmp_path):
    path = models.with_external_data(tmp_path / "model", location=str(tmp_path / "model" / "weights.bin"))
    with pytest.raises(onnxrt.IoError) as e:
        onnxrt.InferenceSession(str(path))
    assert "weights.bin" in str(e.value)


def test_external_data_works_from_a_path_and_is_refused_from_bytes(tmp_path, ort_run):
    path = models.with_external_data(tmp_path / "model")
    x = np.arange(8, dtype=np.float32).reshape(2, 4) - 4
    (y,) = onnxrt.InferenceSession(str(path)).run(None, {"x": x})
    bias = np.fromfile(tmp_path / "model" / "weights.bin", dtype=np.float32)
    np.testing.assert_allclose(y, np.maximum(x + bias, 0), rtol=1e-6)
    # Bytes carry no directory: the caller must pass the path instead.
    with pytest.raises(onnxrt.InvalidArgument) as e:
        onnxrt.InferenceSession(path.read_bytes())
    assert "external" in str(e.value).lower() and "weights.bin" in str(e.value)


def test_missing_external_data_file(tmp_path):
    path = models.with_external_data(tmp_path / "model")
    (tmp_path / "model" / "weights.bin").unlink()
    with pytest.raises(onnxrt.IoError) as e:
        onnxrt.InferenceSession(str(path))
    assert "weights.bin" in str(e.value)


def test_not_a_model_type():
    with pytest.raises(TypeError, match="path, bytes or an onnx.ModelProto"):
        onnxrt.InferenceSession(12345)


# ---- running


@pytest.fixture(scope="module")
def sess():
    return onnxrt.InferenceSession(models.gather_reshape())


def _feeds():
    return models.random_feeds(models.gather_reshape(), 2)


def _names(msg: str, name: str) -> bool:
    """The message quotes the value's name (as the engine's messages do)."""
    return f"'{name}'" in msg or f'"{name}"' in msg


def test_wrong_input_name(sess):
    feeds = _feeds()
    feeds["idz"] = feeds.pop("ids")
    with pytest.raises(onnxrt.InvalidArgument) as e:
        sess.run(None, feeds)
    assert _names(str(e.value), "idz")


def test_missing_input(sess):
    feeds = _feeds()
    del feeds["x"]
    with pytest.raises(onnxrt.InvalidArgument) as e:
        sess.run(None, feeds)
    assert _names(str(e.value), "x")
    assert "missing" in str(e.value).lower()


def test_wrong_rank(sess):
    feeds = _feeds()
    feeds["x"] = np.zeros((2, 4, 1), np.float32)
    with pytest.raises(onnxrt.InvalidArgument) as e:
        sess.run(None, feeds)
    msg = str(e.value)
    assert _names(msg, "x")
    assert "rank" in msg.lower() or "3" in msg


def test_wrong_fixed_dim(sess):
    feeds = _feeds()
    feeds["x"] = np.zeros((2, 5), np.float32)  # declared [batch, 4]
    with pytest.raises(onnxrt.InvalidArgument) as e:
        sess.run(None, feeds)
    msg = str(e.value)
    assert _names(msg, "x")
    assert "4" in msg and "5" in msg


def test_inconsistent_symbolic_dim(sess):
    feeds = _feeds()
    feeds["x"] = np.zeros((3, 4), np.float32)  # ids has batch 2
    with pytest.raises(onnxrt.InvalidArgument) as e:
        sess.run(None, feeds)
    assert "batch" in str(e.value)


def test_wrong_dtype(sess):
    feeds = _feeds()
    feeds["x"] = feeds["x"].astype(np.float64)
    with pytest.raises(onnxrt.InvalidArgument) as e:
        sess.run(None, feeds)
    msg = str(e.value)
    assert _names(msg, "x") and "float" in msg and "double" in msg


def test_unknown_output_name(sess):
    with pytest.raises(onnxrt.InvalidArgument) as e:
        sess.run(["nope"], _feeds())
    assert _names(str(e.value), "nope")


def test_unsupported_numpy_dtype(sess):
    feeds = _feeds()
    feeds["x"] = np.zeros((2, 4), dtype="datetime64[s]")
    with pytest.raises(onnxrt.InvalidArgument, match="datetime64"):
        sess.run(None, feeds)


def test_string_tensor_with_non_strings():
    from onnx import TensorProto

    s = onnxrt.InferenceSession(models.identity(TensorProto.STRING, shape=(2,)))
    with pytest.raises(onnxrt.InvalidArgument, match="str"):
        s.run(None, {"x": np.array(["a", 3], dtype=object)})


def test_feed_must_be_a_dict(sess):
    with pytest.raises(TypeError):
        sess.run(None, [("x", np.zeros((2, 4), np.float32))])


def test_session_still_works_after_errors(sess, ort_run):
    feeds = _feeds()
    with pytest.raises(onnxrt.InvalidArgument):
        sess.run(None, {"x": feeds["x"]})
    out = sess.run(None, feeds)
    expected = ort_run(models.gather_reshape(), feeds)
    models.assert_close(out, expected)
