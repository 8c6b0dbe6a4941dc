"""Numerical parity between an exported ONNX model (onnxruntime, CPU) and the PyTorch model it came from."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from ganimate.au.names import N_AUS


def random_inputs(session, n: int, seed: int = 0,
                  shapes: dict[str, tuple[int, ...]] | None = None) -> dict[str, np.ndarray]:
    """Random float32 inputs for the model contract: `image` N x3xSxS in [-1, 1], `aus` N x17 in [0, 1].

    shapes: per input, the sizes to use for its dynamic dimensions other than the batch (e.g. H, W of a
    fully convolutional net); fixed dimensions always come from the graph.
    """
    rng = np.random.default_rng(seed)
    feeds = {}
    for inp in session.get_inputs():
        if inp.name == "aus":
            feeds[inp.name] = rng.uniform(0.0, 1.0, (n, N_AUS)).astype(np.float32)
        else:
            fallback = (shapes or {}).get(inp.name, ())
            dims = inp.shape[1:]
            shape = [n, *(int(d) if isinstance(d, int) else int(fallback[k + 1]) for k, d in enumerate(dims))]
            feeds[inp.name] = rng.uniform(-1.0, 1.0, shape).astype(np.float32)
    return feeds


def check_parity(onnx_path: Path, torch_model: torch.nn.Module, n: int = 4, seed: int = 0,
                 shapes: dict[str, tuple[int, ...]] | None = None) -> float:
    """Max abs difference between onnxruntime (CPU) and torch_model on n random inputs.

    torch_model is called with the ONNX inputs in graph order; its outputs (a tensor or a tuple) are compared
    position by position with the ONNX outputs (extra torch outputs are ignored).
    """
    import onnxruntime as ort

    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    feeds = random_inputs(session, n, seed, shapes)
    onnx_out = session.run(None, feeds)
    device = next(torch_model.parameters()).device
    was_training = torch_model.training
    torch_model.eval()
    with torch.no_grad():
        ref = torch_model(*(torch.from_numpy(feeds[i.name]).to(device) for i in session.get_inputs()))
    torch_model.train(was_training)
    ref = (ref,) if isinstance(ref, torch.Tensor) else tuple(ref)
    return max(float(np.abs(o.astype(np.float64) - r.float().cpu().numpy()).max()) for o, r in
               zip(onnx_out, ref, strict=False))
