"""Jobs files: CSV and JSON lines, paths against the file's folder, one error line with file:line."""

from pathlib import Path

import pytest

from ganimate.batch.jobs import folder_jobs, parse_jobs_file
from ganimate.errors import GanimateError


def _write(tmp_path, name, text):
    p = tmp_path / "sub" / name
    p.parent.mkdir(exist_ok=True)
    p.write_text(text)
    return p


def test_csv_jobs_with_options_and_relative_paths(tmp_path):
    path = _write(tmp_path, "jobs.csv", "# my batch\nkind, src, ref, aus, curves, out, crf, preview, mode\n"
                  "transfer, a.mp4, r.mp4, , , out/a.mp4, 20, yes, absolute\n"
                  "\n"
                  "transfer, /abs/b.mp4, , r.csv, , out/b.mp4, , , \n"
                  "KEYFRAMES, me.jpg, , , smile.json, out/me.mp4, , 0, \n")
    jobs = parse_jobs_file(path)
    base = path.parent.absolute()
    assert [j.kind for j in jobs] == ["transfer", "transfer", "keyframes"]
    assert [j.where for j in jobs] == ["jobs.csv:3", "jobs.csv:5", "jobs.csv:6"]
    a, b, k = jobs
    assert a.input("src") == base / "a.mp4" and a.input("ref") == base / "r.mp4" and a.input("aus") is None
    assert dict(a.options) == {"crf": 20, "preview": True, "mode": "absolute"}
    assert a.targets() == [base / "out/a.mp4", base / "out/a.preview.mp4"]
    assert b.input("src") == Path("/abs/b.mp4") and b.input("aus") == base / "r.csv" and b.options == ()
    assert k.input("curves") == base / "smile.json" and k.input("src") == base / "me.jpg"
    assert dict(k.options) == {"preview": False} and k.targets() == [base / "out/me.mp4"]


def test_json_lines_jobs(tmp_path):
    path = _write(tmp_path, "jobs.jsonl", '{"kind": "aus", "src": "v.mp4", "out": "v.csv", "batch": 4}\n\n'
                  '{"kind": "keyframes", "curves": "c.json", "out": "o.mp4", "plot": "o.png", "face": "largest"}\n')
    aus, kf = parse_jobs_file(path)
    assert aus.where == "jobs.jsonl:1" and dict(aus.options) == {"batch": 4}
    assert kf.where == "jobs.jsonl:3" and kf.input("src") is None
    assert kf.targets() == [path.parent.absolute() / "o.mp4", path.parent.absolute() / "o.png"]


@pytest.mark.parametrize("name, text, message", [
    ("j.csv", "kind,src,out\ntransfer,a.mp4,o.mp4\n", "j.csv:2: transfer needs 'ref' (a video) or 'aus'"),
    ("j.csv", "kind,src,ref,aus,out\ntransfer,a.mp4,r.mp4,r.csv,o.mp4\n", "j.csv:2: transfer needs 'ref'"),
    ("j.csv", "kind,src,out\nmorph,a.mp4,o.mp4\n", "j.csv:2: kind must be one of transfer, keyframes, aus"),
    ("j.csv", "kind,src,out,crf\naus,a.mp4,o.csv,20\n", "j.csv:2: aus has no field 'crf'"),
    ("j.csv", "kind,src,ref,out,crf\ntransfer,a,r,o.mp4,high\n", "j.csv:2: crf: expected a whole number"),
    ("j.csv", "kind,src,ref,out,crf\ntransfer,a,r,o.mp4,99\n", "j.csv:2: crf: 99 is outside 0..51"),
    ("j.csv", "kind,src,ref,out,preview\ntransfer,a,r,o.mp4,maybe\n", "j.csv:2: preview: expected true or false"),
    ("j.csv", "kind,src,ref\ntransfer,a,r\n", "j.csv:1: the first row must name the columns"),
    ("j.csv", "kind,src,out\naus,a.mp4,o.csv,extra\n", "j.csv:2: 4 cells but 3 columns"),
    ("j.csv", "kind,src,out\naus,a.mp4,\n", "j.csv:2: no 'out' given"),
    ("j.csv", "kind,src,out\naus,a.mp4,o.csv\naus,b.mp4,o.csv\n", "j.csv:3: writes"),
    ("j.csv", "kind,src,out\naus,a.mp4,a.csv\ntransfer,a.csv,x.mp4\n", "j.csv:3: transfer needs"),
    ("j.csv", "kind,src,ref,out\ntransfer,a.mp4,r.mp4,o.mp4\naus,o.mp4,,o.csv\n", "j.csv:3: reads"),
    ("j.csv", "kind,src,out\n", "j.csv: no jobs in the file"),
    ("j.jsonl", '{"kind": "aus", "src": "a", "out": "b"}\n{"kind": "aus",\n', "j.jsonl:2:16: invalid JSON"),
    ("j.jsonl", '["aus", "a", "b"]\n', "j.jsonl:1: a job is a JSON object, not list"),
    ("j.jsonl", '{"kind": "keyframes", "out": "o.mp4"}\n', "j.jsonl:1: keyframes needs 'curves'"),
])
def test_bad_jobs_files_are_one_line_with_file_and_line(tmp_path, name, text, message):
    with pytest.raises(GanimateError) as info:
        parse_jobs_file(_write(tmp_path, name, text))
    assert str(info.value).startswith(message), str(info.value)
    assert "\n" not in str(info.value)


def test_missing_jobs_file(tmp_path):
    with pytest.raises(GanimateError, match="jobs file not found"):
        parse_jobs_file(tmp_path / "nope.csv")


def test_folder_jobs_one_per_video_sorted(tmp_path):
    clips = tmp_path / "clips"
    clips.mkdir()
    for name in ("b.mp4", "a.MOV", ".hidden.mp4", "notes.txt", "c.png"):
        (clips / name).write_bytes(b"x")
    jobs = folder_jobs("transfer", {"src": clips, "ref": tmp_path / "r.mp4", "aus": None}, "src",
                       tmp_path / "out", ".mp4", {"crf": 20, "model": None})
    assert [(j.input("src").name, j.out.name) for j in jobs] == [("a.MOV", "a.mp4"), ("b.mp4", "b.mp4")]
    assert all(j.input("ref") == tmp_path / "r.mp4" and dict(j.options) == {"crf": 20} for j in jobs)
    assert (tmp_path / "out").is_dir()
    kf = folder_jobs("keyframes", {"curves": tmp_path / "c.json", "src": clips}, "src", tmp_path / "o2", ".mp4", {})
    assert [j.input("src").name for j in kf] == ["a.MOV", "b.mp4", "c.png"]
    with pytest.raises(GanimateError, match="no videos in the folder"):
        folder_jobs("aus", {"src": tmp_path / "out"}, "src", tmp_path / "o3", ".csv", {})


def test_render_switches_reach_the_run_config_and_bad_ones_are_one_line(tmp_path):
    from ganimate.batch.execute import job_run_config
    from ganimate.config import DRIVE_GAINS

    path = _write(tmp_path, "jobs.csv", "kind, src, curves, out, lids, shading, mouth, drive\n"
                  "keyframes, me.jpg, smile.json, out/a.mp4, yes, no, no, no\n"
                  "keyframes, me.jpg, smile.json, out/b.mp4, , , , \n")
    off, default = (job_run_config(j, threads=1).infer for j in parse_jobs_file(path))
    assert off.shading is False and off.mouth is False and off.lids is not None and off.drive == ()
    assert default.shading is True and default.mouth is True and default.drive == DRIVE_GAINS
    bad = _write(tmp_path, "bad.csv", "kind, src, curves, out, shading\nkeyframes, me.jpg, s.json, o.mp4, maybe\n")
    with pytest.raises(GanimateError, match=r"bad.csv:2: shading: expected true or false, got 'maybe'"):
        parse_jobs_file(bad)


def test_closing_lips_follows_the_transfer_mode_unless_a_job_sets_it(tmp_path):
    from ganimate.batch.execute import job_run_config

    path = _write(tmp_path, "jobs.csv", "kind, src, ref, curves, out, mode, close_lips\n"
                  "transfer, a.mp4, b.mp4, , out/1.mp4, , \n"
                  "transfer, a.mp4, b.mp4, , out/2.mp4, absolute, \n"
                  "transfer, a.mp4, b.mp4, , out/3.mp4, relative, yes\n"
                  "keyframes, a.mp4, , s.json, out/4.mp4, , \n"
                  "keyframes, a.mp4, , s.json, out/5.mp4, , no\n")
    closes = [job_run_config(j, threads=1).infer.close_lips for j in parse_jobs_file(path)]
    # relative transfer keeps the source's speech; absolute copies the reference's mouth; keyframes close
    assert closes == [False, True, True, True, False]


def test_a_job_may_leave_glasses_to_move(tmp_path):
    from ganimate.batch.execute import job_run_config

    path = _write(tmp_path, "jobs.csv", "kind, src, curves, out, glasses\n"
                  "keyframes, a.jpg, s.json, out/1.mp4, \n"
                  "keyframes, a.jpg, s.json, out/2.mp4, no\n")
    assert [job_run_config(j, threads=1).infer.glasses for j in parse_jobs_file(path)] == [True, False]
