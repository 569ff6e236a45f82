"""flows/download.py (event dataset releases streamed to the raw store) against real local servers."""
from __future__ import annotations

import gzip
import hashlib
import socket
import threading

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from flows import download as download_module
from flows.download import download
from flows.fetch import PreviousFetch, raw_path_for

BODY = b"id,year\n" + b"".join(b"%d,2020\n" % i for i in range(1, 50_001))


def stored_files(store):
    return sorted(p for p in store.rglob("*") if p.is_file())


def test_streams_the_body_into_the_store_under_its_sha256(httpserver: HTTPServer, tmp_path, monkeypatch):
    monkeypatch.setattr(download_module, "CHUNK_BYTES", 4096)   # many chunks: the hash is computed as they come
    httpserver.expect_request("/ged.csv").respond_with_data(BODY, headers={"ETag": '"v1"'})
    result = download("ucdp_ged", httpserver.url_for("/ged.csv"), mode="live", raw_store=tmp_path)
    sha = hashlib.sha256(BODY).hexdigest()
    assert (result.status, result.sha256, result.bytes, result.etag) == ("fetched", sha, len(BODY), '"v1"')
    assert result.body is None and result.raw_path == raw_path_for(tmp_path, sha)
    assert result.raw_path.read_bytes() == BODY and stored_files(tmp_path) == [result.raw_path]


def test_an_unchanged_release_answers_304_and_is_not_downloaded_again(httpserver: HTTPServer, tmp_path):
    seen = []

    def respond(request: Request) -> Response:
        seen.append(request.headers.get("If-None-Match"))
        if request.headers.get("If-None-Match") == '"v1"':
            return Response(status=304, headers={"ETag": '"v1"'})
        return Response(BODY, headers={"ETag": '"v1"'})

    httpserver.expect_request("/ged.csv").respond_with_handler(respond)
    url = httpserver.url_for("/ged.csv")
    first = download("ucdp_ged", url, mode="live", raw_store=tmp_path)
    previous = PreviousFetch(sha256=first.sha256, etag=first.etag, last_modified=None)
    second = download("ucdp_ged", url, mode="live", raw_store=tmp_path, previous=previous)
    assert seen == [None, '"v1"']
    assert (second.status, second.changed, second.sha256, second.http_status) == ("unchanged", False, first.sha256, 304)


def test_a_compressed_transfer_is_stored_decoded(httpserver: HTTPServer, tmp_path):
    httpserver.expect_request("/ged.csv").respond_with_data(gzip.compress(BODY), headers={"Content-Encoding": "gzip"})
    result = download("ucdp_ged", httpserver.url_for("/ged.csv"), mode="live", raw_store=tmp_path)
    assert result.status == "fetched" and result.raw_path.read_bytes() == BODY


def _cut_server(body_sent: bytes, length: int) -> tuple[socket.socket, int]:
    """A server that promises `length` bytes, sends `body_sent` and hangs up (every connection)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)

    def serve():
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                conn.recv(4096)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % length + body_sent)

    threading.Thread(target=serve, daemon=True).start()
    return server, server.getsockname()[1]


def test_a_cut_transfer_fails_the_source_in_one_line_and_leaves_nothing_behind(tmp_path):
    server, port = _cut_server(b"SECRET-ROW," * 3, 10_000)
    try:
        result = download("ucdp_ged", f"http://127.0.0.1:{port}/ged.csv", mode="live", raw_store=tmp_path, retries=0)
    finally:
        server.close()
    assert result.status == "failed" and result.error.startswith(f"ucdp_ged: cannot fetch http://127.0.0.1:{port}/ged.csv: ")
    assert "\n" not in result.error and "SECRET-ROW" not in result.error
    assert stored_files(tmp_path) == []          # no partial file in the raw store


def test_server_errors_are_retried_then_the_release_is_stored(httpserver: HTTPServer, tmp_path, monkeypatch):
    monkeypatch.setattr(download_module.time, "sleep", lambda seconds: None)
    answers = iter([Response("busy", status=503), Response("busy", status=503), Response(BODY)])
    httpserver.expect_request("/ged.csv").respond_with_handler(lambda request: next(answers))
    result = download("ucdp_ged", httpserver.url_for("/ged.csv"), mode="live", raw_store=tmp_path, retries=2)
    assert (result.status, result.attempts, result.bytes) == ("fetched", 3, len(BODY))


def test_a_release_over_the_size_cap_fails_and_is_not_kept(httpserver: HTTPServer, tmp_path):
    """Sent without a declared size (chunked), the body is counted as it comes and stopped at the cap."""
    chunks = [BODY[i:i + 4096] for i in range(0, len(BODY), 4096)]
    httpserver.expect_request("/ged.csv").respond_with_handler(lambda request: Response(iter(chunks)))
    result = download("ucdp_ged", httpserver.url_for("/ged.csv"), mode="live", raw_store=tmp_path, max_bytes=10_000)
    assert result.status == "failed" and "larger than the 10,000-byte cap" in result.error
    assert stored_files(tmp_path) == []


@pytest.mark.parametrize("scheme", ["path", "file"])
def test_a_local_file_is_copied_into_the_store(tmp_path, scheme):
    source = tmp_path / "ged.csv"
    source.write_bytes(BODY)
    url = str(source) if scheme == "path" else source.as_uri()
    result = download("ucdp_ged", url, mode="live", raw_store=tmp_path / "raw")
    assert result.status == "fetched" and result.raw_path.read_bytes() == BODY and result.last_modified


def test_a_disk_that_fills_up_fails_the_source_in_one_line(httpserver: HTTPServer, tmp_path, monkeypatch):
    real_fdopen = download_module.os.fdopen

    class FullDisk:
        """A file that takes 20,000 bytes, then fails as a full disk does."""

        def __init__(self, fh):
            self.fh, self.written = fh, 0

        def write(self, chunk):
            self.written += len(chunk)
            if self.written > 20_000:
                raise OSError(28, "No space left on device")
            return self.fh.write(chunk)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.fh.close()

    monkeypatch.setattr(download_module.os, "fdopen", lambda fd, mode: FullDisk(real_fdopen(fd, mode)))
    monkeypatch.setattr(download_module, "CHUNK_BYTES", 4096)
    httpserver.expect_request("/ged.csv").respond_with_data(BODY)
    result = download("ucdp_ged", httpserver.url_for("/ged.csv"), mode="live", raw_store=tmp_path)
    assert result.status == "failed" and "No space left on device" in result.error and "\n" not in result.error
    assert stored_files(tmp_path) == []


def test_a_release_declared_over_the_cap_fails_before_its_body(tmp_path):
    """A server announcing a terabyte is refused on its headers: nothing is read, reserved or kept."""
    server, port = _cut_server(b"SECRET-ROW," * 3, 10**12)
    try:
        result = download("ucdp_ged", f"http://127.0.0.1:{port}/ged.csv", mode="live", raw_store=tmp_path,
                          retries=0, max_bytes=10_000)
    finally:
        server.close()
    assert result.status == "failed" and "declares 1,000,000,000,000 bytes, over the 10,000-byte cap" in result.error
    assert "\n" not in result.error and "SECRET-ROW" not in result.error
    assert stored_files(tmp_path) == []


def test_a_disk_without_room_for_the_declared_size_fails_before_writing(httpserver: HTTPServer, tmp_path, monkeypatch):
    reserved = []

    def no_room(fd, offset, length):
        reserved.append(length)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(download_module.os, "posix_fallocate", no_room)
    httpserver.expect_request("/ged.csv").respond_with_data(BODY)
    result = download("ucdp_ged", httpserver.url_for("/ged.csv"), mode="live", raw_store=tmp_path)
    assert reserved == [len(BODY)]
    assert result.status == "failed" and f"no room for its {len(BODY):,} bytes in the raw store" in result.error
    assert stored_files(tmp_path) == []


def test_a_filesystem_that_cannot_reserve_still_stores_the_release(httpserver: HTTPServer, tmp_path, monkeypatch):
    def unsupported(fd, offset, length):
        raise OSError(95, "Operation not supported")

    monkeypatch.setattr(download_module.os, "posix_fallocate", unsupported)
    httpserver.expect_request("/ged.csv").respond_with_data(BODY)
    result = download("ucdp_ged", httpserver.url_for("/ged.csv"), mode="live", raw_store=tmp_path)
    assert result.status == "fetched" and result.raw_path.read_bytes() == BODY


def test_a_reserved_file_keeps_exactly_the_bytes_received(tmp_path):
    """Reserved for more than arrives (a local file that shrinks while it is copied): the stored file is
    truncated to what was hashed, never a tail of zeros under the body's SHA-256."""
    store = tmp_path / "raw"
    sha, size, path = download_module._into_store(store, iter([BODY[:1000], BODY[1000:2000]]), max_bytes=10**9,
                                                  declared=len(BODY))
    assert size == 2000 and path.read_bytes() == BODY[:2000] and sha == hashlib.sha256(BODY[:2000]).hexdigest()
