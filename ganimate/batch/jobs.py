"""Batch jobs: one frozen Job per row of a CSV or JSON-lines jobs file, or per file of a folder.

    kind,src,ref,out,mode,crf            # CSV: a header row, then one job a row; empty cells = defaults
    transfer,clips/a.mp4,ref.mp4,out/a.mp4,relative,20
    {"kind": "keyframes", "curves": "smile.json", "src": "me.jpg", "out": "out/me.mp4"}   # JSON lines

Relative paths resolve against the jobs file's folder; jobs hold absolute paths (Ray runs them in
other folders). Every mistake is one GanimateError naming the file and line
(``jobs.csv:3: transfer needs 'curves'``).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from ganimate.errors import GanimateError

KINDS = ("transfer", "keyframes", "aus")

# options of the single commands a job may set, with their types
_COMMON = {"face": str, "au_model": Path, "backend": str, "device": str, "precision": str, "batch": int,
           "detect_every": int}
_RENDER = {"model": Path, "crf": int, "preset": str, "preview": bool, "mask": str, "lids": bool,
           "shading": bool, "mouth": bool, "drive": bool, "cheeks": bool,
           "frown": bool, "brows": bool, "close_lips": bool, "glasses": bool, "anchor": bool,
           "hold": bool}
OPTIONS: dict[str, dict[str, type]] = {
    "transfer": {**_COMMON, **_RENDER, "mode": str, "ref_end": str},
    "keyframes": {**_COMMON, **_RENDER, "plot": Path},
    "aus": dict(_COMMON),
}
# inputs per kind: (required, optional)
INPUTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "transfer": (("src",), ("ref", "aus")),
    "keyframes": (("curves",), ("src",)),
    "aus": (("src",), ()),
}
_RANGES = {"crf": (0, 51), "batch": (1, 256), "detect_every": (1, 10**6)}
_RESERVED = {"kind", "out"}
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


@dataclass(frozen=True)
class Job:
    """One unit of batch work. inputs: role -> path (src, ref, aus, curves); options: sorted (name, value)."""

    index: int  # 0-based position in the batch
    where: str  # "jobs.csv:3" or "clips/a.mp4": where the job came from, for error lines
    kind: str
    inputs: tuple[tuple[str, Path], ...]
    out: Path
    options: tuple[tuple[str, object], ...] = ()

    def input(self, role: str) -> Path | None:
        return dict(self.inputs).get(role)

    def option(self, name: str, default=None):
        return dict(self.options).get(name, default)

    @property
    def name(self) -> str:
        return self.out.name

    def targets(self) -> list[Path]:
        """Every file the job writes: the output, and the preview / plot when asked for."""
        paths = [self.out]
        if self.option("preview"):
            from ganimate.pipeline.render import preview_path

            paths.append(preview_path(self.out))
        if self.option("plot") is not None:
            paths.append(Path(self.option("plot")))
        return paths


def make_job(index: int, where: str, fields: Mapping[str, object], base: Path) -> Job:
    """A Job from one row's fields (strings from CSV, JSON values from JSON lines)."""
    def fail(msg: str) -> GanimateError:
        return GanimateError(f"{where}: {msg}")

    given = {str(k).strip(): v for k, v in fields.items() if k is not None and not _blank(v)}
    kind = str(given.get("kind", "")).strip().lower()
    if kind not in KINDS:
        raise fail(f"kind must be one of {', '.join(KINDS)}, not {given.get('kind', '')!r}")
    if "out" not in given:
        raise fail("no 'out' given")
    required, optional = INPUTS[kind]
    allowed = OPTIONS[kind]
    unknown = sorted(set(given) - _RESERVED - set(required) - set(optional) - set(allowed))
    if unknown:
        raise fail(f"{kind} has no field {unknown[0]!r} (inputs: {', '.join(required + optional)}; "
                   f"options: {', '.join(sorted(allowed))})")
    for role in required:
        if role not in given:
            raise fail(f"{kind} needs {role!r}")
    if kind == "transfer" and ("ref" in given) == ("aus" in given):
        raise fail("transfer needs 'ref' (a video) or 'aus' (an OpenFace CSV), one of them")
    inputs = tuple((role, _path(given[role], base)) for role in required + optional if role in given)
    options = []
    for name, typ in sorted(allowed.items()):
        if name in given:
            options.append((name, _convert(given[name], typ, base, lambda m, n=name: fail(f"{n}: {m}"),
                                           _RANGES.get(name))))
    out = _path(given["out"], base)
    return Job(index, where, kind, inputs, out, tuple(options))


def parse_jobs_file(path: Path) -> list[Job]:
    """Jobs of a CSV (header row) or JSON-lines file (.jsonl / .ndjson, or content starting with '{')."""
    if not path.is_file():
        raise GanimateError(f"jobs file not found: {path}")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise GanimateError(f"{path}: cannot read the jobs file ({e})") from None
    base = path.absolute().parent  # absolute: Ray workers run in other folders
    if path.suffix.lower() in (".jsonl", ".ndjson", ".json") or text.lstrip().startswith("{"):
        rows = _json_rows(path, text)
    else:
        rows = _csv_rows(path, text)
    jobs = [make_job(i, where, fields, base) for i, (where, fields) in enumerate(rows)]
    if not jobs:
        raise GanimateError(f"{path.name}: no jobs in the file")
    check_distinct_outputs(jobs)
    return jobs


def check_distinct_outputs(jobs: Iterable[Job]) -> None:
    """Two jobs writing the same file would race; an output that is another job's input would be read half-made."""
    seen: dict[Path, Job] = {}
    for job in jobs:
        for t in job.targets():
            key = t.resolve()
            if key in seen:
                raise GanimateError(f"{job.where}: writes {t}, as {seen[key].where} does")
            seen[key] = job
    for job in jobs:
        for _, p in job.inputs:
            other = seen.get(p.resolve())
            if other is not None:
                raise GanimateError(f"{job.where}: reads {p}, which {other.where} writes")


def _json_rows(path: Path, text: str):
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            raise GanimateError(f"{path.name}:{n}:{e.colno}: invalid JSON: {e.msg}") from None
        if not isinstance(obj, dict):
            raise GanimateError(f"{path.name}:{n}: a job is a JSON object, not {type(obj).__name__}")
        yield f"{path.name}:{n}", obj


def _csv_rows(path: Path, text: str):
    lines = text.splitlines()
    reader = csv.reader(lines, skipinitialspace=True)
    header: list[str] | None = None
    for row in reader:
        n = reader.line_num
        if not any(c.strip() for c in row) or row[0].lstrip().startswith("#"):
            continue
        if header is None:
            header = [c.strip().lower() for c in row]
            if "kind" not in header or "out" not in header:
                raise GanimateError(f"{path.name}:{n}: the first row must name the columns (kind, src, ..., out)")
            continue
        if len(row) > len(header):
            raise GanimateError(f"{path.name}:{n}: {len(row)} cells but {len(header)} columns")
        yield f"{path.name}:{n}", dict(zip(header, (c.strip() for c in row), strict=False))


def _blank(v) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _path(value, base: Path) -> Path:
    p = Path(str(value).strip()).expanduser()
    return p if p.is_absolute() else base / p


def _convert(value, typ: type, base: Path, fail, limits: tuple[int, int] | None = None):
    if typ is bool:
        if isinstance(value, bool):
            return value
        s = str(value).strip().lower()
        if s in _TRUE | _FALSE:
            return s in _TRUE
        raise fail(f"expected true or false, got {value!r}")
    if typ is int:
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise fail(f"expected a whole number, got {value!r}")
        try:
            number = int(str(value).strip()) if not isinstance(value, float) else int(value)
        except ValueError:
            raise fail(f"expected a whole number, got {value!r}") from None
        lo, hi = limits or (None, None)
        if lo is not None and not lo <= number <= hi:
            raise fail(f"{number} is outside {lo}..{hi}")
        return number
    if typ is Path:
        return _path(value, base)
    return str(value).strip()


def folder_jobs(kind: str, inputs: Mapping[str, Path], folder_role: str, out_dir: Path, out_ext: str,
                options: Mapping[str, object]) -> list[Job]:
    """The short form: one job per video (or image, for keyframes) in inputs[folder_role], sorted by name,
    written to OUT_DIR/STEM{out_ext}; the other inputs and the options are the same for every job."""
    from ganimate.video.probe import IMAGE_EXTENSIONS, VIDEO_EXTENSIONS

    inputs = {role: p.absolute() if p is not None else None for role, p in inputs.items()}
    out_dir = out_dir.absolute()
    folder = inputs[folder_role]
    exts = VIDEO_EXTENSIONS | (IMAGE_EXTENSIONS if kind == "keyframes" else frozenset())
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")
                   and p.suffix.lower() in exts)
    if not files:
        raise GanimateError(f"{folder}: no {'videos or images' if kind == 'keyframes' else 'videos'} in the folder")
    if out_dir.exists() and not out_dir.is_dir():
        raise GanimateError(f"{out_dir}: a folder of inputs needs a folder as the output (-o OUT_DIR/)")
    out_dir.mkdir(parents=True, exist_ok=True)
    opts = tuple(sorted((k, v) for k, v in options.items() if v is not None))
    jobs = []
    for i, f in enumerate(files):
        ins = tuple((role, f if role == folder_role else p) for role, p in inputs.items() if p is not None)
        jobs.append(Job(i, str(f), kind, ins, out_dir / f"{f.stem}{out_ext}", opts))
    check_distinct_outputs(jobs)
    return jobs
