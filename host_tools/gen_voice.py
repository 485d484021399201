"""Build the announcement clips: every phrase the firmware speaks, as IMA ADPCM at 16 kHz mono.

    python -m host_tools.gen_voice routes/beijing-pyongyang.json firmware/trainctl/voice_data.py

Phrases: host_tools/voice_text.py (fixed, in ORDER), then the zone names (per country), the train numbers (per
direction and leg) and the names of the stations where a train calls, from the route source, each in zh, ko
and en. A phrase comes from an operator's recording when voice/<lang>/<key>.wav exists (key: the fixed
phrase's name in lower case, zone_<country>, train_<number>, st_<station id>; mono, 16-bit, any rate), else
from espeak-ng (Debian package espeak-ng; voices cmn, ko, en): recorded voices replace synthetic ones phrase
by phrase. Each clip: resampled to 16 kHz, silence trimmed to 30 ms either end, peak normalised to 90 % of
full scale, encoded with the standard library's audioop.lin2adpcm (IMA/DVI ADPCM; Python 3.13 removed
audioop: the PyPI package audioop-lts puts it back), starting from predictor 0 and step index 0.

The firmware (trainctl/voice.py) decodes what this writes; tests/test_voice.py decodes it with
audioop.adpcm2lin as well and regenerates the module to compare.
"""

import argparse
import os
import struct
import subprocess
import sys
import textwrap
import wave

from host_tools import gen_route

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
    from host_tools import voice_text

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


def _bytes_lines(name, data, per_line=48):
    out = ["%s = (" % name]
    for i in range(0, len(data), per_line):
        out.append("    b'%s'" % "".join("\\x%02x" % b for b in data[i:i + per_line]))
    out.append(")")
    return out


def render(route, source_name, command, rec_dir):
    items, idx = phrases(route)
    data = bytearray()
    at = [0]
    notes = []
    recorded = 0
    for key, lang, text in items:
        x, origin = clip(key, lang, text, rec_dir)
        recorded += origin == "recorded"
        data += encode(x)
        at.append(len(data))
        notes.append(("# %3d %s/%s %s: %.2f s, %s" % (len(at) - 2, lang, key, text, len(x) / RATE, origin))[:110])
    if len(data) > MAX_FLASH:
        raise VoiceError("clips: %d bytes, over the %d bytes budget" % (len(data), MAX_FLASH))
    from host_tools import voice_text

    fixed = ", ".join("%s %d" % (n, 3 * i) for i, n in enumerate(voice_text.ORDER))
    out = [
        '"""Announcement clips. Generated: do not edit; edit host_tools/voice_text.py or the route source, or put',
        'recordings in voice/, and regenerate."""',
        "# Generated by host_tools/gen_voice.py from %s and host_tools/voice_text.py" % source_name,
        "# Command: %s" % command,
        "# Voices: %s (cmn, ko, en);" % espeak_version(),
        "# %d clips recorded (voice/<lang>/<key>.wav)" % recorded,
        "",
        "RATE = %d  # samples a second, mono" % RATE,
        "CLIP_N = %d" % len(items),
        "# Clip k is DATA[at(k):at(k + 1)], at(k) the uint32 LE at CLIP_AT[4k]: IMA ADPCM, 4 bits a sample, the first",
        "# sample in the high nibble, predictor 0 and step index 0 at the start of each clip. Clip + lang (zh 0, ko 1,",
        *textwrap.wrap("# en 2). Fixed phrases (host_tools/voice_text.py): %s; then:" % fixed, 110,
                       subsequent_indent="# "),
        "ZONE_CLIP = %d  # + 3 * country" % idx["ZONE_CLIP"],
        "TRAIN_CLIP = %d  # + 3 * (LEGS * direction + leg)" % idx["TRAIN_CLIP"],
        "# Per station: its first clip, 255 for a station where no train calls (never announced).",
        "ST_CLIP = %r" % bytes(idx["ST_CLIP"]),
        *notes,
        "DATA_BYTES = %d" % len(data),
    ]
    out += _bytes_lines("CLIP_AT", b"".join(struct.pack("<I", v) for v in at))
    out += _bytes_lines("DATA", bytes(data))
    out.append("")
    return "\n".join(out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("source", help="route source (JSON)")
    ap.add_argument("output", nargs="?", help="write here (default: stdout)")
    ap.add_argument("--recordings", default="voice", help="folder of recorded phrases (default %(default)s)")
    a = ap.parse_args(argv)
    try:
        route = gen_route.load(a.source)
        cmd = "python -m host_tools.gen_voice " + a.source + (" " + a.output if a.output else "")
        if a.recordings != "voice":
            cmd += " --recordings " + a.recordings
        text = render(route, a.source, cmd, a.recordings)
    except (gen_route.RouteError, VoiceError) as e:
        print("voice error: %s" % e, file=sys.stderr)
        return 2
    gen_route.write_out(text, a.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
