"""What was announced, read back from the samples the firmware sent to I2S (the virtual board's VBOARD_AUDIO WAV),
and what should have been, from a synthetic journey's ground truth.

heard(): the stream is cut into trainctl.voice's refills (_PCM_N samples; every clip starts a refill, pauses
and the ends of clips are zeros); each clip found is compared sample for sample with the clip decoded from
the clip file (firmware/voice.bin, host_tools/build/voice.VoiceFile) by audioop (host_tools/build/voice.decode)
at the volume it was played at; clips then group into
announcements (kind, station/train leg/clock step, volume) in zh, ko, en. expected(): the announcements a
journey's truth calls for, in order, quiet hours applied.
"""

import struct
import wave

from host_tools.build import voice as gen_voice
from host_tools.build import voice_text
from host_tools.common import route_names
from host_tools.common.utc import utc_s

REFILL = 512  # trainctl/voice.py _PCM_N
WINDOW_LEAD_S = 120  # expected(): a window of a journey announces a stop it starts or ends this long from
LANGS = 3
KINDS = ("next", "arriving", "train", "clock")
_PRE = {"NEXT_PRE": "next", "ARR_PRE": "arriving", "TRAIN_PRE": "train", "CLOCK_FWD": "clock", "CLOCK_BACK": "clock"}


def read_wav(path):
    with wave.open(str(path)) as w:
        raw = w.readframes(w.getnframes())
    return list(struct.unpack("<%dh" % (len(raw) // 2), raw))


class Clips:
    """The clip file's clips (a host_tools.build.voice.VoiceFile) decoded at a scale (trainctl.voice: samples * mul
    >> 8)."""

    def __init__(self, data):
        self.data = data
        self.raw = [gen_voice.decode(data.clip(k)) for k in range(data.CLIP_N)]
        self._by_head = {}

    def scaled(self, k, mul):
        return [v * mul >> 8 for v in self.raw[k]]

    def add_scale(self, mul):
        for k in range(self.data.CLIP_N):
            x = self.scaled(k, mul)
            if x and any(x[:REFILL]):
                self._by_head.setdefault(tuple(x[:64]), []).append((k, mul, x))

    def match(self, s, i):
        """(clip, mul, samples) whose samples start s at i, or None."""
        for k, mul, x in self._by_head.get(tuple(s[i:i + 64]), ()):
            if s[i:i + len(x)] == x or (i + len(x) > len(s) and s[i:] == x[:len(s) - i]):  # or the stream ends in it
                return k, mul, x
        return None


def clip_ids(samples, clips):
    """[(clip id, mul, first sample, end)] in the stream; raises ValueError where a refill starts with sound that
    is no clip."""
    out = []
    i = 0
    n = len(samples)
    while i < n:
        if not any(samples[i:i + REFILL]):
            i += REFILL
            continue
        m = clips.match(samples, i)
        if m is None:
            raise ValueError("sample %d: sound that is no clip at any volume tried" % i)
        k, mul, x = m
        out.append((k, mul, i, min(i + len(x), n)))  # n: the run ended while it played
        i += (len(x) + REFILL - 1) // REFILL * REFILL
    return out


def announcements(ids, data, route):
    """[(kind, arg, mul, langs, first sample, end)] from clip_ids(): arg a station index (next, arriving), a train
    leg index (direction * LEGS + leg), or the clock step in minutes."""
    fixed = {}
    for i, name in enumerate(voice_text.ORDER):
        for lang in range(LANGS):
            fixed[3 * i + lang] = (name, lang)
    st_of = {}
    for s, k in enumerate(data.ST_CLIP):
        if k != 255:
            for lang in range(LANGS):
                st_of[k + lang] = s
    out = []
    for j, (k, mul, a, b) in enumerate(ids):
        if k not in fixed or fixed[k][0] not in _PRE:
            continue
        name, lang = fixed[k]
        kind = _PRE[name]
        nxt = ids[j + 1][0] if j + 1 < len(ids) else -1
        if kind in ("next", "arriving"):
            arg = st_of.get(nxt)
        elif kind == "train":
            arg = (nxt - data.TRAIN_CLIP) // 3
        else:
            arg = 60 if name == "CLOCK_FWD" else -60
        post = j + 2 < len(ids) and fixed.get(ids[j + 2][0], ("",))[0].endswith("_POST")
        end = ids[j + 2][3] if post else (ids[j + 1][3] if j + 1 < len(ids) else b)
        if out and out[-1][:3] == [kind, arg, mul] and len(out[-1][3]) < LANGS and lang not in out[-1][3]:
            out[-1][3].append(lang)
            out[-1][5] = end
        else:
            out.append([kind, arg, mul, [lang], a, end])
    return out


def write_wav(path, samples, rate=16000):
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(struct.pack("<%dh" % len(samples), *samples))


def report(wav, truth, route, data, out_dir=None, volume=8):
    """{'heard': [...], 'expected': [...], 'missing', 'unexpected', 'order_ok', 'languages_ok', 'quiet_ok',
    'cut_at_end'} (the last announcement cut short by the end of the run: its languages are not checked); data:
    the clip file (host_tools.build.voice.VoiceFile); with out_dir, one WAV per announcement there
    (NN_kind_name.wav)."""
    import os
    samples = read_wav(wav)
    clips = Clips(data)
    full = volume * 256 // 10
    clips.add_scale(full)
    clips.add_scale(full >> 1)
    ids = clip_ids(samples, clips)
    ann = announcements(ids, data, route)
    cut = bool(ids) and ids[-1][3] - ids[-1][2] < len(clips.raw[ids[-1][0]])  # the run ended while it played
    names = route_names.names(route)
    heard = [(a[0], a[1]) for a in ann]
    r = {"heard": [(a[0], a[1], a[2], "".join("zke"[k] for k in a[3])) for a in ann], "cut_at_end": cut}
    r["languages_ok"] = all(a[3] == [0, 1, 2] for a in (ann[:-1] if cut else ann))
    if out_dir:
        os.makedirs(out_dir, exist_ok=True)
        for i, a in enumerate(ann):
            name = names.ST_ID[a[1]] if a[0] in ("next", "arriving") else str(a[1])
            write_wav(os.path.join(out_dir, "%02d_%s_%s.wav" % (i, a[0], name)), samples[a[4]:a[5]])
    if truth is not None:
        exp = expected(truth, route)
        r["expected"] = exp
        want = [(k, a) for k, a, _ in exp]
        r["order_ok"] = heard == want
        r["missing"] = [w for w in want if w not in heard]
        r["unexpected"] = [h for h in heard if h not in want]
        r["quiet_ok"] = heard == want and all((a[2] == full >> 1) == q for a, (_, _, q) in zip(ann, exp, strict=True))
    return r


def _local_min(utc_iso, off_min):
    return (int(utc_s(utc_iso)) // 60 + off_min) % 1440


def expected(truth, route, quiet=(22 * 60, 6 * 60), lead_s=WINDOW_LEAD_S):
    """[(kind, arg, quiet)] a journey's truth calls for, in order: arriving before each stop after the first,
    next stop on leaving each one before the last (with the number change on arrival at a stop where the train
    number changes, the clock change at the border crossing); quiet: in the quiet hours (arrivals only). A track
    that is a window of the journey (synth --start/--end) also has the arrival at its first stop when it starts
    lead_s or more before it, and the next stop (the route's next calling station) on leaving its last one
    when it goes on lead_s or more after."""
    ids = list(route_names.names(route).ST_ID)
    stops = truth["stops"]
    d = 0 if truth["direction"] == "to_pyongyang" else 1
    legs = route.TRAIN[d]
    ends = route.LEG_END[d]
    border = truth.get("border_crossing_utc")

    def off(st):
        c = route.ST_COUNTRY[st]
        return route.TZ[c][-1]

    def is_quiet(m):
        a, b = quiet
        return (a <= m or m < b) if a > b else a <= m < b

    events = []  # (utc, kind, arg, local minute)
    track = truth.get("track") or {}
    t0 = utc_s(track["from_utc"]) if track.get("from_utc") else None
    t1 = utc_s(track["to_utc"]) if track.get("to_utc") else None
    for i, s in enumerate(stops):
        st = ids.index(s["station"])
        if i > 0 or (t0 is not None and s.get("arr_utc") and utc_s(s["arr_utc"]) - t0 >= lead_s):
            events.append((s["arr_utc"], "arriving", st, _local_min(s["arr_utc"], off(st))))
            for leg in range(1, len(legs)):
                if ends[leg - 1] == st:
                    m = _local_min(s["arr_utc"], off(st))
                    events.append((s["arr_utc"] + "+", "train", d * route.LEGS + leg, m))
        if i + 1 < len(stops):
            nst = ids.index(stops[i + 1]["station"])
            events.append((s["dep_utc"], "next", nst, _local_min(s["dep_utc"], off(st))))
        elif t1 is not None and s.get("dep_utc") and t1 - utc_s(s["dep_utc"]) >= lead_s:
            on = range(st + 1, route.STATION_N) if d == 0 else range(st - 1, -1, -1)
            nst = next((k for k in on if route.ST_CALLS[k] & (1 << d)), None)
            if nst is not None:
                events.append((s["dep_utc"], "next", nst, _local_min(s["dep_utc"], off(st))))
    if border:
        c_after = route.ST_COUNTRY[ids.index(stops[-1]["station"])]
        c_before = route.ST_COUNTRY[ids.index(stops[0]["station"])]
        step = route.TZ[c_after][-1] - route.TZ[c_before][-1]
        events.append((border, "clock", step, _local_min(border, route.TZ[c_after][-1])))
    events.sort(key=lambda e: e[0])
    out = []
    for _, kind, arg, m in events:
        q = is_quiet(m)
        if q and kind != "arriving":
            continue
        out.append((kind, arg, q))
    return out
