"""How strongly the AU -> shading map shades a face, beside how strongly the same people's real expressions do.

The map (training/au_shading.py) is a least-squares slope of log-luminance on OpenFace's AU intensities, and
noise in the regressors shrinks such a slope towards 0: the same shrinkage teacher_check finds in the AU ->
landmark map (brows and jaw at half the real surprise contrasts). Here, as there, pairs are chosen by the
crowd's expression labels (a person's first neutral LFW photo and their expressive one with the strongest key
AU), and each side is averaged over pairs before comparing, so the AU labels' noise averages out (the
grouping, or Wald, estimate): the mean real change of the band-passed canonical log-luminance against the
mean change the map gives for the pairs' OpenFace AUs. gain = <real, shaded> / <shaded, shaded> over the
contrast's region (where the map shades at all); 1 = the map shades as much as real faces change.

The same pairs give the shading's colour: over those regions, each channel's log change against the
luminance's (channel_shares). Skin darkens redder than grey (R ~0.8x, B ~1.25x); --out stores the shares
with the map, and the run time shades each channel by its share.

Run: python -m ganimate.training.shading_check runs/crops128 ../shared/data/faces/lfw_expressions.csv
     [--shading ganimate/models/au_shading.npz] [--out gained.npz [--apply happiness anger]]
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ganimate.au.names import AU_NAMES
from ganimate.face.mouth import LUMA  # Rec. 601, as au_shading.log_luminance
from ganimate.face.shading import AuShading, face_region

from .au_shading import BAND_SIGMA, SIDE, band_pass, canonical_channels, canonical_luminance
from .teacher_check import contrast_pairs, read_expressions, split_expressions

# the expression compared with neutral, its key AU (the expressive photo with the most of it is taken), and the
# shaded AUs whose gain it measures
CONTRASTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "happiness": ("AU12", ("AU06", "AU12")),
    "surprise": ("AU01", ("AU01", "AU02")),
    "anger": ("AU04", ("AU04",)),
}
# the contrasts whose gains --out applies: raised brows' gain (2.3 on 119 training people) is left out, since at
# that gain the brows-up map's light glabella glowed as a pale patch between the brows (looked at, 30 held-out
# faces); the real pairs' change there is mostly the face's edges and the lids (head pose, eyes wide)
APPLIED = ("happiness", "anger")
COLOUR_FROM = ("happiness", "anger")  # the contrasts whose pairs give the shading's colour (channel_shares)
SHADED_SHARE = 0.25  # the contrast's region: grid pixels where the mean shaded change exceeds this share of its max


@dataclass(frozen=True)
class ShadingContrast:
    """n pairs; real / shaded: float32 GxG mean change over the pairs; region: bool GxG where it is compared."""

    n: int
    real: np.ndarray
    shaded: np.ndarray
    region: np.ndarray

    @property
    def gain(self) -> float:
        """<real, shaded> / <shaded, shaded> over region: the factor that best scales the map's mean onto the real."""
        s, r = self.shaded[self.region], self.real[self.region]
        return float((r * s).sum() / max(float((s * s).sum()), 1e-12))

    @property
    def correlation(self) -> float:
        """Pearson r of the two mean changes over region: whether the map shades where real faces change."""
        s, r = self.shaded[self.region], self.real[self.region]
        return float(np.corrcoef(s, r)[0, 1]) if s.size > 2 else float("nan")


def canonical_maps(cache, points: np.ndarray, rows: np.ndarray, shading: AuShading) -> np.ndarray:
    """float32 (len(rows), G, G) band-passed canonical log-luminance, exposure (the median over the face region)
    taken out, as au_shading fits them; cache: the crops (N, S, S, 3) uint8; points float (N, 68, 2) crop px."""
    side = shading.side
    region = face_region(shading.mean_points, side, shading.triangles)
    maps = np.stack([canonical_luminance(np.asarray(cache[r]), points[r], shading.mean_points, side,
                                         shading.triangles) for r in rows])
    return _as_fitted(maps, region, side)


def _as_fitted(maps: np.ndarray, region: np.ndarray, side: int) -> np.ndarray:
    """float32 (N, G, G) maps band-passed over region with their median over it taken out (the exposure)."""
    maps = band_pass(maps.astype(np.float32), region, BAND_SIGMA * side / SIDE)
    return (maps - np.median(maps[:, region], axis=1)[:, None, None]) * region


def compare_shading(cache, points: np.ndarray, aus: np.ndarray, pairs: list[tuple[int, int]],
                    shading: AuShading) -> ShadingContrast:
    """The mean real and shaded change of pairs (neutral row, expressive row) into the crops."""
    side = shading.side
    if not pairs:
        empty = np.zeros((side, side), np.float32)
        return ShadingContrast(0, empty, empty, empty.astype(bool))
    a, b = np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs])
    real = (canonical_maps(cache, points, b, shading) - canonical_maps(cache, points, a, shading)).mean(axis=0)
    region = face_region(shading.mean_points, side, shading.triangles)
    # the map's change through the same band-pass and exposure step as the real faces', like with like
    shaded = _as_fitted(np.mean([shading.change(aus[i], aus[j]) for i, j in pairs], axis=0)[None], region,
                        side)[0]
    peak = float(np.abs(shaded).max())
    where = region & (np.abs(shaded) > SHADED_SHARE * peak) if peak > 0 else region
    return ShadingContrast(len(pairs), real.astype(np.float32), shaded.astype(np.float32), where)


def channel_shares(cache, points: np.ndarray, contrasts: list[tuple[list[tuple[int, int]], np.ndarray]],
                   shading: AuShading) -> np.ndarray:
    """float32 (3,): how much each of R, G, B changes (log) per unit of luminance change in real expressions.
    contrasts: (pairs (neutral row, expressive row), bool GxG region) each, e.g. a ShadingContrast's region;
    every pair's band-passed canonical log change of each channel, pooled over its contrast's region, is
    regressed on their Rec. 601 weighted sum (through 0), and the slopes are scaled so that sum is 1 (the
    map's luminance change is kept). Ones when no pair has a region."""
    side = shading.side
    face = face_region(shading.mean_points, side, shading.triangles)
    xs, ys = [], []
    for pairs, region in contrasts:
        if not pairs or not region.any():
            continue
        rows = sorted({r for p in pairs for r in p})
        logs = {r: canonical_channels(np.asarray(cache[r]), points[r], shading.mean_points, side, shading.triangles)
                for r in rows}
        for a, b in pairs:
            d = _as_fitted(logs[b] - logs[a], face, side)  # each channel band-passed, its exposure out
            xs.append(np.tensordot(LUMA, d, axes=1)[region])
            ys.append(d[:, region])
    if not xs:
        return np.ones(3, np.float32)
    x, y = np.concatenate(xs), np.concatenate(ys, axis=1)
    slopes = (y @ x) / max(float(x @ x), 1e-12)
    return (slopes / float(LUMA @ slopes)).astype(np.float32)


def gained(shading: AuShading, gains: dict[str, float], channels: np.ndarray | None = None) -> AuShading:
    """The map with each named AU's weights scaled by its gain (and channels, float (3,), when given)."""
    w = shading.weights.copy()
    for name, g in gains.items():
        w[AU_NAMES.index(name)] *= np.float32(g)
    ch = shading.channels if channels is None else np.asarray(channels, np.float32)
    return AuShading(w, shading.mean_points, shading.triangles, ch)


def main(argv: list[str] | None = None) -> None:
    from ganimate.errors import GanimateError
    from ganimate.infer.models import DEFAULT_SHADING

    from .dataset import open_crops_cache, read_aus_csv

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("crops", type=Path, help="a folder written by ganimate.training.landmark_crops")
    ap.add_argument("expressions", type=Path, help="../shared/data/faces/lfw_expressions.csv")
    ap.add_argument("--shading", type=Path, default=Path(DEFAULT_SHADING))
    ap.add_argument("--out", type=Path, help="write the map with the training pairs' gains applied here")
    ap.add_argument("--apply", nargs="*", default=list(APPLIED), choices=list(CONTRASTS),
                    help="the contrasts whose gains --out applies (default: %(default)s)")
    args = ap.parse_args(argv)
    for path in (args.crops / "landmarks.npy", args.expressions, args.shading):
        if not path.is_file():
            raise GanimateError(f"not found: {path}")
    table = read_aus_csv(args.crops / "aus.csv")
    points = np.load(args.crops / "landmarks.npy")
    cache = open_crops_cache(args.crops)
    labels = read_expressions(args.expressions)
    shading = AuShading.load(args.shading)
    gains: dict[str, float] = {}
    colour: list[tuple[list[tuple[int, int]], np.ndarray]] = []
    for held in (False, True):
        expr = split_expressions(table, labels, held)
        for expression, (key, shaded_aus) in CONTRASTS.items():
            pairs = contrast_pairs(table.identities, expr, table.aus, expression, key)
            c = compare_shading(cache, points, table.aus, pairs, shading)
            print(f"{'held-out' if held else 'training'} neutral->{expression} ({c.n} people): real / shaded "
                  f"gain {c.gain:.2f}, r {c.correlation:.2f} over {int(c.region.sum())} px")
            if not held and c.n and expression in args.apply:
                gains.update({au: c.gain for au in shaded_aus})
            if not held and c.n and expression in COLOUR_FROM:
                colour.append((pairs, c.region))
    channels = channel_shares(cache, points, colour, shading)
    print(f"training pairs' colour: R, G, B change {', '.join(f'{v:.2f}' for v in channels)}x the luminance "
          f"(the map's now: {', '.join(f'{v:.2f}' for v in shading.channels)})")
    if args.out is not None:
        gained(shading, gains, channels).save(args.out)
        print(f"wrote {args.out} (gains {', '.join(f'{k} {v:.2f}' for k, v in gains.items())}, channels "
              f"{', '.join(f'{v:.2f}' for v in channels)})")


if __name__ == "__main__":
    from ganimate.errors import run_script

    run_script(main)
