"""The rest of the picture: background, hair, ears, neck, occluders, lighting, blur, noise, the shortcut mark."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from generator.data.synthetic.geometry import (
    EYE_U,
    EYE_V,
    Frame,
    between,
    col,
    disc,
    distance,
    ellipse,
    expression,
    face_window,
    stroke,
)
from generator.data.synthetic.parts import draw_parts, region_labels

if TYPE_CHECKING:
    from generator.data.synthetic.faces import FaceParams

# The shortcut mark (a bright dot in a dark ring) as (row, column) slices of a 48x48 image;
# other sizes scale it. Faces never reach this corner.
SHORTCUT_BOX = (slice(2, 7), slice(41, 46))


def over(image, alpha, tone):
    """Paint `tone` over `image` with coverage `alpha`, in place."""
    image += alpha * (tone - image)


def occlude(params: FaceParams, image: np.ndarray) -> np.ndarray:
    """Paint hair, glasses and hands over the faces, in place; return where they hide the face."""
    occluded = np.zeros(image.shape, bool)
    pixels, hidden = image.reshape(-1), occluded.reshape(-1)
    for flag, draw, box in ((params.hair > 0, _hair, (1.15, -1.3, 0.36)),
                            (params.glasses, _glasses, (1.2, -0.4, 0.22)),
                            (params.hand, _hand, None)):
        rows = np.flatnonzero(flag)
        if len(rows):
            frame, flat = face_window(params.take(rows), box, rows)
            window, cover = pixels[flat], hidden[flat]
            for alpha, tone in draw(frame):
                over(window, alpha, tone)
                cover |= alpha > 0.5
            pixels[flat], hidden[flat] = window, cover
    return occluded


def _hair(frame: Frame) -> list:
    """Hair over the top of the head and down the temples, with a parted, wavy fringe."""
    p, u, v = frame.params, frame.u, frame.v
    height, part = col(p.hairline[:, 0]), col(p.hairline[:, 1])
    freq, phase, amp = (col(p.hair_wave[:, i]) for i in range(3))
    u2 = u * u
    line = height + part * u + 0.55 * u2 * u2 + amp * np.sin(freq * u + phase)
    head = np.clip(-ellipse(frame, 0.0, -0.12, 1.1, 1.12), 0, 1)
    return [(head * np.clip((line - v) * frame.ry + 0.5, 0, 1), col(p.hair_tone))]


def _glasses(frame: Frame) -> list:
    """Round frames around the eyes, a bridge and the temples."""
    p, hw = frame.params, frame.hw
    k = col(p.glasses_size)
    a, b, vc = 0.25 * k, 0.19 * k, np.float32(EYE_V)
    rim = stroke(np.abs(ellipse(frame, EYE_U * frame.side, vc, a, b)), hw * 0.9)
    bridge = stroke(distance(frame, vc - 0.04 + 0.1 * frame.u ** 2, 0.2 * frame.u), hw * 0.8)
    bridge *= between(frame, frame.au, -1, EYE_U - a + 0.02)
    temple = stroke(distance(frame, vc - 0.02, 0.0), hw * 0.8) * between(frame, frame.au, EYE_U + a - 0.02, 1.15)
    return [(np.maximum(np.maximum(rim, bridge), temple), col(p.glasses_tone))]


def _hand(frame: Frame) -> list:
    """A palm beside the face with four fingers reaching over its edge."""
    p, s = frame.params, frame.size / 48.0
    direction, reach, palm, spread = (col(p.hand_pose[:, i]) for i in range(4))
    px, py = frame.pixels(1.25 * np.cos(direction), 1.25 * np.sin(direction))
    cx, cy = col(p.cx), col(p.cy)
    dx, dy = cx - px, cy - py
    norm = np.hypot(dx, dy)
    dx, dy = dx / norm, dy / norm
    tone = np.clip(frame.skin * 1.05, 0, 1)
    edge = frame.skin * 0.55
    palm_alpha = disc(frame, px - dx * 2 * s, py - dy * 2 * s, 6.0 * palm * s)
    layers = [(palm_alpha, tone)]
    for offset in (-1.5, -0.5, 0.5, 1.5):
        angle = spread * offset * 0.3
        fx = dx * np.cos(angle) - dy * np.sin(angle)
        fy = dx * np.sin(angle) + dy * np.cos(angle)
        x0, y0 = px - dy * offset * 2.6 * s, py + dx * offset * 2.6 * s
        length = (7.0 + 2.5 * (1.5 - abs(offset))) * reach * s
        t = np.clip((frame.x - x0) * fx + (frame.y - y0) * fy, 0, length)
        dist = np.hypot(frame.x - x0 - t * fx, frame.y - y0 - t * fy) - 1.25 * s
        layers += [(np.clip(0.5 - dist, 0, 1), tone), (stroke(np.abs(dist), 0.35) * (t > 0), edge)]
    return layers


def _background(frame: Frame) -> np.ndarray:
    """A level kept apart from the skin, a gradient and a smooth (bilinear) random texture."""
    p, size = frame.params, frame.size
    coarse = p.bg_texture.shape[-1]
    centres = (np.arange(size, dtype=np.float32) + 0.5) * coarse / size - 0.5
    lerp = np.maximum(0, 1 - np.abs(centres[:, None] - np.arange(coarse)[None, :])).astype(np.float32)
    lerp /= lerp.sum(1, keepdims=True)
    texture = np.matmul(np.matmul(lerp, p.bg_texture), lerp.T)
    level = col(p.background)
    level = np.where(np.abs(level - frame.skin) < 0.15, level + np.where(frame.skin > 0.6, -0.3, 0.3), level)
    ramp = (np.arange(size, dtype=np.float32) + 0.5) / size - 0.5
    return (level + col(p.bg_slope[:, 0]) * ramp[None, None, :] + col(p.bg_slope[:, 1]) * ramp[None, :, None]
            + texture).astype(np.float32)


def _blur(images: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """Gaussian blur with a per-image sigma, as two batched matrix products (rows renormalised at edges)."""
    grid = np.arange(images.shape[-1], dtype=np.float32)
    offset = grid[None, :, None] - grid[None, None, :]
    kernel = np.exp(-offset ** 2 / (2 * col(sigma) ** 2)) * (np.abs(offset) <= 3)
    kernel /= kernel.sum(-1, keepdims=True)
    return np.matmul(np.matmul(kernel, images), kernel.transpose(0, 2, 1))


def _shortcut_mark(images: np.ndarray, rows: np.ndarray, size: int) -> None:
    """A bright dot in a dark ring, in place, on the images `rows`."""
    scale = size / 48.0
    r0, r1 = int(round(SHORTCUT_BOX[0].start * scale)), int(round(SHORTCUT_BOX[0].stop * scale))
    c0, c1 = int(round(SHORTCUT_BOX[1].start * scale)), int(round(SHORTCUT_BOX[1].stop * scale))
    images[rows, r0:r1, c0:c1] = 0.05
    images[rows, r0 + 1:r1 - 1, c0 + 1:c1 - 1] = 1.0


def render(params: FaceParams, labels: np.ndarray, class_names: tuple[str, ...], marked: int):
    frame = Frame(params)
    geo = expression(frame, labels, class_names)
    p, u, v, skin = params, frame.u, frame.v, frame.skin
    image = _background(frame)
    pixels = image.reshape(-1)
    long_hair = np.flatnonzero(p.hair == 2)
    if len(long_hair):  # falls behind the face
        back, flat = face_window(p.take(long_hair), None, long_hair)
        window = pixels[flat]
        over(window, np.clip(-ellipse(back, 0.0, 0.25, 1.3, 1.32), 0, 1) * (back.v > -0.4), col(back.params.hair_tone))
        pixels[flat] = window
    neck, flat = face_window(p, (0.6, 0.35, 2.6))
    window = pixels[flat]
    over(window, col(p.neck) * between(neck, neck.u, -0.5, 0.5) * (neck.v > 0.4), neck.skin * 0.85)
    pixels[flat] = window
    ears, flat = face_window(p, (1.18, -0.3, 0.2))
    window = pixels[flat]
    over(window, np.clip(-ellipse(ears, 0.98 * ears.side, -0.05, 0.13, 0.2), 0, 1) * col(p.ears), ears.skin * 0.92)
    pixels[flat] = window
    r2 = u * u + v * v
    face = (np.sqrt(r2) - 1) * np.sqrt(frame.rx * frame.ry)  # ~ pixel distance to the outline
    over(image, np.clip(0.5 - face, 0, 1), skin * (1 - 0.18 * r2 * r2))
    over(image, stroke(np.abs(face), 0.4) * 0.6, skin * 0.55)
    for _, flat, layers in draw_parts(frame, geo):
        window = pixels[flat]
        for alpha, tone in layers:
            over(window, alpha, tone)
        pixels[flat] = window
    occluded = occlude(p, image)
    ramp = (np.arange(frame.size, dtype=np.float32) + 0.5) / frame.size - 0.5
    image *= 1 + 2 * (col(p.light[:, 0]) * ramp[None, None, :] + col(p.light[:, 1]) * ramp[None, :, None])
    image = _blur(image, p.blur)
    rows = np.flatnonzero(labels == marked)
    if len(rows):
        _shortcut_mark(image, rows, frame.size)
    image += col(p.noise_level) * p.noise
    np.clip(image, 0, 1, out=image)
    return image, region_labels(frame, geo, occluded | (r2 > 1))
