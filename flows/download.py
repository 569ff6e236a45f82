"""Stream a large document (an event dataset release) into the raw store, never holding it in memory.

The body goes to disk in chunks while its SHA-256 is computed, then moves to
``raw/<sha[:2]>/<sha>`` (the same content-addressed store as ``flows/fetch.py``). Returns the
same ``FetchResult`` as every fetch, with ``body=None`` and ``raw_path`` set: readers open the
file (DuckDB reads it directly). Expected failures never raise: status 'failed' and a one-line
error naming the source, the URL and the reason.
"""
from __future__ import annotations

import errno
import hashlib
import os
import queue
import tempfile
import threading
import time
import urllib.parse
from datetime import datetime, timezone
from pathlib import Path

import requests
import urllib3

from flows.fetch import USER_AGENT, FetchResult, PreviousFetch, raw_path_for

CHUNK_BYTES = 4 * 1024 * 1024
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class DownloadError(Exception):
    pass


def _now() -> datetime:
    return datetime.now(timezone.utc)


class _Worker:
    """Applies `work` to each chunk in a thread of its own (hashlib and file writes release the GIL);
    a bounded queue keeps at most a few chunks in memory. The first error is kept and raised to the
    reading thread at its next put() or at close()."""

    def __init__(self, work, name: str, depth: int = 4):
        self.work, self.error = work, None
        self.queue: queue.Queue = queue.Queue(depth)
        self.thread = threading.Thread(target=self._drain, name=name, daemon=True)
        self.thread.start()

    def _drain(self) -> None:
        while (chunk := self.queue.get()) is not None:
            if self.error is None:
                try:
                    self.work(chunk)
                except BaseException as exc:  # noqa: BLE001 - handed to the reading thread
                    self.error = exc

    def put(self, chunk: bytes) -> None:
        if self.error is not None:
            raise self.error
        self.queue.put(chunk)

    def close(self) -> None:
        self.queue.put(None)
        self.thread.join()
        if self.error is not None:
            raise self.error


class _HashingWriter:
    """Hashes and writes each chunk in two threads of their own while the next chunk is read from the
    network: on a multi-gigabyte release the write (throttled by the kernel once the page cache holds
    gigabytes of unwritten data) no longer waits for the hash, nor the network for either."""

    def __init__(self, fh):
        self.digest = hashlib.sha256()
        self.workers = [_Worker(self.digest.update, "download-hash"), _Worker(fh.write, "download-write")]

    def put(self, chunk: bytes) -> None:
        for worker in self.workers:
            worker.put(chunk)

    def close(self) -> str:
        """Wait for the last chunk; its SHA-256 (raises what hashing or writing raised)."""
        errors = []
        for worker in self.workers:
            try:
                worker.close()
            except BaseException as exc:  # noqa: BLE001 - every thread is joined first
                errors.append(exc)
        if errors:
            raise errors[0]
        return self.digest.hexdigest()


def _reserve(fd: int, declared: int | None, max_bytes: int) -> None:
    """Reserve the size a server declares before the first byte: a release declared over the cap, or
    one the disk has no room for, fails at once instead of after gigabytes; the blocks are allocated in
    one go. A filesystem that cannot reserve space is left to find out as it writes."""
    if declared is None:
        return
    if declared > max_bytes:
        raise DownloadError(f"declares {declared:,} bytes, over the {max_bytes:,}-byte cap")
    try:
        os.posix_fallocate(fd, 0, declared)
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EFBIG):
            reason = os.strerror(exc.errno)
            raise DownloadError(f"no room for its {declared:,} bytes in the raw store ({reason})") from None


def _into_store(raw_store: Path, chunks, *, max_bytes: int, declared: int | None = None) -> tuple[str, int, Path]:
    """Write chunks to a temporary file in the store, hashing as they come; move it under its SHA-256.
    `declared`: the size the server announced (reserved up front, see _reserve)."""
    raw_store.mkdir(parents=True, exist_ok=True)
    size = 0
    fd, tmp = tempfile.mkstemp(dir=raw_store, prefix=".download.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            _reserve(fd, declared, max_bytes)
            writer = _HashingWriter(fh)
            try:
                for chunk in chunks:
                    size += len(chunk)
                    if size > max_bytes:
                        raise DownloadError(f"larger than the {max_bytes:,}-byte cap")
                    writer.put(chunk)
            finally:
                sha = writer.close()
        if declared is not None and size != declared:
            os.truncate(tmp, size)      # never a reserved tail of zeros under the body's hash
        final = raw_path_for(raw_store, sha)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, final)
        return sha, size, final
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _local_chunks(path: Path):
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK_BYTES):
            yield chunk


def _conditional_headers(previous: PreviousFetch | None, force: bool) -> dict[str, str]:
    headers = {"User-Agent": USER_AGENT}
    if previous and not force:
        if previous.etag:
            headers["If-None-Match"] = previous.etag
        if previous.last_modified:
            headers["If-Modified-Since"] = previous.last_modified
    return headers


def _body_chunks(response: requests.Response):
    """The body in CHUNK_BYTES pieces straight from urllib3 (decoded if the server compressed it):
    about a quarter faster than iter_content, which re-chunks every read."""
    try:
        while chunk := response.raw.read(CHUNK_BYTES, decode_content=True):
            yield chunk
    except urllib3.exceptions.ReadTimeoutError as exc:   # as iter_content maps them: a stall is retried,
        raise requests.ConnectionError(exc) from None    # a cut or undecodable body fails the source
    except urllib3.exceptions.DecodeError as exc:
        raise requests.exceptions.ContentDecodingError(exc) from None
    except urllib3.exceptions.HTTPError as exc:
        raise requests.exceptions.ChunkedEncodingError(exc) from None


def _declared_size(response: requests.Response) -> int | None:
    """The body's size as the server declares it, when that is the size stored (not a compressed transfer)."""
    length = response.headers.get("Content-Length", "")
    if response.headers.get("Content-Encoding", "identity").lower() != "identity" \
            or not (length.isascii() and length.isdigit()):
        return None
    return int(length)


def _http(url: str, raw_store: Path, headers: dict, *, timeout: float, max_bytes: int):
    """One GET: (http status, etag, last-modified, stored (sha, size, path) or None on 304)."""
    with requests.get(url, headers=headers, stream=True, timeout=timeout) as response:
        if response.status_code == 304:
            return 304, response.headers.get("ETag"), response.headers.get("Last-Modified"), None
        if response.status_code in RETRY_STATUSES:
            raise ConnectionError(f"HTTP {response.status_code}")
        if response.status_code >= 400:
            raise DownloadError(f"HTTP {response.status_code}")
        stored = _into_store(raw_store, _body_chunks(response), max_bytes=max_bytes, declared=_declared_size(response))
        return (response.status_code, response.headers.get("ETag"),
                response.headers.get("Last-Modified"), stored)


def download(source_id: str, url: str, *, mode: str, raw_store: Path, previous: PreviousFetch | None = None,
             force: bool = False, timeout: float = 60.0, retries: int = 2,
             max_bytes: int = 64 * 1024**3) -> FetchResult:
    """Fetch `url` (http(s), file:// or a path) into the raw store by streaming."""
    raw_store, started, attempts = Path(raw_store), _now(), 0
    result = dict(source_id=source_id, url=url, mode=mode, http_status=None, bytes=0, sha256=None, etag=None,
                  last_modified=None, changed=False, fetched_at=started, error=None, raw_path=None, body=None)
    scheme = urllib.parse.urlsplit(url).scheme.lower()
    try:
        if scheme in ("http", "https"):
            while True:
                attempts += 1
                try:
                    status, etag, modified, stored = _http(url, raw_store, _conditional_headers(previous, force),
                                                           timeout=timeout, max_bytes=max_bytes)
                    break
                except (ConnectionError, requests.ConnectionError, requests.Timeout):
                    if attempts > retries:
                        raise
                    time.sleep(min(2.0 ** attempts, 10.0))
            result.update(http_status=status, etag=etag, last_modified=modified)
            if stored is None:
                return FetchResult(**{**result, "sha256": previous.sha256 if previous else None},
                                   status="unchanged", attempts=attempts)
        else:
            attempts = 1
            path = Path(urllib.parse.urlsplit(url).path if scheme == "file" else url)
            if not path.is_file():
                raise DownloadError("no such file")
            modified = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc)
            result.update(last_modified=modified.strftime("%a, %d %b %Y %H:%M:%S GMT"))
            stored = _into_store(raw_store, _local_chunks(path), max_bytes=max_bytes, declared=path.stat().st_size)
    except (DownloadError, OSError, requests.RequestException, ConnectionError) as exc:
        reason = " ".join(str(exc).split())[:300] or type(exc).__name__
        return FetchResult(**{**result, "error": f"{source_id}: cannot fetch {url}: {reason}"},
                           status="failed", attempts=max(attempts, 1))
    sha, size, path = stored
    changed = force or previous is None or previous.sha256 != sha
    return FetchResult(**{**result, "sha256": sha, "bytes": size, "raw_path": path, "changed": changed},
                       status="fetched" if changed else "unchanged", attempts=attempts)


def copy_member(zip_path: Path, raw_store: Path, *, suffix: str = ".csv") -> tuple[str, str, Path]:
    """Stream the one member ending in `suffix` out of a zip into the raw store: (member name, sha256, path)."""
    import zipfile

    with zipfile.ZipFile(zip_path) as archive:
        members = [m for m in archive.infolist() if m.filename.lower().endswith(suffix) and not m.is_dir()]
        if len(members) != 1:
            raise DownloadError(f"the zip holds {len(members)} {suffix} files, expected one")
        with archive.open(members[0]) as fh:
            sha, _, path = _into_store(raw_store, iter(lambda: fh.read(CHUNK_BYTES), b""), max_bytes=2**62)
    return members[0].filename, sha, path


__all__ = ["download", "copy_member", "DownloadError"]
