"""Issue 18, item 3: announcements. The clip file (generated like the font), the decoder against an independent one
(the standard library's audioop), the decoders on the unix port (Python and viper) sample for sample, no
allocation per refill, the flash budget, and whole journeys both ways: what the driver was sent, decoded back into
announcements, against the journey's synthetic truth (every calling stop before arrival and on departure, in
zh, ko, en, in journey order; only arrivals, quieter, in the quiet hours)."""

import json
import re
import shutil
import struct
import subprocess
import sys

import pytest
from mp.mp import REPO, run_unix
from trainctl import announce as A
from trainctl import route_data as R
from trainctl import voice
from trainctl.announce import Announcer
from trainctl.coach import Controller

from host_tools.build import route as gen_route
from host_tools.build import voice as gen_voice
from host_tools.build import voice_text
from host_tools.common.fakes import FakeI2S
from host_tools.vboard import voice_check

SRC = REPO / "routes" / "beijing-pyongyang.json"
NEXT, ARRIVING = voice_check.KINDS.index("next"), voice_check.KINDS.index("arriving")  # trainctl.announce's kinds
PAUSE = 255  # trainctl.voice's clip id of a pause
CLIPS = REPO / "firmware" / "voice.bin"
CMD = "python -m host_tools.build.voice routes/beijing-pyongyang.json firmware/voice.bin"
VF = gen_voice.load(CLIPS)


Out = FakeI2S  # the output Voice plays into, keeping the samples


def test_clip_file_names_its_command():
    assert VF.text.startswith("trainctl announcement clips. Generated: do not edit")
    assert "\nCommand: %s\n" % CMD in VF.text
    assert "espeak-ng" in VF.text
    assert CLIPS.read_bytes()[:4] == b"TCV1" and CMD.encode() in CLIPS.read_bytes()[:2000]  # `head` shows it


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed: `make voice` installs it")
def test_regenerated_clips_are_identical():
    route = gen_route.load(str(SRC))
    blob = gen_voice.render(route, "routes/beijing-pyongyang.json", CMD, str(REPO / "voice"))
    assert blob == CLIPS.read_bytes(), "firmware/voice.bin is stale: run `make voice`"


def test_cli_writes_the_clip_file(tmp_path):
    """The command line writes what render() gives (a route without stations where trains call: quick)."""
    src = json.loads(SRC.read_text(encoding="utf-8"))
    for p in src["points"]:
        p["calls"] = []
    for part in src["line"]:
        if "file" in part:
            part["file"] = str(SRC.parent / part["file"])
    (tmp_path / "r.json").write_text(json.dumps(src), encoding="utf-8")
    out = tmp_path / "v.bin"
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng not installed: `make voice` installs it")
    p = subprocess.run([sys.executable, "-m", "host_tools.build.voice", str(tmp_path / "r.json"), str(out)],
                       cwd=REPO, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    f = gen_voice.load(out)
    assert VF.ST_CLIP[0] == f.CLIP_N and set(f.ST_CLIP) == {255}
    assert all(f.clip(k) == VF.clip(k) for k in range(f.CLIP_N))  # the same phrases, the same clips
    assert "\nCommand: python -m host_tools.build.voice %s %s\n" % (tmp_path / "r.json", out) in f.text


def test_clip_file_within_600_kb_of_flash():
    size = CLIPS.stat().st_size
    assert VF.at[-1] == size and VF.data_bytes > 400 * 1024
    assert size <= 600 * 1024


def test_a_damaged_clip_file_is_refused():
    blob = CLIPS.read_bytes()
    for bad in (b"", blob[:3], b"TCV0" + blob[4:], blob[:-1]):
        with pytest.raises(gen_voice.VoiceError):
            gen_voice.VoiceFile(bad)


def test_fixed_phrase_indexes_are_where_the_generator_puts_them():
    src = (REPO / "firmware" / "trainctl" / "announce.py").read_text()
    found = dict((n, int(i)) for n, i in re.findall(r"^_V_(\w+) = const\((\d+)\)", src, re.M))
    assert found.pop("ZONE") == VF.ZONE_CLIP == 3 * len(voice_text.ORDER)
    assert found == {name: 3 * i for i, name in enumerate(voice_text.ORDER)}


def test_announcer_finds_every_clip_where_the_generator_puts_it():
    """trainctl.announce computes the clips of trains and stations from the route (no table in RAM): the same
    as the clip file's header and ST_CLIP, which the generator wrote."""
    said = []

    class V:
        mul = 256

        def say(self, c):
            said.append(c)

    ann = Announcer(R, V(), 10, 0, 0)
    for st in range(R.STATION_N):
        del said[:]
        ann._station(_C(), NEXT, st, 0, 3)
        if R.ST_CALLS[st]:
            k = VF.ST_CLIP[st]
            assert said == [0, k, 3, PAUSE, 1, k + 1, 4, PAUSE, 2, k + 2, 5, PAUSE], st
            assert all(len(VF.clip(k + lang)) > 0 for lang in range(3))
        else:
            assert said == [] and VF.ST_CLIP[st] == 255
    assert A._V_ZONE + 3 * len(R.COUNTRIES) == VF.TRAIN_CLIP
    for k in range(2 * R.LEGS):
        c = VF.TRAIN_CLIP + 3 * k
        assert all(len(VF.clip(c + lang)) > 0 for lang in range(3))


def test_python_decoder_matches_audioop_on_every_clip():
    """trainctl.voice.decode (the pure one) against the standard library's IMA decoder, every clip, at full scale
    and at a volume."""
    tab = voice.table()
    pure = voice.decode if voice.decode.__module__ == "trainctl.voice" else None
    assert pure is not None  # CPython: no viper
    for k in range(VF.CLIP_N):
        a, b = VF.at[k], VF.at[k + 1]
        want = gen_voice.decode(VF.clip(k))
        for mul in (256, 102):
            dst = [0] * (2 * (b - a))
            st = [0, 0, a, b, len(dst), mul]
            n = pure(VF.blob, dst, st, tab)
            assert n == len(want) and dst == [v * mul >> 8 for v in want], k


def test_encoder_round_trip_is_close():
    """encode() then decode(): IMA ADPCM tracks a clip within a few percent of full scale."""
    x = [int(8000 * ((i * 7919) % 200 - 100) / 100) for i in range(4000)]  # a sawtooth-like signal
    y = gen_voice.decode(gen_voice.encode(x))
    err = sum(abs(a - b) for a, b in zip(x[200:], y[200:], strict=True)) / len(x[200:])
    assert err < 2500


@pytest.mark.parametrize("mul", [256, 204])
@pytest.mark.parametrize("kind", ["pure", "viper"])
def test_unix_port_decoders_send_the_clips_sample_for_sample(kind, mul, tmp_path):
    out = tmp_path / "pcm.bin"
    first, last = VF.ST_CLIP[0], VF.ST_CLIP[0] + 5
    p = run_unix(str(REPO / "tests" / "mp" / "voice_script.py"), "pcm", kind, str(CLIPS), str(first), str(last),
                 str(out), str(mul), heap="64k")
    assert p.returncode == 0, p.stderr
    got = list(struct.unpack("<%dh" % (out.stat().st_size // 2), out.read_bytes()))
    i = 0
    for k in range(first, last + 1):
        want = gen_voice.decode(VF.clip(k))
        assert got[i:i + len(want)] == [v * mul >> 8 for v in want], k
        i += (len(want) + 511) // 512 * 512
    assert i == len(got)


@pytest.mark.parametrize("kind", ["pure", "viper"])
def test_no_allocation_per_refill_under_heap_lock(kind):
    p = run_unix(str(REPO / "tests" / "mp" / "voice_script.py"), "alloc", kind, str(CLIPS), heap="64k")
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == ["refills", "400", "frames", "0"], p.stdout  # not even a call frame on the heap


def _journey(direction, seed, tmp_path, volume=8, quiet=(22, 6)):
    """A synthetic journey through the controller, the announcer and the voice (as app.py drives them);
    returns (samples sent, truth)."""
    track, truth = tmp_path / "j.nmea", tmp_path / "j.truth.json"
    subprocess.run([sys.executable, "-m", "host_tools.synth", "--direction", direction, "--seed", str(seed),
                    "-o", str(track), "--truth", str(truth)], cwd=REPO, check=True, capture_output=True)
    out = Out()
    v = voice.Voice(lambda: out, str(CLIPS))
    ann = Announcer(R, v, volume, *quiet)
    ctl = Controller(R, None, ann.changed)
    data = track.read_bytes()
    for i in range(0, len(data), 700):  # about a GPS second of NMEA
        ctl.feed(data[i:i + 700])
        ann.step(ctl, 10)
        for _ in range(31):  # a second of refills
            v.step(32)
    for _ in range(20000):
        if v.out is None and not v.qn:
            break
        v.step(32)
    return out.samples, json.loads(truth.read_text())


@pytest.mark.parametrize("direction", ["to_pyongyang", "to_beijing"])
def test_whole_journey_announcements_against_the_truth(direction, tmp_path):
    samples, truth = _journey(direction, 3, tmp_path)
    wav = tmp_path / "a.wav"
    voice_check.write_wav(wav, samples)
    r = voice_check.report(wav, truth, R, VF)
    assert r["languages_ok"], r["heard"]
    assert r["order_ok"], (r["missing"], r["unexpected"], r["heard"])
    assert r["quiet_ok"], r["heard"]
    kinds = {h[0] for h in r["heard"]}
    assert kinds == {"next", "arriving", "train", "clock"}
    calls = [i for i in range(R.STATION_N) if R.ST_CALLS[i] & (1 << (0 if direction == "to_pyongyang" else 1))]
    heard_arr = {h[1] for h in r["heard"] if h[0] == "arriving"}
    assert heard_arr == (set(calls[1:]) if direction == "to_pyongyang" else set(calls[:-1]))


def test_no_quiet_hours_announces_every_departure_too(tmp_path):
    samples, truth = _journey("to_pyongyang", 3, tmp_path, quiet=(0, 0))
    wav = tmp_path / "a.wav"
    voice_check.write_wav(wav, samples)
    heard = voice_check.report(wav, None, R, VF)["heard"]
    nxt = [h[1] for h in heard if h[0] == "next"]
    assert len(nxt) == len(truth["stops"]) - 1


class _C:
    """The controller's display state, by hand."""

    def __init__(self, **kw):
        self.train, self.utc_offset_min, self.country, self.next_stop, self.at_stop = "K27", 480, 0, 1, 0
        self.utc_s = 217589160  # 09:26 UTC: 17:26 Beijing time
        self.speed_cms = 0
        self.__dict__.update(kw)


def test_quiet_hours_arrivals_only_and_quieter():
    said = []
    v = voice.Voice(lambda: Out(), str(CLIPS))
    ann = Announcer(R, v, 10, 22, 6)
    ann.on_say = lambda k, a: said.append((k, a, v.mul))
    ann.changed(_C())
    ann.changed(_C(at_stop=-1))  # leaves Beijing at 17:26: next stop, full volume
    night = 217589160 + 6 * 3600  # 23:26 Beijing time
    ann.changed(_C(at_stop=1, next_stop=4, utc_s=night))
    ann.changed(_C(at_stop=-1, next_stop=4, utc_s=night))  # leaves Tianjin at night: nothing
    ann.changed(_C(train="95", at_stop=-1, next_stop=4, utc_s=night))  # number change at night: nothing
    assert said == [(NEXT, 1, 256)]
    j = type("J", (), {"along_m": R.ST_ALONG_M[4] - 1000, "direction": 0})()
    ann.fix(_C(at_stop=-1, next_stop=4, utc_s=night, journey=j, speed_cms=2000))
    assert said[-1] == (ARRIVING, 4, 128)  # arrivals in the quiet hours, at half the volume
