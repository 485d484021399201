"""Build the announcement clips: every phrase the firmware speaks, as IMA ADPCM at 16 kHz mono.

    python -m host_tools.build.voice routes/beijing-pyongyang.json firmware/voice.bin

Phrases: host_tools/build/voice_text.py (fixed, in ORDER), then the zone names (per country), the train numbers (per
direction and leg) and the names of the stations where a train calls, from the route source, each in zh, ko
and en. A phrase comes from an operator's recording when voice/<lang>/<key>.wav exists (key: the fixed
phrase's name in lower case, zone_<country>, train_<number>, st_<station id>; mono, 16-bit, any rate), else
from espeak-ng (Debian package espeak-ng; voices cmn, ko, en): recorded voices replace synthetic ones phrase
by phrase. Each clip: resampled to 16 kHz, silence trimmed to 30 ms either end, peak normalised to 90 % of
full scale, encoded with the standard library's audioop.lin2adpcm (IMA/DVI ADPCM; Python 3.13 removed
audioop: the PyPI package audioop-lts puts it back), starting from predictor 0 and step index 0.

The clips go into one binary file (render() gives its layout) that deploy copies onto the board's filesystem
(/voice.bin) beside main.py: the firmware (trainctl/voice.py) reads it in 256-byte chunks while it plays, so
the clips take flash, not RAM. tests/integration/test_voice.py decodes every clip with audioop.adpcm2lin as
well and regenerates the file to compare.
"""

import argparse
import os
import struct
import subprocess
import sys
import wave

from host_tools.build import route as gen_route
from host_tools.build import voice_text

RATE = 16000
LANGS = ("zh", "ko", "en")
VOICES = {"zh": "cmn", "ko": "ko", "en": "en"}
SPEED_WPM = {"zh": 185, "ko": 170, "en": 165}  # espeak-ng -s: cmn's syllables are slow at the default 175
TRIM_LEVEL = 400  # |sample| above this is sound (16-bit)
MARGIN_MS = 30
PEAK = 29490  # 90 % of full scale
MAX_FLASH = 600 * 1024  # the budget for every clip of the route


class VoiceError(ValueError):
    """espeak-ng missing or failing, a recording unusable, the clips over budget."""


def _audioop():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # 3.11, 3.12: deprecated, still there
        import audioop  # Python 3.13+: pip install audioop-lts

    return audioop


def phrases(route):
    """[(key, lang, text)] in clip order, and the indexes {group: first clip}."""
    out = []
    idx = {}
    for name in voice_text.ORDER:
        for lang, t in zip(LANGS, getattr(voice_text, name), strict=True):
            out.append((name.lower(), lang, t))
    idx["ZONE_CLIP"] = len(out)
    for c in route["countries"]:
        for lang, t in zip(LANGS, route["cnames"][c][1], strict=True):
            out.append(("zone_" + c, lang, t))
    idx["TRAIN_CLIP"] = len(out)
    for row in route["legs"]:
        for train, _ in row:
            for lang in LANGS:
                out.append(("train_" + train, lang, train))
    st_clip = []
    for p in route["stations"]:
        if p["calls"]:
            st_clip.append(len(out))
            for lang in LANGS:
                out.append(("st_" + p["id"], lang, p[lang]))
        else:
            st_clip.append(255)
    if len(out) > 255:
        raise VoiceError("%d clips: ST_CLIP holds indexes up to 254" % len(out))
    idx["ST_CLIP"] = st_clip
    return out, idx


def espeak(text, lang):
    """(rate, mono 16-bit samples) of text spoken by espeak-ng's voice for lang."""
    try:
        p = subprocess.run(["espeak-ng", "-v", VOICES[lang], "-s", str(SPEED_WPM[lang]), "--stdout", text],
                           capture_output=True, timeout=60)
    except FileNotFoundError:
        raise VoiceError("espeak-ng not found: `make voice` installs the Debian package espeak-ng") from None
    if p.returncode != 0:
        raise VoiceError("espeak-ng -v %s %r: %s" % (VOICES[lang], text, p.stderr.decode(errors="replace")))
    return _wav_samples(p.stdout, "espeak-ng")


def _wav_samples(data, where):
    import io

    try:
        with wave.open(io.BytesIO(data)) as w:
            if w.getnchannels() != 1 or w.getsampwidth() != 2:
                raise VoiceError("%s: %d channels of %d bytes, want mono 16-bit" % (
                    where, w.getnchannels(), w.getsampwidth()))
            rate = w.getframerate()
            raw = w.readframes(w.getnframes())
    except (wave.Error, EOFError) as e:
        raise VoiceError("%s: not a WAV file (%s)" % (where, e)) from None
    return rate, list(struct.unpack("<%dh" % (len(raw) // 2), raw))


def resample(x, rate):
    """x at rate -> RATE: a 3-tap low-pass (below rate) then linear interpolation."""
    if rate == RATE:
        return list(x)
    if rate > RATE:  # [1 2 1] / 4 against aliasing
        x = [(x[max(i - 1, 0)] + 2 * x[i] + x[min(i + 1, len(x) - 1)]) // 4 for i in range(len(x))]
    n = len(x) * RATE // rate
    out = []
    for k in range(n):
        t = k * rate / RATE
        i = int(t)
        f = t - i
        a = x[i]
        b = x[i + 1] if i + 1 < len(x) else a
        out.append(int(round(a + (b - a) * f)))
    return out


def shape(x):
    """Silence trimmed to MARGIN_MS either end, peak normalised to PEAK."""
    loud = [i for i, v in enumerate(x) if abs(v) > TRIM_LEVEL]
    if not loud:
        return []
    m = MARGIN_MS * RATE // 1000
    x = x[max(loud[0] - m, 0):loud[-1] + m]
    peak = max(abs(v) for v in x)
    return [max(-32768, min(32767, int(round(v * PEAK / peak)))) for v in x]


def encode(samples):
    """IMA ADPCM bytes (4 bits a sample, the first in the high nibble), from predictor 0, step index 0; an odd
    count is padded with a last 0 sample."""
    if len(samples) % 2:
        samples = samples + [0]
    pcm = struct.pack("<%dh" % len(samples), *samples)
    return _audioop().lin2adpcm(pcm, 2, None)[0]


def decode(data):
    """The samples a standard IMA decoder gets from encode()'s bytes (audioop.adpcm2lin)."""
    pcm = _audioop().adpcm2lin(bytes(data), 2, None)[0]
    return list(struct.unpack("<%dh" % (len(pcm) // 2), pcm))


def clip(key, lang, text, rec_dir):
    """(samples at RATE, origin 'recorded'|'espeak-ng'|'silent')."""
    if not text:
        return [], "silent"
    path = os.path.join(rec_dir, lang, key + ".wav") if rec_dir else ""
    if path and os.path.exists(path):
        with open(path, "rb") as f:
            rate, x = _wav_samples(f.read(), path)
        origin = "recorded"
    else:
        rate, x = espeak(text, lang)
        origin = "espeak-ng"
    return shape(resample(x, rate)), origin


def espeak_version():
    try:
        v = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "espeak-ng"], capture_output=True, text=True)
        if v.returncode == 0 and v.stdout:
            return "espeak-ng, Debian package espeak-ng %s" % v.stdout.strip()
    except OSError:
        pass
    return "espeak-ng"


MAGIC = b"TCV1"
HEAD = struct.Struct("<4sHHBBBxHxxI")  # magic, rate, clip_n, zone_clip, train_clip, station_n, st_at, tab_at


class VoiceFile:
    """A clip file read back (host side): the header's fields, the clip offsets (absolute, clip k is
    blob[at[k]:at[k + 1]]), the text note; raises VoiceError if it is not one."""

    def __init__(self, blob):
        blob = bytes(blob)
        if len(blob) < HEAD.size or blob[:4] != MAGIC:
            raise VoiceError("not a clip file (no %r header)" % MAGIC)
        (_, self.RATE, self.CLIP_N, self.ZONE_CLIP, self.TRAIN_CLIP, st_n, st_at, tab_at) = HEAD.unpack_from(blob)
        self.blob = blob
        self.ST_CLIP = blob[st_at:st_at + st_n]
        self.at = list(struct.unpack_from("<%dI" % (self.CLIP_N + 1), blob, tab_at))
        self.text = blob[HEAD.size:st_at].rstrip(b"\0").decode("utf-8")
        if self.at[-1] != len(blob) or any(b < a for a, b in zip(self.at, self.at[1:])):
            raise VoiceError("clip file: offsets out of order or not ending at the file's end")

    def clip(self, k):
        """Clip k's IMA ADPCM bytes."""
        return self.blob[self.at[k]:self.at[k + 1]]

    @property
    def data_bytes(self):
        return self.at[-1] - self.at[0]


def load(path):
    with open(path, "rb") as f:
        return VoiceFile(f.read())


def render(route, source_name, command, rec_dir):
    """The clip file's bytes. Layout (little-endian): HEAD (magic b"TCV1", rate, clip count, first zone clip,
    first train clip, station count, ST_CLIP's offset, the offset table's offset), a UTF-8 note (how it was made,
    every clip), ST_CLIP (per station its first clip, 255 where no train calls), NUL padding to 4 bytes, the
    offset table (clip count + 1 uint32: where each clip starts in the file, then the file's size), the clips."""
    items, idx = phrases(route)
    clips = []
    notes = []
    recorded = 0
    for key, lang, text in items:
        x, origin = clip(key, lang, text, rec_dir)
        recorded += origin == "recorded"
        clips.append(encode(x))
        notes.append(("%3d %s/%s %s: %.2f s, %s" % (len(clips) - 1, lang, key, text, len(x) / RATE, origin))[:110])
    data_bytes = sum(len(c) for c in clips)
    fixed = ", ".join("%s %d" % (n, 3 * i) for i, n in enumerate(voice_text.ORDER))
    note = [
        "trainctl announcement clips. Generated: do not edit; edit host_tools/build/voice_text.py or the route",
        "source, or put recordings in voice/, and regenerate.",
        "Generated by host_tools/build/voice.py from %s and host_tools/build/voice_text.py" % source_name,
        "Command: %s" % command,
        "Voices: %s (cmn, ko, en); %d clips recorded (voice/<lang>/<key>.wav)" % (espeak_version(), recorded),
        "IMA ADPCM, %d samples a second, mono, 4 bits a sample, the first in the high nibble, predictor 0 and step"
        % RATE,
        "index 0 at the start of each clip. Clip + lang (zh 0, ko 1, en 2). Fixed phrases: %s;" % fixed,
        "then the zones (ZONE_CLIP %d + 3 * country), the trains (TRAIN_CLIP %d + 3 * (LEGS * direction + leg)),"
        % (idx["ZONE_CLIP"], idx["TRAIN_CLIP"]),
        "the calling stations (ST_CLIP). %d clips, %d bytes of ADPCM:" % (len(items), data_bytes),
        *notes,
    ]
    text = ("\n".join(note) + "\n").encode("utf-8")
    st_clip = bytes(idx["ST_CLIP"])
    st_at = HEAD.size + len(text) + 1  # a NUL ends the note
    tab_at = (st_at + len(st_clip) + 3) // 4 * 4
    at = tab_at + 4 * (len(clips) + 1)
    offsets = []
    for c in clips:
        offsets.append(at)
        at += len(c)
    offsets.append(at)
    head = HEAD.pack(MAGIC, RATE, len(clips), idx["ZONE_CLIP"], idx["TRAIN_CLIP"], len(st_clip), st_at, tab_at)
    blob = head + text + b"\0" + st_clip + bytes(tab_at - st_at - len(st_clip))
    blob += struct.pack("<%dI" % len(offsets), *offsets) + b"".join(clips)
    if len(blob) > MAX_FLASH:
        raise VoiceError("clip file: %d bytes, over the %d bytes budget" % (len(blob), MAX_FLASH))
    return blob


def command(source, output, recordings="voice"):
    """The command line the clip file's note names."""
    return "python -m host_tools.build.voice %s %s%s" % (
        source, output, "" if recordings == "voice" else " --recordings " + recordings)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("source", help="route source (JSON)")
    ap.add_argument("output", help="the clip file to write (firmware/voice.bin)")
    ap.add_argument("--recordings", default="voice", help="folder of recorded phrases (default %(default)s)")
    a = ap.parse_args(argv)
    try:
        route = gen_route.load(a.source)
        blob = render(route, a.source, command(a.source, a.output, a.recordings), a.recordings)
    except (gen_route.RouteError, VoiceError) as e:
        print("voice error: %s" % e, file=sys.stderr)
        return 2
    with open(a.output, "wb") as f:
        f.write(blob)
    return 0


if __name__ == "__main__":
    sys.exit(main())
