"""Step d: online geocoders through geopy, used the way their operators ask.

:class:`OnlineGeocoder` wraps any geopy geocoder (``nominatim`` by default,
``photon``, ``arcgis`` or another name geopy knows) with:

- one rate limit per worker: ``min_delay`` seconds from the end of one answer to that
  worker's next request, retries included; counted from the answer, not the send, so the
  server sees the spacing however long a request takes to go out. ``workers`` threads may
  ask at once, each with its own HTTP session (a self-hosted server's pace); the public
  servers of :data:`PUBLIC_SERVERS` refuse less than their usage policy: 1 s, 1 worker;
- an identifying User-Agent, required for the public Nominatim server;
- bounded retries with exponential backoff on 429/5xx/timeouts that honour
  ``Retry-After``; once retries are exhausted the provider is not asked again in
  this run (the remaining rows fall through to the offline steps);
- :class:`geomap.geocode.http.GuardedAdapter`: a size cap, an overall deadline and
  same-origin redirects for every request.

The answer classes (one per provider family, one interface: :class:`Answer`) check
a raw answer before anything reads it — finite coordinates in range taken from the
raw JSON (never geopy's wrapped ``Point``), objects, strings and ranks where they
belong — then read its precision, country, state, prison tag and identifiers. An
answer that fails a check is rejected whole, with the reason, and never cached.
"""

import functools
import inspect
import math
import re
import reprlib
import threading
import time
from urllib.parse import urlsplit

from geopy.exc import (
    ConfigurationError,
    GeocoderAuthenticationFailure,
    GeocoderInsufficientPrivileges,
    GeocoderNotFound,
    GeocoderParseError,
    GeocoderRateLimited,
    GeocoderServiceError,
    GeocoderTimedOut,
    GeocoderUnavailable,
    GeopyError,
)
from geopy.geocoders import get_geocoder_for_service

from .. import __version__
from ..errors import InputError
from ..text import one_line
from .http import BadAnswer, GuardedAdapter

PUBLIC_NOMINATIM = "nominatim.openstreetmap.org"
#: Public servers and where their operators ask for at most one request a second, one at a time
#: (Photon's demo server asks to "be fair" and throttles heavy use: geomap holds it to the same).
PUBLIC_SERVERS = {PUBLIC_NOMINATIM: "https://operations.osmfoundation.org/policies/nominatim/",
                  "photon.komoot.io": "https://photon.komoot.io/ (terms of use)"}
#: What :data:`PUBLIC_SERVERS` allow: seconds between requests, requests at once.
POLICY_DELAY, POLICY_WORKERS = 1.0, 1
DEFAULT_USER_AGENT = f"geomap/{__version__}"
OSM_ATTRIBUTION = "Data © OpenStreetMap contributors, ODbL 1.0. https://osm.org/copyright"
#: Candidates asked for per query: enough to find the prison among same-named places.
CANDIDATES = 5
#: A coordinate written as text: plain decimal notation only (no "nan", "1_0" or " 12").
_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?")


class ProviderFailure(Exception):
    """A query got no usable answer (after retries); the reason is one line for the summary."""

    def __init__(self, reason, rejected=False):
        super().__init__(one_line(reason))
        self.rejected = rejected  #: an answer came and geomap refused it (not merely no answer)


_SHORT = reprlib.Repr()
_SHORT.maxlevel, _SHORT.maxstring, _SHORT.maxother, _SHORT.maxlist, _SHORT.maxdict = 2, 30, 30, 3, 3


def _shown(value):
    """A bounded repr of a server's value for a reason (never the whole of it)."""
    return one_line(_SHORT.repr(value), 40)


def _coordinate(value, what, limit, text=True):
    """A JSON number (or a decimal string, if ``text``) as a finite float within ±``limit``, else BadAnswer."""
    decimal = text and isinstance(value, str) and _DECIMAL.fullmatch(value)
    if decimal or isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if math.isfinite(number) and -limit <= number <= limit:
            return number
        raise BadAnswer(f"{what} {_shown(value)} is not a finite number in [-{limit}, {limit}]")
    raise BadAnswer(f"{what} {_shown(value)} is not a number")


def _point(lat, lon, where, text=True):
    return _coordinate(lat, f"{where}: lat", 90, text), _coordinate(lon, f"{where}: lon", 180, text)


def _object(value, what):
    if not isinstance(value, dict):
        raise BadAnswer(f"{what} is {_shown(value)}, not an object")
    return value


def _fields(raw, where, texts=(), ids=()):
    """Optional fields of ``raw``: those in ``texts`` strings, those in ``ids`` non-negative integers."""
    for key in texts:
        if raw.get(key) is not None and not isinstance(raw[key], str):
            raise BadAnswer(f"{where}: {key} is {_shown(raw[key])}, not text")
    for key in ids:
        value = raw.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            raise BadAnswer(f"{where}: {key} is {_shown(value)}, not a non-negative integer")


class Answer:
    """The interface: check an answer, then read it. This base is any other geopy provider:
    no tags to read, so precision is assumed ``locality`` (never ``site``), country/state
    cannot be checked, and the point is geopy's (checked finite and in range)."""

    attribution = None

    @classmethod
    def check(cls, document):
        """Raise BadAnswer unless the parsed JSON ``document`` has the provider's shape."""

    @classmethod
    def check_result(cls, raw, where):
        """Raise BadAnswer unless one result (also a cached one) has the provider's shape."""

    @classmethod
    def point(cls, raw, location):
        """``(lat, lon)`` of a result, checked."""
        return _point(location.latitude, location.longitude, "result")

    @classmethod
    def check_candidates(cls, candidates):
        """Raise BadAnswer unless ``candidates`` (as cached) are well-formed and in range."""
        if not isinstance(candidates, list):
            raise BadAnswer(f"the cached answer is {_shown(candidates)}, not a list")
        for number, candidate in enumerate(candidates, 1):
            where = f"candidate {number}"
            _object(candidate, where)
            _point(candidate.get("lat"), candidate.get("lon"), where, text=False)  # geomap stores floats
            _fields(candidate, where, texts=("address",))
            cls.check_result(candidate.get("raw"), where)

    @staticmethod
    def is_prison(raw):
        return False

    @staticmethod
    def precision(raw):
        return "locality"

    @staticmethod
    def country(raw):
        return None

    @staticmethod
    def state(raw):
        return None

    @staticmethod
    def identifiers(raw):
        return {}

    @staticmethod
    def url(raw):
        return None


class NominatimAnswer(Answer):
    """Reads a Nominatim ``/search`` result (``format=json`` or ``jsonv2``)."""

    #: addresstypes finer than a town but not the facility: "near it".
    NEAR = {"suburb", "neighbourhood", "quarter", "city_block", "residential", "road", "farm", "isolated_dwelling"}
    TEXTS = ("display_name", "name", "class", "category", "type", "addresstype", "osm_type", "licence")
    attribution = OSM_ATTRIBUTION

    @classmethod
    def check(cls, document):
        if isinstance(document, dict) and isinstance(document.get("error"), str):
            return  # Nominatim's own error message: geopy reports it
        if not isinstance(document, list):
            raise BadAnswer(f"the answer is {_shown(document)}, not a list of results")
        for number, raw in enumerate(document, 1):
            cls.check_result(raw, f"result {number}")

    @classmethod
    def check_result(cls, raw, where):
        _object(raw, where)
        cls.point(raw, None, where)
        rank = raw.get("place_rank")
        if rank is not None and (isinstance(rank, bool) or not isinstance(rank, int) or not 0 <= rank <= 30):
            raise BadAnswer(f"{where}: place_rank {_shown(rank)} is not an integer in 0..30")
        _fields(raw, where, texts=cls.TEXTS, ids=("osm_id",))
        if raw.get("address") is not None:
            address = _object(raw["address"], f"{where}: address")
            _fields(address, f"{where}: address", texts=address)

    @classmethod
    def point(cls, raw, location, where="result"):
        return _point(raw.get("lat"), raw.get("lon"), where)

    @staticmethod
    def osm_class(raw):
        return raw.get("class") or raw.get("category")

    @classmethod
    def is_prison(cls, raw):
        return (cls.osm_class(raw), raw.get("type")) == ("amenity", "prison")

    @classmethod
    def precision(cls, raw):
        """site for a prison; approximate near it; locality for a town; region for a state.

        From ``place_rank`` (Nominatim's search rank: 5–12 state/county, 13–25 city to
        neighbourhood, 26+ streets and POIs) and ``addresstype``; None when coarser
        than a state (a whole country is no location).
        """
        if cls.is_prison(raw):
            return "site"
        rank = int(raw.get("place_rank") or 0)
        if rank >= 26 or raw.get("addresstype") in cls.NEAR:
            return "approximate"
        if rank >= 13:
            return "locality"
        if rank >= 5:
            return "region"
        return None

    @staticmethod
    def country(raw):
        code = (raw.get("address") or {}).get("country_code")
        return code.upper() if code else None

    @staticmethod
    def state(raw):
        return (raw.get("address") or {}).get("state")

    @classmethod
    def identifiers(cls, raw):
        ids = {key: raw.get(key) for key in ("osm_type", "osm_id", "type", "place_rank", "addresstype")}
        ids["class"] = cls.osm_class(raw)
        ids["attribution"] = raw.get("licence") or cls.attribution
        return {key: value for key, value in ids.items() if value is not None}

    @staticmethod
    def url(raw):
        """The OSM object's page: a traceable ``location_source``."""
        if raw.get("osm_type") in ("node", "way", "relation") and raw.get("osm_id"):
            return f"https://www.openstreetmap.org/{raw['osm_type']}/{raw['osm_id']}"
        return None


class PhotonAnswer(Answer):
    """Reads a Photon GeoJSON feature (OSM data, so the same attribution)."""

    attribution = OSM_ATTRIBUTION
    PRECISION = {"house": "approximate", "street": "approximate", "other": "approximate", "district": "approximate",
                 "locality": "locality", "city": "locality", "county": "region", "state": "region"}
    OSM_TYPES = {"N": "node", "W": "way", "R": "relation"}
    #: properties read here or joined into the label by geopy
    TEXTS = ("osm_key", "osm_value", "osm_type", "type", "countrycode", "name", "housenumber", "street", "postcode",
             "city", "state", "country")

    @classmethod
    def check(cls, document):
        if not isinstance(document, dict) or not isinstance(document.get("features"), list):
            raise BadAnswer(f"the answer is {_shown(document)}, not a FeatureCollection with a features list")
        for number, feature in enumerate(document["features"], 1):
            cls.check_result(feature, f"feature {number}")

    @classmethod
    def check_result(cls, raw, where):
        _object(raw, where)
        cls.point(raw, None, where)
        _fields(_object(raw.get("properties"), f"{where}: properties"), f"{where}: properties",
                texts=cls.TEXTS, ids=("osm_id",))

    @classmethod
    def point(cls, raw, location, where="result"):
        coordinates = _object(raw.get("geometry"), f"{where}: geometry").get("coordinates")
        if not isinstance(coordinates, list) or len(coordinates) < 2:
            raise BadAnswer(f"{where}: coordinates {_shown(coordinates)} are not [lon, lat]")
        return _point(coordinates[1], coordinates[0], where)

    @staticmethod
    def tags(raw):
        return raw.get("properties") or {}

    @classmethod
    def is_prison(cls, raw):
        tags = cls.tags(raw)
        return (tags.get("osm_key"), tags.get("osm_value")) == ("amenity", "prison")

    @classmethod
    def precision(cls, raw):
        return "site" if cls.is_prison(raw) else cls.PRECISION.get(cls.tags(raw).get("type"))

    @classmethod
    def country(cls, raw):
        code = cls.tags(raw).get("countrycode")
        return code.upper() if code else None

    @classmethod
    def state(cls, raw):
        return cls.tags(raw).get("state")

    @classmethod
    def identifiers(cls, raw):
        tags = cls.tags(raw)
        ids = {"osm_type": cls.OSM_TYPES.get(tags.get("osm_type")), "osm_id": tags.get("osm_id"),
               "class": tags.get("osm_key"), "type": tags.get("osm_value"), "addresstype": tags.get("type"),
               "attribution": cls.attribution}
        return {key: value for key, value in ids.items() if value is not None}

    @classmethod
    def url(cls, raw):
        return NominatimAnswer.url(cls.identifiers(raw))


ANSWERS = {"nominatim": NominatimAnswer, "photon": PhotonAnswer}


def check_pace(host, min_delay, workers):
    """InputError unless ``min_delay`` and ``workers`` are possible, and within the usage policy of
    a public ``host`` (:data:`PUBLIC_SERVERS`); one's own server may go as fast as it can answer."""
    if min_delay < 0:
        raise InputError(f"--min-delay {min_delay:g}: give 0 or more seconds")
    if workers < 1:
        raise InputError(f"--workers {workers}: give 1 or more")
    policy = PUBLIC_SERVERS.get(host)
    if policy and min_delay < POLICY_DELAY:
        raise InputError(f"--min-delay {min_delay:g}: {host} allows at most one request a second (its usage policy, "
                         f"{policy}); give --min-delay 1 or more, or run your own server (--geocoder-url)")
    if policy and workers > POLICY_WORKERS:
        raise InputError(f"--workers {workers}: {host} allows one request at a time (its usage policy, {policy}); "
                         "drop --workers, or run your own server (--geocoder-url, docs/geocoding.md)")


def _server(url):
    """geopy's ``(scheme, domain)`` from a base URL such as ``http://localhost:8080/nominatim``."""
    parts = urlsplit(url if "://" in url else f"https://{url}")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InputError(f"--geocoder-url {url!r}: give an http(s) URL such as http://localhost:8080")
    return parts.scheme, parts.netloc + parts.path.rstrip("/")


class OnlineGeocoder:
    """One geopy geocoder, rate-limited, retried and identified (see module doc)."""

    def __init__(self, service="nominatim", url=None, user_agent=None, api_key=None, timeout=10.0,
                 min_delay=1.0, max_retries=2, backoff=2.0, max_wait=120.0, require_user_agent=True,
                 deadline=30.0, max_answer_bytes=1 << 20, workers=1):
        try:
            geocoder_class = get_geocoder_for_service(service)
        except GeocoderNotFound:
            raise InputError(f"--geocoder {service!r}: geopy has no such provider (try nominatim, photon, arcgis)") from None
        accepted = inspect.signature(geocoder_class.__init__).parameters
        self.answer = ANSWERS.get(service, Answer)
        adapter = functools.partial(GuardedAdapter, deadline=deadline, max_bytes=max_answer_bytes, check=self.answer.check)
        options = {"timeout": timeout, "adapter_factory": adapter}
        if url:
            if "domain" not in accepted:
                raise InputError(f"--geocoder-url: the {service} provider has a fixed server; drop the option")
            options["scheme"], options["domain"] = _server(url)
        if "user_agent" in accepted:
            options["user_agent"] = user_agent or DEFAULT_USER_AGENT
        if api_key and "api_key" in accepted:
            options["api_key"] = api_key
        public = service == "nominatim" and options.get("domain", PUBLIC_NOMINATIM) == PUBLIC_NOMINATIM
        if public and require_user_agent and not user_agent:
            raise InputError(
                "the public Nominatim server requires an identifying User-Agent: pass --user-agent "
                "'myproject/1.0 (me@example.org)' or set GEOMAP_USER_AGENT; or use --offline or --geocoder-url"
            )
        try:
            self.geocoder = geocoder_class(**options)
        except (ConfigurationError, TypeError) as exc:
            raise InputError(f"--geocoder {service}: {exc}") from None
        host = urlsplit(f"//{getattr(self.geocoder, 'domain', '')}").hostname or ""
        check_pace(host.lower(), min_delay, workers)
        self._new_geocoder = functools.partial(geocoder_class, **options)
        self.service = service
        self.id = f"{service} {getattr(self.geocoder, 'scheme', '')}://{getattr(self.geocoder, 'domain', '')}"
        self.max_retries, self.backoff, self.max_wait = max_retries, backoff, max_wait
        self.stopped = None
        self.requests_sent = 0
        search = inspect.signature(self.geocoder.geocode).parameters
        self._search_options = {key: value for key, value in
                                {"exactly_one": False, "limit": CANDIDATES, "addressdetails": True}.items() if key in search}
        self._country_option = "country_codes" if "country_codes" in search else None
        self.min_delay, self.workers = min_delay, workers
        self._count = threading.Lock()
        self._local = threading.local()  # per thread: its geocoder (its own HTTP session) and when it may ask next
        self._local.geocoder, self._local.next_request = self.geocoder, 0.0

    def _worker(self):
        """This thread's geocoder and pace: a worker's requests never wait on another's session."""
        local = self._local
        if not hasattr(local, "geocoder"):
            local.geocoder, local.next_request = self._new_geocoder(), 0.0
        return local

    def _request(self, query, options):
        worker = self._worker()
        while (wait := worker.next_request - time.monotonic()) > 0:
            time.sleep(wait)
        with self._count:
            self.requests_sent += 1
        try:
            return worker.geocoder.geocode(query, **options)
        except GeopyError:
            raise  # some of geopy's own are ValueErrors too
        except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
            # geopy's parser met a shape no check of ours knows (a provider without an Answer class)
            raise BadAnswer(f"geopy cannot read it ({type(exc).__name__})") from None
        finally:
            worker.next_request = time.monotonic() + self.min_delay

    def _candidate(self, location):
        """A result as cached: the point from the raw answer, checked; the label if it is text."""
        lat, lon = self.answer.point(location.raw, location)
        address = location.address if isinstance(location.address, str) else None
        return {"lat": lat, "lon": lon, "address": address, "raw": location.raw}

    def search(self, query, country=None):
        """Candidates for ``query`` as plain dicts ``{lat, lon, address, raw}`` (maybe none).

        Raises :class:`ProviderFailure` when no answer came; after a failure that
        retries did not fix, the provider is stopped for the rest of the run.
        """
        if self.stopped:
            raise ProviderFailure(f"not asked: {self.stopped}")
        options = dict(self._search_options)
        if self._country_option and country:
            options[self._country_option] = country.lower()
        for attempt in range(self.max_retries + 1):
            try:
                candidates = [self._candidate(location) for location in self._request(query, options) or []]
            except BadAnswer as exc:
                raise ProviderFailure(f"{self.service} answer rejected: {exc}", rejected=True) from None
            except GeocoderRateLimited as exc:
                reason, wait = "rate limited (HTTP 429)", exc.retry_after
            except (GeocoderTimedOut, GeocoderUnavailable) as exc:
                reason, wait = f"no answer ({type(exc).__name__}: {exc})", None
            except (GeocoderAuthenticationFailure, GeocoderInsufficientPrivileges) as exc:
                self.stopped = f"{self.service} refused the request ({exc}): check --user-agent/--api-key"
                raise ProviderFailure(self.stopped) from None
            except GeocoderParseError:
                raise ProviderFailure(f"{self.service} sent an answer that is not valid JSON") from None
            except GeocoderServiceError as exc:
                status = getattr(exc.__cause__, "status_code", None)
                if not status or status < 500:
                    raise ProviderFailure(f"{self.service} rejected the query: {exc}") from None
                reason, wait = f"server error (HTTP {status})", None
            else:
                return candidates
            wait = self.backoff * 2**attempt if wait is None else wait
            if attempt == self.max_retries or wait > self.max_wait:
                break
            time.sleep(wait)
        self.stopped = f"{self.service} stopped after {attempt + 1} attempts: {reason}"
        raise ProviderFailure(self.stopped)
