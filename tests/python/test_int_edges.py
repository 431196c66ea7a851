"""Replays what the integer-edge sweep (fuzz/int_edges.py) found and what was fixed: onnx backend
node cases with one integer attribute or input element set to an int32/int64 edge. Each crashed,
hung or ended in an escaped C++ exception; each must now give a result or a clear error."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

import onnxrt

_spec = importlib.util.spec_from_file_location(
    "onnxrt_int_edges", Path(__file__).resolve().parents[2] / "fuzz" / "int_edges.py")
int_edges = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(int_edges)

I64_MAX, I64_MIN = 2**63 - 1, -(2**63)

FOUND = [
    # Y's width max(ngram_indexes) + 1 overflowed (heap corruption); max_skip_count looped.
    ("test_tfidfvectorizer_tf_uniandbigrams_skip5", f"node0.ngram_indexes[4]={I64_MAX}"),
    ("test_tfidfvectorizer_tf_uniandbigrams_skip5", f"node0.ngram_indexes[5]={I64_MIN}"),
    ("test_tfidfvectorizer_tf_batch_onlybigrams_skip5", f"node0.max_skip_count={I64_MAX}"),
    ("test_tfidfvectorizer_tf_only_bigrams_skip0", "node0.max_skip_count=1000000007"),
    # The 2-D MaxPool microkernels stepped through every tap of a SAME-padded huge window.
    ("test_maxpool_2d_same_upper", f"node0.kernel_shape[1]={I64_MAX}"),
    ("test_maxpool_2d_same_lower", "node0.kernel_shape[0]=1000000007"),
    # A sampling grid of 2**62 points per bin: out of range vector, or a wild write.
    ("test_roialign_aligned_false", f"node0.sampling_ratio={I64_MAX}"),
    ("test_roialign_mode_max", "node0.sampling_ratio=2147483647"),
    # write index + sequence length overflowed past the bounds check.
    ("test_tensorscatter", f"input2[0]={I64_MAX}"),
    ("test_tensorscatter_3d", f"input2[0]={I64_MAX}"),
    # Signed overflow that Release survives; `make test-sanitize` (UBSan) stops on the old code.
    ("test_affine_grid_2d_expanded", f"node53.value_ints[0]={I64_MAX}"),  # memory plan of [I64_MAX, 4]
    ("test_attention_4d_causal_nonpad_batch_prefill", f"input3[0]={I64_MIN}"),  # nonpad_kv_seqlen
    ("test_averagepool_2d_same_upper", f"node0.kernel_shape[0]={I64_MAX}"),  # window clipping
    ("test_col2im_5d", f"input2[0]={I64_MAX}"),  # block_shape product
    ("test_eyelike_populate_off_main_diagonal", f"node0.k={I64_MAX}"),  # row + k
    ("test_eyelike_populate_off_main_diagonal", f"node0.k={I64_MIN}"),
    ("test_gru_bidirectional", f"node0.hidden_size={I64_MAX}"),  # gates * hidden_size
    ("test_lrn", f"node0.size={I64_MAX}"),  # the cost estimate inner * size
    ("test_maxunpool_export_without_output_shape", f"node0.strides[0]={I64_MAX}"),  # the unpooled size
    ("test_maxunpool_export_with_output_shape", f"node0.kernel_shape[0]={I64_MAX}"),
    ("test_maxunpool_export_with_output_shape", f"node0.strides[0]={2**62}"),  # the implied count
    ("test_split_to_sequence_2", f"input1[0]={I64_MAX}"),  # the sum of split sizes
]


@pytest.fixture(scope="module")
def cases():
    return {c.name: c for c in int_edges.node_cases()}


@pytest.mark.parametrize("name,label", FOUND)
def test_integer_edge_gives_a_result_or_a_clear_error(cases, name, label):
    m, ins = int_edges.apply(cases[name], label)
    assert int_edges.run_case(m, ins) is None


def test_roialign_with_a_huge_grid_names_the_limit(cases):
    m, ins = int_edges.apply(cases["test_roialign_aligned_false"], f"node0.sampling_ratio={I64_MAX}")
    session = onnxrt.InferenceSession(m.SerializeToString())
    names = [i.name for i in m.graph.input]
    with pytest.raises(onnxrt.Error, match="RoiAlign.*sampling_ratio 9223372036854775807.*limit"):
        session.run(None, dict(zip(names, ins)))


def test_huge_same_padded_maxpool_window_is_the_global_max(cases):
    # Every window covers the whole plane, so each output is the plane's maximum.
    m, ins = int_edges.apply(cases["test_maxpool_2d_same_upper"], "node0.kernel_shape[0]=1000000007")
    m, ins = int_edges.apply_to(m, ins, "node0.kernel_shape[1]=65536")
    (y,) = onnxrt.InferenceSession(m.SerializeToString()).run(None, {m.graph.input[0].name: ins[0]})
    want = ins[0].max(axis=(2, 3), keepdims=True)
    assert y.shape == ins[0].shape
    assert (y == want).all()
