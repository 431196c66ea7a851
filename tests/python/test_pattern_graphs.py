"""Random graphs of the patterns the graph passes rewrite, and near misses of them
(pattern_graphs.py): onnxrt's optimized and unoptimized results must equal onnxruntime's (its
kernels without its fusions), so a fusion that fires where it should not, or drops a value
another node reads, fails here with the seed that shows it."""

from __future__ import annotations

import collections

import onnx
import pytest

import onnxrt
import pattern_graphs

SEEDS = range(0, 600)


@pytest.mark.parametrize("first", range(SEEDS.start, SEEDS.stop, 100))
def test_pattern_graphs_match_onnxruntime(first):
    failures = []
    for seed in range(first, first + 100):
        why = pattern_graphs.compare(seed, threads=1 + seed % 2)
        if why:
            failures.append(f"seed {seed} ({pattern_graphs.build(seed)[2]}): {why}")
    assert not failures, "\n".join(failures)


def test_pattern_graphs_reach_the_fusions(tmp_path):
    """The seeds above exercise the passes: each fused op appears in some optimized graph, and
    some near misses stay unfused (a generator that stopped producing either would make the test
    above pass vacuously)."""
    fused = collections.Counter()
    for seed in SEEDS:
        model, _, _ = pattern_graphs.build(seed)
        opts = onnxrt.SessionOptions()
        opts.optimized_model_filepath = str(tmp_path / "opt.onnx")
        try:
            onnxrt.InferenceSession(model.SerializeToString(), opts)
        except Exception:
            continue
        for n in onnx.load(opts.optimized_model_filepath).graph.node:
            fused[(n.domain, n.op_type)] += 1
    for op in ["FusedMatMul", "FusedAttention", "RMSNormalization", "FusedConv"]:
        assert fused[("com.onnxrt", op)] > 0, (op, fused)
    assert fused[("com.onnxrt", "LayerNormalization")] > 0, fused
    assert fused[("", "ReduceMean")] > 0, fused  # a LayerNorm / RMSNorm over the wrong axis stays as written
