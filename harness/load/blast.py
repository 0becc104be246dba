"""A minimal keep-alive HTTP/1.1 load client for raw-capacity figures: many connections, one thread, no parsing
beyond the status line and Content-Length, so the client costs far less CPU than the server it measures.

    python -m harness.load.blast --url http://127.0.0.1:PORT/service/api/v2/user --token-env TOKEN \
        --source-code CODE --connections 16 --duration 5

Prints one JSON line: requests, errors, reconnects, seconds, requests_per_s, statuses. The token comes from an
environment variable (never argv). A server that answers `Connection: close` is followed by a reconnect.
"""

from __future__ import annotations

import argparse
import json
import os
import selectors
import socket
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass
class Conn:
    sock: socket.socket
    buf: bytearray = field(default_factory=bytearray)
    out: bytes = b""
    need: int = -1  # bytes of the whole response once its headers are read; -1 until then
    close_after: bool = False


class Blaster:
    def __init__(self, host: str, port: int, path: str, token: str, code: str, emails: int = 10_000) -> None:
        self.addr = (host, port)
        self.sel = selectors.DefaultSelector()
        self.statuses: Counter[int] = Counter()
        self.errors = 0
        self.reconnects = 0
        q = f"?access_token={token}" if token else ""
        self.requests = [self._request(host, port, path + q, f"blast{i}@bench.example.com", code)
                         for i in range(emails)]
        self.n = 0

    @staticmethod
    def _request(host: str, port: int, target: str, email: str, code: str) -> bytes:
        body = json.dumps({"email": email, "sourceCode": {"keyName": code}}).encode()
        head = (f"POST {target} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode()
        return head + body

    def _open(self) -> None:
        sock = socket.create_connection(self.addr)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setblocking(False)
        conn = Conn(sock)
        self._send(conn)
        self.sel.register(sock, selectors.EVENT_READ, conn)

    def _send(self, conn: Conn) -> None:
        req = self.requests[self.n % len(self.requests)]
        self.n += 1
        conn.out = req
        sent = conn.sock.send(req)  # small requests: one send fits the socket buffer
        conn.out = req[sent:]
        if conn.out:
            conn.sock.setblocking(True)
            conn.sock.sendall(conn.out)
            conn.sock.setblocking(False)
            conn.out = b""

    def _read(self, conn: Conn) -> bool:
        """Read what is there; True when a whole response was consumed."""
        try:
            chunk = conn.sock.recv(65536)
        except BlockingIOError:
            return False
        if not chunk:
            raise ConnectionResetError("server closed the connection mid-response")
        conn.buf += chunk
        if conn.need < 0:
            end = conn.buf.find(b"\r\n\r\n")
            if end < 0:
                return False
            head = bytes(conn.buf[:end]).decode("latin-1").split("\r\n")
            self.statuses[int(head[0].split(" ", 2)[1])] += 1
            length = 0
            for line in head[1:]:
                name, _, value = line.partition(":")
                lname = name.strip().lower()
                if lname == "content-length":
                    length = int(value)
                elif lname == "connection" and value.strip().lower() == "close":
                    conn.close_after = True
            conn.need = end + 4 + length
        if len(conn.buf) < conn.need:
            return False
        del conn.buf[:conn.need]
        conn.need = -1
        return True

    def run(self, connections: int, duration: float) -> dict[str, object]:
        for _ in range(connections):
            self._open()
        started = time.perf_counter()
        deadline = started + duration
        done = 0
        while time.perf_counter() < deadline:
            for key, _ in self.sel.select(0.5):
                conn: Conn = key.data
                try:
                    if not self._read(conn):
                        continue
                    done += 1
                    if conn.close_after:
                        self.sel.unregister(conn.sock)
                        conn.sock.close()
                        self.reconnects += 1
                        self._open()
                    else:
                        self._send(conn)
                except OSError:
                    self.errors += 1
                    self.sel.unregister(conn.sock)
                    conn.sock.close()
                    self._open()
        seconds = time.perf_counter() - started
        for key in list(self.sel.get_map().values()):
            key.fileobj.close()  # type: ignore[union-attr]
        return {"requests": done, "errors": self.errors, "reconnects": self.reconnects, "seconds": round(seconds, 3),
                "requests_per_s": round(done / seconds, 1), "statuses": dict(self.statuses)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--url", required=True)
    p.add_argument("--token-env", help="environment variable holding the access token")
    p.add_argument("--source-code", default="LYTICS_SIM")
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--duration", type=float, default=5.0)
    args = p.parse_args()
    u = urlsplit(args.url)
    token = os.environ.get(args.token_env, "") if args.token_env else ""
    blaster = Blaster(u.hostname or "127.0.0.1", u.port or 80, u.path, token, args.source_code)
    print(json.dumps(blaster.run(args.connections, args.duration)), flush=True)


if __name__ == "__main__":
    main()
