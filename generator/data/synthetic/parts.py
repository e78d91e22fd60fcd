"""The expression parts (brows, eyes, nose, cheeks, mouth) and the face regions they lie in."""

from __future__ import annotations

import numpy as np

from generator.data.synthetic.geometry import (
    CHEEK_U,
    CHEEK_W,
    EYE_U,
    EYE_V,
    EYE_W,
    MOUTH_V,
    NOSE_HALF,
    NOSE_V,
    Frame,
    between,
    col,
    distance,
    ellipse,
    face_window,
    profile,
    stroke,
)
from generator.vocabulary import OUTSIDE, REGIONS


def draw_parts(frame: Frame, geo: dict):
    """Yield (region name, flat pixel indices, [(alpha, tone), ...]) for each expression part,
    drawn in a window around its band (|u| <= half, v_lo <= v <= v_hi, with room for spills)."""
    b1, b2, b3, b4, b5 = (geo[k].ravel() for k in ("b1", "b2", "b3", "b4", "b5"))
    groups = ((("brows",), (0.82, b1 - 0.03, b2 + 0.12)),
              (("eyes",), (0.76, b2 - 0.12, b3 + 0.12)),
              (("nose", "cheeks"), (0.8, b3 - 0.2, b4 + 0.1)),
              (("mouth",), (0.7, b4 - 0.12, b5 + 0.05)))
    draw = {"brows": _brows, "eyes": _eyes, "nose": _nose, "cheeks": _cheeks, "mouth": _mouth}
    for names, box in groups:
        window, flat = face_window(frame.params, box)
        for name in names:
            yield name, flat, draw[name](window, geo)


def _brows(frame: Frame, geo: dict) -> list:
    s = (frame.au - geo["brow_u"]) / geo["brow_len"]          # -1 at the inner end, +1 outer
    sc = np.clip(s, -1, 1)
    curve = (geo["brow_v"] + frame.side * col(frame.params.brow_asym)
             - geo["brow_arch"] * (1 - sc * sc) + geo["brow_tilt"] * sc)
    slope = (2 * geo["brow_arch"] * sc + geo["brow_tilt"]) / geo["brow_len"]
    width = frame.hw * (1.6 - 0.25 * (sc + 1))                # tapers outward
    along = between(frame, s * geo["brow_len"], -geo["brow_len"], geo["brow_len"])
    return [(stroke(distance(frame, curve, slope), width) * along, frame.dark * 0.9)]


def _eyes(frame: Frame, geo: dict) -> list:
    """Almond lids around a light sclera and a dark iris; wide eyes show sclera, narrow ones a slit."""
    p, hw, skin = frame.params, frame.hw, frame.skin
    ev = EYE_V + frame.side * col(p.eye_asym)
    t = (frame.au - EYE_U) / EYE_W
    shape, dshape = profile(t, 0.6)
    top, bottom = ev - geo["eye_hu"] * shape, ev + geo["eye_hl"] * shape
    span = between(frame, frame.au, EYE_U - EYE_W, EYE_U + EYE_W)
    inside = np.clip(0.5 - np.maximum(top - frame.v, frame.v - bottom) * frame.ry, 0, 1) * span
    iris_u = EYE_U + col(p.gaze[:, 0]) * frame.side
    iris_v = ev + col(p.gaze[:, 1])
    iris = np.clip(0.52 * EYE_W * frame.rx + 0.5
                   - np.hypot((frame.au - iris_u) * frame.rx, (frame.v - iris_v) * frame.ry), 0, 1) * inside
    upper = stroke(distance(frame, top, geo["eye_hu"] * dshape / EYE_W), hw * 1.1) * span
    lower = stroke(distance(frame, bottom, geo["eye_hl"] * dshape / EYE_W), hw * 0.6) * span
    return [(inside, np.minimum(skin + 0.3, 0.97)), (iris, frame.dark * 0.5),
            (lower, skin * 0.55), (upper, frame.dark * 0.7)]


def _nose(frame: Frame, geo: dict) -> list:
    """A shaded base arc and nostrils; disgust lifts the base, flares the nostrils, wrinkles the bridge."""
    hw, skin = frame.hw, frame.skin
    nv = NOSE_V - geo["nose_lift"]
    half = 0.12 + 0.03 * geo["nostril"]
    t = np.clip(frame.u / half, -1, 1)
    base = stroke(distance(frame, nv - 0.045 * (1 - t * t), 0.09 * t / half), hw * 0.7)
    base *= between(frame, frame.u, -half, half)
    radius = (0.55 + 0.5 * geo["nostril"]) * hw + 0.2
    nostrils = np.clip(radius + 0.5 - np.hypot((frame.au - 0.065 - 0.02 * geo["nostril"]) * frame.rx,
                                               (frame.v - nv) * frame.ry), 0, 1)
    wrinkles = 0
    for rise, length in ((0.10, 0.075), (0.165, 0.09)):
        curve = nv - rise + 0.025 * (frame.u / length) ** 2
        wrinkles = wrinkles + (stroke(distance(frame, curve, 0.05 * frame.u / length ** 2), hw * 0.55)
                               * between(frame, frame.u, -length, length))
    return [(base, skin * 0.6), (nostrils, frame.dark * (1.2 - 0.5 * geo["nostril"])),
            (np.clip(wrinkles, 0, 1) * geo["wrinkle"], skin * 0.5)]


def _cheeks(frame: Frame, geo: dict) -> list:
    """Raised cheeks: a bright apple with a crease below it, inside the nose band beside the nose."""
    centre = (geo["b3"] + geo["b4"]) / 2
    half = np.maximum((geo["b4"] - geo["b3"]) / 2 - (frame.hw * 0.5 + 0.6) / frame.ry, 0.02)
    apple = np.clip(-ellipse(frame, CHEEK_U * frame.side, centre, CHEEK_W, half) / 1.5, 0, 1)
    t = np.clip((frame.au - CHEEK_U) / CHEEK_W, -1, 1)
    crease = centre + 0.8 * half * np.sqrt(1 - t * t)
    crease = stroke(distance(frame, crease, 0.0), frame.hw * 0.5)
    crease *= between(frame, frame.au, CHEEK_U - 0.7 * CHEEK_W, CHEEK_U + 0.7 * CHEEK_W)
    return [(apple * geo["cheek"] * 0.8, np.minimum(frame.skin + 0.25, 1.0)),
            (crease * geo["cheek"], frame.skin * 0.6)]


def _mouth(frame: Frame, geo: dict) -> list:
    """The opening between the lips (dark, or teeth when smiling), then both lip lines."""
    w, c, tilt = geo["mouth_w"], geo["mouth_c"], geo["mouth_tilt"]
    shape, dshape = profile(frame.u / w, geo["mouth_round"])
    line = MOUTH_V + geo["mouth_v"] + c + tilt * frame.u
    upper, lower = line + (geo["mouth_au"] - c) * shape, line + (geo["mouth_al"] - c) * shape
    span = between(frame, frame.u, -w, w)
    opening = np.clip(0.5 - np.maximum(upper - frame.v, frame.v - lower) * frame.ry, 0, 1) * span
    width = frame.hw * geo["mouth_thick"]
    lips = np.maximum(stroke(distance(frame, upper, tilt + (geo["mouth_au"] - c) * dshape / w), width),
                      stroke(distance(frame, lower, tilt + (geo["mouth_al"] - c) * dshape / w), width))
    teeth = geo["mouth_teeth"]
    return [(opening, teeth * np.minimum(frame.skin + 0.3, 0.95) + (1 - teeth) * frame.dark * 0.5),
            (lips * span, frame.dark * 0.8)]


def region_masks(frame: Frame, geo: dict, occluded: np.ndarray) -> np.ndarray:
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
        "nose": (eye_band & column) | (nose_band & (au < NOSE_HALF)),
        "cheeks": (nose_band & (au >= NOSE_HALF)) | (mouth_band & ~mouth_half),
        "mouth": mouth_band & mouth_half,
        "chin": v >= b5,
    }
    out = np.empty((frame.u.shape[0], len(REGIONS)) + frame.u.shape[1:], bool)
    for i, name in enumerate(REGIONS):
        out[:, i] = ~face if i == OUTSIDE else masks[name] & face
    return out


def region_labels(frame: Frame, geo: dict, outside: np.ndarray) -> np.ndarray:
    """The same partition as `region_masks`, as one uint8 label per pixel, in fewer passes."""
    v, au = frame.v, frame.au
    band = sum((v >= geo[k]).view(np.uint8) for k in ("b1", "b2", "b3", "b4", "b5"))
    labels = band + (band >= 4)                                   # 0..5 -> forehead..eyes, nose, mouth, chin
    labels += (band == 2) & (au < geo["column"])                  # eyes -> nose between the eyes
    labels += (band == 3) & (au >= NOSE_HALF)                    # nose -> cheeks beside it
    labels -= (band == 4) & (au >= geo["mouth_half"])             # mouth -> cheeks beside it
    labels[outside] = OUTSIDE
    return labels
