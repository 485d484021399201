"""The route's display texts as str tuples, for host tools and tests (the firmware draws them from
route_data.TEXT by index: trainctl/text.py)."""

import functools
from types import SimpleNamespace

from trainctl.text import text


@functools.lru_cache(maxsize=8)
def names(route):
    """ST_ID, ST_ZH, ST_KO, ST_EN (per station), ZONE_NAME (per country, a tuple in LANGS order), BORDER_NAME
    (LANGS order) and TEXT_N (how many texts) of a route module."""
    n = len(route.LANGS)
    st = [tuple(text(route, route.ST_TEXT + 4 * s + k) for k in range(4)) for s in range(route.STATION_N)]
    per_country = lambda base: tuple(tuple(text(route, base + n * c + k) for k in range(n))  # noqa: E731
                                     for c in range(len(route.COUNTRIES)))
    return SimpleNamespace(
        ST_ZH=tuple(s[0] for s in st), ST_KO=tuple(s[1] for s in st), ST_EN=tuple(s[2] for s in st),
        ST_ID=tuple(s[3] for s in st), TEXT_N=len(route.TEXT_AT) // 2 - 1,
        ZONE_NAME=per_country(route.ZONE_TEXT), BORDER_NAME=tuple(text(route, route.BORDER_TEXT + k)
                                                                  for k in range(n)))
