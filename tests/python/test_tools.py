"""The tools of issue #10: profiling, intermediate values, reference mode, and the profile, bench,
compare, optimize and dump commands (run as subprocesses, or in-process where a test must plant a
difference)."""

from __future__ import annotations

import inspect
import json
import pathlib

import numpy as np
import onnx
import pytest

import models
import onnxrt
from onnxrt import cli, cli_bench, cli_compare, cli_graph, cli_profile
from test_cli import onnxrt_cli

DISABLE_ALL = onnxrt.GraphOptimizationLevel.ORT_DISABLE_ALL


@pytest.fixture
def gather_path(tmp_path):
    path = tmp_path / "gather.onnx"
    path.write_bytes(models.gather_reshape().SerializeToString())
    return path


@pytest.fixture
def mlp_path(tmp_path):
    """MatMul + Add + Relu + Softmax: fuses into FusedMatMul + Softmax at level all."""
    path = tmp_path / "mlp.onnx"
    path.write_bytes(models.matmul_softmax().SerializeToString())
    return path


def _node_outputs(model: onnx.ModelProto) -> list[str]:
    return [o for n in model.graph.node for o in n.output if o]


# ---- profiling


def test_profiling_trace_has_an_event_per_node_run(gather_path, tmp_path):
    opts = onnxrt.SessionOptions()
    opts.enable_profiling = True
    opts.profile_file_prefix = str(tmp_path / "prof")
    opts.graph_optimization_level = DISABLE_ALL
    sess = onnxrt.InferenceSession(str(gather_path), opts)
    assert sess.get_profiling_start_time_ns() > 0
    feeds = models.random_feeds(models.gather_reshape(), 2)
    for _ in range(3):
        sess.run(None, feeds)
    path = sess.end_profiling()
    assert pathlib.Path(path).name.startswith("prof_") and path.endswith(".json")
    events = json.loads(pathlib.Path(path).read_text())
    nodes = [e for e in events if e["cat"] == "Node"]
    model_nodes = models.gather_reshape().graph.node
    assert len(nodes) == 3 * len(model_nodes)
    assert {e["args"]["node_name"] for e in nodes} == {n.name for n in model_nodes}
    for e in nodes:
        assert e["ph"] == "X" and e["dur"] >= 0 and e["tid"] > 0
        assert e["name"] == e["args"]["node_name"] + "_kernel_time"
        assert e["args"]["provider"] == "CPUExecutionProvider" and e["args"]["kernel"]
        assert all(isinstance(ts, dict) for ts in e["args"]["output_type_shape"])
    gather = next(e for e in nodes if e["args"]["op_name"] == "Gather")
    assert gather["args"]["output_type_shape"] == [{"float": [2, 3, 6]}]
    session_events = [e["name"] for e in events if e["cat"] == "Session"]
    assert session_events.count("model_run") == 3 and session_events.count("session_initialization") == 1
    assert all(e["ts"] >= 0 for e in events)
    # As onnxruntime: profiling ends with the first end_profiling().
    assert sess.end_profiling() == ""

    summary = cli_profile.summarize_trace(events, warmup=1)
    assert summary.runs == 2
    assert all(n.calls == 2 for n in summary.nodes.values())
    assert [op for op, _, _ in summary.by_op()].count("MatMul") == 1


def test_profiling_times_subgraph_nodes_and_intermediates_stay_top_level(tmp_path):
    from test_control import _loop_model

    opts = onnxrt.SessionOptions()
    opts.enable_profiling = True
    opts.profile_file_prefix = str(tmp_path / "loop")
    sess = onnxrt.InferenceSession(_loop_model().SerializeToString(), opts)
    feed = {"M": np.array(3, np.int64), "x": np.arange(4, dtype=np.float32),
            "acc0": np.array(0.5, np.float32), "limit": np.array(100.0, np.float32)}
    values = sess.run_with_intermediates(feed)
    assert list(values) == ["acc", "sums"]  # the Loop's outputs; body values are per iteration
    np.testing.assert_allclose(values["sums"], [0.5, 1.5, 3.5])
    sess.run(None, feed)
    events = json.loads(pathlib.Path(sess.end_profiling()).read_text())
    ops = [e["args"]["op_name"] for e in events if e["cat"] == "Node"]
    # One Loop, and per iteration the body's Gather, Add, Greater, If and the If's Identity branch
    # (the body's own Identity may be optimized away, so it is not counted).
    assert ops.count("Loop") == 1
    assert ops.count("Gather") == ops.count("Add") == ops.count("Greater") == ops.count("If") == 3


def test_profiling_off_returns_empty_path(gather_path):
    sess = onnxrt.InferenceSession(str(gather_path))
    sess.run(None, models.random_feeds(models.gather_reshape(), 1))
    assert sess.end_profiling() == ""
    assert sess.get_profiling_start_time_ns() == 0


def test_profile_command_prints_tables_and_writes_trace(gather_path, tmp_path):
    out = onnxrt_cli("profile", gather_path, "--runs", "3", "--top", "2", "--dim", "batch=4",
                     "--prefix", tmp_path / "p").stdout
    assert "3 measured run(s)" in out
    assert "op type" in out and "MatMul" in out and "top 2 nodes:" in out
    assert "float[4,3,6]" in out or "float[4,5]" in out
    trace = next(tmp_path.glob("p_*.json"))
    assert f"trace: {trace}" in out
    assert sum(e["cat"] == "Node" for e in json.loads(trace.read_text())) == 4 * 6  # warmup + 3 runs


# ---- intermediate values and reference mode


def test_run_with_intermediates_matches_onnxruntime(gather_path):
    model = models.gather_reshape()
    feeds = models.random_feeds(model, 3, seed=2)
    opts = onnxrt.SessionOptions()
    opts.graph_optimization_level = DISABLE_ALL
    values = onnxrt.InferenceSession(str(gather_path), opts).run_with_intermediates(feeds)
    assert list(values) == _node_outputs(model)
    theirs = cli_compare.onnxruntime_values(str(gather_path), feeds, 1)
    for name, v in values.items():
        np.testing.assert_allclose(v, theirs[name], rtol=1e-5, atol=1e-6, err_msg=name)
    with pytest.raises(onnxrt.InvalidArgument, match="unknown input 'nope'"):
        onnxrt.InferenceSession(str(gather_path)).run_with_intermediates({"nope": np.zeros(1)})


@pytest.mark.parametrize("how", ["attribute", "config"])
def test_reference_kernels_option(mlp_path, tmp_path, how):
    opts = onnxrt.SessionOptions()
    if how == "attribute":
        opts.use_reference_kernels = True
    else:
        opts.add_session_config_entry("session.use_reference_kernels", "1")
        assert opts.get_session_config_entry("session.use_reference_kernels") == "1"
    opts.enable_profiling = True
    opts.profile_file_prefix = str(tmp_path / "ref")
    ref = onnxrt.InferenceSession(str(mlp_path), opts)
    feeds = models.random_feeds(models.matmul_softmax(), 4)
    (a,) = ref.run(None, feeds)
    (b,) = onnxrt.InferenceSession(str(mlp_path)).run(None, feeds)
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    events = json.loads(pathlib.Path(ref.end_profiling()).read_text())
    backends = {e["args"]["backend"] for e in events if e["cat"] == "Node"}
    assert backends == {"reference"}


def test_reference_kernels_config_entry_is_checked(mlp_path):
    opts = onnxrt.SessionOptions()
    opts.add_session_config_entry("session.use_reference_kernels", "yes")
    with pytest.raises(ValueError, match="session.use_reference_kernels"):
        onnxrt.InferenceSession(str(mlp_path), opts)
    with pytest.raises(KeyError):
        opts.get_session_config_entry("session.unknown")


# ---- compare


@pytest.mark.parametrize("against, level", [("onnxruntime", "all"), ("onnxruntime", "disable"),
                                            ("reference", "disable"), ("reference-kernels", "all")])
def test_compare_all_values_match(mlp_path, against, level):
    proc = onnxrt_cli("compare", mlp_path, "--against", against, "--level", level, "--dim", "batch=3")
    out = proc.stdout
    assert "all values match" in out
    # disable: m, a, r, y; all: the fused node's output r, and y.
    assert f"{4 if level == 'disable' else 2} values compared" in out


def test_compare_reports_first_mismatch(gather_path, monkeypatch, capsys):
    real = cli_compare.onnxruntime_values

    def planted(path, feeds, threads):
        values = real(path, feeds, threads)
        values["flat"] = values["flat"] + 0.5  # the second value in execution order
        values["y"] = values["y"] * 2
        return values

    monkeypatch.setattr(cli_compare, "onnxruntime_values", planted)
    status = cli.main(["compare", str(gather_path), "--level", "disable", "--dim", "batch=2"])
    out = capsys.readouterr().out
    assert status == 1
    assert "first mismatch: value 'flat' computed by node 'reshape' (Reshape)" in out
    assert "max abs error 0.5" in out and "36 of 36 elements beyond tolerance" in out
    assert "onnxrt:" in out and "onnxruntime:" in out and "float32 [2, 18] min=" in out
    assert "1 later value(s) differ" in out


def test_compare_values_rules():
    a = np.array([1.0, 2.0, np.nan, 4.0], dtype=np.float32)
    same = cli_compare.compare_values("v", a, a.copy(), 1e-3, 1e-4)
    assert same.ok and same.max_abs == 0
    off = cli_compare.compare_values("v", a, np.array([1.0, 2.5, np.nan, 4.0], np.float32), 1e-3, 1e-4)
    assert not off.ok and off.bad == 1 and off.where == (1,) and off.max_abs == pytest.approx(0.5)
    nan_one_side = cli_compare.compare_values("v", a, np.array([1, 2, 3, 4], np.float32), 1e-3, 1e-4)
    assert not nan_one_side.ok and nan_one_side.max_abs == np.inf
    shape = cli_compare.compare_values("v", a, a[:2], 1e-3, 1e-4)
    assert not shape.ok and "shape" in shape.note
    masked = np.array([-np.inf, 1.0, np.inf], np.float32)  # attention masks: equal infinities match
    both_inf = cli_compare.compare_values("v", masked, masked.copy(), 0, 0)
    assert both_inf.ok and both_inf.max_abs == 0 and both_inf.max_rel == 0
    ints = cli_compare.compare_values("v", np.array([1, 2]), np.array([1, 3]), 0, 0)
    assert not ints.ok and ints.bad == 1


def test_compare_bad_tolerance_is_a_usage_error(gather_path):
    proc = onnxrt_cli("compare", gather_path, "--rtol", "-1", check_ok=False)
    assert proc.returncode == 2 and "--rtol and --atol must be >= 0" in proc.stderr


# ---- bench


def test_bench_vs_onnxruntime_json(gather_path):
    out = onnxrt_cli("bench", gather_path, "--runs", "5", "--warmup", "1", "--threads", "1",
                     "--dim", "batch=8", "--vs", "onnxruntime", "--json").stdout
    result = json.loads(out)
    assert [r["runtime"] for r in result["results"]] == ["onnxrt", "onnxruntime"]
    for r in result["results"]:
        assert r["runs"] == 5
        assert 0 < r["min_ms"] <= r["p50_ms"] <= r["p90_ms"] <= r["p99_ms"]
        assert r["throughput_per_s"] > 0
    assert result["speedup_vs_onnxruntime"] > 0
    assert result["max_abs_difference"] < 1e-4


def test_bench_text_and_usage_errors(gather_path):
    out = onnxrt_cli("bench", gather_path, "--duration", "0.05", "--dim", "batch=2").stdout
    assert "p50 ms" in out and "items/s" in out
    assert any(line.split()[0] == "onnxrt" for line in out.splitlines()[2:])
    proc = onnxrt_cli("bench", gather_path, "--runs", "3", "--duration", "1", check_ok=False)
    assert proc.returncode == 2 and "not both" in proc.stderr


def test_bench_progress_bar_only_when_asked(capsys):
    calls = []
    samples = cli_bench.measure({"a": lambda: calls.append(1)}, 4, None, 2, cli_bench.Progress("x", enabled=True))
    assert len(calls) == 6 and len(samples["a"]) == 4
    assert "[" in capsys.readouterr().err
    cli_bench.measure({"a": lambda: None}, 2, None, 0, cli_bench.Progress("x", enabled=False))
    assert capsys.readouterr().err == ""


# ---- optimize and dump


def test_optimize_saves_a_model_that_runs_the_same(mlp_path, tmp_path):
    out_path = tmp_path / "opt.onnx"
    out = onnxrt_cli("optimize", mlp_path, out_path, "--level", "all").stdout
    assert "4 nodes -> 2 nodes" in out and "com.onnxrt.FusedMatMul" in out
    saved = onnx.load(str(out_path))
    assert [n.op_type for n in saved.graph.node] == ["FusedMatMul", "Softmax"]
    assert any(o.domain == "com.onnxrt" for o in saved.opset_import)
    feeds = models.random_feeds(models.matmul_softmax(), 5)
    (a,) = onnxrt.InferenceSession(str(mlp_path)).run(None, feeds)
    (b,) = onnxrt.InferenceSession(str(out_path)).run(None, feeds)
    np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)

    basic = tmp_path / "basic.onnx"
    onnxrt_cli("optimize", mlp_path, basic, "--level", "basic")
    assert len(onnx.load(str(basic)).graph.node) == 4


def test_dump_after_each_stage(mlp_path):
    stages = onnxrt_cli("dump", mlp_path, "--after", "list").stdout.split()
    assert stages[0] == "import" and "fuse_matmul_add" in stages
    counts = []
    for stage in stages:  # in-process: a subprocess per stage would cost seconds
        graph = cli_graph.dump_graph(mlp_path, stage)
        assert graph["stage"] == stage
        counts.append(len(graph["nodes"]))
    assert counts[0] == 4 and counts[-1] == 2
    assert counts[stages.index("fuse_matmul_add")] == 3  # MatMul+Add fused, Relu not yet
    as_json = json.loads(onnxrt_cli("dump", mlp_path, "--json").stdout)
    assert [n["op_type"] for n in as_json["nodes"]] == ["FusedMatMul", "Softmax"]
    assert as_json["nodes"][0]["domain"] == "com.onnxrt"
    text = onnxrt_cli("dump", mlp_path, "--after", "import").stdout
    assert "mm = MatMul(x: float[batch,8], W: float[8,5])" in text
    assert "-> y: float[batch,5]" in text and "{axis=-1}" in text


def test_dump_unknown_pass_is_a_clean_error(mlp_path):
    proc = onnxrt_cli("dump", mlp_path, "--after", "no_such_pass", check_ok=False)
    assert proc.returncode == 1
    assert "unknown pass 'no_such_pass'" in proc.stderr and "fold_constants" in proc.stderr


# ---- the Python package is typed and documented


def test_package_is_typed_and_documented():
    pkg = pathlib.Path(onnxrt.__file__).resolve().parent
    assert (pkg / "py.typed").exists() or (pathlib.Path(__file__).parents[2] / "python/onnxrt/py.typed").exists()
    undocumented = []
    unannotated = []
    for name in onnxrt.__all__:
        obj = getattr(onnxrt, name)
        if not (inspect.isclass(obj) or inspect.isfunction(obj)):
            continue
        if not (obj.__doc__ or "").strip():
            undocumented.append(name)
        if inspect.isfunction(obj) and "return" not in obj.__annotations__:
            unannotated.append(name)
        members = inspect.getmembers(obj, inspect.isfunction) if inspect.isclass(obj) else []
        for member_name, fn in members:
            if member_name.startswith("_") and member_name != "__init__":
                continue
            if fn.__module__ is None or not fn.__module__.startswith("onnxrt"):
                continue  # inherited from builtins (exceptions)
            if member_name != "__init__" and not (fn.__doc__ or "").strip():
                undocumented.append(f"{name}.{member_name}")
            if "return" not in fn.__annotations__:
                unannotated.append(f"{name}.{member_name}")
    assert not undocumented, f"public API without a docstring: {undocumented}"
    assert not unannotated, f"public API without a return annotation: {unannotated}"
