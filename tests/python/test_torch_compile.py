"""torch.compile(backend="onnxrt"): results equal eager PyTorch; partitions around what onnxrt
cannot take; sessions reused across batch sizes; failures fall back (or raise with strict).

torch.onnx exports cost about a second each, so the models are tiny and the exports counted."""

from __future__ import annotations

import logging

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnxscript")

import onnxrt.torch as ort_torch  # noqa: E402
from onnxrt.torch import _deps, tensors  # noqa: E402
from onnxrt.torch.cache import SessionCache, SessionEntry  # noqa: E402
from onnxrt.torch.lowering import OnnxrtPartition  # noqa: E402
from onnxrt.torch.records import recording  # noqa: E402


class MLP(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(8, 16)
        self.fc2 = torch.nn.Linear(16, 4)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x))).view(x.shape[0], -1) + 1


@torch.library.custom_op("onnxrt_test::scale", mutates_args=())
def _scale(x: torch.Tensor) -> torch.Tensor:
    return x * 3


@_scale.register_fake
def _(x):
    return torch.empty_like(x)


class WithCustomOp(MLP):
    """An op torch.onnx cannot translate sits between two blocks onnxrt can take."""

    def forward(self, x):
        h = torch.relu(self.fc1(x))
        h = torch.ops.onnxrt_test.scale(h)
        return torch.sigmoid(self.fc2(h)) * 2


def _exports(graphs) -> int:
    return sum(p.exports for g in graphs for p in g.partitions)


def test_dependencies_present_and_missing_ones_explained(monkeypatch):
    assert ort_torch.is_onnxrt_backend_supported()
    real_import = _deps.importlib.import_module

    def fake_import(name, *a):
        if name == "onnxscript":
            raise ImportError("No module named 'onnxscript'")
        return real_import(name, *a)

    monkeypatch.setattr(_deps.importlib, "import_module", fake_import)
    assert not ort_torch.is_onnxrt_backend_supported()
    with pytest.raises(ImportError, match=r"missing onnxscript(.|\n)*pip install torch onnx onnxscript"):
        ort_torch.onnxrt_backend(None, [])


def test_options_are_checked():
    with pytest.raises(ValueError, match="unknown onnxrt backend option"):
        ort_torch.OnnxrtBackendOptions.from_any({"min_blok_size": 2})
    with pytest.raises(ValueError, match="min_block_size"):
        ort_torch.OnnxrtBackendOptions.from_any({"min_block_size": 0})


def test_new_batch_sizes_reuse_one_symbolic_session_and_weight_updates_are_seen():
    torch.manual_seed(0)
    model = MLP().eval()
    with recording() as graphs, torch.no_grad():
        compiled = torch.compile(model, backend="onnxrt", options={"strict": True})
        for batch in (2, 3, 5, 7):
            x = torch.randn(batch, 8)
            torch.testing.assert_close(compiled(x), model(x), atol=1e-5, rtol=1e-4)
        # TorchDynamo compiles batch 2 static, then sees the dim vary and recompiles it symbolic:
        # one export each, and batches 5 and 7 reuse the symbolic session.
        assert len(graphs) == 2 and _exports(graphs) == 2
        (part,) = graphs[1].partitions
        assert part.status == "onnxrt" and part.runs_onnxrt == 3
        assert len(part.inputs) == 1 and isinstance(part.inputs[0][1][0], str)  # weights are initializers
        model.fc1.weight.mul_(2)  # an in-place weight update is noticed: export again
        x = torch.randn(4, 8)
        torch.testing.assert_close(compiled(x), model(x), atol=1e-5, rtol=1e-4)
        assert _exports(graphs) == 3


def test_unsupported_op_in_the_middle_splits_into_two_partitions_and_explain_reports_it(tmp_path):
    torch.manual_seed(0)
    model = WithCustomOp().eval()
    x = torch.randn(3, 8)
    report = tmp_path / "report.md"
    with torch.no_grad():
        result = ort_torch.explain(model, x, options={"strict": True}, report=report)
        torch.testing.assert_close(result.output, model(x), atol=1e-5, rtol=1e-4)
    assert len(result.graphs) == 1 and not result.graph_breaks
    assert [p.status for p in result.partitions] == ["onnxrt", "onnxrt"]
    assert [p.ops for p in result.partitions] == [["torch.linear", "torch.relu"],
                                                  ["torch.linear", "torch.sigmoid", "operator.mul"]]
    ((_, _, op, why),) = result.eager_ops
    assert op == "onnxrt_test.scale" and "no translation" in why
    text = report.read_text()
    assert "onnxrt_test.scale" in text and "| onnxrt |" in text
    assert "2 onnxrt partition(s): 2 ran on onnxrt" in str(result)


def test_disabled_ops_and_min_block_size_keep_ops_in_pytorch():
    gm = torch.fx.symbolic_trace(MLP().eval())  # no TorchDynamo: fake tensors are propagated
    x = torch.randn(2, 8)
    with recording() as graphs:
        compiled = ort_torch.onnxrt_backend(gm, [x], options={"disabled_ops": ["relu"], "min_block_size": 2,
                                                              "strict": True})
        with torch.no_grad():
            torch.testing.assert_close(compiled(x), gm(x), atol=1e-5, rtol=1e-4)
    (graph,) = graphs
    ops = {op: why for _, op, why in graph.eager_nodes}
    assert ops["torch.relu"] == "listed in disabled_ops"
    assert "below min_block_size=2" in ops["Linear"]  # fc1 alone before the relu
    (part,) = graph.partitions
    assert part.ops == ["Linear", "Tensor.view", "operator.add"] and part.status == "onnxrt"


def test_a_failing_partition_falls_back_once_or_raises_when_strict(monkeypatch, caplog):
    def broken_export(self, args, key):
        self.record.exports += 1
        raise RuntimeError("Unsupported FX nodes: {'aten.fancy_op.default': ['fancy']}")

    monkeypatch.setattr(OnnxrtPartition, "_export", broken_export)
    gm = torch.fx.symbolic_trace(MLP().eval())
    x = torch.randn(2, 8)
    with recording() as graphs, caplog.at_level(logging.WARNING, logger="onnxrt.torch"):
        compiled = ort_torch.onnxrt_backend(gm, [x])
        for _ in range(3):
            torch.testing.assert_close(compiled(x), gm(x))
    (part,) = graphs[0].partitions
    assert part.status == "eager" and part.exports == 1 and part.runs_eager == 3
    assert part.failed_op == "aten.fancy_op.default" and "Unsupported FX nodes" in part.reason
    assert sum("runs in eager PyTorch from now on" in r.message for r in caplog.records) == 1

    strict = ort_torch.onnxrt_backend(torch.fx.symbolic_trace(MLP().eval()), [x], options={"strict": True})
    with pytest.raises(RuntimeError, match="Unsupported FX nodes"):
        strict(x)


def test_session_cache_is_a_bounded_lru():
    cache = SessionCache(2)

    def entry(tag):
        return SessionEntry(tag, tag, [], [], [], [], [])

    for k in ("a", "b"):
        cache.insert(k, entry(k))
    assert cache.lookup("a", ()).session == "a"  # "a" becomes the most recent
    cache.insert("c", entry("c"))  # evicts "b"
    assert cache.lookup("b", ()) is None and cache.lookup("a", ()) and cache.lookup("c", ())
    assert len(cache) == 2 and cache.evictions == 1
    fixed = SessionEntry("f", "f", [], [0], [(0, 0, 4)], [], [])  # the exporter fixed dim 0 to 4
    cache.insert("k", fixed)
    assert cache.lookup("k", (torch.zeros(4, 2),)) is fixed and cache.lookup("k", (torch.zeros(5, 2),)) is None


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.int64, torch.bool, torch.bfloat16])
def test_tensors_cross_without_copies(dtype):
    t = torch.ones(4, 5, dtype=dtype)
    name, code, arr = tensors.to_feed("x", t)
    assert arr.ctypes.data == t.data_ptr()  # the feed is a view of the tensor
    out = tensors.from_output((code, (4, 5), arr))
    assert out.dtype == dtype and out.data_ptr() == arr.ctypes.data
    strided = t.t()  # not contiguous: copied once
    assert tensors.to_feed("x", strided)[2].ctypes.data != strided.data_ptr()
    torch.testing.assert_close(tensors.from_output((code, (5, 4), tensors.to_feed("x", strided)[2])), strided)


def test_training_with_aot_autograd_matches_eager_gradients():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))
    x = torch.randn(4, 6)
    with recording() as graphs:
        compiled = torch.compile(model, backend="onnxrt")  # grad mode + parameters: AOTAutograd
        loss = compiled(x).square().sum()
        loss.backward()
    grads = [p.grad.clone() for p in model.parameters()]
    model.zero_grad()
    model(x).square().sum().backward()
    for got, want in zip(grads, (p.grad for p in model.parameters())):
        torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-4)
    kinds = {g.kind: g for g in graphs}
    assert set(kinds) == {"forward", "backward"}
    for kind in ("forward", "backward"):
        assert kinds[kind].partitions and all(p.status == "onnxrt" for p in kinds[kind].partitions), kind


def test_training_a_small_cnn_matches_eager_gradients():
    # The exporter may not translate every backward op (convolution_backward): what it cannot
    # take falls back to PyTorch, and the gradients must still be eager's.
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Conv2d(3, 4, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(4 * 4 * 4, 3))
    x = torch.randn(2, 3, 8, 8)
    with recording() as graphs:
        compiled = torch.compile(model, backend="onnxrt")
        compiled(x).square().sum().backward()
    grads = [p.grad.clone() for p in model.parameters()]
    model.zero_grad()
    model(x).square().sum().backward()
    for got, want in zip(grads, (p.grad for p in model.parameters())):
        torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-4)
    kinds = {g.kind for g in graphs}
    assert kinds == {"forward", "backward"}
    forward = [g for g in graphs if g.kind == "forward"]
    assert any(p.status == "onnxrt" for g in forward for p in g.partitions)


class DataDependentBranch(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.a, self.b = torch.nn.Linear(4, 4), torch.nn.Linear(4, 4)

    def forward(self, x):
        h = self.a(x)
        if h.sum() > 0:  # depends on the data: TorchDynamo breaks the graph here
            return self.b(h).relu()
        return self.b(-h)


def test_graph_break_gives_two_graphs_on_onnxrt_and_the_break_is_explained():
    torch.manual_seed(0)
    model = DataDependentBranch().eval()
    x = torch.randn(2, 4)
    with torch.no_grad():
        result = ort_torch.explain(model, x, options={"strict": True})
        torch.testing.assert_close(result.output, model(x), atol=1e-5, rtol=1e-4)
    assert len(result.graphs) == 2 and len(result.graph_breaks) == 1
    assert all(p.status == "onnxrt" for p in result.partitions) and len(result.partitions) == 2
