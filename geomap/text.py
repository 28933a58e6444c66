"""Text that leaves geomap for a person: printed safely, kept to one line.

Names, ids and server answers are data an attacker may write. A terminal obeys
control characters in them (ESC sequences clear the screen or set the clipboard
through OSC 52; bidi controls reorder what a line seems to say), so every message
the CLI prints goes through :func:`printable`. Files keep the data as it is.
"""

import re

#: C0 (newline and tab included: a message is one line), DEL, C1, the bidi controls
#: (embeddings, overrides, isolates, marks, the Arabic letter mark), the line and
#: paragraph separators, and lone surrogates (which no terminal encoding can print).
UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _escaped(match):
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text):
    """``text`` with every unsafe character shown as an escape: ``\\x1b``, ``\\u202e``."""
    return UNSAFE.sub(_escaped, str(text))


def one_line(text, limit=300):
    """``text`` on one line (whitespace runs become one space), cut to ``limit`` characters."""
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"
