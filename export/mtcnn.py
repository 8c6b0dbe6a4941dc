"""Export facenet-pytorch's bundled MTCNN weights (P-, R-, O-Net) to the ONNX files the runtime ships.

    python -m ganimate.export.mtcnn [-o ganimate/models]

Needs the `train` extra (torch, facenet-pytorch 2.5.3, onnx). The runtime (ganimate.face.detect) only reads
the ONNX files. Contract (all float32, inputs RGB as (v - 127.5) / 128, dynamic batch):
- mtcnn_pnet.onnx: `image` N x3xHxW (H, W >= 12, dynamic) -> `reg` N x4xH'xW', `prob` N x2xH'xW'
  (softmax, channel 1 = face), H' = ceil((H - 2) / 2) - 4.
- mtcnn_rnet.onnx: `image` N x3x24x24 -> `reg` N x4, `prob` N x2.
- mtcnn_onet.onnx: `image` N x3x48x48 -> `reg` N x4, `landmarks` N x10 (5 x then 5 y), `prob` N x2.
metadata_props: ganimate.kind=mtcnn_pnet | mtcnn_rnet | mtcnn_onet, ganimate.weights, ganimate.source,
ganimate.licence.
"""

from __future__ import annotations

import argparse
import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ganimate.errors import GanimateError

from .onnx_file import FP32_TOLERANCE, write_checked_onnx

FACENET_VERSION = "2.5.3"
SOURCE = f"facenet-pytorch {FACENET_VERSION} (timesler/facenet-pytorch, MIT), facenet_pytorch/data/{{net}}.pt"
LICENCE = "MIT (facenet-pytorch, (c) 2019 Timothy Esler); weights converted from MTCNN (kpzhang93, MIT)"
MODELS_DIR = Path(__file__).resolve().parents[1] / "ganimate" / "models"


@dataclass(frozen=True)
class NetSpec:
    name: str  # pnet | rnet | onet
    size: int | None  # fixed input side, None = dynamic (P-Net)
    outputs: tuple[str, ...]  # ONNX output names, in the torch module's output order


NETS = (
    NetSpec("pnet", None, ("reg", "prob")),
    NetSpec("rnet", 24, ("reg", "prob")),
    NetSpec("onet", 48, ("reg", "landmarks", "prob")),
)


@dataclass(frozen=True)
class MtcnnExportReport:
    path: Path
    max_abs_diff: float  # onnxruntime vs PyTorch on random inputs (P-Net: the worst of several sizes)
    sha256: str


def onnx_name(net: str) -> str:
    return f"mtcnn_{net}.onnx"


def load_net(name: str) -> nn.Module:
    """facenet-pytorch's pretrained P-, R- or O-Net (weights from the installed package, never downloaded)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        from facenet_pytorch.models.mtcnn import ONet, PNet, RNet

        installed = version("facenet-pytorch")
    except (ImportError, PackageNotFoundError):
        raise GanimateError("exporting MTCNN needs facenet-pytorch: pip install 'ganimate[train]'") from None
    if installed != FACENET_VERSION:  # the shipped files and the parity test are for this release's weights
        raise GanimateError(f"exporting MTCNN expects facenet-pytorch {FACENET_VERSION}, found {installed}")
    return {"pnet": PNet, "rnet": RNet, "onet": ONet}[name](pretrained=True).eval()


def _pnet_extra_parity(module: nn.Module, path: Path) -> float:
    """P-Net's spatial size is dynamic: compare at a few more sizes than the export's dummy."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(1)
    worst = 0.0
    for h, w in ((12, 12), (13, 29), (101, 57), (270, 480)):
        x = rng.uniform(-1.0, 1.0, (2, 3, h, w)).astype(np.float32)
        got = session.run(None, {"image": x})
        with torch.no_grad():
            ref = module(torch.from_numpy(x))
        worst = max(worst, *(float(np.abs(g - r.numpy()).max()) for g, r in zip(got, ref, strict=True)))
    return worst


def export_net(spec: NetSpec, out_dir: Path, opset: int = 17) -> MtcnnExportReport:
    """Write out_dir/mtcnn_<net>.onnx from the installed facenet-pytorch weights, checking parity."""
    module = load_net(spec.name)
    out = Path(out_dir) / onnx_name(spec.name)
    if spec.size is None:
        dummy = (torch.zeros(1, 3, 64, 80),)
        axes = {"image": {0: "batch", 2: "height", 3: "width"}}
        axes.update({o: {0: "batch", 2: "out_height", 3: "out_width"} for o in spec.outputs})
    else:
        dummy = (torch.zeros(1, 3, spec.size, spec.size),)
        axes = None
    meta = {
        "ganimate.kind": f"mtcnn_{spec.name}",
        "ganimate.source": SOURCE.format(net=spec.name),
        "ganimate.licence": LICENCE,
    }
    if spec.size is not None:
        meta["ganimate.image_size"] = str(spec.size)
    diff, _ = write_checked_onnx(module, dummy, ["image"], list(spec.outputs), out, meta, opset,
                                 parity_samples=8, dynamic_axes=axes)
    if spec.size is None:
        diff = max(diff, _pnet_extra_parity(module, out))
        if diff > FP32_TOLERANCE:
            out.unlink()
            raise GanimateError(f"ONNX export of {out.name} differs from PyTorch by {diff:.2e}")
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    return MtcnnExportReport(out, diff, digest)


def export_mtcnn(out_dir: Path = MODELS_DIR, opset: int = 17) -> list[MtcnnExportReport]:
    """Export all three nets to out_dir (default: the package's models folder)."""
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    return [export_net(spec, out_dir, opset) for spec in NETS]


def main(argv: list[str] | None = None) -> None:
    from ganimate.errors import run_script

    parser = argparse.ArgumentParser(prog="python -m ganimate.export.mtcnn", description=__doc__.split("\n")[0])
    parser.add_argument("-o", "--out", type=Path, default=MODELS_DIR, help="folder for the three ONNX files")
    args = parser.parse_args(argv)

    def go() -> None:
        for report in export_mtcnn(args.out):
            print(f"wrote {report.path} (max abs diff vs PyTorch {report.max_abs_diff:.2e}, "
                  f"sha256 {report.sha256[:12]})")

    run_script(go)


if __name__ == "__main__":
    main()
