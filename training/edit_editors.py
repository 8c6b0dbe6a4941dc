"""The expression editors that edit_eval judges: a photo and target AUs in, the edited photo out.

An editor is a callable (FacePhoto, target AUs float (17,) 0..5) -> uint8 HxWx3 RGB photo. The photo record
carries OpenFace's landmarks and AUs beside the pixels because the geometry-only baseline needs them (the
run-time editor looks only at the pixels, as `ganimate` does).

- RuntimeEditor: the run-time path of any generator ONNX file: MTCNN -> aligned crop -> Generator.edit ->
  paste back. The paste is one function (`paste`), so a generator with more outputs (flow, colour) is
  judged through whatever run-time paste it ships with.
- GeometryEditor: no learning of pixels: OpenFace's landmarks moved by the AU -> landmark map
  (training/au_geometry.py) and a piecewise-affine warp of the photo that takes them there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import cv2
import numpy as np

from ganimate.errors import GanimateError
from ganimate.face.align import DEFAULT_MARGIN, crop_transform, invert_transform, warp_face_by_landmarks
from ganimate.face.landmarks import five_points
from ganimate.face.paste import make_feather_mask


@dataclass(frozen=True)
class FacePhoto:
    """One photo under test. image: uint8 HxWx3 RGB; landmarks: float64 (68, 2) OpenFace, image px;
    aus: float32 (17,) OpenFace intensities 0..5; name: the photo's path under faces/ (for the report)."""

    image: np.ndarray
    landmarks: np.ndarray
    aus: np.ndarray
    name: str = ""


Editor = Callable[[FacePhoto, np.ndarray], np.ndarray]


def paste_generator_output(frame: np.ndarray, crop: np.ndarray, edit, matrix: np.ndarray, mask: np.ndarray,
                           touch=None, finish=None) -> np.ndarray:
    """The run-time paste of one face (ganimate.pipeline.render.edit_face): edit is Generator.edit_maps's
    CropEdit for this crop; warped at the photo's resolution when the generator has a flow; then touch (a
    render.FaceTouch: the 68 points, lids, shading, smile) finished by finish (a render.Finish)."""
    from ganimate.pipeline.render import FaceTouch, Finish, edit_face

    return edit_face(frame, crop, matrix, edit, mask, touch or FaceTouch(), finish or Finish())


@dataclass
class RuntimeEditor:
    """detect -> align -> Generator.edit -> paste, as `ganimate keyframes` does for a still portrait."""

    generator: object  # ganimate.infer.generator.Generator
    detector: object  # ganimate.face.detect.FaceDetector
    margin: float = DEFAULT_MARGIN
    paste: Callable = paste_generator_output
    landmarks: object | None = None  # a LandmarkEstimator: mask each edit by the face's outline, as --mask landmarks
    lids: object | None = None  # a LidConfig (needs landmarks): close the lids for a target AU45, as the run time
    outline: bool = True  # with landmarks: mask by the face's outline (else the ellipse)
    # an AuShading (needs landmarks and estimator): shade the change from the estimator's reading of the photo to
    # the target, as the run time's --shading (a still's source AUs are the estimator's, as `ganimate keyframes`)
    shading: object | None = None
    estimator: object | None = None  # an AuEstimator
    mouth: object | None = None  # a MouthInterior (needs landmarks): fill an opened mouth, as the run time's --mouth
    # an au.drive.Drive (needs estimator): drive the generator by it, as the run time (ganimate/au/drive.py)
    drive: object | None = None
    # inter-ocular distances per AU06 unit (needs landmarks and estimator): lift the cheeks, as the run time's
    # --cheeks (ganimate/face/cheeks.py); 0: none
    cheeks: float = 0.0
    # the same per AU04 unit: slide a frown's brows down, as the run time's --frown (ganimate/face/frown.py)
    frown: float = 0.0
    # the same per AU01 / AU02 unit: lift raised brows further, as the run time's --brows (ganimate/face/brow_raise.py)
    brows: float = 0.0
    # (needs landmarks and estimator) bring parted lips together where AU25 falls, as --close-lips (face/lips.py)
    close_lips: bool = False
    glasses: bool = False  # (needs landmarks) keep a face's glasses still, as the run time's --glasses
    # (needs landmarks and estimator) a closed-lip smile's lips stretched as real ones, as the run time does for a
    # still portrait (face/smile_lips.py)
    stretch: bool = True
    # (needs estimator) take off the generator's flow at the photo's own AUs, as the run time's InferConfig.anchor
    anchor: bool = False
    mask: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.mask = make_feather_mask(self.generator.size)

    def __call__(self, photo: FacePhoto, target: np.ndarray) -> np.ndarray:
        from ganimate.pipeline.render import FaceTouch, Finish

        faces = self.detector.detect(photo.image)
        if not faces:
            raise GanimateError(f"no face found in {photo.name or 'the photo'}")
        crop, matrix = warp_face_by_landmarks(photo.image, faces[0].landmarks, self.generator.size, self.margin)
        source = None
        if self.estimator is not None:  # the photo's own AUs as the run time reads them
            est_crop, _ = warp_face_by_landmarks(photo.image, faces[0].landmarks, self.estimator.size, self.margin)
            source = self.estimator.estimate(est_crop[None])[0]
        asked = np.asarray(target, np.float32)
        if self.drive is not None and source is not None:
            from ganimate.au.drive import drive_targets

            asked = drive_targets(asked, source, self.drive)
        anchor = source[None] if self.anchor and source is not None else None
        edit = self.generator.edit_maps(crop[None], asked[None], anchor)[0]
        mask, touch = self.mask, FaceTouch()
        if self.landmarks is not None:
            from ganimate.face.align import transform_points
            from ganimate.pipeline.render import cut_for_landmarks, face_mask, touch_for

            touch = touch_for(target, source, self.lids, self.shading, self.cheeks, self.frown, self.close_lips,
                              self.drive is not None, self.stretch, self.brows)
            lm_crop, lm_matrix = cut_for_landmarks(photo.image, faces[0].landmarks, crop, matrix, self.landmarks.size)
            read = self.landmarks.locate(lm_crop[None], mirror=touch.closure > 0.0)[0]  # as edited_frames
            points = transform_points(invert_transform(lm_matrix), read)
            if self.outline:
                mask = face_mask(points, matrix, self.mask)
            touch = replace(touch, points=points)
            if self.glasses:
                from ganimate.face.glare import read_glasses

                worn = read_glasses(photo.image, points)
                touch = replace(touch, rims=worn.rims, glare=worn.glare)
        return self.paste(photo.image, crop, edit, matrix, mask, touch,
                          Finish(self.shading if self.estimator is not None else None, self.mouth))


def runtime_editor(threads: int = 2, backend: str = "auto") -> RuntimeEditor:
    """A RuntimeEditor with the run time's defaults: the shipped generator, landmark outline, lids, shading,
    mouth interior, drive, cheeks, frown, raised brows, closing lips and glasses kept still, the shipped estimator
    reading each photo's own AUs, and the generator's flow at them taken off (anchor)."""
    from ganimate.au.drive import drive_of
    from ganimate.config import BROW_RAISE, CHEEK_LIFT, DRIVE_GAINS, DRIVE_LIFTS, FROWN_DROP, DetectConfig, LidConfig
    from ganimate.face.detect import FaceDetector
    from ganimate.infer.estimator import AuEstimator
    from ganimate.infer.generator import Generator
    from ganimate.infer.landmarks import LandmarkEstimator
    from ganimate.infer.models import DEFAULT_AU_ESTIMATOR, DEFAULT_GENERATOR
    from ganimate.pipeline.context import load_mouth, load_shading

    return RuntimeEditor(Generator(DEFAULT_GENERATOR, backend=backend, device="cpu", threads=threads),
                         FaceDetector(DetectConfig(threads=threads)),
                         landmarks=LandmarkEstimator.load(None, backend=backend, threads=threads), lids=LidConfig(),
                         outline=True, shading=load_shading(),
                         estimator=AuEstimator(DEFAULT_AU_ESTIMATOR, backend=backend, device="cpu", threads=threads),
                         mouth=load_mouth(), drive=drive_of(DRIVE_GAINS, DRIVE_LIFTS), cheeks=CHEEK_LIFT,
                         frown=FROWN_DROP, brows=BROW_RAISE, close_lips=True, glasses=True, anchor=True)


def geometry_targets(landmarks68: np.ndarray, displacement: np.ndarray) -> np.ndarray:
    """Where the landmarks go: float64 (68, 2) image px.

    displacement: float (68, 2) as AuGeometry gives it, a fraction of the side of the aligned crop cut from
    these landmarks (five_points -> align.py's template), turned into image px by that crop's inverse.
    """
    unit_crop = crop_transform(five_points(landmarks68), 1)  # image -> crop of side 1
    linear = invert_transform(unit_crop)[:, :2]
    return np.asarray(landmarks68, np.float64) + np.asarray(displacement, np.float64) @ linear.T


def _ring(points: np.ndarray, scale: float, n: int) -> np.ndarray:
    """n points on an ellipse around the landmarks, scale x their half-extent from their centre."""
    lo, hi = points.min(0), points.max(0)
    centre, half = (lo + hi) / 2, (hi - lo) / 2 * scale
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    return centre + half * np.stack([np.cos(t), np.sin(t)], axis=1)


def warp_landmarks(image: np.ndarray, src: np.ndarray, dst: np.ndarray, ring_scale: float = 1.5,
                   ring_points: int = 24) -> np.ndarray:
    """Piecewise-affine warp of the image that moves the points src to dst.

    image: uint8 HxWx3 RGB; src, dst: float (K, 2) image px. A ring of fixed anchors (ring_scale x the
    landmarks' half-extent) and a frame around the image stay put, so pixels outside the ring are copied
    exactly. Returns a new uint8 HxWx3 RGB image.
    """
    from skimage.transform import PiecewiseAffineTransform

    src, dst = np.asarray(src, np.float64), np.asarray(dst, np.float64)
    h, w = image.shape[:2]
    ring = _ring(np.concatenate([src, dst]), ring_scale, ring_points)
    lo = np.minimum(ring.min(0), 0) - 2
    hi = np.maximum(ring.max(0), (w - 1, h - 1)) + 2
    xs, ys = np.linspace(lo[0], hi[0], 3), np.linspace(lo[1], hi[1], 3)
    frame = np.array([(x, y) for x in xs for y in ys if x in (xs[0], xs[-1]) or y in (ys[0], ys[-1])])
    anchors = np.concatenate([ring, frame])
    # output px -> input px: the warp samples the input where each output pixel's point came from
    tform = PiecewiseAffineTransform.from_estimate(np.concatenate([dst, anchors]), np.concatenate([src, anchors]))
    x0, y0 = np.maximum(np.floor(ring.min(0)).astype(int), 0)
    x1, y1 = np.minimum(np.ceil(ring.max(0)).astype(int) + 1, (w, h))
    out = image.copy()
    if x1 <= x0 or y1 <= y0:
        return out
    yy, xx = np.mgrid[y0:y1, x0:x1]
    coords = tform(np.stack([xx.ravel(), yy.ravel()], axis=1).astype(np.float64))
    map_x = coords[:, 0].reshape(xx.shape).astype(np.float32)
    map_y = coords[:, 1].reshape(xx.shape).astype(np.float32)
    # cubic: a bilinear resampling of a sub-pixel motion visibly softens the skin it moves
    warped = cv2.remap(image, map_x, map_y, cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
    inside = np.zeros((h, w), np.uint8)
    cv2.fillConvexPoly(inside, np.round(ring).astype(np.int32), 1)
    keep = inside[y0:y1, x0:x1].astype(bool)
    out[y0:y1, x0:x1][keep] = warped[keep]
    return out


@dataclass(frozen=True)
class GeometryEditor:
    """The geometry-only baseline, absolute mode: the photo's OpenFace AUs are the source AUs."""

    geometry: object  # training.au_geometry.AuGeometry
    ring_scale: float = 1.5

    def __call__(self, photo: FacePhoto, target: np.ndarray) -> np.ndarray:
        motion = self.geometry.displacement(photo.aus, np.asarray(target, np.float32))
        dst = geometry_targets(photo.landmarks, motion)
        return warp_landmarks(photo.image, photo.landmarks, dst, self.ring_scale)
