"""Image-folder loader: `train/<class>/*` and optionally `test/<class>/*`, kept at their own size and colour."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from generator.data import Dataset, Split, split_by_fractions
from generator.data.textfile import missing_path_hint
from generator.errors import UserError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")
SPLIT_FOLDERS = {"train": "train", "validation": "validation", "val": "validation", "test": "test"}
_IGNORED = {"thumbs.db", "desktop.ini", "__macosx"}
_LAYOUT = "train/<class>/*.png and optionally test/<class>/*.png"
# An RGB file is colour when some pixel's channels differ by more than this (0-255): a gray
# image saved as RGB, even as a JPEG, stays below it.
COLOUR_TOLERANCE = 8


def load_image_folder(path: str | Path, class_names: tuple[str, ...], size: tuple[int, int] | None = None,
                      channels: int | None = None, fractions: tuple[float, float, float] = (0.8, 0.1, 0.1),
                      seed: int = 0) -> Dataset:
    """(N, H, W, C) float32 images in [0, 1], labels in `class_names` order.

    The images keep the files' own size and colour: `size` (H, W) defaults to the most common
    size among the files (others are resized to it, bilinear), `channels` to 3 if any file has
    colour, else 1. Without test/, validation and test are seeded fractions of train/; with it,
    validation is a seeded fraction of train/ (unless validation/ or val/ exists).
    `rows` number the images 1.. in listing order: split folder, class, file name.
    """
    root = _check_root(Path(path))
    folders = _split_folders(root, class_names)
    listing = []  # (split, label, file) in row order
    for name, role in sorted(folders.items()):
        listing += [(role, label, file) for label, file in _list_split(root / name, class_names)]
    pixels = [_read_pixels(file) for _, _, file in listing]
    size = tuple(size) if size is not None else _common_size(pixels)
    channels = channels or (3 if any(_has_colour(p) for p in pixels) else 1)
    images = np.stack([_fit(p, size, channels) for p in pixels])
    labels = np.array([label for _, label, _ in listing], np.int64)
    roles = np.array([role for role, _, _ in listing])
    parts = _assign_splits(roles, fractions, seed)
    splits = [Split(images[index], labels[index], index + 1) for index in parts]
    evaluated = next((name for name, role in folders.items() if role == "test"), "test")
    return Dataset("image-folder", tuple(class_names), *splits, evaluated="test", evaluated_label=evaluated)


def _check_root(root: Path) -> Path:
    if not root.exists():
        raise UserError(root, "no such folder", missing_path_hint(root))
    if not root.is_dir():
        raise UserError(root, "is a file, not a folder",
                        f"expected a folder with {_LAYOUT}; a pixel CSV loads as fer2013-csv or ntu-csv")
    return root


def _split_folders(root: Path, class_names) -> dict[str, str]:
    """{folder name: train | validation | test} for the split folders present."""
    folders = {p.name: SPLIT_FOLDERS[p.name.casefold()] for p in _entries(root)
               if p.is_dir() and p.name.casefold() in SPLIT_FOLDERS}
    roles = list(folders.values())
    if "train" not in roles:
        found = ", ".join(p.name for p in _entries(root)) or "nothing"
        hint = f"expected {_LAYOUT}; found {found}"
        if any(_class_index(p.name, class_names) is not None for p in _entries(root) if p.is_dir()):
            hint = f"this looks like a split folder itself: point to its parent, laid out as {_LAYOUT}"
        raise UserError(root, "no train/ folder", hint)
    for role in set(roles):
        if roles.count(role) > 1:
            names = ", ".join(n for n, r in folders.items() if r == role)
            raise UserError(root, f"more than one {role} folder ({names})", "keep one of them")
    return folders


def _list_split(folder: Path, class_names) -> list[tuple[int, Path]]:
    """(label, file) for each image of one split folder, by class order then file name."""
    found = []
    for entry in _entries(folder):
        if not entry.is_dir():
            continue
        label = _class_index(entry.name, class_names)
        if label is None:
            raise UserError(entry, f"unknown class folder '{entry.name}'",
                            "known classes: " + ", ".join(class_names) + " (any letter case)")
        found += [(label, file) for file in _entries(entry)
                  if file.is_file() and file.suffix.casefold() in IMAGE_SUFFIXES]
    if not found:
        raise UserError(folder, "no images in this folder",
                        f"expected <class>/<image> files ({', '.join(IMAGE_SUFFIXES)})")
    return sorted(found, key=lambda item: (item[0], item[1].name))


def _entries(folder: Path) -> list[Path]:
    """Folder entries, sorted by name, without hidden files and system clutter."""
    return sorted((p for p in folder.iterdir()
                   if not p.name.startswith(".") and p.name.casefold() not in _IGNORED),
                  key=lambda p: p.name)


def _class_index(name: str, class_names) -> int | None:
    folded = [c.casefold() for c in class_names]
    return folded.index(name.casefold()) if name.casefold() in folded else None


def _read_pixels(file: Path) -> np.ndarray:
    """The file's uint8 pixels: (H, W) for gray files, (H, W, 3) for colour ones (alpha dropped);
    a file Pillow cannot decode is a UserError."""
    try:
        with Image.open(file) as image:
            image = ImageOps.exif_transpose(image)
            if image.mode in ("I;16", "I;16B", "I;16L", "I"):
                image = image.point(lambda v: v / 256)  # 16-bit gray
            gray = image.mode in ("1", "L", "LA", "I", "F")
            return np.asarray(image.convert("L" if gray else "RGB"), np.uint8)
    except Exception as error:  # Pillow raises many kinds for a damaged file
        reason = str(error) or type(error).__name__
        raise UserError(file, f"cannot read this image ({reason})", "replace or delete the file") from None


def _common_size(pixels: list[np.ndarray]) -> tuple[int, int]:
    """The most common (H, W) among the images (the first listed wins a tie)."""
    return Counter(p.shape[:2] for p in pixels).most_common(1)[0][0]


def _has_colour(pixels: np.ndarray) -> bool:
    return pixels.ndim == 3 and int(np.ptp(pixels.astype(np.int16), axis=-1).max()) > COLOUR_TOLERANCE


def _fit(pixels: np.ndarray, size: tuple[int, int], channels: int) -> np.ndarray:
    """(H, W, C) float32 in [0, 1]: converted to gray (Pillow's ITU-R 601 luma) or RGB, then resized
    (bilinear) where the file differs from `size`."""
    image = Image.fromarray(pixels).convert("L" if channels == 1 else "RGB")
    if image.size != (size[1], size[0]):
        image = image.resize((size[1], size[0]), Image.Resampling.BILINEAR)
    array = np.asarray(image, np.float32) / 255
    return array[..., None] if channels == 1 else array


def _assign_splits(roles: np.ndarray, fractions, seed: int) -> list[np.ndarray]:
    """Index arrays of train, validation, test over the listing."""
    train = np.flatnonzero(roles == "train")
    validation, test = (np.flatnonzero(roles == r) for r in ("validation", "test"))
    has_validation, has_test = "validation" in roles, "test" in roles
    cut = (fractions[0], 0.0 if has_validation else fractions[1], 0.0 if has_test else fractions[2])
    keep, cut_validation, cut_test = split_by_fractions(len(train), cut, seed)
    return [train[keep], validation if has_validation else train[cut_validation],
            test if has_test else train[cut_test]]
