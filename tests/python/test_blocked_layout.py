"""A small MobileNetV2 exported by torch.onnx with a dynamic batch runs its pointwise and depthwise
convs in the channel-blocked layout (passes/block_channels.cc) on CPUs with AVX2 but not AVX-512,
and gives what
PyTorch and onnxruntime give at several batch sizes and thread counts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

import onnxrt
import torch_zoo


def _blocked_layout_enabled() -> bool:
    """The pass's own condition (block_channels_enabled): AVX2 and FMA, no AVX-512."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    avx512 = all(f" {f}" in flags for f in ("avx512f", "avx512bw", "avx512dq", "avx512vl"))
    return " avx2" in flags and " fma" in flags and not avx512


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    model = torch_zoo.build("mobilenetv2_stack")
    args = torch_zoo.inputs("mobilenetv2_stack", 3)
    path = tmp_path_factory.mktemp("blocked") / "mobilenetv2_stack.onnx"
    torch.onnx.export(model, args, str(path), dynamo=True, verbose=False,
                      dynamic_shapes=({0: torch.export.Dim("batch")},))
    return model, path


def test_optimized_graph_uses_the_blocked_layout(exported, tmp_path):
    _, path = exported
    opts = onnxrt.SessionOptions()
    opts.optimized_model_filepath = str(tmp_path / "optimized.onnx")
    onnxrt.InferenceSession(str(path), opts)
    ops = [n.op_type for n in onnx.load(opts.optimized_model_filepath).graph.node]
    if not _blocked_layout_enabled():
        assert "BlockedConv" not in ops
        return
    # The stem (3 input channels, read NCHW, written blocked), 3 blocks x 3 convs and the 1x1
    # head: no layout change on the way in, one on the way out.
    assert ops.count("BlockedConv") == 11, ops
    assert ops.count("ToBlocked") == 0 and ops.count("FromBlocked") == 1, ops
    stems = [n for n in onnx.load(opts.optimized_model_filepath).graph.node
             if n.op_type == "BlockedConv" and any(a.name == "x_layout" and a.s == b"NCHW" for a in n.attribute)]
    assert len(stems) == 1, stems


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("batch", [1, 2, 5])
def test_matches_pytorch_and_onnxruntime(exported, batch, threads):
    model, path = exported
    (x,) = torch_zoo.inputs("mobilenetv2_stack", batch)
    opts = onnxrt.SessionOptions()
    opts.intra_op_num_threads = threads
    ours = onnxrt.InferenceSession(str(path), opts)
    theirs = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    name = ours.get_inputs()[0].name
    got = ours.run(None, {name: x.numpy()})[0]
    np.testing.assert_allclose(got, theirs.run(None, {name: x.numpy()})[0], rtol=1e-4, atol=1e-4)
    with torch.no_grad():
        np.testing.assert_allclose(got, model(x).numpy(), rtol=1e-4, atol=1e-4)


class _DenseBlock(torch.nn.Module):
    """DenseNet's pre-activation block (BN -> ReLU -> 1x1 conv -> BN -> ReLU -> 3x3 conv, the
    output concatenated onto the input) after a stem: the BatchNormalization nodes that no conv
    absorbs become depthwise 1x1 convs (passes/fold_conv_batchnorm.cc) and the Concats join the
    blocked chain. `growth` 16 keeps every part a multiple of 8 channels; 6 does not, and the
    graph must stay NCHW."""

    def __init__(self, growth: int, layers: int = 4):
        super().__init__()
        nn = torch.nn
        self.stem = nn.Conv2d(3, 32, 3, 2, 1)
        self.layers = nn.ModuleList(
            nn.Sequential(nn.BatchNorm2d(32 + growth * i), nn.ReLU(), nn.Conv2d(32 + growth * i, 64, 1),
                          nn.BatchNorm2d(64), nn.ReLU(), nn.Conv2d(64, growth, 3, padding=1))
            for i in range(layers))
        for m in self.modules():  # statistics away from the identity, so a wrong fold shows
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.data.uniform_(0.5, 1.5)
                m.bias.data.uniform_(-0.3, 0.3)

    def forward(self, x):
        x = self.stem(x)
        for layer in self.layers:
            x = torch.cat([x, layer(x)], 1)
        return x.mean((2, 3))


@pytest.mark.parametrize("growth", [16, 6])
def test_dense_blocks_run_blocked_and_match(growth, tmp_path):
    torch.manual_seed(0)
    model = _DenseBlock(growth).eval()
    x = torch.randn(2, 3, 48, 48)
    path = tmp_path / "dense.onnx"
    torch.onnx.export(model, (x,), str(path), dynamo=True, verbose=False,
                      dynamic_shapes=({0: torch.export.Dim("batch")},))
    opts = onnxrt.SessionOptions()
    opts.optimized_model_filepath = str(tmp_path / "optimized.onnx")
    onnxrt.InferenceSession(str(path), opts)
    ops = [n.op_type for n in onnx.load(opts.optimized_model_filepath).graph.node]
    assert "BatchNormalization" not in ops, ops  # folded into a conv, or a depthwise conv itself
    if growth == 16 and _blocked_layout_enabled():
        # Stem, 4 x (depthwise BN, 1x1, 3x3) convs, the Concats inside the chain: one layout
        # change, before the mean.
        assert ops.count("BlockedConv") == 13, ops
        assert ops.count("ToBlocked") == 0 and ops.count("FromBlocked") == 1, ops
    else:
        assert "BlockedConv" not in ops, ops
    theirs = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    name = theirs.get_inputs()[0].name
    for batch in (1, 2):
        xb = x[:batch]
        with torch.no_grad():
            want = model(xb).numpy()
        for threads in (1, 2):
            o = onnxrt.SessionOptions()
            o.intra_op_num_threads = threads
            got = onnxrt.InferenceSession(str(path), o).run(None, {name: xb.numpy()})[0]
            np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
            np.testing.assert_allclose(got, theirs.run(None, {name: xb.numpy()})[0], rtol=1e-4, atol=1e-4)
