"""Pictures of the passenger display along a replayed journey: PNG stills, an animated GIF, an index.

    python -m host_tools.replay.frames TRACK [--display oled|ticker|both] [--out DIR] [--gif] [--scale N]
                                      [--fps N] [--clip-s N] [--route FILE] [--pick NAME=GLOB ...]
                                      [--gif-clips GLOB]

TRACK (a raw NMEA log, or - for stdin) is replayed through the firmware's Coach with each
display's Pages attached, on the GPS time of the fixes. Clips are recorded: the first --clip-s
seconds of the journey and of every alert (arrival, border crossing, train-number change), at --fps
frames per GPS second; a new alert inside a clip extends it. For every screen a clip shows (each
language, each page of a display too small for all lines) one PNG still; with --gif one animated GIF
per display of all clips in order, each frame with a caption (local time, UTC, train, where).
index.json lists the clips and files. Outside clips the display advances one step per fix, unrendered.
"""

import argparse
import fnmatch
import json
import os
import shlex
import sys
import time

from trainctl import clock, codes, nmea
from trainctl.coach import Coach
from trainctl.text import station_en

from host_tools.common import cli, route_names
from host_tools.replay import cli as replay
from host_tools.replay import screen
from host_tools.replay.pictures import Pictures, iso_name, save_gif, slug, zone

# Pictures is re-exported for other tools; the virtual board imports host_tools.replay.pictures itself.
__all__ = ["Pictures", "main", "parse_args"]

CHUNK = 65536
# Pages.kind values.
ROTATE, ARRIVAL, BORDER, TRAIN = codes.PAGE_ROTATE, codes.PAGE_ARRIVAL, codes.PAGE_BORDER, codes.PAGE_TRAIN
KIND_NAME = {ROTATE: "rotate", ARRIVAL: "arrival", BORDER: "border", TRAIN: "train"}


class UsageError(ValueError):
    pass


class Clip:
    def __init__(self, index, display, label, start_ms, end_ms):
        self.index = index
        self.display = display
        self.label = label
        self.start_ms = start_ms
        self.end_ms = end_ms
        self.alerts = []  # (label, t_ms)
        self.frames = []  # [t_ms, pic id, caption]
        self.stills = []
        self.shown = set()  # (still label, pic id)

    def frame_durations(self):
        f = self.frames
        return [(f[i + 1][0] if i + 1 < len(f) else self.end_ms) - f[i][0] for i in range(len(f))]

    def as_dict(self):
        return {
            "index": self.index,
            "display": self.display,
            "label": self.label,
            "start_utc": clock.iso_utc(self.start_ms // 1000, self.start_ms % 1000),
            "end_utc": clock.iso_utc(self.end_ms // 1000, self.end_ms % 1000),
            "duration_ms": self.end_ms - self.start_ms,
            "alerts": [{"label": lb, "utc": clock.iso_utc(t // 1000, t % 1000)} for lb, t in self.alerts],
            "samples": len(self.frames),
            "stills": [st for st in self.stills if st["file"] is not None],  # with --pick, those picked
        }


class Recorder:
    """One display along the journey: its Screen, its clips, its stills."""

    def __init__(self, name, route, opts, counters):
        self.name = name
        self.route = route
        self.opts = opts
        self.counters = counters  # shared: clip index across displays
        self.scr = screen.Screen(name, route)
        self.pages = self.scr.pages
        self.pics = Pictures(self.scr, opts.scale)
        self.step_ms = 1000 // opts.fps
        self.clip_ms = int(opts.clip_s * 1000)
        self.clips = []
        self.clip = None
        self.started = False
        self.prev_kind = ROTATE
        self.prev_lang = 0
        self.screen_id = None  # (kind, lang, screen) of the last frame in the clip
        self.fb_ids = {}  # framebuffer bytes -> pic id
        self.fbs = []
        self.cur_pic = -1  # pic id of what the framebuffer holds; -1 stale
        self.n_stills = 0
        self.written = []
        self.picked = {}  # pick name -> file

    # ---- time --------------------------------------------------------------------------------

    def update(self, ctl, t_ms):
        """The controller's display state changed at GPS time t_ms."""
        self.pages.update(ctl)
        self.pages.tick(0, ctl.utc_s)  # as the pump does after feeding: takes the fix time, resets scrolling
        self.cur_pic = -1
        if not self.started:
            self.started = True
            self._open("start", t_ms)
        self._after(t_ms)

    def advance(self, from_ms, to_ms, utc_s):
        """The display runs from from_ms to to_ms with utc_s the latest fix's time (what the pump passes)."""
        t = from_ms
        p = self.pages
        while t < to_ms:
            if self.clip is not None:
                step = min(self.step_ms, to_ms - t, self.clip.end_ms - t)
            elif p.kind != ROTATE or p.pending:
                step = min(self.step_ms, to_ms - t)  # alerts advance finely: a chained one starts on time
            else:
                step = to_ms - t
            if p.tick(step, utc_s):
                self.cur_pic = -1
            t += step
            self._after(t)

    def finish(self, t_ms, utc_s):
        """The track ended at t_ms: let an open clip run to its end."""
        if self.clip is not None:
            self.advance(t_ms, self.clip.end_ms, utc_s)
        self._close()

    # ---- clips -------------------------------------------------------------------------------

    def _after(self, t_ms):
        c = self.clip
        if c is not None and t_ms >= c.end_ms:
            self._close()
        p = self.pages
        if p.kind != ROTATE and (p.kind != self.prev_kind or p.lang < self.prev_lang):
            self._open(self._label(False), t_ms)
        self.prev_kind = p.kind
        self.prev_lang = p.lang
        if self.clip is not None:
            self._frame(t_ms)

    def _open(self, label, t_ms):
        c = self.clip
        if c is None:
            c = Clip(self.counters["clips"], self.name, label, t_ms, t_ms + self.clip_ms)
            self.counters["clips"] += 1
            self.clip = c
            self.clips.append(c)
            self.screen_id = None
        else:
            c.end_ms = max(c.end_ms, t_ms + self.clip_ms)
        if label != "start":
            c.alerts.append((label, t_ms))

    def _close(self):
        self.clip = None

    def _frame(self, t_ms):
        p = self.pages
        if self.cur_pic < 0:
            self.scr.render()
            key = bytes(self.scr.buf)
            pid = self.fb_ids.get(key)
            if pid is None:
                pid = self.fb_ids[key] = len(self.fbs)
                self.fbs.append(key)
            self.cur_pic = pid
        c = self.clip
        rec = [t_ms, self.cur_pic, self.caption(t_ms)]
        if c.frames and c.frames[-1][0] == t_ms:
            c.frames[-1] = rec
        else:
            c.frames.append(rec)
        sid = (p.kind, p.lang, p.screen)
        if sid != self.screen_id:
            self.screen_id = sid
            label = self._label()
            if (label, self.cur_pic) not in c.shown:  # the rotation shows it again: one still is enough
                c.shown.add((label, self.cur_pic))
                self._still(label, t_ms)

    def _n_screens(self):
        p = self.pages
        n = 2 if p.kind != ROTATE else (3 if p.status is None else 4)
        return -(-n // p.rows)

    def _label(self, full=True):
        p = self.pages
        k = p.kind
        if k == ROTATE:
            if p.at_stop >= 0:
                where = "at-" + slug(station_en(self.route, p.at_stop))
            elif p.next_stop >= 0:
                where = "next-" + slug(station_en(self.route, p.next_stop))
            else:
                where = "none"
            lb = "rotate_%s_%s" % (slug(p.train) if p.train else "none", where)
        elif k == ARRIVAL:
            lb = "arrival_" + (slug(station_en(self.route, p.at_stop)) if p.at_stop >= 0 else "none")
        elif k == BORDER:
            lb = "border_" + zone(p.offset_min)
        else:
            lb = "train_" + slug(p.train or "none")
        if not full:
            return lb
        lb += "_" + self.route.LANGS[p.lang]
        if self._n_screens() > 1:
            lb += "_p%d" % (p.screen + 1)
        return lb

    def _still(self, label, t_ms):
        p = self.pages
        entry = {
            "index": self.n_stills,
            "label": label,
            "utc": clock.iso_utc(t_ms // 1000, t_ms % 1000),
            "kind": KIND_NAME[p.kind],
            "lang": self.route.LANGS[p.lang],
            "screen": p.screen,
            "file": None,
            "state": {"train": p.train, "utc_offset_min": p.offset_min, "country": p.country,
                      "next_stop": p.next_stop, "destination": p.destination, "at_stop": p.at_stop},
        }
        self.n_stills += 1
        fname = None
        if self.opts.picks is None:
            fname = os.path.join(self.name, "%04d_%s_%s.png" % (entry["index"], iso_name(t_ms), label))
        else:
            for name, pat in self.opts.picks:
                if name not in self.picked and fnmatch.fnmatchcase(self.name + "/" + label, pat):
                    fname = "%s-%s.png" % (self.name, name)
                    self.picked[name] = fname
                    break
        if fname is not None:
            path = os.path.join(self.opts.out, fname)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            self.pics.of(self.fbs[self.cur_pic]).save(path, optimize=True)
            entry["file"] = fname.replace(os.sep, "/")
            self.written.append(fname)
        self.clip.stills.append(entry)

    # ---- GIF ---------------------------------------------------------------------------------

    def caption(self, t_ms):
        """Two ASCII lines: local and UTC time; train and where."""
        p = self.pages
        s = t_ms // 1000
        off = p.offset_min
        if off is None:
            local = "--:--:-- local"
        else:
            ls = s + off * 60
            local = "%02d:%02d:%02d UTC%+d%s" % (ls // 3600 % 24, ls // 60 % 60, ls % 60, off // 60,
                                                 ":%02d" % (off % 60) if off % 60 else "")
        utc = clock.iso_utc(s).replace("T", " ")
        if p.at_stop >= 0:
            where = "at " + station_en(self.route, p.at_stop)
        elif p.next_stop >= 0:
            where = "next " + station_en(self.route, p.next_stop)
        else:
            where = ""
        return "%s   %s\ntrain %s   %s" % (local, utc, p.train or "--", where)

    def gif_frames(self, pattern):
        """[(pic id, caption, duration_ms)] of the clips matching pattern, identical neighbours merged."""
        out = []
        for c in self.clips:
            if not fnmatch.fnmatchcase(self.name + "/" + c.label, pattern):
                continue
            for (_, pid, cap), d in zip(c.frames, c.frame_durations()):
                if d <= 0:
                    continue
                if out and out[-1][0] == pid and out[-1][1] == cap:
                    out[-1][2] += d
                else:
                    out.append([pid, cap, d])
        return out

    def write_gif(self, path, pattern):
        frames = self.gif_frames(pattern)
        if not frames:
            return None
        longest = max(route_names.names(self.route).ST_EN, key=len)
        return save_gif(path, frames, self.pics, self.fbs, self.opts.scale,
                        ["23:59:59 UTC+8:30   2026-12-31 23:59:59Z", "train K27   next " + longest])


class Run:
    """The replay: fixes drive the recorders' display time; display changes reach their Pages."""

    def __init__(self, route, recorders):
        self.recorders = recorders
        self.t_ms = -1  # display time: GPS time of the latest fix, never backwards
        run = self

        def parser(on_fix):  # the display time advances before the coach handles each fix
            def fix_first(fix):
                run.before_fix(fix.utc_s * 1000 + fix.utc_ms)
                on_fix(fix)

            return nmea.Parser(fix_first)

        self.coach = Coach(route, None, self.on_event, None, parser)
        self.ctl = self.coach.ctl

    def before_fix(self, t_ms):
        if t_ms <= self.t_ms:
            return
        if self.t_ms >= 0:
            for r in self.recorders:
                r.advance(self.t_ms, t_ms, self.ctl.utc_s)
        self.t_ms = t_ms

    def on_event(self, kind, index):
        if kind == codes.EV_SHOWN:
            for r in self.recorders:
                r.update(self.ctl, self.t_ms)

    def feed_file(self, src):
        buf = bytearray(CHUNK)
        while True:
            n = src.readinto(buf)
            if not n:
                break
            self.coach.feed(buf, n)

    def finish(self):
        for r in self.recorders:
            r.finish(self.t_ms, self.ctl.utc_s)


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(message)


def _positive(kind, lo, hi):
    def conv(s):
        try:
            v = kind(s)
        except ValueError:
            raise argparse.ArgumentTypeError("not a number: %r" % s) from None
        if not lo <= v <= hi:
            raise argparse.ArgumentTypeError("%s is outside %s..%s" % (s, lo, hi))
        return v

    return conv


def _fps(s):
    v = _positive(int, 1, 50)(s)
    if 100 % v:
        raise argparse.ArgumentTypeError("%s does not divide 100 (GIF frames are whole 1/100 s)" % s)
    return v


def _pick(s):
    """NAME=GLOB; GLOB matches DISPLAY/LABEL, or LABEL on every display when it has no '/'."""
    name, sep, pat = s.partition("=")
    if not sep or not name or not pat or slug(name) != name:
        raise argparse.ArgumentTypeError("%r is not NAME=GLOB (NAME: lower-case letters, digits, -)" % s)
    return name, pat if "/" in pat else "*/" + pat


def missing_picks(recs, picks):
    """(display, name) pairs asked for (a pick whose display part matches) but not found."""
    out = []
    for r in recs:
        for name, pat in picks or ():
            asked = fnmatch.fnmatchcase(r.name, pat.split("/", 1)[0])
            if asked and name not in r.picked and (r.name, name) not in out:
                out.append((r.name, name))
    return out


def parse_args(argv):
    ap = _Parser(prog="python -m host_tools.replay.frames", description=__doc__.splitlines()[0])
    ap.add_argument("track", help="NMEA log file, or - for stdin")
    ap.add_argument("--display", choices=("oled", "ticker", "both"), default="both",
                    help="the 128x64 OLED, the 64x16 LED ticker, or both (both)")
    ap.add_argument("--out", default=os.path.join("build", "frames"), help="output directory (build/frames)")
    ap.add_argument("--gif", action="store_true", help="one animated GIF per display, all clips in order")
    ap.add_argument("--scale", type=_positive(int, 1, 16), default=3, help="picture pixels per display pixel (3)")
    ap.add_argument("--fps", type=_fps, default=10, help="frames per GPS second inside clips (10)")
    ap.add_argument("--clip-s", type=_positive(float, 0.1, 3600), default=15.0,
                    help="seconds recorded from the start of the journey and of each alert (15)")
    ap.add_argument("--route", help="route source .json or generated route .py (default: the firmware's)")
    ap.add_argument("--pick", type=_pick, action="append", metavar="NAME=GLOB",
                    help="write only the first still whose DISPLAY/LABEL (or LABEL) matches GLOB, as DISPLAY-NAME.png"
                    " (repeatable; a NAME may repeat with one GLOB per display)")
    ap.add_argument("--gif-clips", default="*", metavar="GLOB",
                    help="only clips whose DISPLAY/LABEL matches GLOB go into the GIF (e.g. 'oled/border_*')")
    a = ap.parse_args(argv)
    a.picks = a.pick
    return a


def main(argv=None):
    t0 = time.perf_counter()
    try:
        a = parse_args(argv)
    except UsageError as e:
        print("frames: %s (see --help)" % e, file=sys.stderr)
        return 2
    try:
        route = replay.load_route(a.route)
    except (OSError, ValueError, SyntaxError, NameError) as e:
        print("frames: route %s: %s" % (a.route, e), file=sys.stderr)
        return 2
    try:
        src = sys.stdin.buffer if a.track == "-" else open(a.track, "rb")  # noqa: SIM115 (closed below)
    except OSError as e:
        print("frames: %s: %s" % (a.track, e.strerror), file=sys.stderr)
        return 2
    names = ("oled", "ticker") if a.display == "both" else (a.display,)
    counters = {"clips": 0}
    try:
        os.makedirs(a.out, exist_ok=True)
        recs = [Recorder(n, route, a, counters) for n in names]
        run = Run(route, recs)
        with src:
            run.feed_file(src)
        run.finish()
        gifs = {}
        if a.gif:
            for r in recs:
                fname = r.name + ".gif"
                n = r.write_gif(os.path.join(a.out, fname), a.gif_clips)
                if n:
                    gifs[r.name] = {"file": fname, "frames": n}
        clips = sorted((c for r in recs for c in r.clips), key=lambda c: c.index)
        index = {
            "track": a.track,
            "command": "python -m host_tools.replay.frames " + shlex.join(sys.argv[1:] if argv is None else argv),
            "displays": list(names),
            "scale": a.scale,
            "fps": a.fps,
            "clip_s": a.clip_s,
            "gifs": gifs,
            "clips": [c.as_dict() for c in clips],
        }
        with open(os.path.join(a.out, "index.json"), "w", encoding="utf-8") as f:
            json.dump(index, f, indent=1, ensure_ascii=False)
            f.write("\n")
    except OSError as e:
        print("frames: %s: %s" % (e.filename or a.out, e.strerror), file=sys.stderr)
        return 2
    missing = missing_picks(recs, a.picks)
    stills = sum(len(r.written) for r in recs)
    print("frames: %d clips, %d stills, %d GIF%s%s in %s; %.1f s"
          % (len(clips), stills, len(gifs), "s" if len(gifs) != 1 else "",
             "".join(" (%s: %d frames)" % (k, v["frames"]) for k, v in gifs.items()), a.out,
             time.perf_counter() - t0))
    for name, n in missing:
        print("frames: --pick %s: no %s still matches" % (n, name), file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(cli.guard(main, "frames"))
