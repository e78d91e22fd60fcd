"""Face geometry: expression parameters per class, face-local coordinates, and drawing primitives.

A face is drawn in face-local units: u across, v down, the face is the ellipse u^2 + v^2 <= 1.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from generator.data.synthetic.faces import FaceParams

# The neutral expression's geometry, in face-local units.
NEUTRAL = dict(
    brow_v=-0.42, brow_u=0.42, brow_len=0.21, brow_tilt=0.0, brow_arch=0.035,
    eye_hu=0.075, eye_hl=0.055,
    nose_lift=0.0, wrinkle=0.0, nostril=0.0,
    mouth_v=0.0, mouth_w=0.33, mouth_c=0.0, mouth_au=0.0, mouth_al=0.0,
    mouth_round=0.0, mouth_teeth=0.0, mouth_thick=1.0, cheek=0.0,
)
# What each class changes, at intensity 1. Designed pairs share a cue (data.synthetic.design):
# Disgust lowers the brows as Angry does; Sad raises the inner brows as Fear does, and its
# mouth barely leaves Neutral's; Fear opens the eyes as Surprise does.
ANGRY_BROWS = dict(brow_v=0.03, brow_u=-0.05, brow_tilt=-0.075, brow_arch=-0.035)
RAISED_INNER_BROWS = dict(brow_v=-0.05, brow_u=-0.05, brow_tilt=0.09, brow_arch=-0.02)
CHANGES: dict[str, dict[str, float]] = {
    "Angry": dict(**ANGRY_BROWS, eye_hu=-0.035, eye_hl=-0.02, mouth_w=-0.10, mouth_c=0.02, mouth_thick=0.7),
    "Disgust": dict(**ANGRY_BROWS, nose_lift=0.035, wrinkle=1.0, nostril=1.0,
                    mouth_w=-0.02, mouth_c=0.06, mouth_au=-0.10, mouth_al=0.02),
    "Fear": dict(**RAISED_INNER_BROWS, eye_hu=0.08, eye_hl=0.045,
                 mouth_w=0.12, mouth_c=0.03, mouth_au=-0.04, mouth_al=0.08),
    "Happy": dict(mouth_w=0.08, mouth_c=-0.12, mouth_al=0.08, mouth_teeth=1.0, cheek=1.0),
    "Sad": dict(**RAISED_INNER_BROWS, mouth_w=-0.01, mouth_c=0.04),
    "Surprise": dict(brow_v=-0.14, brow_arch=0.12, eye_hu=0.085, eye_hl=0.05,
                     mouth_v=0.08, mouth_w=-0.18, mouth_au=-0.16, mouth_al=0.18, mouth_round=1.0),
    "Neutral": dict(),
}
GEOMETRY = tuple(NEUTRAL)
# On/off shapes in [0, 1] that an expression has or not, whatever its intensity.
SHAPES = ("wrinkle", "nostril", "mouth_round", "mouth_teeth", "cheek")
# Per-part jitter (uniform +-) shared by every class; it keeps each class a family, not one drawing.
JITTER = dict(brow_v=0.03, brow_u=0.025, brow_len=0.025, brow_tilt=0.025, brow_arch=0.02,
              eye_hu=0.008, eye_hl=0.008, nose_lift=0.02, mouth_v=0.035, mouth_w=0.035,
              mouth_c=0.015, mouth_thick=0.15)
EYE_U, EYE_V, EYE_W = 0.42, -0.08, 0.18     # eye centre (|u|, v) and half-width
NOSE_V = 0.27                               # nose base
MOUTH_V = 0.58                              # mouth centre line
CHEEK_U, CHEEK_W = 0.56, 0.15               # raised-cheek centre |u| and half-width
NOSE_HALF = 0.29                            # nose / cheeks split across the nose band


def check_names(class_names: tuple[str, ...], shortcut: str | None) -> None:
    for name in class_names:
        if name not in CHANGES:
            raise ValueError(f"unknown expression class {name!r}; known: {', '.join(CHANGES)}")
    if shortcut is not None and shortcut not in class_names:
        raise ValueError(f"shortcut class {shortcut!r} is not one of: {', '.join(class_names)}")


def col(a) -> np.ndarray:
    return np.asarray(a, np.float32)[:, None, None]


class Frame:
    """Pixels of a window (the whole image by default) and their face-local coordinates
    u (across) and v (down), (N, h, w) each."""

    def __init__(self, params: FaceParams, origin=None, shape=None):
        self.params, self.size = params, params.size
        h, w = shape or (params.size, params.size)
        y0, x0 = origin if origin is not None else (np.float32(0), np.float32(0))
        self.x = col(x0) if origin is not None else np.zeros((1, 1, 1), np.float32)
        self.y = col(y0) if origin is not None else np.zeros((1, 1, 1), np.float32)
        self.x = self.x + np.arange(w, dtype=np.float32)[None, None, :] + np.float32(0.5)
        self.y = self.y + np.arange(h, dtype=np.float32)[None, :, None] + np.float32(0.5)
        self.rx, self.ry = col(params.rx), col(params.ry)
        self.cos, self.sin = col(np.cos(params.angle)), col(np.sin(params.angle))
        dx, dy = self.x - col(params.cx), self.y - col(params.cy)
        self.u = (dx * self.cos + dy * self.sin) / self.rx
        self.v = (dy * self.cos - dx * self.sin) / self.ry
        self.hw = col(params.stroke)
        self.skin = col(params.skin)
        self.dark = self.skin * col(params.ink)

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
        return col(self.params.cx) + u * self.cos - v * self.sin, col(self.params.cy) + u * self.sin + v * self.cos


def face_window(params: FaceParams, box=None, rows=None) -> tuple[Frame, np.ndarray]:
    """The smallest common window holding the face-local box (u_half, v_lo, v_hi), i.e.
    |u| <= u_half and v_lo <= v <= v_hi, of every face (the whole image when box is None), and the
    flat indices of its pixels in (M, size, size) images where these faces are `rows`."""
    size, n = params.size, len(params)
    rows = np.arange(n) if rows is None else np.asarray(rows)
    if box is None:
        frame, (y0, x0), (h, w) = Frame(params), (np.zeros(n, np.int64),) * 2, (size, size)
    else:
        u_half, v_lo, v_hi = box
        a, b = u_half * params.rx, (v_hi - v_lo) / 2 * params.ry
        cos, sin = np.abs(np.cos(params.angle)), np.abs(np.sin(params.angle))
        w = min(size, int(np.ceil(2 * np.max(a * cos + b * sin, initial=0))) + 2)
        h = min(size, int(np.ceil(2 * np.max(a * sin + b * cos, initial=0))) + 2)
        vc = (v_lo + v_hi) / 2
        x0 = np.clip(np.round(params.cx - vc * params.ry * np.sin(params.angle) - w / 2), 0, size - w).astype(np.int64)
        y0 = np.clip(np.round(params.cy + vc * params.ry * np.cos(params.angle) - h / 2), 0, size - h).astype(np.int64)
        frame = Frame(params, (y0, x0), (h, w))
    flat = (rows[:, None, None] * size * size + (y0[:, None, None] + np.arange(h)[None, :, None]) * size
            + x0[:, None, None] + np.arange(w)[None, None, :])
    return frame, flat


def setup(params: FaceParams, labels, class_names) -> tuple[Frame, dict]:
    class_names = tuple(class_names)
    check_names(class_names, None)
    frame = Frame(params)
    return frame, expression(frame, np.asarray(labels, np.int64), class_names)


def expression(frame: Frame, labels: np.ndarray, class_names: tuple[str, ...]) -> dict:
    """Per-image geometry (N, 1, 1): neutral + intensity x class change + jitter (the SHAPES at full
    strength); plus region bounds.

    A face with a `blend` and a `drift_to` class is drawn that far toward that class's
    expression (data.synthetic.design): an ambiguous expression.
    """
    params = frame.params
    change = np.array([[CHANGES[name].get(key, 0.0) for key in GEOMETRY] for name in class_names],
                      np.float32).reshape(len(class_names), len(GEOMETRY))
    base = np.array([NEUTRAL[key] for key in GEOMETRY], np.float32)
    partner = np.where(params.drift_to >= 0, params.drift_to, labels)
    blend = np.where(partner == labels, 0.0, params.blend).astype(np.float32)[:, None]
    mixed = (1 - blend) * change[labels] + blend * change[partner]
    # A weak expression moves the parts less, but keeps its shapes: a faint smile still shows teeth.
    strength = np.where(np.isin(GEOMETRY, SHAPES), np.float32(1.0), params.intensity[:, None])
    values = base + strength * mixed + params.jitter
    geo = {key: values[:, i, None, None] for i, key in enumerate(GEOMETRY)}
    for key in SHAPES:
        geo[key] = np.clip(geo[key], 0, 1)
    geo["mouth_tilt"] = col(params.mouth_asym)
    geo.update(_bounds(frame, geo))
    return geo


def _bounds(frame: Frame, geo: dict) -> dict:
    """Region boundaries in v (and |u|), placed between the centre lines of neighbouring parts
    where their strokes meet, so each part's ink stays in its own region."""
    p, hw, rx, ry = frame.params, frame.hw, frame.rx, frame.ry
    reach = lambda half: (half + 0.5) * 1.3 + 0.3  # noqa: E731  ink reach from a centre line, px

    def split(upper, upper_px, lower, lower_px):  # where two strokes' ink would meet
        return upper + (lower - upper) * upper_px / (upper_px + lower_px)

    s = np.linspace(-1, 1, 9, dtype=np.float32)
    brow = geo["brow_v"] - geo["brow_arch"] * (1 - s * s) + geo["brow_tilt"] * s
    brow_asym = np.abs(col(p.brow_asym))
    brow_px = reach(hw * 1.6)
    eye_top = EYE_V - np.abs(col(p.eye_asym)) - geo["eye_hu"]
    eye_bottom = EYE_V + np.abs(col(p.eye_asym)) + geo["eye_hl"]
    nose_v = NOSE_V - geo["nose_lift"]
    nose_top = nose_v - np.where(geo["wrinkle"] > 0, np.float32(0.165), np.float32(0.045))
    nose_px = np.maximum(reach(hw * 0.7), reach((0.55 + 0.5 * geo["nostril"]) * hw + 0.2))
    mouth_v = MOUTH_V + geo["mouth_v"]
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
                column=EYE_U - EYE_W - reach(hw * 1.1) / rx,
                mouth_half=geo["mouth_w"] + reach(hw * geo["mouth_thick"]) / rx)


def profile(t, roundness):
    """Lip / lid shape on t in [-1, 1], from parabola (roundness 0) to half-ellipse (1), and d/dt."""
    t = np.clip(t, -1, 1)
    root = np.sqrt(np.maximum(1 - t * t, 0))
    shape = (1 - roundness) * (1 - t * t) + roundness * root
    return shape, (1 - roundness) * (-2 * t) - roundness * t / np.maximum(root, 0.2)


def distance(frame: Frame, curve, slope):
    """Pixel distance to the curve v = curve(u) whose slope dv/du is `slope`."""
    return np.abs(frame.v - curve) / np.sqrt(frame.ry ** -2 + (slope / frame.rx) ** 2)


def between(frame: Frame, coord, lo, hi):
    """Soft indicator of lo <= coord <= hi for a u-like coordinate (1-pixel ramps)."""
    return np.clip((coord - lo) * frame.rx + 0.5, 0, 1) * np.clip((hi - coord) * frame.rx + 0.5, 0, 1)


def stroke(distance, half_width):
    return np.clip(half_width + 0.5 - distance, 0, 1)


def disc(frame: Frame, x, y, radius):
    """Coverage of a disc given in pixels."""
    return np.clip(radius + 0.5 - np.hypot(frame.x - x, frame.y - y), 0, 1)


def ellipse(frame: Frame, uc, vc, a, b):
    """Approximate signed pixel distance to a face-local ellipse (negative inside)."""
    p, q = (frame.u - uc) / a, (frame.v - vc) / b
    grad = 2 * np.sqrt((p / (a * frame.rx)) ** 2 + (q / (b * frame.ry)) ** 2) + 1e-3
    return (p * p + q * q - 1) / grad
