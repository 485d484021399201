"""The ESP32 and RP2040 board files' own I2S output (their build(), pins, mode, bits, format, rate, ibuf) on the
virtual board's fake machine, as a port keeps its buffer: the RP2040's ring in MicroPython's heap (extmod's
machine_i2s ring buffer: taken when an announcement starts, given back at deinit), the ESP32's DMA buffers outside
it. trainctl.voice plays clips through it at the loop's 10 ms passes in virtual time, each refill under
heap_lock() (tests/mp/board_audio.py)."""

import pytest
from mp.mp import REPO, run_unix
from trainctl import voice

CLIPS = REPO / "firmware" / "voice.bin"
FIRST, LAST = 0, 11  # the fixed phrases' clips: "next stop", "arriving at", the train, in zh, ko, en


def _samples_on_the_host():
    """What trainctl.voice writes for the clips on CPython, an output that takes each buffer at once."""

    class Out:
        n = 0

        def irq(self, h):
            self.h = h

        def write(self, b):
            self.n += len(b)
            self.h(self)

        def deinit(self):
            pass

    out = Out()
    v = voice.Voice(lambda: out, str(CLIPS))
    for c in range(FIRST, LAST + 1):
        v.say(c)
    while v.qn or v.out is not None:
        v.step(32)
    return out.n


@pytest.mark.parametrize("board,ring,ibuf", [("rp2040", "heap", 4096), ("esp32", "dma", 8192)])
def test_board_files_i2s_output_plays_on_the_fake_machine(board, ring, ibuf, monkeypatch):
    monkeypatch.setenv("VBOARD_END", "-1")  # no track: the fake board runs until the script ends
    monkeypatch.setenv("VBOARD_I2S_RING", ring)
    paths = (REPO / "host_tools" / "vboard" / "fake_machine", REPO / "boards" / board, REPO / "firmware",
             REPO / ".venv" / "mplib")
    p = run_unix(str(REPO / "tests" / "mp" / "board_audio.py"), str(CLIPS), str(FIRST), str(LAST), heap="240k",
                 paths=paths, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    r = {k: v for k, _, v in (w.partition("=") for w in p.stdout.split())}
    assert r["path"] == "/voice.bin" and int(r["rate"]) == 16000 and int(r["ibuf"]) == ibuf, r
    opened, closed = int(r["open_b"]), int(r["closed_b"])
    if ring == "heap":  # the ring is the firmware's RAM while the output is open, and only then
        assert opened >= ibuf and closed < 512 and int(r["playing_b"]) >= ibuf, r  # (closed: the fake's pins)
    else:
        assert opened < 512 and closed < 512 and int(r["playing_b"]) < 4096, r
    assert int(r["after_b"]) <= 0, r  # all given back once played
    assert int(r["samples"]) == _samples_on_the_host() and int(r["underrun_ms"]) == 0, r
    assert int(r["max_ring"]) == ibuf and int(r["locked_errors"]) == 0 and int(r["wdt_max_gap_ms"]) <= 10, r
