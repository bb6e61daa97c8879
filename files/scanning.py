"""Virus scanning: a small scanner interface, the ClamAV (clamd) backend, the EICAR check.

`scan_stream()` runs the built-in EICAR check (always on, also inside zip containers such as
docx/xlsx) and then ClamAV when `CLAMAV_URL` is set. A scanner that cannot be reached raises
`ScannerUnavailableError` (transient: the caller leaves the file pending and retries).
"""

import io
import struct
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Protocol
from urllib.parse import urlparse

import clamd
from django.conf import settings

from files.errors import ScannerUnavailableError

EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
EICAR_SIGNATURE = "Eicar-Test-Signature"
CHUNK = 1024 * 1024  # 1 MiB reads and clamd INSTREAM chunks (clamd's own client sends 1 KiB)
# Unpacking containers for the EICAR check: bounded, so a zip bomb costs nothing.
_UNPACK_MAX_BYTES = 200 * 1024 * 1024
_UNPACK_MAX_DEPTH = 3


@dataclass(frozen=True)
class ScanResult:
    infected: bool
    engine: str
    signature: str = ""
    error: str = ""  # the scanner refused this content (permanent): not served

    @property
    def clean(self) -> bool:
        return not self.infected and not self.error


class Scanner(Protocol):
    name: str

    def scan(self, stream: IO[bytes]) -> ScanResult: ...


def _contains(chunks: Iterator[bytes], needle: bytes) -> bool:
    overlap = len(needle) - 1
    carry = b""
    for chunk in chunks:
        window = carry + chunk
        if needle in window:
            return True
        carry = window[-overlap:]
    return False


def _read_chunks(stream: IO[bytes], budget: list[int] | None = None) -> Iterator[bytes]:
    while True:
        chunk = stream.read(CHUNK)
        if not chunk:
            return
        if budget is not None:
            budget[0] -= len(chunk)
            if budget[0] < 0:
                return
        yield chunk


class EicarScanner:
    """The EICAR test string anywhere in the bytes, or in any member of a zip container."""

    name = "builtin-eicar"

    def scan(self, stream: IO[bytes]) -> ScanResult:
        stream.seek(0)
        if _contains(_read_chunks(stream), EICAR):
            return ScanResult(infected=True, engine=self.name, signature=EICAR_SIGNATURE)
        stream.seek(0)
        if self._zip_contains(stream, depth=1, budget=[_UNPACK_MAX_BYTES]):
            return ScanResult(infected=True, engine=self.name, signature=EICAR_SIGNATURE)
        return ScanResult(infected=False, engine=self.name)

    def _zip_contains(self, stream: IO[bytes], *, depth: int, budget: list[int]) -> bool:
        head = stream.read(4)
        stream.seek(0)
        if head != b"PK\x03\x04" or depth > _UNPACK_MAX_DEPTH:
            return False
        try:
            with zipfile.ZipFile(stream) as archive:
                for info in archive.infolist():
                    if info.is_dir() or budget[0] <= 0:
                        continue
                    with archive.open(info) as member:
                        if _contains(_read_chunks(member, budget), EICAR):
                            return True
                    if info.file_size <= 64 * 1024 * 1024:  # nested archives (a zip in a docx)
                        with archive.open(info) as member:
                            nested = member.read(4)
                        if nested == b"PK\x03\x04":
                            with archive.open(info) as member:
                                inner = io.BytesIO(member.read(min(info.file_size, budget[0])))
                            if self._zip_contains(inner, depth=depth + 1, budget=budget):
                                return True
        except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, EOFError):
            return False  # not a readable container: the plain-bytes check already ran
        return False


class _InstreamMixin:
    """clamd 1.0.2 streams in 1 KiB `send()` calls (partial sends possible); this sends
    1 MiB chunks with `sendall()`, which is what makes a 100 MB scan take a fraction of a second."""

    def instream(self, buff: IO[bytes]) -> dict:
        try:
            self._init_socket()
            self._send_command("INSTREAM")
            for chunk in _read_chunks(buff):
                self.clamd_socket.sendall(struct.pack("!L", len(chunk)) + chunk)
            self.clamd_socket.sendall(struct.pack("!L", 0))
            result = self._recv_response()
            if result == "INSTREAM size limit exceeded. ERROR":
                raise clamd.BufferTooLongError(result)
            filename, reason, status = self._parse_response(result)
            return {filename: (status, reason)}
        finally:
            self._close_socket()


class _UnixClamd(_InstreamMixin, clamd.ClamdUnixSocket):
    pass


class _NetworkClamd(_InstreamMixin, clamd.ClamdNetworkSocket):
    pass


class ClamAVScanner:
    """clamd over a unix socket (unix:///run/clamav/clamd.ctl) or TCP (tcp://host:3310)."""

    name = "clamav"

    def __init__(self, url: str, timeout: float = 60.0) -> None:
        parsed = urlparse(url)
        if parsed.scheme == "unix":
            self.client = _UnixClamd(path=parsed.path, timeout=timeout)
        elif parsed.scheme == "tcp":
            self.client = _NetworkClamd(
                host=parsed.hostname or "127.0.0.1", port=parsed.port or 3310, timeout=timeout
            )
        else:
            raise ValueError(f"CLAMAV_URL must be unix:///path or tcp://host:port, not {url!r}")

    def ping(self) -> bool:
        try:
            return self.client.ping() == "PONG"
        except (clamd.ConnectionError, OSError):
            return False

    def scan(self, stream: IO[bytes]) -> ScanResult:
        stream.seek(0)
        try:
            result = self.client.instream(stream)
        except clamd.BufferTooLongError:
            return ScanResult(
                infected=False,
                engine=self.name,
                error="larger than clamd's StreamMaxLength",
            )
        except (TimeoutError, clamd.ConnectionError, OSError) as exc:
            raise ScannerUnavailableError(str(exc)) from exc
        status, reason = result.get("stream", ("ERROR", "no answer"))
        if status == "FOUND":
            return ScanResult(infected=True, engine=self.name, signature=reason or "unknown")
        if status == "OK":
            return ScanResult(infected=False, engine=self.name)
        # e.g. "Can't allocate memory": clamd is alive but failing — retry later.
        raise ScannerUnavailableError(f"clamd: {reason}")


def configured_scanners() -> list[Scanner]:
    scanners: list[Scanner] = [EicarScanner()]
    if settings.CLAMAV_URL:
        scanners.append(ClamAVScanner(settings.CLAMAV_URL, timeout=settings.CLAMAV_TIMEOUT))
    return scanners


def scan_stream(stream: IO[bytes]) -> ScanResult:
    """Run every configured scanner; the first detection wins. Raises ScannerUnavailableError."""
    engines = []
    for scanner in configured_scanners():
        result = scanner.scan(stream)
        if not result.clean:
            return result
        engines.append(scanner.name)
    return ScanResult(infected=False, engine="+".join(engines))
