"""Programs from torch.onnx.export(dynamo=True) run on onnxrt and are checked against PyTorch."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnxscript")

import onnxrt  # noqa: E402
import onnxrt.torch as ort_torch  # noqa: E402


class MLP(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(8, 16)
        self.fc2 = torch.nn.Linear(16, 4)

    def forward(self, x):
        return self.fc2(torch.nn.functional.gelu(self.fc1(x)))


class NestedInputs(torch.nn.Module):
    """A tuple argument and a dict keyword argument, and two outputs."""

    def forward(self, pair, *, extra):
        a, b = pair
        return a @ b + extra["bias"], (a * extra["scale"]).sum(dim=1)


@pytest.fixture(scope="module")
def mlp_program():
    torch.manual_seed(0)
    model = MLP().eval()
    batch = torch.export.Dim("batch")
    program = torch.onnx.export(model, (torch.randn(3, 8),), dynamo=True, verbose=False,
                                dynamic_shapes={"x": {0: batch}})
    return model, program


def test_program_model_proto_loads_and_runs_at_other_batch_sizes(mlp_program):
    model, program = mlp_program
    sess = onnxrt.InferenceSession(program.model_proto)
    assert isinstance(sess.get_inputs()[0].shape[0], str)  # the batch dim is symbolic
    for batch in (1, 7):
        x = torch.randn(batch, 8)
        (got,) = ort_torch.run(program, x)
        assert isinstance(got, torch.Tensor)
        with torch.no_grad():
            torch.testing.assert_close(got, model(x), atol=1e-5, rtol=1e-4)
        (np_out,) = sess.run(None, {sess.get_inputs()[0].name: x.numpy()})
        torch.testing.assert_close(torch.from_numpy(np_out), got)


def test_verify_reports_per_output_errors_and_catches_a_wrong_weight(mlp_program):
    _, program = mlp_program
    x = torch.randn(5, 8)
    result = ort_torch.verify(program, (x,))
    assert result.passed and len(result.outputs) == 1
    assert result.outputs[0].max_abs_error < 1e-5 and "passed" in str(result)
    # apply_weights changes the ONNX model only; the cached session notices and verify fails.
    name = next(n for n in program.model.graph.initializers if "fc2" in n and "weight" in n)
    original = program.model.graph.initializers[name].const_value
    try:
        program.apply_weights({name: torch.zeros(4, 16)})
        bad = ort_torch.verify(program, (x,))
        assert not bad.passed and bad.outputs[0].max_abs_error > 1e-3 and "MISMATCH" in str(bad)
    finally:
        program.model.graph.initializers[name].const_value = original
    assert ort_torch.verify(program, (x,)).passed


def test_nested_inputs_and_kwargs_are_flattened_like_torch_onnx():
    torch.manual_seed(0)
    model = NestedInputs()
    pair = (torch.randn(3, 4), torch.randn(4, 5))
    extra = {"bias": torch.randn(5), "scale": torch.randn(3, 4)}
    result = ort_torch.verify(model, (pair,), {"extra": extra})
    assert result.passed and len(result.outputs) == 2
    got = ort_torch.run_onnx_program(result.program, pair, extra=extra)
    want = model(pair, extra=extra)
    for g, w in zip(got, want):
        torch.testing.assert_close(g, w, atol=1e-5, rtol=1e-4)
