"""Pixel-CSV loaders: the Kaggle fer2013.csv and the NTU course train.csv, plus data quirks.

FER2013: Goodfellow et al., "Challenges in Representation Learning: A report on
three machine learning contests", 2013, https://arxiv.org/abs/1307.0414
"""

from __future__ import annotations

import hashlib
import re
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from generator.data import Dataset, Split, split_by_fractions
from generator.data.textfile import count_lines, iter_lines, read_text_bytes, show_bytes
from generator.errors import UserError

KAGGLE_COLUMNS = ("emotion", "pixels", "Usage")
NTU_COLUMNS = ("label", "feature")
KAGGLE_USAGES = ("Training", "PublicTest", "PrivateTest")
CHUNK_ROWS = 256
PARSE_THREADS = 2  # numpy releases the GIL while parsing
CHUNKS_AHEAD = 4  # chunks parsed ahead of the one being stored
_INTEGER = re.compile(rb"[+-]?[0-9]+")
_NEWLINE, _SPACE, _ZERO = 10, 32, 48


@dataclass(frozen=True)
class DataQuirks:
    """Real-data oddities worth a sentence: constant images and exact duplicates.

    `duplicates` counts images identical to an earlier one; the *_rows tuples
    name them by their `rows` position.
    """

    constant: int
    duplicates: int
    constant_rows: tuple[int, ...] = ()
    duplicate_rows: tuple[int, ...] = ()


@dataclass(frozen=True)
class PixelTable:
    """A pixel CSV's data rows: (N, H*W) uint8 pixels, int64 labels, physical lines, usage."""

    pixels: np.ndarray
    labels: np.ndarray
    lines: np.ndarray
    usage: tuple[str, ...] | None


def load_fer2013_csv(path: str | Path, class_names: tuple[str, ...],
                     splits: tuple[str, str, str] = KAGGLE_USAGES,
                     size: tuple[int, int] = (48, 48)) -> Dataset:
    """The Kaggle `emotion,pixels,Usage` CSV; `splits` names the Usage of train, validation, test."""
    path = Path(path)
    table = read_pixel_table(path, KAGGLE_COLUMNS, class_names, size, known_usages=splits)
    usage = np.array(table.usage)
    spelled = _match_splits(path, usage, splits)
    parts = [np.flatnonzero(usage == name) for name in spelled]
    return _dataset("fer2013-csv", table, class_names, size, parts, evaluated_label=spelled[2])


def load_ntu_csv(path: str | Path, class_names: tuple[str, ...],
                 fractions: tuple[float, float, float] = (0.8, 0.1, 0.1), seed: int = 0,
                 size: tuple[int, int] = (48, 48)) -> Dataset:
    """The NTU course `label,feature` CSV; validation and test are seeded fractions of the rows."""
    table = read_pixel_table(Path(path), NTU_COLUMNS, class_names, size)
    parts = split_by_fractions(len(table.labels), fractions, seed)
    return _dataset("ntu-csv", table, class_names, size, parts, evaluated_label="test")


def read_pixel_table(path: Path, columns: tuple[str, ...], class_names: tuple[str, ...],
                     size: tuple[int, int], known_usages: tuple[str, ...] = ()) -> PixelTable:
    """Parses and checks every row; raises the UserError of the first bad row in the file."""
    data = read_text_bytes(path, f"a CSV file with the header `{','.join(columns)}`")
    lines = iter_lines(data)
    order = _read_header(path, next(lines)[1], columns)
    rows, errors = _read_rows(path, lines, order, size, count_lines(data))
    del data, lines
    labels, label_error = _parse_labels(path, rows.labels, rows.lines, class_names)
    errors.append(label_error)
    usage = None
    if len(columns) == 3:
        usage, usage_error = _parse_usage(path, rows.usage, rows.lines, known_usages)
        errors.append(usage_error)
    errors = [e for e in errors if e is not None]
    if errors:
        raise min(errors, key=lambda e: e[0])[1]
    if not len(labels):
        raise UserError(path, "no data rows after the header",
                        f"expected one row per image: `{','.join(columns)}`")
    return PixelTable(rows.pixels(), labels, np.array(rows.lines, np.int64), usage)


def describe_quirks(images: np.ndarray, rows: np.ndarray | None = None) -> DataQuirks:
    """Counts constant images (one value everywhere) and exact duplicates of earlier images."""
    rows = np.arange(1, len(images) + 1) if rows is None else np.asarray(rows)
    flat = images.reshape(len(images), -1)
    constant = np.flatnonzero(flat.min(axis=1) == flat.max(axis=1)) if len(flat) else np.array([], int)
    seen: set[bytes] = set()
    duplicates = []
    for index, image in enumerate(flat):
        digest = hashlib.blake2b(np.ascontiguousarray(image).tobytes(), digest_size=16).digest()
        if digest in seen:
            duplicates.append(index)
        seen.add(digest)
    return DataQuirks(len(constant), len(duplicates), tuple(int(rows[i]) for i in constant),
                      tuple(int(rows[i]) for i in duplicates))


def describe_dataset_quirks(dataset: Dataset) -> DataQuirks:
    """describe_quirks over all three splits together (so cross-split duplicates count too)."""
    splits = (dataset.train, dataset.validation, dataset.test)
    rows, first = np.unique(np.concatenate([s.rows for s in splits]), return_index=True)
    images = np.concatenate([s.images for s in splits])[first]  # a row in two splits counts once
    return describe_quirks(images, rows)


# -- header ------------------------------------------------------------------

def _read_header(path: Path, header: bytes, columns: tuple[str, ...]) -> tuple[int, ...]:
    """Position of each expected column in the file's header."""
    where, expected = f"{path}:1", ",".join(columns)
    if not header.strip():
        raise UserError(where, "line 1 is empty, not the header", f"the first line must be `{expected}`")
    try:
        names = [_unquote(n).decode("utf-8") for n in header.split(b",")]
    except UnicodeDecodeError:
        raise UserError(where, "the header is not UTF-8 text", f"expected `{expected}`") from None
    if names and _INTEGER.fullmatch(names[0].encode()):
        raise UserError(where, "no header line (line 1 already holds data)",
                        f"add `{expected}` as the first line")
    folded = [n.casefold() for n in names]
    unknown = [n for n in names if n.casefold() not in {c.casefold() for c in columns}]
    if unknown:
        raise UserError(where, f"unknown column{'s' * (len(unknown) > 1)} "
                        + ", ".join(f"'{n}'" for n in unknown), _header_hint(folded, columns))
    missing = [c for c in columns if c.casefold() not in folded]
    if missing:
        raise UserError(where, "missing column " + ", ".join(f"'{c}'" for c in missing),
                        f"expected columns `{expected}`")
    twice = [c for c in columns if folded.count(c.casefold()) > 1]
    if twice:
        raise UserError(where, f"column '{twice[0]}' appears more than once", f"expected `{expected}`")
    return tuple(folded.index(c.casefold()) for c in columns) + (len(names),)


def _header_hint(folded: list[str], columns: tuple[str, ...]) -> str:
    expected = f"expected columns `{','.join(columns)}`"
    if set(folded) == {c.casefold() for c in NTU_COLUMNS}:
        return f"{expected}; this looks like the NTU course train.csv: load it as ntu-csv"
    if set(folded) == {c.casefold() for c in KAGGLE_COLUMNS}:
        return f"{expected}; this looks like the Kaggle fer2013.csv: load it as fer2013-csv"
    if set(folded) == {"id", "feature"}:
        return f"{expected}; a course test.csv has no labels: use train.csv"
    return expected


# -- rows --------------------------------------------------------------------

class _Rows:
    """The data rows read so far: raw label and usage fields, line numbers, pixel blocks."""

    def __init__(self, max_rows: int, n_pixels: int):
        self.labels: list[bytes] = []
        self.usage: list[bytes] = []
        self.lines: list[int] = []
        self.all_pixels = np.empty((max_rows, n_pixels), np.uint8)
        self.parsed = 0  # rows whose pixels are in all_pixels

    def add_pixels(self, values: np.ndarray) -> None:
        self.all_pixels[self.parsed:self.parsed + len(values)] = values
        self.parsed += len(values)

    def pixels(self) -> np.ndarray:
        return self.all_pixels[:self.parsed]


def _read_rows(path, lines, order, size, max_rows) -> tuple[_Rows, list]:
    """Splits rows into fields while worker threads parse pixel chunks; stops at the first error."""
    *positions, n_fields = order
    n_pixels = size[0] * size[1]
    rows, chunk, pending = _Rows(max_rows, n_pixels), [], deque()
    field_error = pixel_error = None
    with ThreadPoolExecutor(PARSE_THREADS) as pool:
        for number, line in lines:
            if not line or line.isspace():
                continue
            fields = line.split(b",")
            if len(fields) != n_fields:
                field_error = (number, _field_count_error(path, number, len(fields), n_fields))
                break
            rows.labels.append(fields[positions[0]])
            rows.lines.append(number)
            chunk.append(_unquote(fields[positions[1]]))
            if len(positions) == 3:
                rows.usage.append(fields[positions[2]])
            if len(chunk) == CHUNK_ROWS:
                pending.append((pool.submit(_parse_pixels_fast, chunk, n_pixels), chunk))
                chunk = []
                if len(pending) > CHUNKS_AHEAD:
                    pixel_error = _store_chunk(path, *pending.popleft(), rows, size)
                    if pixel_error:
                        break
        if chunk and not pixel_error:
            pending.append((pool.submit(_parse_pixels_fast, chunk, n_pixels), chunk))
        while pending and not pixel_error:  # these rows all come before field_error
            pixel_error = _store_chunk(path, *pending.popleft(), rows, size)
        for future, _ in pending:
            future.cancel()
    error = pixel_error or field_error
    return rows, [error] if error else []


def _field_count_error(path, number, found, expected) -> UserError:
    columns = KAGGLE_COLUMNS if expected == 3 else NTU_COLUMNS
    return UserError(f"{path}:{number}", f"row has {found} comma-separated fields; expected {expected}",
                     f"each row is `{','.join(columns)}` with the pixels separated by spaces")


def _store_chunk(path, future, fields: list[bytes], rows: _Rows, size):
    """Stores a chunk's pixels, parsing it carefully where the fast parse gave up.

    Returns (line, UserError) of the first bad row, after dropping it and the rows after it.
    """
    n_pixels = size[0] * size[1]
    values = future.result()
    if values is None:  # runs of spaces or tabs are fine: retry with single spaces
        values = _parse_pixels_fast([b" ".join(field.split()) for field in fields], n_pixels)
    if values is None:
        values = np.empty((len(fields), n_pixels), np.uint8)
        for offset, field in enumerate(fields):
            number = rows.lines[rows.parsed + offset]
            row = _parse_pixels_careful(field, n_pixels, size, f"{path}:{number}")
            if isinstance(row, UserError):
                del rows.lines[rows.parsed + offset:]  # later rows were not checked
                return number, row
            values[offset] = row
    rows.add_pixels(values)
    return None


def _parse_pixels_fast(fields: list[bytes], n_pixels: int) -> np.ndarray | None:
    """(rows, n_pixels) uint8 if every field is n_pixels integers 0-255 split by single spaces.

    Returns None for anything else; the careful parse then finds or forgives it.
    """
    text = np.frombuffer(b"\n".join(fields) + b"\n", np.uint8)  # fields hold no newline
    rows = len(fields)
    padded = np.empty(len(text) + 3, np.uint8)
    padded[:3] = 255  # non-digits before the first token
    digits = np.subtract(text, np.uint8(_ZERO), out=padded[3:])  # every non-digit becomes > 9
    ends = np.flatnonzero(digits > 9)  # one past each token
    if len(ends) != rows * n_pixels or np.count_nonzero(text == _SPACE) != rows * (n_pixels - 1):
        return None  # so the separators are single spaces and newlines, ...
    if (text.take(ends[n_pixels - 1::n_pixels]) != _NEWLINE).any():
        return None  # ... and each newline ends a row of n_pixels tokens
    # padded[3 - k:][ends] is the k-th byte before each token end
    ones, tens, hundreds = (padded[3 - k:].take(ends) for k in (1, 2, 3))
    has_tens = tens <= 9
    has_hundreds = (hundreds <= 9) & has_tens
    if (ones > 9).any():  # an empty token: two separators in a row
        return None
    if len(ends) + np.count_nonzero(has_tens) + np.count_nonzero(has_hundreds) != len(text) - len(ends):
        return None  # a token of 4 or more digits
    value = np.multiply(hundreds, has_hundreds, dtype=np.uint16)
    value *= 100
    tens *= has_tens
    tens *= 10
    value += tens
    value += ones
    if value.max() > 255:
        return None
    return value.astype(np.uint8).reshape(rows, n_pixels)


def _parse_pixels_careful(field: bytes, n_pixels: int, size, where: str) -> np.ndarray | UserError:
    """One row's pixels, or the UserError that says what is wrong with them."""
    tokens = field.split()
    hint = f"the pixel column holds {n_pixels} whole numbers 0-255 separated by spaces"
    if len(tokens) != n_pixels:
        return UserError(where, f"row has {len(tokens)} pixel values; expected {n_pixels} "
                         f"({size[0]}x{size[1]})", hint)
    values = np.empty(n_pixels, np.uint8)
    for index, token in enumerate(tokens):
        if not token.isdigit():  # bytes.isdigit is ASCII-only
            return UserError(where, f"pixel {index + 1} is '{show_bytes(token)}', not an integer 0-255", hint)
        value = int(token)
        if value > 255:
            return UserError(where, f"pixel {index + 1} is {value}, outside 0-255", hint)
        values[index] = value
    return values


def _unquote(field: bytes) -> bytes:
    if field[:1] in (b'"', b" ", b"\t") or field[-1:] in (b'"', b" ", b"\t"):
        field = field.strip().strip(b'"').strip()
    return field


# -- labels and usage --------------------------------------------------------

def _parse_labels(path, raw, lines, class_names):
    """int64 labels and the first bad one's (line, UserError), checked once per distinct value."""
    verdicts = {value: _label_verdict(value, len(class_names)) for value in set(raw)}
    for value, number in zip(raw, lines):
        verdict = verdicts[value]
        if isinstance(verdict, str):
            names = ", ".join(f"{i}={name}" for i, name in enumerate(class_names))
            return np.empty(0, np.int64), (number, UserError(f"{path}:{number}", verdict,
                                                             f"labels index the classes: {names}"))
    checked = raw[:len(lines)]  # rows after a bad pixel row were not checked
    return np.fromiter((verdicts[value] for value in checked), np.int64, len(checked)), None


def _label_verdict(raw: bytes, n_classes: int) -> int | str:
    text = _unquote(raw)
    if not _INTEGER.fullmatch(text):
        return f"label '{show_bytes(text)}' is not an integer"
    value = int(text)
    if not 0 <= value < n_classes:
        return f"label {value} is outside 0-{n_classes - 1}"
    return value


def _parse_usage(path, raw, lines, known_usages):
    """Usage names as text; a row whose Usage is neither FER2013's nor configured is an error."""
    known = {u.casefold() for u in (*KAGGLE_USAGES, *known_usages)}
    names = {value: _unquote(value).decode("utf-8", errors="replace") for value in set(raw)}
    for value, number in zip(raw, lines):
        if names[value].casefold() not in known:
            allowed = ", ".join(dict.fromkeys((*KAGGLE_USAGES, *known_usages)))
            return None, (number, UserError(f"{path}:{number}", f"Usage '{show_bytes(_unquote(value))}' "
                                            "is not a known split", f"expected one of {allowed}"))
    return tuple(names[value] for value in raw), None


def _match_splits(path: Path, usage: np.ndarray, splits: tuple[str, str, str]) -> tuple[str, ...]:
    """The file's own spelling of each configured split; an absent one is an error."""
    present, counts = np.unique(usage, return_counts=True)
    spelled = []
    for name in splits:
        match = [p for p in present if p.casefold() == name.casefold()]
        if not match:
            listing = ", ".join(f"{p} ({c} rows)" for p, c in zip(present, counts))
            raise UserError(path, f"no rows with Usage '{name}'", f"Usage values in this file: {listing}")
        spelled.append(str(match[0]))
    return tuple(spelled)


# -- dataset -----------------------------------------------------------------

def _dataset(source, table: PixelTable, class_names, size, parts, evaluated_label) -> Dataset:
    splits = [_split(table, size, np.asarray(index)) for index in parts]
    return Dataset(source, tuple(class_names), *splits, evaluated="test", evaluated_label=evaluated_label)


def _split(table: PixelTable, size, index: np.ndarray) -> Split:
    images = np.divide(table.pixels[index], np.float32(255), dtype=np.float32)  # one pass
    return Split(images.reshape(len(index), size[0], size[1], 1), table.labels[index], index + 1)
