"""Step b: the curated gazetteer — facilities already located and sourced by hand.

A row whose name (or alias) names a curated facility gets that facility's point,
precision and source, so "Helicoide", "SEBIN El Helicoide" and "Cárcel de Tocorón"
land on the sourced site instead of whatever an online geocoder guesses.
"""

from pathlib import Path

from .. import DEFAULT_FACILITIES
from ..dataset import curated_path
from ..load import read_facilities
from rapidfuzz import fuzz, process

from ..names import Facility, NameMatcher, normalize
from .resolution import Resolution
from .text import fold, similar

#: Share of a fuzzy-matched name's words (4+ letters) that the facility's own names,
#: city and state must account for. token_set_ratio scores 100 whenever one name's
#: words are a subset of the other's, so "Cárcel Fénix Carabobo" would otherwise take
#: the point of "Internado Judicial de Carabobo": a different facility pinned as a site.
WORD_COVERAGE = 0.75
#: A word counts as accounted for when it is this close (rapidfuzz ratio) to one of
#: the facility's words: "helicoid" ~ "helicoide" (94).
WORD_SIMILARITY = 85


def facility_names(properties):
    """The names a facility answers to: name, English name and aliases."""
    return tuple(filter(None, [properties.get("name"), properties.get("name_en"), *(properties.get("aliases") or [])]))


def unexplained_share(name, vocabulary):
    """Share of the distinctive words of ``name`` that ``vocabulary`` has no close word for."""
    words = [word for word in normalize(name).split() if len(word) > 3]
    if not words:
        return 0.0
    missing = [word for word in words if not process.extractOne(word, vocabulary, scorer=fuzz.ratio, score_cutoff=WORD_SIMILARITY)]
    return len(missing) / len(words)


class Gazetteer:
    """The located facilities of a curated GeoJSON file, matched by name.

    Names are matched by :class:`geomap.names.NameMatcher` (the same rules as
    ``geomap join``: exact normalized names and aliases, then rapidfuzz above its
    documented threshold; ambiguous names are reported, never guessed).
    """

    name = "gazetteer"

    def __init__(self, path=DEFAULT_FACILITIES):
        self.path = Path(curated_path(path))
        facilities = read_facilities(self.path, require_geometry=False)
        self.entries, self.vocabulary = {}, {}
        for properties, point in zip(facilities.drop(columns="geometry").to_dict("records"), facilities.geometry):
            if point is not None and not point.is_empty:
                self.entries[properties["id"]] = (properties, point)
                texts = [*facility_names(properties), properties.get("city") or "", properties.get("state") or ""]
                self.vocabulary[properties["id"]] = sorted({word for text in texts for word in fold(text).split()})
        self.matcher = NameMatcher(
            Facility(id=facility_id, state=properties.get("state"), names=facility_names(properties))
            for facility_id, (properties, _) in self.entries.items()
        )
        self._matches = {}  # (name, state) -> Match, from prepare or an earlier row

    def prepare(self, rows):
        """Match the names of all ``rows`` at once: one batched fuzzy match (~0.1 ms a name) instead of
        one per row (~6 ms each, most of it rapidfuzz's and scipy's setup). :meth:`resolve` gives the same."""
        queries = list(dict.fromkeys((name, row.get("state")) for row in rows for name in facility_names(row)))
        queries = [query for query in queries if query not in self._matches]
        self._matches.update(zip(queries, self.matcher.match_many(queries)))

    def _match(self, name, state):
        if (name, state) not in self._matches:
            self._matches[name, state] = self.matcher.match(name, state)
        return self._matches[name, state]

    def resolve(self, row):
        """The curated facility ``row`` names, a reason it matches none, or None (no name)."""
        reasons = []
        for name in dict.fromkeys(facility_names(row)):
            match = self._match(name, row.get("state"))
            if match.facility_id is None:
                rivals = ", ".join(facility_id for facility_id, _ in match.candidates)
                reasons.append(f"{name!r}: {match.method}" + (f" ({rivals})" if rivals else ""))
                continue
            properties, point = self.entries[match.facility_id]
            unexplained = unexplained_share(name, self.vocabulary[match.facility_id])
            if match.method == "fuzzy" and unexplained > 1 - WORD_COVERAGE:
                reasons.append(f"{name!r} is like {match.facility_id} but {unexplained:.0%} of its words are not: "
                               "add it as an alias if it is the same facility")
                continue
            if row.get("country") and row["country"] != properties["country"]:
                reasons.append(f"{name!r} names {match.facility_id}, which is in {properties['country']}, not {row['country']}")
                continue
            if row.get("state") and properties.get("state") and not similar(row["state"], properties["state"]):
                reasons.append(f"{name!r} names {match.facility_id}, which is in {properties['state']}, not {row['state']}")
                continue
            return Resolution(
                lon=point.x,
                lat=point.y,
                precision=properties["location_precision"],
                source=properties["location_source"],
                as_of=properties.get("location_as_of"),
                geocoding={
                    "step": self.name,
                    "provider": str(self.path),
                    "query": name,
                    "facility_id": match.facility_id,
                    "match": match.method,
                    "score": match.score,
                },
            )
        return "; ".join(reasons) or None
