"""A small MobileNetV2 exported by torch.onnx with a dynamic batch runs its pointwise and depthwise
convs in the channel-blocked layout (passes/block_channels.cc) on CPUs with AVX2 but not AVX-512,
and gives what
PyTorch and onnxruntime give at several batch sizes and thread counts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnx.reference
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


def _conv_resize_chain(opset: int, resize: str, **attrs) -> onnx.ModelProto:
    """x [1, 16, 30, 24] -> Conv 3x3 -> Relu -> `resize` (the opset's form) -> (Conv 3x3 -> Relu) x 2
    -> Conv 3x3: with the resize in it, one chain of four 3x3 convs that pays for its two layout
    changes; split by it, neither part does."""
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(4)
    inits = [numpy_helper.from_array((rng.standard_normal((16, 16, 3, 3)) * 0.2).astype(np.float32), f"w{i}")
             for i in range(4)]
    conv = lambda i, x, y: helper.make_node("Conv", [x, f"w{i}"], [y], pads=[1, 1, 1, 1])  # noqa: E731
    if resize == "upsample7":
        rs = helper.make_node("Upsample", ["r0"], ["u"], scales=[1.0, 1.0, 2.0, 2.0], **attrs)
    else:
        kind, values = resize.split(":")
        vals = [float(v) for v in values.split(",")]
        if kind == "sizes":
            inits.append(numpy_helper.from_array(np.array(vals, np.int64), "p"))
        else:
            inits.append(numpy_helper.from_array(np.array(vals, np.float32), "p"))
        if opset < 10:
            rs = helper.make_node("Upsample", ["r0", "p"], ["u"], **attrs)
        elif opset == 10:
            rs = helper.make_node("Resize", ["r0", "p"], ["u"], **attrs)
        else:
            inits.append(numpy_helper.from_array(np.array([0, 0, 0.1, 0.2, 1, 1, 0.9, 0.8], np.float32), "roi"))
            ins = ["r0", "roi", "p"] if kind == "scales" else ["r0", "roi", "", "p"]
            rs = helper.make_node("Resize", ins, ["u"], **attrs)
    nodes = [conv(0, "x", "c0"), helper.make_node("Relu", ["c0"], ["r0"]), rs, conv(1, "u", "c1"),
             helper.make_node("Relu", ["c1"], ["r1"]), conv(2, "r1", "c2"), helper.make_node("Relu", ["c2"], ["r2"]),
             conv(3, "r2", "y")]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 16, 30, 24])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=7)


_RESIZE_FORMS = [
    (7, "upsample7", {}, True),
    (9, "scales:1,1,2,2", {"mode": "nearest"}, True),
    (10, "scales:1,1,2,1.5", {"mode": "linear"}, True),
    (11, "scales:1,1,2,2", {"mode": "nearest", "coordinate_transformation_mode": "asymmetric", "nearest_mode": "floor"}, True),
    (13, "sizes:1,16,50,31", {"mode": "linear", "coordinate_transformation_mode": "align_corners"}, True),
    (13, "scales:1,1,0.5,0.5", {"mode": "linear", "coordinate_transformation_mode": "pytorch_half_pixel"}, True),
    (18, "scales:2,3", {"mode": "nearest", "axes": [-2, -1]}, True),
    (19, "scales:1,1,1.6,2", {"mode": "linear", "coordinate_transformation_mode": "half_pixel_symmetric"}, True),
    # Left in NCHW: cubic, a crop box, antialias, sizes of all axes under a keep-aspect policy, a
    # channel scale that keeps 16 channels (floor(16 * 1.01)) but mixes them.
    (13, "scales:1,1,2,2", {"mode": "cubic"}, False),
    (13, "scales:1,1.01,2,2", {"mode": "linear"}, False),
    (13, "sizes:1,16,50,40", {"mode": "linear", "coordinate_transformation_mode": "tf_crop_and_resize"}, False),
    (18, "scales:1,1,2,2", {"mode": "linear", "antialias": 1}, False),
    (18, "sizes:1,16,60,60", {"mode": "nearest", "keep_aspect_ratio_policy": "not_larger"}, False),
]


@pytest.mark.parametrize("opset,resize,attrs,blocked", _RESIZE_FORMS)
def test_resize_in_a_chain_runs_blocked_and_matches(opset, resize, attrs, blocked, tmp_path):
    model = _conv_resize_chain(opset, resize, **attrs)
    opts = onnxrt.SessionOptions()
    opts.optimized_model_filepath = str(tmp_path / "optimized.onnx")
    x = np.random.default_rng(5).standard_normal((1, 16, 30, 24)).astype(np.float32)
    # onnx's reference lacks Upsample-7, Resize-10 and Resize-18's axes: the unoptimized graph on
    # onnxrt's Resize kernels (checked against it in the backend suite) stands in.
    plain_opts = onnxrt.SessionOptions()
    plain_opts.graph_optimization_level = onnxrt.GraphOptimizationLevel.ORT_DISABLE_ALL
    (want,) = onnxrt.InferenceSession(model.SerializeToString(), plain_opts).run(None, {"x": x})
    if opset not in (7, 10, 18):
        (ref,) = onnx.reference.ReferenceEvaluator(model).run(None, {"x": x})
        np.testing.assert_allclose(want, ref, rtol=1e-4, atol=1e-4)
    # The plain graph's 16-channel 3x3 convs run Winograd F(4x4) in NCHW (relative errors up to a
    # few 1e-4 here), the blocked ones the dense kernel (too few channels for Winograd to pay).
    for threads in (1, 2):
        opts.intra_op_num_threads = threads
        (got,) = onnxrt.InferenceSession(model.SerializeToString(), opts).run(None, {"x": x})
        np.testing.assert_allclose(got, want, rtol=5e-4, atol=5e-4)
    ops = [n.op_type for n in onnx.load(opts.optimized_model_filepath).graph.node]
    if not _blocked_layout_enabled():
        assert "BlockedConv" not in ops
        return
    assert ops.count("BlockedConv") == (4 if blocked else 0), ops
    assert ops.count("ToBlocked") == (1 if blocked else 0) and ops.count("FromBlocked") == (1 if blocked else 0), ops


def test_resize_at_a_chains_edge_stays_nchw(tmp_path):
    """A seg head's last upsample: a chain's output resized into the graph's output. Blocked, it
    would only move the layout change to its larger output, so it reads the FromBlocked."""
    from onnx import helper, numpy_helper

    model = _conv_resize_chain(13, "scales:1,1,2,2", mode="linear")
    graph = model.graph
    graph.initializer.append(numpy_helper.from_array(np.array([1, 1, 2, 2], np.float32), "p_out"))
    graph.node.append(helper.make_node("Resize", ["y", "", "p_out"], ["y_up"], mode="linear"))
    graph.output[0].name = "y_up"
    opts = onnxrt.SessionOptions()
    opts.optimized_model_filepath = str(tmp_path / "optimized.onnx")
    x = np.random.default_rng(6).standard_normal((1, 16, 30, 24)).astype(np.float32)
    (got,) = onnxrt.InferenceSession(model.SerializeToString(), opts).run(None, {"x": x})
    (want,) = onnx.reference.ReferenceEvaluator(model).run(None, {"x": x})
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
    ops = [n.op_type for n in onnx.load(opts.optimized_model_filepath).graph.node]
    if _blocked_layout_enabled():
        assert ops[-2:] == ["FromBlocked", "Resize"] and ops.count("Resize") == 2, ops
