"""Loaders read back exactly what was written, in every accepted form, and real FER2013 samples."""

from __future__ import annotations

import gzip
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from generator.data import split_by_fractions
from generator.data.fer2013 import (
    _parse_pixels_fast,
    describe_dataset_quirks,
    describe_quirks,
    load_fer2013_csv,
    load_ntu_csv,
)
from generator.data.image_folder import load_image_folder
from generator.vocabulary import FER2013_CLASSES

SHARED_FER = Path(__file__).resolve().parents[2] / "shared/data/fer2013"
USAGES = ("Training", "PublicTest", "PrivateTest")


def csv_bytes(header: str, rows: list[list[str]], newline: str = "\n", bom: bool = False,
              trailing: bool = True) -> bytes:
    text = newline.join([header] + [",".join(r) for r in rows]) + (newline if trailing else "")
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode()


def pixel_text(pixels: np.ndarray) -> str:
    return " ".join(str(int(v)) for v in pixels.ravel())


def kaggle_rows(pixels, labels, usages) -> list[list[str]]:
    return [[str(lab), pixel_text(p), u] for p, lab, u in zip(pixels, labels, usages)]


@pytest.fixture(scope="module")
def sample():
    """12 random 48x48 images (with 0 and 255 present), labels and interleaved usages."""
    rng = np.random.default_rng(7)
    pixels = rng.integers(0, 256, (12, 48, 48), dtype=np.uint8)
    pixels[0, 0, :2] = (0, 255)
    labels = np.array([0, 1, 2, 3, 4, 5, 6, 0, 3, 3, 6, 2])
    usages = ["Training", "PublicTest", "Training", "PrivateTest", "Training", "Training",
              "PublicTest", "PrivateTest", "Training", "Training", "Training", "PrivateTest"]
    return pixels, labels, usages


def expected_split(sample, name):
    pixels, labels, usages = sample
    index = np.array([i for i, u in enumerate(usages) if u == name])
    return pixels[index], labels[index], index + 1


VARIANTS = {
    "plain": dict(),
    "crlf": dict(newline="\r\n"),
    "cr": dict(newline="\r"),
    "bom": dict(bom=True),
    "no-trailing-newline": dict(trailing=False),
    "crlf+bom+no-trailing": dict(newline="\r\n", bom=True, trailing=False),
}


@pytest.mark.parametrize("compress", ["plain", "gzip"])
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_fer2013_csv_round_trip(tmp_path, sample, variant, compress):
    pixels, labels, usages = sample
    data = csv_bytes("emotion,pixels,Usage", kaggle_rows(pixels, labels, usages), **VARIANTS[variant])
    path = tmp_path / "fer2013.csv"  # gzip is found by its magic bytes, not the name
    path.write_bytes(gzip.compress(data) if compress == "gzip" else data)
    dataset = load_fer2013_csv(path, FER2013_CLASSES)
    assert dataset.source == "fer2013-csv" and dataset.class_names == FER2013_CLASSES
    assert (dataset.evaluated, dataset.evaluated_label) == ("test", "PrivateTest")
    for split, name in zip((dataset.train, dataset.validation, dataset.test), USAGES):
        want_pixels, want_labels, want_rows = expected_split(sample, name)
        assert split.images.dtype == np.float32 and split.images.shape == (len(want_rows), 48, 48, 1)
        np.testing.assert_array_equal(split.images[..., 0], want_pixels.astype(np.float32) / 255)
        np.testing.assert_array_equal(split.labels, want_labels)
        assert split.labels.dtype == np.int64
        np.testing.assert_array_equal(split.rows, want_rows)


def test_fer2013_csv_configured_splits_quotes_order_and_blank_lines(tmp_path, sample):
    pixels, labels, usages = sample
    rows = [[f'"{u.lower()}"', str(lab), f'"{pixel_text(p)}"'] for p, lab, u in zip(pixels, labels, usages)]
    text = csv_bytes("USAGE,Emotion,Pixels", rows).replace(b"\n", b"\n\n", 3)  # blank lines are skipped
    path = tmp_path / "reordered.csv.gz"
    path.write_bytes(gzip.compress(text))
    dataset = load_fer2013_csv(path, FER2013_CLASSES, splits=("Training", "PrivateTest", "PublicTest"))
    assert dataset.evaluated_label == "publictest"  # the file's own spelling
    want_pixels, want_labels, want_rows = expected_split(sample, "PublicTest")
    np.testing.assert_array_equal(dataset.test.rows, want_rows)
    np.testing.assert_array_equal(dataset.test.labels, want_labels)
    np.testing.assert_array_equal(dataset.test.images[..., 0] * 255, want_pixels)
    np.testing.assert_array_equal(dataset.validation.rows, expected_split(sample, "PrivateTest")[2])


def test_fer2013_csv_loose_whitespace_and_leading_zeros(tmp_path, sample):
    pixels, labels, usages = sample
    rows = kaggle_rows(pixels, labels, usages)
    rows[1][1] = "  " + rows[1][1].replace(" ", "\t ", 50)  # runs of blanks are forgiven
    rows[2][1] = " ".join(f"{int(v):03d}" for v in pixels[2].ravel())  # "007"
    path = tmp_path / "loose.csv"
    path.write_bytes(csv_bytes("emotion,pixels,Usage", rows))
    dataset = load_fer2013_csv(path, FER2013_CLASSES)
    np.testing.assert_array_equal(dataset.validation.images[0, ..., 0] * 255, pixels[1])
    np.testing.assert_array_equal(dataset.train.images[1, ..., 0] * 255, pixels[2])


def test_fer2013_csv_many_chunks(tmp_path):
    """More rows than one parse chunk: order and row numbers survive the threaded parse."""
    rng = np.random.default_rng(3)
    pixels = rng.integers(0, 256, (1100, 4), dtype=np.uint8)
    labels = rng.integers(0, 7, 1100)
    usages = [USAGES[i % 3] for i in range(1100)]
    path = tmp_path / "big.csv"
    path.write_bytes(csv_bytes("emotion,pixels,Usage", kaggle_rows(pixels, labels, usages)))
    dataset = load_fer2013_csv(path, FER2013_CLASSES, size=(2, 2))
    for split, offset in zip((dataset.train, dataset.validation, dataset.test), range(3)):
        np.testing.assert_array_equal(split.rows, np.arange(offset, 1100, 3) + 1)
        np.testing.assert_array_equal(split.images.reshape(-1, 4) * 255, pixels[offset::3])
        np.testing.assert_array_equal(split.labels, labels[offset::3])


@pytest.mark.parametrize("variant", ["plain", "crlf+bom+no-trailing"])
def test_ntu_csv_round_trip_and_seeded_fractions(tmp_path, variant):
    rng = np.random.default_rng(5)
    pixels = rng.integers(0, 256, (40, 48, 48), dtype=np.uint8)
    labels = rng.integers(0, 7, 40)
    rows = [[str(lab), pixel_text(p)] for p, lab in zip(pixels, labels)]
    path = tmp_path / "train.csv.gz"
    path.write_bytes(gzip.compress(csv_bytes("label,feature", rows, **VARIANTS[variant])))
    dataset = load_ntu_csv(path, FER2013_CLASSES, seed=3)
    assert (dataset.source, dataset.evaluated_label) == ("ntu-csv", "test")
    parts = split_by_fractions(40, (0.8, 0.1, 0.1), 3)
    assert [len(s) for s in (dataset.train, dataset.validation, dataset.test)] == [32, 4, 4]
    for split, index in zip((dataset.train, dataset.validation, dataset.test), parts):
        np.testing.assert_array_equal(split.rows, index + 1)
        np.testing.assert_array_equal(split.labels, labels[index])
        np.testing.assert_array_equal(split.images[..., 0], pixels[index].astype(np.float32) / 255)
    other = load_ntu_csv(path, FER2013_CLASSES, seed=4)
    assert not np.array_equal(other.test.rows, dataset.test.rows)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.integers(0, 255), min_size=6, max_size=6), min_size=1, max_size=5),
       st.lists(st.tuples(st.integers(0, 10**6), st.sampled_from([b"", b" ", b"  ", b"x", b"0", b"1", b"9",
                                                                   b"\t", b"256", b"-", b"\n"]),
                          st.booleans()), max_size=3))
def test_fast_pixel_parse_matches_reference(rows, edits):
    """The vectorised parse either gives up (None) or agrees with a plain Python parse."""
    fields = [" ".join(map(str, r)).encode() for r in rows]
    for position, junk, insert in edits:  # insert, or replace one byte
        i = position % len(fields)
        j = position % (len(fields[i]) + 1)
        fields[i] = fields[i][:j] + junk + fields[i][j + (not insert):]
    fields = [f.replace(b"\n", b" ") for f in fields]  # a field never holds a newline
    tokens = [f.split(b" ") for f in fields]
    canonical = all(len(t) == 6 and all(x.isdigit() and len(x) <= 3 and int(x) <= 255 for x in t)
                    for t in tokens)
    parsed = _parse_pixels_fast(fields, 6)
    if canonical:
        np.testing.assert_array_equal(parsed, [[int(x) for x in t] for t in tokens])
    else:
        assert parsed is None


@pytest.mark.parametrize("field", [b"1023 1 2", b"0 1 2 ", b" 0 1 2", b"0  1 2", b"0 1", b"0 1 2 3", b"0 1 x",
                                   b"0 1 256", b"0 1 -2", b"0 1\t2", b"0 1 2.0"])
def test_fast_pixel_parse_gives_up_on_anything_unusual(field):
    assert _parse_pixels_fast([b"1 2 3", field], 3) is None
    np.testing.assert_array_equal(_parse_pixels_fast([b"1 2 3", b"255 0 07"], 3), [[1, 2, 3], [255, 0, 7]])


# -- image folders -----------------------------------------------------------

def save(path: Path, array: np.ndarray, **options) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path, **options)


def test_image_folder_formats_colours_sizes_and_class_order(tmp_path):
    rng = np.random.default_rng(11)
    gray = rng.integers(0, 256, (48, 48), dtype=np.uint8)
    rgb = rng.integers(0, 256, (48, 48, 3), dtype=np.uint8)
    big = rng.integers(0, 256, (96, 80), dtype=np.uint8)
    smooth = np.add.outer(np.arange(48), np.arange(48)).astype(np.uint8) * 2
    save(tmp_path / "train/HAPPY/b.png", gray)
    save(tmp_path / "train/happy/a.bmp", np.stack([gray] * 3, -1))  # same class, other letter case
    save(tmp_path / "train/angry/c.png", rgb)
    save(tmp_path / "train/angry/d.png", big)
    save(tmp_path / "train/neutral/e.jpg", np.stack([smooth] * 3, -1), quality=95)
    save(tmp_path / "train/neutral/f.jpeg", smooth, quality=95)
    (tmp_path / "train/.ipynb_checkpoints").mkdir()  # clutter is ignored
    (tmp_path / "train/angry/Thumbs.db").write_bytes(b"\0")
    (tmp_path / "train/angry/notes.txt").write_text("not an image")
    save(tmp_path / "test/sad/g.png", gray)
    # One colour file makes the folder colour, the most common size wins: (48, 48, 3) ...
    assert load_image_folder(tmp_path, FER2013_CLASSES).train.images.shape[1:] == (48, 48, 3)
    # ... and one channel asked for turns every file gray (Pillow's luma), as checked below.
    dataset = load_image_folder(tmp_path, FER2013_CLASSES, channels=1, seed=0)
    assert (dataset.source, dataset.evaluated_label) == ("image-folder", "test")
    # listing order: split folder (test < train), class order (Angry, Happy, Neutral), file name
    train = {int(r): (int(lab), img[..., 0]) for split in (dataset.train, dataset.validation)
             for r, lab, img in zip(split.rows, split.labels, split.images)}
    assert sorted(train) == [2, 3, 4, 5, 6, 7]
    assert [train[r][0] for r in range(2, 8)] == [0, 0, 3, 3, 6, 6]
    assert dataset.test.rows.tolist() == [1] and dataset.test.labels.tolist() == [4]
    np.testing.assert_array_equal(dataset.test.images[0, ..., 0], gray / np.float32(255))
    want_rgb = np.asarray(Image.fromarray(rgb).convert("L"), np.float32) / 255
    np.testing.assert_allclose(train[2][1], want_rgb, atol=1e-6)
    want_big = np.asarray(Image.fromarray(big).resize((48, 48), Image.Resampling.BILINEAR), np.float32) / 255
    np.testing.assert_allclose(train[3][1], want_big, atol=1e-6)
    np.testing.assert_allclose(train[4][1], gray / 255, atol=1e-6)  # bmp, gray stored as RGB
    np.testing.assert_allclose(train[5][1], gray / 255, atol=1e-6)
    for row in (6, 7):  # jpg: lossy
        assert np.abs(train[row][1] - smooth / 255).mean() < 0.02
    assert all(img.dtype == np.float32 and img.shape == (48, 48, 1)
               for split in (dataset.train, dataset.test) for img in split.images)


def test_image_folder_without_test_uses_seeded_fractions(tmp_path):
    for index in range(20):
        save(tmp_path / "train" / FER2013_CLASSES[index % 7] / f"{index:02d}.png",
             np.full((48, 48), index * 10, np.uint8))
    dataset = load_image_folder(tmp_path, FER2013_CLASSES, fractions=(0.5, 0.25, 0.25), seed=2)
    rows = [dataset.train.rows, dataset.validation.rows, dataset.test.rows]
    assert [len(r) for r in rows] == [10, 5, 5]
    assert sorted(np.concatenate(rows).tolist()) == list(range(1, 21))
    parts = split_by_fractions(20, (0.5, 0.25, 0.25), 2)
    for split, index in zip((dataset.train, dataset.validation, dataset.test), parts):
        np.testing.assert_array_equal(split.rows, index + 1)


def test_image_folder_validation_folder(tmp_path):
    for split, count in (("train", 3), ("val", 2), ("test", 1)):
        for index in range(count):
            save(tmp_path / split / "fear" / f"{index}.png", np.zeros((48, 48), np.uint8))
    dataset = load_image_folder(tmp_path, FER2013_CLASSES)
    assert [len(s) for s in (dataset.train, dataset.validation, dataset.test)] == [3, 2, 1]
    assert dataset.test.rows.tolist() == [1] and dataset.validation.rows.tolist() == [5, 6]


# -- quirks ------------------------------------------------------------------

def test_describe_quirks_counts_constant_and_duplicate_images():
    rng = np.random.default_rng(0)
    images = rng.random((8, 4, 4, 1), dtype=np.float32)
    images[1] = 0.0      # all black
    images[4] = 1.0      # all white
    images[6] = images[2]
    images[7] = images[2]
    quirks = describe_quirks(images, rows=np.arange(101, 109))
    assert (quirks.constant, quirks.duplicates) == (2, 2)
    assert quirks.constant_rows == (102, 105) and quirks.duplicate_rows == (107, 108)
    assert describe_quirks(rng.random((5, 4, 4, 1))).duplicates == 0


def test_describe_dataset_quirks_counts_duplicates_across_splits(tmp_path, sample):
    pixels, labels, usages = sample
    pixels = pixels.copy()
    pixels[3] = pixels[0]   # a PrivateTest image that also is in Training (row 1)
    pixels[5] = 7           # constant
    path = tmp_path / "fer2013.csv"
    path.write_bytes(csv_bytes("emotion,pixels,Usage", kaggle_rows(pixels, labels, usages)))
    quirks = describe_dataset_quirks(load_fer2013_csv(path, FER2013_CLASSES))
    assert (quirks.constant_rows, quirks.duplicate_rows) == ((6,), (4,))


# -- real FER2013 samples ----------------------------------------------------

needs_shared = pytest.mark.skipif(not SHARED_FER.is_dir(), reason="../shared/data/fer2013 is absent")


@needs_shared
def test_real_fer2013_mini_csv():
    path = SHARED_FER / "fer2013-mini.csv"
    dataset = load_fer2013_csv(path, FER2013_CLASSES)
    lines = path.read_text().splitlines()[1:]
    for split, usage, per_class in zip((dataset.train, dataset.validation, dataset.test), USAGES, (150, 30, 30)):
        assert np.bincount(split.labels, minlength=7).tolist() == [per_class] * 7
        assert split.images.shape == (7 * per_class, 48, 48, 1)
        for position in (0, len(split) - 1):  # compare against the text itself
            label, pixels, row_usage = lines[split.rows[position] - 1].split(",")
            assert (int(label), row_usage) == (split.labels[position], usage)
            np.testing.assert_array_equal(np.round(split.images[position].ravel() * 255),
                                          [int(v) for v in pixels.split()])
    assert dataset.evaluated_label == "PrivateTest"
    duplicates = sum(n - 1 for n in Counter(line.split(",")[1] for line in lines).values())
    assert describe_dataset_quirks(dataset).duplicates == duplicates > 0


@needs_shared
def test_real_fer2013_image_folder():
    root = SHARED_FER / "images"
    dataset = load_image_folder(root, FER2013_CLASSES)
    train = np.concatenate([dataset.train.labels, dataset.validation.labels])
    assert np.bincount(train, minlength=7).tolist() == [12] * 7
    assert np.bincount(dataset.test.labels, minlength=7).tolist() == [6] * 7
    first = sorted((root / "test/angry").iterdir())[0]  # row 1: test < train, Angry first
    assert dataset.test.rows[0] == 1 and dataset.test.labels[0] == 0
    np.testing.assert_array_equal(dataset.test.images[0, ..., 0] * 255, np.asarray(Image.open(first)))
