"""Synthetic facial-expression faces: cartoon faces with exact face-region and evidence masks."""

from __future__ import annotations

import os
from functools import cached_property
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields

import numpy as np

from generator.vocabulary import FER2013_CLASSES, OUTSIDE, REGIONS

# Regions whose drawing carries each class (Neutral: its flat brows, eyes and mouth).
EVIDENCE_REGIONS: dict[str, tuple[str, ...]] = {
    "Angry": ("brows", "eyes", "mouth"),
    "Disgust": ("nose", "mouth"),
    "Fear": ("brows", "eyes", "mouth"),
    "Happy": ("cheeks", "mouth"),
    "Sad": ("brows", "mouth"),
    "Surprise": ("brows", "eyes", "mouth"),
    "Neutral": ("brows", "eyes", "mouth"),
}

# The shortcut mark (a bright dot in a dark ring) as (row, column) slices of a 48x48 image;
# other sizes scale it. Faces never reach this corner.
SHORTCUT_BOX = (slice(2, 7), slice(41, 46))

# Expression geometry in face-local units: u across, v down, the face is the ellipse u^2 + v^2 <= 1.
_NEUTRAL = dict(
    brow_v=-0.42, brow_u=0.42, brow_len=0.21, brow_tilt=0.0, brow_arch=0.035,
    eye_hu=0.075, eye_hl=0.055,
    nose_lift=0.0, wrinkle=0.0, nostril=0.0,
    mouth_v=0.0, mouth_w=0.33, mouth_c=0.0, mouth_au=0.0, mouth_al=0.0,
    mouth_round=0.0, mouth_teeth=0.0, mouth_thick=1.0, cheek=0.0,
)
# What each class changes, at intensity 1.
_CHANGES: dict[str, dict[str, float]] = {
    "Angry": dict(brow_v=0.03, brow_u=-0.05, brow_tilt=-0.075, brow_arch=-0.035,
                  eye_hu=-0.035, eye_hl=-0.02, mouth_w=-0.10, mouth_c=0.02, mouth_thick=0.7),
    "Disgust": dict(nose_lift=0.035, wrinkle=1.0, nostril=1.0,
                    mouth_w=-0.02, mouth_c=0.06, mouth_au=-0.10, mouth_al=0.02),
    "Fear": dict(brow_v=-0.08, brow_u=-0.05, brow_tilt=0.08, brow_arch=-0.02,
                 eye_hu=0.075, eye_hl=0.04,
                 mouth_w=0.12, mouth_c=0.03, mouth_au=-0.04, mouth_al=0.08),
    "Happy": dict(mouth_w=0.08, mouth_c=-0.12, mouth_al=0.08, mouth_teeth=1.0, cheek=1.0),
    "Sad": dict(brow_v=0.02, brow_tilt=0.10, brow_arch=-0.015, mouth_w=-0.02, mouth_c=0.10),
    "Surprise": dict(brow_v=-0.11, brow_arch=0.08, eye_hu=0.085, eye_hl=0.05,
                     mouth_v=0.06, mouth_w=-0.15, mouth_au=-0.14, mouth_al=0.14, mouth_round=1.0),
    "Neutral": dict(),
}
_GEOMETRY = tuple(_NEUTRAL)
# Per-part jitter (uniform +-) shared by every class; it keeps each class a family, not one drawing.
_JITTER = dict(brow_v=0.03, brow_u=0.025, brow_len=0.025, brow_tilt=0.025, brow_arch=0.02,
               eye_hu=0.008, eye_hl=0.008, nose_lift=0.02, mouth_v=0.035, mouth_w=0.035,
               mouth_c=0.015, mouth_thick=0.15)
_EYE_U, _EYE_V, _EYE_W = 0.42, -0.08, 0.18     # eye centre (|u|, v) and half-width
_NOSE_V = 0.27                                  # nose base
_MOUTH_V = 0.58                                 # mouth centre line
_CHEEK_U, _CHEEK_W = 0.56, 0.15                 # raised-cheek centre |u| and half-width
_NOSE_HALF = 0.29                               # nose / cheeks split across the nose band
_WORKERS = max(1, min(4, os.cpu_count() or 1))


@dataclass(frozen=True)
class SyntheticFaces:
    """images (N, H, W, 1) float32 in [0, 1]; labels (N,) int64; regions (N, H, W) uint8
    indexing vocabulary.REGIONS; evidence (N, H, W) bool: the unoccluded class-carrying regions."""

    images: np.ndarray
    labels: np.ndarray
    regions: np.ndarray
    evidence: np.ndarray


@dataclass(frozen=True)
class FaceParams:
    """Everything random about N faces except their expression; each field is an (N, ...) array."""

    size: int
    cx: np.ndarray              # face centre, pixels
    cy: np.ndarray
    rx: np.ndarray              # face half-width and half-height, pixels
    ry: np.ndarray
    angle: np.ndarray           # rotation, radians
    skin: np.ndarray            # skin tone
    ink: np.ndarray             # darkness of drawn features relative to the skin
    stroke: np.ndarray          # line half-width, pixels
    intensity: np.ndarray       # expression intensity
    jitter: np.ndarray          # (N, len(_GEOMETRY)) per-part offsets
    brow_asym: np.ndarray       # left/right differences
    eye_asym: np.ndarray
    mouth_asym: np.ndarray
    gaze: np.ndarray            # (N, 2) iris offset
    background: np.ndarray      # level, (N, 2) slope, (N, 6, 6) coarse texture
    bg_slope: np.ndarray
    bg_texture: np.ndarray
    ears: np.ndarray            # bool
    neck: np.ndarray            # bool
    hair: np.ndarray            # 0 none, 1 short, 2 long
    hair_tone: np.ndarray
    hairline: np.ndarray        # (N, 2) height and side slope
    hair_wave: np.ndarray       # (N, 3) frequency, phase, amplitude
    glasses: np.ndarray         # bool
    glasses_tone: np.ndarray
    glasses_size: np.ndarray
    hand: np.ndarray            # bool
    hand_pose: np.ndarray       # (N, 4) direction, reach, palm size, finger spread
    light: np.ndarray           # (N, 2) lighting gradient across x, y
    blur: np.ndarray            # gaussian sigma, pixels
    noise_level: np.ndarray
    noise: np.ndarray           # (N, H, W) standard normal

    def __len__(self) -> int:
        return len(self.cx)

    def take(self, index) -> "FaceParams":
        """The faces at `index` (a slice, index array or mask)."""
        return FaceParams(**{f.name: getattr(self, f.name) if f.name == "size" else getattr(self, f.name)[index]
                             for f in fields(self)})


def sample_face_params(n: int, rng: np.random.Generator, size: int = 48) -> FaceParams:
    """Draw identity, pose, lighting, nuisances and noise of `n` faces, independent of any class."""
    s = size / 48.0
    uni = lambda lo, hi, shape=(n,): rng.uniform(lo, hi, shape).astype(np.float32)  # noqa: E731
    rx = uni(14.5, 17.5) * s
    spread = np.array([_JITTER.get(key, 0.0) for key in _GEOMETRY], np.float32)
    return FaceParams(
        size=size,
        cx=size / 2 + uni(-2.5, 2.5) * s, cy=size / 2 + uni(-1.0, 2.5) * s,
        rx=rx, ry=rx * uni(1.12, 1.3), angle=uni(-0.25, 0.25),
        skin=uni(0.45, 0.9), ink=uni(0.12, 0.35), stroke=uni(0.5, 0.85) * s, intensity=uni(0.75, 1.05),
        jitter=(rng.uniform(-1, 1, (n, len(_GEOMETRY))) * spread).astype(np.float32),
        brow_asym=uni(-0.02, 0.02), eye_asym=uni(-0.012, 0.012), mouth_asym=uni(-0.04, 0.04),
        gaze=uni(-0.035, 0.035, (n, 2)),
        background=uni(0.05, 0.95), bg_slope=uni(-0.3, 0.3, (n, 2)), bg_texture=uni(-0.15, 0.15, (n, 6, 6)),
        ears=rng.random(n) < 0.7, neck=rng.random(n) < 0.8,
        hair=rng.choice(3, n, p=[0.3, 0.45, 0.25]),
        hair_tone=np.where(rng.random(n) < 0.75, uni(0.03, 0.3), uni(0.6, 0.9)).astype(np.float32),
        hairline=np.stack([uni(-0.9, -0.76), uni(-0.15, 0.15)], 1),
        hair_wave=np.stack([uni(5, 12), uni(0, 6.3), uni(0.0, 0.05)], 1),
        glasses=rng.random(n) < 0.25, glasses_tone=uni(0.0, 0.3), glasses_size=uni(0.92, 1.08),
        hand=rng.random(n) < 0.15,
        hand_pose=np.stack([uni(0, 2 * np.pi), uni(0.75, 1.0), uni(0.85, 1.1), uni(-0.25, 0.25)], 1),
        light=uni(-0.3, 0.3, (n, 2)),
        blur=uni(0.3, 0.75) * s, noise_level=uni(0.0, 0.04),
        noise=rng.standard_normal((n, size, size), dtype=np.float32),
    )


def make_synthetic_faces(per_class: int, seed: int, shortcut: str | None = None,
                         class_names=FER2013_CLASSES, size: int = 48) -> SyntheticFaces:
    """`per_class` faces of each class, ordered class by class; bit-identical for a seed."""
    class_names = tuple(class_names)
    _check_names(class_names, shortcut)
    labels = np.repeat(np.arange(len(class_names), dtype=np.int64), per_class)
    params = sample_face_params(len(labels), np.random.default_rng(seed), size)
    return render_faces(params, labels, class_names, shortcut)


def render_faces(params: FaceParams, labels, class_names=FER2013_CLASSES,
                 shortcut: str | None = None, chunk: int = 100) -> SyntheticFaces:
    """Draw the faces `params` with the expressions `labels`: same params, same faces and noise."""
    class_names, labels = tuple(class_names), np.asarray(labels, np.int64)
    _check_names(class_names, shortcut)
    marked = -1 if shortcut is None else class_names.index(shortcut)
    size = params.size
    images = np.empty((len(labels), size, size), np.float32)
    regions = np.empty((len(labels), size, size), np.uint8)

    def work(start: int) -> None:
        part = slice(start, start + chunk)
        images[part], regions[part] = _render(params.take(part), labels[part], class_names, marked)

    with ThreadPoolExecutor(_WORKERS) as pool:  # numpy releases the GIL inside its loops
        list(pool.map(work, range(0, len(labels), chunk)))
    carried = np.zeros((len(class_names), len(REGIONS)), bool)
    for c, name in enumerate(class_names):
        carried[c, [REGIONS.index(r) for r in EVIDENCE_REGIONS[name]]] = True
    evidence = carried[labels[:, None, None], regions]
    return SyntheticFaces(images[..., None], labels, regions, evidence)


def render_part_ink(params: FaceParams, labels, class_names=FER2013_CLASSES) -> dict[str, np.ndarray]:
    """Coverage (N, H, W) in [0, 1] of each drawn expression part, keyed by its region; unoccluded."""
    frame, geo = _setup(params, labels, class_names)
    ink = {}
    for name, flat, layers in _draw_parts(frame, geo):
        out = np.zeros((len(params), params.size, params.size), np.float32)
        out.reshape(-1)[flat] = np.clip(np.sum([alpha for alpha, _ in layers], axis=0), 0, 1)
        ink[name] = out
    return ink


def render_region_masks(params: FaceParams, labels, class_names=FER2013_CLASSES) -> np.ndarray:
    """(N, len(REGIONS), H, W) bool, one mask per region; together they partition every image."""
    frame, geo = _setup(params, labels, class_names)
    image = np.zeros((len(params), params.size, params.size), np.float32)
    return _region_masks(frame, geo, _occlude(params, image))


# --- geometry ------------------------------------------------------------------------------------

def _check_names(class_names: tuple[str, ...], shortcut: str | None) -> None:
    for name in class_names:
        if name not in _CHANGES:
            raise ValueError(f"unknown expression class {name!r}; known: {', '.join(_CHANGES)}")
    if shortcut is not None and shortcut not in class_names:
        raise ValueError(f"shortcut class {shortcut!r} is not one of: {', '.join(class_names)}")


def _col(a) -> np.ndarray:
    return np.asarray(a, np.float32)[:, None, None]


class _Frame:
    """Pixels of a window (the whole image by default) and their face-local coordinates
    u (across) and v (down), (N, h, w) each."""

    def __init__(self, params: FaceParams, origin=None, shape=None):
        self.params, self.size = params, params.size
        h, w = shape or (params.size, params.size)
        y0, x0 = origin if origin is not None else (np.float32(0), np.float32(0))
        self.x = _col(x0) if origin is not None else np.zeros((1, 1, 1), np.float32)
        self.y = _col(y0) if origin is not None else np.zeros((1, 1, 1), np.float32)
        self.x = self.x + np.arange(w, dtype=np.float32)[None, None, :] + np.float32(0.5)
        self.y = self.y + np.arange(h, dtype=np.float32)[None, :, None] + np.float32(0.5)
        self.rx, self.ry = _col(params.rx), _col(params.ry)
        self.cos, self.sin = _col(np.cos(params.angle)), _col(np.sin(params.angle))
        dx, dy = self.x - _col(params.cx), self.y - _col(params.cy)
        self.u = (dx * self.cos + dy * self.sin) / self.rx
        self.v = (dy * self.cos - dx * self.sin) / self.ry
        self.hw = _col(params.stroke)
        self.skin = _col(params.skin)
        self.dark = self.skin * _col(params.ink)

    @cached_property
    def au(self) -> np.ndarray:
        return np.abs(self.u)

    @cached_property
    def side(self) -> np.ndarray:
        """-1 on the face's left half (u < 0), +1 on its right."""
        return np.where(self.u < 0, np.float32(-1), np.float32(1))

    def pixels(self, u, v):
        """Face-local (u, v) to pixel (x, y)."""
        u, v = u * self.rx, v * self.ry
        return _col(self.params.cx) + u * self.cos - v * self.sin, _col(self.params.cy) + u * self.sin + v * self.cos


def _window(params: FaceParams, box=None, rows=None) -> tuple[_Frame, np.ndarray]:
    """The smallest common window holding the face-local box (u_half, v_lo, v_hi), i.e.
    |u| <= u_half and v_lo <= v <= v_hi, of every face (the whole image when box is None), and the
    flat indices of its pixels in (M, size, size) images where these faces are `rows`."""
    size, n = params.size, len(params)
    rows = np.arange(n) if rows is None else np.asarray(rows)
    if box is None:
        frame, (y0, x0), (h, w) = _Frame(params), (np.zeros(n, np.int64),) * 2, (size, size)
    else:
        u_half, v_lo, v_hi = box
        a, b = u_half * params.rx, (v_hi - v_lo) / 2 * params.ry
        cos, sin = np.abs(np.cos(params.angle)), np.abs(np.sin(params.angle))
        w = min(size, int(np.ceil(2 * np.max(a * cos + b * sin, initial=0))) + 2)
        h = min(size, int(np.ceil(2 * np.max(a * sin + b * cos, initial=0))) + 2)
        vc = (v_lo + v_hi) / 2
        x0 = np.clip(np.round(params.cx - vc * params.ry * np.sin(params.angle) - w / 2), 0, size - w).astype(np.int64)
        y0 = np.clip(np.round(params.cy + vc * params.ry * np.cos(params.angle) - h / 2), 0, size - h).astype(np.int64)
        frame = _Frame(params, (y0, x0), (h, w))
    flat = (rows[:, None, None] * size * size + (y0[:, None, None] + np.arange(h)[None, :, None]) * size
            + x0[:, None, None] + np.arange(w)[None, None, :])
    return frame, flat


def _setup(params: FaceParams, labels, class_names) -> tuple[_Frame, dict]:
    class_names = tuple(class_names)
    _check_names(class_names, None)
    frame = _Frame(params)
    return frame, _expression(frame, np.asarray(labels, np.int64), class_names)


def _expression(frame: _Frame, labels: np.ndarray, class_names: tuple[str, ...]) -> dict:
    """Per-image geometry (N, 1, 1): neutral + intensity x class change + jitter; plus region bounds."""
    params = frame.params
    change = np.array([[_CHANGES[name].get(key, 0.0) for key in _GEOMETRY] for name in class_names],
                      np.float32).reshape(len(class_names), len(_GEOMETRY))
    base = np.array([_NEUTRAL[key] for key in _GEOMETRY], np.float32)
    values = base + params.intensity[:, None] * change[labels] + params.jitter
    geo = {key: values[:, i, None, None] for i, key in enumerate(_GEOMETRY)}
    for key in ("wrinkle", "nostril", "mouth_round", "mouth_teeth", "cheek"):
        geo[key] = np.clip(geo[key], 0, 1)
    geo["mouth_tilt"] = _col(params.mouth_asym)
    geo.update(_bounds(frame, geo))
    return geo


def _bounds(frame: _Frame, geo: dict) -> dict:
    """Region boundaries in v (and |u|), placed between the centre lines of neighbouring parts
    where their strokes meet, so each part's ink stays in its own region."""
    p, hw, rx, ry = frame.params, frame.hw, frame.rx, frame.ry
    reach = lambda half: (half + 0.5) * 1.3 + 0.3  # noqa: E731  ink reach from a centre line, px

    def split(upper, upper_px, lower, lower_px):  # where two strokes' ink would meet
        return upper + (lower - upper) * upper_px / (upper_px + lower_px)

    s = np.linspace(-1, 1, 9, dtype=np.float32)
    brow = geo["brow_v"] - geo["brow_arch"] * (1 - s * s) + geo["brow_tilt"] * s
    brow_asym = np.abs(_col(p.brow_asym))
    brow_px = reach(hw * 1.6)
    eye_top = _EYE_V - np.abs(_col(p.eye_asym)) - geo["eye_hu"]
    eye_bottom = _EYE_V + np.abs(_col(p.eye_asym)) + geo["eye_hl"]
    nose_v = _NOSE_V - geo["nose_lift"]
    nose_top = nose_v - np.where(geo["wrinkle"] > 0, np.float32(0.165), np.float32(0.045))
    nose_px = np.maximum(reach(hw * 0.7), reach((0.55 + 0.5 * geo["nostril"]) * hw + 0.2))
    mouth_v = _MOUTH_V + geo["mouth_v"]
    tilt = np.abs(geo["mouth_tilt"]) * geo["mouth_w"]
    mouth_top = mouth_v + np.minimum(geo["mouth_c"], geo["mouth_au"]) - tilt
    mouth_bottom = mouth_v + np.maximum(geo["mouth_c"], geo["mouth_al"]) + tilt
    mouth_px = reach(hw * geo["mouth_thick"])
    b1 = brow.min(-1, keepdims=True) - brow_asym - brow_px / ry
    b2 = split(brow.max(-1, keepdims=True) + brow_asym, brow_px, eye_top, reach(hw * 1.1))
    b3 = split(eye_bottom, reach(hw * 0.6), nose_top, reach(hw * 0.55))
    b4 = split(nose_v, nose_px, mouth_top, mouth_px)
    b5 = mouth_bottom + mouth_px / ry
    b2, b3 = np.maximum(b1, b2), np.maximum(np.maximum(b1, b2), b3)
    b4 = np.maximum(b3, b4)
    b5 = np.maximum(b4, b5)
    return dict(b1=b1, b2=b2, b3=b3, b4=b4, b5=b5,
                column=_EYE_U - _EYE_W - reach(hw * 1.1) / rx,
                mouth_half=geo["mouth_w"] + reach(hw * geo["mouth_thick"]) / rx)


def _profile(t, roundness):
    """Lip / lid shape on t in [-1, 1], from parabola (roundness 0) to half-ellipse (1), and d/dt."""
    t = np.clip(t, -1, 1)
    root = np.sqrt(np.maximum(1 - t * t, 0))
    shape = (1 - roundness) * (1 - t * t) + roundness * root
    return shape, (1 - roundness) * (-2 * t) - roundness * t / np.maximum(root, 0.2)


def _distance(frame: _Frame, curve, slope):
    """Pixel distance to the curve v = curve(u) whose slope dv/du is `slope`."""
    return np.abs(frame.v - curve) / np.sqrt(frame.ry ** -2 + (slope / frame.rx) ** 2)


def _between(frame: _Frame, coord, lo, hi):
    """Soft indicator of lo <= coord <= hi for a u-like coordinate (1-pixel ramps)."""
    return np.clip((coord - lo) * frame.rx + 0.5, 0, 1) * np.clip((hi - coord) * frame.rx + 0.5, 0, 1)


def _stroke(distance, half_width):
    return np.clip(half_width + 0.5 - distance, 0, 1)


def _disc(frame: _Frame, x, y, radius):
    """Coverage of a disc given in pixels."""
    return np.clip(radius + 0.5 - np.hypot(frame.x - x, frame.y - y), 0, 1)


def _ellipse(frame: _Frame, uc, vc, a, b):
    """Approximate signed pixel distance to a face-local ellipse (negative inside)."""
    p, q = (frame.u - uc) / a, (frame.v - vc) / b
    grad = 2 * np.sqrt((p / (a * frame.rx)) ** 2 + (q / (b * frame.ry)) ** 2) + 1e-3
    return (p * p + q * q - 1) / grad


def _draw_parts(frame: _Frame, geo: dict):
    """Yield (region name, flat pixel indices, [(alpha, tone), ...]) for each expression part,
    drawn in a window around its band (|u| <= half, v_lo <= v <= v_hi, with room for spills)."""
    b1, b2, b3, b4, b5 = (geo[k].ravel() for k in ("b1", "b2", "b3", "b4", "b5"))
    groups = ((("brows",), (0.82, b1 - 0.03, b2 + 0.12)),
              (("eyes",), (0.76, b2 - 0.12, b3 + 0.12)),
              (("nose", "cheeks"), (0.8, b3 - 0.2, b4 + 0.1)),
              (("mouth",), (0.7, b4 - 0.12, b5 + 0.05)))
    draw = {"brows": _brows, "eyes": _eyes, "nose": _nose, "cheeks": _cheeks, "mouth": _mouth}
    for names, box in groups:
        window, flat = _window(frame.params, box)
        for name in names:
            yield name, flat, draw[name](window, geo)


def _brows(frame: _Frame, geo: dict) -> list:
    s = (frame.au - geo["brow_u"]) / geo["brow_len"]          # -1 at the inner end, +1 outer
    sc = np.clip(s, -1, 1)
    curve = (geo["brow_v"] + frame.side * _col(frame.params.brow_asym)
             - geo["brow_arch"] * (1 - sc * sc) + geo["brow_tilt"] * sc)
    slope = (2 * geo["brow_arch"] * sc + geo["brow_tilt"]) / geo["brow_len"]
    width = frame.hw * (1.6 - 0.25 * (sc + 1))                # tapers outward
    along = _between(frame, s * geo["brow_len"], -geo["brow_len"], geo["brow_len"])
    return [(_stroke(_distance(frame, curve, slope), width) * along, frame.dark * 0.9)]


def _eyes(frame: _Frame, geo: dict) -> list:
    """Almond lids around a light sclera and a dark iris; wide eyes show sclera, narrow ones a slit."""
    p, hw, skin = frame.params, frame.hw, frame.skin
    ev = _EYE_V + frame.side * _col(p.eye_asym)
    t = (frame.au - _EYE_U) / _EYE_W
    shape, dshape = _profile(t, 0.6)
    top, bottom = ev - geo["eye_hu"] * shape, ev + geo["eye_hl"] * shape
    span = _between(frame, frame.au, _EYE_U - _EYE_W, _EYE_U + _EYE_W)
    inside = np.clip(0.5 - np.maximum(top - frame.v, frame.v - bottom) * frame.ry, 0, 1) * span
    iris_u = _EYE_U + _col(p.gaze[:, 0]) * frame.side
    iris_v = ev + _col(p.gaze[:, 1])
    iris = np.clip(0.52 * _EYE_W * frame.rx + 0.5
                   - np.hypot((frame.au - iris_u) * frame.rx, (frame.v - iris_v) * frame.ry), 0, 1) * inside
    upper = _stroke(_distance(frame, top, geo["eye_hu"] * dshape / _EYE_W), hw * 1.1) * span
    lower = _stroke(_distance(frame, bottom, geo["eye_hl"] * dshape / _EYE_W), hw * 0.6) * span
    return [(inside, np.minimum(skin + 0.3, 0.97)), (iris, frame.dark * 0.5),
            (lower, skin * 0.55), (upper, frame.dark * 0.7)]


def _nose(frame: _Frame, geo: dict) -> list:
    """A shaded base arc and nostrils; disgust lifts the base, flares the nostrils, wrinkles the bridge."""
    hw, skin = frame.hw, frame.skin
    nv = _NOSE_V - geo["nose_lift"]
    half = 0.12 + 0.03 * geo["nostril"]
    t = np.clip(frame.u / half, -1, 1)
    base = _stroke(_distance(frame, nv - 0.045 * (1 - t * t), 0.09 * t / half), hw * 0.7)
    base *= _between(frame, frame.u, -half, half)
    radius = (0.55 + 0.5 * geo["nostril"]) * hw + 0.2
    nostrils = np.clip(radius + 0.5 - np.hypot((frame.au - 0.065 - 0.02 * geo["nostril"]) * frame.rx,
                                               (frame.v - nv) * frame.ry), 0, 1)
    wrinkles = 0
    for rise, length in ((0.10, 0.075), (0.165, 0.09)):
        curve = nv - rise + 0.025 * (frame.u / length) ** 2
        wrinkles = wrinkles + (_stroke(_distance(frame, curve, 0.05 * frame.u / length ** 2), hw * 0.55)
                               * _between(frame, frame.u, -length, length))
    return [(base, skin * 0.6), (nostrils, frame.dark * (1.2 - 0.5 * geo["nostril"])),
            (np.clip(wrinkles, 0, 1) * geo["wrinkle"], skin * 0.5)]


def _cheeks(frame: _Frame, geo: dict) -> list:
    """Raised cheeks: a bright apple with a crease below it, inside the nose band beside the nose."""
    centre = (geo["b3"] + geo["b4"]) / 2
    half = np.maximum((geo["b4"] - geo["b3"]) / 2 - (frame.hw * 0.5 + 0.6) / frame.ry, 0.02)
    apple = np.clip(-_ellipse(frame, _CHEEK_U * frame.side, centre, _CHEEK_W, half) / 1.5, 0, 1)
    t = np.clip((frame.au - _CHEEK_U) / _CHEEK_W, -1, 1)
    crease = centre + 0.8 * half * np.sqrt(1 - t * t)
    crease = _stroke(_distance(frame, crease, 0.0), frame.hw * 0.5)
    crease *= _between(frame, frame.au, _CHEEK_U - 0.7 * _CHEEK_W, _CHEEK_U + 0.7 * _CHEEK_W)
    return [(apple * geo["cheek"] * 0.8, np.minimum(frame.skin + 0.25, 1.0)),
            (crease * geo["cheek"], frame.skin * 0.6)]


def _mouth(frame: _Frame, geo: dict) -> list:
    """The opening between the lips (dark, or teeth when smiling), then both lip lines."""
    w, c, tilt = geo["mouth_w"], geo["mouth_c"], geo["mouth_tilt"]
    shape, dshape = _profile(frame.u / w, geo["mouth_round"])
    line = _MOUTH_V + geo["mouth_v"] + c + tilt * frame.u
    upper, lower = line + (geo["mouth_au"] - c) * shape, line + (geo["mouth_al"] - c) * shape
    span = _between(frame, frame.u, -w, w)
    opening = np.clip(0.5 - np.maximum(upper - frame.v, frame.v - lower) * frame.ry, 0, 1) * span
    width = frame.hw * geo["mouth_thick"]
    lips = np.maximum(_stroke(_distance(frame, upper, tilt + (geo["mouth_au"] - c) * dshape / w), width),
                      _stroke(_distance(frame, lower, tilt + (geo["mouth_al"] - c) * dshape / w), width))
    teeth = geo["mouth_teeth"]
    return [(opening, teeth * np.minimum(frame.skin + 0.3, 0.95) + (1 - teeth) * frame.dark * 0.5),
            (lips * span, frame.dark * 0.8)]


def _region_masks(frame: _Frame, geo: dict, occluded: np.ndarray) -> np.ndarray:
    """Bands of the face ellipse between part boundaries, split across by |u|; the rest is outside."""
    v, au = frame.v, frame.au
    face = (frame.u ** 2 + v ** 2 <= 1) & ~occluded
    b1, b2, b3, b4, b5 = (geo[k] for k in ("b1", "b2", "b3", "b4", "b5"))
    brow_band, eye_band = (v >= b1) & (v < b2), (v >= b2) & (v < b3)
    nose_band, mouth_band = (v >= b3) & (v < b4), (v >= b4) & (v < b5)
    column, mouth_half = au < geo["column"], au < geo["mouth_half"]
    masks = {
        "forehead": v < b1,
        "brows": brow_band,
        "eyes": eye_band & ~column,
        "nose": (eye_band & column) | (nose_band & (au < _NOSE_HALF)),
        "cheeks": (nose_band & (au >= _NOSE_HALF)) | (mouth_band & ~mouth_half),
        "mouth": mouth_band & mouth_half,
        "chin": v >= b5,
    }
    out = np.empty((frame.u.shape[0], len(REGIONS)) + frame.u.shape[1:], bool)
    for i, name in enumerate(REGIONS):
        out[:, i] = ~face if i == OUTSIDE else masks[name] & face
    return out


def _region_labels(frame: _Frame, geo: dict, outside: np.ndarray) -> np.ndarray:
    """The same partition as `_region_masks`, as one uint8 label per pixel, in fewer passes."""
    v, au = frame.v, frame.au
    band = sum((v >= geo[k]).view(np.uint8) for k in ("b1", "b2", "b3", "b4", "b5"))
    labels = band + (band >= 4)                                   # 0..5 -> forehead..eyes, nose, mouth, chin
    labels += (band == 2) & (au < geo["column"])                  # eyes -> nose between the eyes
    labels += (band == 3) & (au >= _NOSE_HALF)                    # nose -> cheeks beside it
    labels -= (band == 4) & (au >= geo["mouth_half"])             # mouth -> cheeks beside it
    labels[outside] = OUTSIDE
    return labels


# --- the rest of the picture --------------------------------------------------------------------

def _over(image, alpha, tone):
    """Paint `tone` over `image` with coverage `alpha`, in place."""
    image += alpha * (tone - image)


def _occlude(params: FaceParams, image: np.ndarray) -> np.ndarray:
    """Paint hair, glasses and hands over the faces, in place; return where they hide the face."""
    occluded = np.zeros(image.shape, bool)
    pixels, hidden = image.reshape(-1), occluded.reshape(-1)
    for flag, draw, box in ((params.hair > 0, _hair, (1.15, -1.3, 0.36)),
                            (params.glasses, _glasses, (1.2, -0.4, 0.22)),
                            (params.hand, _hand, None)):
        rows = np.flatnonzero(flag)
        if len(rows):
            frame, flat = _window(params.take(rows), box, rows)
            window, cover = pixels[flat], hidden[flat]
            for alpha, tone in draw(frame):
                _over(window, alpha, tone)
                cover |= alpha > 0.5
            pixels[flat], hidden[flat] = window, cover
    return occluded


def _hair(frame: _Frame) -> list:
    """Hair over the top of the head and down the temples, with a parted, wavy fringe."""
    p, u, v = frame.params, frame.u, frame.v
    height, part = _col(p.hairline[:, 0]), _col(p.hairline[:, 1])
    freq, phase, amp = (_col(p.hair_wave[:, i]) for i in range(3))
    u2 = u * u
    line = height + part * u + 0.55 * u2 * u2 + amp * np.sin(freq * u + phase)
    head = np.clip(-_ellipse(frame, 0.0, -0.12, 1.1, 1.12), 0, 1)
    return [(head * np.clip((line - v) * frame.ry + 0.5, 0, 1), _col(p.hair_tone))]


def _glasses(frame: _Frame) -> list:
    """Round frames around the eyes, a bridge and the temples."""
    p, hw = frame.params, frame.hw
    k = _col(p.glasses_size)
    a, b, vc = 0.25 * k, 0.19 * k, np.float32(_EYE_V)
    rim = _stroke(np.abs(_ellipse(frame, _EYE_U * frame.side, vc, a, b)), hw * 0.9)
    bridge = _stroke(_distance(frame, vc - 0.04 + 0.1 * frame.u ** 2, 0.2 * frame.u), hw * 0.8)
    bridge *= _between(frame, frame.au, -1, _EYE_U - a + 0.02)
    temple = _stroke(_distance(frame, vc - 0.02, 0.0), hw * 0.8) * _between(frame, frame.au, _EYE_U + a - 0.02, 1.15)
    return [(np.maximum(np.maximum(rim, bridge), temple), _col(p.glasses_tone))]


def _hand(frame: _Frame) -> list:
    """A palm beside the face with four fingers reaching over its edge."""
    p, s = frame.params, frame.size / 48.0
    direction, reach, palm, spread = (_col(p.hand_pose[:, i]) for i in range(4))
    px, py = frame.pixels(1.25 * np.cos(direction), 1.25 * np.sin(direction))
    cx, cy = _col(p.cx), _col(p.cy)
    dx, dy = cx - px, cy - py
    norm = np.hypot(dx, dy)
    dx, dy = dx / norm, dy / norm
    tone = np.clip(frame.skin * 1.05, 0, 1)
    edge = frame.skin * 0.55
    palm_alpha = _disc(frame, px - dx * 2 * s, py - dy * 2 * s, 6.0 * palm * s)
    layers = [(palm_alpha, tone)]
    for i, offset in enumerate((-1.5, -0.5, 0.5, 1.5)):
        angle = spread * offset * 0.3
        fx = dx * np.cos(angle) - dy * np.sin(angle)
        fy = dx * np.sin(angle) + dy * np.cos(angle)
        x0, y0 = px - dy * offset * 2.6 * s, py + dx * offset * 2.6 * s
        length = (7.0 + 2.5 * (1.5 - abs(offset))) * reach * s
        t = np.clip((frame.x - x0) * fx + (frame.y - y0) * fy, 0, length)
        dist = np.hypot(frame.x - x0 - t * fx, frame.y - y0 - t * fy) - 1.25 * s
        layers += [(np.clip(0.5 - dist, 0, 1), tone), (_stroke(np.abs(dist), 0.35) * (t > 0), edge)]
    return layers


def _background(frame: _Frame) -> np.ndarray:
    """A level kept apart from the skin, a gradient and a smooth (bilinear) random texture."""
    p, size = frame.params, frame.size
    coarse = p.bg_texture.shape[-1]
    centres = (np.arange(size, dtype=np.float32) + 0.5) * coarse / size - 0.5
    lerp = np.maximum(0, 1 - np.abs(centres[:, None] - np.arange(coarse)[None, :])).astype(np.float32)
    lerp /= lerp.sum(1, keepdims=True)
    texture = np.matmul(np.matmul(lerp, p.bg_texture), lerp.T)
    level = _col(p.background)
    level = np.where(np.abs(level - frame.skin) < 0.15, level + np.where(frame.skin > 0.6, -0.3, 0.3), level)
    ramp = (np.arange(size, dtype=np.float32) + 0.5) / size - 0.5
    return (level + _col(p.bg_slope[:, 0]) * ramp[None, None, :] + _col(p.bg_slope[:, 1]) * ramp[None, :, None]
            + texture).astype(np.float32)


def _blur(images: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """Gaussian blur with a per-image sigma, as two batched matrix products (rows renormalised at edges)."""
    grid = np.arange(images.shape[-1], dtype=np.float32)
    offset = grid[None, :, None] - grid[None, None, :]
    kernel = np.exp(-offset ** 2 / (2 * _col(sigma) ** 2)) * (np.abs(offset) <= 3)
    kernel /= kernel.sum(-1, keepdims=True)
    return np.matmul(np.matmul(kernel, images), kernel.transpose(0, 2, 1))


def _shortcut_mark(images: np.ndarray, rows: np.ndarray, size: int) -> None:
    """A bright dot in a dark ring, in place, on the images `rows`."""
    scale = size / 48.0
    r0, r1 = int(round(SHORTCUT_BOX[0].start * scale)), int(round(SHORTCUT_BOX[0].stop * scale))
    c0, c1 = int(round(SHORTCUT_BOX[1].start * scale)), int(round(SHORTCUT_BOX[1].stop * scale))
    images[rows, r0:r1, c0:c1] = 0.05
    images[rows, r0 + 1:r1 - 1, c0 + 1:c1 - 1] = 1.0


def _render(params: FaceParams, labels: np.ndarray, class_names: tuple[str, ...], marked: int):
    frame = _Frame(params)
    geo = _expression(frame, labels, class_names)
    p, u, v, skin = params, frame.u, frame.v, frame.skin
    image = _background(frame)
    pixels = image.reshape(-1)
    long_hair = np.flatnonzero(p.hair == 2)
    if len(long_hair):  # falls behind the face
        back, flat = _window(p.take(long_hair), None, long_hair)
        window = pixels[flat]
        _over(window, np.clip(-_ellipse(back, 0.0, 0.25, 1.3, 1.32), 0, 1) * (back.v > -0.4), _col(back.params.hair_tone))
        pixels[flat] = window
    neck, flat = _window(p, (0.6, 0.35, 2.6))
    window = pixels[flat]
    _over(window, _col(p.neck) * _between(neck, neck.u, -0.5, 0.5) * (neck.v > 0.4), neck.skin * 0.85)
    pixels[flat] = window
    ears, flat = _window(p, (1.18, -0.3, 0.2))
    window = pixels[flat]
    _over(window, np.clip(-_ellipse(ears, 0.98 * ears.side, -0.05, 0.13, 0.2), 0, 1) * _col(p.ears), ears.skin * 0.92)
    pixels[flat] = window
    r2 = u * u + v * v
    face = (np.sqrt(r2) - 1) * np.sqrt(frame.rx * frame.ry)  # ~ pixel distance to the outline
    _over(image, np.clip(0.5 - face, 0, 1), skin * (1 - 0.18 * r2 * r2))
    _over(image, _stroke(np.abs(face), 0.4) * 0.6, skin * 0.55)
    for _, flat, layers in _draw_parts(frame, geo):
        window = pixels[flat]
        for alpha, tone in layers:
            _over(window, alpha, tone)
        pixels[flat] = window
    occluded = _occlude(p, image)
    ramp = (np.arange(frame.size, dtype=np.float32) + 0.5) / frame.size - 0.5
    image *= 1 + 2 * (_col(p.light[:, 0]) * ramp[None, None, :] + _col(p.light[:, 1]) * ramp[None, :, None])
    image = _blur(image, p.blur)
    rows = np.flatnonzero(labels == marked)
    if len(rows):
        _shortcut_mark(image, rows, frame.size)
    image += _col(p.noise_level) * p.noise
    np.clip(image, 0, 1, out=image)
    return image, _region_labels(frame, geo, occluded | (r2 > 1))
