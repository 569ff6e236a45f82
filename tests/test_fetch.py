"""flows/fetch.py against real local servers (pytest-httpserver, and a raw socket server for
broken transfers). Nothing here mocks `requests`."""

from __future__ import annotations

import gzip
import hashlib
import logging
import socket
import threading
import time
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path

import pytest
import requests
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from flows.fetch import (
    DEFAULT_MAX_BYTES,
    USER_AGENT,
    FetchResult,
    PreviousFetch,
    TransientFetchError,
    fetch_source,
    raw_path_for,
    read_raw,
)

BODY = b"country,travelled\nBelgium,470\nFrance,1700\n"
SHA = hashlib.sha256(BODY).hexdigest()
# Tiny back-off so the whole file runs in a few seconds.
FAST = {"backoff": 0.01, "max_retry_wait": 5.0, "timeout": 5.0}


@pytest.fixture
def store(tmp_path: Path) -> Path:
    return tmp_path / "raw"


def stored_files(store: Path) -> list[Path]:
    return [p for p in store.rglob("*") if p.is_file()] if store.exists() else []


def previous_of(result: FetchResult) -> PreviousFetch:
    return PreviousFetch(sha256=result.sha256, etag=result.etag, last_modified=result.last_modified)


def recording_handler(seen: list[dict], response_for):
    """A werkzeug handler that records each request's headers, then answers."""

    def handler(request: Request) -> Response:
        seen.append(dict(request.headers))
        return response_for(request)

    return handler


# --------------------------------------------------------------------------- 200 and the store


def test_200_stores_body_under_its_sha256(httpserver: HTTPServer, store: Path):
    seen: list[dict] = []
    httpserver.expect_request("/doc.csv").respond_with_handler(
        recording_handler(seen, lambda r: Response(BODY, headers={"ETag": '"v1"'}))
    )
    url = httpserver.url_for("/doc.csv")

    result = fetch_source("icsr_2015_01", url, mode="live", raw_store=store, **FAST)

    assert result.status == "fetched"
    assert result.changed is True
    assert result.error is None
    assert result.http_status == 200
    assert result.attempts == 1
    assert result.sha256 == SHA == hashlib.sha256(BODY).hexdigest()
    assert result.bytes == len(BODY)
    assert result.body == BODY
    assert result.etag == '"v1"'
    assert result.raw_path == raw_path_for(store, SHA) == store / SHA[:2] / SHA
    assert result.raw_path.read_bytes() == BODY
    assert read_raw(store, SHA) == BODY
    assert result.fetched_at.tzinfo is not None
    assert result.fetched_at.utcoffset() == timedelta(0)
    assert seen[0]["User-Agent"] == USER_AGENT
    assert "If-None-Match" not in seen[0] and "If-Modified-Since" not in seen[0]
    # No temporary files left behind.
    assert stored_files(store) == [result.raw_path]


def test_as_record_has_the_meta_fetches_columns(httpserver: HTTPServer, store: Path):
    httpserver.expect_request("/doc.csv").respond_with_data(BODY)
    result = fetch_source("icsr_2015_01", httpserver.url_for("/doc.csv"), mode="live", raw_store=store, **FAST)
    record = result.as_record()
    assert list(record) == [
        "source_id", "url", "mode", "status", "http_status", "bytes", "sha256", "etag",
        "last_modified", "changed", "fetched_at", "error", "attempts",
    ]
    assert record["source_id"] == "icsr_2015_01"
    assert record["mode"] == "live"
    assert record["sha256"] == SHA
    assert BODY.decode() not in repr(result)  # the body stays out of logs and reprs


# --------------------------------------------------------------------------- conditional GET


def test_etag_conditional_get_gives_304_unchanged(httpserver: HTTPServer, store: Path):
    seen: list[dict] = []

    def respond(request: Request) -> Response:
        if request.headers.get("If-None-Match") == '"v1"':
            return Response(status=304, headers={"ETag": '"v1"'})
        return Response(BODY, headers={"ETag": '"v1"'})

    httpserver.expect_request("/doc.csv").respond_with_handler(recording_handler(seen, respond))
    url = httpserver.url_for("/doc.csv")

    first = fetch_source("icsr_2015_01", url, mode="live", raw_store=store, **FAST)
    second = fetch_source("icsr_2015_01", url, mode="live", raw_store=store, previous=previous_of(first), **FAST)

    assert seen[1].get("If-None-Match") == '"v1"'
    assert second.http_status == 304
    assert second.status == "unchanged"
    assert second.changed is False
    assert second.body == BODY
    assert second.sha256 == SHA
    assert second.bytes == len(BODY)
    assert second.etag == '"v1"'
    assert second.raw_path == raw_path_for(store, SHA)


def test_last_modified_conditional_get(httpserver: HTTPServer, store: Path):
    stamp = "Wed, 21 Oct 2015 07:28:00 GMT"
    seen: list[dict] = []

    def respond(request: Request) -> Response:
        if request.headers.get("If-Modified-Since") == stamp:
            return Response(status=304)
        return Response(BODY, headers={"Last-Modified": stamp})

    httpserver.expect_request("/doc.csv").respond_with_handler(recording_handler(seen, respond))
    url = httpserver.url_for("/doc.csv")

    first = fetch_source("soufan_2015_12", url, mode="live", raw_store=store, **FAST)
    assert first.last_modified == stamp and first.etag is None
    second = fetch_source("soufan_2015_12", url, mode="live", raw_store=store, previous=previous_of(first), **FAST)

    assert seen[1].get("If-Modified-Since") == stamp
    assert "If-None-Match" not in seen[1]
    assert (second.status, second.http_status, second.changed) == ("unchanged", 304, False)
    assert second.body == BODY
    assert second.last_modified == stamp  # kept from previous when the 304 does not repeat it


def test_304_with_missing_stored_body_refetches_unconditionally(httpserver: HTTPServer, store: Path):
    seen: list[dict] = []

    def respond(request: Request) -> Response:
        if request.headers.get("If-None-Match"):
            return Response(status=304)
        return Response(BODY, headers={"ETag": '"v1"'})

    httpserver.expect_request("/doc.csv").respond_with_handler(recording_handler(seen, respond))
    url = httpserver.url_for("/doc.csv")

    # The warehouse remembers a fetch whose bytes are not in this store: no conditional GET.
    previous = PreviousFetch(sha256=SHA, etag='"v1"')
    result = fetch_source("icsr_2015_01", url, mode="live", raw_store=store, previous=previous, **FAST)
    assert "If-None-Match" not in seen[0]
    assert result.status == "unchanged"  # same bytes as remembered
    assert result.http_status == 200
    assert result.changed is False
    assert raw_path_for(store, SHA).read_bytes() == BODY

    # The stored body is corrupt: it is not trusted either.
    raw_path_for(store, SHA).write_bytes(b"garbage")
    result = fetch_source("icsr_2015_01", url, mode="live", raw_store=store, previous=previous, **FAST)
    assert "If-None-Match" not in seen[1]
    assert result.status == "unchanged" and result.body == BODY
    assert read_raw(store, SHA) == BODY  # healed


def test_force_skips_conditional_get_and_marks_changed(httpserver: HTTPServer, store: Path):
    seen: list[dict] = []
    httpserver.expect_request("/doc.csv").respond_with_handler(
        recording_handler(seen, lambda r: Response(BODY, headers={"ETag": '"v1"'}))
    )
    url = httpserver.url_for("/doc.csv")
    first = fetch_source("icsr_2015_01", url, mode="live", raw_store=store, **FAST)

    forced = fetch_source(
        "icsr_2015_01", url, mode="live", raw_store=store, previous=previous_of(first), force=True, **FAST
    )
    assert "If-None-Match" not in seen[1]
    assert forced.status == "fetched"
    assert forced.changed is True
    assert forced.sha256 == first.sha256


def test_same_body_without_etag_is_unchanged(httpserver: HTTPServer, store: Path):
    httpserver.expect_request("/doc.csv").respond_with_data(BODY)
    url = httpserver.url_for("/doc.csv")
    first = fetch_source("icsr_2015_01", url, mode="live", raw_store=store, **FAST)
    second = fetch_source("icsr_2015_01", url, mode="live", raw_store=store, previous=previous_of(first), **FAST)
    assert first.status == "fetched" and first.changed is True
    assert second.status == "unchanged"
    assert second.changed is False
    assert second.http_status == 200
    assert second.body == BODY
    assert stored_files(store) == [raw_path_for(store, SHA)]


def test_new_content_is_fetched_and_changed(httpserver: HTTPServer, store: Path):
    httpserver.expect_request("/doc.csv").respond_with_data(BODY + b"Germany,960\n")
    result = fetch_source(
        "icsr_2015_01", httpserver.url_for("/doc.csv"), mode="live", raw_store=store,
        previous=PreviousFetch(sha256=SHA), **FAST,
    )
    assert result.status == "fetched" and result.changed is True and result.sha256 != SHA


# --------------------------------------------------------------------------- retries


def test_500_then_200_is_retried(httpserver: HTTPServer, store: Path, caplog):
    httpserver.expect_oneshot_request("/doc.csv").respond_with_data("boom", status=500)
    httpserver.expect_request("/doc.csv").respond_with_data(BODY)
    with caplog.at_level(logging.WARNING, logger="ftf.fetch"):
        result = fetch_source("icsr_2015_01", httpserver.url_for("/doc.csv"), mode="live", raw_store=store, **FAST)
    assert result.status == "fetched"
    assert result.attempts == 2
    assert result.body == BODY
    assert len(httpserver.log) == 2   # urllib3's Retry on the session's adapter did the second GET


def test_429_honours_retry_after_seconds(httpserver: HTTPServer, store: Path):
    httpserver.expect_oneshot_request("/doc.csv").respond_with_data("slow down", status=429, headers={"Retry-After": "1"})
    httpserver.expect_request("/doc.csv").respond_with_data(BODY)
    started = time.monotonic()
    result = fetch_source("icsr_2015_01", httpserver.url_for("/doc.csv"), mode="live", raw_store=store, **FAST)
    elapsed = time.monotonic() - started
    assert result.status == "fetched" and result.attempts == 2
    assert elapsed >= 0.95  # waited for Retry-After, not the 0.01 s back-off


def test_retry_after_http_date_is_honoured(httpserver: HTTPServer, store: Path):
    when = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=2), usegmt=True)
    httpserver.expect_oneshot_request("/doc.csv").respond_with_data("", status=503, headers={"Retry-After": when})
    httpserver.expect_request("/doc.csv").respond_with_data(BODY)
    started = time.monotonic()
    result = fetch_source("icsr_2015_01", httpserver.url_for("/doc.csv"), mode="live", raw_store=store, **FAST)
    elapsed = time.monotonic() - started
    assert result.status == "fetched" and result.attempts == 2
    # HTTP-dates have one-second resolution: the wait is between ~1 and 2 s.
    assert 0.5 <= elapsed < 3.5


def test_max_retry_wait_caps_a_huge_retry_after(httpserver: HTTPServer, store: Path):
    httpserver.expect_oneshot_request("/doc.csv").respond_with_data("", status=429, headers={"Retry-After": "3600"})
    httpserver.expect_request("/doc.csv").respond_with_data(BODY)
    started = time.monotonic()
    result = fetch_source(
        "icsr_2015_01", httpserver.url_for("/doc.csv"), mode="live", raw_store=store,
        **{**FAST, "max_retry_wait": 0.2},
    )
    elapsed = time.monotonic() - started
    assert result.status == "fetched" and result.attempts == 2
    assert 0.15 <= elapsed < 2.0


def test_persistent_503_fails_after_all_attempts(httpserver: HTTPServer, store: Path):
    httpserver.expect_request("/doc.csv").respond_with_data("down", status=503)
    url = httpserver.url_for("/doc.csv")
    with pytest.raises(TransientFetchError) as raised:   # raised, so the Prefect task retries it later
        fetch_source("icsr_2015_01", url, mode="live", raw_store=store, retries=3, **FAST)
    result = raised.value.result
    assert str(raised.value) == result.error
    assert result.status == "failed"
    assert result.attempts == 4
    assert len(httpserver.log) == 4
    assert result.http_status == 503
    assert result.error == (f"icsr_2015_01: GET {url} failed after 4 attempts: "
                            "HTTP 503 Service Unavailable on every attempt")
    assert "\n" not in result.error
    assert result.sha256 is None and result.raw_path is None and result.body is None
    assert result.changed is False
    assert stored_files(store) == []


def test_404_fails_without_retries(httpserver: HTTPServer, store: Path):
    httpserver.expect_request("/missing.csv").respond_with_data("nope", status=404)
    url = httpserver.url_for("/missing.csv")
    result = fetch_source("icsr_2015_01", url, mode="live", raw_store=store, retries=3, **FAST)
    assert result.status == "failed"
    assert result.attempts == 1
    assert len(httpserver.log) == 1
    assert result.http_status == 404
    assert result.error == f"icsr_2015_01: GET {url} failed: HTTP 404 Not Found"


def test_empty_body_fails(httpserver: HTTPServer, store: Path):
    httpserver.expect_request("/empty.csv").respond_with_data(b"")
    result = fetch_source("icsr_2015_01", httpserver.url_for("/empty.csv"), mode="live", raw_store=store, **FAST)
    assert result.status == "failed"
    assert "empty document" in result.error
    assert stored_files(store) == []


# --------------------------------------------------------------------------- timeouts and broken connections


@pytest.fixture
def slow_server():
    """A threaded server whose handler stalls until the test ends (or 10 s)."""
    release = threading.Event()
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.expect_request("/slow").respond_with_handler(
        lambda request: (release.wait(10), Response(BODY))[1]
    )
    server.start()
    yield server
    release.set()
    server.stop()


def test_read_timeout_fails_with_timed_out(slow_server: HTTPServer, store: Path):
    url = slow_server.url_for("/slow")
    started = time.monotonic()
    with pytest.raises(TransientFetchError) as raised:
        fetch_source("icsr_2015_01", url, mode="live", raw_store=store, timeout=0.3, retries=1, backoff=0.01)
    result = raised.value.result
    elapsed = time.monotonic() - started
    assert result.status == "failed"
    assert result.attempts == 2
    assert "timed out" in result.error
    assert result.error.startswith(f"icsr_2015_01: GET {url} failed after 2 attempts:")
    assert elapsed < 3


class RawServer:
    """A tiny socket server that answers every connection with fixed bytes, then closes."""

    def __init__(self, payload: bytes):
        self.payload = payload
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def url(self, path: str = "/doc.csv") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (socket.timeout, OSError):
                continue
            with conn:
                self.connections += 1
                conn.settimeout(2)
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                conn.sendall(self.payload)
                conn.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


@pytest.fixture
def raw_server():
    servers: list[RawServer] = []

    def make(payload: bytes) -> RawServer:
        servers.append(RawServer(payload))
        return servers[-1]

    yield make
    for server in servers:
        server.close()


def test_truncated_body_fails(raw_server, store: Path):
    server = raw_server(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\nContent-Length: 100\r\nConnection: close\r\n\r\n"
        + b"x" * 40
    )
    with pytest.raises(TransientFetchError) as raised:   # a broken transfer is worth another try: Prefect's
        fetch_source("icsr_2015_01", server.url(), mode="live", raw_store=store, retries=1, **FAST)
    result = raised.value.result
    assert result.status == "failed"
    assert result.attempts == 1 == server.connections
    assert "truncated: got 40 of 100 bytes" in result.error
    assert result.error.startswith(f"icsr_2015_01: GET {server.url()} failed:")
    assert stored_files(store) == []


def test_truncated_chunked_body_fails(raw_server, store: Path):
    server = raw_server(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        + b"10\r\n" + b"y" * 16 + b"\r\n"  # the terminating 0-chunk never comes
    )
    with pytest.raises(TransientFetchError) as raised:
        fetch_source("icsr_2015_01", server.url(), mode="live", raw_store=store, retries=0, **FAST)
    result = raised.value.result
    assert result.status == "failed"
    assert result.attempts == 1
    assert "truncated" in result.error
    assert stored_files(store) == []


def test_connection_refused_fails_after_retries(store: Path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/doc.csv"
    with pytest.raises(TransientFetchError) as raised:
        fetch_source("icsr_2015_01", url, mode="live", raw_store=store, retries=2, **FAST)
    result = raised.value.result
    assert result.status == "failed"
    assert result.attempts == 3
    assert result.http_status is None
    assert result.error.startswith(f"icsr_2015_01: GET {url} failed after 3 attempts: connection error")
    assert "refused" in result.error.lower()


# --------------------------------------------------------------------------- size cap


def test_oversize_by_content_length_is_rejected_early(httpserver: HTTPServer, store: Path):
    httpserver.expect_request("/big.csv").respond_with_data(b"z" * 5000)
    result = fetch_source(
        "icsr_2015_01", httpserver.url_for("/big.csv"), mode="live", raw_store=store, max_bytes=1000, **FAST
    )
    assert result.status == "failed"
    assert result.attempts == 1
    assert "Content-Length of 5000 bytes is larger than the size cap of 1000 bytes" in result.error
    assert stored_files(store) == []


def test_oversize_while_streaming_is_rejected(httpserver: HTTPServer, store: Path):
    produced = []

    def stream(request: Request) -> Response:
        def chunks():
            for _ in range(50):
                produced.append(1)
                yield b"z" * 1000

        return Response(chunks(), mimetype="text/csv")  # no Content-Length

    httpserver.expect_request("/stream.csv").respond_with_handler(stream)
    result = fetch_source(
        "icsr_2015_01", httpserver.url_for("/stream.csv"), mode="live", raw_store=store, max_bytes=2500, **FAST
    )
    assert result.status == "failed"
    assert result.attempts == 1
    assert "larger than the size cap of 2500 bytes" in result.error
    assert "Content-Length" not in result.error  # caught while streaming, not from the header
    assert stored_files(store) == []


def test_gzip_body_is_stored_decoded(httpserver: HTTPServer, store: Path):
    compressed = gzip.compress(BODY)
    httpserver.expect_request("/doc.csv").respond_with_data(compressed, headers={"Content-Encoding": "gzip"})
    result = fetch_source("icsr_2015_01", httpserver.url_for("/doc.csv"), mode="live", raw_store=store, **FAST)
    assert result.status == "fetched"
    assert result.body == BODY and result.sha256 == SHA  # the document's hash, not the wire encoding's


def test_body_exactly_at_the_cap_is_accepted(httpserver: HTTPServer, store: Path):
    httpserver.expect_request("/doc.csv").respond_with_data(BODY)
    result = fetch_source(
        "icsr_2015_01", httpserver.url_for("/doc.csv"), mode="live", raw_store=store, max_bytes=len(BODY), **FAST
    )
    assert result.status == "fetched"


# --------------------------------------------------------------------------- local files


def test_local_path_and_file_url(tmp_path: Path, store: Path):
    mirror = tmp_path / "mirror" / "icsr 2015.csv"
    mirror.parent.mkdir()
    mirror.write_bytes(BODY)

    by_path = fetch_source("icsr_2015_01", str(mirror), mode="mirror", raw_store=store)
    assert by_path.status == "fetched" and by_path.changed is True
    assert by_path.mode == "mirror"
    assert by_path.http_status is None
    assert by_path.sha256 == SHA and by_path.body == BODY
    assert by_path.raw_path == raw_path_for(store, SHA) and by_path.raw_path.read_bytes() == BODY
    assert by_path.attempts == 1

    by_url = fetch_source(
        "icsr_2015_01", mirror.as_uri(), mode="live", raw_store=store, previous=previous_of(by_path)
    )
    assert "%20" in mirror.as_uri()
    assert by_url.status == "unchanged" and by_url.changed is False
    assert by_url.sha256 == SHA and by_url.body == BODY

    by_pathlib = fetch_source("icsr_2015_01", mirror, mode="mirror", raw_store=store, force=True)  # type: ignore[arg-type]
    assert by_pathlib.status == "fetched" and by_pathlib.changed is True


def test_missing_local_file_fails_clearly(tmp_path: Path, store: Path):
    missing = tmp_path / "nowhere" / "doc.csv"
    result = fetch_source("icsr_2015_01", str(missing), mode="mirror", raw_store=store)
    assert result.status == "failed"
    assert result.error == f"icsr_2015_01: read {missing} failed: file not found: {missing}"
    result = fetch_source("icsr_2015_01", missing.as_uri(), mode="mirror", raw_store=store)
    assert result.status == "failed" and "file not found" in result.error
    assert stored_files(store) == []


def test_local_oversize_and_empty_files_fail(tmp_path: Path, store: Path):
    big = tmp_path / "big.csv"
    big.write_bytes(b"z" * 2000)
    result = fetch_source("icsr_2015_01", str(big), mode="mirror", raw_store=store, max_bytes=1000)
    assert result.status == "failed" and "larger than the size cap of 1000 bytes" in result.error

    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    result = fetch_source("icsr_2015_01", str(empty), mode="mirror", raw_store=store)
    assert result.status == "failed" and "empty document" in result.error

    result = fetch_source("icsr_2015_01", str(tmp_path), mode="mirror", raw_store=store)
    assert result.status == "failed" and "not a regular file" in result.error
    assert stored_files(store) == []


# --------------------------------------------------------------------------- odds and ends


def test_unsupported_scheme_and_bad_mode(store: Path):
    result = fetch_source("icsr_2015_01", "ftp://example.org/doc.csv", mode="live", raw_store=store)
    assert result.status == "failed" and "unsupported URL scheme 'ftp'" in result.error
    with pytest.raises(ValueError):
        fetch_source("icsr_2015_01", "/tmp/x", mode="offline", raw_store=store)


def test_a_callers_session_is_used(httpserver: HTTPServer, store: Path):
    seen: list[dict] = []
    httpserver.expect_request("/doc.csv").respond_with_handler(recording_handler(seen, lambda r: Response(BODY)))
    with requests.Session() as session:
        session.headers["X-Trace"] = "abc"
        result = fetch_source(
            "icsr_2015_01", httpserver.url_for("/doc.csv"), mode="live", raw_store=store, session=session, **FAST
        )
    assert result.status == "fetched"
    assert seen[0]["X-Trace"] == "abc"
    assert seen[0]["User-Agent"] == USER_AGENT


def test_raw_path_for_rejects_non_hashes(store: Path):
    for bad in ["", "../../etc/passwd", SHA.upper(), SHA[:-1]]:
        with pytest.raises(ValueError):
            raw_path_for(store, bad)
    with pytest.raises(FileNotFoundError):
        read_raw(store, SHA)


def test_default_size_cap():
    assert DEFAULT_MAX_BYTES == 50 * 1024 * 1024
