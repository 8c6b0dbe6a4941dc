"""The `ganimate` command (Typer + Rich). Builds one frozen RunConfig per command and passes it down.

Heavy imports (PyAV, OpenVINO, onnxruntime; torch for train/export only) happen inside the commands so
`ganimate --help` is instant.
"""

from __future__ import annotations

import os
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from ganimate.config import (
    BROW_RAISE,
    CHEEK_LIFT,
    DRIVE_GAINS,
    DRIVE_LIFTS,
    FROWN_DROP,
    HOLD_STILL,
    CropConfig,
    DetectConfig,
    EncodeConfig,
    InferConfig,
    LidConfig,
    RunConfig,
    TrackConfig,
)
from ganimate.errors import GanimateError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Change facial expressions in videos with FACS Action Units (GANimation).",
)
err = Console(stderr=True)
out = Console()

ModelOpt = Annotated[Path | None, typer.Option("--model", help="Generator ONNX file (default: the shipped one).")]
AuModelOpt = Annotated[
    Path | None, typer.Option("--au-model", help="AU estimator ONNX file (default: the shipped one).")
]
DeviceOpt = Annotated[str, typer.Option("--device", help="auto | cpu | cuda")]
BackendOpt = Annotated[str, typer.Option("--backend", help="auto | openvino | onnxruntime")]
FaceOpt = Annotated[str, typer.Option("--face", help="all | largest | INDEX (faces numbered by first appearance)")]
CrfOpt = Annotated[int, typer.Option("--crf", min=0, max=51, help="H.264 quality (lower = better, bigger).")]
PresetOpt = Annotated[str, typer.Option("--preset", help="x264 speed preset (ultrafast ... veryslow).")]
BatchOpt = Annotated[int, typer.Option("--batch", min=1, max=256, help="Face crops per model call.")]
DetectEveryOpt = Annotated[int, typer.Option("--detect-every", min=1,
                                             help="Full face detection every k frames (and when a face is lost).")]
DETECT_EVERY = TrackConfig().detect_every
ThreadsOpt = Annotated[int, typer.Option("--threads", min=0, help="CPU threads per model (0 = half the cores).")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")]
WorkersOpt = Annotated[int, typer.Option("--workers", min=0, help="Batch / folder input: worker processes "
                                         "(0 = half the cores, at least 2).")]
ForceOpt = Annotated[bool, typer.Option("--force", help="Batch / folder input: redo jobs whose outputs are "
                                        "complete.")]
ReportOpt = Annotated[Path | None, typer.Option("--report", help="Batch / folder input: write a JSON-lines "
                                                "report, one line per job.")]
PrecisionOpt = Annotated[str, typer.Option("--precision", help="auto | f32 | bf16 (OpenVINO; auto = bf16 where "
                                                               "the CPU has native bf16 units)")]
MaskOpt = Annotated[str, typer.Option("--mask", help="Where an edit may change the frame: landmarks (each face's "
                                                     "own outline) | ellipse (a fixed ellipse, no landmark model).")]
MASKS = ("landmarks", "ellipse")
LidsOpt = Annotated[bool, typer.Option("--lids/--no-lids", help="Close the eyes over the eyeballs from the landmarks "
                                       "where the target has AU45 (a blink), at the frame's resolution.")]
ShadingOpt = Annotated[bool, typer.Option("--shading/--no-shading", help="Add the expression's creases and "
                                          "shading (a smile's folds, raised brows' forehead lines) from the "
                                          "landmarks, on the frame's luminance.")]
DriveOpt = Annotated[bool, typer.Option("--drive/--no-drive", help="Drive the generator harder for a smile and a "
                                        "frown (source + 1.5 x the change): it moves faces less than real faces "
                                        "move at the same AU intensity.")]
MouthOpt = Annotated[bool, typer.Option("--mouth/--no-mouth", help="Give a mouth the edit opens an inside (teeth "
                                        "in a smile) from real open mouths, lit by the face's cheeks, in its "
                                        "lips' hues.")]
CheeksOpt = Annotated[bool, typer.Option("--cheeks/--no-cheeks", help="Lift the cheeks of a smile (a rising "
                                         "AU06) towards the eyes, and lower them where it falls, moving the face's "
                                         "own pixels.")]
FrownOpt = Annotated[bool, typer.Option("--frown/--no-frown", help="Slide a frown's brows (a rising AU04) down "
                                        "over the upper lids, beyond where the generator stops.")]
BrowsOpt = Annotated[bool, typer.Option("--brows/--no-brows", help="Lift raised brows (a rising AU01 inner, AU02 "
                                        "outer) further than the generator lifts them, as far as real raised "
                                        "brows read.")]
CloseLipsOpt = Annotated[bool | None, typer.Option("--close-lips/--keep-lips", help="Bring parted lips together "
                                                   "where the target's AU25 falls (a grin driven to a closed "
                                                   "mouth), and part them as far as real lips part where it "
                                                   "rises. transfer: on in absolute mode, off in relative mode, "
                                                   "which keeps the source's own speech.")]
GlassesOpt = Annotated[bool, typer.Option("--glasses/--no-glasses", help="Keep glasses still while the face "
                                          "behind them moves: their rims are found, painted out for the edit and "
                                          "laid back.")]
AnchorOpt = Annotated[bool, typer.Option("--anchor/--no-anchor", help="Also run the generator at the AUs each "
                                        "face already shows and take its motion there off the edit: a face asked "
                                        "for no change stays still (twice the generator's work).")]
HoldOpt = Annotated[bool, typer.Option("--hold/--no-hold", help="A face that has not moved since its last edit "
                                      "(a repeated frame), asked for the same expression, keeps that edit instead "
                                      "of a fresh one that would shimmer.")]


def build_run_config(
    model: Path | None = None, au_model: Path | None = None, backend: str = "auto", device: str = "auto",
    face: str = "all", crf: int = 18, preset: str = "veryfast", batch: int = 8, detect_every: int = DETECT_EVERY,
    quiet: bool = False, threads: int = 0, precision: str = "auto", mask: str = "landmarks", lids: bool = True,
    shading: bool = True, mouth: bool = True, drive: bool = True, cheeks: bool = True, frown: bool = True,
    close_lips: bool = True, glasses: bool = True, anchor: bool = True, hold: bool = True, brows: bool = True,
) -> RunConfig:
    if mask not in MASKS:
        raise GanimateError(f"--mask must be one of {', '.join(MASKS)}, not {mask!r}")
    return RunConfig(
        detect=DetectConfig(),
        track=replace(TrackConfig(), detect_every=detect_every),
        crop=CropConfig(),
        encode=replace(EncodeConfig(), crf=crf, preset=preset),
        infer=InferConfig(model=model, au_model=au_model, backend=backend, device=device, batch_size=batch,
                          threads=threads, precision=precision, mask=mask,
                          lids=LidConfig() if lids else None, shading=shading,
                          mouth=mouth, drive=DRIVE_GAINS if drive else (),
                          drive_lift=DRIVE_LIFTS if drive else (), cheeks=CHEEK_LIFT if cheeks else 0.0,
                          frown=FROWN_DROP if frown else 0.0, brows=BROW_RAISE if brows else 0.0,
                          close_lips=close_lips, glasses=glasses,
                          anchor=anchor, hold=HOLD_STILL if hold else 0.0),
        face=face,
        show_progress=not quiet,
    )


def _need_torch(command: str) -> None:
    """Training and export run PyTorch, which the runtime install leaves out."""
    import importlib.util

    if importlib.util.find_spec("torch") is None:
        raise GanimateError(f"`ganimate {command}` needs PyTorch: pip install 'ganimate[train]'")


def _check_input(path: Path, what: str) -> Path:
    if not path.exists():
        raise GanimateError(f"{what} not found: {path}")
    if path.is_dir():
        raise GanimateError(f"{what} is a folder, not a file: {path}")
    return path


def _check_outputs(outputs: list[Path | None], inputs: list[Path | None]) -> None:
    """Refuse, before any work, an output (None: not written) that would overwrite one of the command's inputs
    (None: not given), or that cannot be written (atomic.check_output_path)."""
    from ganimate.atomic import check_output_path

    for target in outputs:
        if target is not None:
            check_output_path(target, [p for p in inputs if p is not None])


def _preview_of(output: Path, preview: bool) -> Path | None:
    from ganimate.pipeline.render import preview_path

    return preview_path(output) if preview else None


def _crop_size_from_model(run: RunConfig) -> RunConfig:
    """Crops are cut at the generator's own image size (from its ONNX metadata)."""
    from ganimate.infer.backend import read_model_info
    from ganimate.infer.models import DEFAULT_GENERATOR, resolve_model

    info = read_model_info(resolve_model(run.infer.model, DEFAULT_GENERATOR, "generator model"))
    return replace(run, crop=replace(run.crop, size=info.image_size))


@app.command()
def transfer(
    src: Annotated[Path, typer.Argument(help="Source video whose faces are edited (or a folder of them).")],
    ref: Annotated[Path | None, typer.Argument(help="Reference video (or OpenFace AU CSV) whose expressions "
                                               "drive them; not needed with --aus.")] = None,
    output: Annotated[Path, typer.Option("-o", "--output", help="Output video file (a folder for a folder of "
                                         "sources).")] = ...,
    mode: Annotated[str, typer.Option(help="relative: add the reference's changes to each face's neutral; "
                                      "absolute: copy the reference's AUs.")] = "relative",
    ref_end: Annotated[str, typer.Option(help="Reference shorter than the source: hold | loop.")] = "hold",
    aus: Annotated[Path | None, typer.Option("--aus", help="OpenFace AU CSV to use instead of REF.")] = None,
    preview: Annotated[bool, typer.Option(help="Also write OUT.preview.mp4: source | output.")] = False,
    model: ModelOpt = None, au_model: AuModelOpt = None, backend: BackendOpt = "auto", device: DeviceOpt = "auto",
    face: FaceOpt = "all", crf: CrfOpt = 18, preset: PresetOpt = "veryfast", batch: BatchOpt = 8,
    detect_every: DetectEveryOpt = DETECT_EVERY, threads: ThreadsOpt = 0, precision: PrecisionOpt = "auto",
    mask: MaskOpt = "landmarks", lids: LidsOpt = True, shading: ShadingOpt = True, mouth: MouthOpt = True,
    drive: DriveOpt = True, cheeks: CheeksOpt = True, frown: FrownOpt = True, brows: BrowsOpt = True,
    close_lips: CloseLipsOpt = None, glasses: GlassesOpt = True, anchor: AnchorOpt = True, hold: HoldOpt = True,
    quiet: QuietOpt = False,
    workers: WorkersOpt = 0,
    force: ForceOpt = False, report: ReportOpt = None,
) -> None:
    """Drive the faces of SRC with the expressions of REF (or of --aus REF.csv)."""
    from ganimate.pipeline.progress import frame_progress
    from ganimate.pipeline.transfer import TransferOptions, lips_for_mode, run_transfer

    if (ref is None) == (aus is None):
        raise GanimateError("give the reference as REF (a video or OpenFace CSV) or as --aus REF.csv, one of them")
    if src.is_dir():
        options = dict(mode=mode, ref_end=ref_end, preview=preview, model=model, au_model=au_model,
                       backend=backend, device=device, face=face, crf=crf, preset=preset, batch=batch,
                       detect_every=detect_every, precision=precision, mask=mask, lids=lids, shading=shading,
                       mouth=mouth, drive=drive, cheeks=cheeks, frown=frown, brows=brows, close_lips=close_lips,
                       glasses=glasses, anchor=anchor, hold=hold)
        _folder_batch("transfer", {"src": src, "ref": ref, "aus": aus}, output, ".mp4", options,
                      workers, threads, force, report, quiet)
        return
    _check_input(src, "source video")
    reference = _check_input(aus if aus is not None else ref, "reference")
    _check_outputs([output, _preview_of(output, preview)], [src, reference])
    run = _crop_size_from_model(build_run_config(model, au_model, backend, device, face, crf, preset, batch,
                                                 detect_every, quiet, threads, precision, mask, lids, shading,
                                                 mouth, drive, cheeks, frown, lips_for_mode(mode, close_lips),
                                                 glasses, anchor, hold, brows=brows))
    opts = TransferOptions(mode=mode, ref_end=ref_end, preview=preview)
    with frame_progress(run.show_progress) as progress:
        report = run_transfer(src, reference, output, run, opts, progress)
    out.print(f"wrote {report.output} ({report.frames} frames, a face in {report.frames_with_face}; "
              f"{report.reference_frames} reference frames read; generator on {report.backend})")
    if report.preview:
        out.print(f"preview {report.preview}")


@app.command()
def keyframes(
    curves: Annotated[Path, typer.Argument(help="AU curves JSON file (see README).")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Output video file.")],
    source: Annotated[Path | None, typer.Option("--source", help="Portrait image or video to animate, or a "
                                                "folder of them (default: scikit-image's astronaut photo).")] = None,
    plot: Annotated[Path | None, typer.Option("--plot", help="Also write a PNG plot of the target AUs.")] = None,
    preview: Annotated[bool, typer.Option(help="Also write OUT.preview.mp4: source | output.")] = False,
    model: ModelOpt = None, au_model: AuModelOpt = None, backend: BackendOpt = "auto", device: DeviceOpt = "auto",
    face: FaceOpt = "all", crf: CrfOpt = 18, preset: PresetOpt = "veryfast", batch: BatchOpt = 8,
    detect_every: DetectEveryOpt = DETECT_EVERY, threads: ThreadsOpt = 0, precision: PrecisionOpt = "auto",
    mask: MaskOpt = "landmarks", lids: LidsOpt = True, shading: ShadingOpt = True, mouth: MouthOpt = True,
    drive: DriveOpt = True, cheeks: CheeksOpt = True, frown: FrownOpt = True, brows: BrowsOpt = True,
    close_lips: CloseLipsOpt = None, glasses: GlassesOpt = True, anchor: AnchorOpt = True, hold: HoldOpt = True,
    quiet: QuietOpt = False,
    workers: WorkersOpt = 0,
    force: ForceOpt = False, report: ReportOpt = None,
) -> None:
    """Animate a face from keyframed AU curves."""
    from ganimate.au.curves import load_curves
    from ganimate.pipeline.keyframes import KeyframesOptions, run_keyframes
    from ganimate.pipeline.progress import frame_progress

    _check_input(curves, "curves file")
    curve_set = load_curves(curves)
    if source is not None and source.is_dir():
        if plot is not None:
            raise GanimateError("--plot names one file; with a folder of sources use a jobs file (ganimate batch)")
        options = dict(preview=preview, model=model, au_model=au_model, backend=backend, device=device, face=face,
                       crf=crf, preset=preset, batch=batch, detect_every=detect_every, precision=precision,
                       mask=mask, lids=lids, shading=shading, mouth=mouth, drive=drive, cheeks=cheeks,
                       frown=frown, brows=brows, close_lips=close_lips, glasses=glasses, anchor=anchor, hold=hold)
        _folder_batch("keyframes", {"curves": curves, "src": source}, output, ".mp4", options,
                      workers, threads, force, report, quiet)
        return
    with tempfile.TemporaryDirectory(prefix="ganimate-") as tmp:
        if source is None:
            source = _default_portrait(Path(tmp))
        _check_input(source, "source")
        _check_outputs([output, _preview_of(output, preview), plot], [curves, source])
        run = _crop_size_from_model(build_run_config(model, au_model, backend, device, face, crf, preset, batch,
                                                     detect_every, quiet, threads, precision, mask, lids, shading,
                                                     mouth, drive, cheeks, frown, close_lips is not False,
                                                     glasses, anchor, hold, brows=brows))
        with frame_progress(run.show_progress) as progress:
            report = run_keyframes(curve_set, source, output, run, KeyframesOptions(preview=preview), progress)
    out.print(f"wrote {report.output} ({report.frames} frames, a face in {report.frames_with_face}; "
              f"generator on {report.backend})")
    if plot is not None and len(report.times):
        from ganimate.au.plot import plot_au_curves

        plot_au_curves(report.times, report.targets, plot, title=f"target AUs: {curves.name}")
        out.print(f"plot {plot}")


def _default_portrait(folder: Path) -> Path:
    """scikit-image's astronaut photo (a face a dependency ships), written into a temporary folder."""
    try:
        from skimage import data
    except ImportError:
        raise GanimateError("no --source given and scikit-image (for the default portrait) is not installed") \
            from None
    import cv2

    path = folder / "astronaut.png"
    cv2.imwrite(str(path), cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR))
    return path


@app.command("aus")
def aus_command(
    video: Annotated[Path, typer.Argument(help="Video to analyse (or a folder of them).")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Output CSV (OpenFace layout; a folder for a "
                                         "folder of videos).")],
    au_model: AuModelOpt = None, backend: BackendOpt = "auto", device: DeviceOpt = "auto", face: FaceOpt = "all",
    batch: BatchOpt = 16, detect_every: DetectEveryOpt = DETECT_EVERY, threads: ThreadsOpt = 0,
    precision: PrecisionOpt = "auto", quiet: QuietOpt = False, workers: WorkersOpt = 0, force: ForceOpt = False,
    report: ReportOpt = None,
    landmarks: Annotated[bool, typer.Option("--landmarks", help="Also write the 68 landmarks (OpenFace's x_0 ... "
                                            "y_67 columns, frame pixels).")] = False,
) -> None:
    """Per-frame AU intensities of VIDEO, in OpenFace CSV layout."""
    from ganimate.infer.backend import read_model_info
    from ganimate.infer.models import DEFAULT_AU_ESTIMATOR, resolve_model
    from ganimate.pipeline.aus import run_aus
    from ganimate.pipeline.progress import frame_progress

    if video.is_dir():
        options = dict(au_model=au_model, backend=backend, device=device, face=face, batch=batch,
                       detect_every=detect_every, precision=precision)
        _folder_batch("aus", {"src": video}, output, ".csv", options, workers, threads, force, report, quiet)
        return
    _check_input(video, "video")
    run = build_run_config(None, au_model, backend, device, face, batch=batch, detect_every=detect_every,
                           quiet=quiet, threads=threads, precision=precision)
    size = read_model_info(resolve_model(au_model, DEFAULT_AU_ESTIMATOR, "AU estimator model")).image_size
    run = replace(run, crop=replace(run.crop, size=size))
    with frame_progress(run.show_progress) as progress:
        report = run_aus(video, output, run, progress, landmarks=landmarks)
    out.print(f"wrote {report.output} ({report.rows} rows; a face in {report.frames_with_face} of "
              f"{report.frames} frames)")


@app.command()
def batch(
    jobs: Annotated[Path, typer.Argument(help="Jobs file: CSV with a header row, or JSON lines; one job a row "
                                         "(kind, inputs, out, options; see README).")],
    workers: WorkersOpt = 0,
    threads: Annotated[int, typer.Option("--threads", min=0, help="Threads per job (models and x264; "
                                         "0 = cores / workers, 1 on Ray).")] = 0,
    force: ForceOpt = False, report: ReportOpt = None,
    ray: Annotated[str | None, typer.Option("--ray", metavar="[ADDRESS]",
                                            help="Run the jobs as Ray tasks: alone, on a local Ray; with ADDRESS, "
                                            "on that cluster (auto, ray://head:10001).")] = None,
    quiet: QuietOpt = False,
) -> None:
    """Run many transfer / keyframes / aus jobs: skips complete outputs, goes on past bad jobs."""
    from ganimate.batch.jobs import parse_jobs_file

    _run_batch(parse_jobs_file(jobs), workers, threads, force, report, quiet, ray)


def _folder_batch(kind: str, inputs: dict, output: Path, ext: str, options: dict, workers: int, threads: int,
                  force: bool, report: Path | None, quiet: bool) -> None:
    """The short form: every video (or image) of the folder input is one job, written to OUTPUT/STEM.EXT."""
    from ganimate.batch.jobs import folder_jobs

    folder_role = "src"
    for role, p in inputs.items():
        if p is not None and role != folder_role and p.is_dir():
            raise GanimateError(f"{p}: only one input may be a folder")
    defaults = {"mode": "relative", "ref_end": "hold", "preview": False, "backend": "auto", "device": "auto",
                "face": "all", "crf": 18, "preset": "veryfast", "batch": 16 if kind == "aus" else 8,
                "detect_every": DETECT_EVERY, "precision": "auto"}
    given = {k: v for k, v in options.items() if v is not None and defaults.get(k, object()) != v}
    _run_batch(folder_jobs(kind, inputs, folder_role, output, ext, given), workers, threads, force, report,
               quiet, None)


def _run_batch(jobs, workers: int, threads: int, force: bool, report: Path | None, quiet: bool,
               ray: str | None) -> None:
    from ganimate.batch.runner import BatchConfig, run_batch

    cfg = BatchConfig(workers=workers, threads=threads, force=force, report=report, ray=ray,
                      show_progress=not quiet)
    results = run_batch(jobs, cfg, out)
    if any(r.status == "failed" for r in results):
        raise typer.Exit(1)


@app.command()
def prepare(
    inputs: Annotated[list[Path], typer.Argument(help="Images, folders and videos.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Dataset folder to create.")],
    labels: Annotated[Path | None, typer.Option("--labels", help="OpenFace CSV or folder of CSVs "
                                                "(default: CSVs beside each video, else the AU estimator).")] = None,
    every: Annotated[int, typer.Option(min=1, help="Keep every N-th video frame.")] = 1,
    size: Annotated[int, typer.Option(min=32, help="Crop size in px.")] = 128,
    au_model: AuModelOpt = None, quiet: QuietOpt = False,
) -> None:
    """Build a training set: aligned face crops + aus.csv."""
    from ganimate.training.prepare import PrepareConfig, prepare_dataset

    cfg = replace(PrepareConfig(), every=every, size=size)
    stats = prepare_dataset(list(inputs), output, labels, cfg, au_model=au_model, progress=not quiet)
    out.print(f"wrote {stats.crops} crops to {output} ({stats.images} images, {stats.videos} videos; "
              f"no face {stats.no_face}, no label {stats.no_label}, near-duplicates {stats.duplicates})")


@app.command()
def train(
    data: Annotated[Path, typer.Option("--data", help="Dataset folder from `ganimate prepare`.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Run folder (checkpoint, samples, logs).")],
    preset: Annotated[str, typer.Option(help="paper | cpu | warp | tiny")] = "paper",
    config: Annotated[Path | None, typer.Option("--config", help="TOML file of overrides.")] = None,
    set_: Annotated[list[str] | None, typer.Option("--set", help="Override, e.g. --set optim.lr=2e-4")] = None,
    resume: Annotated[bool, typer.Option(help="Continue the run in --out.")] = False,
    device: Annotated[str, typer.Option(help="auto | cpu | cuda")] = "auto",
    quiet: QuietOpt = False,
) -> None:
    """Train a generator: GANimation's (paper, cpu) or the warping one (warp)."""
    _need_torch("train")
    from ganimate.training.config import load_config
    from ganimate.training.trainer import train as run_train

    overrides = dict(_split_override(s) for s in (set_ or []))
    cfg = load_config(preset, config, overrides)
    ckpt = run_train(cfg, data, out_dir, resume=resume, device=device, progress=not quiet)
    out.print(f"checkpoint {ckpt}")


@app.command("train-estimator")
def train_estimator(
    data: Annotated[Path, typer.Option("--data", help="Dataset folder from `ganimate prepare`.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Run folder.")],
    minutes: Annotated[float, typer.Option(help="Training time budget.")] = 20.0,
    resume: Annotated[bool, typer.Option(help="Continue the run in --out.")] = False,
    device: Annotated[str, typer.Option(help="auto | cpu | cuda")] = "auto",
    quiet: QuietOpt = False,
) -> None:
    """Train the AU estimator (aligned crop -> 17 AU intensities)."""
    _need_torch("train-estimator")
    from ganimate.training.estimator_train import train_estimator as run_train

    ckpt = run_train(data, out_dir, max_minutes=minutes, device=device, resume=resume, progress=not quiet)
    out.print(f"checkpoint {ckpt}")


@app.command()
def export(
    checkpoint: Annotated[Path, typer.Argument(help="Run folder or checkpoint file.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="ONNX file to write.")],
    fp16: Annotated[bool, typer.Option(help="Store weights in fp16 (half the size).")] = False,
    estimator: Annotated[bool, typer.Option("--estimator", help="The checkpoint is an AU estimator's.")] = False,
    mouth: Annotated[bool, typer.Option("--mouth", help="The checkpoint is a mouth reader's.")] = False,
) -> None:
    """Export a trained generator (or AU estimator, or mouth reader) to ONNX, checking parity with PyTorch."""
    ckpt = checkpoint / "checkpoint.pt" if checkpoint.is_dir() else checkpoint
    _check_input(ckpt, "checkpoint")
    _need_torch("export")
    if mouth:
        from ganimate.export.mouth_points import export_mouth_points

        report = export_mouth_points(ckpt, output)
    elif estimator:
        from ganimate.export.estimator import export_estimator

        report = export_estimator(ckpt, output, fp16=fp16)
    else:
        from ganimate.export.generator import export_generator

        report = export_generator(ckpt, output, fp16=fp16)
    out.print(f"wrote {output} (max abs diff vs PyTorch {getattr(report, 'max_abs_diff', float('nan')):.2e})")


def _split_override(text: str) -> tuple[str, str]:
    if "=" not in text:
        raise GanimateError(f"--set expects KEY=VALUE, got {text!r}")
    k, v = text.split("=", 1)
    return k.strip(), v.strip()


def optional_ray_address(argv: list[str]) -> list[str]:
    """`--ray` may come without its ADDRESS (Typer options always take one): then it means a local Ray."""
    args = list(argv)
    for i, a in enumerate(args):
        if a == "--":
            break
        if a == "--ray" and (i + 1 == len(args) or args[i + 1].startswith("-")):
            args[i] = "--ray=local"
    return args


def main() -> None:
    """Entry point: user errors become one line on stderr and a non-zero exit, never a traceback."""
    debug = bool(os.environ.get("GANIMATE_DEBUG"))
    try:
        app(args=optional_ray_address(sys.argv[1:]))
    except GanimateError as exc:
        from rich.markup import escape  # messages hold paths and "ganimate[train]": not markup

        err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        sys.exit(1)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except SystemExit as exc:
        if exc.code == 130:  # Typer turns Ctrl-C into a silent exit 130: still say why, on one line
            err.print("interrupted")
        raise
    except Exception as exc:  # noqa: BLE001 - last resort: still one line, details with GANIMATE_DEBUG=1
        if debug:
            raise
        err.print(f"[bold red]error:[/] unexpected {type(exc).__name__}: {exc} (set GANIMATE_DEBUG=1 for details)",
                  highlight=False, soft_wrap=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
