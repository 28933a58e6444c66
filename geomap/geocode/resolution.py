"""What a resolution step returns when it locates a facility."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Resolution:
    """A located facility: the point, how precise it is, and where it came from.

    ``geocoding`` becomes the feature's ``geocoding`` property (step, provider,
    query and the provider's identifiers), so every point can be traced back.
    """

    lon: float
    lat: float
    precision: str
    source: str
    as_of: str | None
    geocoding: dict = field(default_factory=dict)
