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


# --- the other shapes torch.onnx.export programs come in (issue #7, item 10) ----------------------


class SmallCNN(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 4, 3, padding=1)
        self.bn = torch.nn.BatchNorm2d(4)
        self.head = torch.nn.Linear(4, 2)

    def forward(self, x):
        return self.head(torch.relu(self.bn(self.conv(x))).mean(dim=(2, 3)))


def _cnn():
    torch.manual_seed(0)
    model = SmallCNN().eval()
    with torch.no_grad():
        model.bn.running_mean.uniform_(-0.5, 0.5)
        model.bn.running_var.uniform_(0.5, 2.0)
    return model


def test_torchscript_program_with_dynamic_axes_runs_at_other_sizes(tmp_path):
    model = _cnn()
    path = tmp_path / "cnn_ts.onnx"
    torch.onnx.export(model, (torch.randn(2, 3, 8, 8),), str(path), dynamo=False, input_names=["x"],
                      output_names=["y"], dynamic_axes={"x": {0: "batch", 2: "h", 3: "w"}, "y": {0: "batch"}})
    sess = onnxrt.InferenceSession(str(path))
    assert sess.get_inputs()[0].shape == ["batch", 3, "h", "w"]
    for shape in ((1, 3, 8, 8), (5, 3, 11, 7)):
        result = ort_torch.verify(model, (torch.randn(*shape),), onnx_program=path)
        assert result.passed and result.outputs[0].shape == (shape[0], 2), result


def test_torchscript_program_with_modules_as_local_functions(tmp_path):
    import onnx

    model = _cnn()
    path = tmp_path / "cnn_functions.onnx"
    x = torch.randn(2, 3, 8, 8)
    torch.onnx.export(model, (x,), str(path), dynamo=False, export_modules_as_functions=True)
    # (BatchNorm is folded into the conv by the exporter in eval mode.)
    assert {f.name for f in onnx.load(str(path)).functions} >= {"SmallCNN", "Conv2d", "Linear"}
    assert ort_torch.verify(model, (x,), onnx_program=path).passed


def test_unoptimized_program_runs():
    # optimize=False skips onnxscript's optimizer (no folding, no inlining). torch 2.13's exporter
    # emits no ONNX functions for these ops either way; local functions come from the TorchScript
    # exporter (test above).
    model = _cnn()
    x = torch.randn(2, 3, 8, 8)
    program = torch.onnx.export(model, (x,), dynamo=True, verbose=False, optimize=False)
    assert ort_torch.verify(program, (x,)).passed


def test_external_data_program_loads_by_path(mlp_program, tmp_path):
    import onnx

    model, program = mlp_program
    path = tmp_path / "external" / "mlp.onnx"
    path.parent.mkdir()
    program.save(str(path), external_data=True)
    assert (tmp_path / "external" / "mlp.onnx.data").stat().st_size > 0
    stored = onnx.load(str(path), load_external_data=False).graph.initializer
    assert any(t.data_location == onnx.TensorProto.EXTERNAL for t in stored)
    x = torch.randn(6, 8)
    assert ort_torch.verify(model, (x,), onnx_program=str(path)).passed
    # Overriding a weight reads the rest from the external file and keeps the file as it was.
    loaded = ort_torch.load(path, weights={"fc2.bias": torch.full((4,), 7.0)})
    with torch.no_grad():
        expected = model(x) - model.fc2.bias + 7.0
    torch.testing.assert_close(loaded(x)[0], expected, atol=1e-5, rtol=1e-4)
    assert ort_torch.verify(model, (x,), onnx_program=str(path)).passed


def test_initializers_kept_as_inputs_use_stored_values_or_given_weights(mlp_program, tmp_path):
    model, program = mlp_program
    x = torch.randn(3, 8)
    path = tmp_path / "as_inputs.onnx"
    program.save(str(path), keep_initializers_as_inputs=True)
    sess = onnxrt.InferenceSession(str(path))
    assert [i.name for i in sess.get_inputs()] == ["x"]  # weights have stored values: not required
    assert ort_torch.verify(model, (x,), onnx_program=path).passed
    zero_fc2 = {"fc2.weight": torch.zeros(4, 16), "fc2.bias": torch.ones(4)}
    loaded = ort_torch.load(path, weights=zero_fc2)
    assert sorted(loaded.bound) == ["fc2.bias", "fc2.weight"] and not loaded.unused
    torch.testing.assert_close(loaded(x)[0], torch.ones(3, 4))
    with pytest.raises(ValueError, match=r"weight 'fc2.weight': shape \[16, 4\]"):
        ort_torch.load(path, weights={"fc2.weight": torch.zeros(16, 4)})


def test_program_saved_without_initializers_takes_the_state_dict(mlp_program, tmp_path):
    model, program = mlp_program
    x = torch.randn(3, 8)
    path = tmp_path / "no_weights.onnx"
    program.save(str(path), include_initializers=False, keep_initializers_as_inputs=True)
    assert len(onnxrt.InferenceSession(str(path)).get_inputs()) == 5  # x and four weights
    with pytest.raises(ValueError, match=r"\['fc1.weight', .*onnxrt.torch.load"):
        ort_torch.run(str(path), x)
    loaded = ort_torch.load(str(path), weights=model.state_dict())
    assert ort_torch.verify(model, (x,), onnx_program=loaded).passed


def test_program_exported_under_fake_mode_runs_with_real_weights(tmp_path):
    """torch 2.13 has no torch.onnx.enable_fake_mode any more; a model built and exported under
    FakeTensorMode is the same thing: a program whose weights have shapes but no data."""
    from torch._subclasses.fake_tensor import FakeTensorMode

    real = _cnn()
    with FakeTensorMode():
        fake = SmallCNN().eval()
        # The optimizer's constant folding would read the fake weights: leave it off.
        program = torch.onnx.export(fake, (torch.randn(2, 3, 8, 8),), dynamo=True, verbose=False, optimize=False)
    x = torch.randn(2, 3, 8, 8)
    with pytest.raises(ValueError, match=r"weights \['conv.weight', .* are fake tensors"):
        ort_torch.run(program, x)  # no data to load yet
    # The state dict bound at load time (the program itself stays fake) ...
    assert ort_torch.verify(real, (x,), onnx_program=ort_torch.load(program, weights=real.state_dict())).passed
    with pytest.raises(ValueError, match="fake tensors"):
        ort_torch.run(program, x)
    # ... saved without weights and given them by path ...
    path = tmp_path / "fake.onnx"
    program.save(str(path), include_initializers=False, keep_initializers_as_inputs=True)
    assert ort_torch.verify(real, (x,), onnx_program=ort_torch.load(path, weights=real.state_dict())).passed
    # ... or torch's own apply_weights.
    program.apply_weights(real.state_dict())
    assert ort_torch.verify(real, (x,), onnx_program=program).passed
