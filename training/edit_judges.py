"""Judges of an edited face that owe nothing to the project's own models (evaluation only).

- DlibJudge: dlib's 68-point shape predictor (landmarks) and its ResNet face descriptor (identity), both
  from the `face-recognition-models` package; dlib comes from `dlib-bin`. Install: pip install '.[eval]'.
- OnnxLandmarkJudge: any ONNX landmark estimator with an `image` input (N x 3 x S x S in [-1, 1], the
  aligned crop of ganimate/face/align.py) and a `landmarks` output (N x 68 x 2, crop units (x + 0.5) / S),
  e.g. the lead's AU + landmark estimator, as a second landmark judge.

A judge first locates the face on the unedited photo (`locate`) and then reads the input and every edit
of it in that same place (`landmarks(image, where)`): the edit must move the face's parts, not the frame.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

from ganimate.errors import GanimateError

EVAL_INSTALL = "pip install '.[eval]'  (dlib-bin, face-recognition-models)"


def dlib_available() -> bool:
    return importlib.util.find_spec("dlib") is not None and importlib.util.find_spec(
        "face_recognition_models") is not None


def _model_file(name: str) -> Path:
    # face_recognition_models' __init__ imports pkg_resources (gone from recent setuptools): find its folder
    # without running it
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise GanimateError(f"face-recognition-models is not installed: {EVAL_INSTALL}")
    path = Path(next(iter(spec.submodule_search_locations))) / "models" / name
    if not path.is_file():
        raise GanimateError(f"{path} is missing: reinstall face-recognition-models")
    return path


class DlibJudge:
    """68 landmarks and a 128-d identity descriptor from dlib. Not thread-safe; build once."""

    name = "dlib"

    def __init__(self, upsample: int = 1):
        try:
            import dlib
        except ImportError as e:
            raise GanimateError(f"dlib is not installed: {EVAL_INSTALL}") from e
        self._dlib = dlib
        self._detector = dlib.get_frontal_face_detector()
        self._shape = dlib.shape_predictor(str(_model_file("shape_predictor_68_face_landmarks.dat")))
        self._descriptor = dlib.face_recognition_model_v1(str(_model_file("dlib_face_recognition_resnet_model_v1.dat")))
        self.upsample = upsample

    def locate(self, image: np.ndarray, fallback: np.ndarray | None = None):
        """The face's dlib rectangle on a uint8 HxWx3 RGB photo: the largest HOG detection, else the box of
        fallback landmarks (float (K, 2), e.g. OpenFace's) when given, else None."""
        found = self._detector(np.ascontiguousarray(image), self.upsample)
        if len(found):
            return max(found, key=lambda r: r.area())
        if fallback is None:
            return None
        (x0, y0), (x1, y1) = np.floor(fallback.min(0)), np.ceil(fallback.max(0))
        return self._dlib.rectangle(int(x0), int(y0), int(x1), int(y1))

    def _shape_of(self, image: np.ndarray, where):
        return self._shape(np.ascontiguousarray(image), where)

    def landmarks(self, image: np.ndarray, where) -> np.ndarray:
        """float64 (68, 2) image px of the face inside `where` (a rectangle from locate)."""
        s = self._shape_of(image, where)
        return np.array([(s.part(i).x, s.part(i).y) for i in range(68)], dtype=np.float64)

    def descriptor(self, image: np.ndarray, where) -> np.ndarray:
        """float64 (128,) identity descriptor; distances under ~0.6 mean the same person to dlib."""
        image = np.ascontiguousarray(image)
        return np.asarray(self._descriptor.compute_face_descriptor(image, self._shape_of(image, where)), np.float64)


def identity_distance(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(np.asarray(a) - np.asarray(b)))


class OnnxLandmarkJudge:
    """Landmarks read by an ONNX estimator on the aligned crop of a 5-point location (from MTCNN)."""

    def __init__(self, path: Path, detector=None, margin: float | None = None):
        import onnxruntime as ort

        from ganimate.face.align import DEFAULT_MARGIN

        path = Path(path)
        if not path.is_file():
            raise GanimateError(f"landmark judge not found: {path}")
        self.session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        names = {o.name for o in self.session.get_outputs()}
        if "landmarks" not in names:
            raise GanimateError(f"{path}: no 'landmarks' output (has {sorted(names)})")
        self.size = int(self.session.get_inputs()[0].shape[-1])
        self.name = path.stem
        self.detector = detector
        self.margin = DEFAULT_MARGIN if margin is None else margin

    def locate(self, image: np.ndarray, fallback: np.ndarray | None = None):
        """The crop's frame -> crop matrix: MTCNN's 5 points, else fallback's 68 landmarks' 5 points."""
        from ganimate.face.align import crop_transform
        from ganimate.face.landmarks import five_points

        faces = self.detector.detect(image) if self.detector is not None else []
        if faces:
            return crop_transform(faces[0].landmarks, self.size, self.margin)
        if fallback is None:
            return None
        return crop_transform(five_points(fallback), self.size, self.margin)

    def landmarks(self, image: np.ndarray, where) -> np.ndarray:
        import cv2

        from ganimate.face.align import invert_transform, transform_points
        from ganimate.infer.tensors import crops_to_tensor

        shrink = abs(np.linalg.det(np.asarray(where)[:, :2])) < 1  # as align.warp_face_by_landmarks cuts
        crop = cv2.warpAffine(image, where, (self.size, self.size),
                              flags=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        out = self.session.run(["landmarks"], {self.session.get_inputs()[0].name: crops_to_tensor(crop[None])})[0]
        crop_px = np.asarray(out, np.float64).reshape(68, 2) * self.size - 0.5
        return transform_points(invert_transform(where), crop_px)
