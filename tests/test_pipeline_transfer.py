"""transfer / keyframes / aus end to end on project-made clips with tiny project-made models."""

import json
from dataclasses import replace

import numpy as np
import pytest
from model_files import identity_generator, random_estimator, random_generator

from ganimate.au.curves import load_curves
from ganimate.au.openface_csv import read_openface_csv
from ganimate.cli import build_run_config
from ganimate.errors import GanimateError
from ganimate.pipeline.aus import run_aus
from ganimate.pipeline.keyframes import KeyframesOptions, run_keyframes
from ganimate.pipeline.progress import frame_progress
from ganimate.pipeline.transfer import TransferOptions, run_transfer
from ganimate.video.probe import probe_video
from ganimate.video.reader import read_frames
from ganimate.video.writer import VideoWriter


def _run(model, **kw):
    return build_run_config(model=model, au_model=random_estimator(), quiet=True, **kw)


def _frames(path):
    return [f.image for f in read_frames(path)]


def _psnr(a, b):
    mse = np.mean([(x.astype(np.float64) - y) ** 2 for x, y in zip(a, b, strict=True)])
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)


def test_identity_generator_reproduces_the_source(clip_path, tmp_path):
    run = _run(identity_generator())
    out = tmp_path / "out.mp4"
    with frame_progress(False) as p:
        report = run_transfer(clip_path, clip_path, out, run, TransferOptions(), p)
    plain = tmp_path / "plain.mp4"
    info = probe_video(clip_path)
    with VideoWriter(plain, info, run.encode, audio_from=clip_path) as w:
        for f in read_frames(clip_path):
            w.write(f)
    got, ref = _frames(out), _frames(plain)
    out_info = probe_video(out)
    assert report.frames == len(got) == len(ref) == info.frame_count
    assert report.frames_with_face == report.frames
    assert (out_info.width, out_info.height, out_info.fps) == (info.width, info.height, info.fps)
    assert out_info.has_audio and out_info.audio_codec == info.audio_codec
    psnr = _psnr(got, ref)
    print(f"identity transfer PSNR vs plain re-encode: {psnr:.1f} dB")
    assert psnr >= 40


def test_random_generator_changes_only_the_face_region(clip_path, tmp_path):
    out = tmp_path / "out.mp4"
    with frame_progress(False) as p:
        run_transfer(clip_path, clip_path, out, _run(random_generator()), TransferOptions(mode="absolute"), p)
    src, got = _frames(clip_path), _frames(out)
    plain = tmp_path / "plain.mp4"
    with VideoWriter(plain, probe_video(clip_path), build_run_config().encode, audio_from=clip_path) as w:
        for f in read_frames(clip_path):
            w.write(f)
    reencoded = _frames(plain)
    diff = np.abs(got[10].astype(np.int16) - src[10]).max(axis=2)
    noise = np.abs(reencoded[10].astype(np.int16) - src[10]).max(axis=2)
    changed = diff > 40  # well above encoder noise
    assert changed.sum() > 500  # the face was edited
    ys, xs = np.nonzero(changed)
    h, w = diff.shape
    # the edits sit on the face (top centre of the astronaut photo), nowhere near the frame's borders
    assert xs.min() > 0.25 * w and xs.max() < 0.75 * w and ys.max() < 0.5 * h
    # below the face the output differs from the source no more than a plain re-encode does
    lower = slice(int(0.6 * h), None)
    assert diff[lower].mean() <= noise[lower].mean() + 1.0


def test_transfer_errors(clip_path, tmp_path):
    run = _run(identity_generator())
    with frame_progress(False) as p:
        with pytest.raises(GanimateError, match="mode"):
            run_transfer(clip_path, clip_path, tmp_path / "o.mp4", run, TransferOptions(mode="sideways"), p)
        with pytest.raises(GanimateError):
            run_transfer(clip_path, clip_path, clip_path, run, TransferOptions(), p)  # OUT == input
        ref = tmp_path / "ref.mp4"  # OUT == the reference (a batch job calls this without the CLI's own check)
        ref.write_bytes(clip_path.read_bytes())
        with pytest.raises(GanimateError, match="would overwrite the input"):
            run_transfer(clip_path, ref, ref, run, TransferOptions(), p)
        assert ref.read_bytes() == clip_path.read_bytes()
    assert not (tmp_path / "o.mp4").exists()


def test_transfer_with_no_face_anywhere_writes_nothing(tmp_path):
    from ganimate.synth import make_face_clip

    blank = make_face_clip(tmp_path / "blank.mp4", np.full((64, 64, 3), 90, np.uint8), n_frames=10,
                           size=(128, 128), motion="static", audio=False)
    out = tmp_path / "o.mp4"
    with frame_progress(False) as p, pytest.raises(GanimateError, match="no face"):
        run_transfer(blank, blank, out, _run(identity_generator()), TransferOptions(), p)
    assert not out.exists() and list(tmp_path.iterdir()) == [blank]


def test_transfer_from_an_openface_csv_reference(clip_path, tmp_path):
    csv = tmp_path / "ref.csv"
    with frame_progress(False) as p:
        run_aus(clip_path, csv, _run(None), p)
    out = tmp_path / "o.mp4"
    with frame_progress(False) as p:
        report = run_transfer(clip_path, csv, out, _run(identity_generator()), TransferOptions(), p)
    assert report.reference_frames == 50 and out.exists()


def test_aus_writes_one_row_per_frame_with_success(clip_path, tmp_path):
    csv = tmp_path / "aus.csv"
    with frame_progress(False) as p:
        report = run_aus(clip_path, csv, _run(None), p)
    track = read_openface_csv(csv)
    assert len(track) == report.frames == 50
    assert track.success.all() and np.isfinite(track.aus).all()
    assert ((track.aus >= 0) & (track.aus <= 5)).all()
    np.testing.assert_allclose(track.timestamp, np.arange(50) / 25, atol=1e-3)


def test_keyframes_on_a_still_portrait(astronaut, tmp_path):
    import cv2

    img = tmp_path / "face.png"
    cv2.imwrite(str(img), cv2.cvtColor(astronaut, cv2.COLOR_RGB2BGR))
    curves_file = tmp_path / "c.json"
    curves_file.write_text(json.dumps({"fps": 10, "duration": 1.5, "curves": {"AU12": [[0, 0], [1, 4]]}}))
    out = tmp_path / "k.mp4"
    run = replace(_run(random_generator()))
    with frame_progress(False) as p:
        report = run_keyframes(load_curves(curves_file), img, out, run, KeyframesOptions(preview=True), p)
    info = probe_video(out)
    assert info.frame_count == report.frames == 15 and float(info.fps) == 10
    assert (info.width, info.height) == (512, 512) and not info.has_audio
    assert report.targets[0, 8] == pytest.approx(0) and report.targets[-1, 8] == pytest.approx(4)
    assert report.preview is not None and probe_video(report.preview).width == 1024


def test_keyframes_on_a_video_keeps_its_timing_and_audio(clip_path, tmp_path):
    curves_file = tmp_path / "c.json"
    curves_file.write_text(json.dumps({"base": "source", "curves": {"AU25": [[0, 0], [1, 2]]}}))
    out = tmp_path / "k.mp4"
    with frame_progress(False) as p:
        report = run_keyframes(load_curves(curves_file), clip_path, out, _run(identity_generator()),
                               KeyframesOptions(), p)
    info, src = probe_video(out), probe_video(clip_path)
    assert report.frames == src.frame_count and info.fps == src.fps and info.has_audio
    assert _psnr(_frames(out), _frames(clip_path)) > 35


def test_generator_and_estimator_of_different_crop_sizes(clip_path, tmp_path):
    """A 64 px generator beside a 128 px AU estimator: each gets crops at its own size."""
    from ganimate.cli import _crop_size_from_model

    run = _crop_size_from_model(_run(identity_generator(64)))
    assert run.crop.size == 64
    out = tmp_path / "o.mp4"
    with frame_progress(False) as p:
        report = run_transfer(clip_path, clip_path, out, run, TransferOptions(), p)
    assert report.frames_with_face == report.frames == 50
    plain = tmp_path / "plain.mp4"
    with VideoWriter(plain, probe_video(clip_path), run.encode, audio_from=clip_path) as w:
        for f in read_frames(clip_path):
            w.write(f)
    assert _psnr(_frames(out), _frames(plain)) >= 40


def test_output_does_not_depend_on_batch_size_or_threads(clip_path, tmp_path):
    outs = []
    for batch, threads in ((1, 1), (8, 2)):
        out = tmp_path / f"b{batch}.mp4"
        run = _run(random_generator(), batch=batch, threads=threads, precision="f32")
        with frame_progress(False) as p:
            run_transfer(clip_path, clip_path, out, run, TransferOptions(), p)
        outs.append(_frames(out))
    assert len(outs[0]) == len(outs[1])
    # x264 turns sub-level differences into its own noise (~38 dB vs the source here): stay above that
    assert _psnr(outs[0], outs[1]) >= 40


def test_a_blink_closes_the_eyes_only_with_the_lids_on(astronaut, tmp_path):
    import cv2

    from ganimate.face.landmarks import EYE_LEFT, EYE_RIGHT

    img = tmp_path / "face.png"
    cv2.imwrite(str(img), cv2.cvtColor(astronaut, cv2.COLOR_RGB2BGR))
    curves = tmp_path / "c.json"
    curves.write_text(json.dumps({"fps": 10, "duration": 0.3, "curves": {"AU45": [[0, 0], [0.1, 5], [0.3, 5]]}}))
    outs = {}
    for lids in (True, False):
        out = tmp_path / f"k_{lids}.mp4"
        with frame_progress(False) as p:
            run_keyframes(load_curves(curves), img, out, _run(identity_generator(), lids=lids), KeyframesOptions(), p)
        outs[lids] = _frames(out)
    # the eyes shut: the eye region changes, the rest of the face hardly (x264's noise only: its rate control
    # looks ahead, so even the first frame, AU45 = 0 in both, is encoded a little differently)
    from ganimate.face.detect import FaceDetector
    from ganimate.infer.landmarks import LandmarkEstimator
    from ganimate.pipeline.render import cut_for_landmarks

    face = FaceDetector().detect(astronaut)[0]
    marks = LandmarkEstimator.load(None, backend="onnxruntime", threads=1)
    crop, matrix = cut_for_landmarks(astronaut, face.landmarks, np.zeros((1, 1, 3)), np.eye(2, 3), marks.size)
    from ganimate.face.align import invert_transform, transform_points

    eyes = transform_points(invert_transform(matrix), marks.locate(crop[None])[0])[list(EYE_LEFT + EYE_RIGHT)]
    (x0, y0), (x1, y1) = eyes.min(0).astype(int) - 2, eyes.max(0).astype(int) + 3
    diff = np.abs(outs[True][-1].astype(int) - outs[False][-1].astype(int)).sum(2)
    assert diff[y0:y1, x0:x1].mean() > 15
    far = np.ones(diff.shape, bool)
    far[y0 - 40:y1 + 40, x0 - 40:x1 + 40] = False
    assert diff[far].mean() < 0.5
    first = np.abs(outs[True][0].astype(int) - outs[False][0].astype(int)).sum(2)
    assert first[y0:y1, x0:x1].mean() < 0.2 * diff[y0:y1, x0:x1].mean()  # AU45 = 0: nothing closed


def _held_target_last_frames(astronaut, tmp_path, target: dict, model, switch: str) -> dict:
    """The last frame of `ganimate keyframes` on the astronaut holding a target (AU -> intensity), with the run
    option `switch` on (True) and off (False): {True: uint8 HxWx3, False: ...}."""
    import cv2

    img = tmp_path / "face.png"
    cv2.imwrite(str(img), cv2.cvtColor(astronaut, cv2.COLOR_RGB2BGR))
    curves = tmp_path / "c.json"
    curves.write_text(json.dumps({"fps": 10, "duration": 0.2, "base": "neutral",
                                  "curves": {au: [[0, v]] for au, v in target.items()}}))
    outs = {}
    for on in (True, False):
        out = tmp_path / f"k_{on}.mp4"
        with frame_progress(False) as p:
            run_keyframes(load_curves(curves), img, out, _run(model, **{switch: on}), KeyframesOptions(), p)
        outs[on] = _frames(out)[-1]
    return outs


def test_a_smile_shades_the_face_only_with_the_shading_on(astronaut, tmp_path):

    from ganimate.face.detect import FaceDetector

    outs = _held_target_last_frames(astronaut, tmp_path, {"AU06": 2, "AU12": 3}, identity_generator(), "shading")
    diff = np.abs(outs[True].astype(int) - outs[False].astype(int)).sum(2)
    box = FaceDetector().detect(astronaut)[0].box.astype(int)
    x0, y0, x1, y1 = box
    assert diff[y0:y1, x0:x1].mean() > 1.0  # the face's luminance changed
    far = np.ones(diff.shape, bool)
    far[max(y0 - 40, 0):y1 + 40, max(x0 - 40, 0):x1 + 40] = False
    assert diff[far].mean() < 0.5  # beyond it, x264's noise only


def test_an_opened_mouth_gets_its_inside_only_with_the_mouth_on(astronaut, tmp_path):

    from ganimate.face.align import invert_transform, transform_points
    from ganimate.face.detect import FaceDetector
    from ganimate.infer.landmarks import LandmarkEstimator
    from ganimate.pipeline.render import cut_for_landmarks

    # the shipped warping generator: it opens the mouth
    outs = _held_target_last_frames(astronaut, tmp_path, {"AU25": 3, "AU26": 3}, None, "mouth")
    face = FaceDetector().detect(astronaut)[0]
    marks = LandmarkEstimator.load(None, backend="onnxruntime", threads=1)
    crop, matrix = cut_for_landmarks(astronaut, face.landmarks, np.zeros((1, 1, 3)), np.eye(2, 3), marks.size)
    lips = transform_points(invert_transform(matrix), marks.locate(crop[None])[0])[48:68]
    (x0, y0), (x1, y1) = lips.min(0).astype(int) - 4, lips.max(0).astype(int) + 12  # the jaw drops
    diff = np.abs(outs[True].astype(int) - outs[False].astype(int)).sum(2)
    assert diff[y0:y1, x0:x1].mean() > 5  # the inside of the mouth changed
    far = np.ones(diff.shape, bool)
    far[y0 - 30:y1 + 30, x0 - 30:x1 + 30] = False
    assert diff[far].mean() < 0.5  # beyond it, x264's noise only


def test_a_transfer_closes_lips_in_absolute_mode_or_when_asked():
    from ganimate.pipeline.transfer import lips_for_mode

    assert lips_for_mode("absolute", None) is True
    assert lips_for_mode("relative", None) is False  # a talking source keeps its speech
    assert lips_for_mode("relative", True) is True and lips_for_mode("absolute", False) is False


def _recorded_edits(monkeypatch) -> list[dict]:
    """The keyword arguments of each edited_frames call the run makes (render.edited_frames, recorded)."""
    from ganimate.pipeline import render

    calls: list[dict] = []
    original = render.edited_frames

    def recorded(*args, **kwargs):
        calls.append(kwargs)
        return original(*args, **kwargs)

    monkeypatch.setattr(render, "edited_frames", recorded)
    return calls


def _still_and_curves(astronaut, tmp_path):
    """A portrait file and a short smile's curves."""
    import cv2

    img = tmp_path / "face.png"
    cv2.imwrite(str(img), cv2.cvtColor(astronaut, cv2.COLOR_RGB2BGR))
    curves = tmp_path / "c.json"
    curves.write_text(json.dumps({"fps": 10, "duration": 0.3, "curves": {"AU12": [[0, 0], [0.3, 3]]}}))
    return img, load_curves(curves)


@pytest.mark.parametrize("on", [True, False])
@pytest.mark.parametrize("switch", ["glasses", "anchor", "hold"])
def test_each_switch_reaches_the_edit(astronaut, tmp_path, monkeypatch, switch, on):
    """--glasses, --anchor and --hold (and their --no- forms; InferConfig.glasses, .anchor, .hold, each on by
    default, hold at HOLD_STILL) are what edited_frames is asked for."""
    from ganimate.config import HOLD_STILL

    def asked(value: bool):  # the InferConfig value a switch's setting becomes
        return (HOLD_STILL if value else 0.0) if switch == "hold" else value

    assert HOLD_STILL > 0.0 and getattr(build_run_config(quiet=True).infer, switch) == asked(True)
    calls = _recorded_edits(monkeypatch)
    img, curves = _still_and_curves(astronaut, tmp_path)
    with frame_progress(False) as p:
        run_keyframes(curves, img, tmp_path / "s.mp4", _run(identity_generator(), **{switch: on}),
                      KeyframesOptions(), p)
    assert [c[switch] for c in calls] == [asked(on)]


def test_keyframes_stretches_a_smiles_lips_on_a_still_portrait_only(astronaut, clip_path, tmp_path, monkeypatch):
    """A still's frames edit one portrait; on video the stretch would follow the generator's frame-to-frame
    corners (face/smile_lips.py)."""
    calls = _recorded_edits(monkeypatch)
    img, curves = _still_and_curves(astronaut, tmp_path)
    with frame_progress(False) as p:
        run_keyframes(curves, img, tmp_path / "s.mp4", _run(identity_generator()), KeyframesOptions(), p)
        run_keyframes(curves, clip_path, tmp_path / "v.mp4", _run(identity_generator()), KeyframesOptions(), p)
    assert [c["still"] for c in calls] == [True, False]


def _recorded_sources(monkeypatch) -> list[np.ndarray]:
    """The source AUs (float32 (n, 17) a frame) each edited_frames call is streamed, recorded."""
    from ganimate.pipeline import render

    seen: list[np.ndarray] = []
    original = render.edited_frames

    def recorded(stream, *args, **kwargs):
        def tap():
            for frame, crops, targets, sources in stream:
                seen.append(np.asarray(sources))
                yield frame, crops, targets, sources
        return original(tap(), *args, **kwargs)

    monkeypatch.setattr(render, "edited_frames", recorded)
    return seen


def test_absolute_targets_open_or_close_the_lips_from_where_they_are(clip_path, tmp_path, monkeypatch):
    """Relative transfers see the source's calibrated readings (its running neutral taken out, as the reference's);
    absolute ones its raw lips part and jaw drop (a grin's AU25 is not its rest when a closed mouth is asked for),
    the brows still calibrated."""
    from ganimate.au.names import AU_NAMES
    from ganimate.config import CALIBRATED_AUS
    from ganimate.infer.estimator import AuEstimator

    # every face reads 2.0 on every AU: calibrated, the running neutral (2.0) comes off once it is trusted
    monkeypatch.setattr(AuEstimator, "estimate", lambda self, crops: np.full((len(crops), 17), 2.0, np.float32))
    lips = [AU_NAMES.index(a) for a in ("AU25", "AU26")]
    brows = [AU_NAMES.index(a) for a in CALIBRATED_AUS if a not in ("AU25", "AU26")]
    means = {}
    for mode in ("relative", "absolute"):
        seen = _recorded_sources(monkeypatch)
        with frame_progress(False) as p:
            run_transfer(clip_path, clip_path, tmp_path / f"{mode}.mp4", _run(identity_generator()),
                         TransferOptions(mode=mode), p)
        means[mode] = np.concatenate([s for s in seen if len(s)]).mean(axis=0)
    assert np.allclose(means["absolute"][lips], 2.0)  # the lips as they read
    assert np.all(means["relative"][lips] < 1.5)  # their running neutral taken out
    assert np.allclose(means["absolute"][brows], means["relative"][brows], atol=1e-6)  # the brows calibrated
    assert np.all(means["absolute"][brows] < 1.5)
    seen = _recorded_sources(monkeypatch)
    with frame_progress(False) as p:
        curves = load_curves(_curves_file(tmp_path, "neutral"))
        run_keyframes(curves, clip_path, tmp_path / "k.mp4", _run(identity_generator()), KeyframesOptions(), p)
    keyframed = np.concatenate([s for s in seen if len(s)]).mean(axis=0)
    assert np.allclose(keyframed, means["absolute"], atol=0.05)  # curves on base "neutral" are absolute too


def _curves_file(tmp_path, base: str):
    path = tmp_path / f"{base}.json"
    path.write_text(json.dumps({"fps": 25, "duration": 1.0, "base": base, "curves": {"AU12": [[0, 0], [1, 1]]}}))
    return path
