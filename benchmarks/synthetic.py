"""Synthetic facilities with the full data model, for benchmarks.

Every field of ``geomap/facility.schema.json`` is filled the way real records are:
Spanish names with accents and English names for most, aliases, dated status
history ending in the current status, a detainee-count time series whose last
figure is the current one, several source URLs, notes and geocoding details for
approximate points. Points are spread uniformly over each facility's state
(its vendored outline), so they pass the location checks.
The same ``count`` and ``seed`` always give the same facilities, and every set
passes ``geomap validate``. No real person appears anywhere: facility aggregates only.
"""

import datetime as dt
import json
import random

import shapely

from geomap import frame as frames
from geomap.files import atomic_write
from geomap.names import fold
from geomap.places import state_outline

PLACES = [  # (city, state)
    ("Caracas", "Distrito Capital"), ("Maracaibo", "Zulia"), ("Cabimas", "Zulia"), ("Valencia", "Carabobo"),
    ("Tocuyito", "Carabobo"), ("Barquisimeto", "Lara"), ("Maturín", "Monagas"), ("Mérida", "Mérida"),
    ("San Cristóbal", "Táchira"), ("Ciudad Bolívar", "Bolívar"), ("Puerto Ayacucho", "Amazonas"),
    ("Guanare", "Portuguesa"), ("San Juan de los Morros", "Guárico"), ("Los Teques", "Miranda"),
    ("Ocumare del Tuy", "Miranda"), ("Barcelona", "Anzoátegui"), ("Cumaná", "Sucre"), ("Coro", "Falcón"),
    ("Tucupita", "Delta Amacuro"), ("La Asunción", "Nueva Esparta"), ("San Fernando de Apure", "Apure"),
    ("Trujillo", "Trujillo"), ("Barinas", "Barinas"), ("San Felipe", "Yaracuy"), ("Maracay", "Aragua"),
]
KINDS = [  # (facility_type, Spanish pattern, English pattern, operators)
    ("prison", "Centro Penitenciario «{place}»", "{place} Penitentiary Centre", ["MPPSP"]),
    ("prison", "Internado Judicial de {place}", "{place} Judicial Prison", ["MPPSP"]),
    ("pretrial_detention", "Centro de Detención Preventiva N.º {n} de {place}", "{place} Pretrial Detention Centre No. {n}", ["PNB", "CICPC"]),
    ("intelligence_hq", "Sede del SEBIN en {place}", "SEBIN headquarters, {place}", ["SEBIN"]),
    ("military_prison", "Centro Nacional de Procesados Militares de {place}", "{place} National Military Detention Centre", ["DGCIM", "FANB"]),
    ("police", "Comando de Zona N.º {n} de la GNB ({place})", "National Guard Zone Command {n} ({place})", ["GNB", "Policía estadal"]),
    ("other", "Retén policial de {place}", "{place} police lock-up", ["Policía municipal", "PNB"]),
]
STREETS = ["Av. Bolívar", "Calle Páez", "Av. Urdaneta", "Carretera Panamericana", "Av. Libertador", "Calle Sucre",
           "Autopista Regional del Centro", "Av. Miranda"]
SECTORS = ["sector La Pañoleta", "urbanización El Paraíso", "barrio San Agustín", "zona industrial", "parroquia Catedral"]
DOMAINS = ["efectococuyo.com", "elpitazo.net", "foropenal.com", "runrun.es", "talcualdigital.com", "cronica.uno",
           "provea.org", "www.hrw.org", "www.ohchr.org", "elestimulo.com"]
NOTES = [
    "Familiares denuncian visitas restringidas y falta de atención médica; cifras según organizaciones de derechos humanos.",
    "Relatives report restricted visits; the figure counts people held for political reasons only.",
    "Sources disagree on the exact site; the point marks the compound named in the reports.",
    "Transferencias frecuentes hacia y desde Caracas dificultan el conteo.",
    "Announced as closing; detainees reportedly moved to other centres.",
]
STATUS_WEIGHTS = {"open": 70, "announced_closure": 8, "closed": 7, "unknown": 15}
PRECISION_WEIGHTS = {"site": 60, "approximate": 15, "locality": 20, "region": 5}
LAST_DAY = dt.date(2026, 10, 31)
QUALIFIERS = ["exact", "about", "at_least", "up_to", None]
COUNTED_BY = ["foro_penal", "jep", "ovp", "press", None]


def _date(rng, year_from=2019):
    """A day between 1 January ``year_from`` and the end of October 2026 (never in the future)."""
    first = dt.date(year_from, 1, 1).toordinal()
    return dt.date.fromordinal(rng.randint(first, LAST_DAY.toordinal())).isoformat()


def _url(rng, slug, index):
    return f"https://{rng.choice(DOMAINS)}/{rng.randint(2019, 2026)}/{slug}-{index}-{rng.randint(1000, 99999)}"


def _properties(rng, index):
    city, state = rng.choice(PLACES)
    facility_type, name_es, name_en, operators = rng.choice(KINDS)
    number = rng.randint(1, 99)
    name = name_es.format(place=city, n=number)
    slug = "-".join(fold(name).replace("n.º", "").split())[:48].strip("-")
    sources = [_url(rng, slug, index) for _ in range(rng.randint(1, 5))]
    status = rng.choices(list(STATUS_WEIGHTS), weights=STATUS_WEIGHTS.values())[0]
    history_dates = sorted(_date(rng) for _ in range(rng.randint(1, 3)))
    history_statuses = ["open"] * (len(history_dates) - 1) + [status]
    status_history = [{"status": s, "date": d, "source": rng.choice(sources),
                       "note": rng.choice(NOTES) if rng.random() < 0.4 else None}
                      for s, d in zip(history_statuses, history_dates)]
    counts = [{"detainees": rng.randint(0, 400), "qualifier": rng.choice(QUALIFIERS), "as_of": d,
               "source": rng.choice(sources), "counted_by": rng.choice(COUNTED_BY),
               "note": rng.choice(NOTES) if rng.random() < 0.3 else None}
              for d in sorted(_date(rng, 2022) for _ in range(rng.randint(0, 4)))]
    latest = counts[-1] if counts else {}
    precision = rng.choices(list(PRECISION_WEIGHTS), weights=PRECISION_WEIGHTS.values())[0]
    query = f"{name}, {city}, {state}, Venezuela"
    return {
        "id": f"{slug}-{index}",
        "name": name,
        "name_en": name_en.format(place=city, n=number) if rng.random() < 0.6 else None,
        "aliases": rng.sample([fold(name), name.split(" de ")[0], f"{operators[0]} {city}", f"Cárcel de {city}"],
                              rng.randint(1, 4)),
        "facility_type": facility_type,
        "operator": rng.choice(operators),
        "address": f"{rng.choice(STREETS)}, {rng.choice(SECTORS)}" if rng.random() < 0.7 else None,
        "city": city,
        "state": state,
        "country": "VE",
        "status": status,
        "status_date": history_dates[-1],
        "status_source": status_history[-1]["source"],
        "status_history": status_history,
        "detainees": latest.get("detainees"),
        "detainees_qualifier": latest.get("qualifier"),
        "detainees_as_of": latest.get("as_of"),
        "detainees_source": latest.get("source"),
        "detainees_counted_by": latest.get("counted_by"),
        "detainee_counts": counts,
        "location_precision": precision,
        "location_source": sources[0] if precision == "site" else f"nominatim: {query}",
        "location_as_of": _date(rng, 2025),
        "geocoding": None if precision == "site" else {
            "step": "nominatim", "provider": "nominatim", "query": query, "osm_type": "way",
            "osm_id": rng.randint(10**6, 10**9), "class": "amenity", "type": "prison",
            "place_rank": 30, "addresstype": "amenity"},
        "sources": sources,
        "notes": rng.choice(NOTES) if rng.random() < 0.6 else None,
    }


def _point_in(rng, state):
    """A point drawn uniformly inside ``state`` (rejection sampling in its bounding box), rounded to 6 decimals."""
    outline = state_outline("VE", state)
    west, south, east, north = outline.bounds
    while True:
        lon, lat = round(rng.uniform(west, east), 6), round(rng.uniform(south, north), 6)
        if shapely.contains_xy(outline, lon, lat):
            return [lon, lat]


def features(count, seed=0):
    """``count`` GeoJSON Point features, the same for the same ``seed``."""
    rng = random.Random(seed)
    result = []
    for index in range(count):
        properties = _properties(rng, index)
        result.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": _point_in(rng, properties["state"])},
                       "properties": properties})
    return result


def facilities(count, seed=0):
    """The facilities GeoDataFrame of :func:`features`."""
    return frames.from_features(features(count, seed))


def compact_json(features):
    """The FeatureCollection of ``features`` as compact JSON text (no spaces, UTF-8 kept)."""
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False, separators=(",", ":"))


def write_geojson(features, path):
    """Write ``features`` as a compact GeoJSON file (the input of the CLI path)."""
    with atomic_write(path) as handle:
        handle.write(compact_json(features))
    return path
