"""The examples in README.md and docs/*.md are run, so that a page cannot drift from the code.

How a page is read (the conventions are for page authors; they are invisible when rendered):

* Every ```python block of a page runs, in page order, in one namespace per page, with the
  working directory a fresh temporary directory. That directory already holds ``model.onnx``
  (a tiny MLP: input ``x`` float[batch, 4], output ``y`` float[batch, 2]) and ``x.npy``
  (float32 [2, 4]), so an example may say ``model.onnx`` without making one first.
* ``<!-- test: setup ... -->``: an HTML comment whose body is Python, run at that point of the
  page (to make the files or variables an example assumes, e.g. ``feeds``).
* ```bash / ```sh / ```shell blocks: every command line must be an ``onnxrt ...`` or
  ``python -m onnxrt ...`` command; each runs (in process, through ``onnxrt.cli.main``) in the
  page's directory and must exit with status 0. Any other command fails the test unless the
  block is marked skip. ```console blocks: the lines starting with ``$ `` are the commands, the
  others are their output (not compared: timings differ).
* ```cpp blocks are compiled (``g++ -std=c++20 -fsyntax-only -I include``): a block with its own
  ``main`` as it is, any other as the body of a function, with its ``#include`` lines hoisted.
  ``<!-- test: excerpt-of PATH -->`` before a block instead checks that the block is a verbatim
  excerpt of that file (chunks separated by a ``// ...`` line, each found in order); the file
  itself is built and run by ctest (examples/cpp/run_model.cc: onnxrt_example, onnxrt_package).
* ``<!-- test: skip REASON -->`` right before a block skips it; the reason is required.
* Other fences (no language, text, cmake, ...) are output or illustration and are not run.
"""

from __future__ import annotations

import contextlib
import io
import pathlib
import re
import shlex
import shutil
import subprocess
import time
from dataclasses import dataclass

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

REPO = pathlib.Path(__file__).resolve().parents[2]
PAGES = [REPO / "README.md"] + sorted((REPO / "docs").glob("*.md"))

SHELL_LANGS = {"bash", "sh", "shell"}
CONSOLE_LANGS = {"console", "shell-session"}
RUN_LANGS = {"python", "cpp", "c++"} | SHELL_LANGS | CONSOLE_LANGS


@dataclass
class Block:
    kind: str  # "python", "shell", "console", "cpp", "setup" (hidden Python)
    code: str
    line: int  # 1-based line of the opening fence (or comment) in the page
    skip: str | None = None  # the reason, when marked skip
    excerpt_of: str | None = None


_FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*([\w+-]*)")
_MARKER = re.compile(r"^\s*<!--\s*test:\s*(skip|excerpt-of)\b\s*(.*?)\s*-->\s*$")
_SETUP = re.compile(r"^\s*<!--\s*test:\s*setup\s*$")


def parse_page(text: str) -> list[Block]:
    """The blocks of a page that the test acts on, in page order."""
    lines = text.splitlines()
    blocks: list[Block] = []
    pending: tuple[str, str, int] | None = None  # a marker waiting for its block
    i = 0
    while i < len(lines):
        line = lines[i]
        if _SETUP.match(line):
            end = i + 1
            while end < len(lines) and lines[end].strip() != "-->":
                end += 1
            if end == len(lines):
                raise AssertionError(f"line {i + 1}: '<!-- test: setup' is never closed by a '-->' line")
            blocks.append(Block("setup", "\n".join(lines[i + 1 : end]), i + 1))
            i = end + 1
            continue
        marker = _MARKER.match(line)
        if marker:
            pending = (marker.group(1), marker.group(2), i + 1)
            i += 1
            continue
        fence = _FENCE.match(line)
        if fence:
            indent, ticks, lang = fence.groups()
            end = i + 1
            while end < len(lines) and not lines[end].strip().startswith(ticks):
                end += 1
            body = "\n".join(l[len(indent):] if l.startswith(indent) else l for l in lines[i + 1 : end])
            lang = lang.lower()
            if lang in RUN_LANGS:
                kind = ("python" if lang == "python" else "cpp" if lang in ("cpp", "c++")
                        else "shell" if lang in SHELL_LANGS else "console")
                block = Block(kind, body, i + 1)
                if pending:
                    what, arg, at = pending
                    if what == "skip":
                        if not arg:
                            raise AssertionError(f"line {at}: '<!-- test: skip -->' needs a reason")
                        block.skip = arg
                    else:
                        block.excerpt_of = arg
                blocks.append(block)
            elif pending:
                raise AssertionError(f"line {pending[2]}: marker before a '{lang or 'plain'}' block, which never runs")
            pending = None
            i = end + 1
            continue
        if pending and line.strip():
            raise AssertionError(f"line {pending[2]}: a test marker must come right before a code block")
        i += 1
    return blocks


def _tiny_mlp() -> onnx.ModelProto:
    rng = np.random.default_rng(0)
    w1 = numpy_helper.from_array(rng.standard_normal((4, 8)).astype(np.float32), "W1")
    b1 = numpy_helper.from_array(rng.standard_normal(8).astype(np.float32), "b1")
    w2 = numpy_helper.from_array(rng.standard_normal((8, 2)).astype(np.float32), "W2")
    graph = helper.make_graph(
        [helper.make_node("Gemm", ["x", "W1", "b1"], ["h"], name="fc1"),
         helper.make_node("Relu", ["h"], ["r"], name="relu"),
         helper.make_node("MatMul", ["r", "W2"], ["y"], name="fc2")],
        "tiny_mlp",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 2])],
        [w1, b1, w2],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=10)


def _where(page: pathlib.Path, block: Block) -> str:
    return f"{page.relative_to(REPO)}:{block.line}"


# ---- shell blocks


def _commands(block: Block) -> list[str]:
    """The command lines of a shell or console block, continuation lines joined."""
    out: list[str] = []
    raw = block.code.splitlines()
    if block.kind == "console":
        raw = [l[2:] for l in raw if l.startswith("$ ")]
    joined = ""
    for line in raw:
        if line.rstrip().endswith("\\"):
            joined += line.rstrip()[:-1] + " "
            continue
        joined += line
        if joined.strip() and not joined.strip().startswith("#"):
            out.append(joined.strip())
        joined = ""
    return out


def _onnxrt_argv(command: str) -> list[str] | None:
    """The CLI arguments of an `onnxrt ...` / `python -m onnxrt ...` command, else None."""
    words = shlex.split(command, comments=True)
    if words[:1] == ["onnxrt"]:
        return words[1:]
    if len(words) >= 3 and words[0] in ("python", "python3") and words[1:3] == ["-m", "onnxrt"]:
        return words[3:]
    return None


def _run_cli(argv: list[str], where: str) -> str:
    from onnxrt import cli

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = cli.main(argv)
        except SystemExit as e:  # argparse exits on a bad command line
            status = e.code
    assert status == 0, (
        f"{where}: `onnxrt {shlex.join(argv)}` exited with {status}\n{out.getvalue()}{err.getvalue()}"
    )
    return out.getvalue()


# ---- C++ blocks

_CPP_PRELUDE = "#include <cstdio>\n#include <cstring>\n#include <iostream>\n#include <string>\n#include <vector>\n"


def _cpp_translation_unit(blocks: list[tuple[str, Block]]) -> str:
    """One file with every snippet of a page as the body of its own function."""
    includes, bodies = [], []
    for n, (where, block) in enumerate(blocks):
        body = []
        for line in block.code.splitlines():
            (includes if line.lstrip().startswith("#include") else body).append(line)
        bodies.append(f"// {where}\n[[maybe_unused]] static int snippet_{n}(int argc, char** argv) {{\n"
                      + "\n".join(body) + "\n  return 0;\n}\n")
    return _CPP_PRELUDE + "\n".join(dict.fromkeys(includes)) + "\n\n" + "\n".join(bodies)


def _compile_cpp(source: str, tmp: pathlib.Path, name: str, where: str) -> None:
    path = tmp / f"{name}.cc"
    path.write_text(source)
    proc = subprocess.run(
        [shutil.which("g++") or "g++", "-std=c++20", "-fsyntax-only", "-Wno-unused", f"-I{REPO / 'include'}", str(path)],
        capture_output=True, text=True,
    )
    assert proc.returncode == 0, f"{where}: the C++ example does not compile:\n{proc.stderr[-4000:]}"


def _check_excerpt(block: Block, where: str) -> None:
    source = (REPO / block.excerpt_of).read_text()
    pos = 0
    for chunk in re.split(r"^\s*// \.\.\.\s*$", block.code, flags=re.M):
        chunk = chunk.strip("\n")
        if not chunk.strip():
            continue
        found = source.find(chunk, pos)
        assert found >= 0, f"{where}: this part of the example is not (in order) in {block.excerpt_of}:\n{chunk}"
        pos = found + len(chunk)


# ---- the test


def _page_id(page: pathlib.Path) -> str:
    return str(page.relative_to(REPO))


@pytest.fixture(scope="module")
def tiny_model_bytes() -> bytes:
    return _tiny_mlp().SerializeToString()


@pytest.mark.parametrize("page", PAGES, ids=_page_id)
def test_page_examples(page, tmp_path, monkeypatch, tiny_model_bytes):
    blocks = parse_page(page.read_text())
    runnable = [b for b in blocks if not b.skip]
    if not runnable:
        return  # nothing to run (generated tables, prose)
    (tmp_path / "model.onnx").write_bytes(tiny_model_bytes)
    np.save(tmp_path / "x.npy", np.random.default_rng(0).standard_normal((2, 4)).astype(np.float32))
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "__docs__"}
    snippets: list[tuple[str, Block]] = []
    for block in runnable:
        where = _where(page, block)
        started = time.perf_counter()
        if block.kind in ("python", "setup"):
            try:
                exec(compile(block.code, where, "exec"), namespace)  # noqa: S102 - our own docs
            except Exception as e:
                raise AssertionError(f"{where}: the example raised {type(e).__name__}: {e}") from e
        elif block.kind in ("shell", "console"):
            for command in _commands(block):
                argv = _onnxrt_argv(command)
                assert argv is not None, (
                    f"{where}: `{command}` is not an onnxrt command; "
                    "mark the block '<!-- test: skip REASON -->' if it cannot run in a test"
                )
                _run_cli(argv, where)
        elif block.excerpt_of:
            _check_excerpt(block, where)
        elif re.search(r"\bint\s+main\s*\(", block.code):
            _compile_cpp(_CPP_PRELUDE + block.code, tmp_path, f"main_{block.line}", where)
        else:
            snippets.append((where, block))
        print(f"{where}: {block.kind} {time.perf_counter() - started:.2f} s")  # shown with -s or on failure
    if snippets:
        if shutil.which("g++") is None:
            pytest.skip("g++ is not installed: C++ examples not compiled")
        _compile_cpp(_cpp_translation_unit(snippets), tmp_path, "snippets", _page_id(page))


# ---- the parser itself, so a broken convention cannot make the test pass vacuously


def test_parser_finds_blocks_markers_and_setup():
    page = "\n".join([
        "<!-- test: setup", "a = 1", "-->",
        "```python", "b = a + 1", "```",
        "<!-- test: skip needs network -->", "```bash", "pip install x", "```",
        "```", "plain output", "```",
        "<!-- test: excerpt-of examples/cpp/run_model.cc -->", "```cpp", "int x;", "```",
        "```console", "$ onnxrt info m.onnx", "output line", "```",
    ])
    blocks = parse_page(page)
    assert [b.kind for b in blocks] == ["setup", "python", "shell", "cpp", "console"]
    assert blocks[2].skip == "needs network"
    assert blocks[3].excerpt_of == "examples/cpp/run_model.cc"
    assert _commands(blocks[4]) == ["onnxrt info m.onnx"]
    with pytest.raises(AssertionError, match="needs a reason"):
        parse_page("<!-- test: skip -->\n```bash\nmake\n```")


def test_a_broken_example_fails(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(AssertionError, match="exited with"):
        _run_cli(["info", "missing.onnx"], "page:1")
    assert _onnxrt_argv("make test") is None
    assert _onnxrt_argv("python -m onnxrt run model.onnx --dim batch=2  # comment") == [
        "run", "model.onnx", "--dim", "batch=2"]
