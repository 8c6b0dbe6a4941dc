"""Peak memory of `transfer` and `keyframes` on a short and a long clip (a script, not a test).

The pipelines stream frames through bounded buffers, so a 10-minute clip should peak no higher than a
10-second one. Each command runs in its own child process; its peak RSS (ru_maxrss) is printed with
its wall time. The long run takes a while on 2 cores: it is meant to run in the background.

    python bench/memory_flat.py                              # 10 s and 600 s, 640x360, 25 fps
    python bench/memory_flat.py --size 1280x720 --long 120
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_CHILD = """
import json, resource, subprocess, sys, time
t = time.perf_counter()
subprocess.run(sys.argv[1:], check=True)
print(json.dumps({"seconds": time.perf_counter() - t,
                  "peak_rss_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
"""


def peak_of(args: list[str]) -> dict[str, float]:
    """Wall seconds and peak RSS (MiB) of one ganimate command, measured by a fresh parent process."""
    out = subprocess.run([sys.executable, "-c", _CHILD, sys.executable, "-m", "ganimate", *args, "--quiet"],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="640x360")
    ap.add_argument("--short", type=float, default=10.0, help="seconds")
    ap.add_argument("--long", type=float, default=600.0, help="seconds")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT / "bench"))
    from bench_pipeline import make_clip

    w, h = map(int, args.size.split("x"))
    with tempfile.TemporaryDirectory(prefix="ganimate-mem-") as d:  # the clips (a 10 min one) go with it
        work = Path(d)
        curves = ROOT / "examples" / "curves_full.json"
        short = make_clip(work / "short.mp4", w, h, args.short)
        print(f"{args.size}: made the {args.short:g} s clip", flush=True)
        t = time.perf_counter()
        long = make_clip(work / "long.mp4", w, h, args.long)
        print(f"made the {args.long:g} s clip in {time.perf_counter() - t:.0f} s", flush=True)
        for label, clip in (("short", short), ("long", long)):
            secs = args.short if label == "short" else args.long
            # the reference is always the short clip (looped): the source's length is what is measured
            tr = peak_of(["transfer", str(clip), str(short), "-o", str(work / f"t_{label}.mp4"), "--ref-end", "loop"])
            print(f"transfer  {secs:6.0f} s clip: peak RSS {tr['peak_rss_mib']:7.0f} MiB, {tr['seconds']:6.0f} s wall",
                  flush=True)
            kf = peak_of(["keyframes", str(curves), "--source", str(clip), "-o", str(work / f"k_{label}.mp4")])
            print(f"keyframes {secs:6.0f} s clip: peak RSS {kf['peak_rss_mib']:7.0f} MiB, {kf['seconds']:6.0f} s wall",
                  flush=True)


if __name__ == "__main__":
    main()
