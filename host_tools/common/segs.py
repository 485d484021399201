"""route_data.SEG read on the host and in the tests (common subset: also under MicroPython), decoded with
struct by the generator's layout rather than by the firmware's own readers (trainctl/geo.py), so a test of
one checks the other. The firmware itself carries only what the matcher needs."""

import struct

_FMT = "<iiHhhHi"  # host_tools/build/route.py SEG_LAYOUT: lat, lon, kx, east_m, north_m, len_m, along_m
SEG_BYTES = 20


def seg_row(seg, j):
    """Segment j: (lat, lon, kx, east_m, north_m, len_m, along_m)."""
    return struct.unpack_from(_FMT, seg, j * SEG_BYTES)


def seg_start(seg, j):
    """(lat, lon) micro-degrees where segment j starts."""
    r = seg_row(seg, j)
    return r[0], r[1]


def seg_len_m(seg, j):
    return seg_row(seg, j)[5]


def seg_along_m(seg, j):
    """Distance along the route where segment j starts, m."""
    return seg_row(seg, j)[6]
