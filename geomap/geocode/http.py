"""A geopy adapter that does not trust the server: bounded size, bounded time, one origin.

:class:`GuardedAdapter` replaces geopy's ``RequestsAdapter`` (same proxies and TLS
context handling) and adds what a hostile or broken server must not get past:

- **size**: the body is streamed and cut off past ``max_bytes`` on the wire; a gzip or
  deflate body is inflated incrementally and cut off past ``max_bytes`` inflated too
  (a gzip bomb never sits in memory);
- **time**: one ``deadline`` for the whole request (headers and body) on top of the
  socket timeout, which a server trickling a byte a second would reset forever; at
  the deadline a watchdog shuts the socket down;
- **origin**: redirects are followed (at most :data:`MAX_REDIRECTS`) only to the
  scheme, host and port the request went to; anything else is refused;
- **JSON**: strict (no ``NaN``/``Infinity``), and an optional ``check`` of the
  document's shape runs before geopy parses it.
"""

import contextlib
import functools
import heapq
import itertools
import socket
import ssl
import threading
import time
import zlib
from urllib.parse import urljoin, urlsplit

import orjson
import requests
from geopy.adapters import AdapterHTTPError, BaseSyncAdapter, _normalize_proxies
from geopy.exc import GeocoderParseError, GeocoderServiceError, GeocoderTimedOut, GeocoderUnavailable, GeopyError
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

MAX_REDIRECTS = 5
MAX_DEPTH = 32
REDIRECTS = (301, 302, 303, 307, 308)
DEFAULT_PORTS = {"http": 80, "https": 443}
#: Bodies geomap can inflate incrementally (zlib reads gzip and zlib-wrapped deflate).
ENCODINGS = {"identity", "gzip", "x-gzip", "deflate"}


class BadAnswer(GeopyError):
    """An answer geomap refuses (too big, off-origin, wrong shape); the message is the reason."""


class _Deadlines:
    """One thread keeps every request's deadline: starting a timer thread per request costs ~0.5 ms on a
    quiet machine and several on a busy one, added to each request a worker sends."""

    def __init__(self):
        self._due = []  # heap of [when, order, watchdog]; a cancelled entry's watchdog is None
        self._order = itertools.count()
        self._changed = threading.Condition()
        self._thread = None

    def add(self, seconds, watchdog):
        """Expire ``watchdog`` in ``seconds`` unless :meth:`cancel` is given the returned entry first."""
        entry = [time.monotonic() + seconds, next(self._order), watchdog]
        with self._changed:
            heapq.heappush(self._due, entry)
            if self._thread is None or not self._thread.is_alive():  # first use, or in a forked child
                self._thread = threading.Thread(target=self._run, name="geomap-deadlines", daemon=True)
                self._thread.start()
            if self._due[0] is entry:  # sooner than the thread is waiting for (requests' deadlines rarely are)
                self._changed.notify()
        return entry

    def cancel(self, entry):
        with self._changed:
            entry[2] = None

    def _run(self):
        while True:
            with self._changed:
                while self._due and self._due[0][2] is None:
                    heapq.heappop(self._due)
                wait = self._due[0][0] - time.monotonic() if self._due else None
                if wait is None or wait > 0:
                    self._changed.wait(wait)
                    continue
                watchdog = heapq.heappop(self._due)[2]
            watchdog.expire()


_deadlines = _Deadlines()


class _Watchdog:
    """Shuts down every socket of one request once its deadline passes."""

    def __init__(self, seconds):
        self.seconds = seconds
        self.expired = False
        self._sockets = []
        self._lock = threading.Lock()
        self._entry, self._done = None, False

    def watch(self, sock):
        with self._lock:
            self._sockets.append(sock)
            if self.expired:
                _shut(sock)

    def expire(self):
        with self._lock:
            if self._done:  # the request ended as its deadline came: its socket is another request's now
                return
            self.expired = True
            for sock in self._sockets:
                _shut(sock)

    def __enter__(self):
        _current.watchdog = self
        self._entry = _deadlines.add(self.seconds, self)
        return self

    def __exit__(self, *exc_info):
        _deadlines.cancel(self._entry)
        with self._lock:
            self._done = True
        _current.watchdog = None


def _shut(sock):
    # the plain socket's shutdown: it wakes a blocked read at once, TLS or not
    # (SSLSocket.shutdown would drop the TLS state under the reading thread)
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


_current = threading.local()


class _Watched:
    """A urllib3 connection whose socket the running request's watchdog may shut down."""

    def getresponse(self, *args, **kwargs):
        watchdog = getattr(_current, "watchdog", None)
        if watchdog is not None and self.sock is not None:
            watchdog.watch(self.sock)
        return super().getresponse(*args, **kwargs)


class _WatchedHTTPConnection(_Watched, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_Watched, HTTPSConnection):
    pass


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class _WatchedTransport(HTTPAdapter):
    """requests' transport with watched connections (direct and through a proxy) and a TLS context."""

    WATCHED = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}

    def __init__(self, ssl_context):
        self.ssl_context = ssl_context
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, ssl_context=self.ssl_context, **kwargs)
        self.poolmanager.pool_classes_by_scheme = self.WATCHED

    def proxy_manager_for(self, proxy, **kwargs):
        manager = super().proxy_manager_for(proxy, ssl_context=self.ssl_context, **kwargs)
        manager.pool_classes_by_scheme = self.WATCHED
        return manager


@functools.cache
def _system_tls():
    """The system CA store, as geopy's own adapter uses; built once (it costs ~60 ms)."""
    return ssl.create_default_context()


def origin(url):
    """``(scheme, host, port)``: what a redirect must keep."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = -1  # an unparsable port matches no origin
    return parts.scheme.lower(), (parts.hostname or "").lower(), port or DEFAULT_PORTS.get(parts.scheme.lower())


def _read_body(response, max_bytes):
    """The body, cut off past ``max_bytes`` on the wire or once inflated."""
    encoding = response.headers.get("Content-Encoding", "identity").strip().lower() or "identity"
    if encoding not in ENCODINGS:
        raise BadAnswer(f"the answer uses Content-Encoding {encoding[:40]!r}, which geomap does not read")
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise BadAnswer(f"the answer is {int(declared):,} bytes, more than the {max_bytes:,}-byte limit")
    # wbits 47: zlib detects a gzip or a zlib header itself
    inflater = None if encoding == "identity" else zlib.decompressobj(47)
    body, received = bytearray(), 0
    try:
        for chunk in response.raw.stream(16384, decode_content=False):
            received += len(chunk)
            if received > max_bytes:
                raise BadAnswer(f"the answer is more than the {max_bytes:,}-byte limit")
            while inflater and chunk:
                body += inflater.decompress(chunk, max_bytes - len(body) + 1)
                chunk = inflater.unconsumed_tail
                if len(body) > max_bytes:
                    raise BadAnswer(f"the answer inflates to more than the {max_bytes:,}-byte limit")
            if not inflater:
                body += chunk
    except zlib.error:
        raise BadAnswer(f"the answer claims {encoding} but does not inflate") from None
    return bytes(body)


def parse_json(body):
    """Strict JSON (no ``NaN`` or ``Infinity``) nested at most :data:`MAX_DEPTH` levels."""
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise GeocoderParseError("the answer is not valid JSON") from None
    # deeper values would break the recursive code that reads, prints or caches them
    levels = [(document, 1)]
    while levels:
        value, depth = levels.pop()
        if isinstance(value, (list, dict)):
            if depth > MAX_DEPTH:
                raise BadAnswer(f"the answer nests deeper than {MAX_DEPTH} levels")
            levels.extend((child, depth + 1) for child in (value.values() if isinstance(value, dict) else value))
    return document


class GuardedAdapter(BaseSyncAdapter):
    """geopy's adapter interface over requests' transport, with the limits of the module doc.

    Requests go straight to the transport, as a ``requests.Session`` without cookies, auth or
    environment settings would send them (its default headers, geopy's proxies), without the
    session's per-request merging (~1 ms a request on a busy machine, a server of one's own
    answers in less).
    """

    def __init__(self, *, proxies, ssl_context, deadline=30.0, max_bytes=1 << 20, check=None):
        super().__init__(proxies=proxies, ssl_context=ssl_context)
        self.deadline, self.max_bytes, self.check = deadline, max_bytes, check
        self.proxies = _normalize_proxies(proxies)  # geopy's rules, as for its own adapter (no environment)
        self.transport = _WatchedTransport(ssl_context or _system_tls())

    def __exit__(self, *exc_info):
        self.transport.close()

    def _send(self, url, timeout, headers):
        """One GET, streamed, redirects not followed."""
        merged = requests.utils.default_headers()
        merged.update(headers)
        request = requests.Request("GET", url, headers=merged).prepare()
        return self.transport.send(request, stream=True, timeout=timeout, verify=True, proxies=self.proxies)

    def get_json(self, url, *, timeout, headers):
        document = parse_json(self._get(url, timeout, headers))
        if self.check:
            self.check(document)
        return document

    def get_text(self, url, *, timeout, headers):
        return self._get(url, timeout, headers).decode("utf-8", "replace")

    def _get(self, url, timeout, headers):
        headers = {**headers, "Accept-Encoding": "gzip, deflate"}
        late = GeocoderTimedOut(f"no complete answer within the {self.deadline:g} s deadline")
        with _Watchdog(self.deadline) as watchdog:
            try:
                body = self._follow(url, timeout, headers)
            except Exception as error:
                if watchdog.expired:  # whatever a cut-off socket raised, the deadline is the reason
                    raise late from None
                if isinstance(error, (GeopyError, AdapterHTTPError)):
                    raise
                raise _transport_error(error) from None
            if watchdog.expired:  # a cut-off body without a length looks complete
                raise late
        return body

    def _follow(self, url, timeout, headers):
        start = origin(url)
        for _ in range(MAX_REDIRECTS + 1):
            with self._send(url, timeout, headers) as response:
                if response.status_code in REDIRECTS and response.headers.get("Location"):
                    url = urljoin(url, response.headers["Location"])
                    if origin(url) != start:
                        scheme, host, port = origin(url)
                        raise BadAnswer(f"redirected to another server ({scheme}://{host[:80]}:{port}); not followed")
                    continue
                if response.status_code >= 400:
                    raise AdapterHTTPError(f"Non-successful status code {response.status_code}",
                                           status_code=response.status_code, headers=_retry_after(response), text=None)
                if response.status_code >= 300:
                    raise BadAnswer(f"HTTP {response.status_code} without a place to go")
                return _read_body(response, self.max_bytes)
        raise BadAnswer(f"more than {MAX_REDIRECTS} redirects")


def _retry_after(response):
    """Only a plain number of seconds: geopy logs any other Retry-After raw to the terminal."""
    value = response.headers.get("Retry-After", "").strip()
    return {"retry-after": value} if value.isascii() and value.isdigit() and len(value) <= 6 else {}


def _transport_error(error):
    """The geopy exception for a transport failure (as geopy's RequestsAdapter maps them)."""
    if isinstance(error, (socket.timeout, requests.Timeout)):
        return GeocoderTimedOut("Service timed out")
    if isinstance(error, requests.ConnectionError):
        return GeocoderUnavailable(str(error))
    return GeocoderServiceError(str(error))
