"""Weights held once (docs/performance.md, "Session creation and peak RSS").

A weight that every reader packs at session creation is dropped after packing; one with another
reader, or that is a graph output, is kept. A tied output projection (MatMul by the transposed
embedding table, as GPT-2 exports its lm_head) is packed from the table itself instead of from a
folded transposed copy. Weights stored at any alignment in the file are loaded right. Checked
against onnxruntime, run after run, with two sessions on one file, and by the peak RSS of a
fresh process.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

import onnxrt

VOCAB, HID = 50, 16


def tied_model(doc_pad: int = 0, vocab: int = VOCAB, hid: int = HID, seed: int = 0) -> onnx.ModelProto:
    """ids -> Gather(wte) -> MatMul(w_packed) -> FusedMatMul-able Add(w_shared is read twice) ->
    logits = MatMul(h, Transpose(wte)); w_out is both a MatMul weight and a graph output."""
    rng = np.random.default_rng(seed)
    f = lambda *s: rng.standard_normal(s).astype(np.float32)  # noqa: E731
    inits = [
        numpy_helper.from_array(f(vocab, hid), "wte"),
        numpy_helper.from_array(f(hid, hid), "w_packed"),
        numpy_helper.from_array(f(hid, hid), "w_shared"),
        numpy_helper.from_array(f(hid, hid), "w_out"),
    ]
    nodes = [
        helper.make_node("Gather", ["wte", "ids"], ["emb"]),
        helper.make_node("MatMul", ["emb", "w_packed"], ["h1"]),
        helper.make_node("MatMul", ["h1", "w_shared"], ["h2"]),
        helper.make_node("Mul", ["h2", "w_shared"], ["h3"]),  # a reader of w_shared's data
        helper.make_node("MatMul", ["h3", "w_out"], ["h4"]),
        helper.make_node("Transpose", ["wte"], ["wte_t"], perm=[1, 0]),
        helper.make_node("MatMul", ["h4", "wte_t"], ["logits"]),
    ]
    graph = helper.make_graph(
        nodes, "tied",
        [helper.make_tensor_value_info("ids", TensorProto.INT64, [2, hid])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, None),
         helper.make_tensor_value_info("w_out", TensorProto.FLOAT, None)],
        inits,
    )
    # doc_string comes before the graph in the file: its length moves every raw_data by a byte.
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)], doc_string="x" * doc_pad)
    model.ir_version = 8
    return model


def _ids(vocab: int = VOCAB) -> np.ndarray:
    return np.random.default_rng(1).integers(0, vocab, size=(2, HID), dtype=np.int64)


@pytest.mark.parametrize("doc_pad", [0, 1, 2, 3])
def test_released_and_kept_weights_match_onnxruntime(tmp_path, doc_pad):
    model = tied_model(doc_pad)
    path = tmp_path / "tied.onnx"
    onnx.save(model, path)
    feed = {"ids": _ids()}
    ref = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, feed)
    a = onnxrt.InferenceSession(str(path))
    b = onnxrt.InferenceSession(str(path))  # a second session on the same file
    c = onnxrt.InferenceSession(model.SerializeToString())
    for _ in range(3):
        for sess in (a, b, c):
            logits, w_out = sess.run(None, feed)
            np.testing.assert_allclose(logits, ref[0], rtol=1e-4, atol=1e-4)
            np.testing.assert_array_equal(w_out, ref[1])
    del a  # the other session keeps its weights
    np.testing.assert_allclose(b.run(None, feed)[0], ref[0], rtol=1e-4, atol=1e-4)


def test_tied_projection_is_fused_not_folded(tmp_path):
    path = tmp_path / "tied.onnx"
    onnx.save(tied_model(), path)
    out = tmp_path / "optimized.onnx"
    opts = onnxrt.SessionOptions()
    opts.optimized_model_filepath = str(out)
    onnxrt.InferenceSession(str(path), opts)
    g = onnx.load(out).graph
    ops = [n.op_type for n in g.node]
    assert "Transpose" not in ops
    fused = [n for n in g.node if n.op_type == "FusedMatMul" and "wte" in n.input]
    assert len(fused) == 1
    assert {a.name: a.i for a in fused[0].attribute}.get("trans_b") == 1
    # No transposed copy of the table among the initializers.
    assert all(tuple(i.dims) != (HID, VOCAB) for i in g.initializer)


_PEAK_PROBE = r"""
import json, sys
import onnxrt
def status(key):
    return next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith(key)) / 1024
before = status("VmRSS:")
s = onnxrt.InferenceSession(sys.argv[1])
print(json.dumps({"growth_mb": status("VmHWM:") - before}))
"""


def test_peak_rss_holds_each_weight_about_once(tmp_path):
    # A 16 MB embedding table (kept for the Gather, packed transposed for the output projection)
    # and three 4 MB weights (28 MB): measured 61 MB of growth when only the table and the two
    # weights with a second reader stay beside their packed copies (about 13 MB of it is the
    # library's code paged in), 100 MB when every original stays beside its packed copy and the
    # transposed table is folded into a copy of its own.
    vocab, hid = 4096, 1024
    path = tmp_path / "big.onnx"
    onnx.save(tied_model(vocab=vocab, hid=hid), path)
    p = subprocess.run([sys.executable, "-c", _PEAK_PROBE, str(path)], capture_output=True, text=True, check=True)
    growth = json.loads(p.stdout)["growth_mb"]
    weights_mb = (vocab * hid + 3 * hid * hid) * 4 / 2**20
    assert growth < 2 * weights_mb + 16, f"session creation grew the peak RSS by {growth:.0f} MB"


def linear_model(doc_pad: int, hid: int = 64) -> onnx.ModelProto:
    """Weights of 16 KB that only packing kernels read (MatMul, Gemm with transB, MatMul + Add that
    becomes a FusedMatMul) stay misaligned in the mapped file; a rank-3 MatMul weight is not packed
    and gets an aligned copy; a weight also read by an Add is copied at load."""
    rng = np.random.default_rng(doc_pad)
    f = lambda *s: (rng.standard_normal(s) * 0.2).astype(np.float32)  # noqa: E731
    inits = [numpy_helper.from_array(f(hid, hid), n) for n in ("w_mm", "w_gemm", "w_fused", "w_shared")]
    inits += [numpy_helper.from_array(f(2, hid, hid), "w_3d"), numpy_helper.from_array(f(hid), "bias")]
    nodes = [
        helper.make_node("MatMul", ["x", "w_mm"], ["a"]),
        helper.make_node("Gemm", ["a", "w_gemm"], ["b"], transB=1),
        helper.make_node("MatMul", ["b", "w_fused"], ["c0"]),
        helper.make_node("Add", ["c0", "bias"], ["c"]),
        helper.make_node("MatMul", ["c", "w_3d"], ["y_3d"]),
        helper.make_node("MatMul", ["c", "w_shared"], ["d"]),
        helper.make_node("Add", ["d", "w_shared"], ["y"]),
    ]
    graph = helper.make_graph(
        nodes, "linear", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [hid, hid])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None),
         helper.make_tensor_value_info("y_3d", TensorProto.FLOAT, None)],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)], doc_string="x" * doc_pad)
    model.ir_version = 8
    return model


@pytest.mark.parametrize("doc_pad", [0, 1, 2, 3])
def test_weights_read_in_place_at_any_alignment_match_onnxruntime(tmp_path, doc_pad):
    path = tmp_path / "linear.onnx"
    onnx.save(linear_model(doc_pad), path)
    feed = {"x": np.random.default_rng(7).standard_normal((64, 64)).astype(np.float32)}
    ref = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, feed)
    for threads in (1, 2):
        opts = onnxrt.SessionOptions()
        opts.intra_op_num_threads = threads
        sess = onnxrt.InferenceSession(str(path), opts)
        for _ in range(2):
            for got, want in zip(sess.run(None, feed), ref):
                np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
