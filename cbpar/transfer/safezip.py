"""Opening zip files from outside (project archives, XLSX uploads) without being bombed.

Every entry is checked twice: its declared size (the zip's central directory) before anything
is decompressed, and the bytes it really yields while they are read, since a crafted zip can
declare less than it holds. Limits: the largest entry, the sum of all entries, the number of
entries, and the compression ratio of any entry larger than `RATIO_FLOOR` (a real file of
field data compresses a few times; a bomb compresses a thousand times).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from flask import current_app, has_app_context

from cbpar.config import Defaults

MiB = 1024 * 1024
MAX_RATIO = 100  # uncompressed : compressed, for entries over RATIO_FLOOR
RATIO_FLOOR = 1 * MiB
MAX_ENTRIES = 200_000
CHUNK = 64 * 1024


class ZipLimitError(Exception):
    """The zip is refused; the message names the entry and the limit (for the operator)."""


class NotAZip(ZipLimitError):
    """The bytes are not a zip file at all."""


@dataclass(frozen=True)
class Limits:
    entry_bytes: int
    total_bytes: int
    ratio: int = MAX_RATIO
    ratio_floor: int = RATIO_FLOOR
    entries: int = MAX_ENTRIES


def configured(*, entry_is_total: bool = False) -> Limits:
    """The limits of this instance: MAX_ATTACHMENT_BYTES per entry, MAX_ARCHIVE_BYTES in all.

    `entry_is_total`: one entry may use the whole total (an XLSX worksheet of 50,000 rows is
    larger than any attachment; the ratio and total limits still hold).
    """

    config = current_app.config if has_app_context() else {}
    entry = int(config.get("MAX_ATTACHMENT_BYTES", Defaults.MAX_ATTACHMENT_BYTES))
    total = int(config.get("MAX_ARCHIVE_BYTES", Defaults.MAX_ARCHIVE_BYTES))
    return Limits(entry_bytes=total if entry_is_total else min(entry, total), total_bytes=total)


def _size(n: int) -> str:
    return f"{n / MiB:,.1f} MB" if n >= MiB else f"{n:,} bytes"


def open_zip(source: Path | bytes | IO[bytes]) -> zipfile.ZipFile:
    """The zip, or ZipLimitError when it is not one."""
    try:
        return zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
        raise NotAZip("not a zip file") from exc


def check_declared(archive: zipfile.ZipFile, limits: Limits) -> None:
    """Refuse the zip from its directory alone: too many entries, or an entry or the whole
    declaring more than the limits, or an absurd compression ratio."""
    infos = archive.infolist()
    if len(infos) > limits.entries:
        raise ZipLimitError(f"{len(infos):,} entries (at most {limits.entries:,})")
    length = _length(archive)
    total = 0
    for info in infos:
        name = info.filename
        if info.compress_size > length:  # a compressed size can be inflated to hide a ratio
            raise ZipLimitError(f"entry {name} declares more compressed bytes than the file has")
        if info.file_size > limits.entry_bytes:
            raise ZipLimitError(
                f"entry {name} declares {_size(info.file_size)} "
                f"(at most {_size(limits.entry_bytes)} per entry)"
            )
        if info.file_size > limits.ratio_floor and (
            info.file_size > limits.ratio * max(info.compress_size, 1)
        ):
            raise ZipLimitError(
                f"entry {name} expands {info.file_size // max(info.compress_size, 1):,} times "
                f"(at most {limits.ratio} times)"
            )
        total += info.file_size
        if total > limits.total_bytes:
            raise ZipLimitError(f"the entries declare more than {_size(limits.total_bytes)} in all")


def _length(archive: zipfile.ZipFile) -> int:
    handle = archive.fp
    if handle is None:
        return 0
    position = handle.tell()
    try:
        return handle.seek(0, io.SEEK_END)
    finally:
        handle.seek(position)


class Meter:
    """Counts what every entry really yields, against the same limits."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.total = 0

    def stream(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterator[bytes]:
        """The entry's bytes in chunks; ZipLimitError as soon as a limit is passed."""
        name, limits = info.filename, self.limits
        read = 0
        try:
            with archive.open(info) as source:
                while chunk := source.read(CHUNK):
                    read += len(chunk)
                    self.total += len(chunk)
                    if read > limits.entry_bytes or read > info.file_size:
                        raise ZipLimitError(
                            f"entry {name} holds more than it declares or than "
                            f"{_size(limits.entry_bytes)}"
                        )
                    if read > limits.ratio_floor and read > limits.ratio * max(
                        info.compress_size, 1
                    ):
                        raise ZipLimitError(f"entry {name} expands more than {limits.ratio} times")
                    if self.total > limits.total_bytes:
                        raise ZipLimitError(
                            f"the entries hold more than {_size(limits.total_bytes)} in all"
                        )
                    yield chunk
        except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
            # zipfile stops at the declared size and then finds the CRC wrong: a lie, or damage.
            raise ZipLimitError(f"entry {name} is damaged or not what it declares ({exc})") from exc
        if read != info.file_size:
            raise ZipLimitError(
                f"entry {name} holds {read:,} bytes, not the {info.file_size:,} declared"
            )

    def read(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
        return b"".join(self.stream(archive, info))

    def open(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> io.BufferedReader:
        """A file object over the entry (for line-by-line reading), metered."""
        return io.BufferedReader(_ChunkReader(self.stream(archive, info)), CHUNK)


class _ChunkReader(io.RawIOBase):
    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._pending = chunk
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n


def check_all(data: bytes, limits: Limits) -> None:
    """Check a whole zip held in memory (an XLSX upload) before another library opens it:
    declared sizes first, then every entry decompressed once and counted."""
    archive = open_zip(data)
    with archive:
        check_declared(archive, limits)
        meter = Meter(limits)
        for info in archive.infolist():
            for _chunk in meter.stream(archive, info):
                pass
