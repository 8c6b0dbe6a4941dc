"""The runtime needs no torch, and `ganimate --help` loads no inference or video library.

Each check runs a fresh interpreter. torch, torchvision and facenet-pytorch are made unimportable there
(sys.modules[name] = None), so any import of them, even a lazy one deep in a command, fails the run,
as it would on a `pip install ganimate` without the train extra.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

BLOCK = "import sys\nfor _m in ('torch', 'torchvision', 'facenet_pytorch'):\n    sys.modules[_m] = None\n"
HEAVY = ("torch", "openvino", "onnxruntime", "onnx", "cv2", "av", "matplotlib", "numpy.linalg")


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)


def test_importing_the_cli_loads_no_model_runtime_or_video_library():
    code = f"import sys, ganimate.cli\nprint(','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    proc = _run(code)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "", f"imported at start-up: {proc.stdout.strip()}"


def test_cli_help_runs_without_torch():
    proc = _run(BLOCK + "sys.argv = ['ganimate', '--help']\nfrom ganimate.cli import main\nmain()\n")
    assert proc.returncode == 0, proc.stderr
    assert "transfer" in proc.stdout


@pytest.fixture(scope="module")
def tiny_clip(tmp_path_factory, astronaut):
    from ganimate.synth import make_face_clip

    return make_face_clip(tmp_path_factory.mktemp("media") / "tiny.mp4", astronaut, n_frames=6, fps=25,
                          size=(160, 160), motion="affine", audio=False, seed=1)


@pytest.mark.parametrize("command", ["aus", "transfer"])
def test_runtime_commands_run_without_torch(tiny_clip, tmp_path, command):
    out = tmp_path / ("aus.csv" if command == "aus" else "out.mp4")
    args = ["aus", str(tiny_clip), "-o", str(out)] if command == "aus" else \
        ["transfer", str(tiny_clip), str(tiny_clip), "-o", str(out)]
    code = BLOCK + f"sys.argv = ['ganimate', *{args!r}, '--quiet']\nfrom ganimate.cli import main\nmain()\n"
    proc = _run(code)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert out.is_file() and out.stat().st_size > 0


def test_training_commands_say_they_need_the_train_extra(tmp_path):
    ckpt = tmp_path / "c.pt"
    ckpt.write_bytes(b"x")
    # find_spec sees a None entry in sys.modules as "not installed"
    code = BLOCK + (f"sys.argv = ['ganimate', 'export', {str(ckpt)!r}, '-o', {str(tmp_path / 'x.onnx')!r}]\n"
                    "from ganimate.cli import main\nmain()\n")
    proc = _run(code)
    assert proc.returncode != 0 and "ganimate[train]" in proc.stderr and "Traceback" not in proc.stderr


def test_openvino_loads_without_its_model_converter():
    code = ("import sys\nfrom ganimate.infer.backend import import_openvino\nov = import_openvino()\n"
            "assert 'openvino.tools.ovc' not in sys.modules and hasattr(ov, 'Core')\n"
            "import openvino.tools.ovc  # still importable when asked for\n")
    proc = _run(code)
    assert proc.returncode == 0, proc.stderr
