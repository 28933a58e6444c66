"""How each status looks, on the map and in the KML export: one palette, one set of shapes."""

#: Status colours (Okabe-Ito: distinguishable with the common colour-vision deficiencies) and
#: shapes (so colour is never the only cue).
STATUS_COLOURS = {"open": "#D55E00", "announced_closure": "#E69F00", "closed": "#0072B2", "unknown": "#7F7F7F"}
STATUS_SHAPES = {"open": "circle", "announced_closure": "square", "closed": "triangle", "unknown": "diamond"}
#: Statuses in legend order; the map's status column holds their positions in this list.
STATUS_ORDER = tuple(STATUS_COLOURS)
#: KML icon colour per status, as aabbggrr (KML's byte order).
STATUS_KML_COLOURS = {status: "ff" + rgb[5:7] + rgb[3:5] + rgb[1:3] for status, rgb in STATUS_COLOURS.items()}
#: Cluster and stack markers (a ring of status colours around the count) and fan-out leader lines:
#: dark text on a white disc (contrast ~19:1), a dark edge that sets the ring off any background.
GROUP_COLOURS = {"edge": "#222222", "disc": "#FFFFFF", "text": "#111111", "leader": "#333333"}
