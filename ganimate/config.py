"""Run-time configuration: frozen dataclasses built once by the CLI and passed down."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class DetectConfig:
    """MTCNN face detection."""

    min_face_size: int = 40  # px; larger is faster (the pyramid starts coarser)
    thresholds: tuple[float, float, float] = (0.6, 0.7, 0.7)  # P-, R-, O-net
    min_score: float = 0.9  # faces below this are ignored
    device: str = "cpu"
    # auto = the backend measured fastest for each of the three nets (ganimate.face.detect), or one for all
    backend: str = "auto"
    # threads per MTCNN net; 0 = the backend's default. One thread, because the other ONNX models and
    # the encoder use the other cores and oversubscribed threads slow MTCNN down many times over
    threads: int = 1
    # full detection runs on the frame scaled so its longer side is at most this (0 = full size): the
    # P-net pyramid costs in proportion to the area, and O-Net refines the landmarks at full size anyway
    max_side: int = 960


@dataclass(frozen=True)
class TrackConfig:
    """Following faces from frame to frame."""

    # Full MTCNN every k frames (and at once when a face is lost or at a scene cut); O-Net follows the faces
    # in between. On 11 shared clips k = 25 tracked as well as k = 5 (same coverage, crop jitter and id
    # switches); on the 720p bench clip it took 18 instead of 39 ms a frame. A face that walks in is found
    # within a second.
    detect_every: int = 25
    iou_match: float = 0.3  # min IoU to associate a detection with a track
    max_missing: int = 8  # frames a face may be missing and still be bridged
    # One-Euro landmark filter (ganimate.face.smooth), tuned on the shared clips: ~0.1 crop px
    # frame-to-frame jitter on a still head, ~1 crop px lag at 4 px/frame on a 512 px frame
    smooth_min_cutoff: float = 0.5  # Hz at rest (lower = steadier)
    smooth_beta: float = 4.0  # Hz per face size/s of speed (higher = less lag when moving)
    # a detection must score this high to start a new track (faces on the shared clips score >= 0.99,
    # MTCNN's false positives there 0.91-0.96); known tracks are re-found down to DetectConfig.min_score
    new_track_score: float = 0.97


@dataclass(frozen=True)
class CropConfig:
    size: int = 128
    margin: float = 1.0


@dataclass(frozen=True)
class EncodeConfig:
    codec: str = "libx264"
    crf: int = 18
    preset: str = "veryfast"
    pix_fmt: str = "yuv420p"
    # encoder threads; 0 = x264's own choice (1.5 x the cores). x264's output bytes depend on its thread
    # count, so batch sets it: the same jobs give the same files on any machine (locally or on Ray)
    threads: int = 0


# AUs calibrated by default: those where subtracting the 20th percentile lowered the error against OpenFace's
# labels on the 5 held-out clips (1,143 frames, shipped estimator; training/video_au_eval.py): brows,
# upper lid, nose, lip stretch/press, lips part, jaw. Left raw: AU04, AU06, AU07, AU10, AU12, AU14, AU17,
# AU45, which it made worse (a smile held through a clip would be subtracted away).
CALIBRATED_AUS = ("AU01", "AU02", "AU05", "AU09", "AU15", "AU20", "AU23", "AU25", "AU26")


@dataclass(frozen=True)
class CalibrationConfig:
    """percentile: which low percentile of a track's readings is its neutral (0-100). warmup: frames until
    that estimate is trusted in full. scale: readings above the neutral are multiplied by it. aus: the AUs
    calibrated (the others pass through unchanged)."""

    percentile: float = 20.0
    warmup: int = 50
    scale: float = 1.0
    aus: tuple[str, ...] = CALIBRATED_AUS


@dataclass(frozen=True)
class LidConfig:
    """The eyelids' closing of ganimate/face/lids.py: a target AU45 closes the eyes' present opening from 0 at
    `start` to fully at `full` (smoothstep). On the shared clips OpenFace's own lid points start to close at
    AU45 ~0.5 (gap 92% of the open one at 0.5-1, 76% at 1.5-2, 59% at 2.5-3), then stay near half open at
    AU45 >= 3, where the eyes are shut and the points sit on the two edges of the dark lash line (looked at:
    d11's three strongest blinks, AU45 4.3-4.5); full: a blink of 4 closes the eyes."""

    start: float = 0.5
    full: float = 4.0


# the shipped generator's motion per AU unit falls short of real faces' (ganimate/au/drive.py): the smile and
# the frown are driven harder (held-out mouths widened +0.11 against real strong smiles' +0.18, brows lowered
# -0.03 against -0.08; training/real_strength.py). Not raised brows: driven harder they bent glasses and blotched
# large faces' brows (looked at); a flow of their own tops up their lift instead (BROW_RAISE); nor the mouth's
# opening (a stronger flow stretched the lips into streaks the fill, face/mouth.py, did not cover) or the lids
# (face/lids.py)
DRIVE_GAINS: tuple[tuple[str, float], ...] = (("AU04", 1.5), ("AU06", 1.5), ("AU12", 1.5))
# AU units a small rise of these AUs asks for beyond the gain (ganimate/au/drive.py): held-out self-reenactment
# AU12 0.83 -> 0.92 of the real rise, widening 0.98 -> 1.14 (0.75: 0.90, 1.09; 1.5: 0.94, 1.17)
DRIVE_LIFTS: tuple[tuple[str, float], ...] = (("AU06", 1.25), ("AU12", 1.25))
# inter-ocular distances a smile's cheeks rise per AU06 unit (ganimate/face/cheeks.py): the edit's lower lids then
# rise as far as held-out people's real smiles' (dlib lid gap -0.016 on 80 pairs; without the lift -0.011)
CHEEK_LIFT = 0.04
# inter-ocular distances a frown's brows slide down over the lids per AU04 unit (ganimate/face/frown.py): the
# generator's own brows stop at -0.03 where real strong frowns reach -0.08 (0.02 until session 23: brow-eye -0.058
# and AU04 +0.98 on 40 held-out faces; 0.03: -0.061, +1.05; 0.04: -0.063, +1.06, thin brows merged into the lids)
FROWN_DROP = 0.03
# inter-ocular distances raised brows rise per AU01 (inner) or AU02 (outer) unit beyond the generator's lift
# (ganimate/face/brow_raise.py): it lifts the brows half as far as real raised brows read to the judges (40 held-out
# faces at 3 units: the brows' hair 0.058 -> 0.074, dlib brow-eye +0.052 -> +0.061; 0.015: 0.084, +0.064 with a
# wider pale band under a pale face's brows)
BROW_RAISE = 0.01
# mean |change| (0..255) of a face's crop box under which it has not moved (pipeline/hold.py): the repeated frames of
# the shared clips differ by 0.03-0.2 (codec noise), a face that moves by 0.5 and more
HOLD_STILL = 0.35


@dataclass(frozen=True)
class InferConfig:
    model: Path | None = None  # generator ONNX; None = the shipped default
    au_model: Path | None = None  # AU estimator ONNX; None = the shipped default
    backend: str = "auto"  # auto | openvino | onnxruntime
    device: str = "auto"  # auto | cpu | cuda
    batch_size: int = 8
    threads: int = 0  # CPU threads per model session; 0 = half the cores (ganimate.infer.backend.default_threads)
    # OpenVINO compute precision: auto = bf16 where the CPU has native bf16 units (AVX512-BF16, AMX),
    # f32 elsewhere. bf16 moves the shipped generator's pixels by at most ~2.5 grey levels (mean 0.04,
    # PSNR 68 dB against f32; bench/bench_precision.py) and the estimator's AUs by ~0.01
    precision: str = "auto"
    hint: str = "LATENCY"  # OpenVINO PERFORMANCE_HINT: LATENCY | THROUGHPUT
    # per-track AU calibration of video readings (ganimate/au/calibrate.py); None = raw per-frame readings
    calibration: CalibrationConfig | None = field(default_factory=CalibrationConfig)
    # paste-back mask: landmarks = each face's own outline from the landmark model (ganimate/face/mask.py),
    # ellipse = the fixed ellipse of the aligned crop (no landmark model run)
    mask: str = "landmarks"
    # a target AU45 lays the lids over the eyes from the landmarks at the frame's resolution (the warping
    # generator's coarse flow cannot close an eye); None = the generator's own edit only. Needs the landmark model
    lids: LidConfig | None = field(default_factory=LidConfig)
    # the expression's shading (creases a smile or raised brows add, face/shading.py) laid on the luminance from
    # the landmarks, by the shipped AU -> shading map; needs the landmark model
    shading: bool = True
    # a mouth the edit opens is given an inside (teeth in a smile) from the shipped map of real open mouths
    # (face/mouth.py); needs the landmark model
    mouth: bool = True
    # per AU, how hard the generator is driven: asked for source + gain x (target - source) (ganimate/au/drive.py);
    # AUs not named: 1
    drive: tuple[tuple[str, float], ...] = DRIVE_GAINS
    # per AU, AU units a small rise asks for beyond the gain (ganimate/au/drive.py); AUs not named: 0
    drive_lift: tuple[tuple[str, float], ...] = DRIVE_LIFTS
    # a rising AU06 lifts the cheeks by this many inter-ocular distances per unit, a falling one lowers them
    # (ganimate/face/cheeks.py: the generator learned no cheek motion); 0 = none. Needs the landmark model
    cheeks: float = CHEEK_LIFT
    # a rising AU04 slides the brows down over the lids by this many inter-ocular distances per unit
    # (ganimate/face/frown.py: the generator's brows saturate); 0 = none. Needs the landmark model
    frown: float = FROWN_DROP
    # a rising AU01 / AU02 lifts the inner / outer brows by this many inter-ocular distances per unit more
    # (ganimate/face/brow_raise.py: the generator's brows rise half as far as real ones); 0 = none. Needs the
    # landmark model
    brows: float = BROW_RAISE
    # a falling AU25 brings parted lips together (ganimate/face/lips.py: the generator barely closes a mouth), a
    # rising one parts them as far as real lips part (ganimate/face/parting.py: it barely parts a smile's).
    # `ganimate transfer` in relative mode turns it off unless asked: there the source's own speech is kept.
    # Needs the landmark model
    close_lips: bool = True
    # glasses stay still while the face behind them moves: their rims found on each frame (ganimate/face/glasses.py),
    # painted out for the edit and laid back. Needs the landmark model
    glasses: bool = True
    # a warping generator is also run at the AUs each face already shows, and its flow there taken off
    # (infer/generator.anchored_flow): asked for no change, it moved some faces by up to 4-5 crop px (a parted
    # mouth opened and filled, d10); the edit is then the motion of the change alone, at twice the generator's work
    anchor: bool = True
    # a face whose crop's box has changed by less than this mean |change| (0..255) since its track's last edit,
    # asked for the same target, gets that edit's change again (pipeline/hold.py: a repeated frame shimmered); 0 =
    # every face edited afresh
    hold: float = HOLD_STILL

    @property
    def reads_landmarks(self) -> bool:
        """Whether edits read each face's landmarks: for the outline mask, the lids, the shading, the mouth, the
        cheeks, the frown, raised brows, closing lips or glasses."""
        return (self.mask == "landmarks" or self.lids is not None or self.shading or self.mouth or self.cheeks > 0.0
                or self.frown > 0.0 or self.brows > 0.0 or self.close_lips or self.glasses)


@dataclass(frozen=True)
class RunConfig:
    """Everything a pipeline needs; one instance per command."""

    detect: DetectConfig = field(default_factory=DetectConfig)
    track: TrackConfig = field(default_factory=TrackConfig)
    crop: CropConfig = field(default_factory=CropConfig)
    encode: EncodeConfig = field(default_factory=EncodeConfig)
    infer: InferConfig = field(default_factory=InferConfig)
    face: str = "all"  # all | largest | INDEX (track order of first appearance)
    show_progress: bool = True
