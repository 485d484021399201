"""What the virtual board's fake devices share (machine.py's docstring has the environment variables): the capture,
the watchdog, heap samples, the flash's cost, the scripted input pins, the end of the run and its summary line."""

import gc
import os
import struct
import sys
import time as _t

from vb_capture import _Capture


def _env_int(name, default):
    v = os.getenv(name)
    return default if v is None or v == "" else int(float(v))


def _days(y, m, d):
    """Days since 1970-01-01 of a Gregorian date (Howard Hinnant's days_from_civil)."""
    y -= m <= 2
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    return era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468


def _parse_iso(s):
    """'2026-11-23T09:30:00Z' -> seconds since 1970."""
    return (_days(int(s[0:4]), int(s[5:7]), int(s[8:10])) * 86400 + int(s[11:13]) * 3600
            + int(s[14:16]) * 60 + int(s[17:19]))


class _Board:
    """What the fake devices share: the capture, the watchdog, heap samples, the end of the run."""

    def __init__(self):
        self.cap = None
        self.cap_bytes = 0
        path = os.getenv("VBOARD_CAPTURE")
        if path:
            self.cap = _Capture(path)
        self.end_s = _env_int("VBOARD_END", 10)
        self.mem_ms = 1000 * _env_int("VBOARD_MEM_S", 60)
        self.next_mem_ms = 0
        self.heap = []  # [first, max, last] of gc.mem_alloc() after gc.collect()
        self.heap_samples = 0
        self.heap_audio_max = -1  # gc.mem_alloc() after gc.collect() of samples while the I2S output is open
        self.heap_audio_samples = 0
        self.last_sample_ms = -1
        self.end_ms = -1 if os.getenv("VBOARD_TRACK") or self.end_s < 0 else 1000 * self.end_s
        self.wdt = None
        self.uart = None
        self.spis = []
        self.i2c_tx = 0
        self.spi_tx = 0
        self.utc_s = -1  # GPS time of the last released epoch
        self.utc_ms = 0  # virtual ms when it was released
        self.inputs = None
        self.levels = {}
        for kv in (os.getenv("VBOARD_PINS") or "").split(","):
            if "=" in kv:
                k, v = kv.split("=")
                self.levels[k.strip()] = int(v)
        self.bytes = 0  # heap taken by the fake devices' own state (buffers, file objects, caches)
        self.late_bytes = 0  # ... of it, made after boot (flash file wrappers): left out of the heap samples
        self.flash_ms = _env_int("VBOARD_FLASH_MS", 45)
        self.flash_writes = 0
        self.flash_us = 0
        self.flash_max_ms = 0
        self.flash_boot = 0  # commits during boot (not modelled)
        self.in_flash = False  # inside a flash write (the firmware's call in progress: no heap sample)
        self.inline_commits = 0
        self.i2c_bytes = 0
        self.i2c_alloc = 0
        self.i2c_us = 0
        self.probe = None
        self.probe_us = -1
        self.pin_gap_max = 0
        self.pin_gap_min = -1
        self.lost_at_ms = -1  # when bytes were first lost to a flash write
        self.i2s = None
        self.i2s_opens = 0
        self.i2s_samples = 0
        self.i2s_underrun_ms = 0  # the ring ran dry while the firmware still had samples to write
        self.i2s_max_ring = 0
        self.audio = None
        path = os.getenv("VBOARD_AUDIO")
        if path:
            self.audio = open(path, "wb")  # noqa: SIM115 (closed in finish())
            self.audio.write(bytes(44))  # the WAV header, written at the end
        _t.set_hook(self.tick)
        if os.getenv("VBOARD_INPUTS"):  # read now: the script is the board's, not the firmware's heap
            self.inputs = _Inputs(os.getenv("VBOARD_INPUTS"))

    def tick(self, now_ms):
        """After every advance of the virtual clock (cheap unless something is due)."""
        s = self.i2s
        if s is not None:
            s._drain(now_ms)
        u = self.uart
        if u is not None and u.next_ms >= 0 and now_ms >= u.next_ms:
            u._pump()  # the GPS talks whether or not the firmware reads (a full buffer drops bytes)
        if now_ms >= self.next_mem_ms and _t.sleeping:  # in the loop's sleeps: no firmware call in progress
            self.next_mem_ms = now_ms + self.mem_ms
            self.sample()
        w = self.wdt
        if w is not None and now_ms - w.last_ms > w.timeout_ms:
            gap = now_ms - w.last_ms
            w.max_gap_ms = max(w.max_gap_ms, gap)
            print("vboard: WDT reset at %d ms: %d ms without feed (timeout %d ms)" % (now_ms, gap, w.timeout_ms))
            if self.cap is not None:
                self.cap.record(ord("W"), 0, struct.pack("<I", gap))
            self.finish("wdt_reset")
            raise SystemExit(3)
        if self.end_ms >= 0 and now_ms >= self.end_ms:
            if self.last_sample_ms != now_ms:
                self.sample()  # at the depth of every other sample: finish()'s own frame is on the heap
            self.finish("end", False)
            raise SystemExit(0)

    def sample(self):
        self.last_sample_ms = _t.now_ms()
        gc.collect()
        a = gc.mem_alloc() - self.late_bytes
        if self.i2s is not None:  # announcing: what audio holds while it plays, apart (heap_audio_max)
            self.heap_audio_max = max(self.heap_audio_max, a)
            self.heap_audio_samples += 1
            return
        h = self.heap
        if not h:
            h.extend((a, a, a))
        h[1] = max(h[1], a)
        h[2] = a
        self.heap_samples += 1

    def track_done(self, now_ms):
        if self.end_ms < 0 and self.end_s >= 0:
            self.end_ms = now_ms + 1000 * self.end_s

    def utc_now(self):
        if self.utc_s < 0:
            return -1
        return self.utc_s + (_t.now_ms() - self.utc_ms) // 1000

    def finish(self, why, sample=True):
        if sample:
            self.sample()
        cap = self.cap
        if cap is not None:
            cap.record(ord("E"), 0, b"")
            cap.close()
        if self.audio is not None:
            self._wav_close()
        print("vboard: audio i2s_opens=%d i2s_samples=%d i2s_underrun_ms=%d i2s_max_ring=%d heap_audio_max=%d "
              "heap_audio_samples=%d" % (self.i2s_opens, self.i2s_samples, self.i2s_underrun_ms, self.i2s_max_ring,
                                         self.heap_audio_max, self.heap_audio_samples))
        u = self.uart
        gc.collect()  # the lines below need room: a firmware that could not start may have left the heap full
        ps = _parser_stats()
        print("vboard: nmea rx_lines=%d nmea_sentences=%d nmea_fixes=%d nmea_bad_checksum=%d nmea_truncated=%d" % (
            u.lines if u else 0, ps.sentences if ps else -1, ps.fixes if ps else -1, ps.bad_checksum if ps else -1,
            ps.truncated if ps else -1))
        w = self.wdt
        h = self.heap or [-1, -1, -1]
        print(("vboard: %s ms=%d utc=%d heap_first=%d heap_max=%d heap_end=%d heap_size=%d heap_samples=%d"
               " vboard_bytes=%d epochs=%d rx_bytes=%d rx_dropped=%d wdt_timeout_ms=%d wdt_max_gap_ms=%d"
               " wdt_feeds=%d i2c_tx=%d spi_tx=%d cap_records=%d cap_repeats=%d cap_skipped=%d"
               " baud=%d rx_lost_flash=%d rx_lost_boot=%d rx_wait_ms=%d flash_writes=%d flash_busy_ms=%d"
               " i2c_bytes=%d i2c_alloc_bytes=%d i2c_busy_ms=%d max_pass_us=%d pin_gap_max_us=%d"
               " pin_gap_min_us=%d lost_at_ms=%d max_pass_at_ms=%d max_pass_noflash_us=%d flash_max_ms=%d") % (
            why, _t.now_ms(), self.utc_now(), h[0], h[1], h[2], gc.mem_alloc() + gc.mem_free(), self.heap_samples,
            self.bytes, u.epochs if u else 0, u.rx_total if u else 0, u.dropped if u else 0,
            w.timeout_ms if w else -1, w.max_gap_ms if w else -1, w.feeds if w else 0, self.i2c_tx,
            self.spi_tx, cap.records if cap else 0, cap.repeats if cap else 0, cap.skipped if cap else 0,
            u.baudrate if u else 0, u.lost_flash if u else 0, u.lost_boot if u else 0,
            u.wait_us // 1000 if u else 0, self.flash_writes,
            self.flash_us // 1000, self.i2c_bytes, self.i2c_alloc, self.i2c_us // 1000, _t.max_busy_us(),
            self.pin_gap_max, self.pin_gap_min if self.pin_gap_min >= 0 else -1, self.lost_at_ms,
            _t.busy_max_at_ms, _t.busy_noflash_max_us, self.flash_max_ms))

    def _wav_close(self):
        f = self.audio
        self.audio = None
        n = 2 * self.i2s_samples
        rate = self.i2s.rate if self.i2s is not None else 16000
        f.seek(0)
        fmt = struct.pack("<IHHIIHH", 16, 1, 1, rate, 2 * rate, 2, 16)  # PCM, mono, 16-bit
        f.write(b"RIFF" + struct.pack("<I", 36 + n) + b"WAVEfmt " + fmt + b"data" + struct.pack("<I", n))
        f.close()

    def flash_busy(self, inline):
        """One littlefs commit: the CPU stops (interrupts off); the UART keeps only its FIFO. Not modelled
        during boot (before the firmware's first sleep: a fresh board creates its 16 KiB journey log then)."""
        if not _t.booted():
            self.flash_boot += 1
            return
        self.flash_writes += 1
        ms = 1
        if not inline:
            ms += self.flash_ms
        else:
            self.inline_commits += 1
            if self.inline_commits % 32 == 0:
                ms += self.flash_ms
        self.flash_us += 1000 * ms
        _t.flash_in_pass_us += 1000 * ms
        if ms > self.flash_max_ms:
            self.flash_max_ms = ms
        u = self.uart
        self.in_flash = True
        if u is None:
            _t.advance_us(1000 * ms)
        else:
            u._irq_off(ms)
        self.in_flash = False

    def pin_read(self, pin):
        """The first input pin read is the probe: gaps between its reads (virtual us)."""
        if self.probe is None:
            self.probe = pin
        if pin is not self.probe:
            return
        now = _t.now_us()
        if self.probe_us >= 0:
            g = now - self.probe_us
            if g > self.pin_gap_max:
                self.pin_gap_max = g
            if self.pin_gap_min < 0 or g < self.pin_gap_min:
                self.pin_gap_min = g
        self.probe_us = now

    def input_level(self, name):
        if self.inputs is None:
            self.inputs = _Inputs(os.getenv("VBOARD_INPUTS"))
        now = _t.now_ms()
        lv = self.inputs.level(name, self.utc_s * 1000 + now - self.utc_ms if self.utc_s >= 0 else -1, now)
        return self.levels.get(name, 0) if lv is None else lv


def _parser_stats():
    """The firmware's NMEA parser counters (trainctl.nmea.Stats of main.py's `app`, run by vboot.py), or None before
    the controller started (or without one: service mode)."""
    g = getattr(sys.modules.get("vboot"), "main_globals", None)
    ctl = getattr(g.get("app") if g else None, "ctl", None)
    return getattr(getattr(ctl, "parser", None), "stats", None)


class _Inputs:
    """The inputs script, read as time passes (rows in chronological order): the level of each input named so
    far. Times: GPS UTC (ISO, ms resolution) or +S virtual seconds from boot. Constant memory, however long."""

    def __init__(self, path):
        self.levels = {}
        self.f = open(path) if path else None  # noqa: SIM115 (open for the whole run)
        self.row = None  # the next row: (kind 0 utc / 1 boot, ms, name, value)
        self._next()

    def _next(self):
        self.row = None
        while self.f is not None:
            ln = self.f.readline()
            if not ln:
                self.f.close()
                self.f = None
                return
            ln = ln.strip()
            if not ln or ln[0] == "#" or ln.startswith("utc,"):
                continue
            when, name, value = ln.split(",")
            when = when.strip()
            if when[0] == "+":
                self.row = (1, int(float(when[1:]) * 1000), name.strip(), int(value))
            else:
                ms = int(when[20:23]) if len(when) > 23 and when[19] == "." else 0
                self.row = (0, _parse_iso(when) * 1000 + ms, name.strip(), int(value))
            return

    def level(self, name, utc_ms, now_ms):
        r = self.row
        while r is not None and ((r[0] == 1 and r[1] <= now_ms) or (r[0] == 0 and utc_ms >= 0 and r[1] <= utc_ms)):
            self.levels[r[2]] = r[3]
            self._next()
            r = self.row
        return self.levels.get(name)


_board = _Board()
