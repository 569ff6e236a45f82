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

import contextlib
import hashlib
import ipaddress
import logging
import os
import re
import socket
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http import HTTPStatus
from pathlib import Path

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from warehouse.fetches import PreviousFetch  # noqa: F401  (flows.fetch.PreviousFetch, as before)

__all__ = [
    "DEFAULT_DEADLINE_SECONDS",
    "DEFAULT_MAX_BYTES",
    "FetchRefused",
    "TransientFetchError",
    "hosts_of",
    "http_session",
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
DEFAULT_DEADLINE_SECONDS = 120.0   # one fetch, all of it (source.toml `timeout` overrides)
USER_AGENT = "ftf-warehouse/0.1 (+https://github.com/ftf-warehouse)"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MODES = ("mirror", "live")

_CHUNK_SIZE = 64 * 1024
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
_MAX_ERROR_CHARS = 500


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
    repaired: bool = False               # the raw store's copy was corrupt and has been rewritten
    release_base: str | None = None      # event sources: SHA-256 of the release file last loaded (line-delta base)

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


def _intact(path: Path, sha256: str) -> bool:
    """Whether the stored file exists and still hashes to its name."""
    h = hashlib.sha256()
    try:
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    except OSError:
        return False
    return h.hexdigest() == sha256


def _store(raw_store: Path, body: bytes, sha256: str) -> tuple[Path, bool]:
    """Write ``body`` into the store (atomically). A file already there is verified first: if its
    bytes no longer hash to its name it is reported and rewritten from ``body`` (repaired)."""
    path = raw_path_for(raw_store, sha256)
    repaired = path.exists()
    if repaired:
        if _intact(path, sha256):
            return path, False
        log.warning("raw store: %s no longer matches its SHA-256; repaired from the fetched document", path)
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
    return path, repaired


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
    deadline: float = DEFAULT_DEADLINE_SECONDS,
    retries: int = 3,
    backoff: float = 0.5,
    max_retry_wait: float = 60.0,
    allowed_hosts=None,
    own_urls=None,
    session: requests.Session | None = None,
) -> FetchResult:
    """Fetch one source into the raw store and say whether its content changed.

    ``status`` is 'fetched' (new content), 'unchanged' (same SHA-256 as ``previous`` or an
    HTTP 304) or 'failed'. ``changed`` is True only when the body differs from
    ``previous.sha256``, or when ``force`` is set (which also skips the conditional GET).
    ``retries`` is the number of retries after the first attempt (urllib3's Retry on the
    session's adapter: connection errors, 429 and 5xx, honouring Retry-After); ``timeout`` is per
    socket operation and ``deadline`` bounds the whole fetch (a slow drip fails). ``allowed_hosts``
    ("host" or "host:port") limits where it and its redirects may go, besides the hosts of
    ``own_urls`` (the source's own URLs; default: ``url``); private, loopback and link-local
    addresses are refused unless one of ``own_urls`` is one.

    Raises ``TransientFetchError`` (its ``.result`` is the failed FetchResult) when the failure is
    worth retrying later: 5xx/429 on every attempt, a reset or truncated transfer.
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
        deadline=deadline,
        retries=max(0, int(retries)),
        backoff=backoff,
        max_retry_wait=max_retry_wait,
        allowed_hosts=allowed_hosts,
        own_urls=[str(u) for u in own_urls] if own_urls else [url],
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


def failed_result(source_id: str, url: str, mode: str, error: str) -> FetchResult:
    """A failed fetch with a one-line error (for callers that turn an exception into a result)."""
    return _failed(source_id, url, mode, error)


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
        path, repaired = _store(raw_store, body, sha256)
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
        repaired=repaired,
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


# --------------------------------------------------------------------------- hosts a source may reach


class FetchRefused(Exception):
    """A URL (or a redirect to it) outside the hosts the source may reach."""


def _netloc(url: str) -> tuple[str, int | None]:
    parts = urllib.parse.urlsplit(url)
    host = (parts.hostname or "").lower().rstrip(".")
    try:
        port = parts.port
    except ValueError:
        port = None
    if port == {"http": 80, "https": 443}.get(parts.scheme.lower()):
        port = None
    return host, port


def hosts_of(*urls: str | None) -> set[str]:
    """``host`` or ``host:port`` (a non-default port) of each http(s) URL given."""
    out = set()
    for url in urls:
        if isinstance(url, str) and url.lower().startswith(("http://", "https://")):
            host, port = _netloc(url)
            if host:
                out.add(f"{host}:{port}" if port else host)
    return out


def _host_allowed(url: str, allowed: set[str]) -> bool:
    """An entry ``host`` allows that host on any port; ``host:port`` only that port."""
    host, port = _netloc(url)
    return host in allowed or (port is not None and f"{host}:{port}" in allowed)


def _is_internal(host: str) -> bool:
    """True when `host` is (or resolves to) a private, loopback, link-local or reserved address."""
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError, OSError):
        return False  # unresolvable: the GET itself will fail with a clear message
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if (address.is_private or address.is_loopback or address.is_link_local or address.is_reserved
                or address.is_multicast or address.is_unspecified):
            return True
    return False


class _HostPolicy:
    """Where one fetch may go: its allowed hosts, and internal addresses only when the source's
    own URL is internal (tests and local mirrors on 127.0.0.1)."""

    def __init__(self, own_urls: list[str], allowed_hosts) -> None:
        self.allowed = {h.lower() for h in (allowed_hosts or ())} | hosts_of(*own_urls)
        self.internal_ok = any(_is_internal(_netloc(u)[0]) for u in own_urls if u.lower().startswith("http"))

    def check(self, url: str, *, what: str) -> None:
        if not url.lower().startswith(("http://", "https://")):
            raise FetchRefused(f"{what} to {url} refused: only http(s) is followed")
        if not _host_allowed(url, self.allowed):
            raise FetchRefused(f"{what} to {url} refused: host not in the source's allowed hosts "
                               f"({', '.join(sorted(self.allowed))})")
        if not self.internal_ok and _is_internal(_netloc(url)[0]):
            raise FetchRefused(f"{what} to {url} refused: a private, loopback or link-local address")

    def redirect_hook(self, response: requests.Response, **_kwargs) -> requests.Response:
        if response.is_redirect:
            target = urllib.parse.urljoin(response.url, response.headers.get("Location", ""))
            self.check(target, what="redirect")
        return response


# --------------------------------------------------------------------------- HTTP


class TransientFetchError(RuntimeError):
    """A failure worth trying again later (5xx/429 after the adapter's retries, a reset or truncated
    transfer): raised so the Prefect task retries it. ``.result`` is the failed FetchResult."""

    def __init__(self, result: "FetchResult") -> None:
        super().__init__(result.error)
        self.result = result

    def __reduce__(self):  # picklable for Prefect
        return (TransientFetchError, (self.result,))


class _Failure(Exception):
    def __init__(self, reason: str, *, transient: bool = False, http_status: int | None = None,
                 attempts: int | None = None) -> None:
        super().__init__(reason)
        self.reason, self.transient, self.http_status, self.attempts = reason, transient, http_status, attempts


def _status_text(code: int, reason: str | None) -> str:
    """``HTTP 503 Service Unavailable``: the standard phrase, else whatever the server sent."""
    try:
        reason = HTTPStatus(code).phrase
    except ValueError:
        reason = reason or ""
    return f"HTTP {code} {reason}".rstrip()


_ERRNO_RE = re.compile(r"\[Errno -?\d+\][^'\")]*")


def _describe_exception(exc: BaseException, timeout: float) -> str:
    text = str(exc)
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return f"connection timed out after {timeout:g} s"
    if isinstance(exc, requests.exceptions.ReadTimeout) or "read timed out" in text.lower():
        return f"read timed out (no data for {timeout:g} s)"
    if isinstance(exc, requests.exceptions.SSLError):
        return "TLS error"
    if isinstance(exc, requests.exceptions.RetryError):
        codes = re.findall(r"too many (\d{3}) error responses", text)
        return f"{_status_text(int(codes[0]), None)} on every attempt" if codes else "too many retries"
    errno = _ERRNO_RE.search(text)
    if errno:
        return f"connection error: {errno.group(0).strip()}"
    return f"connection error ({type(exc).__name__})"


def http_session(*, retries: int = 3, backoff: float = 0.5, max_retry_wait: float = 60.0) -> requests.Session:
    """A session whose adapter retries connection failures, 429 and 5xx (honouring Retry-After, capped
    at `max_retry_wait`) with exponential back-off and jitter: urllib3's Retry does the work."""
    retry = Retry(total=retries, connect=retries, read=retries, status=retries, other=0,
                  backoff_factor=backoff, backoff_max=max_retry_wait, backoff_jitter=backoff / 2,
                  status_forcelist=sorted(RETRY_STATUSES), allowed_methods=frozenset({"GET"}),
                  respect_retry_after_header=True, retry_after_max=max(1, int(max_retry_wait)),
                  raise_on_status=False, raise_on_redirect=False)
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = USER_AGENT
    return session


def _attempts(response: requests.Response | None) -> int:
    retries = getattr(getattr(response, "raw", None), "retries", None)
    return 1 + len(getattr(retries, "history", ()) or ())


def _declared_length(response: requests.Response, max_bytes: int) -> int | None:
    raw_length = response.headers.get("Content-Length")
    try:
        declared = int(raw_length.strip()) if raw_length is not None else None
    except ValueError:
        return None
    if declared is not None and declared > max_bytes:
        raise _Failure(f"Content-Length of {declared} bytes is larger than the size cap of {max_bytes} bytes",
                       http_status=response.status_code)
    return declared


class _Deadline:
    """The overall deadline of one fetch. A read blocked on a slow drip never returns by itself (each
    byte resets the socket timeout), so when the deadline passes a timer cuts the connection."""

    def __init__(self, response: requests.Response, deadline: float, seconds: float) -> None:
        self.response, self.deadline, self.seconds = response, deadline, seconds
        self.expired = threading.Event()
        self.timer = threading.Timer(max(0.0, deadline - time.monotonic()), self._expire)
        self.timer.daemon = True

    def _expire(self) -> None:
        self.expired.set()
        sock = getattr(getattr(self.response.raw, "_connection", None), "sock", None)
        with contextlib.suppress(OSError):
            if sock is not None:
                sock.shutdown(socket.SHUT_RDWR)

    def passed(self) -> bool:
        return self.expired.is_set() or time.monotonic() > self.deadline

    def failure(self, total: int) -> _Failure:
        return _Failure(f"took longer than the deadline of {self.seconds:g} s for one fetch "
                        f"(stopped after {total} bytes)", http_status=self.response.status_code)

    def __enter__(self) -> "_Deadline":
        self.timer.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.timer.cancel()


def _received(response: requests.Response, total: int, encoded: bool) -> int:
    """Bytes that arrived before the transfer broke off (on the wire, as Content-Length counts)."""
    try:
        on_wire = int(response.raw.tell())
    except Exception:  # noqa: BLE001 - best effort, only for the message
        return total
    return on_wire if encoded else max(total, on_wire)


def _broken_transfer(exc: BaseException, response: requests.Response, *, total: int, declared: int | None,
                     encoded: bool, timeout: float) -> _Failure:
    reason = _describe_exception(exc, timeout)
    if "timed out" not in reason:
        got = _received(response, total, encoded)
        reason = (f"truncated: got {got} of {declared} bytes" if declared is not None
                  else f"truncated: transfer broke off after {got} bytes")
    return _Failure(reason, transient=True, http_status=response.status_code)


def _read_body(response: requests.Response, *, max_bytes: int, timeout: float, deadline: float,
               deadline_seconds: float) -> bytes:
    """The whole body, within the size cap and the overall deadline of the fetch."""
    code = response.status_code
    declared = _declared_length(response, max_bytes)
    # With a Content-Encoding, Content-Length counts the encoded bytes on the wire.
    encoded = response.headers.get("Content-Encoding", "identity").strip().lower() not in ("", "identity")
    chunks: list[bytes] = []
    total = 0
    with _Deadline(response, deadline, deadline_seconds) as clock:
        try:
            for chunk in response.iter_content(chunk_size=_CHUNK_SIZE):
                total += len(chunk)
                if total > max_bytes:
                    raise _Failure(f"body is larger than the size cap of {max_bytes} bytes "
                                   f"(stopped reading at {total} bytes)", http_status=code)
                if clock.passed():
                    raise clock.failure(total)
                chunks.append(chunk)
        except requests.exceptions.ContentDecodingError:
            encoding = response.headers.get("Content-Encoding")
            raise _Failure(f"body could not be decoded (Content-Encoding: {encoding})", http_status=code) from None
        except (requests.exceptions.RequestException, OSError) as exc:
            if clock.passed():
                raise clock.failure(total) from None
            raise _broken_transfer(exc, response, total=total, declared=declared, encoded=encoded,
                                   timeout=timeout) from None
    if declared is not None and not encoded and total < declared:
        raise _Failure(f"truncated: got {total} of {declared} bytes", transient=True, http_status=code)
    return b"".join(chunks)


def _get(session: requests.Session, url: str, headers: dict[str, str], policy: _HostPolicy, *,
         max_bytes: int, timeout: float, deadline_seconds: float) -> tuple[requests.Response, bytes | None, int]:
    """One GET (the adapter retries inside it): (response, body or None for 304, attempts)."""
    deadline = time.monotonic() + deadline_seconds
    agent = session.headers.get("User-Agent", "")
    if not agent or agent.startswith("python-requests"):
        headers = {"User-Agent": USER_AGENT, **headers}
    try:
        response = session.get(url, headers=headers, timeout=(timeout, timeout), stream=True,
                               hooks={"response": [policy.redirect_hook]})
    except requests.exceptions.TooManyRedirects:
        raise _Failure("too many redirects") from None
    except requests.exceptions.RequestException as exc:
        retry = getattr(session.get_adapter(url), "max_retries", None)
        raise _Failure(_describe_exception(exc, timeout), transient=True,
                       attempts=1 + int(getattr(retry, "total", 0) or 0)) from None
    with response:
        attempts = _attempts(response)
        try:
            return response, _body_of(response, attempts, max_bytes=max_bytes, timeout=timeout,
                                       deadline=deadline, deadline_seconds=deadline_seconds), attempts
        except _Failure as failure:
            failure.attempts = attempts
            raise


def _body_of(response: requests.Response, attempts: int, **reading) -> bytes | None:
    """The body of a final response (None for a 304), or _Failure."""
    code = response.status_code
    if code == 304:
        return None
    if code in RETRY_STATUSES:
        raise _Failure(_status_text(code, response.reason) + (" on every attempt" if attempts > 1 else ""),
                       transient=True, http_status=code)
    if not 200 <= code < 300:
        raise _Failure(_status_text(code, response.reason), http_status=code)
    return _read_body(response, **reading)


def _conditional_headers(raw_store: Path, previous: PreviousFetch | None, force: bool) -> dict[str, str]:
    """A conditional GET only makes sense when the previous body can be read back (and verifies)."""
    if previous is None or force or not (previous.etag or previous.last_modified):
        return {}
    if _stored_body(raw_store, previous.sha256) is None:
        return {}
    conditional = {}
    if previous.etag:
        conditional["If-None-Match"] = previous.etag
    if previous.last_modified:
        conditional["If-Modified-Since"] = previous.last_modified
    return conditional


def _unchanged_304(source_id: str, url: str, mode: str, raw_store: Path, previous: PreviousFetch,
                   response: requests.Response, attempts: int) -> FetchResult | None:
    stored = _stored_body(raw_store, previous.sha256)  # re-read: it may have gone since the check
    if stored is None:
        return None
    log.info("%s: GET %s -> 304 Not Modified (sha256 %s)", source_id, url, previous.sha256[:12])
    return FetchResult(
        source_id=source_id, url=url, mode=mode, status="unchanged", http_status=304, bytes=len(stored),
        sha256=previous.sha256, etag=response.headers.get("ETag") or previous.etag,
        last_modified=response.headers.get("Last-Modified") or previous.last_modified, changed=False,
        fetched_at=_now(), error=None, raw_path=raw_path_for(raw_store, previous.sha256), attempts=attempts,
        body=stored)


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
    deadline: float,
    retries: int,
    backoff: float,
    max_retry_wait: float,
    allowed_hosts,
    own_urls: list[str],
    session: requests.Session | None,
) -> FetchResult:
    """GET `url` into the store. Raises TransientFetchError for failures worth retrying later."""
    policy = _HostPolicy(own_urls, allowed_hosts)
    try:
        policy.check(url, what="GET")
    except FetchRefused as exc:
        return _failed(source_id, url, mode, f"{source_id}: {exc}")
    own_session = session is None
    http = session if session is not None else http_session(retries=retries, backoff=backoff,
                                                          max_retry_wait=max_retry_wait)
    options = dict(max_bytes=max_bytes, timeout=timeout, deadline_seconds=deadline)
    attempts = 0
    try:
        conditional = _conditional_headers(raw_store, previous, force)
        response, body, attempts = _get(http, url, conditional, policy, **options)
        if body is None and previous is not None and conditional:
            unchanged = _unchanged_304(source_id, url, mode, raw_store, previous, response, attempts)
            if unchanged is not None:
                return unchanged
        if body is None:
            # 304 with nothing to fall back on: ask again without conditions.
            log.warning("%s: GET %s answered 304 but the stored body is missing; refetching", source_id, url)
            response, body, more = _get(http, url, {}, policy, **options)
            attempts += more
            if body is None:
                raise _Failure("server answered 304 Not Modified to an unconditional GET", http_status=304)
    except FetchRefused as exc:
        return _failed(source_id, url, mode, f"{source_id}: {exc}", attempts=max(1, attempts))
    except _Failure as failure:
        attempts = attempts + (failure.attempts or 1)
        what = "failed" if attempts <= 1 else f"failed after {attempts} attempts"
        result = _failed(source_id, url, mode, f"{source_id}: GET {url} {what}: {failure.reason}",
                         http_status=failure.http_status, attempts=max(1, attempts))
        if failure.transient:
            raise TransientFetchError(result) from None
        return result
    finally:
        if own_session:
            http.close()
    return _success(source_id, url, mode, body, raw_store=raw_store, previous=previous, force=force,
                    http_status=response.status_code, etag=response.headers.get("ETag"),
                    last_modified=response.headers.get("Last-Modified"), attempts=attempts, action="GET")


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
    path, repaired = _store(raw_store, body, sha256)
    changed = force or previous is None or previous.sha256 != sha256
    return FetchResult(source_id=source_id, url=url, mode=mode, status="fetched" if changed else "unchanged",
                       http_status=first.http_status, bytes=len(body), sha256=sha256, etag=None,
                       last_modified=None, changed=changed, fetched_at=_now(), error=None, raw_path=path,
                       attempts=attempts, body=body, repaired=repaired)
