"""Models and face tracking built once per command from the RunConfig."""

from __future__ import annotations

from dataclasses import dataclass

from ganimate.config import RunConfig
from ganimate.infer.estimator import AuEstimator
from ganimate.infer.generator import Generator


@dataclass
class Models:
    estimator: AuEstimator
    generator: Generator | None = None
    detector: object | None = None  # a FaceDetector (MTCNN) to share between videos; None = one per video
    landmarks: object | None = None  # a LandmarkEstimator, loaded by commands that write or use landmarks
    shading: object | None = None  # an AuShading (face/shading.py) when the run shades its edits
    mouth: object | None = None  # a MouthInterior (face/mouth.py) when the run fills the mouths its edits open


def load_models(run: RunConfig, need_generator: bool, need_landmarks: bool = False) -> Models:
    inf = run.infer
    estimator = AuEstimator.load(inf.au_model, inf.backend, inf.device, inf.threads, inf.precision, inf.hint)
    generator = (Generator.load(inf.model, inf.backend, inf.device, inf.threads, inf.precision, inf.hint)
                 if need_generator else None)
    landmarks = load_landmarks(run) if need_landmarks or (need_generator and inf.reads_landmarks) else None
    shading = load_shading() if need_generator and inf.shading else None
    mouth = load_mouth() if need_generator and inf.mouth else None
    from ganimate.face.detect import FaceDetector

    # one detector for the source and the reference (tracked in parallel threads; sessions allow it):
    # compiling MTCNN's three nets costs ~0.15 s of CPU at start-up
    return Models(estimator=estimator, generator=generator, detector=FaceDetector(run.detect), landmarks=landmarks,
                  shading=shading, mouth=mouth)


def load_shading():
    """The shipped AU -> shading map (ganimate/models/au_shading.npz)."""
    from ganimate.face.shading import AuShading
    from ganimate.infer.models import DEFAULT_SHADING, resolve_model

    return AuShading.load(resolve_model(None, DEFAULT_SHADING, "shading map"))


def load_mouth():
    """The shipped mouth interior map (ganimate/models/mouth_interior.npz)."""
    from ganimate.face.mouth import MouthInterior
    from ganimate.infer.models import DEFAULT_MOUTH, resolve_model

    return MouthInterior.load(resolve_model(None, DEFAULT_MOUTH, "mouth interior map"))


def load_landmarks(run: RunConfig):
    """The shipped landmark estimator on the run's backend settings."""
    from ganimate.infer.landmarks import LandmarkEstimator

    inf = run.infer
    return LandmarkEstimator.load(None, inf.backend, inf.device, inf.threads, inf.precision, inf.hint)


def new_tracker(run: RunConfig, fps: float, detector=None):
    """A FaceTracker for one video; detector (MTCNN, ONNX) is built lazily and may be shared."""
    from ganimate.face.detect import FaceDetector
    from ganimate.face.track import FaceTracker

    return FaceTracker(detector or FaceDetector(run.detect), run.track, fps=fps)
