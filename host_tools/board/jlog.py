"""The board's journey log (/jlog.bin, firmware/trainctl/jlog.py): pull it, decode it to CSV, plot it.

    python -m host_tools.board.jlog pull --port PORT [-o build/jlog.bin]
    python -m host_tools.board.jlog csv FILE [-o out.csv]
    python -m host_tools.board.jlog plot FILE -o boardings.png

pull copies the file with `mpremote connect PORT fs cp :jlog.bin LOCAL`. csv decodes with the firmware's
own reader (valid records oldest first; torn ones skipped): seq,utc,kind,index,station,a,b. plot draws
boardings and alightings per station (K_STATION records, summed over the log) in route order.
Exit status 0, or 2 with one line on stderr.
"""

import argparse
import csv
import os
import sys

from PIL import Image, ImageDraw, ImageFont
from trainctl import clock, codes, doors, jlog, route_data

from host_tools.board.deploy import Board, DeployError
from host_tools.common import cli, paths, route_names

DEFAULT_PULL = os.path.join(paths.ROOT, "build", "jlog.bin")
VESTIBULES = ("A", "B")  # counter index: the vestibule (BeamCounter door)
WC_NAMES = ("wc_1", "wc_2")
COLUMNS = ("seq", "utc", "kind", "index", "station", "a", "b")
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


def rows(records):
    for seq, utc_s, kind, index, station, a, b in records:
        yield (seq, clock.iso_utc(utc_s), KIND_NAMES.get(kind, "kind_%d" % kind), index_name(kind, index),
               station_name(station), a, b)


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
    span = "%s .. %s" % (clock.iso_utc(records[0][1])[:10], clock.iso_utc(records[-1][1])[:10])
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


def pull(port, out, boot_timeout_s=30, log=None):
    """Copy jlog.bin off the board at port into out (mpremote's transport, as deploy connects); the board is
    rebooted into main.py afterwards whatever happened (host_tools.board.deploy.Board.restart). The record count."""

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
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "wb") as f:
        f.write(data)
    return len(read_log(out))


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m host_tools.board.jlog", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("pull", help="copy /jlog.bin from the board (the board runs main.py again afterwards)")
    p.add_argument("--port", required=True, help="serial device, e.g. /dev/ttyACM0, /dev/pts/3")
    p.add_argument("-o", "--out", default=DEFAULT_PULL, help="local file (default: build/jlog.bin)")
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
            n = pull(a.port, a.out, a.boot_timeout)
            print("%s: %d records" % (a.out, n))
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
