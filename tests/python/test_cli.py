"""The onnxrt console script, run as a subprocess on small models."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

import models


def _command() -> list[str]:
    script = shutil.which("onnxrt", path=os.path.dirname(sys.executable))
    return [script] if script else [sys.executable, "-m", "onnxrt"]


def onnxrt_cli(*args, check_ok=True):
    proc = subprocess.run(_command() + [str(a) for a in args], capture_output=True, text=True,
                          timeout=120)
    if check_ok:
        assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


@pytest.fixture
def model_path(tmp_path):
    path = tmp_path / "gather.onnx"
    path.write_bytes(models.gather_reshape().SerializeToString())
    return path


def test_run_with_random_inputs(model_path):
    out = onnxrt_cli("run", model_path, "--dim", "batch=3").stdout
    assert "y: shape=3x5 dtype=float32" in out
    assert "flat_relu: shape=3x18 dtype=float32" in out
    assert "min=" in out and "max=" in out and "mean=" in out


def test_run_with_inputs_from_files_and_npz_output(model_path, tmp_path, ort_run):
    feeds = models.random_feeds(models.gather_reshape(), 2, seed=5)
    args = []
    for name, value in feeds.items():
        np.save(tmp_path / f"{name}.npy", value)
        args += ["--input", f"{name}={tmp_path / f'{name}.npy'}"]
    out_path = tmp_path / "out.npz"
    onnxrt_cli("run", model_path, *args, "--threads", "1", "--output", out_path)
    saved = np.load(out_path)
    expected = ort_run(models.gather_reshape(), feeds)
    np.testing.assert_allclose(saved["y"], expected[0], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(saved["flat_relu"], expected[1], rtol=1e-5, atol=1e-5)


def test_info_lists_io_opsets_and_ops(model_path):
    out = onnxrt_cli("info", model_path).stdout
    assert "ids: tensor(int64) [batch, 3]" in out
    assert "x: tensor(float) [batch, 4]" in out
    assert "y: tensor(float) [batch, 5]" in out
    assert "ai.onnx=17" in out
    assert "MatMul" in out and "Gather" in out
    lines = [line.split() for line in out.splitlines()]
    assert ["MatMul", "2"] in lines


def test_info_reports_unsupported_ops(tmp_path):
    path = tmp_path / "unknown.onnx"
    path.write_bytes(models.unknown_op().SerializeToString())
    out = onnxrt_cli("info", path).stdout
    assert "not supported by onnxrt yet" in out
    assert "FrobnicateTensor (no kernel)" in out


def test_run_unknown_op_fails_cleanly(tmp_path):
    path = tmp_path / "unknown.onnx"
    path.write_bytes(models.unknown_op().SerializeToString())
    proc = onnxrt_cli("run", path, check_ok=False)
    assert proc.returncode == 1
    assert "NotImplemented" in proc.stderr and "FrobnicateTensor" in proc.stderr


@pytest.mark.parametrize("command", ["run", "info"])
def test_missing_model_file(tmp_path, command):
    proc = onnxrt_cli(command, tmp_path / "absent.onnx", check_ok=False)
    assert proc.returncode != 0
    assert "absent.onnx" in proc.stderr


def test_garbage_model_file(tmp_path):
    path = tmp_path / "garbage.onnx"
    path.write_bytes(b"\xff\x00not a model" * 50)
    for command in ["run", "info"]:
        proc = onnxrt_cli(command, path, check_ok=False)
        assert proc.returncode != 0
        assert "onnxrt: error:" in proc.stderr


def test_bad_arguments(model_path, tmp_path):
    proc = onnxrt_cli("run", model_path, "--dim", "batch", check_ok=False)
    assert proc.returncode == 2 and "NAME=VALUE" in proc.stderr
    proc = onnxrt_cli("run", model_path, "--dim", "batch=four", check_ok=False)
    assert proc.returncode == 2 and "four" in proc.stderr
    proc = onnxrt_cli("run", model_path, "--input", f"nosuch={tmp_path / 'a.npy'}", check_ok=False)
    assert proc.returncode == 2 and "nosuch" in proc.stderr
    proc = onnxrt_cli("run", model_path, "--input", f"x={tmp_path / 'missing.npy'}", check_ok=False)
    assert proc.returncode == 2 and "missing.npy" in proc.stderr


def test_wrong_input_file_shape_is_reported(model_path, tmp_path):
    np.save(tmp_path / "x.npy", np.zeros((2, 7), np.float32))
    proc = onnxrt_cli("run", model_path, "--input", f"x={tmp_path / 'x.npy'}", "--dim", "batch=2",
                      check_ok=False)
    assert proc.returncode == 1
    assert "InvalidArgument" in proc.stderr


def test_list_kernels():
    out = onnxrt_cli("list-kernels", "--op", "Relu").stdout
    assert "Relu" in out
