"""Where the shipped default models live, and how a model path is chosen."""

from __future__ import annotations

from pathlib import Path

from ganimate.errors import GanimateError

MODELS_DIR = Path(__file__).resolve().parent.parent / "models"
DEFAULT_GENERATOR = MODELS_DIR / "generator.onnx"
DEFAULT_AU_ESTIMATOR = MODELS_DIR / "au_estimator.onnx"
DEFAULT_LANDMARKS = MODELS_DIR / "landmarks.onnx"
DEFAULT_MOUTH_POINTS = MODELS_DIR / "mouth_points.onnx"  # the mouth reader that refines the landmarks' mouth
DEFAULT_SHADING = MODELS_DIR / "au_shading.npz"
DEFAULT_MOUTH = MODELS_DIR / "mouth_interior.npz"


def resolve_model(path: Path | None, default: Path, what: str) -> Path:
    """The user's model file, or the shipped default; GanimateError when neither exists."""
    chosen = Path(path) if path is not None else default
    if not chosen.is_file():
        if path is None:
            raise GanimateError(f"no default {what} is installed ({default}); pass one with the model option")
        raise GanimateError(f"{what} file not found: {chosen}")
    return chosen
