"""The last stages shared by transfer and keyframes: generate, paste back, encode."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ganimate.au.drive import Drive, drive_of, drive_targets
from ganimate.au.names import AU_NAMES
from ganimate.config import LidConfig, RunConfig
from ganimate.face.align import invert_transform, transform_points
from ganimate.face.backdrop import hold_backdrop
from ganimate.face.blur import read_blur, soften_change
from ganimate.face.box import points_box
from ganimate.face.brow_lift import bring_out_skin, lift_brows
from ganimate.face.brow_raise import brow_rise, raise_flow
from ganimate.face.cheeks import cheek_lift, lift_flow
from ganimate.face.chin import chin_share, drop_chin
from ganimate.face.corners import corner_flow, smile_fall
from ganimate.face.flow import after_flow, hold_flow, unfold_flow
from ganimate.face.forehead import hold_in_crop, read_reach
from ganimate.face.frown import brow_drop, lower_brows
from ganimate.face.glare import Glare, hide_glare, read_glasses, restore_glare
from ganimate.face.glasses import Lenses, Rims, hide_rims, restore_rims
from ganimate.face.grin import grin_rise, grin_weight, inside_light
from ganimate.face.lids import close_lids, closure_for
from ganimate.face.lip_area import thin_flow
from ganimate.face.lips import close_share, join_lips
from ganimate.face.mouth import fill_mouth, fill_weight, keep_lip_thickness, lip_points, smile_share
from ganimate.face.parting import part_flow, part_gap
from ganimate.face.paste import advect_points, make_feather_mask, paste_back, paste_warped
from ganimate.face.sample import read_at
from ganimate.face.seam import deepen_seam
from ganimate.face.shading import lift_creases, shade_face, squeezed_skin
from ganimate.face.shown_lids import ShownLids, lay_shut_eyes
from ganimate.face.shown_teeth import ShownTeeth, own_inside, read_shown_teeth
from ganimate.face.smile_lips import stretch_flow, stretch_share
from ganimate.face.smooth_smile import size_share, smooth_flow
from ganimate.face.temples import hold_temples_in_crop, read_temples
from ganimate.face.turn import read_turn, turn_flow
from ganimate.pipeline.faces import no_face_error
from ganimate.pipeline.hold import Residuals, StillFaces, crop_region
from ganimate.pipeline.shown import with_shown_parts
from ganimate.pipeline.stream import map_batched


@dataclass(frozen=True)
class Finish:
    """What a run lays on its edited faces from their landmarks: shading (an AuShading, face/shading.py) and
    mouth (a MouthInterior, face/mouth.py); None = not laid."""

    shading: object | None = None
    mouth: object | None = None


@dataclass(frozen=True)
class FaceTouch:
    """One face's part of the finish: points float (68, 2) frame px read on the input (None: no finish); closure 0..1
    of the lids (face/lids.py); change the shading's float32 GxG (AuShading.change; None: none); smile 0..1 the
    mouth interior's (face/mouth.smile_share of the target's AU12); lift the inter-ocular distances the cheeks rise
    (face/cheeks.cheek_lift; negative: they fall; 0: none); drop those the brows slide down (face/frown.brow_drop);
    brows those the inner and the outer brows rise beyond the generator's lift (face/brow_raise.brow_rise);
    close the share of the parted lips' gap brought together (face/lips.close_share); fall the units of AU12 whose
    corners' move is topped up to real faces' (face/corners.smile_fall); unshade the darkening a falling smile's own
    creases may lose (float32 GxG, AuShading.fall_change; None: none); rims the glasses it wears, kept still
    (face/glasses.read_rims on the input frame; None: none or not looked for); glare the light they reflect about
    the eyes, kept still too (face/glare.read_glare on the input frame with the rims painted out; None: none);
    stretch 0..1 how far a closed-lip smile's lips are stretched as real ones (face/smile_lips.stretch_share); apart the
    inter-ocular distances real lips part for the target's rising AU25 (face/parting.part_gap): the mouth fill then
    takes the opening kept to the lips' thickness; part the same where the lips are parted that far after the warp (with
    close_lips); teeth the teeth a mouth the edit opens is filled with (face/shown_teeth.py: on video the frame's own or
    those its track showed more plainly; None: those the input shows, read then); shut the shut eyes its track showed
    (face/shown_lids.py), laid where the lids close (None: the lid cover alone), at shut_share 0..1 of their opacity;
    jaw 0..1 how far the chin follows a lower lip the edit dropped (face/chin.chin_share); closed_smile 0..1 how far a
    closed-lip smile rises (face/smile_lips.stretch_share, on stills and video): its lips are kept to real lips' area
    (face/lip_area.py), its lower face re-laid as the smoothest warp through its points' moves (face/smooth_smile.py)
    and its seam deepened where it is dark (face/seam.py); grin 0..1 how far a rising smile fills lips the edit leaves
    parted with teeth (face/grin.grin_rise)."""

    points: np.ndarray | None = None
    closure: float = 0.0
    change: np.ndarray | None = None
    smile: float = 0.0
    lift: float = 0.0
    drop: float = 0.0
    close: float = 0.0
    fall: float = 0.0
    unshade: np.ndarray | None = None
    rims: Rims | None = None
    glare: Glare | None = None
    stretch: float = 0.0
    apart: float = 0.0
    part: float = 0.0
    teeth: ShownTeeth | None = None
    shut: ShownLids | None = None
    shut_share: float = 1.0
    jaw: float = 0.0
    closed_smile: float = 0.0
    grin: float = 0.0
    brows: tuple[float, float] = (0.0, 0.0)

    @property
    def needs_points(self) -> bool:
        """Whether this finish moves anything, so the face's landmarks must be read: a lid, shading, cheeks, brows,
        lips."""
        return (self.closure > 0.0 or (self.change is not None and bool(np.any(self.change))) or self.lift != 0.0
                or self.drop > 0.0 or self.close > 0.0 or self.fall > 0.0 or self.stretch > 0.0 or self.part > 0.0
                or self.jaw > 0.0 or self.closed_smile > 0.0 or self.grin > 0.0 or any(self.brows)
                or (self.unshade is not None and bool(np.any(self.unshade))))


def touch_for(target: np.ndarray, source: np.ndarray | None, lids: LidConfig | None = None, shading=None,
              cheeks: float = 0.0, frown: float = 0.0, close_lips: bool = False, corners: bool = False,
              stretch: bool = False, brows: float = 0.0) -> FaceTouch:
    """A face's FaceTouch, points not yet read, from its target and source AUs (float (17,); source None: nothing
    read them, so no shading, lift, drop or closing): the lids' closure under lids, the shading's change (an
    AuShading; None: none), the mouth's smile share, the cheeks' lift, the brows' drop and their rise at cheeks /
    frown / brows per unit, how far a rising AU25 asks the lips to part, with close_lips the share of the lips' gap
    a falling AU25 closes and how far a rising one parts them after the warp, with corners (the drive's) the AU12
    that falls, and with stretch how far a rising AU12 with closed lips stretches them (face/smile_lips.py); that
    share, stretched or not, keeps the lips to real lips' area (face/lip_area.py), re-lays the lower face's flow
    smoothly (face/smooth_smile.py) and deepens the lips' seam (face/seam.py)."""
    known = source is not None
    apart = part_gap(source, target) if known else 0.0
    closed_smile = stretch_share(source, target) if known else 0.0
    return FaceTouch(None, closure_for(target, lids, source),
                     shading.change(source, target) if shading is not None and known else None,
                     smile_share(float(target[AU_NAMES.index("AU12")])),
                     cheek_lift(source, target, cheeks) if cheeks > 0.0 and known else 0.0,
                     brow_drop(source, target, frown) if frown > 0.0 and known else 0.0,
                     close_share(source, target) if close_lips and known else 0.0,
                     smile_fall(source, target) if corners and known else 0.0,
                     shading.fall_change(source, target) if shading is not None and known else None,
                     stretch=closed_smile if stretch else 0.0,
                     apart=apart, part=apart if close_lips else 0.0, jaw=chin_share(source, target) if known else 0.0,
                     closed_smile=closed_smile,
                     grin=grin_rise(source, target) if known else 0.0,
                     brows=brow_rise(source, target, brows) if brows > 0.0 and known else (0.0, 0.0))


def edited_frames(stream: Iterable[tuple], generator, batch_size: int, stats: dict, landmarks=None,
                  outline: bool = True, lids: LidConfig | None = None, finish: Finish = Finish(),
                  drive: Drive | None = None, cheeks: float = 0.0, frown: float = 0.0, brows: float = 0.0,
                  close_lips: bool = False, glasses: bool = False, still: bool = False, anchor: bool = False,
                  hold: float = 0.0):
    """(frame, crops, targets (n,17), source AUs (n,17)) -> (frame, output uint8 HxWx3) with every face's edit
    pasted.

    landmarks: a LandmarkEstimator, read on a crop cut the way it was trained; with outline, each face's edit
    is masked by its own outline (face/mask.py), else by the fixed ellipse of face/paste.py; with lids, a target
    AU45 closes the eyelids (face/lids.py; on video laid over by the eyes its track shows most shut, a blink read
    up to a second ahead, face/shown_lids.py); with finish.shading, the change from the source's AUs to the target
    shades the face (face/shading.py); with finish.mouth, a mouth the edit opens is given an inside (face/mouth.py;
    on video with the teeth its track shows most plainly where a frame shows them less, read a second ahead,
    pipeline/shown.py);
    with drive (au/drive.Drive) the generator is asked for the source + gain x the change (a small rise lifted),
    and a falling smile's corners are brought down and in as far as real faces' (face/corners.py: the drive cannot
    ask for less than 0);
    with cheeks (inter-ocular distances per AU06 unit, face/cheeks.py) a rising AU06 lifts the cheeks (a falling
    one lowers them); with frown (the same per AU04 unit, face/frown.py) a rising AU04 slides the brows down; with
    brows (the same per AU01 / AU02 unit, face/brow_raise.py) a rising AU01 / AU02 lifts the inner / outer brows; with
    close_lips a falling AU25 brings parted lips together (face/lips.py) and a rising one parts them as far as real
    lips (face/parting.py);
    with glasses the glasses a face wears stay still (face/glasses.py; each track's lenses, once found, are
    refitted frame to frame, so a bowed head that hides the bridge keeps them: d9 held in 526 of 587 frames, 59%
    found frame by frame alone); with still (the frames are one portrait's) a closed-lip smile's lips are
    stretched as real ones (face/smile_lips.py: on video it tied the lips to the generator's frame-to-frame
    corners, bill_clinton's held smile flickering 1.04 -> 1.08), and still or not, a closed-lip smile's lips are
    kept to real lips' area (face/lip_area.py: the generator puffed them); with anchor a warping generator's flow
    at the AUs each face already shows is taken off its flow (infer/generator.anchored_flow); with hold (mean |change|
    0..255) a face whose crop's box has changed by less since its track's last edit, asked for the same target,
    gets that edit's change again and its models do not run (pipeline/hold.py: a repeated frame shimmered).
    No landmarks: the ellipse, no lids closed, no finish. The landmark model runs only for a batch that needs it
    (an outline, a face shaded, a lid that moves, a mouth that may open, cheeks that rise, brows that fall or a
    smile that rises with closed lips, kept to real lips' area)."""
    ellipse = make_feather_mask(generator.size)
    parts = [AU_NAMES.index("AU25"), AU_NAMES.index("AU26")]

    still_faces = StillFaces(hold)

    def pairs():
        """Each frame with its faces to edit (the landmark crop is cut only for a batch that reads landmarks) and
        the tracks whose face keeps its last edit."""
        for frame, crops, targets, sources in stream:
            items, held = [], []
            still_faces.keep_only(c.track_id for c in crops)
            for c, t, s in zip(crops, targets, sources, strict=True):
                if still_faces.still(c.track_id, frame.image, c.matrix, generator.size, t):
                    held.append(c.track_id)
                else:
                    items.append((c, t, s, frame.image))
            yield (frame, held), items

    def run(items):
        crops = np.stack([c.crop for c, _, _, _ in items])
        targets = np.stack([t for _, t, _, _ in items])
        sources = np.stack([s for _, _, s, _ in items])
        asked = targets if drive is None else drive_targets(targets, sources, drive)
        edits = generator.edit_maps(crops, asked, sources if anchor else None)
        touches = [touch_for(t, s, lids, finish.shading, cheeks, frown, close_lips, drive is not None, still, brows)
                   for _, t, s, _ in items]
        opens = finish.mouth is not None and any(np.any(t[parts] > s[parts]) for _, t, s, _ in items)
        if landmarks is None or (not outline and not opens and not glasses
                                 and not any(tc.needs_points for tc in touches)):
            return [(e, ellipse, FaceTouch()) for e in edits]
        cuts = [cut_for_landmarks(image, c.face.landmarks, c.crop, c.matrix, landmarks.size)
                for c, _, _, image in items]
        # closing lids needs the lid points to a px or two: then the mirror-averaged read (NME 3.9% vs 4.1%,
        # twice the model's work, so only in batches where a lid moves)
        points = landmarks.locate(np.stack([cut[0] for cut in cuts]), mirror=max(tc.closure for tc in touches) > 0.0)
        results = []
        for e, p, (c, _, _, _), cut, touch in zip(edits, points, items, cuts, touches, strict=True):
            in_frame = transform_points(invert_transform(cut[1]), p)
            mask = face_mask(in_frame, c.matrix, ellipse) if outline else ellipse
            results.append((e, mask, replace(touch, points=in_frame)))
        return results

    worn: dict[int, Lenses] = {}  # per track: the lenses its face was last found wearing
    residuals = Residuals()
    batches = map_batched(pairs(), run, batch_size)
    shows = finish.mouth is not None or lids is not None  # what a face shows of itself elsewhere in its track
    for (frame, held), items, results in (with_shown_parts(batches, teeth=finish.mouth is not None,
                                                           lids=lids is not None) if shows else batches):
        image = frame.image
        residuals.keep_only([crop.track_id for crop, _, _, _ in items] + held)
        for (crop, _, _, _), (edit, mask, touch) in zip(items, results, strict=True):
            bare = None
            if glasses and edit.flow is not None and touch.points is not None:
                worn_now = read_glasses(image, touch.points, worn.get(crop.track_id))
                if worn_now.lenses is not None:
                    worn[crop.track_id] = worn_now.lenses
                touch, bare = replace(touch, rims=worn_now.rims, glare=worn_now.glare), worn_now.bare
            before = image
            image = edit_face(image, crop.crop, crop.matrix, edit, mask, touch, finish, bare)
            if hold > 0.0:
                residuals.keep(crop.track_id, crop_region(crop.matrix, generator.size, image.shape), before, image)
        for track in held:
            image = residuals.apply(track, image)
        stats["frames"] = stats.get("frames", 0) + 1
        stats["faces"] = stats.get("faces", 0) + (1 if items or held else 0)
        stats["held"] = stats.get("held", 0) + len(held)
        yield frame, image


def edit_face(image: np.ndarray, crop: np.ndarray, matrix: np.ndarray, edit, mask: np.ndarray,
              touch: FaceTouch = FaceTouch(), finish: Finish = Finish(), bare: np.ndarray | None = None) -> np.ndarray:
    """One face's edit into its frame (uint8 HxWx3 RGB), as edit_moved_face; the glasses it wears (touch.rims)
    are painted out before and laid back after, and so is their glare (touch.glare, read_glare of the frame with
    the rims painted out): frames and the light on their lenses stay still while the face behind them moves.
    bare: the frame with touch.rims painted out where the caller made it already (glare.read_glasses); None: made
    here."""
    if bare is None:
        bare = hide_rims(image, touch.rims) if touch.rims is not None else image
    hidden = hide_glare(bare, touch.glare) if touch.glare is not None else bare
    edited = edit_moved_face(hidden, crop, matrix, edit, mask, touch, finish)
    if touch.glare is not None:
        edited = restore_glare(edited, hidden, bare, touch.glare)
    return restore_rims(edited, image, touch.rims) if touch.rims is not None else edited


def edit_moved_face(image: np.ndarray, crop: np.ndarray, matrix: np.ndarray, edit, mask: np.ndarray,
                    touch: FaceTouch = FaceTouch(), finish: Finish = Finish()) -> np.ndarray:
    """One face's edit into its frame (uint8 HxWx3 RGB): the generator's edit pasted (paste_edit; its flow first
    followed by the cheeks' lift, touch.lift, the brows' rise, touch.brows, a closed-lip smile's lips stretched,
    touch.stretch, and kept to real lips' area, touch.closed_smile, lips parted by touch.part, and a falling smile's
    corners, touch.fall, all of it along the eye line less on a turned face's far half and more on its near half,
    face/turn.py, a raised brow's lift taken by the skin between brow and lid, face/brow_lift.py, held below hair or
    a hat above the brows, face/forehead.py, or beside them, face/temples.py, a closed-lip smile's lower face
    re-laid as the smoothest warp through its points' moves, by the same share on a face large in its frame,
    face/smooth_smile.py, its slide along the jaw line kept off the background beside it, face/backdrop.py, and kept
    from folding the face, face/flow.py), and the skin a dark brow's lift brought out laid over it; then, at the
    face's 68 points (touch.points, read on the input) carried along by the generator's flow, the chin brought down
    with a dropped lower lip by touch.jaw (face/chin.py: the generator's crop ends about the chin, where its mask
    keeps little of its motion), a frown's brows slid down by touch.drop and the expression's shading (both held
    below hair or a hat), the inside of a mouth the edit opened or a rising smile finds parted, touch.grin (with
    touch.teeth, the teeth its track showed; as soft as the photo's own edges, face/blur.py), else a closed-lip
    smile's seam deepened, or the parted lips brought together by touch.close, and the lids closed by touch.closure
    of their opening (over them touch.shut, the shut eyes its track showed)."""
    in_crop = transform_points(matrix, touch.points) if touch.points is not None else None
    if edit.flow is not None and in_crop is not None and (touch.lift != 0.0 or touch.fall > 0.0
                                                          or touch.stretch > 0.0 or touch.closed_smile > 0.0
                                                          or touch.part > 0.0 or any(touch.brows)):
        if touch.lift != 0.0:
            edit = _moved_after(edit, lift_flow(in_crop, edit.flow.shape[0], touch.lift))
        if any(touch.brows):
            edit = _moved_after(edit, raise_flow(in_crop, edit.flow.shape[0], *touch.brows))
        if touch.stretch > 0.0:
            edit = _moved_after(edit, stretch_flow(in_crop, edit.flow, touch.stretch))
        if touch.closed_smile > 0.0:
            edit = _moved_after(edit, thin_flow(in_crop, edit.flow, touch.closed_smile))
        if touch.part > 0.0:
            edit = _moved_after(edit, part_flow(in_crop, edit.flow, touch.part))
        if touch.fall > 0.0:
            edit = _moved_after(edit, corner_flow(in_crop, edit.flow, touch.fall))
    if edit.flow is not None and in_crop is not None:  # a turned face's far half moves less sideways, its near more
        turn = read_turn(in_crop)
        if turn != 0.0:
            edit = _moved_after(edit, turn_flow(in_crop, edit.flow, turn))
    lift = None
    if edit.flow is not None and in_crop is not None:  # a raised brow moves whole, its lashes stay at the lid
        lift = lift_brows(in_crop, edit.flow, image, matrix)
        edit = replace(edit, flow=lift.flow)
    # hair or a hat above the brows stays where it is: the motion fades out below it. Held where a px lands only: held
    # where it reads from as well (as beside the brows), a frown's brows that read from under a low reach lost their
    # motion (held-out frowns' AU04 +1.01 -> +0.98, Derek_Abney +0.66 -> +0.27) for a fringe's edge drawn in over
    # 0.0003 inter-ocular distances squared (10 clip frames)
    reach = read_reach(image, touch.points) if edit.flow is not None and touch.points is not None else None
    if reach is not None:
        held = hold_in_crop(reach, matrix, edit.flow.shape[0])
        edit = replace(edit, flow=edit.flow * held[..., None])
        lift = lift.held(held)  # nor is skin brought out under it
    # and so does hair or background beside the brows' outer ends, nor is it drawn in where the face moves away
    temples = read_temples(image, touch.points) if edit.flow is not None and touch.points is not None else None
    if temples is not None:
        held = hold_temples_in_crop(temples, matrix, edit.flow.shape[0])
        edit = replace(edit, flow=hold_flow(edit.flow, held))
        lift = lift.held(held)
    if edit.flow is not None and in_crop is not None and touch.closed_smile > 0.0:
        # a closed-lip smile's lower face on a face large in its frame: the least bending through where the flow
        # puts its points
        share = touch.closed_smile * size_share(touch.points)
        edit = replace(edit, flow=smooth_flow(in_crop, edit.flow, share))
    if edit.flow is not None and in_crop is not None:  # the background beside the jaw does not slide with it
        edit = replace(edit, flow=hold_backdrop(in_crop, edit.flow))
    if edit.flow is not None:  # one flow for the warp and the points it carries
        edit = replace(edit, flow=unfold_flow(edit.flow))
    source = image
    image = paste_edit(image, crop, matrix, edit, mask)
    if lift is not None:  # skin a dark brow's lift brought out
        image = bring_out_skin(image, lift, matrix)
    points = touch.points
    if points is None or (edit.flow is None and finish.mouth is None and not touch.needs_points):
        return image
    shade = touch.change is not None and finish.shading is not None and bool(np.any(touch.change))
    fill = finish.mouth is not None and edit.flow is not None
    lips = lip_points(points) if fill else np.zeros((0, 2))
    # the 68 points and, for the mouth, the lips' tissue points, carried by the flow in one pass
    carried = np.concatenate([points, lips])
    if edit.flow is not None:
        carried = advect_points(carried, edit.flow, matrix)
    moved, opened = carried[:len(points)], carried[len(points):]
    if touch.jaw > 0.0 and edit.flow is not None:  # the chin down with the lower lip, past the crop's mask
        held = float(read_at(mask, transform_points(matrix, points[8:9]), outside=0.0)[0])
        image = drop_chin(image, points, moved, held, touch.jaw)
    if touch.drop > 0.0:  # a frown's brows slid further down, over the lids
        image = lower_brows(image, moved, touch.drop, reach)
    if touch.unshade is not None and finish.shading is not None and np.any(touch.unshade):
        # a falling smile's own creases lifted, whole where the warp squeezed them in
        squeezed = squeezed_skin(edit.flow, matrix, image.shape, touch.fall) if edit.flow is not None else None
        image = lift_creases(image, moved, touch.unshade, finish.shading, squeezed)
    if shade:  # before the lids: their cover takes its skin from around the eye
        image = shade_face(image, moved, touch.change, finish.shading, reach=reach)
    if fill:  # after the shading, which leaves the lips out
        kept = keep_lip_thickness(opened, lips, points, moved)
        # lips asked to part (face/parting.py) are open wherever each lip's thickness leaves room: a flow that
        # stretched the lips apart around their seam left the tissue points near it and a pink blob unfilled
        weight = max(fill_weight(lips, opened), fill_weight(lips, kept) if touch.apart > 0.0 else 0.0)
        if touch.grin > 0.0:  # a smile over lips already parted shows teeth where the inside they part is dark
            weight = max(weight, grin_weight(touch.grin, lips, opened, inside_light(source, points)))
        if weight > 0.0:  # the fill takes the stretched lip tissue beyond each lip's own thickness
            opened = kept
        # teeth it showed (or, on video, its track showed) stay
        teeth = (touch.teeth if touch.teeth is not None else read_shown_teeth(source, points)) if weight > 0.0 else None
        own = own_inside(teeth, opened) if teeth is not None else None
        filled = fill_mouth(image, opened, weight, touch.smile, finish.mouth, own)
        if filled is not image:  # as soft as the photo's own edges: a soft face showed a crisp cut-out
            filled = soften_change(image, filled, read_blur(source, points), points_box(opened[48:], image.shape, 1))
        image = filled
        if weight <= 0.0 and touch.closed_smile > 0.0:  # closed lips pressed by a smile: their seam's shadow deeper
            image = deepen_seam(image, moved, touch.closed_smile)
    if touch.close > 0.0:  # parted lips brought together (after any fill: a mouth is opened or closed, not both)
        image = join_lips(image, moved, touch.close)
    if touch.closure <= 0.0:
        return image
    image = close_lids(image, moved, touch.closure)
    # a blink the track showed: the face's own shut lids laid over the cover
    return lay_shut_eyes(image, moved, touch.shut, touch.closure, touch.shut_share) if touch.shut is not None else image


def _moved_after(edit, extra: np.ndarray):
    """A warping edit (CropEdit) followed by a second backward flow extra (float32 SxSx2 crop px), as one edit
    (face/flow.after_flow): its flow, attention and colour."""
    flow, attention, colour = after_flow(extra, edit.flow, edit.attention, edit.colour)
    return replace(edit, flow=flow, attention=attention, colour=colour)


def cut_for_landmarks(image: np.ndarray, five: np.ndarray, crop: np.ndarray, matrix: np.ndarray,
                      size: int) -> tuple[np.ndarray, np.ndarray]:
    """The landmark model's crop (uint8 size x size x 3, aligned by the face's 5 points `five` (float (5, 2),
    frame px) at the default margin) and its frame -> crop matrix; the generator's own crop (uint8, cut with
    matrix, frame -> crop) when it is cut the same way."""
    from ganimate.face.align import DEFAULT_MARGIN, crop_transform, warp_face_by_landmarks

    if crop.shape[0] == size and np.allclose(matrix, crop_transform(five, size, DEFAULT_MARGIN)):
        return crop, matrix
    return warp_face_by_landmarks(image, five, size, DEFAULT_MARGIN)


def face_mask(in_frame: np.ndarray, matrix: np.ndarray, ellipse: np.ndarray) -> np.ndarray:
    """float32 SxS mask of the face's outline in the generator's crop, from its 68 points (float (68, 2) frame
    px); matrix: frame -> generator crop. ellipse: the crop's fixed mask (make_feather_mask(S)), which the
    outline never exceeds."""
    from ganimate.face.mask import mask_from_landmarks

    # within the crop's ellipse too: the outline only takes away (hair, background beside a turned head); below
    # the chin the ellipse's earlier fall-off hides the seam a warp that lifts the jaw leaves there
    return np.minimum(mask_from_landmarks(transform_points(matrix, in_frame), ellipse.shape[0]), ellipse)


def paste_edit(image: np.ndarray, crop: np.ndarray, matrix: np.ndarray, edit, mask: np.ndarray) -> np.ndarray:
    """One face's edit (a CropEdit of the crop uint8 SxSx3 cut with matrix, frame -> crop) into a frame
    (uint8 HxWx3 RGB): warped at the frame's resolution when the generator predicts a flow, else pasted as
    the residual of its composited crop."""
    if edit.flow is not None:
        return paste_warped(image, matrix, mask, edit.flow, edit.attention, edit.colour)
    return paste_back(image, crop, edit.output, matrix, mask)


def preview_path(out: Path) -> Path:
    """The side-by-side preview's file beside an output: OUT.preview.mp4."""
    return out.with_name(out.stem + ".preview.mp4")


def render_edits(stream, models, run: RunConfig, info, src: Path | None, out: Path, preview: Path | None,
                 stats: dict, inputs: tuple[Path, ...] = (), still: bool = False) -> None:
    """Encode the edited frames to OUT (audio remuxed from src), and optionally a side-by-side preview; models: the
    command's Models (generator, and landmarks for the outline mask and the lids). inputs: the command's other
    input files (a reference, a still), which, like src, the outputs must not overwrite; still: the frames are one
    portrait's (edited_frames)."""
    from contextlib import ExitStack

    from ganimate.video.writer import VideoWriter

    inputs = [p for p in (src, *inputs) if p is not None]
    with ExitStack() as stack:
        writer = stack.enter_context(
            VideoWriter(out, info, run.encode, audio_from=src, inputs=inputs, encode_in_thread=True)
        )
        side = None
        if preview is not None:
            side = stack.enter_context(VideoWriter(preview, _side_info(info), run.encode, audio_from=src,
                                                   inputs=inputs))
        inf = run.infer
        landmarks = models.landmarks if inf.reads_landmarks else None
        for frame, image in edited_frames(stream, models.generator, inf.batch_size, stats, landmarks,
                                          outline=inf.mask == "landmarks", lids=inf.lids,
                                          finish=Finish(models.shading if inf.shading else None,
                                                        models.mouth if inf.mouth else None),
                                          drive=drive_of(inf.drive, inf.drive_lift) if inf.drive else None,
                                          cheeks=inf.cheeks, frown=inf.frown, brows=inf.brows,
                                          close_lips=inf.close_lips,
                                          glasses=inf.glasses, still=still, anchor=inf.anchor, hold=inf.hold):
            writer.write(frame.replace_image(image))
            if side is not None:
                side.write(frame.replace_image(np.concatenate([frame.image, image], axis=1)))
        if stats.get("faces", 0) == 0:  # raised inside the writers' block, so no output is left behind
            raise no_face_error(src if src is not None else out, run.face)


def _side_info(info):
    from dataclasses import replace

    return replace(info, width=info.width * 2)
