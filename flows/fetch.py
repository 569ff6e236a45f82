"""HTTP + mirror transport: fetch one source's bytes into the content-addressed raw store.

Plain functions, no Prefect: the flow in ``flows/refresh.py`` wraps :func:`fetch_source`
in a task. A fetch never raises for an expected failure (network, HTTP error, size cap,
truncated transfer, missing local file): it returns a :class:`FetchResult` with
``status='failed'`` and a one-line ``error`` naming the source, the URL and the reason,
so one bad source never blocks the others.

Sources
-------
``url`` is either ``http(s)://…`` (live publishers, or any HTTP override), ``file://…``
or a plain filesystem path (mirror mode passes the path of the embedded copy; users may
override a source URL with a local file).

Raw store
---------
Every body is stored once under ``raw_store/<first two hex digits>/<sha256>``, written
atomically (temporary file in the same folder + ``os.replace``), so an unchanged document
is never stored or processed twice and a crash never leaves a half-written file under
its final name.
"""

from __future__ import annotations

import email.utils
import hashlib
import logging
import os
import re
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http import HTTPStatus
from pathlib import Path

import requests

__all__ = [
    "DEFAULT_MAX_BYTES",
    "RETRY_STATUSES",
    "USER_AGENT",
    "FetchResult",
    "PreviousFetch",
    "fetch_source",
    "raw_path_for",
    "read_raw",
]

log = logging.getLogger("ftf.fetch")

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
USER_AGENT = "ftf-warehouse/0.1 (+https://github.com/ftf-warehouse)"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MODES = ("mirror", "live")

_CHUNK_SIZE = 64 * 1024
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
_MAX_ERROR_CHARS = 500


@dataclass
class PreviousFetch:
    """What the warehouse remembers of the last successful fetch of a source."""

    sha256: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    inputs_sha256: str | None = None   # the source's review decisions used with that document


@dataclass
class FetchResult:
    source_id: str
    url: str
    mode: str  # 'mirror' | 'live'
    status: str  # 'fetched' | 'unchanged' | 'failed'
    http_status: int | None
    bytes: int
    sha256: str | None
    etag: str | None
    last_modified: str | None
    changed: bool
    fetched_at: datetime
    error: str | None
    raw_path: Path | None
    attempts: int
    body: bytes | None = field(default=None, repr=False)
    previous_sha256: str | None = None   # the last loaded document of this source (for drift reports)

    @property
    def ok(self) -> bool:
        return self.status != "failed"

    def as_record(self) -> dict:
        """One row of ``meta.fetches``."""
        return {
            "source_id": self.source_id,
            "url": self.url,
            "mode": self.mode,
            "status": self.status,
            "http_status": self.http_status,
            "bytes": self.bytes,
            "sha256": self.sha256,
            "etag": self.etag,
            "last_modified": self.last_modified,
            "changed": self.changed,
            "fetched_at": self.fetched_at,
            "error": self.error,
            "attempts": self.attempts,
        }


# --------------------------------------------------------------------------- raw store


def raw_path_for(raw_store: Path, sha256: str) -> Path:
    """Where a body with this SHA-256 lives: ``raw_store/ab/abcdef…``."""
    if not isinstance(sha256, str) or not _SHA256_RE.match(sha256):
        raise ValueError(f"not a lowercase hex SHA-256: {sha256!r}")
    return Path(raw_store) / sha256[:2] / sha256


def read_raw(raw_store: Path, sha256: str, *, verify: bool = True) -> bytes:
    """The stored body with this SHA-256.

    Raises ``FileNotFoundError`` if it is not in the store and, with ``verify`` (the
    default), ``ValueError`` if the stored bytes no longer hash to ``sha256``.
    """
    path = raw_path_for(raw_store, sha256)
    data = path.read_bytes()
    if verify:
        actual = hashlib.sha256(data).hexdigest()
        if actual != sha256:
            raise ValueError(f"raw store is corrupt: {path} hashes to {actual}, expected {sha256}")
    return data


def _store(raw_store: Path, body: bytes, sha256: str) -> Path:
    """Write ``body`` into the store (atomically; a no-op if it is already there)."""
    path = raw_path_for(raw_store, sha256)
    if path.is_file() and path.stat().st_size == len(body):
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{sha256[:12]}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(body)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return path


def _stored_body(raw_store: Path, sha256: str | None) -> bytes | None:
    """The stored body, or None when it is missing, unreadable or corrupt."""
    if not sha256:
        return None
    try:
        return read_raw(raw_store, sha256)
    except (OSError, ValueError):
        return None


# --------------------------------------------------------------------------- entry point


def fetch_source(
    source_id: str,
    url: str,
    *,
    mode: str,
    raw_store: Path,
    previous: PreviousFetch | None = None,
    force: bool = False,
    max_bytes: int = DEFAULT_MAX_BYTES,
    timeout: float = 30.0,
    retries: int = 3,
    backoff: float = 0.5,
    max_retry_wait: float = 60.0,
    session: requests.Session | None = None,
) -> FetchResult:
    """Fetch one source into the raw store and say whether its content changed.

    ``status`` is 'fetched' (new content), 'unchanged' (same SHA-256 as ``previous`` or an
    HTTP 304) or 'failed'. ``changed`` is True only when the body differs from
    ``previous.sha256``, or when ``force`` is set (which also skips the conditional GET).
    ``retries`` is the number of retries after the first attempt.
    """
    if mode not in MODES:
        raise ValueError(f"{source_id}: mode must be one of {MODES}, not {mode!r}")
    if max_bytes <= 0:
        raise ValueError(f"{source_id}: max_bytes must be positive, not {max_bytes!r}")
    raw_store = Path(raw_store)
    url = str(url)

    scheme = urllib.parse.urlsplit(url).scheme.lower()
    if scheme in ("http", "https"):
        fetch = _fetch_http
    elif scheme == "file" or scheme == "" or len(scheme) == 1:  # len 1: a Windows drive letter
        fetch = _fetch_local
    else:
        return _failed(source_id, url, mode, f"{source_id}: cannot fetch {url}: unsupported URL scheme {scheme!r}")

    return fetch(
        source_id,
        url,
        mode=mode,
        raw_store=raw_store,
        previous=previous,
        force=force,
        max_bytes=max_bytes,
        timeout=timeout,
        retries=max(0, int(retries)),
        backoff=backoff,
        max_retry_wait=max_retry_wait,
        session=session,
    )


# --------------------------------------------------------------------------- results


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _one_line(text: str) -> str:
    text = " ".join(str(text).split())
    if len(text) > _MAX_ERROR_CHARS:
        text = text[: _MAX_ERROR_CHARS - 1] + "…"
    return text


def _failed(
    source_id: str,
    url: str,
    mode: str,
    error: str,
    *,
    http_status: int | None = None,
    attempts: int = 1,
    etag: str | None = None,
    last_modified: str | None = None,
) -> FetchResult:
    result = FetchResult(
        source_id=source_id,
        url=url,
        mode=mode,
        status="failed",
        http_status=http_status,
        bytes=0,
        sha256=None,
        etag=etag,
        last_modified=last_modified,
        changed=False,
        fetched_at=_now(),
        error=_one_line(error),
        raw_path=None,
        attempts=attempts,
    )
    log.warning("%s", result.error)
    return result


def _success(
    source_id: str,
    url: str,
    mode: str,
    body: bytes,
    *,
    raw_store: Path,
    previous: PreviousFetch | None,
    force: bool,
    http_status: int | None,
    etag: str | None,
    last_modified: str | None,
    attempts: int,
    action: str,
) -> FetchResult:
    """Hash, store and classify a complete body."""
    if not body:
        return _failed(
            source_id,
            url,
            mode,
            f"{source_id}: {action} {url} failed: empty document (0 bytes)",
            http_status=http_status,
            attempts=attempts,
            etag=etag,
            last_modified=last_modified,
        )
    sha256 = hashlib.sha256(body).hexdigest()
    try:
        path = _store(raw_store, body, sha256)
    except OSError as exc:
        return _failed(
            source_id,
            url,
            mode,
            f"{source_id}: {action} {url} succeeded but storing the body in {raw_store} failed: {exc}",
            http_status=http_status,
            attempts=attempts,
            etag=etag,
            last_modified=last_modified,
        )
    changed = force or previous is None or previous.sha256 != sha256
    result = FetchResult(
        source_id=source_id,
        url=url,
        mode=mode,
        status="fetched" if changed else "unchanged",
        http_status=http_status,
        bytes=len(body),
        sha256=sha256,
        etag=etag,
        last_modified=last_modified,
        changed=changed,
        fetched_at=_now(),
        error=None,
        raw_path=path,
        attempts=attempts,
        body=body,
    )
    log.info("%s: %s %s -> %s (%d bytes, sha256 %s)", source_id, action, url, result.status, len(body), sha256[:12])
    return result


# --------------------------------------------------------------------------- local files


def _local_path(url: str) -> Path:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme.lower() == "file":
        if parts.netloc not in ("", "localhost"):
            raise ValueError(f"file URL with a remote host {parts.netloc!r} is not supported")
        return Path(urllib.request.url2pathname(parts.path))
    return Path(url).expanduser()


def _fetch_local(
    source_id: str,
    url: str,
    *,
    mode: str,
    raw_store: Path,
    previous: PreviousFetch | None,
    force: bool,
    max_bytes: int,
    **_http_options: object,
) -> FetchResult:
    def fail(reason: str) -> FetchResult:
        return _failed(source_id, url, mode, f"{source_id}: read {url} failed: {reason}")

    try:
        path = _local_path(url)
    except ValueError as exc:
        return fail(str(exc))
    try:
        if not path.exists():
            return fail(f"file not found: {path}")
        if not path.is_file():
            return fail(f"not a regular file: {path}")
        size = path.stat().st_size
        if size > max_bytes:
            return fail(f"file of {size} bytes is larger than the size cap of {max_bytes} bytes")
        with path.open("rb") as fh:
            body = fh.read(max_bytes + 1)  # the file may grow between stat and read
    except OSError as exc:
        return fail(f"{type(exc).__name__}: {exc.strerror or exc}")
    if len(body) > max_bytes:
        return fail(f"file is larger than the size cap of {max_bytes} bytes")
    return _success(
        source_id,
        url,
        mode,
        body,
        raw_store=raw_store,
        previous=previous,
        force=force,
        http_status=None,
        etag=None,
        last_modified=None,
        attempts=1,
        action="read",
    )


# --------------------------------------------------------------------------- HTTP


class _Attempt:
    """The outcome of one GET: a complete body, a 304, or a failure (retryable or not)."""

    def __init__(
        self,
        *,
        http_status: int | None = None,
        body: bytes | None = None,
        reason: str | None = None,
        retryable: bool = False,
        retry_after: float | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> None:
        self.http_status = http_status
        self.body = body
        self.reason = reason
        self.retryable = retryable
        self.retry_after = retry_after
        self.etag = etag
        self.last_modified = last_modified


def _status_text(code: int, reason: str | None) -> str:
    """``HTTP 503 Service Unavailable``: the standard phrase, else whatever the server sent."""
    try:
        reason = HTTPStatus(code).phrase
    except ValueError:
        reason = reason or ""
    return f"HTTP {code} {reason}".rstrip()


def _parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - _now()).total_seconds())


_ERRNO_RE = re.compile(r"\[Errno -?\d+\][^'\")]*")


def _describe_exception(exc: BaseException, timeout: float) -> str:
    text = str(exc)
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return f"connection timed out after {timeout:g} s"
    if isinstance(exc, requests.exceptions.ReadTimeout) or "read timed out" in text.lower():
        return f"read timed out (no data for {timeout:g} s)"
    if isinstance(exc, requests.exceptions.SSLError):
        return f"TLS error: {text}"
    errno = _ERRNO_RE.search(text)
    if errno:
        return f"connection error: {errno.group(0).strip()}"
    return f"{type(exc).__name__}: {text}"


def _get_once(
    session: requests.Session,
    url: str,
    headers: dict[str, str],
    *,
    max_bytes: int,
    timeout: float,
) -> _Attempt:
    try:
        response = session.get(url, headers=headers, timeout=(timeout, timeout), stream=True)
    except requests.exceptions.RequestException as exc:
        return _Attempt(reason=_describe_exception(exc, timeout), retryable=True)

    with response:
        code = response.status_code
        etag = response.headers.get("ETag")
        last_modified = response.headers.get("Last-Modified")
        meta = {"http_status": code, "etag": etag, "last_modified": last_modified}
        if code == 304:
            return _Attempt(**meta)
        if code in RETRY_STATUSES:
            return _Attempt(
                reason=_status_text(code, response.reason),
                retryable=True,
                retry_after=_parse_retry_after(response.headers.get("Retry-After")),
                **meta,
            )
        if not 200 <= code < 300:
            return _Attempt(reason=_status_text(code, response.reason), **meta)

        declared: int | None = None
        raw_length = response.headers.get("Content-Length")
        if raw_length is not None:
            try:
                declared = int(raw_length.strip())
            except ValueError:
                declared = None
        if declared is not None and declared > max_bytes:
            return _Attempt(
                reason=f"Content-Length of {declared} bytes is larger than the size cap of {max_bytes} bytes",
                **meta,
            )
        # With a Content-Encoding, Content-Length counts the encoded bytes on the wire.
        encoded = response.headers.get("Content-Encoding", "identity").strip().lower() not in ("", "identity")

        chunks: list[bytes] = []
        total = 0

        def received() -> int:
            """Bytes that arrived before the transfer broke off (on the wire, as Content-Length counts)."""
            try:
                on_wire = int(response.raw.tell())
            except Exception:  # noqa: BLE001 - best effort, only for the message
                return total
            return on_wire if encoded else max(total, on_wire)

        try:
            for chunk in response.iter_content(chunk_size=_CHUNK_SIZE):
                if not chunk:
                    continue
                total += len(chunk)
                if total > max_bytes:
                    return _Attempt(
                        reason=f"body is larger than the size cap of {max_bytes} bytes (stopped reading at {total} bytes)",
                        **meta,
                    )
                chunks.append(chunk)
        except requests.exceptions.ContentDecodingError as exc:
            encoding = response.headers.get("Content-Encoding")
            return _Attempt(reason=f"body could not be decoded (Content-Encoding: {encoding}): {exc}", **meta)
        except requests.exceptions.ChunkedEncodingError as exc:
            if declared is not None:
                reason = f"truncated: got {received()} of {declared} bytes"
            else:
                reason = f"truncated: transfer broke off after {received()} bytes ({_describe_exception(exc, timeout)})"
            return _Attempt(reason=reason, retryable=True, **meta)
        except requests.exceptions.RequestException as exc:
            reason = _describe_exception(exc, timeout)
            if declared is not None and "timed out" not in reason:
                reason = f"truncated: got {received()} of {declared} bytes ({reason})"
            return _Attempt(reason=reason, retryable=True, **meta)

        if declared is not None and not encoded and total < declared:
            return _Attempt(reason=f"truncated: got {total} of {declared} bytes", retryable=True, **meta)
        return _Attempt(body=b"".join(chunks), **meta)


def _get_with_retries(
    session: requests.Session,
    source_id: str,
    url: str,
    headers: dict[str, str],
    *,
    max_bytes: int,
    timeout: float,
    retries: int,
    backoff: float,
    max_retry_wait: float,
) -> tuple[_Attempt, int]:
    """GET until success, a non-retryable outcome, or ``retries`` retries; returns (outcome, attempts)."""
    attempts = 0
    while True:
        attempts += 1
        outcome = _get_once(session, url, headers, max_bytes=max_bytes, timeout=timeout)
        if outcome.reason is None or not outcome.retryable or attempts > retries:
            return outcome, attempts
        if outcome.retry_after is not None:
            wait = outcome.retry_after
            why = "Retry-After"
        else:
            wait = backoff * (2 ** (attempts - 1))
            why = "back-off"
        wait = max(0.0, min(wait, max_retry_wait))
        log.warning(
            "%s: GET %s attempt %d of %d failed (%s); retrying in %.2f s (%s)",
            source_id,
            url,
            attempts,
            retries + 1,
            outcome.reason,
            wait,
            why,
        )
        if wait:
            time.sleep(wait)


def _fetch_http(
    source_id: str,
    url: str,
    *,
    mode: str,
    raw_store: Path,
    previous: PreviousFetch | None,
    force: bool,
    max_bytes: int,
    timeout: float,
    retries: int,
    backoff: float,
    max_retry_wait: float,
    session: requests.Session | None,
) -> FetchResult:
    own_session = session is None
    if own_session:
        session = requests.Session()
    assert session is not None
    try:
        base_headers: dict[str, str] = {}
        session_agent = session.headers.get("User-Agent", "")
        if own_session or not session_agent or session_agent.startswith("python-requests"):
            base_headers["User-Agent"] = USER_AGENT

        # A conditional GET only makes sense when the previous body can be read back.
        conditional: dict[str, str] = {}
        stored: bytes | None = None
        if previous is not None and not force and (previous.etag or previous.last_modified):
            stored = _stored_body(raw_store, previous.sha256)
            if stored is not None:
                if previous.etag:
                    conditional["If-None-Match"] = previous.etag
                if previous.last_modified:
                    conditional["If-Modified-Since"] = previous.last_modified

        options = dict(
            max_bytes=max_bytes,
            timeout=timeout,
            retries=retries,
            backoff=backoff,
            max_retry_wait=max_retry_wait,
        )
        outcome, attempts = _get_with_retries(
            session, source_id, url, {**base_headers, **conditional}, **options
        )

        if outcome.reason is None and outcome.http_status == 304:
            if conditional and previous is not None:
                # Re-read: the stored body may have gone since the check above.
                stored = _stored_body(raw_store, previous.sha256)
            if stored is not None and previous is not None and previous.sha256:
                result = FetchResult(
                    source_id=source_id,
                    url=url,
                    mode=mode,
                    status="unchanged",
                    http_status=304,
                    bytes=len(stored),
                    sha256=previous.sha256,
                    etag=outcome.etag or previous.etag,
                    last_modified=outcome.last_modified or previous.last_modified,
                    changed=False,
                    fetched_at=_now(),
                    error=None,
                    raw_path=raw_path_for(raw_store, previous.sha256),
                    attempts=attempts,
                    body=stored,
                )
                log.info("%s: GET %s -> 304 Not Modified (sha256 %s)", source_id, url, previous.sha256[:12])
                return result
            # 304 but nothing to fall back on: ask again without conditions.
            log.warning("%s: GET %s answered 304 but the stored body is missing; refetching", source_id, url)
            retry_outcome, more = _get_with_retries(session, source_id, url, base_headers, **options)
            attempts += more
            outcome = retry_outcome
            if outcome.reason is None and outcome.http_status == 304:
                outcome.reason = "server answered 304 Not Modified to an unconditional GET"

        if outcome.reason is not None:
            what = "failed" if attempts == 1 else f"failed after {attempts} attempts"
            return _failed(
                source_id,
                url,
                mode,
                f"{source_id}: GET {url} {what}: {outcome.reason}",
                http_status=outcome.http_status,
                attempts=attempts,
                etag=outcome.etag,
                last_modified=outcome.last_modified,
            )

        assert outcome.body is not None
        return _success(
            source_id,
            url,
            mode,
            outcome.body,
            raw_store=raw_store,
            previous=previous,
            force=force,
            http_status=outcome.http_status,
            etag=outcome.etag,
            last_modified=outcome.last_modified,
            attempts=attempts,
            action="GET",
        )
    finally:
        if own_session:
            session.close()


WORLD_BANK_API_PATH = re.compile(r"/v2/(?:[a-z]{2}/)?country/[^/]+/indicator/[^/]+/?$", re.IGNORECASE)


def is_world_bank_api(url: str) -> bool:
    """A World Bank Indicators API v2 URL (paged JSON), e.g.
    https://api.worldbank.org/v2/country/all/indicator/SP.POP.TOTL"""
    parts = urllib.parse.urlsplit(url)
    return parts.scheme in ("http", "https") and bool(WORLD_BANK_API_PATH.search(parts.path))


def _with_query(url: str, **params: str) -> str:
    parts = urllib.parse.urlsplit(url)
    query = [(k, v) for k, v in urllib.parse.parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    query += list(params.items())
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


def fetch_world_bank_pages(source_id: str, url: str, *, mode: str, raw_store: Path,
                           previous: PreviousFetch | None = None, force: bool = False,
                           per_page: int = 20000, max_pages: int = 200, **options) -> FetchResult:
    """Fetch every page of a World Bank API request (each page with the retries, size cap and
    timeouts of `fetch_source`) and store them as ONE document: a JSON array of the page bodies.
    The document's SHA-256 decides whether anything changed."""
    import json

    base = _with_query(url, format="json", per_page=str(per_page))
    first = fetch_source(source_id, _with_query(base, page="1"), mode=mode, raw_store=raw_store,
                         force=True, **options)
    if first.status == "failed":
        return first
    try:
        meta = json.loads(first.body)[0]
        pages = int(meta.get("pages") or 1) if isinstance(meta, dict) else 1
    except (ValueError, IndexError, KeyError, TypeError, AttributeError):
        pages = 1  # not a paged response: the extractor will say what is wrong with it
    if pages > max_pages:
        return _failed(source_id, url, mode, f"{source_id}: GET {url}: the API reports {pages} pages "
                                             f"(more than {max_pages})",
                       http_status=first.http_status, attempts=first.attempts)
    bodies = [first.body]
    attempts = first.attempts
    for number in range(2, pages + 1):
        page = fetch_source(source_id, _with_query(base, page=str(number)), mode=mode, raw_store=raw_store,
                            force=True, **options)
        attempts += page.attempts
        if page.status == "failed":
            return page
        bodies.append(page.body)
    body = b"[" + b",".join(bodies) + b"]"
    sha256 = hashlib.sha256(body).hexdigest()
    path = _store(raw_store, body, sha256)
    changed = force or previous is None or previous.sha256 != sha256
    return FetchResult(source_id=source_id, url=url, mode=mode, status="fetched" if changed else "unchanged",
                       http_status=first.http_status, bytes=len(body), sha256=sha256, etag=None,
                       last_modified=None, changed=changed, fetched_at=_now(), error=None, raw_path=path,
                       attempts=attempts, body=body)
