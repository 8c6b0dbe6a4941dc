"""Several exported AU estimators as one ONNX file whose `aus` is their weighted mean.

Two estimators trained on different data (the 2026-11-27 one on LFW + clips, the 2026-12-01 one on all the
shared crops) err differently; their mean reads held-out clips better than either. One file keeps the run
time's contract (one model, input `image`, output `aus`) and runs as one call. The members' graphs are copied
side by side under name prefixes, fed the same input, and joined by a weighted sum.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ganimate.errors import GanimateError

PARITY_TOLERANCE = 1e-5  # the merged file against the mean of its members, run apart (onnxruntime, fp32)


def average_estimators(members: Sequence[Path], out: Path, weights: Sequence[float] | None = None) -> float:
    """Write out = the weighted mean of the AU estimator ONNX files `members` (weights sum to 1; default equal).

    The members must agree on the contract (kind au_estimator, image size, AU names). The metadata is the first
    member's, with ganimate.steps the sum of the members' and ganimate.members their file names. Returns the
    largest difference from the members' mean on random inputs; raises GanimateError above PARITY_TOLERANCE
    or when the members disagree (nothing is written then)."""
    import onnx
    from onnx import TensorProto, compose, helper, numpy_helper

    members = [Path(m) for m in members]
    if len(members) < 2:
        raise GanimateError("an average needs at least two estimators")
    weights = [1.0 / len(members)] * len(members) if weights is None else [float(w) for w in weights]
    if len(weights) != len(members) or abs(sum(weights) - 1.0) > 1e-6 or min(weights) < 0:
        raise GanimateError(f"weights must be {len(members)} non-negative numbers summing to 1, not {weights}")
    models = [onnx.load(str(m)) for m in members]
    metas = [{p.key: p.value for p in m.metadata_props} for m in models]
    for key in ("ganimate.kind", "ganimate.image_size", "ganimate.au_names"):
        if len({meta.get(key) for meta in metas}) != 1:
            raise GanimateError(f"the estimators disagree on {key}: {[meta.get(key) for meta in metas]}")
    if metas[0].get("ganimate.kind") != "au_estimator":
        raise GanimateError(f"{members[0]} is not an AU estimator")

    nodes, inits, terms = [], [], []
    for i, (m, w) in enumerate(zip(models, weights, strict=True)):
        prefixed = compose.add_prefix(m, f"m{i}/")
        for node in prefixed.graph.node:  # every member reads the shared input
            node.input[:] = ["image" if name == f"m{i}/image" else name for name in node.input]
        nodes += list(prefixed.graph.node)
        inits += list(prefixed.graph.initializer)
        inits.append(numpy_helper.from_array(np.array(w, np.float32), f"m{i}/weight"))
        nodes.append(helper.make_node("Mul", [f"m{i}/aus", f"m{i}/weight"], [f"m{i}/weighted"]))
        terms.append(f"m{i}/weighted")
    nodes.append(helper.make_node("Sum", terms, ["aus"]))
    size, n_aus = int(metas[0]["ganimate.image_size"]), len(metas[0]["ganimate.au_names"].split(","))
    graph = helper.make_graph(
        nodes, "ganimate_au_estimator_average",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["batch", 3, size, size])],
        [helper.make_tensor_value_info("aus", TensorProto.FLOAT, ["batch", n_aus])],
        initializer=inits)
    merged = helper.make_model(graph, opset_imports=list(models[0].opset_import), ir_version=models[0].ir_version)
    meta = dict(metas[0])
    meta["ganimate.steps"] = str(sum(int(x.get("ganimate.steps", 0)) for x in metas))
    meta["ganimate.members"] = ",".join(m.name for m in members)
    meta["ganimate.member_weights"] = ",".join(f"{w:g}" for w in weights)
    onnx.helper.set_model_props(merged, meta)
    onnx.checker.check_model(merged)

    out = Path(out)
    with tempfile.TemporaryDirectory(dir=out.parent if out.parent.exists() else None) as tmp:
        staged = Path(tmp) / out.name
        onnx.save(merged, str(staged))
        diff = _parity(staged, members, weights, size)
        if diff > PARITY_TOLERANCE:
            raise GanimateError(f"the average differs from its members' mean by {diff:.1e} (> {PARITY_TOLERANCE})")
        staged.replace(out)
    return diff


def _parity(path: Path, members: Sequence[Path], weights: Sequence[float], size: int) -> float:
    import onnxruntime as ort

    def run(p: Path, x: np.ndarray) -> np.ndarray:
        session = ort.InferenceSession(str(p), providers=["CPUExecutionProvider"])
        return session.run(["aus"], {"image": x})[0]

    x = np.random.default_rng(0).uniform(-1, 1, (4, 3, size, size)).astype(np.float32)
    expected = sum(w * run(m, x) for m, w in zip(members, weights, strict=True))
    return float(np.abs(run(path, x) - expected).max())
