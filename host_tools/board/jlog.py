"""The board's journey log (/jlog.bin, firmware/trainctl/jlog.py): pull it, decode it to CSV, plot it.

    python -m host_tools.board.jlog pull --port PORT [-o FILE]   # default build/jlog-<coach>-<UTC time>.bin
    python -m host_tools.board.jlog csv FILE [-o out.csv]
    python -m host_tools.board.jlog plot FILE -o boardings.png

pull copies the board's jlog.bin (mpremote's transport) and names the copy after the coach (the newest
coach-ID record in it, `unknown` if none) and the pull's UTC time, so pulls of several coaches never overwrite
each other. csv decodes with the firmware's own reader (valid records oldest first; torn ones skipped):
seq,utc,kind,index,station,a,b,detail; detail says what an audit record means (coach ID, train number and who
chose it, clock known/stepped, UTC offset change, crew override, GPS lost/regained and the outage). Records
written before the time was known (a boot's) are dated from the boot's clock record (utc = its time minus
the uptime; blank if the time never became known). plot draws boardings and alightings per station (K_STATION
records, summed over the log) in route order.
Exit status 0, or 2 with one line on stderr.
"""

import argparse
import csv
import os
import struct
import sys

from PIL import Image, ImageDraw, ImageFont
from trainctl import clock, codes, doors, jlog, route_data

from host_tools.board.link import Board, DeployError
from host_tools.common import cli, paths, route_names

PULL_DIR = os.path.join(paths.ROOT, "build")
SIZE = jlog.SIZE  # bytes a record (trainctl/jlog.py)
VESTIBULES = ("A", "B")  # counter index: the vestibule (BeamCounter door)
WC_NAMES = ("wc_1", "wc_2")
COLUMNS = ("seq", "utc", "kind", "index", "station", "a", "b", "detail")
BOARD_RGB = (46, 110, 190)
ALIGHT_RGB = (230, 130, 40)


class JlogError(Exception):
    pass


def kind_names():
    """{kind: name}: codes.EV_DOOR_OPEN -> 'door_open', codes.K_STATION -> 'station', ..."""
    out = {}
    for name in dir(codes):
        for prefix in ("EV_", "K_"):
            if name.startswith(prefix) and isinstance(getattr(codes, name), int):
                out[getattr(codes, name)] = name[len(prefix):].lower()
    return out


KIND_NAMES = kind_names()


def _pick(names, i):
    return names[i] if 0 <= i < len(names) else str(i)


def station_name(i):
    return "" if i < 0 else _pick(route_names.names(route_data).ST_EN, i)


def index_name(kind, index):
    """What a record's index means for its kind: a door, a vestibule, a toilet or a station."""
    if kind == codes.K_STATION:
        return station_name(index)
    if codes.EV_DOOR_OPEN <= kind <= codes.EV_FAULT_CLEAR:
        return _pick(doors.DOOR_NAMES, index)
    if codes.EV_IN <= kind <= codes.EV_UNSTUCK:
        return _pick(VESTIBULES, index)
    if kind in (codes.EV_WC_OCCUPIED, codes.EV_WC_FREE):
        return _pick(WC_NAMES, index)
    return str(index)


def unpack(rec):
    """One 16-byte record -> (seq, utc_s, kind, index, station, a, b), or None when it is blank or fails the
    firmware's CRC check (trainctl.jlog: its record format and check, the one source)."""
    if not any(rec) or not jlog._valid(rec):
        return None
    lo, hi, kind, utc_s, index, station, a, b, _ = struct.unpack(jlog._FMT, rec)
    return (lo | hi << 16, utc_s, kind, index, station, a, b)


def pack_body(seq, utc_s, kind, index, station, a, b):
    """The first 14 bytes (before the CRC) of the record unpack() reads back."""
    return struct.pack(jlog._FMT, seq & 0xFFFF, seq >> 16, kind, utc_s, index, station, a, b, 0)[:14]


def decode(data):
    """Valid records of a ring file's bytes, in file order: [(seq, utc_s, kind, index, station, a, b)]."""
    recs = (unpack(data[o:o + SIZE]) for o in range(0, len(data) - SIZE + 1, SIZE))
    return [r for r in recs if r is not None]


def read_log(path):
    """Valid records of the log file at path, oldest first, through trainctl.jlog."""
    try:
        size = os.path.getsize(path)
    except OSError as e:
        raise JlogError("%s: %s" % (path, e.strerror)) from None
    n = max(2, -(-size // jlog.SIZE))
    if n > 65535:
        raise JlogError("%s: %d bytes is not a journey log" % (path, size))
    return jlog.JourneyLog(path, n).records()


def signed(a, b=None):
    """A record's 16-bit field a as signed, or a + 65536 b as a signed 32-bit number."""
    if b is None:
        return a - 65536 if a >= 32768 else a
    v = a | b << 16
    return v - (1 << 32) if v >= 1 << 31 else v


def coach_id(index, station, a, b):
    """The coach ID of a K_COACH record ('' none)."""
    return "".join(chr(c) for c in (index, station & 0xFF, a & 0xFF, a >> 8, b & 0xFF, b >> 8) if 0 < c < 128)


def train_text(key):
    """A train key (direction * LEGS + leg; 65535 none) as the route's number, '-' none."""
    if key == 0xFFFF or key < 0:
        return "-"
    tr = route_data.TRAIN
    d, leg = divmod(key, route_data.LEGS)
    return tr[d][leg] if d < len(tr) and leg < len(tr[d]) else "key_%d" % key


def zone(minutes):
    m = signed(minutes)
    return "UTC%+d" % (m // 60) if m % 60 == 0 else "UTC%+d:%02d" % (m // 60, m % 60)


def detail(rec):
    """What an audit-trail record (and a boot) says, in words; '' for the others."""
    _, _, kind, index, station, a, b = rec
    if kind == codes.K_BOOT:
        return "reset cause %d" % a
    if kind == codes.K_COACH:
        return "coach %s" % (coach_id(index, station, a, b) or "(no ID)")
    if kind == codes.K_NUMBER:
        return "train %s (%s)" % (train_text(a), "crew override" if b else "journey")
    if kind == codes.K_CLOCK:
        if index == 0:
            return "time known %d s after boot" % (a | b << 16)
        if index == 1:
            return "GPS clock stepped %+d s" % signed(a, b)
        return "UTC offset %s -> %s" % (zone(b), zone(a))
    if kind == codes.K_OVERRIDE:
        if index:
            return "crew override %s set (was %s)" % (train_text(a), train_text(b))
        return "crew override %s cleared" % train_text(b)
    if kind == codes.K_GPS:
        return "GPS regained after %d s" % (a | b << 16) if index else "GPS lost (last fix)"
    return ""


def boot_dates(records):
    """{seq: utc_s} for records written before the time was known (utc_s < 0): the next clock-known record
    (K_CLOCK 0) before the next boot dates them: its time minus the uptime it carries."""
    out = {}
    pending = []
    for seq, utc_s, kind, index, _, a, b in records:
        if kind == codes.K_BOOT:
            pending = []
        if kind == codes.K_CLOCK and index == 0 and utc_s >= 0:
            for q in pending:
                out[q] = utc_s - (a | b << 16)
            pending = []
        elif utc_s < 0:
            pending.append(seq)
    return out


def newest_coach(records):
    """The coach ID of the newest K_COACH record that has one, else None."""
    for _, _, kind, index, station, a, b in reversed(records):
        if kind == codes.K_COACH:
            c = coach_id(index, station, a, b)
            if c:
                return c
    return None


def rows(records):
    dated = boot_dates(records)
    for rec in records:
        seq, utc_s, kind, index, station, a, b = rec
        t = utc_s if utc_s >= 0 else dated.get(seq)
        coach = kind == codes.K_COACH  # index and station hold ID characters: said in detail
        yield (seq, clock.iso_utc(t) if t is not None else "", KIND_NAMES.get(kind, "kind_%d" % kind),
               "" if coach else index_name(kind, index), "" if coach else station_name(station), a, b, detail(rec))


def write_csv(records, out):
    w = csv.writer(out, lineterminator="\n")
    w.writerow(COLUMNS)
    w.writerows(rows(records))


def per_station(records):
    """[(name, boardings, alightings)] for every station in route order, summed over the log."""
    on = [0] * route_data.STATION_N
    off = [0] * route_data.STATION_N
    for _, _, kind, index, _, a, b in records:
        if kind == codes.K_STATION and 0 <= index < route_data.STATION_N:
            on[index] += a
            off[index] += b
    return list(zip(route_names.names(route_data).ST_EN, on, off))


def _font(size):

    try:
        return ImageFont.load_default(size=size)
    except (ImportError, OSError, TypeError):  # Pillow without FreeType: the fixed bitmap font
        return ImageFont.load_default()


def plot(records, out_path, width=1280, height=640):
    """Bar chart PNG: boardings and alightings per station along the route."""

    data = per_station(records)
    stops = sum(1 for r in records if r[2] == codes.K_STATION)
    if not stops:
        raise JlogError("no station records (kind %d) in the log" % codes.K_STATION)
    top = max(max(on, off) for _, on, off in data) or 1
    step = _nice_step(top)
    ymax = -(-top // step) * step
    font, small = _font(16), _font(13)
    img = Image.new("RGB", (width, height), "white")
    d = ImageDraw.Draw(img)
    left, right, top_px, bottom = 70, 20, 60, 150
    ph = height - top_px - bottom
    pw = width - left - right
    times = [r[1] for r in records if r[1] >= 0] or [0]  # boots before the time was known carry -1: no date
    span = "%s .. %s" % (clock.iso_utc(min(times))[:10], clock.iso_utc(max(times))[:10])
    d.text((left, 12), "Boardings and alightings per station, %s (%d stops)" % (span, stops),
           fill="black", font=font)
    for k in range(0, ymax + 1, step):
        y = top_px + ph - ph * k // ymax
        d.line((left, y, left + pw, y), fill=(225, 225, 225))
        d.text((left - 8, y), str(k), fill="black", font=small, anchor="rm")
    d.line((left, top_px, left, top_px + ph), fill="black")
    d.line((left, top_px + ph, left + pw, top_px + ph), fill="black")
    slot = pw / len(data)
    bar = max(2, int(slot * 0.35))
    for i, (name, on, off) in enumerate(data):
        x = int(left + slot * i + slot / 2)
        for x0, v, rgb in ((x - bar, on, BOARD_RGB), (x, off, ALIGHT_RGB)):
            y = top_px + ph - ph * v // ymax
            if v:
                d.rectangle((x0, y, x0 + bar - 1, top_px + ph - 1), fill=rgb)
                d.text((x0 + bar // 2, y - 2), str(v), fill="black", font=small, anchor="mb")
        label = Image.new("RGBA", (bottom - 10, 20), (255, 255, 255, 0))
        ink = "black" if on or off else (150, 150, 150)  # grey: no stop there in this log
        ImageDraw.Draw(label).text((bottom - 12, 10), name, fill=ink, font=small, anchor="rm")
        label = label.rotate(50, expand=True)
        img.paste(label, (x - label.width + 6, top_px + ph + 4), label)
    lx = left + pw - 260
    for j, (text, rgb) in enumerate((("boardings", BOARD_RGB), ("alightings", ALIGHT_RGB))):
        d.rectangle((lx + 130 * j, 36, lx + 130 * j + 14, 50), fill=rgb)
        d.text((lx + 130 * j + 20, 43), text, fill="black", font=small, anchor="lm")
    img.save(out_path)


def _nice_step(top):
    """A 1-2-5 grid step giving at most ~8 lines up to top."""
    step = 1
    while True:
        for m in (1, 2, 5):
            if top / (step * m) <= 8:
                return step * m
        step *= 10


def pull_name(records, now=None):
    """build/jlog-<coach>-<YYYYmmddTHHMMSSZ>.bin for a pulled log's records at UTC time now (default: now)."""
    import time

    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
    return os.path.join(PULL_DIR, "jlog-%s-%s.bin" % (newest_coach(records) or "unknown", stamp))


def pull(port, out=None, boot_timeout_s=30, log=None):
    """Copy jlog.bin off the board at port into out (default: pull_name); the board is rebooted into main.py
    afterwards whatever happened (host_tools.board.link.Board.restart). (path written, record count)."""

    log = log or print
    try:
        b = Board(port)
    except DeployError as e:
        raise JlogError("pull from %s failed: %s" % (port, e)) from None
    try:
        try:
            data = b.t.fs_readfile("jlog.bin")
        except (b.TransportError, OSError) as e:
            text = getattr(e, "error_output", None) or str(e)
            last = [ln.strip() for ln in str(text).strip().splitlines() if ln.strip()]
            why = last[-1] if last else type(e).__name__
            if "Errno 2]" in why or "ENOENT" in why:
                why = "no journey log (jlog.bin) on the board"
            raise JlogError("pull from %s failed: %s" % (port, why)) from None
    finally:
        b.restart(boot_timeout_s, log)
    if out is None:
        import tempfile

        with tempfile.NamedTemporaryFile(suffix=".bin", delete=False) as f:
            f.write(data)
        try:
            recs = read_log(f.name)
        finally:
            os.remove(f.name)
        out = pull_name(recs)
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "wb") as f:
        f.write(data)
    return out, len(read_log(out))


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m host_tools.board.jlog", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("pull", help="copy /jlog.bin from the board (the board runs main.py again afterwards)")
    p.add_argument("--port", required=True, help="serial device, e.g. /dev/ttyACM0, /dev/pts/3")
    p.add_argument("-o", "--out", help="local file (default: build/jlog-<coach>-<UTC time>.bin)")
    p.add_argument("--boot-timeout", type=float, default=30, help="seconds to wait for the boot line after")
    p = sub.add_parser("csv", help="decode a log to CSV")
    p.add_argument("file", help="a pulled journey log (jlog.bin)")
    p.add_argument("-o", "--out", help="CSV file (default: stdout)")
    p = sub.add_parser("plot", help="boardings and alightings per station, PNG")
    p.add_argument("file", help="a pulled journey log (jlog.bin)")
    p.add_argument("-o", "--out", required=True, help="PNG file to write")
    a = ap.parse_args(argv)
    try:
        if a.cmd == "pull":
            out, n = pull(a.port, a.out, a.boot_timeout)
            print("%s: %d records" % (os.path.relpath(out) if out.startswith(paths.ROOT) else out, n))
        elif a.cmd == "csv":
            recs = read_log(a.file)
            if a.out:
                with open(a.out, "w", newline="") as f:
                    write_csv(recs, f)
            else:
                write_csv(recs, sys.stdout)
        else:
            plot(read_log(a.file), a.out)
    except JlogError as e:
        print("jlog: %s" % e, file=sys.stderr)
        return 2
    except OSError as e:
        print("jlog: %s: %s" % (e.filename, e.strerror) if e.filename else "jlog: %s" % e, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(cli.guard(main, "jlog"))
