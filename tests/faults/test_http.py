"""Broken and hostile HTTP (a real local server, pytest-httpserver, and a raw socket server for broken
transfers): each case fails the source alone with one line, or loads it when the fault is transient
and goes away, and never writes a failed body to the raw store."""
from __future__ import annotations

import dataclasses
import gzip
import socket
import threading
import time

import pytest
from werkzeug import Response

from flows import pipeline
from flows.catalog import load_catalog
from flows.fetch import PreviousFetch, TransientFetchError, fetch_source, raw_path_for
from tests.faults.harness import HEALTHY, current_rows, files_outside_raw, one_line, run_sources

CATALOG = load_catalog()
SOURCE = "icsr_2015_01"
GOOD = CATALOG[SOURCE].mirror_path.read_bytes()
FAST = {"backoff": 0.01, "max_retry_wait": 1.0, "timeout": 3.0}


def raw_files(where) -> set:
    return {p for p in where.raw.rglob("*") if p.is_file()} if where.raw.exists() else set()


def run_live(warehouse, url: str):
    """The faulty source fetched from `url` beside a healthy mirror source; the four assertions."""
    before, files_before, raw_before = current_rows(warehouse, SOURCE), files_outside_raw(warehouse), raw_files(warehouse)
    _, outcomes = run_sources(warehouse, [SOURCE, HEALTHY], overrides={SOURCE: url}, force=True)
    assert outcomes[HEALTHY].status == "loaded"
    assert files_outside_raw(warehouse) == files_before
    return outcomes[SOURCE], before, raw_before


def assert_failed_alone(warehouse, outcome, before, raw_before, expect: str) -> None:
    assert outcome.status == "failed"
    assert one_line(outcome.error) and outcome.error.startswith(f"{SOURCE}: "), outcome.error
    assert expect in outcome.error, outcome.error
    assert current_rows(warehouse, SOURCE) == before
    assert raw_files(warehouse) == raw_before          # the failed body was never stored


def test_5xx_storm_fails_the_source_after_the_adapters_retries(warehouse, httpserver):
    httpserver.expect_request("/icsr.csv").respond_with_data("upstream down", status=503)
    outcome, before, raw_before = run_live(warehouse, httpserver.url_for("/icsr.csv"))
    assert_failed_alone(warehouse, outcome, before, raw_before, "HTTP 503 Service Unavailable on every attempt")
    assert len(httpserver.log) == 4                    # 1 + urllib3 Retry(total=3)


def test_429_with_retry_after_then_200_loads(warehouse, httpserver):
    httpserver.expect_oneshot_request("/icsr.csv").respond_with_data("slow down", status=429, headers={"Retry-After": "1"})
    httpserver.expect_request("/icsr.csv").respond_with_data(GOOD)
    started = time.monotonic()
    outcome, _, _ = run_live(warehouse, httpserver.url_for("/icsr.csv"))
    assert outcome.status == "loaded" and outcome.fetch["attempts"] == 2
    assert time.monotonic() - started >= 0.95


def test_404_fails_at_once(warehouse, httpserver):
    httpserver.expect_request("/icsr.csv").respond_with_data("<html>secret page</html>", status=404)
    outcome, before, raw_before = run_live(warehouse, httpserver.url_for("/icsr.csv"))
    assert_failed_alone(warehouse, outcome, before, raw_before, "failed: HTTP 404 Not Found")
    assert "secret" not in outcome.error and len(httpserver.log) == 1


def test_an_html_error_page_with_200_fails_without_echoing_it(warehouse, httpserver):
    page = b"<html><head><title>Login</title></head><body>token=SECRET123 " + b"x" * 500 + b"</body></html>"
    httpserver.expect_request("/icsr.csv").respond_with_data(page, content_type="text/html")
    outcome, before, _ = run_live(warehouse, httpserver.url_for("/icsr.csv"))
    assert outcome.status == "failed" and one_line(outcome.error)
    assert "SECRET123" not in outcome.error
    assert current_rows(warehouse, SOURCE) == before


def test_oversize_body_is_refused(warehouse, httpserver, monkeypatch):
    from flows import fetch as fetch_module
    original = fetch_module.fetch_source

    def capped(source_id, *args, **kwargs):   # a 1,000-byte cap for the faulty source only
        return original(source_id, *args, **{**kwargs, **({"max_bytes": 1000} if source_id == SOURCE else {})})

    monkeypatch.setattr(pipeline, "fetch_source", capped)
    httpserver.expect_request("/icsr.csv").respond_with_data(GOOD)
    outcome, before, raw_before = run_live(warehouse, httpserver.url_for("/icsr.csv"))
    assert_failed_alone(warehouse, outcome, before, raw_before, "larger than the size cap of 1000 bytes")


def test_gzip_bomb_stops_at_the_size_cap(tmp_path, httpserver):
    bomb = gzip.compress(b"0" * 5_000_000)
    httpserver.expect_request("/bomb.csv").respond_with_data(bomb, headers={"Content-Encoding": "gzip"})
    result = fetch_source(SOURCE, httpserver.url_for("/bomb.csv"), mode="live", raw_store=tmp_path, max_bytes=100_000,
                          **FAST)
    assert result.status == "failed" and "larger than the size cap of 100000 bytes" in result.error
    assert not any(tmp_path.rglob("*"))


def test_a_slow_drip_is_stopped_by_the_deadline(tmp_path):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    stop = threading.Event()

    def drip():
        conn, _ = server.accept()
        with conn:
            conn.recv(4096)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
            while not stop.is_set():
                try:
                    conn.sendall(b"x")
                except OSError:
                    return
                time.sleep(0.2)   # one byte every 0.2 s: never a read timeout, never done

    thread = threading.Thread(target=drip, daemon=True)
    thread.start()
    started = time.monotonic()
    try:
        result = fetch_source(SOURCE, f"http://127.0.0.1:{port}/drip.csv", mode="live", raw_store=tmp_path,
                              deadline=1.5, **FAST)
    finally:
        stop.set()
        server.close()
    assert result.status == "failed" and "took longer than the deadline of 1.5 s" in result.error
    assert time.monotonic() - started < 5
    assert not any(tmp_path.rglob("*"))


def test_deadline_comes_from_source_toml_timeout(monkeypatch):
    source = dataclasses.replace(CATALOG[SOURCE], raw={**CATALOG[SOURCE].raw, "timeout": 7})
    assert pipeline.fetch_options(source, "http://127.0.0.1:1/x")["deadline"] == 7.0
    assert pipeline.fetch_options(CATALOG[SOURCE], "http://127.0.0.1:1/x")["deadline"] == 120.0


def test_truncated_transfer_raises_for_the_task_retry(tmp_path):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    port = server.getsockname()[1]

    def serve():
        conn, _ = server.accept()
        with conn:
            conn.recv(4096)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\nConnection: close\r\n\r\n" + b"y" * 30)

    threading.Thread(target=serve, daemon=True).start()
    try:
        with pytest.raises(TransientFetchError) as raised:
            fetch_source(SOURCE, f"http://127.0.0.1:{port}/t.csv", mode="live", raw_store=tmp_path, **FAST)
    finally:
        server.close()
    assert "truncated: got 30 of 100 bytes" in str(raised.value) and one_line(str(raised.value))
    assert not any(tmp_path.rglob("*"))


def test_redirect_to_another_local_port_is_refused_and_not_followed(warehouse, httpserver):
    from pytest_httpserver import HTTPServer
    other = HTTPServer(host="127.0.0.1", port=0)
    other.expect_request("/secret").respond_with_data("root:x:0:0:SECRET")
    other.start()
    try:
        httpserver.expect_request("/icsr.csv").respond_with_data(
            "", status=302, headers={"Location": other.url_for("/secret")})
        outcome, before, raw_before = run_live(warehouse, httpserver.url_for("/icsr.csv"))
        assert_failed_alone(warehouse, outcome, before, raw_before, "redirect to ")
        assert "host not in the source's allowed hosts" in outcome.error and "SECRET" not in outcome.error
        assert len(other.log) == 0                       # never contacted
    finally:
        other.stop()


def test_redirect_to_a_file_url_is_refused(warehouse, httpserver):
    httpserver.expect_request("/icsr.csv").respond_with_data("", status=301, headers={"Location": "file:///etc/passwd"})
    outcome, before, raw_before = run_live(warehouse, httpserver.url_for("/icsr.csv"))
    assert_failed_alone(warehouse, outcome, before, raw_before, "redirect to file:///etc/passwd refused")


def test_a_redirect_loop_fails(warehouse, httpserver):
    httpserver.expect_request("/icsr.csv").respond_with_data("", status=302, headers={"Location": "/icsr.csv"})
    outcome, before, raw_before = run_live(warehouse, httpserver.url_for("/icsr.csv"))
    assert_failed_alone(warehouse, outcome, before, raw_before, "too many redirects")


def test_loopback_is_refused_when_the_sources_own_url_is_public(tmp_path, httpserver):
    httpserver.expect_request("/doc.csv").respond_with_data(GOOD)
    result = fetch_source(SOURCE, httpserver.url_for("/doc.csv"), mode="live", raw_store=tmp_path,
                          own_urls=["https://icsr.info/"], allowed_hosts={"localhost", "127.0.0.1"}, **FAST)
    assert result.status == "failed" and "a private, loopback or link-local address" in result.error
    assert len(httpserver.log) == 0


@pytest.mark.parametrize("url", ["http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/x", "http://[::1]:9/x"],
                         ids=["link-local-metadata", "private-10", "ipv6-loopback"])
def test_internal_addresses_are_refused_for_a_public_source(tmp_path, url):
    result = fetch_source(SOURCE, url, mode="live", raw_store=tmp_path, own_urls=["https://icsr.info/"],
                          allowed_hosts={"169.254.169.254", "10.0.0.1", "::1"}, **FAST)
    assert result.status == "failed" and "a private, loopback or link-local address" in result.error


def test_archive_refuses_a_document_url_outside_the_allowed_hosts(warehouse, httpserver):
    source = CATALOG["soufan_2017_10"]
    fetched = pipeline.fetch(source, mode="mirror", raw_store=warehouse.raw, previous=None, force=True)
    outcome = pipeline.process(source, fetched, force=True)
    httpserver.expect_request("/article").respond_with_data(b"<html>article</html>", content_type="text/html")
    frame = outcome.frame.copy()
    frame["document_url"] = [httpserver.url_for("/article")] * (len(frame) - 1) + ["http://127.0.0.1:9/internal-admin"]
    outcome.frame = frame
    source = dataclasses.replace(source, original_url=httpserver.url_for("/article"))
    pipeline.archive_documents(source, outcome, mode="live", raw_store=warehouse.raw)
    by_url = {a["url"]: a for a in outcome.archives}
    refused = by_url["http://127.0.0.1:9/internal-admin"]
    assert refused["outcome"] == "archive_failed" and "host not in the source's allowed hosts" in refused["error"]
    assert by_url[httpserver.url_for("/article")]["outcome"] == "archived"
    assert outcome.status == "loaded"


def test_304_with_a_corrupt_stored_body_refetches_and_repairs(tmp_path, httpserver):
    seen = []

    def answer(request):
        seen.append(request.headers.get("If-None-Match"))
        if request.headers.get("If-None-Match") == '"v1"':
            return Response(status=304)
        return Response(GOOD, headers={"ETag": '"v1"'})

    httpserver.expect_request("/doc.csv").respond_with_handler(answer)
    url = httpserver.url_for("/doc.csv")
    first = fetch_source(SOURCE, url, mode="live", raw_store=tmp_path, **FAST)
    raw_path_for(tmp_path, first.sha256).write_bytes(b"x" * len(GOOD))           # same size, wrong bytes
    again = fetch_source(SOURCE, url, mode="live", raw_store=tmp_path, **FAST,
                         previous=PreviousFetch(sha256=first.sha256, etag='"v1"'))
    assert seen == [None, None]                  # a corrupt copy is no basis for a conditional GET
    assert again.repaired and again.body == GOOD
    assert raw_path_for(tmp_path, first.sha256).read_bytes() == GOOD
