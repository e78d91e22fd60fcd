"""Every bad input is one UserError naming the exact file (and line) with what is wrong and a fix."""

from __future__ import annotations

import gzip
import io
import tarfile
import zipfile
from functools import partial
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from generator.data.fer2013 import CHUNK_ROWS, load_fer2013_csv, load_ntu_csv
from generator.data.image_folder import load_image_folder
from generator.errors import UserError
from generator.vocabulary import FER2013_CLASSES

KAGGLE_HEADER = "emotion,pixels,Usage"
ROW_USAGES = ("Training", "Training", "PublicTest", "PrivateTest", "Training", "PublicTest")
PIXELS = " ".join(str(v % 256) for v in range(0, 2304 * 7, 7))


def kaggle_text(edit=None, rows=ROW_USAGES, header=KAGGLE_HEADER) -> str:
    """A valid Kaggle CSV (data rows on lines 2..7); edit(index, [label, pixels, usage]) changes a row."""
    lines = [header]
    for index, usage in enumerate(rows):
        fields = [str(index % 7), PIXELS, usage]
        if edit:
            edit(index, fields)
        lines.append(",".join(fields))
    return "\n".join(lines) + "\n"


def ntu_text(edit=None) -> str:
    return kaggle_text(edit=lambda i, f: (edit and edit(i, f), f.pop()), header="label,feature")


def at(row, column, value):
    """An edit that puts `value` into one field of one data row (row 0 is on line 2)."""
    def edit(index, fields):
        if index == row:
            fields[column] = value(fields[column]) if callable(value) else value
    return edit


def pixels_with(index, token):
    values = PIXELS.split()
    values[index] = token
    return " ".join(values)


def write(name, content):
    def make(folder: Path) -> Path:
        path = folder / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
        return path
    return make


def archive(kind):
    def make(folder: Path) -> Path:
        buffer = io.BytesIO()
        if kind == "zip":
            with zipfile.ZipFile(buffer, "w") as zipped:
                zipped.writestr("fer2013.csv", kaggle_text())
        else:
            with tarfile.open(fileobj=buffer, mode="w") as tarred:
                data = kaggle_text().encode()
                info = tarfile.TarInfo("fer2013/fer2013.csv")
                info.size = len(data)
                tarred.addfile(info, io.BytesIO(data))
        path = folder / "fer2013.csv"
        path.write_bytes(gzip.compress(buffer.getvalue()) if kind == "tar.gz" else buffer.getvalue())
        return path
    return make


def many_rows(bad_row):
    """A file longer than one parse chunk whose data row `bad_row` (0-based) has 2303 pixels."""
    usages = [ROW_USAGES[i % 6] for i in range(CHUNK_ROWS * 3)]
    return kaggle_text(at(bad_row, 1, " ".join(PIXELS.split()[1:])), rows=usages)


def image(name, content=None, size=(48, 48)):
    def make(folder: Path) -> Path:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if content is None:
            Image.fromarray(np.zeros(size, np.uint8)).save(path)
        else:
            path.write_bytes(content)
        return path
    return make


def images(*names, corrupt=None):
    """A folder with an image at each name; `corrupt` is a name written as broken bytes."""
    def make(folder: Path) -> Path:
        root = folder / "faces"
        for name in names:
            image(f"faces/{name}")(folder)
        if corrupt:
            png = io.BytesIO()
            Image.fromarray(np.zeros((48, 48), np.uint8)).save(png, format="PNG")
            image(f"faces/{corrupt}", png.getvalue()[:60])(folder)
        return root
    return make


def empty_class_folder(folder: Path) -> Path:
    """Makes `folder` and returns the image root two levels up."""
    folder.mkdir(parents=True)
    return folder.parents[1]


fer = partial(load_fer2013_csv, class_names=FER2013_CLASSES)
ntu = partial(load_ntu_csv, class_names=FER2013_CLASSES)
folder_loader = partial(load_image_folder, class_names=FER2013_CLASSES)
GOOD = "train/angry/1.png", "test/happy/2.png"

# (id, loader, make(folder) -> path, where relative to path ("" or ":LINE" or "/sub/path"), what, hint)
CASES = [
    ("missing-file", fer, lambda d: d / "fer2013.cvs", "", "no such file", "holds: other.csv"),
    ("missing-folder", fer, lambda d: d / "nowhere/fer2013.csv", "", "no such file", "does not exist either"),
    ("folder-not-file", fer, lambda d: d, "", "is a folder", "emotion,pixels,Usage"),
    ("empty", fer, write("e.csv", ""), "", "file is empty", "emotion,pixels,Usage"),
    ("blank", fer, write("e.csv", "\r\n \n"), "", "file is empty", "emotion,pixels,Usage"),
    ("empty-gzip", fer, write("e.csv.gz", gzip.compress(b"")), "", "file is empty", "emotion,pixels,Usage"),
    ("truncated-gzip", fer, write("t.csv.gz", gzip.compress(kaggle_text().encode())[:500]), "",
     "damaged gzip file", "download it again"),
    ("zip", fer, archive("zip"), "", "is a zip archive", "extract it first"),
    ("tar", fer, archive("tar"), "", "is a tar archive", "tar -xf"),
    ("tar.gz", fer, archive("tar.gz"), "", "is a tar archive", "tar -xf"),
    ("utf-16", fer, write("u.csv", kaggle_text().encode("utf-16")), "", "UTF-16", "UTF-8"),
    ("no-header", fer, write("h.csv", kaggle_text().split("\n", 1)[1]), ":1", "no header line",
     "add `emotion,pixels,Usage` as the first line"),
    ("blank-first-line", fer, write("h.csv", "\n" + kaggle_text() + "\r"), ":1", "line 1 is empty",
     "the first line must be `emotion,pixels,Usage`"),
    ("unknown-column", fer, write("h.csv", kaggle_text(header="emotion,pixels,Usage,fold")), ":1",
     "unknown column 'fold'", "expected columns `emotion,pixels,Usage`"),
    ("missing-column", fer, write("h.csv", "emotion,pixels\n0,1 2\n"), ":1", "missing column 'Usage'",
     "emotion,pixels,Usage"),
    ("twice-column", fer, write("h.csv", "emotion,pixels,Usage,Pixels\n"), ":1", "'pixels' appears more than once",
     "emotion,pixels,Usage"),
    ("ntu-as-kaggle", fer, write("train.csv", ntu_text()), ":1", "unknown columns 'label', 'feature'",
     "load it as ntu-csv"),
    ("kaggle-as-ntu", ntu, write("fer.csv", kaggle_text()), ":1", "unknown columns 'emotion'",
     "load it as fer2013-csv"),
    ("ntu-test-csv", ntu, write("test.csv", kaggle_text(header="id,feature", rows=("x",))
                                .replace(",x\n", "\n")), ":1", "unknown column 'id'", "use train.csv"),
    ("header-not-utf8", fer, write("h.csv", b"emotion,pix\xffels,Usage\n"), ":1", "not UTF-8", "emotion,pixels,Usage"),
    ("header-only", fer, write("h.csv", KAGGLE_HEADER + "\r\n"), "", "no data rows", "emotion,pixels,Usage"),
    ("2303-pixels", fer, write("p.csv", kaggle_text(at(2, 1, lambda p: p.rsplit(" ", 1)[0]))), ":4",
     "row has 2303 pixel values; expected 2304 (48x48)", "2304 whole numbers 0-255"),
    ("2305-pixels", fer, write("p.csv", kaggle_text(at(0, 1, lambda p: p + " 0"))), ":2",
     "row has 2305 pixel values; expected 2304", "separated by spaces"),
    ("no-pixels", fer, write("p.csv", kaggle_text(at(5, 1, ""))), ":7", "row has 0 pixel values", "2304"),
    ("letter-pixel", fer, write("p.csv", kaggle_text(at(1, 1, lambda p: pixels_with(6, "12a")))), ":3",
     "pixel 7 is '12a', not an integer 0-255", "0-255"),
    ("decimal-pixel", fer, write("p.csv", kaggle_text(at(1, 1, lambda p: pixels_with(0, "3.5")))), ":3",
     "pixel 1 is '3.5', not an integer", "whole numbers"),
    ("negative-pixel", fer, write("p.csv", kaggle_text(at(3, 1, lambda p: pixels_with(2303, "-1")))), ":5",
     "pixel 2304 is '-1', not an integer 0-255", "0-255"),
    ("256-pixel", fer, write("p.csv", kaggle_text(at(4, 1, lambda p: pixels_with(9, "256")))), ":6",
     "pixel 10 is 256, outside 0-255", "0-255"),
    ("junk-bytes-pixel", fer, write("p.csv", kaggle_text(at(0, 1, lambda p: pixels_with(3, "\x00\u00e9")))), ":2",
     "pixel 4 is '?é', not an integer", "0-255"),
    ("label-7", fer, write("l.csv", kaggle_text(at(3, 0, "7"))), ":5", "label 7 is outside 0-6",
     "0=Angry, 1=Disgust, 2=Fear, 3=Happy, 4=Sad, 5=Surprise, 6=Neutral"),
    ("label-negative", fer, write("l.csv", kaggle_text(at(0, 0, "-1"))), ":2", "label -1 is outside 0-6", "6=Neutral"),
    ("label-word", fer, write("l.csv", kaggle_text(at(2, 0, "Happy"))), ":4", "label 'Happy' is not an integer",
     "3=Happy"),
    ("label-empty", ntu, write("l.csv", ntu_text(at(1, 0, ""))), ":3", "label '' is not an integer", "0=Angry"),
    ("label-ntu-range", ntu, write("l.csv", ntu_text(at(4, 0, "9"))), ":6", "label 9 is outside 0-6", "6=Neutral"),
    ("usage-typo", fer, write("u.csv", kaggle_text(at(4, 2, "Trainng"))), ":6", "Usage 'Trainng' is not a known split",
     "expected one of Training, PublicTest, PrivateTest"),
    ("usage-empty", fer, write("u.csv", kaggle_text(at(1, 2, ""))), ":3", "Usage '' is not a known split", "Training"),
    ("split-absent", fer, write("s.csv", kaggle_text(rows=("Training", "PublicTest", "Training"))), "",
     "no rows with Usage 'PrivateTest'", "Usage values in this file: PublicTest (1 rows), Training (2 rows)"),
    ("configured-split-absent", partial(fer, splits=("Training", "Validation", "PrivateTest")),
     write("s.csv", kaggle_text()), "", "no rows with Usage 'Validation'", "PrivateTest (1 rows), PublicTest (2 rows)"),
    ("fields-missing", fer, write("f.csv", kaggle_text(at(3, 2, "x")).replace(",x\n", "\n")), ":5",
     "row has 2 comma-separated fields; expected 3", "`emotion,pixels,Usage`"),
    ("fields-extra", ntu, write("f.csv", ntu_text(at(0, 1, lambda p: p + ",Training"))), ":2",
     "row has 3 comma-separated fields; expected 2", "`label,feature`"),
    # the first bad row in the file wins, whatever kind of problem each row has
    ("first-of-label-and-pixel", fer, write("o.csv", kaggle_text(lambda i, f: (
        i == 4 and f.__setitem__(0, "8"), i == 1 and f.__setitem__(1, "0 1"), i == 3 and f.pop()))), ":3",
     "row has 2 pixel values", "2304"),
    ("first-is-field-count", fer, write("o.csv", kaggle_text(lambda i, f: (
        i == 4 and f.__setitem__(0, "8"), i == 1 and f.pop()))), ":3", "row has 2 comma-separated fields", "Usage"),
    ("first-is-label", fer, write("o.csv", kaggle_text(lambda i, f: (
        i == 0 and f.__setitem__(0, "8"), i == 1 and f.__setitem__(1, "0 1")))), ":2", "label 8", "Neutral"),
    ("error-in-a-later-chunk", fer, write("c.csv", many_rows(CHUNK_ROWS * 2 + 5)), f":{CHUNK_ROWS * 2 + 7}",
     "row has 2303 pixel values", "2304"),
    ("error-on-last-row", fer, write("c.csv", many_rows(CHUNK_ROWS * 3 - 1)), f":{CHUNK_ROWS * 3 + 1}",
     "row has 2303 pixel values", "2304"),
    # physical line numbers, whatever the encoding and line endings
    ("line-crlf-bom-gzip", fer, write("g.csv", gzip.compress(
        b"\xef\xbb\xbf" + kaggle_text(at(3, 0, "9")).replace("\n", "\r\n").encode())), ":5", "label 9", "Neutral"),
    ("line-counts-blank-lines", fer, write("b.csv", kaggle_text(at(3, 0, "9")).replace("\n", "\n\n", 2)), ":7",
     "label 9", "Neutral"),
    ("line-old-mac", fer, write("m.csv", kaggle_text(at(5, 0, "x")).replace("\n", "\r")), ":7", "label 'x'", "Angry"),
    # image folders
    ("folder-missing", folder_loader, lambda d: d / "faces", "", "no such folder", "holds: other.csv"),
    ("folder-is-file", folder_loader, write("fer2013.csv", kaggle_text()), "", "is a file, not a folder",
     "fer2013-csv"),
    ("no-train", folder_loader, images("Test/angry/1.png", "pictures/happy/2.png"), "", "no train/ folder",
     "found Test, pictures"),
    ("split-folder-given", folder_loader, lambda d: images(*GOOD)(d) / "train", "", "no train/ folder",
     "point to its parent"),
    ("unknown-class", folder_loader, images(*GOOD, "train/contempt/3.png"), "/train/contempt",
     "unknown class folder 'contempt'", "known classes: Angry, Disgust, Fear, Happy, Sad, Surprise, Neutral"),
    ("unknown-class-in-test", folder_loader, images(*GOOD, "test/Happiness/3.png"), "/test/Happiness",
     "unknown class folder 'Happiness'", "Happy"),
    ("corrupt-image", folder_loader, images(*GOOD, corrupt="train/sad/broken.png"), "/train/sad/broken.png",
     "cannot read this image", "replace or delete the file"),
    ("not-an-image", folder_loader, lambda d: (images(*GOOD)(d), image("faces/test/fear/x.jpg", b"hello")(d))[0],
     "/test/fear/x.jpg", "cannot read this image", "replace or delete"),
    ("empty-train", folder_loader, lambda d: empty_class_folder(images("test/happy/1.png")(d) / "train/sad"),
     "/train", "no images in this folder", ".png"),
    ("two-validation-folders", folder_loader, images(*GOOD, "val/sad/1.png", "validation/sad/1.png"), "",
     "more than one validation folder (val, validation)", "keep one"),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_one_user_error(tmp_path, case):
    name, loader, make, where, what, hint = case
    (tmp_path / "other.csv").write_text("")
    path = make(tmp_path)
    with pytest.raises(UserError) as caught:
        loader(path)
    error = caught.value
    assert error.where == f"{path}{where}"
    assert what in error.what
    assert hint in error.hint
    assert str(error) == f"error: {error.where}: {error.what} ({error.hint})" and "\n" not in str(error)


def test_cases_start_from_valid_files(tmp_path):
    """The unedited fixtures load, so each case's error comes from its one change."""
    kaggle = load_fer2013_csv(write("k.csv", kaggle_text())(tmp_path), FER2013_CLASSES)
    assert [s.rows.tolist() for s in (kaggle.train, kaggle.validation, kaggle.test)] == [[1, 2, 5], [3, 6], [4]]
    ntu = load_ntu_csv(write("n.csv", ntu_text())(tmp_path), FER2013_CLASSES)
    assert sorted(np.concatenate([ntu.train.rows, ntu.validation.rows, ntu.test.rows])) == [1, 2, 3, 4, 5, 6]
    assert len(load_fer2013_csv(write("c.csv", many_rows(-1))(tmp_path), FER2013_CLASSES).train) == CHUNK_ROWS * 3 // 2
    dataset = load_image_folder(images(*GOOD)(tmp_path), FER2013_CLASSES)
    assert (len(dataset.train) + len(dataset.validation), len(dataset.test)) == (1, 1)


def test_a_class_without_images_is_not_an_error(tmp_path):
    dataset = load_image_folder(images("train/angry/1.png", "train/sad/2.png", "test/sad/3.png")(tmp_path),
                                FER2013_CLASSES)
    assert dataset.test.labels.tolist() == [4]


# -- property: random corruption never escapes as anything but UserError ------

SMALL = kaggle_text().replace(PIXELS, "0 17 255 3")  # 2x2 images: corruptions hit the structure


def corrupt(data: bytes, edits) -> bytes:
    for kind, position, junk in edits:
        i = position % (len(data) + 1)
        if kind == "delete":
            data = data[:i] + data[i + 1:]
        elif kind == "duplicate":
            data = data[:i] + data[i:i + 1] * 2 + data[i + 1:]
        elif kind == "insert":
            data = data[:i] + junk + data[i:]
        elif kind == "truncate":
            data = data[:i]
        elif kind == "crlf":
            data = data.replace(b"\n", b"\r\n")
        elif kind == "cr":
            data = data.replace(b"\n", b"\r")
        elif kind == "gzip":
            data = gzip.compress(data)
    return data


EDITS = st.lists(st.tuples(st.sampled_from(["delete", "duplicate", "insert", "truncate", "crlf", "cr", "gzip"]),
                           st.integers(0, 10**6), st.binary(min_size=1, max_size=4)), min_size=1, max_size=4)


def load_or_user_error(loader, path, size):
    try:
        dataset = loader(path, FER2013_CLASSES, size=size)
    except UserError as error:
        assert error.where.startswith(str(path)) and error.what
        return
    for split in (dataset.train, dataset.validation, dataset.test):
        assert split.images.shape[1:] == (*size, 1) and len(split.labels) == len(split.rows)
        assert 0 <= split.images.min() and split.images.max() <= 1
        assert set(split.labels.tolist()) <= set(range(7))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(EDITS, st.sampled_from(["kaggle", "ntu"]))
def test_corrupted_small_csv_loads_or_raises_user_error(tmp_path, edits, layout):
    text = SMALL if layout == "kaggle" else kaggle_text(header="label,feature").replace(PIXELS, "0 17 255 3")
    if layout == "ntu":
        text = "\n".join(line.rsplit(",", 1)[0] for line in text.splitlines()) + "\n"
    path = tmp_path / "data.csv"
    path.write_bytes(corrupt(text.encode(), edits))
    load_or_user_error(load_fer2013_csv if layout == "kaggle" else load_ntu_csv, path, (2, 2))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(EDITS)
def test_corrupted_full_size_csv_loads_or_raises_user_error(tmp_path, edits):
    path = tmp_path / "fer2013.csv"
    path.write_bytes(corrupt(kaggle_text().encode(), edits))
    load_or_user_error(load_fer2013_csv, path, (48, 48))
