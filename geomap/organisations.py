"""Who counted a figure (``counted_by``): the canonical organisations, named in English and Spanish.

A figure's ``counted_by`` is the organisation whose count it is, distinct from its ``source``
(the page it was read from). The slugs below are the documented values (docs/data-model.md);
any other organisation may be written as free text; ``None`` means unknown (old count files).
Count files may name an organisation in words ("Foro Penal", "JEP", "la prensa"): they are read
as its slug by :func:`canonical_counted_by`.
"""

import re

from .names import fold

#: slug -> (English name, Spanish name).
ORGANISATIONS = {
    "foro_penal": ("Foro Penal", "Foro Penal"),
    "jep": ("Justicia, Encuentro y Perdón (JEP)", "Justicia, Encuentro y Perdón (JEP)"),
    "ovp": ("Venezuelan Prison Observatory (OVP)", "Observatorio Venezolano de Prisiones (OVP)"),
    "provea": ("Provea", "Provea"),
    "una_ventana": ("Una Ventana a la Libertad", "Una Ventana a la Libertad"),
    "clippve": ("CLIPPVE (Committee for the Freedom of Political Prisoners)",
                "CLIPPVE (Comité por la Libertad de los Presos Políticos)"),
    "un_ffm": ("UN Fact-Finding Mission on Venezuela",
               "Misión Internacional Independiente de Determinación de los Hechos (ONU)"),
    "government": ("a Venezuelan government body", "un organismo del gobierno venezolano"),
    "press": ("the press (a reporter's own count)", "la prensa (conteo propio)"),
}

#: slug -> hosts of the organisation's own channels: a figure read there is the organisation's own
#: publication, never a republication (only hosts known for certain; a host matches its subdomains).
OWN_SITES = {
    "foro_penal": ("foropenal.com",),
    "ovp": ("oveprisiones.com",),
    "provea": ("provea.org",),
    "una_ventana": ("unaventanaalalibertad.org",),
    "un_ffm": ("ohchr.org",),
    "government": ("gob.ve",),
}

#: Other ways count files write an organisation (folded), besides its slug and its two names.
_SPELLINGS = {
    "foro_penal": ("foro penal", "foropenal"),
    "jep": ("jep", "justicia encuentro y perdon"),
    "ovp": ("ovp", "observatorio venezolano de prisiones"),
    "provea": ("provea",),
    "una_ventana": ("una ventana a la libertad", "una ventana", "uval"),
    "clippve": ("clippve", "comite por la libertad de los presos politicos"),
    "un_ffm": ("un ffm", "ffm", "un fact finding mission", "mision de determinacion de los hechos",
               "mision internacional independiente de determinacion de los hechos"),
    "government": ("government", "gobierno", "gobierno venezolano", "ministerio publico", "fiscalia"),
    "press": ("press", "prensa", "la prensa", "the press", "reporter", "periodista"),
}
_SLUG_OF = {fold(spelling): slug for slug, spellings in _SPELLINGS.items() for spelling in spellings}
_SLUG_OF.update({fold(slug.replace("_", " ")): slug for slug in ORGANISATIONS})
_SLUG_OF.update({fold(name): slug for slug, names in ORGANISATIONS.items() for name in names})
_HOST = re.compile(r"^https?://([^/?#:]+)", re.I)


def canonical_counted_by(text):
    """The slug an organisation's name stands for ("Foro Penal" -> ``foro_penal``), other text as
    written (free text names any other organisation), None when empty."""
    text = " ".join(str(text or "").split())
    if not text:
        return None
    return _SLUG_OF.get(fold(text), text)


def organisation_name(counted_by, lang="en"):
    """How the page names ``counted_by`` in ``lang``: a canonical slug's name, free text as it is."""
    names = ORGANISATIONS.get(counted_by)
    return names[("en", "es").index(lang)] if names else counted_by


def names_in(lang):
    """``{slug: name}`` of every canonical organisation in ``lang`` (for the page's labels)."""
    return {slug: organisation_name(slug, lang) for slug in ORGANISATIONS}


def is_own_channel(counted_by, source):
    """True when ``source`` is on one of the counting organisation's own sites (:data:`OWN_SITES`)."""
    match = _HOST.match(source or "")
    host = match[1].lower() if match else ""
    return any(host == site or host.endswith("." + site) for site in OWN_SITES.get(counted_by, ()))
