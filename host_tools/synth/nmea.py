"""The receiver of the synthetic journeys: its position noise, NMEA checksums and coordinates, a slowly changing sky
for GSV/GSA/GGA, one epoch's sentences, and the garbage kinds mixed into the stream."""

import math
import time
from typing import ClassVar

from host_tools.common.nmea import checksum, sentence, valid
from host_tools.synth.earth import EARTH_RADIUS_M, MS_TO_KMH, MS_TO_KN

GARBAGE_KINDS = ("binary", "truncated", "bad_checksum", "too_long", "unknown_type")
MAX_LINE_CHARS = 82  # NMEA 0183 limit, including '$' and CRLF
NOISE_TAU_S = 60.0
_REAL_TYPES = frozenset(
    (
        "RMC",
        "GGA",
        "VTG",
        "GSA",
        "GSV",
        "ZDA",
        "GLL",
        "GNS",
        "GST",
        "TXT",
        "GBS",
        "GRS",
        "DTM",
    )
)
_BINARY_SPECIALS = b"\x00\xff$*\r\n,"


# ---------------------------------------------------------------- receiver noise


class _Noise:
    """The receiver's position noise: Gauss-Markov per axis (sigma noise_m, time constant NOISE_TAU_S), and its
    speed and course noise."""

    def __init__(self, rng, noise_m, rate_s):
        self.rng, self.noise_m = rng, noise_m
        self.phi = math.exp(-rate_s / NOISE_TAU_S)
        self.kick = math.sqrt(1 - self.phi * self.phi)
        self.n = rng.gauss(0, 1) * noise_m
        self.e = rng.gauss(0, 1) * noise_m

    def step(self, lat, lon, speed_ms, course):
        """The next epoch's (lat, lon, speed over ground m/s, course) as the receiver reports them."""
        rng, noise_m = self.rng, self.noise_m
        self.n = self.phi * self.n + self.kick * rng.gauss(0, 1) * noise_m
        self.e = self.phi * self.e + self.kick * rng.gauss(0, 1) * noise_m
        sog_ms, cog = speed_ms, course
        if noise_m > 0:
            lat += math.degrees(self.n / EARTH_RADIUS_M)
            lon += math.degrees(self.e / (EARTH_RADIUS_M * math.cos(math.radians(lat))))
            if speed_ms > 0.05:
                sog_ms = max(0.0, speed_ms + rng.gauss(0, 0.1))
                cog = (course + rng.gauss(0, 0.5)) % 360.0
            else:
                sog_ms = abs(rng.gauss(0, 0.03))
        return lat, lon, sog_ms, cog


# ---------------------------------------------------------------- NMEA formatting


def _fmt_angle(value_deg, deg_digits, hemis):
    units = round(abs(value_deg) * 60 * 100000)
    deg, rem = divmod(units, 60 * 100000)
    hemi = hemis[0] if value_deg >= 0 else hemis[1]
    return f"{deg:0{deg_digits}d}{rem // 100000:02d}.{rem % 100000:05d}", hemi


def fmt_lat(lat_deg):
    """('ddmm.mmmmm', 'N'|'S')."""
    return _fmt_angle(lat_deg, 2, "NS")


def fmt_lon(lon_deg):
    """('dddmm.mmmmm', 'E'|'W')."""
    return _fmt_angle(lon_deg, 3, "EW")


class _Sky:
    """Slowly changing satellite constellation for GSV/GSA/GGA fields."""

    PRN_RANGES: ClassVar[dict] = {
        "GP": (1, 32),
        "GB": (1, 63),
        "BD": (1, 63),
        "GL": (65, 96),
        "GA": (1, 36),
        "GQ": (1, 10),
    }
    WITH_SIGNAL_ID: ClassVar[dict] = {"GP": "1", "GL": "1", "GA": "7"}

    def __init__(self, rng):
        self.rng = rng
        self.sats = {}
        for system in ("GP", "GB", "GL", "GA", "GQ"):
            lo, hi = self.PRN_RANGES[system]
            prns = rng.sample(range(lo, hi + 1), min(12, hi - lo + 1))
            self.sats[system] = [
                (
                    prn,
                    rng.uniform(12, 80),
                    rng.uniform(0, 360),
                    rng.uniform(0, 2 * math.pi),
                    rng.randint(30, 48),
                )
                for prn in prns
            ]
        self.sats["BD"] = self.sats["GB"]
        self.k0, self.k1 = rng.randrange(8), rng.randrange(8)

    def visible(self, t_s, talker):
        """[(system, [(prn, elev, az, cno)])] for the epoch."""
        n_gps = 5 + (int(t_s) // 900 + self.k0) % 4
        groups = []
        if talker == "GP":
            n_gps += 4
            groups.append(("GP", n_gps))
        else:
            other = {
                "GN": "GB",
                "GB": "GB",
                "BD": "BD",
                "GL": "GL",
                "GA": "GA",
                "GQ": "GQ",
            }[talker]
            groups.append(("GP", n_gps))
            groups.append((other, 1 + (int(t_s) // 600 + self.k1) % 8))
        out = []
        for system, n in groups:
            sats = []
            for prn, el0, az0, ph, cno0 in self.sats[system][:n]:
                elev = min(89, max(5, round(el0 + 8 * math.sin(2 * math.pi * t_s / 7200 + ph))))
                az = round(az0 + t_s / 120.0) % 360
                cno = min(50, max(20, cno0 + round(self.rng.gauss(0, 1.5))))
                sats.append((prn, elev, az, cno))
            out.append((system, sats))
        return out


def _gsv_lines(groups, valid):
    lines = []
    for system, sats in groups:
        n_msgs = max(1, math.ceil(len(sats) / 4))
        sig = _Sky.WITH_SIGNAL_ID.get(system)
        for m in range(n_msgs):
            blocks = [
                f"{prn:02d},{el:02d},{az:03d},{cno:02d}" if valid else f"{prn:02d},{el:02d},{az:03d},"
                for prn, el, az, cno in sats[4 * m : 4 * m + 4]
            ]
            fields = [
                f"{system}GSV",
                str(n_msgs),
                str(m + 1),
                f"{len(sats):02d}",
                *blocks,
            ]
            if sig:
                fields.append(sig)
            lines.append(sentence(",".join(fields)))
    return lines


# ---------------------------------------------------------------- one epoch


def epoch_lines(t, talker, report, groups, valid, want):
    """The sentences (without line ends) of one epoch at UTC second t, and its RMC body; report = (lat, lon,
    speed over ground m/s, course or None, altitude m, satellites used, HDOP); want: the sentence types."""
    lat, lon, sog_ms, cog, alt_m, used, hdop = report
    g = time.gmtime(t)
    hms = f"{g.tm_hour:02d}{g.tm_min:02d}{g.tm_sec:02d}.00"
    dmy = f"{g.tm_mday:02d}{g.tm_mon:02d}{g.tm_year % 100:02d}"
    lat_f, lat_h = fmt_lat(lat)
    lon_f, lon_h = fmt_lon(lon)
    cog_f = "" if cog is None else f"{cog:.2f}"
    if valid:
        rmc = f"{talker}RMC,{hms},A,{lat_f},{lat_h},{lon_f},{lon_h},{sog_ms * MS_TO_KN:.3f},{cog_f},{dmy},,,A,V"
    else:
        rmc = f"{talker}RMC,{hms},V,,,,,,,{dmy},,,N,V"
    lines = []
    if "RMC" in want:
        lines.append(sentence(rmc))
    if "VTG" in want:
        if valid:
            lines.append(
                sentence(f"{talker}VTG,{cog_f},T,,M,{sog_ms * MS_TO_KN:.3f},N,{sog_ms * MS_TO_KMH:.3f},K,A")
            )
        else:
            lines.append(sentence(f"{talker}VTG,,T,,M,,N,,K,N"))
    if "GGA" in want:
        if valid:
            lines.append(
                sentence(
                    f"{talker}GGA,{hms},{lat_f},{lat_h},{lon_f},{lon_h},1,{used:02d},{hdop:.2f},"
                    f"{alt_m:.1f},M,-8.0,M,,"
                )
            )
        else:
            lines.append(sentence(f"{talker}GGA,{hms},,,,,0,00,99.99,,M,,M,,"))
    if "GSA" in want:
        if valid:
            prns = [f"{p:02d}" for p, *_ in groups[0][1]][:12]  # GPS only: system ID 1
            prns += [""] * (12 - len(prns))
            lines.append(
                sentence(f"{talker}GSA,A,3,{','.join(prns)},{hdop * 1.6:.2f},{hdop:.2f},{hdop * 1.3:.2f},1")
            )
        else:
            lines.append(sentence(f"{talker}GSA,A,1,{',' * 11},99.99,99.99,99.99,1"))
    if "GSV" in want:
        lines.extend(_gsv_lines(groups, valid))
    if "ZDA" in want:
        lines.append(sentence(f"{talker}ZDA,{hms},{g.tm_mday:02d},{g.tm_mon:02d},{g.tm_year:04d},00,00"))
    return lines, rmc


# ---------------------------------------------------------------- garbage


def _garbage(rng, kind, rmc_body, talker):
    """Junk bytes of one kind; rmc_body is this epoch's RMC text between '$' and '*'."""
    if kind == "binary":
        while True:
            junk = bytes(
                rng.choice(_BINARY_SPECIALS) if rng.random() < 0.3 else rng.randrange(256)
                for _ in range(rng.randint(1, 48))
            )
            if not any(valid(part) for part in junk.split(b"\n")):
                return junk
    if kind == "truncated":
        line = sentence(rmc_body)
        return line[: rng.randint(8, line.index("*"))].encode("ascii")
    if kind == "bad_checksum":
        digits = [i for i, ch in enumerate(rmc_body) if ch.isdigit()]
        pos = rng.choice(digits)
        new = rng.choice([d for d in "0123456789" if d != rmc_body[pos]])
        body = rmc_body[:pos] + new + rmc_body[pos + 1 :]
        return ("$%s*%02X\r\n" % (body, checksum(rmc_body))).encode("ascii")  # the unchanged body's
    if kind == "too_long":
        target = rng.randint(130, 300)
        body = f"{talker}GSV,1,1,{rng.randint(13, 40):02d}"
        while len(body) + 6 < target:
            prn, elev, az, cno = rng.randint(1, 99), rng.randint(0, 90), rng.randint(0, 359), rng.randint(20, 50)
            body += f",{prn:02d},{elev:02d},{az:03d},{cno:02d}"
        return (sentence(body) + "\r\n").encode("ascii")
    if kind == "unknown_type":
        while True:
            kind3 = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(3))
            if kind3 not in _REAL_TYPES:
                break
        fields = [f"{rng.randint(0, 9999)}" for _ in range(rng.randint(1, 6))]
        return (sentence(",".join([f"GP{kind3}", *fields])) + "\r\n").encode("ascii")
    raise ValueError(kind)


