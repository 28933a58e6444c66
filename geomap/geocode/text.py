"""Place-name helpers shared by the cache, the chain and the locality table.

Facility names are matched by :mod:`geomap.names` (shared with ``geomap join``);
this module folds and compares *place* names (cities, states).
"""

import re

from rapidfuzz import fuzz, process

from ..names import fold

_NOTE = re.compile(r"\([^)]*\)")

__all__ = ["fold", "similar", "unique_match", "without_notes"]


def without_notes(text):
    """``"Caracas (Boleíta Norte)"`` → ``"Caracas"``: sources put notes in parentheses."""
    return " ".join(_NOTE.sub(" ", str(text or "")).split())


def similar(a, b, threshold=90):
    """True when two place names agree, accents, case and extra words ("Estado") aside."""
    return fuzz.token_set_ratio(fold(a), fold(b)) >= threshold


def unique_match(query, variants, threshold, margin):
    """Find the one key whose text matches ``query``; return ``(key, text, score)`` or a reason.

    ``variants`` is a list of ``(key, text)``. An exact text wins if one key has it;
    otherwise the best rapidfuzz ``token_set_ratio`` must reach ``threshold`` and beat
    every other key by ``margin`` points. Two near-equal keys make the query
    ambiguous: reported (as the returned string), never guessed.
    """
    if not query or not variants:
        return "nothing to compare"
    exact = {key for key, text in variants if text == query}
    if len(exact) == 1:
        return exact.pop(), query, 100.0
    best = {}
    for text, score, index in process.extract(
        query, [text for _, text in variants], scorer=fuzz.token_set_ratio, limit=None,
        score_cutoff=max(threshold - margin, 0),
    ):
        key = variants[index][0]
        if key not in best or score > best[key][1]:
            best[key] = (text, score)
    ranked = sorted(best.items(), key=lambda item: -item[1][1])
    if not ranked or ranked[0][1][1] < threshold:
        return f"no name scores {threshold} or more"
    (key, (text, score)), rivals = ranked[0], ranked[1:]
    close = [other for other, (_, other_score) in rivals if other_score > score - margin]
    if close:
        return f"ambiguous: matches {key} and {', '.join(map(str, close))} equally well"
    return key, text, score
