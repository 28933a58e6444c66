"""Step d: online geocoders through geopy, used the way their operators ask.

:class:`OnlineGeocoder` wraps any geopy geocoder (``nominatim`` by default,
``photon``, ``arcgis`` or another name geopy knows) with:

- one geopy ``RateLimiter`` for the whole run (``min_delay`` seconds between requests,
  retries included: 1 s for the public Nominatim, its usage policy's maximum);
- an identifying User-Agent, required for the public Nominatim server;
- bounded retries with exponential backoff on 429/5xx/timeouts that honour
  ``Retry-After``; once retries are exhausted the provider is not asked again in
  this run (the remaining rows fall through to the offline steps);
- geopy's ``RequestsAdapter`` (connection pooling; proxies from the usual variables).

The answer classes (one per provider family) read a raw answer: its precision,
country, state, whether OSM tags it a prison, and its identifiers.
"""

import functools
import inspect
import time
from urllib.parse import urlsplit

from geopy.adapters import RequestsAdapter
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
)
from geopy.extra.rate_limiter import RateLimiter
from geopy.geocoders import get_geocoder_for_service

from .. import __version__
from ..errors import InputError

PUBLIC_NOMINATIM = "nominatim.openstreetmap.org"
DEFAULT_USER_AGENT = f"geomap/{__version__}"
OSM_ATTRIBUTION = "Data © OpenStreetMap contributors, ODbL 1.0. https://osm.org/copyright"
#: Candidates asked for per query: enough to find the prison among same-named places.
CANDIDATES = 5


class ProviderFailure(Exception):
    """A query got no answer (after retries); the reason is one line for the summary."""


class NominatimAnswer:
    """Reads a Nominatim ``/search`` result (``format=json`` or ``jsonv2``)."""

    #: addresstypes finer than a town but not the facility: "near it".
    NEAR = {"suburb", "neighbourhood", "quarter", "city_block", "residential", "road", "farm", "isolated_dwelling"}
    attribution = OSM_ATTRIBUTION

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


class PhotonAnswer:
    """Reads a Photon GeoJSON feature (OSM data, so the same attribution)."""

    attribution = OSM_ATTRIBUTION
    PRECISION = {"house": "approximate", "street": "approximate", "other": "approximate", "district": "approximate",
                 "locality": "locality", "city": "locality", "county": "region", "state": "region"}
    OSM_TYPES = {"N": "node", "W": "way", "R": "relation"}

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


class GenericAnswer:
    """Any other geopy provider: no tags to read, so precision is assumed ``locality``
    (never ``site``) and country/state cannot be checked."""

    attribution = None

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


ANSWERS = {"nominatim": NominatimAnswer, "photon": PhotonAnswer}


def _server(url):
    """geopy's ``(scheme, domain)`` from a base URL such as ``http://localhost:8080/nominatim``."""
    parts = urlsplit(url if "://" in url else f"https://{url}")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InputError(f"--geocoder-url {url!r}: give an http(s) URL such as http://localhost:8080")
    return parts.scheme, parts.netloc + parts.path.rstrip("/")


class OnlineGeocoder:
    """One geopy geocoder, rate-limited, retried and identified (see module doc)."""

    def __init__(self, service="nominatim", url=None, user_agent=None, api_key=None, timeout=10.0,
                 min_delay=1.0, max_retries=2, backoff=2.0, max_wait=120.0, require_user_agent=True):
        try:
            geocoder_class = get_geocoder_for_service(service)
        except GeocoderNotFound:
            raise InputError(f"--geocoder {service!r}: geopy has no such provider (try nominatim, photon, arcgis)") from None
        accepted = inspect.signature(geocoder_class.__init__).parameters
        options = {"timeout": timeout, "adapter_factory": functools.partial(RequestsAdapter, max_retries=0)}
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
        self.service = service
        self.id = f"{service} {getattr(self.geocoder, 'scheme', '')}://{getattr(self.geocoder, 'domain', '')}"
        self.answer = ANSWERS.get(service, GenericAnswer)
        self.max_retries, self.backoff, self.max_wait = max_retries, backoff, max_wait
        self.stopped = None
        self.requests_sent = 0
        search = inspect.signature(self.geocoder.geocode).parameters
        self._search_options = {key: value for key, value in
                                {"exactly_one": False, "limit": CANDIDATES, "addressdetails": True}.items() if key in search}
        self._country_option = "country_codes" if "country_codes" in search else None
        self._limited = RateLimiter(self._request, min_delay_seconds=min_delay, max_retries=0, swallow_exceptions=False)

    def _request(self, query, options):
        self.requests_sent += 1
        return self.geocoder.geocode(query, **options)

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
                locations = self._limited(query, options)
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
                return [{"lat": loc.latitude, "lon": loc.longitude, "address": loc.address, "raw": loc.raw}
                        for loc in locations or []]
            wait = self.backoff * 2**attempt if wait is None else wait
            if attempt == self.max_retries or wait > self.max_wait:
                break
            time.sleep(wait)
        self.stopped = f"{self.service} stopped after {attempt + 1} attempts: {reason}"
        raise ProviderFailure(self.stopped)
