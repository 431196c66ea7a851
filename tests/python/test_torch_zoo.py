"""The model zoo (torch_zoo.py) on onnxrt, compared with eager PyTorch (float32, rtol 1e-4, atol
1e-5): compiled with torch.compile(backend="onnxrt") at batch sizes 1, 3 and 8, and exported with
torch.onnx.export and checked with onnxrt.torch.verify.

A torch.onnx export costs most of a second, so every test counts them: each one it makes is
asserted, and a model is exported once per behaviour under test.
"""

from __future__ import annotations

import contextlib

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnxscript")

import onnxrt.torch as ort_torch  # noqa: E402
import torch_zoo  # noqa: E402
from onnxrt.torch.records import recording  # noqa: E402

RTOL, ATOL = 1e-4, 1e-5
BATCHES = (1, 3, 8)
# Ops that stay in PyTorch because they yield Python values (sizes), not because of a gap.
_PYTHON_VALUE_REASONS = {"returns a Python value or acts by side effect", "indexes a non-tensor value",
                         "produces a non-tensor or non-CPU value"}


def _exports(graphs) -> int:
    return sum(p.exports for g in graphs for p in g.partitions)


@contextlib.contextmanager
def _mha_fastpath(enabled: bool):
    previous = torch.backends.mha.get_fastpath_enabled()
    torch.backends.mha.set_fastpath_enabled(enabled)
    try:
        yield
    finally:
        torch.backends.mha.set_fastpath_enabled(previous)


def _compile_over_batches(name: str):
    """Compiles zoo model ``name`` (strict: any fallback raises) and runs batches 1, 3 and 8
    against eager; returns the graph records and the export count after each batch."""
    model = torch_zoo.build(name)
    exports_after = []
    with recording() as graphs, torch.no_grad():
        compiled = torch.compile(model, backend="onnxrt", options={"strict": True})
        for batch in BATCHES:
            args = torch_zoo.inputs(name, batch)
            torch.testing.assert_close(compiled(*args), model(*args), rtol=RTOL, atol=ATOL)
            exports_after.append(_exports(graphs))
    return graphs, exports_after


def _assert_all_tensor_ops_on_onnxrt(graphs):
    for g in graphs:
        assert g.error is None and g.partitions, g
        assert all(p.status == "onnxrt" for p in g.partitions), g.partitions
        left = [(op, why) for _, op, why in g.eager_nodes if why not in _PYTHON_VALUE_REASONS]
        assert not left, left


@pytest.mark.parametrize("name", ["mlp", "cnn", "resnet_basic", "resnet_bottleneck", "mobilenetv2_block",
                                  "mobilenetv2_stack", "efficientnet_block", "conv3d_block", "transformer_encoder",
                                  "gpt_block"])
def test_compiled_model_matches_eager_and_later_batches_reuse_the_symbolic_session(name):
    # nn.TransformerEncoderLayer's inference fast path is one fused op with no ONNX translation
    # (test below); without it the layer is plain ops that all go to onnxrt.
    with _mha_fastpath(name != "transformer_encoder"):
        graphs, exports = _compile_over_batches(name)
    # TorchDynamo always specializes a size of 1, so batch 1 gets a static graph (one export);
    # batch 3 makes it recompile with a symbolic batch (one export); batch 8 reuses that session.
    assert exports == [1, 2, 2] and len(graphs) == 2
    _assert_all_tensor_ops_on_onnxrt(graphs)
    (part,) = graphs[1].partitions
    assert part.exports == 1 and part.runs_onnxrt == 2
    assert isinstance(part.inputs[0][1][0], str)  # the batch dim is symbolic in the ONNX model


def test_transformer_fast_path_op_stays_in_pytorch_and_says_why():
    model = torch_zoo.build("transformer_encoder")
    (x,) = torch_zoo.inputs("transformer_encoder", 3)
    with _mha_fastpath(True), torch.no_grad():
        result = ort_torch.explain(model, x, options={"strict": True})
        torch.testing.assert_close(result.output, model(x), rtol=RTOL, atol=ATOL)
    assert not result.partitions  # nothing was exported: the op was known untranslatable
    ((_, _, op, why),) = result.eager_ops
    assert op == "torch._transformer_encoder_layer_fwd"
    assert why == "torch.onnx has no translation for aten._transformer_encoder_layer_fwd"


def test_lstm_gets_no_graph_by_default_and_runs_on_onnxrt_with_allow_rnn():
    # TorchDynamo does not trace nn.LSTM unless allow_rnn is set: the backend gets no graph and
    # the model runs eagerly, which must still give the right answer.
    model = torch_zoo.build("lstm")
    (x,) = torch_zoo.inputs("lstm", 3)
    torch._dynamo.reset()
    with recording() as graphs, torch.no_grad():
        torch.testing.assert_close(torch.compile(model, backend="onnxrt")(x), model(x), rtol=RTOL, atol=ATOL)
    assert graphs == []
    torch._dynamo.reset()
    with torch._dynamo.config.patch(allow_rnn=True):
        graphs, exports = _compile_over_batches("lstm")
    torch._dynamo.reset()
    assert exports == [1, 2, 2]
    _assert_all_tensor_ops_on_onnxrt(graphs)
    assert "LSTM" in graphs[1].partitions[0].onnx_ops


def test_graph_break_model_runs_both_graphs_on_onnxrt_at_every_batch():
    graphs, exports = _compile_over_batches("graph_break")
    # Two graphs (before and after the break) per specialization: static batch 1, symbolic after.
    assert exports == [2, 4, 4] and len(graphs) == 4
    _assert_all_tensor_ops_on_onnxrt(graphs)
    assert [p.runs_onnxrt for g in graphs[2:] for p in g.partitions] == [2, 2]


# --- the same zoo through torch.onnx.export -------------------------------------------------------


@pytest.mark.parametrize("name", ["mlp", "cnn", "resnet_basic", "resnet_bottleneck", "mobilenetv2_block",
                                  "mobilenetv2_stack", "efficientnet_block", "conv3d_block", "transformer_encoder",
                                  "gpt_block", "lstm"])
def test_exported_program_verifies_at_every_batch(name):
    model = torch_zoo.build(name)
    args = torch_zoo.inputs(name, 3)
    program = torch.onnx.export(model, args, dynamo=True, verbose=False,
                                dynamic_shapes=tuple({0: torch.export.Dim("batch")} for _ in args))
    for batch in BATCHES:
        result = ort_torch.verify(model, torch_zoo.inputs(name, batch), onnx_program=program)
        assert result.passed, f"batch {batch}:\n{result}"
        assert result.outputs[0].shape[0] == batch


def test_graph_break_model_exports_only_through_torchscript(tmp_path):
    """torch.export refuses the data-dependent ``if``; the TorchScript tracer records the branch
    the example takes, which the zoo's inputs always take."""
    model = torch_zoo.build("graph_break")
    args = torch_zoo.inputs("graph_break", 3)
    with pytest.raises(Exception, match="data-dependent"):
        torch.onnx.export(model, args, dynamo=True, verbose=False)
    path = tmp_path / "graph_break.onnx"
    torch.onnx.export(model, args, str(path), dynamo=False, input_names=["x"], dynamic_axes={"x": {0: "batch"}})
    for batch in (1, 8):
        assert ort_torch.verify(model, torch_zoo.inputs("graph_break", batch), onnx_program=path).passed
