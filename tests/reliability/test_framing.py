"""Every server option survives every framing: raw sockets against `harness mock` child processes.

Each server option runs both mocks in their own processes (so a crash is a dead process, not a dead test run,
and the server's memory is its own): the peak resident size is reset before each attack (/proc/PID/clear_refs)
and read after it (VmHWM), so "memory grew < 50 MB" is the peak during the request, not a later sample.
"""

from __future__ import annotations

import base64
import json
import os
import resource
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest
from rel_helpers import wait_for

from harness.framing import MAX_HEADERS

ROOT = Path(__file__).resolve().parents[2]
SERVERS = ("werkzeug", "werkzeug-keepalive", "waitress", "lean")
KEEP_ALIVE = ("werkzeug-keepalive", "waitress", "lean")
MB = 1024 * 1024
KEY = "framing-api-key-0123456789"
CLIENT_ID, SECRET = "framing-client", "framing-secret-0123456789"
TOKEN = "/service/oauth/v2/token"
COLLECT = "/collect/json/web"
IDLE_S = 3.0


@dataclass
class Mock:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path
    port: int

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        if self.popen.poll() is not None:
            return False
        status, _, _ = exchange(self.port, b"GET /__admin/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        return status == 200


def start_mock(tmp: Path, service: str, server: str, *, nofile: int | None = None) -> Mock:
    name = f"{service}-{server}" + (f"-nofile{nofile}" if nofile else "")
    ready, log = tmp / f"{name}.ready.json", tmp / f"{name}.log"
    args = [sys.executable, "-m", "harness", "mock", service, "--server", server, "--ready-file", str(ready),
            "--idle-timeout", str(IDLE_S)]
    if service == "ansira":
        beh = tmp / "behaviour.json"
        beh.write_text(json.dumps({"clients": [{"client_id": CLIENT_ID, "client_secret": SECRET}]}))
        args += ["--behaviour", str(beh)]
    else:
        args += ["--api-key-env", "FRAMING_KEY"]

    def limit_files() -> None:  # in the child, before exec: a low descriptor ceiling for the EMFILE test
        if nofile is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))

    with log.open("wb") as fh:
        popen = subprocess.Popen(args, cwd=ROOT, env={**os.environ, "FRAMING_KEY": KEY, "PYTHONPATH": str(ROOT)},
                                 stdout=fh, stderr=subprocess.STDOUT, preexec_fn=limit_files)

    def is_ready() -> bool:
        assert popen.poll() is None, f"{name} exited early: {log.read_text()[-2000:]}"
        return ready.exists()

    mock = Mock(name, popen, log, 0)
    try:
        wait_for(f"{name} ready file", is_ready, 60)
    except BaseException:
        stop(mock)
        raise
    return Mock(name, popen, log, int(json.loads(ready.read_text())["url"].rsplit(":", 1)[1]))


def stop(mock: Mock) -> None:
    if mock.popen.poll() is None:
        mock.popen.terminate()
        try:
            mock.popen.wait(20)
        except subprocess.TimeoutExpired:
            mock.popen.kill()
            mock.popen.wait(10)


@pytest.fixture(scope="module", params=SERVERS)
def mocks(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Mock]]:
    tmp = tmp_path_factory.mktemp(f"framing-{request.param}")
    started: dict[str, Mock] = {}
    try:
        started["ansira"] = start_mock(tmp, "ansira", request.param)
        started["lytics"] = start_mock(tmp, "lytics", request.param)
        yield started
    finally:
        for mock in started.values():
            stop(mock)


# -- raw HTTP --------------------------------------------------------------------------------------------------
def read_response(sock: socket.socket, buf: bytes = b"") -> tuple[int, dict[str, str], bytes, bytes]:
    """One response: status, headers (lower-case names), body, and whatever bytes followed it."""
    while b"\r\n\r\n" not in buf:
        data = sock.recv(65536)
        if not data:
            raise ConnectionError(f"connection closed before a full response head: {buf[:200]!r}")
        buf += data
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        data = sock.recv(65536)
        if not data:
            break
        rest += data
    return status, headers, rest[:length], rest[length:]


def closed_by_server(sock: socket.socket, leftover: bytes = b"", timeout: float = 10.0) -> bool:
    """True when the server ends the connection (EOF or reset) with nothing more sent."""
    if leftover:
        return False
    sock.settimeout(timeout)
    try:
        return sock.recv(65536) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def exchange(port: int, raw: bytes, *, half_close: bool = False) -> tuple[int, dict[str, str], bool]:
    """Send `raw`, read one response; also whether the server then closed the connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=15) as sock:
        sock.sendall(raw)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        status, headers, _body, rest = read_response(sock)
        return status, headers, closed_by_server(sock, rest)


def post_head(path: str, extra: str, *, content_type: str = "application/x-www-form-urlencoded") -> bytes:
    return (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n"
            f"Authorization: {KEY}\r\n{extra}\r\n").encode()


def basic_head(extra: str) -> bytes:
    auth = base64.b64encode(f"{CLIENT_ID}:{SECRET}".encode()).decode()
    return (f"POST {TOKEN} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            f"Authorization: Basic {auth}\r\n{extra}\r\n").encode()


def chunked(body: bytes, pieces: int = 3) -> bytes:
    step = max(1, len(body) // pieces)
    parts = [body[i:i + step] for i in range(0, len(body), step)]
    return b"".join(f"{len(p):x}\r\n".encode() + p + b"\r\n" for p in parts) + b"0\r\n\r\n"


# -- memory ----------------------------------------------------------------------------------------------------
class Peak:
    """The growth of a process's peak resident size over a block: baseline RSS before, VmHWM after."""

    def __init__(self, pid: int) -> None:
        self.pid = pid

    def __enter__(self) -> Peak:
        Path(f"/proc/{self.pid}/clear_refs").write_text("5")  # reset VmHWM to the current RSS
        self.before = psutil.Process(self.pid).memory_info().rss
        return self

    def __exit__(self, *exc: object) -> None:
        status = Path(f"/proc/{self.pid}/status").read_text()
        hwm_kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:"))
        self.grew_mb = (hwm_kb * 1024 - self.before) / MB


def stream_after(port: int, head: bytes, prefix: bytes, total: int) -> tuple[int, int]:
    """Send `head` + `prefix`, then pump up to `total` bytes until the server answers and closes.

    Returns the status and how many bytes went out before the server stopped taking them.
    """
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    answered = threading.Event()
    sent = 0
    block = b"7" * (256 * 1024)

    def pump() -> None:
        nonlocal sent
        try:
            while not answered.is_set() and sent < total:
                sock.sendall(block)
                sent += len(block)
        except OSError:
            pass  # the server answered and closed: what should happen

    sock.sendall(head + prefix)
    sender = threading.Thread(target=pump, daemon=True)
    sender.start()
    try:
        status, _, _, _ = read_response(sock)
    finally:
        answered.set()
        sender.join(60)
        sock.close()
    return status, sent


# -- the tests -------------------------------------------------------------------------------------------------
THE_103_BYTES = b"Transfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFFFF\r\nabc"


def test_the_103_byte_request_to_the_token_endpoint_is_a_400(mocks: dict[str, Mock]) -> None:
    ansira = mocks["ansira"]
    raw = f"POST {TOKEN} HTTP/1.1\r\nHost: x\r\n".encode() + THE_103_BYTES
    assert len(raw) <= 103
    with Peak(ansira.pid) as peak:
        status, _, closed = exchange(ansira.port, raw, half_close=True)
    assert status == 400 and closed
    assert ansira.alive() and peak.grew_mb < 50, f"peak grew {peak.grew_mb:.0f} MB"


def test_its_collect_twin_is_a_400_and_lytics_lives(mocks: dict[str, Mock]) -> None:
    lytics = mocks["lytics"]
    raw = f"POST {COLLECT} HTTP/1.1\r\nHost: x\r\nAuthorization: {KEY}\r\n".encode() + THE_103_BYTES
    with Peak(lytics.pid) as peak:
        status, _, closed = exchange(lytics.port, raw, half_close=True)
    assert status == 400 and closed
    assert lytics.alive() and peak.grew_mb < 50, f"peak grew {peak.grew_mb:.0f} MB"


@pytest.mark.parametrize("size_line", [b"-1", b"-5", b"FFFFFFFFFFFF"], ids=["minus1", "minus5", "huge-hex"])
@pytest.mark.parametrize("service", ["ansira", "lytics"])
def test_bad_chunk_size_then_300_mb_is_a_4xx_with_flat_memory(mocks: dict[str, Mock], service: str,
                                                              size_line: bytes) -> None:
    mock = mocks[service]
    path = TOKEN if service == "ansira" else COLLECT
    with Peak(mock.pid) as peak:
        status, sent = stream_after(mock.port, post_head(path, "Transfer-Encoding: chunked\r\n"),
                                    size_line + b"\r\n", 300 * MB)
    assert 400 <= status < 500, status
    assert status == (400 if size_line.startswith(b"-") else 413)
    assert sent < 100 * MB, f"{sent / MB:.0f} MB went out before the server stopped reading"
    assert peak.grew_mb < 50, f"peak grew {peak.grew_mb:.0f} MB"
    assert mock.alive()


@pytest.mark.parametrize(("service", "declared"), [("ansira", 2 * MB), ("lytics", 11 * MB)])
def test_an_oversized_content_length_is_a_413_without_reading_the_body(mocks: dict[str, Mock], service: str,
                                                                       declared: int) -> None:
    mock = mocks[service]
    path = TOKEN if service == "ansira" else COLLECT
    with socket.create_connection(("127.0.0.1", mock.port), timeout=15) as sock:
        sock.sendall(post_head(path, f"Content-Length: {declared}\r\n") + b"x" * 65536)
        status, _, _, _ = read_response(sock)  # answered with 64 KiB of the body sent, the rest never
    assert status == 413


def test_the_token_endpoint_refuses_a_chunked_body_over_1_mb(mocks: dict[str, Mock]) -> None:
    ansira = mocks["ansira"]
    body = b"grant_type=" + b"g" * (MB + 10)
    status, _, _ = exchange(ansira.port, basic_head("Transfer-Encoding: chunked\r\n") + chunked(body, 4))
    assert status == 413


def test_content_length_with_transfer_encoding_is_refused_and_nothing_smuggled(mocks: dict[str, Mock]) -> None:
    ansira = mocks["ansira"]
    smuggled = b"GET /__admin/health HTTP/1.1\r\nHost: x\r\n\r\n"
    raw = basic_head("Content-Length: 4\r\nTransfer-Encoding: chunked\r\n") + b"0\r\n\r\n" + smuggled
    with socket.create_connection(("127.0.0.1", ansira.port), timeout=15) as sock:
        sock.sendall(raw)
        status, _, _, rest = read_response(sock)
        assert status == 400
        assert closed_by_server(sock, rest), "a second response followed: the smuggled request was served"


def test_chunks_of_an_http_1_0_request_are_never_served_as_a_request(mocks: dict[str, Mock]) -> None:
    """waitress ignores Transfer-Encoding in HTTP/1.0: the chunk would have been parsed as the next request."""
    inner = b"GET /__admin/health HTTP/1.1\r\nHost: x\r\n\r\n"
    raw = (f"POST {TOKEN} HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n"
           f"{len(inner):x}\r\n").encode() + inner + b"\r\n0\r\n\r\n"
    with socket.create_connection(("127.0.0.1", mocks["ansira"].port), timeout=15) as sock:
        sock.sendall(raw)
        status, _, _, rest = read_response(sock)
        assert status in (400, 401)  # refused, or read as the token request's (form) body
        assert closed_by_server(sock, rest), "a second response followed: the chunk was served as a request"


@pytest.mark.parametrize("value", ["+4", "4, 4", "0x4", " 4x", "-4"])
def test_malformed_content_length_is_a_400_that_closes(mocks: dict[str, Mock], value: str) -> None:
    status, _, closed = exchange(mocks["ansira"].port, basic_head(f"Content-Length: {value}\r\n") + b"abcd")
    assert status == 400 and closed


@pytest.mark.parametrize("coding", ["xchunked", "chunked, chunked", "gzip"])
def test_unknown_transfer_encoding_is_refused_and_closes(mocks: dict[str, Mock], coding: str) -> None:
    status, _, closed = exchange(mocks["ansira"].port,
                                 basic_head(f"Transfer-Encoding: {coding}\r\n") + b"0\r\n\r\n")
    assert status == 400 and closed


def test_a_chunk_without_its_crlf_is_a_400(mocks: dict[str, Mock]) -> None:
    status, _, closed = exchange(mocks["ansira"].port,
                                 basic_head("Transfer-Encoding: chunked\r\n") + b"3\r\nabcX\r\n0\r\n\r\n")
    assert status == 400 and closed


def test_oversized_headers_are_a_431(mocks: dict[str, Mock]) -> None:
    big = "".join(f"X-Pad-{i}: {'p' * 30_000}\r\n" for i in range(3))  # 90 KB: no single line over 64 KiB
    status, _, closed = exchange(mocks["ansira"].port, f"GET /__admin/health HTTP/1.1\r\nHost: x\r\n{big}\r\n"
                                 .encode())
    assert status == 431 and closed


def test_too_many_headers_are_a_431(mocks: dict[str, Mock]) -> None:
    many = "".join(f"X-H-{i}: v\r\n" for i in range(MAX_HEADERS + 20))
    status, _, closed = exchange(mocks["lytics"].port, f"GET /__admin/health HTTP/1.1\r\nHost: x\r\n{many}\r\n"
                                 .encode())
    assert status == 431 and closed


def test_an_idle_connection_and_a_stalled_request_are_closed(mocks: dict[str, Mock]) -> None:
    port = mocks["ansira"].port
    for sent in (b"", b"POST /service/oauth/v2/token HTTP/1.1\r\nHost: x\r\n"):
        with socket.create_connection(("127.0.0.1", port), timeout=15) as sock:
            sock.sendall(sent)
            started = time.monotonic()
            assert closed_by_server(sock, timeout=60), f"{sent!r}: still open after 60 s"
            assert time.monotonic() - started >= IDLE_S * 0.5  # closed for idling, not at once


def _drip(port: int, head: bytes, drip: bytes, every_s: float, give_up_s: float) -> tuple[float, bytes]:
    """Send `head`, then `drip` one byte every `every_s`; how long until the server ended the connection, and
    what it answered (a 408 or nothing). AssertionError if it still listens after `give_up_s`."""
    with socket.create_connection(("127.0.0.1", port), timeout=15) as sock:
        sock.sendall(head)
        started = time.monotonic()
        for byte in drip:
            if time.monotonic() - started > give_up_s:
                raise AssertionError(f"still reading a request dripped for {give_up_s:g}s")
            try:
                sock.sendall(bytes([byte]))
            except OSError:  # reset: the server shut the connection down
                return time.monotonic() - started, b""
            sock.settimeout(every_s)
            try:
                answer = sock.recv(65536)
            except TimeoutError:
                continue  # still reading: drip on
            except ConnectionResetError:
                answer = b""
            return time.monotonic() - started, answer
        raise AssertionError("the whole request was dripped and the server waited for all of it")


@pytest.mark.parametrize("part", ["headers", "body"])
def test_a_slowly_dripped_request_is_cut_off_after_one_idle_timeout(mocks: dict[str, Mock], part: str) -> None:
    """Slowloris: a byte every IDLE_S / 6 never trips the per-receive idle timeout, yet the whole request gets one
    idle timeout from its first byte; without that bound each such client holds a server thread indefinitely."""
    port = mocks["lytics"].port
    every = IDLE_S / 6
    if part == "headers":
        head, drip = f"POST {COLLECT} HTTP/1.1\r\nHost: x\r\n".encode(), b"X-Slow: " + b"a" * 200
    else:
        head, drip = post_head(COLLECT, "Content-Length: 400\r\n", content_type="application/json"), b"[" * 400
    took, answer = _drip(port, head, drip, every, give_up_s=IDLE_S * 4)
    # cut within one idle timeout of the first byte, plus what the check's granularity allows: one drip interval
    # (waitress checks when a byte arrives) and its cleanup pass (at least 1 s)
    assert IDLE_S * 0.9 <= took <= IDLE_S + every + 1.5, took
    assert answer == b"" or (answer.startswith(b"HTTP/1.") and answer[9:12] == b"408"), answer[:200]
    assert mocks["lytics"].alive()


def test_a_valid_chunked_request_works_and_the_connection_lives_on(mocks: dict[str, Mock],
                                                                   request: pytest.FixtureRequest) -> None:
    server = request.node.callspec.params["mocks"]
    ansira, lytics = mocks["ansira"], mocks["lytics"]
    with socket.create_connection(("127.0.0.1", ansira.port), timeout=15) as sock:
        sock.sendall(basic_head("Transfer-Encoding: chunked\r\n") + chunked(b"grant_type=client_credentials"))
        status, headers, body, rest = read_response(sock)
        assert status == 200 and json.loads(body)["access_token"]
        if server in KEEP_ALIVE:
            sock.sendall(b"GET /__admin/health HTTP/1.1\r\nHost: x\r\n\r\n")
            status, _, body, _ = read_response(sock, rest)
            assert status == 200 and json.loads(body)["status"] == "ok"
        else:
            assert headers.get("connection") == "close" and closed_by_server(sock, rest)
    events = json.dumps([{"email": f"u{i}@x.com", "pad": "p" * 1000} for i in range(2000)]).encode()  # ~2 MB
    with socket.create_connection(("127.0.0.1", lytics.port), timeout=15) as sock:
        sock.sendall(post_head(COLLECT, "Transfer-Encoding: chunked\r\n", content_type="application/json")
                     + chunked(events, 7))
        status, _, body, rest = read_response(sock)
        assert status == 200 and json.loads(body)["data"]["message_count"] == 2000
        if server in KEEP_ALIVE:
            sock.sendall(post_head(COLLECT, "Content-Length: 2\r\n", content_type="application/json") + b"{}")
            status, _, body, _ = read_response(sock, rest)
            assert status == 200, body


def test_running_out_of_descriptors_pauses_accepting_and_it_resumes(mocks: dict[str, Mock],
                                                                     request: pytest.FixtureRequest,
                                                                     tmp_path: Path) -> None:
    server = request.node.callspec.params["mocks"]
    mock = start_mock(tmp_path, "lytics", server, nofile=96)
    held: list[socket.socket] = []
    try:
        for _ in range(150):  # more than the server may hold open: accept() fails with EMFILE for the rest
            held.append(socket.create_connection(("127.0.0.1", mock.port), timeout=15))
        wait_for("the server to run out of descriptors and say so",
                 lambda: "cannot accept connections: [Errno 24]" in mock.log.read_text(), 30)
        for sock in held:
            sock.close()
        held.clear()
        wait_for("the server to answer again", mock.alive, 60, every=0.2)
        assert mock.popen.poll() is None
    finally:
        for sock in held:
            sock.close()
        stop(mock)
    log = mock.log.read_text()
    assert "Traceback" not in log, log[-3000:]
    assert "accepting connections again" in log, log[-3000:]


def test_no_server_printed_a_traceback_or_an_error(mocks: dict[str, Mock]) -> None:
    """Bad requests are the client's failure: at most INFO lines, never a traceback or an ERROR/WARNING."""
    for mock in mocks.values():
        assert mock.popen.poll() is None, f"{mock.name} died"
        log = mock.log.read_text()
        assert "Traceback" not in log, log[-3000:]
        assert not [line for line in log.splitlines() if " ERROR " in line or " WARNING " in line], log[-3000:]
