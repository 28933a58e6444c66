"""Facility names: normalization and matching of the names reports use to facility ids.

Sources spell one facility many ways ("El Helicoide", "SEBIN-Helicoide", "Helicoide (sede del
SEBIN)"), so matching runs in steps, each stricter than the next is lenient:

1. the exact facility ``id``;
2. an exact match of the :func:`normalize` d name against every normalized name, English name
   and alias of every facility (one facility's own name wins), then against their
   :func:`name_variants` (the part outside parentheses, each part inside, each side of " / ");
3. a fuzzy match (rapidfuzz, :data:`SCORER`) scoring at least :data:`FUZZY_THRESHOLD`,
   restricted to facilities in the same state when the row gives one.

A name that two facilities claim equally (exact keys shared by two ids, or fuzzy scores within
:data:`AMBIGUITY_MARGIN` of each other) is *ambiguous* and is never guessed. The geocoder's
gazetteer can reuse :func:`normalize` so both stages agree on what "the same name" means.
"""

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from rapidfuzz import fuzz, process

#: rapidfuzz's token_sort_ratio (word order does not matter), raised to 100 when all the words of
#: one name appear in the other ("sebin helicoide" ~ "helicoide"), so extra words do not hurt —
#: unless the shared words only name a state ("fenix carabobo" is not the Carabobo penitentiary).
SCORER = fuzz.token_sort_ratio
#: Lowest score (0-100) a fuzzy candidate needs. 88 keeps "rodeo 1" and "rodeo 2" apart (86)
#: while a typo such as "helicoid" ~ "helicoide" (94) still matches.
FUZZY_THRESHOLD = 88
#: Fuzzy candidates of two facilities whose scores differ by less than this are ambiguous.
AMBIGUITY_MARGIN = 5

#: Descriptive words that open facility names but say nothing about which facility it is.
GENERIC_PREFIXES = (
    "centro penitenciario",
    "internado judicial",
    "centro de reclusion",
    "centro de detencion",
    "carcel",
    "prision",
    "sede principal",
    "sede",
)
_LINKS = ("de las", "de los", "de la", "del", "de", "en")
_ARTICLES = ("el", "la", "los", "las")
_ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4", "v": "5", "vi": "6", "vii": "7", "viii": "8", "ix": "9", "x": "10"}
_PREFIX = re.compile(
    r"^(?:(?:{})(?: (?:{}))?|{}) ".format(
        "|".join(GENERIC_PREFIXES), "|".join(_LINKS), "|".join(_ARTICLES)
    )
)


@lru_cache(maxsize=65536)
def fold(text):
    """Lower-case ``text`` without accents, punctuation or repeated spaces ("Tocorón!" -> "tocoron")."""
    decomposed = unicodedata.normalize("NFKD", str(text))
    plain = "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()
    plain = re.sub(r"['’`´]", "", plain)
    return " ".join(re.sub(r"[\W_]+", " ", plain).split())


@lru_cache(maxsize=65536)
def normalize(name):
    """The comparable form of a facility name.

    Folds case, accents, punctuation and spaces (:func:`fold`), writes Roman numerals as
    digits ("Rodeo I" -> "rodeo 1") and drops leading generic words and articles ("Centro
    Penitenciario de", "Internado Judicial", "Cárcel de", "sede del", "El"...), unless
    nothing would be left. ``normalize("Centro Penitenciario de Aragua (Tocorón)")`` is
    ``"aragua tocoron"``.
    """
    words = " ".join(_ROMAN.get(word, word) for word in fold(name).split())
    while True:
        stripped = _PREFIX.sub("", words, count=1)
        if stripped == words or not stripped:
            return words
        words = stripped


@lru_cache(maxsize=65536)
def name_variants(name):
    """Normalized forms of a name and of its parts: whole, outside parentheses, each inside part.

    "Centro Penitenciario de Aragua (Tocorón)" yields "aragua tocoron", "aragua" and "tocoron";
    each side of " / " counts as a name of its own. Empty and repeated forms are dropped.
    """
    parts = [name]
    for piece in re.split(r"\s/\s", name):
        parts.append(re.sub(r"\([^)]*\)", " ", piece))
        parts.extend(inside for group in re.findall(r"\(([^)]*)\)", piece) for inside in re.split(r"[,;]", group))
    return tuple(dict.fromkeys(key for key in map(normalize, parts) if key))


@dataclass(frozen=True)
class Match:
    """How one input name was resolved.

    ``method`` is ``id``, ``alias`` (the user's crosswalk), ``name`` (exact normalized name),
    ``fuzzy``, ``ambiguous`` or ``unmatched``; ``facility_id`` is None unless matched.
    ``candidates`` lists ``(facility_id, score)`` best first (the runners-up for a match).
    """

    facility_id: str | None
    method: str
    score: float | None = None
    candidates: tuple = ()


@dataclass(frozen=True)
class Facility:
    """What the matcher needs to know about one facility."""

    id: str
    names: tuple
    state: str | None = None


class NameMatcher:
    """Resolves input names to facility ids; build once, match many (see the module doc)."""

    def __init__(self, facilities, aliases=None):
        """``facilities``: :class:`Facility` items; ``aliases``: ``{input name: facility id}``."""
        facilities = list(facilities)
        self.ids = {facility.id for facility in facilities}
        self.aliases = {normalize(name): facility_id for name, facility_id in (aliases or {}).items()}
        self._exact, self._whole = {}, {}
        self._states = {facility.id: fold(facility.state) if facility.state else None for facility in facilities}
        keys, key_ids, key_states = [], [], []
        for facility in facilities:
            state = self._states[facility.id]
            for name in facility.names:
                whole = self._whole.setdefault(normalize(name), [])
                if facility.id not in whole:
                    whole.append(facility.id)
                for key in name_variants(name):
                    owners = self._exact.setdefault(key, [])
                    if facility.id not in owners:
                        owners.append(facility.id)
                        keys.append(key)
                        key_ids.append(facility.id)
                        key_states.append(state)
        # a key several facilities share ("sebin") cannot tell them apart: exact matching only
        distinct = [len(self._exact[key]) == 1 for key in keys]
        self._keys = [key for key, keep in zip(keys, distinct) if keep]
        self._key_ids = np.array(key_ids, dtype=object)[distinct]
        self._key_states = np.array(key_states, dtype=object)[distinct]
        self._vocabulary = {}
        incidence = [(row, self._vocabulary.setdefault(word, len(self._vocabulary)))
                     for row, key in enumerate(self._keys) for word in set(key.split())]
        from scipy import sparse  # here, not at import: `geomap build` reads names.fold only (~0.4 s)

        self._key_words = sparse.csr_matrix(
            (np.ones(len(incidence), dtype=np.int32), tuple(zip(*incidence)) or ([], [])),
            shape=(len(self._keys), len(self._vocabulary)))
        state_words = {word for state in self._states.values() if state for word in state.split()}
        self._telling_words = np.array([index for word, index in self._vocabulary.items() if word not in state_words],
                                       dtype=np.int64)

    def match(self, name, state=None):
        """Resolve one name (and the row's state, if any) to a :class:`Match`."""
        return self.match_many([(name, state)])[0]

    def match_many(self, queries):
        """Resolve ``(name, state)`` pairs; fuzzy scoring runs once per distinct leftover name."""
        results = [self._match_exact(name, state) for name, state in queries]
        leftovers = {}
        for position, (result, (name, state)) in enumerate(zip(results, queries)):
            if result is None:
                leftovers.setdefault((normalize(name), fold(state) if state else None), []).append(position)
        for (key, state), matches in zip(leftovers, self._match_fuzzy(list(leftovers))):
            for position in leftovers[(key, state)]:
                results[position] = matches
        return results

    def _match_exact(self, name, state):
        name = str(name).strip()
        if name in self.ids:
            return Match(name, "id", 100.0)
        key = normalize(name)
        if key in self.aliases:
            return Match(self.aliases[key], "alias", 100.0)
        whole = self._whole.get(key, ())
        if len(whole) == 1:  # a facility's own name or alias beats a part of another's ("(Tocuyito)")
            return Match(whole[0], "name", 100.0)
        owners = self._exact.get(key)
        if owners is None:
            # parts that name one facility decide; parts shared by several ("sebin") only if nothing else
            claims = [self._exact[variant] for variant in name_variants(name) if variant in self._exact]
            if not claims:
                return None
            unique = {found[0] for found in claims if len(found) == 1}
            owners = sorted(unique or {owner for found in claims for owner in found})
        if len(owners) > 1 and state:
            in_state = [owner for owner in owners if self._states[owner] == fold(state)]
            owners = in_state or owners
        if len(owners) == 1:
            return Match(owners[0], "name", 100.0)
        return Match(None, "ambiguous", 100.0, tuple((owner, 100.0) for owner in owners))

    def _match_fuzzy(self, queries, chunk=1000):
        """Score (normalized name, folded state) pairs against the keys of their state, in batches."""
        results = [None] * len(queries)
        by_state = {}
        for position, (_, state) in enumerate(queries):
            by_state.setdefault(state, []).append(position)
        for state, positions in by_state.items():
            allowed = np.array([not state or s is None or s == state for s in self._key_states], dtype=bool)
            keys = [key for key, ok in zip(self._keys, allowed) if ok]
            key_words = self._key_words[allowed]
            for start in range(0, len(positions), chunk):
                batch = positions[start:start + chunk]
                scores = self._scores([queries[p][0] for p in batch], keys, key_words)
                for position, row in zip(batch, scores):
                    results[position] = self._decide(row, self._key_ids[allowed])
        return results

    def _scores(self, names, keys, key_words):
        """``len(names) x len(keys)`` scores (0 below the threshold): see :data:`SCORER`.

        token_sort_ratio runs vectorized in rapidfuzz; the "all words of one appear in the
        other" case is found with a sparse word-incidence product instead of per-pair sets.
        """
        scores = process.cdist(names, keys, scorer=SCORER, score_cutoff=FUZZY_THRESHOLD,
                               dtype=np.uint8, workers=-1)
        if not keys:
            return scores
        rows, columns, sizes = [], [], []
        for row, name in enumerate(names):
            words = set(name.split())
            known = [self._vocabulary[word] for word in words if word in self._vocabulary]
            rows.extend([row] * len(known))
            columns.extend(known)
            sizes.append(len(words))
        from scipy import sparse

        query_words = sparse.csr_matrix((np.ones(len(rows), dtype=np.int32), (rows, columns)),
                                        shape=(len(names), len(self._vocabulary)))
        shared = (query_words @ key_words.T).tocoo()
        key_sizes = np.asarray(key_words.sum(axis=1)).ravel()
        subset = (shared.data == np.asarray(sizes)[shared.row]) | (shared.data == key_sizes[shared.col])
        # shared words that only name a state do not identify a facility:
        # "fenix carabobo" must not become the Centro Penitenciario de "carabobo"
        telling = (query_words[:, self._telling_words] @ key_words[:, self._telling_words].T).tocoo()
        width = np.int64(max(len(keys), 1))
        subset &= np.isin(shared.row.astype(np.int64) * width + shared.col,
                          telling.row.astype(np.int64) * width + telling.col)
        scores[shared.row[subset], shared.col[subset]] = 100
        return scores

    @staticmethod
    def _decide(scores, ids):
        """Best score per facility, then match, ambiguous (within the margin) or unmatched."""
        hits = np.nonzero(scores)[0]
        best = {}
        for index in hits:
            best[ids[index]] = max(best.get(ids[index], 0), int(scores[index]))
        ranked = tuple(sorted(best.items(), key=lambda item: (-item[1], item[0])))
        if not ranked:
            return Match(None, "unmatched")
        if len(ranked) > 1 and ranked[0][1] - ranked[1][1] < AMBIGUITY_MARGIN:
            return Match(None, "ambiguous", float(ranked[0][1]), ranked)
        return Match(ranked[0][0], "fuzzy", float(ranked[0][1]), ranked)


#: Points closer than this (metres) with names at least :data:`NEAR_NAME_THRESHOLD` alike are probable duplicates.
NEAR_METRES = 50.0
#: How alike (rapidfuzz :data:`SCORER`, 0-100, no "all words appear" bonus) names at near points must be:
#: facilities placed at one town point ("Yare", "Yare II", 80%) are distinct, "Tocorón"/"Tocoron" are not.
NEAR_NAME_THRESHOLD = FUZZY_THRESHOLD
_EARTH_METRES = 6_371_008.8


@dataclass(frozen=True)
class Duplicate:
    """Two features of one file that probably describe one facility: their row positions, ids and why."""

    first: int
    second: int
    first_id: str | None
    second_id: str | None
    reason: str


def _list(value):
    """A names cell (None, NaN, a string, a list or array) as a list of strings."""
    if value is None or isinstance(value, float):
        return []
    return [value] if isinstance(value, str) else [item for item in value if isinstance(item, str)]


def probable_duplicates(facilities, metres=NEAR_METRES):
    """Pairs of ``facilities`` (a facilities frame) that are probably one facility, as :class:`Duplicate` s.

    Two rules: (1) in one country and state, a name, English name or alias of one
    :func:`normalize` s to a name, English name or alias of the other ("Cárcel de Tocuyito" and
    the ``tocuyito`` facility, alias "Tocuyito"); parts in parentheses are not compared, as they
    often name the site an annex belongs to; (2) points within ``metres`` whose best pair of
    names scores at least :data:`NEAR_NAME_THRESHOLD` and carries the same numbers ("Rodeo I"
    and "Rodeo II" are two prisons). Several facilities
    at one town point with distinct names are not reported. A group of k facilities sharing a
    name gives k-1 pairs (each with the first), not k²; near points use a KD-tree, not all pairs.
    """
    ids = facilities["id"].tolist()
    def column(name):
        return facilities[name].tolist() if name in facilities.columns else [None] * len(ids)

    names = [_list(name) + _list(name_en) + _list(aliases)
             for name, name_en, aliases in zip(column("name"), column("name_en"), column("aliases"))]
    states, countries = column("state"), column("country")
    places = [(country, fold(state) if isinstance(state, str) else None) for country, state in zip(countries, states)]
    owners = {}
    for row, (place, own) in enumerate(zip(places, names)):
        for key in dict.fromkeys(map(normalize, own)):
            owners.setdefault((place, key), []).append(row)
    found = {}
    for (place, key), group in owners.items():
        for other in group[1:]:
            where = states[group[0]] if isinstance(states[group[0]], str) else "one country"
            found.setdefault((group[0], other), f'same name "{key}" in {where}')
    found.update(_near_duplicates(facilities, names, metres, found))
    return [Duplicate(first, second, ids[first], ids[second], reason) for (first, second), reason in sorted(found.items())]


def _near_duplicates(facilities, names, metres, known):
    """``{(row, row): reason}`` for points within ``metres`` with alike names (rule 2 of :func:`probable_duplicates`)."""
    from scipy.spatial import cKDTree

    geometry = facilities.geometry
    located = np.flatnonzero(~(geometry.isna() | geometry.is_empty).to_numpy())
    if len(located) < 2:
        return {}
    lon, lat = np.radians(geometry.x.to_numpy()[located]), np.radians(geometry.y.to_numpy()[located])
    unit = np.column_stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])
    pairs = cKDTree(unit).query_pairs(metres / _EARTH_METRES, output_type="ndarray")
    near = {}
    for left, right in pairs:
        first, second = sorted((int(located[left]), int(located[right])))
        if (first, second) in known:
            continue
        keys = [list(dict.fromkeys(map(normalize, names[row]))) for row in (first, second)]
        if not all(keys):
            continue
        alike = max((int(SCORER(left_key, right_key)) for left_key in keys[0] for right_key in keys[1]
                     if _numbers(left_key) == _numbers(right_key)), default=0)
        if alike >= NEAR_NAME_THRESHOLD:
            apart = np.linalg.norm(unit[left] - unit[right]) * _EARTH_METRES
            near[(first, second)] = f"{apart:.0f} m apart, names {alike}% alike"
    return near


def _numbers(key):
    """The numbers in a normalized name: names that differ in them ("rodeo 1", "rodeo 2") are two facilities."""
    return [word for word in key.split() if word.isdigit()]


def duplicate_problems(facilities, file="<input>"):
    """:func:`probable_duplicates` as warning :class:`~geomap.places.LocationProblem` s, one line each (``geomap validate``)."""
    from .places import LocationProblem

    return [LocationProblem(file, duplicate.second, duplicate.second_id, None,
                            f"probable duplicate of feature {duplicate.first} (id={duplicate.first_id}): {duplicate.reason}: "
                            "merge them, or add one name to the other's aliases if they are the same facility", warning=True)
            for duplicate in probable_duplicates(facilities)]
