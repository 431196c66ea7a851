"""torch.compile(backend="onnxrt"): results equal eager PyTorch; a graph onnxrt cannot take falls
back to eager (or raises with strict)."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

import onnxrt.torch as ort_torch  # noqa: E402


class MLP(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(8, 16)
        self.fc2 = torch.nn.Linear(16, 4)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


def test_backend_dependencies_are_present():
    assert ort_torch.is_onnxrt_backend_supported()


def test_compiled_mlp_matches_eager_by_name():
    torch.manual_seed(0)
    model = MLP().eval()
    # strict: an export or run failure raises instead of quietly running eager PyTorch.
    compiled = torch.compile(model, backend="onnxrt", options={"strict": True})
    for batch in (3, 5):
        x = torch.randn(batch, 8)
        with torch.no_grad():
            torch.testing.assert_close(compiled(x), model(x), atol=1e-5, rtol=1e-5)


def test_graphs_run_on_onnxrt_sessions():
    gm = torch.fx.symbolic_trace(MLP().eval())
    x = torch.randn(2, 8)
    compiled = ort_torch.onnxrt_backend(gm, [x], options={"strict": True})
    torch.testing.assert_close(compiled(x), gm(x), atol=1e-5, rtol=1e-5)
    assert len(compiled._sessions) == 1 and not compiled._fallback
    compiled(x)  # same signature: the cached session
    assert len(compiled._sessions) == 1


def test_a_failing_graph_falls_back_to_eager_or_raises_when_strict():
    gm = torch.fx.symbolic_trace(MLP().eval())
    x = torch.randn(2, 8)
    compiled = ort_torch.onnxrt_backend(gm, [x])
    compiled._session_for = lambda args: (_ for _ in ()).throw(RuntimeError("export failed"))
    torch.testing.assert_close(compiled(x), gm(x))
    strict = ort_torch.onnxrt_backend(gm, [x], options={"strict": True})
    strict._session_for = lambda args: (_ for _ in ()).throw(RuntimeError("export failed"))
    with pytest.raises(RuntimeError, match="export failed"):
        strict(x)
