"""Synthetic faces: drawing N faces with their expressions, region masks and evidence masks."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields, replace

import numpy as np

from generator.data import DrawnTruth
from generator.data.synthetic.design import BLEND, EASY, EVIDENCE_REGIONS, FaceDesign
from generator.data.synthetic.geometry import GEOMETRY, JITTER, check_names, setup
from generator.data.synthetic.parts import draw_parts, region_masks
from generator.data.synthetic.scene import occlude, render
from generator.vocabulary import FER2013_CLASSES, REGIONS

WORKERS = max(1, min(4, os.cpu_count() or 1))


@dataclass(frozen=True)
class SyntheticFaces:
    """images (N, H, W, 1) float32 in [0, 1]; labels (N,) int64, after label noise; regions
    (N, H, W) uint8 indexing vocabulary.REGIONS; evidence (N, H, W) bool: the unoccluded regions
    carrying the drawn class; truth: what each face was drawn as (data.DrawnTruth)."""

    images: np.ndarray
    labels: np.ndarray
    regions: np.ndarray
    evidence: np.ndarray
    truth: DrawnTruth


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
    blend: np.ndarray           # how far the expression is drawn toward the `drift_to` class (0: not)
    partner_draw: np.ndarray    # in [0, 1): picks the drift class where a class drifts toward several
    drift_to: np.ndarray        # the class an ambiguous face drifts toward, -1: none (set with the classes)
    jitter: np.ndarray          # (N, len(GEOMETRY)) per-part offsets
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


def sample_face_params(n: int, rng: np.random.Generator, size: int = 48,
                       design: FaceDesign = EASY) -> FaceParams:
    """Draw identity, pose, lighting, nuisances and noise of `n` faces, independent of any class."""
    s = size / 48.0
    hair_kinds = [1 - design.hair, design.hair * 0.64, design.hair * 0.36]     # none, short, long
    uni = lambda lo, hi, shape=(n,): rng.uniform(lo, hi, shape).astype(np.float32)  # noqa: E731
    rx = uni(14.5, 17.5) * s
    spread = np.array([JITTER.get(key, 0.0) for key in GEOMETRY], np.float32)
    return FaceParams(
        size=size,
        cx=size / 2 + uni(-2.5, 2.5) * s, cy=size / 2 + uni(-1.0, 2.5) * s,
        rx=rx, ry=rx * uni(1.12, 1.3), angle=uni(-0.25, 0.25),
        skin=uni(0.45, 0.9), ink=uni(0.12, 0.35), stroke=uni(0.5, 0.85) * s, intensity=uni(*design.intensity),
        blend=np.where(rng.random(n) < design.ambiguity, uni(*BLEND), 0.0).astype(np.float32),
        partner_draw=uni(0.0, 1.0), drift_to=np.full(n, -1, np.int64),
        jitter=(rng.uniform(-1, 1, (n, len(GEOMETRY))) * spread).astype(np.float32),
        brow_asym=uni(-0.02, 0.02), eye_asym=uni(-0.012, 0.012), mouth_asym=uni(-0.04, 0.04),
        gaze=uni(-0.035, 0.035, (n, 2)),
        background=uni(0.05, 0.95), bg_slope=uni(-0.3, 0.3, (n, 2)), bg_texture=uni(-0.15, 0.15, (n, 6, 6)),
        ears=rng.random(n) < 0.7, neck=rng.random(n) < 0.8,
        hair=rng.choice(3, n, p=hair_kinds),
        hair_tone=np.where(rng.random(n) < 0.75, uni(0.03, 0.3), uni(0.6, 0.9)).astype(np.float32),
        hairline=np.stack([uni(-0.9, -0.76), uni(-0.15, 0.15)], 1),
        hair_wave=np.stack([uni(5, 12), uni(0, 6.3), uni(0.0, 0.05)], 1),
        glasses=rng.random(n) < design.glasses, glasses_tone=uni(0.0, 0.3), glasses_size=uni(0.92, 1.08),
        hand=rng.random(n) < design.hands,
        hand_pose=np.stack([uni(0, 2 * np.pi), uni(0.75, 1.0), uni(0.85, 1.1), uni(-0.25, 0.25)], 1),
        light=uni(-0.3, 0.3, (n, 2)),
        blur=uni(0.3, 0.75) * s, noise_level=uni(0.0, 0.04),
        noise=rng.standard_normal((n, size, size), dtype=np.float32),
    )


def make_synthetic_faces(per_class: int, seed: int, shortcut: str | None = None,
                         class_names=FER2013_CLASSES, size: int = 48,
                         design: FaceDesign = EASY) -> SyntheticFaces:
    """About `per_class` faces a class on average (as `design` balances them), ordered class by class,
    then `design.label_noise` of the labels moved to another class at random; bit-identical for a seed."""
    class_names = tuple(class_names)
    check_names(class_names, shortcut)
    drawn = np.repeat(np.arange(len(class_names), dtype=np.int64), design.class_counts(class_names, per_class))
    params = sample_face_params(len(drawn), np.random.default_rng(seed), size, design)
    drift_to = np.where(params.blend > 0, design.drift_targets(drawn, params.partner_draw, class_names), -1)
    faces = render_faces(replace(params, drift_to=drift_to), drawn, class_names, shortcut)
    return replace(faces, labels=noisy_labels(drawn, len(class_names), design.label_noise, seed))


def drawn_truth(params: FaceParams, drawn: np.ndarray) -> DrawnTruth:
    """Each face's drawn expression, intensity and drift toward another class (as geometry draws it)."""
    drifts = (params.drift_to >= 0) & (params.drift_to != drawn) & (params.blend > 0)
    return DrawnTruth(drawn, params.intensity.copy(), np.where(drifts, params.drift_to, -1).astype(np.int64),
                      np.where(drifts, params.blend, 0.0).astype(np.float32))


def noisy_labels(labels: np.ndarray, class_count: int, rate: float, seed: int) -> np.ndarray:
    """`labels` with a seeded `rate` of them replaced by another class, drawn uniformly."""
    rng = np.random.default_rng([seed, 1])
    flipped = rng.random(len(labels)) < rate
    other = (labels + rng.integers(1, class_count, len(labels))) % class_count
    return np.where(flipped, other, labels).astype(np.int64)


def render_faces(params: FaceParams, labels, class_names=FER2013_CLASSES,
                 shortcut: str | None = None, chunk: int = 100) -> SyntheticFaces:
    """Draw the faces `params` with the expressions `labels`: same params, same faces and noise."""
    class_names, labels = tuple(class_names), np.asarray(labels, np.int64)
    check_names(class_names, shortcut)
    marked = -1 if shortcut is None else class_names.index(shortcut)
    size = params.size
    images = np.empty((len(labels), size, size), np.float32)
    regions = np.empty((len(labels), size, size), np.uint8)

    def work(start: int) -> None:
        part = slice(start, start + chunk)
        images[part], regions[part] = render(params.take(part), labels[part], class_names, marked)

    with ThreadPoolExecutor(WORKERS) as pool:  # numpy releases the GIL inside its loops
        list(pool.map(work, range(0, len(labels), chunk)))
    carried = np.zeros((len(class_names), len(REGIONS)), bool)
    for c, name in enumerate(class_names):
        carried[c, [REGIONS.index(r) for r in EVIDENCE_REGIONS[name]]] = True
    evidence = carried[labels[:, None, None], regions]
    return SyntheticFaces(images[..., None], labels, regions, evidence, drawn_truth(params, labels))


def render_part_ink(params: FaceParams, labels, class_names=FER2013_CLASSES) -> dict[str, np.ndarray]:
    """Coverage (N, H, W) in [0, 1] of each drawn expression part, keyed by its region; unoccluded."""
    frame, geo = setup(params, labels, class_names)
    ink = {}
    for name, flat, layers in draw_parts(frame, geo):
        out = np.zeros((len(params), params.size, params.size), np.float32)
        out.reshape(-1)[flat] = np.clip(np.sum([alpha for alpha, _ in layers], axis=0), 0, 1)
        ink[name] = out
    return ink


def render_region_masks(params: FaceParams, labels, class_names=FER2013_CLASSES) -> np.ndarray:
    """(N, len(REGIONS), H, W) bool, one mask per region; together they partition every image."""
    frame, geo = setup(params, labels, class_names)
    image = np.zeros((len(params), params.size, params.size), np.float32)
    return region_masks(frame, geo, occlude(params, image))
