"""Stream a large document (an event dataset release) into the raw store, never holding it in memory.

The body goes to disk in chunks while its SHA-256 is computed, then moves to
``raw/<sha[:2]>/<sha>`` (the same content-addressed store as ``flows/fetch.py``). Returns the
same ``FetchResult`` as every fetch, with ``body=None`` and ``raw_path`` set: readers open the
file (DuckDB reads it directly). Given the release before it (``base_sha256``), the body is instead
compared with that release as it streams and kept as a line delta (``flows/line_delta.py``): then
``raw_path`` names the release but the store holds ``<sha>.delta``, ``.lines`` and ``.removed``, and
``line_delta.open_release`` reads it. Expected failures never raise: status 'failed' and a one-line
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

from flows import line_delta
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
    """Hashes and writes (or diffs, see _DeltaFiles) each chunk in two threads of their own while the
    next chunk is read from the network: on a multi-gigabyte release the write (throttled by the kernel
    once the page cache holds gigabytes of unwritten data) no longer waits for the hash, nor the network
    for either."""

    def __init__(self, store_chunk):
        self.digest = hashlib.sha256()
        self.workers = [_Worker(self.digest.update, "download-hash"), _Worker(store_chunk, "download-store")]

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
    """Reserve the size a server declares before the first byte: a release the disk has no room for
    fails at once instead of after gigabytes; the blocks are allocated in one go. A filesystem that
    cannot reserve space is left to find out as it writes. (A size over the cap fails before this.)"""
    if declared is None:
        return
    try:
        os.posix_fallocate(fd, 0, declared)
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EFBIG):
            reason = os.strerror(exc.errno)
            raise DownloadError(f"no room for its {declared:,} bytes in the raw store ({reason})") from None


class _DeltaFiles:
    """A release kept as a line delta against `base` (flows/line_delta.py): the inserted lines, the
    base lines it drops, and the copy/skip/insert runs, in temporary files of the store until its
    SHA-256 is known."""

    def __init__(self, raw_store: Path, base: Path):
        self.base, self.paths = base, {}
        for part in ("lines", "removed", "delta"):
            fd, name = tempfile.mkstemp(dir=raw_store, prefix=".download.", suffix=f".{part}.tmp")
            os.close(fd)
            self.paths[part] = Path(name)
        self.inserts, self.removed = self.paths["lines"].open("wb"), self.paths["removed"].open("wb")
        self.differ = line_delta.LineDiffer(base, self.inserts, self.removed)

    def finish(self, size: int) -> None:
        ops = self.differ.finish()
        self.inserts.close()
        self.removed.close()
        line_delta.write_delta(self.paths["delta"], base_sha256=self.base.name, size=size,
                                inserted=self.differ.inserted, ops=ops)

    def worth_keeping(self, size: int) -> bool:
        """A delta that stopped diffing, or inserts more than half the body, is no saving."""
        return not self.differ.whole and self.differ.inserted * 2 <= size

    def keep_as(self, final: Path) -> None:
        for part, tmp in self.paths.items():
            os.replace(tmp, final.with_name(f"{final.name}.{part}"))

    def discard(self) -> None:
        self.differ.close()
        for handle in (self.inserts, self.removed):
            handle.close()
        for tmp in self.paths.values():
            tmp.unlink(missing_ok=True)


def _delta_base(raw_store: Path, base_sha256: str | None) -> Path | None:
    """The stored release to diff against: the release before if it is stored whole, else the release
    its delta was taken against (so a delta never refers to a delta: the next one is its sibling)."""
    if not base_sha256:
        return None
    base = raw_path_for(raw_store, base_sha256)
    if not base.is_file() and line_delta.delta_path(base).is_file():
        base = raw_path_for(raw_store, line_delta.Delta.load(line_delta.delta_path(base)).base_sha256)
    return base if base.is_file() else None


def _store_delta(delta: _DeltaFiles, size: int, final: Path) -> None:
    """Move a finished delta under the release's SHA-256, or write the release whole if it does not pay."""
    delta.finish(size)
    if line_delta.is_stored(final):
        return
    final.parent.mkdir(parents=True, exist_ok=True)
    if delta.worth_keeping(size):
        delta.keep_as(final)
        return
    if delta.differ.ops and not any(copy for copy, _, _ in delta.differ.ops):
        os.replace(delta.paths["lines"], final)       # nothing in common: the inserts are the body
        return
    staged = final.with_name(final.name + ".tmp")
    delta.keep_as(staged)
    try:
        line_delta.materialize(staged, final)
    finally:
        line_delta.remove_delta(staged)


def _into_store(raw_store: Path, chunks, *, max_bytes: int, declared: int | None = None,
                base_sha256: str | None = None) -> tuple[str, int, Path]:
    """Write chunks to a temporary file in the store, hashing as they come; move it under its SHA-256.
    `declared`: the size the server announced (reserved up front, see _reserve). `base_sha256`: a
    stored release this one is likely an edit of: only the lines that differ are written (a line delta,
    flows/line_delta.py); the release is then stored as the delta unless that does not pay."""
    raw_store.mkdir(parents=True, exist_ok=True)
    if declared is not None and declared > max_bytes:
        raise DownloadError(f"declares {declared:,} bytes, over the {max_bytes:,}-byte cap")
    base = _delta_base(raw_store, base_sha256)
    size = 0
    fd, tmp = tempfile.mkstemp(dir=raw_store, prefix=".download.", suffix=".tmp")
    delta = None
    try:
        with os.fdopen(fd, "wb") as fh:
            if base is None:
                _reserve(fd, declared, max_bytes)
            else:
                delta = _DeltaFiles(raw_store, base)
            writer = _HashingWriter(fh.write if delta is None else delta.differ.feed)
            try:
                for chunk in chunks:
                    size += len(chunk)
                    if size > max_bytes:
                        raise DownloadError(f"larger than the {max_bytes:,}-byte cap")
                    writer.put(chunk)
            finally:
                sha = writer.close()
        final = raw_path_for(raw_store, sha)
        if delta is not None:
            _store_delta(delta, size, final)
            Path(tmp).unlink(missing_ok=True)
            return sha, size, final
        if declared is not None and size != declared:
            os.truncate(tmp, size)      # never a reserved tail of zeros under the body's hash
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, final)
        line_delta.remove_delta(final)      # stored whole now: a delta of the same bytes is not needed
        return sha, size, final
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    finally:
        if delta is not None:
            delta.discard()


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


def _http(url: str, raw_store: Path, headers: dict, *, timeout: float, max_bytes: int, base_sha256: str | None):
    """One GET: (http status, etag, last-modified, stored (sha, size, path) or None on 304)."""
    with requests.get(url, headers=headers, stream=True, timeout=timeout) as response:
        if response.status_code == 304:
            return 304, response.headers.get("ETag"), response.headers.get("Last-Modified"), None
        if response.status_code in RETRY_STATUSES:
            raise ConnectionError(f"HTTP {response.status_code}")
        if response.status_code >= 400:
            raise DownloadError(f"HTTP {response.status_code}")
        stored = _into_store(raw_store, _body_chunks(response), max_bytes=max_bytes,
                             declared=_declared_size(response), base_sha256=base_sha256)
        return (response.status_code, response.headers.get("ETag"),
                response.headers.get("Last-Modified"), stored)


def download(source_id: str, url: str, *, mode: str, raw_store: Path, previous: PreviousFetch | None = None,
             force: bool = False, timeout: float = 60.0, retries: int = 2,
             max_bytes: int = 64 * 1024**3, base_sha256: str | None = None) -> FetchResult:
    """Fetch `url` (http(s), file:// or a path) into the raw store by streaming. `base_sha256`: the
    stored release this one is diffed against (see _into_store)."""
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
                                                           timeout=timeout, max_bytes=max_bytes,
                                                           base_sha256=base_sha256)
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
            stored = _into_store(raw_store, _local_chunks(path), max_bytes=max_bytes, declared=path.stat().st_size,
                                 base_sha256=base_sha256)
    except (DownloadError, OSError, requests.RequestException, ConnectionError) as exc:
        reason = " ".join(str(exc).split())[:300] or type(exc).__name__
        return FetchResult(**{**result, "error": f"{source_id}: cannot fetch {url}: {reason}"},
                           status="failed", attempts=max(attempts, 1))
    sha, size, path = stored
    changed = force or previous is None or previous.sha256 != sha
    return FetchResult(**{**result, "sha256": sha, "bytes": size, "raw_path": path, "changed": changed},
                       status="fetched" if changed else "unchanged", attempts=attempts)


def copy_member(zip_path: Path, raw_store: Path, *, suffix: str = ".csv",
                base_sha256: str | None = None) -> tuple[str, str, Path]:
    """Stream the one member ending in `suffix` out of a zip into the raw store: (member name, sha256, path),
    as a line delta against `base_sha256` when that pays (see _into_store)."""
    import zipfile

    with zipfile.ZipFile(zip_path) as archive:
        members = [m for m in archive.infolist() if m.filename.lower().endswith(suffix) and not m.is_dir()]
        if len(members) != 1:
            raise DownloadError(f"the zip holds {len(members)} {suffix} files, expected one")
        with archive.open(members[0]) as fh:
            sha, _, path = _into_store(raw_store, iter(lambda: fh.read(CHUNK_BYTES), b""), max_bytes=2**62,
                                       base_sha256=base_sha256)
    return members[0].filename, sha, path


__all__ = ["download", "copy_member", "DownloadError"]
