"""Opening data text files: plain or gzip (by magic bytes), UTF-8 BOM, any line endings."""

from __future__ import annotations

import gzip
import re
import zlib
from collections.abc import Iterator
from pathlib import Path

from generator.errors import UserError

GZIP_MAGIC = b"\x1f\x8b"
UTF8_BOM = b"\xef\xbb\xbf"
_ARCHIVES = {b"PK\x03\x04": "a zip archive", b"BZh": "a bzip2 file", b"\xfd7zXZ\x00": "an xz file",
             b"7z\xbc\xaf\x27\x1c": "a 7-Zip archive"}
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_NON_BLANK = re.compile(rb"\S")
_CR = 13


def read_text_bytes(path: str | Path, expected: str) -> bytes:
    """The file's text as bytes, gunzipped, old Mac line ends made `\n`; read it with iter_lines.

    `expected` says what the file should hold; it ends up in error hints.
    A UTF-8 BOM and `\r\n` line ends are left for iter_lines (copying 300 MB costs time).
    """
    path = Path(path)
    raw = _read_file(path, expected)
    if raw[:2] == GZIP_MAGIC:
        raw = _gunzip(path, raw)
    _refuse_binary(path, raw, expected)
    if b"\r" in raw and b"\n" not in raw:  # old Mac line endings
        raw = raw.replace(b"\r", b"\n")
    if _NON_BLANK.search(raw, _text_start(raw)) is None:
        raise UserError(path, "file is empty", f"expected {expected}")
    return raw


def iter_lines(data: bytes) -> Iterator[tuple[int, bytes]]:
    """(physical line number from 1, line without its `\n` or `\r\n`); no empty last line; BOM skipped."""
    start, number, end_of_data = _text_start(data), 1, len(data)
    while start < end_of_data:
        end = data.find(b"\n", start)
        if end < 0:
            end = end_of_data
        yield number, data[start:end - 1 if end > start and data[end - 1] == _CR else end]
        start, number = end + 1, number + 1


def count_lines(data: bytes) -> int:
    """How many lines iter_lines yields."""
    return data.count(b"\n") + (0 if data.endswith(b"\n") else 1)


def show_bytes(value: bytes, limit: int = 20) -> str:
    """A short printable form of user bytes for an error message."""
    text = value.decode("utf-8", errors="replace")
    text = "".join(c if c.isprintable() else "?" for c in text)
    return text if len(text) <= limit else text[:limit] + "..."


def missing_path_hint(path: Path) -> str:
    """Names what the parent folder holds, so a typo is easy to spot."""
    parent = path.parent
    if not parent.is_dir():
        return f"the folder {parent} does not exist either"
    names = sorted(p.name for p in parent.iterdir() if not p.name.startswith("."))
    if not names:
        return f"the folder {parent} is empty"
    shown = ", ".join(names[:8]) + (", ..." if len(names) > 8 else "")
    return f"{parent} holds: {shown}"


def _text_start(data: bytes) -> int:
    return len(UTF8_BOM) if data.startswith(UTF8_BOM) else 0


def _read_file(path: Path, expected: str) -> bytes:
    if not path.exists():
        raise UserError(path, "no such file", missing_path_hint(path))
    if path.is_dir():
        raise UserError(path, "is a folder, not a file", f"expected {expected}")
    try:
        return path.read_bytes()
    except OSError as error:
        raise UserError(path, f"cannot read the file: {error.strerror or error}",
                        "check that it exists and is readable") from None


def _gunzip(path: Path, raw: bytes) -> bytes:
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as error:
        raise UserError(path, f"damaged gzip file ({error})",
                        "download it again or decompress it with gzip -d to see the problem") from None


def _refuse_binary(path: Path, raw: bytes, expected: str) -> None:
    for magic, kind in _ARCHIVES.items():
        if raw.startswith(magic):
            hint = f"extract it first; expected {expected}"
            if kind == "a zip archive":
                hint += " (an Excel workbook is a zip too: save it as CSV)"
            raise UserError(path, f"is {kind}, not a text file", hint)
    if len(raw) > 262 and raw[257:262] == b"ustar":
        raise UserError(path, "is a tar archive, not a text file",
                        f"extract it first (tar -xf); expected {expected}")
    if raw.startswith(_UTF16_BOMS):
        raise UserError(path, "is UTF-16 text", "save it as UTF-8 (or plain ASCII) text")
