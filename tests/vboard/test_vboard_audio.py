"""Issue 18's target on the virtual board: while an announcement plays at the real loop rate (10 ms passes), no UART
byte is dropped, every sentence the GPS sent is parsed, the watchdog is fed within its timeout, and the
announcement's audio reaches the I2S output whole.

The unmodified firmware (main.py, trainctl from a ROMFS partition: announcements need it) boots on the fake machine;
the GPS sends at 9,600 baud into the board file's 2,048-byte receive buffer (the fake drops and counts what does not
fit, as a port's ring does). The track: 4.5 minutes of tests/data/short_clean.nmea around the departure from Beijing
(09:26 UTC, 17:26 local: "next stop Tianjin" in zh, ko and en, about 7 s). Each board's I2S model, its ibuf from its
board file: the ESP32 (110 KiB heap, DMA buffers outside MicroPython's heap) and the RP2040 (180 KiB heap, the ring
buffer in MicroPython's heap: allocated when the announcement starts, on the heap the running firmware left); the
RP2040 also with a refill that costs the loop 16 ms of virtual time (half of the 32 ms a refill plays; the unix
port's Python decoder takes about 0.25 ms: BENCH.md section 7), the decoding of a board far slower than this host.
"""

import os
import re
import wave

import pytest
from trainctl import route_data as R
from trainctl import voice

from host_tools.build import voice as gen_voice
from host_tools.common.fakes import FakeI2S
from host_tools.common.paths import ROOT
from host_tools.common.route_names import names
from host_tools.vboard import run, voice_check

SHORT = os.path.join(ROOT, "tests", "data", "short_clean.nmea")
CLIPS = os.path.join(ROOT, "firmware", "voice.bin")
FIRST_EPOCH, END_EPOCH = 510, 780  # 09:24:30 - 09:29:00 UTC; the train leaves Beijing at 09:26:00
LOOP_MS = 10  # the firmware's own poll period (VBOARD_RATE=real)
SLOW_REFILL_US = 16000
NEXT_PRE, NEXT_POST, PAUSE = 0, 3, 255  # trainctl.announce's _V_NEXT_PRE, _V_NEXT_POST; trainctl.voice's _PAUSE
VOLUME_MUL = 8 * 256 // 10  # the default volume (8 of 10): trainctl.announce


def _ibuf(board):
    """_I2S_IBUF of boards/<board>/board.py."""
    with open(os.path.join(ROOT, "boards", board, "board.py"), encoding="utf-8") as f:
        return int(re.search(r"^_I2S_IBUF = const\((\d+)\)", f.read(), re.M).group(1))


# (heap, where the I2S buffer lives, the board file whose ibuf is used, virtual us a refill costs the loop)
RUNS = [pytest.param("110k", "dma", "esp32", 0, id="esp32"),
        pytest.param("180k", "heap", "rp2040", 0, id="rp2040"),
        pytest.param("180k", "heap", "rp2040", SLOW_REFILL_US, id="rp2040-refill-16ms")]


@pytest.fixture(scope="module")
def board_files(tmp_path_factory):
    """The flash and ROMFS image of the virtual board, the track and its lines and epochs."""
    out = tmp_path_factory.mktemp("vboard-audio")
    with open(SHORT, "rb") as f:
        lines = f.read().splitlines(keepends=True)
    starts = [i for i, ln in enumerate(lines) if b"RMC," in ln]  # an epoch: RMC, GGA, GSV...
    part = lines[starts[FIRST_EPOCH]:starts[END_EPOCH]]
    track = out / "track.nmea"
    track.write_bytes(b"".join(part))
    flash, vb, img = run.build_flash(str(out), romfs=True)
    return dict(out=out, flash=flash, vb=vb, img=img, track=str(track), lines=len(part),
                epochs=END_EPOCH - FIRST_EPOCH)


def _expected_samples(st):
    """What trainctl.voice sends for "next stop" st at the default volume: on CPython, the same Voice class, an output
    that takes every buffer at once."""

    out = FakeI2S()
    v = voice.Voice(lambda: out, CLIPS)
    v.mul = VOLUME_MUL
    k = gen_voice.load(CLIPS).ST_CLIP[st]
    for lang in range(3):
        for c in (NEXT_PRE + lang, k + lang, NEXT_POST + lang, PAUSE):
            v.say(c)
    while v.qn or v.out is not None:
        v.step(32)
    return out.samples


@pytest.fixture(scope="module")
def expected():
    st = names(R).ST_ID.index("tianjin")
    return st, _expected_samples(st)


@pytest.mark.parametrize("heap,ring,board_file,refill_us", RUNS)
def test_announcing_at_the_real_loop_rate_loses_nothing(board_files, expected, heap, ring, board_file, refill_us,
                                                        tmp_path):
    b = board_files
    wav = str(tmp_path / "audio.wav")
    env = {"VBOARD_AUDIO": wav, "VBOARD_I2S_RING": ring, "VBOARD_I2S_IBUF": str(_ibuf(board_file)),
           "VBOARD_I2S_REFILL_US": str(refill_us), "VBOARD_MEM_S": "1", "VBOARD_JLOG": str(tmp_path / "jlog.bin")}
    lines, rc, _ = run.run_board(b["flash"], b["vb"], b["track"], str(tmp_path / "cap.bin"), heap, "oled", "real",
                                 echo=False, extra_env=env, end_s=2, romfs=b["img"], timeout=120)
    vb = run.vboard_info(lines)
    assert rc == 0 and vb["why"] == "end", lines[-12:]
    assert not [ln for ln in lines if "Error" in ln or "fault:" in ln or "Traceback" in ln], lines
    assert "rom=1" in next(ln for ln in lines if ln.startswith("trainctl "))  # from the partition: it announces
    # the UART: every byte into the receive buffer, every line the GPS sent parsed, every epoch a fix
    assert vb["baud"] == 9600 and vb["epochs"] == b["epochs"]
    assert vb["rx_dropped"] == 0 and vb["rx_lost_flash"] == 0 and vb["rx_lost_boot"] == 0, vb
    assert vb["rx_lines"] == b["lines"] and vb["nmea_sentences"] == b["lines"], vb
    assert vb["nmea_fixes"] == b["epochs"] and vb["nmea_bad_checksum"] == 0 and vb["nmea_truncated"] == 0, vb
    # the watchdog: fed every pass, never near its timeout (a pass: at most 4 refills and a flash write)
    assert vb["wdt_feeds"] >= 0.95 * vb["ms"] / LOOP_MS, vb
    assert vb["wdt_max_gap_ms"] <= vb["max_pass_us"] // 1000 + LOOP_MS + 1 < vb["wdt_timeout_ms"], vb
    assert vb["max_pass_us"] >= 4 * refill_us  # the refills did cost the loop their time
    # the audio: one announcement, "next stop Tianjin" in zh, ko, en, every sample as trainctl.voice made it on the
    # host, the ring never dry while it played
    st, want = expected
    with wave.open(wav) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (16000, 1, 2)
    got = voice_check.read_wav(wav)
    heard = voice_check.report(wav, None, R, gen_voice.load(CLIPS))["heard"]
    assert heard == [("next", st, VOLUME_MUL, "zke")], heard
    assert vb["i2s_opens"] == 1 and vb["i2s_samples"] == len(want) and got == want
    assert vb["i2s_underrun_ms"] == 0 and vb["i2s_max_ring"] <= _ibuf(board_file), vb
    # RAM while it played (heap sampled every virtual second): the RP2040's ring is in the firmware's heap
    assert vb["heap_audio_samples"] >= 5, vb
    held = vb["heap_audio_max"] - vb["heap_first"]
    if ring == "heap":
        assert _ibuf(board_file) < held <= _ibuf(board_file) + 4096, vb
    else:
        assert 0 < held <= 4096, vb
    assert vb["heap_end"] <= vb["heap_first"], vb  # all of it given back once the output closed
