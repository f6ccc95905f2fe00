"""A small HTTP load generator: threads, one HTTP/1.1 connection each, for a fixed time.

Written here rather than pulled in (wrk, locust) so the benchmark needs nothing beyond the
project's virtualenv and logs in exactly as a browser does: CSRF token from the login page,
then the `learnapp_session` cookie on every request.
"""

import http.client
import re
import socket
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from http.cookies import SimpleCookie

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
TIMEOUT = 30.0
# A thread whose requests keep failing gives up instead of spinning until the deadline.
MAX_CONSECUTIVE_ERRORS = 50


class Headers:
    """The response headers, looked up without regard to case."""

    def __init__(self, pairs: list[tuple[str, str]]):
        self.pairs = pairs

    def get(self, name: str, default=None):
        values = self.get_all(name)
        return values[0] if values else default

    def get_all(self, name: str) -> list[str]:
        name = name.lower()
        return [value for key, value in self.pairs if key.lower() == name]


class Client:
    """One HTTP/1.1 connection to 127.0.0.1 with its own cookie jar.

    The exchange is written on the socket directly rather than through http.client, whose
    request building and header parsing (the email package) cost the load generator ~0.3 ms of
    CPU per request, taken from the same two cores as the server under test. It understands
    what the servers measured here send: a status line, headers, a Content-Length body (or a
    body ended by closing the connection). The connection is reopened when the server answered
    `Connection: close`, as gunicorn's sync workers do; `connections` counts the opens.
    """

    def __init__(self, port: int, cookies: dict[str, str] | None = None):
        self.port = port
        self.sock: socket.socket | None = None
        self.cookies = dict(cookies or {})
        self.connections = 0

    def send(self, method: str, path: str, body: bytes = b"", headers: dict | None = None):
        """One request; returns (status, Headers, body). Raises OSError or HTTPException."""
        lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{self.port}"]
        if self.cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        lines.extend(f"{name}: {value}" for name, value in (headers or {}).items())
        if body or method == "POST":
            lines.append(f"Content-Length: {len(body)}")
        payload = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
        if self.sock is None:
            self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=TIMEOUT)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.connections += 1
        try:
            self.sock.sendall(payload)
            status, response_headers, content, close = self._read_response()
        except (OSError, http.client.HTTPException):
            self.close()
            raise
        if close:
            self.close()
        return status, response_headers, content

    def _read_response(self):
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise http.client.RemoteDisconnected("connection closed before the headers")
            data += chunk
        head, _, content = data.partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        parts = status_line.split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
            raise http.client.BadStatusLine(status_line)
        pairs = [tuple(part.strip() for part in line.split(":", 1)) for line in header_lines]
        response_headers = Headers(pairs)
        if response_headers.get("Transfer-Encoding"):
            raise http.client.HTTPException("chunked responses are not expected here")
        close = (response_headers.get("Connection") or "").lower() == "close"
        length = response_headers.get("Content-Length")
        if length is not None:
            remaining = int(length) - len(content)
            while remaining > 0:
                chunk = self.sock.recv(max(remaining, 65536))
                if not chunk:
                    raise http.client.IncompleteRead(content, remaining)
                content += chunk
                remaining -= len(chunk)
        elif close:
            while chunk := self.sock.recv(65536):
                content += chunk
        return int(parts[1]), response_headers, content, close

    def request(self, method: str, path: str, form: dict | None = None):
        headers = {"Accept": "text/html"}
        body = b""
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        status, response_headers, content = self.send(method, path, body, headers)
        self._keep_cookies(response_headers.get_all("Set-Cookie"))
        return status, response_headers, content

    def _keep_cookies(self, headers: list[str]) -> None:
        for header in headers:
            jar = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                if morsel.value and morsel["max-age"] != "0":
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None


class BenchError(RuntimeError):
    """The target did not behave as the benchmark expects (login failed, wrong page)."""


def login(port: int, username: str, password: str) -> dict[str, str]:
    """Log in through the form and return the cookies of the logged-in session."""
    client = Client(port)
    try:
        status, _, content = client.request("GET", "/login")
        match = CSRF_META.search(content.decode())
        if status != 200 or not match:
            raise BenchError(f"GET /login answered {status} without a CSRF token")
        form = {"username": username, "password": password, "csrf_token": match.group(1)}
        status, headers, _ = client.request("POST", "/login", form)
        if status != 302 or headers.get("Location", "").rstrip("/").endswith("login"):
            raise BenchError(f"login as {username} failed: {status} {headers.get('Location')}")
        # The first page after login stores a fresh CSRF token in the session cookie; taking
        # that cookie means the measured requests do not each rewrite it.
        status, _, _ = client.request("GET", "/")
        if status != 200:
            raise BenchError(f"GET / after login answered {status}")
        return client.cookies
    finally:
        client.close()


def fetch(port: int, path: str, cookies: dict[str, str] | None = None) -> tuple[int, str]:
    client = Client(port, cookies)
    try:
        status, _, content = client.request("GET", path)
        return status, content.decode(errors="replace")
    finally:
        client.close()


@dataclass
class LoadResult:
    seconds: float
    concurrency: int
    latencies: list[float] = field(default_factory=list)  # successful requests, seconds
    statuses: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)  # exception name -> count
    connections: int = 0
    client_cpu_seconds: float = 0.0

    @property
    def ok(self) -> int:
        return len(self.latencies)

    @property
    def failed(self) -> int:
        return sum(self.errors.values()) + sum(
            count for status, count in self.statuses.items() if status != 200
        )

    @property
    def rps(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    def percentile(self, fraction: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def run_load(
    port: int,
    path: str,
    *,
    seconds: float,
    concurrency: int,
    cookies: dict[str, str] | None = None,
) -> LoadResult:
    """GET `path` from `concurrency` threads for `seconds`; only 200 answers count as done."""
    result = LoadResult(seconds=seconds, concurrency=concurrency)
    lock = threading.Lock()
    start_line = threading.Barrier(concurrency + 1)
    deadline = [0.0]

    def worker() -> None:
        client = Client(port, cookies)
        latencies, statuses, errors = [], Counter(), Counter()
        consecutive_errors = 0
        start_line.wait()
        try:
            while time.perf_counter() < deadline[0]:
                began = time.perf_counter()
                try:
                    status, _, _ = client.request("GET", path)
                except (OSError, http.client.HTTPException) as error:
                    errors[type(error).__name__] += 1
                    consecutive_errors += 1
                    if consecutive_errors >= MAX_CONSECUTIVE_ERRORS:
                        break
                    continue
                consecutive_errors = 0
                statuses[status] += 1
                if status == 200:
                    latencies.append(time.perf_counter() - began)
        finally:
            client.close()
            with lock:
                result.latencies.extend(latencies)
                result.statuses.update(statuses)
                result.errors.update(errors)
                result.connections += client.connections

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    cpu_before = time.process_time()
    began = time.perf_counter()
    deadline[0] = began + seconds
    start_line.wait()
    for thread in threads:
        # Requests in flight at the deadline finish within the socket timeout.
        thread.join(seconds + TIMEOUT + 5)
    result.seconds = time.perf_counter() - began
    result.client_cpu_seconds = time.process_time() - cpu_before
    return result
