"""Fake `machine` for the virtual board (MicroPython unix port; shadows the built-in on MICROPYPATH).

Hardware runs on the virtual clock of host_tools/vboard/fake_machine/time.py. Configuration, environment variables:
  VBOARD_TRACK    NMEA file the UART plays (read line by line, never whole). Epochs (lines up to the next
                  RMC/GGA/ZDA with another time field) are released into the receive buffer one per
                  virtual second from boot; VBOARD_PACE=track releases them at the track's own times
                  (a gap over 600 s or a step back counts as 1 s). Bytes beyond rxbuf are dropped, counted.
  VBOARD_CAPTURE  binary capture of the display buses (format below); none if unset.
  VBOARD_INPUTS   CSV "utc,input,value": an input pin named `input` reads `value` from `utc` on (ISO
                  2026-11-23T09:30:00.250Z on the track's GPS clock, or +S virtual seconds from boot), rows in
                  time order (read as time passes: any length).
  VBOARD_PINS     constant input levels, "name=0,other=1" (default level of every input: 0).
  VBOARD_END      seconds to run on after the track is exhausted, then the run ends with SystemExit(0)
                  (default 10; -1: never). Without a track, VBOARD_END is seconds from boot.
  VBOARD_MEM_S    virtual seconds between heap samples (gc.collect(); gc.mem_alloc()), default 60.
  VBOARD_I2C_DEVS I2C addresses that answer, hex, comma separated (default 3c).
  VBOARD_BAUD     the GPS UART's baud rate when set (overrides the board file's), e.g. 115200.
  VBOARD_AUDIO    WAV file (16-bit mono at the I2S rate) of every sample the firmware wrote to I2S, in order; the
                  gaps between announcements are left out (their start times: "A" capture records)
  VBOARD_I2S_RING where the I2S driver's buffer of ibuf bytes lives: "heap" (default: the RP2040's, extmod's ring
                  buffer in MicroPython's heap, the firmware's) or "dma" (the ESP32's: DMA buffers from ESP-IDF's
                  heap, outside MicroPython's)
  VBOARD_I2S_IBUF the I2S driver's buffer in bytes when set (overrides the board file's ibuf, as VBOARD_BAUD its baud
                  rate): another board's (boards/rp2040/board.py _I2S_IBUF) on the virtual board
  VBOARD_I2S_REFILL_US virtual us a write to I2S costs the loop (the decoding of the buffer written on a board;
                  default 0: see BENCH.md for the unix port's figure)
  VBOARD_FLASH_MS virtual ms a flash erase holds the CPU with interrupts off (default 45: W25Q16JV sector
                  erase, typical; 400 worst case). A file's flush or close after writes is a littlefs commit
                  (vboot.py): a small (inline) file's costs a page program (1 ms) and every 32nd an erase too
                  (its metadata log compacts); a bigger file's an erase + 1 ms.

As strict as the rp2 port (measured there, issue 19), in virtual time:
  UART   bytes arrive at the baud rate (10 bits a character), an epoch back to back from its release; a
         read that asks for more than is there waits `timeout` for the first byte and timeout_char (at least
         2 ms, as the rp2 port sets it) for each next one, busy: the wait costs virtual time. While the
         flash is busy only the 32-byte receive FIFO takes bytes; the rest are lost (rx_lost_flash in the
         main loop, rx_lost_boot before its first sleep).
  I2C    a transaction costs 9 clocks a byte (address byte included) + 1 at `freq`; writevto() of more
         than one buffer allocates their joined copy, as the port's transfer adaptor does (MemoryError under
         heap_lock()), counted in i2c_alloc_bytes.
  flash  files opened for writing (the firmware's state file and journey log) cost VBOARD_FLASH_MS per
         flush()/close() (vboot.py puts the flash open() in place).
The longest stretch of virtual time between two of the firmware's own sleeps (the longest main-loop pass)
and the longest and shortest gaps between reads of the first input pin read are in the summary line.
At the end one line "vboard: key=value ..." (heap samples, watchdog, buses) is printed, after a line
"vboard: audio ..." (the I2S output) and a line "vboard: nmea ..." (lines the GPS sent; the firmware parser's
counts: sentences, fixes). A watchdog starved past its timeout prints "vboard: WDT reset ..." and ends the run
with SystemExit(3), as the real one resets the board; machine.reset() ends it with SystemExit(4).

Capture file: b"VBCAP1\\n", then records: kind u8, chan u8, ms u32, len u16 (little-endian), len bytes.
  I  I2C write transaction (writeto; writevto's buffers joined), chan = address
  S  SPI transaction: bytes written while a chip-select pin (an output pin whose name ends in "cs") is low
  R  repeat: a transaction of 32 bytes or more identical to one of the last 32 such (SHA-256) is written
     as R, same chan, data = u32 file offset of the original record; one identical to the previous on
     its channel (I2C address; SPI first byte) is not written at all (it would not change the chip)
  T  time sync: data = u32 GPS UTC seconds since 1970 of the epoch released at ms (every 60 epochs)
  P  output pin level: data = level u8 + pin name
  A  I2S output opened (chan 1: data = u32 sample rate) or closed (chan 0: data = u32 samples written)
  W  watchdog reset (data: u32 gap ms); E end of the run
"""

import gc
import os
import struct
import sys
import time as _t

try:
    import hashlib
except ImportError:  # a build without hashlib: no repeat detection
    hashlib = None

_FIFO = 32  # bytes: the RP2040's PL011 receive FIFO
_TC_MIN_MS = 2  # the rp2 port raises timeout_char to at least this
_WIRE = 4096  # bytes on the wire not yet received (> 3 s at 9,600 baud): a ring, allocated once
_HDR = "<BBIH"
_HDR_LEN = 8
_REPEAT_MIN = 32
_CACHE = 32

PWRON_RESET = 1
HARD_RESET = 2
WDT_RESET = 3
DEEPSLEEP_RESET = 4
SOFT_RESET = 5


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


def _nmea_ok(line):
    """The line's checksum is right."""
    star = line.find(b"*")
    if star < 1 or line[0] != 36:
        return False
    x = 0
    for i in range(1, star):
        x ^= line[i]
    try:
        return int(line[star + 1:star + 3], 16) == x
    except ValueError:
        return False


class _Capture:
    """The capture file writer (see the module docstring)."""

    def __init__(self, path):
        self.f = open(path, "wb")  # noqa: SIM115 (open for the whole run)
        self.f.write(b"VBCAP1\n")
        self.pos = 7
        self.hdr = bytearray(_HDR_LEN)
        # SHA-256 prefixes of the last _CACHE long transactions; allocated now, so the heap stays flat
        self.digests = [bytes(8) for _ in range(_CACHE)]
        self.offsets = [-1] * _CACHE
        self.next = 0
        self.last = {}  # chan key -> digest of the previous long transaction there
        self.records = 0
        self.repeats = 0
        self.skipped = 0

    def record(self, kind, chan, data, extra=None):
        """Write one record: data (bytes-like), or the buffers of a list when extra is that list."""
        n = len(data) if extra is None else sum(len(b) for b in extra)
        struct.pack_into(_HDR, self.hdr, 0, kind, chan, _t.now_ms() & 0xFFFFFFFF, n)
        self.f.write(self.hdr)
        if extra is None:
            self.f.write(data)
        else:
            for b in extra:
                self.f.write(b)
        self.pos += _HDR_LEN + n
        self.records += 1

    def transaction(self, kind, chan, key, bufs):
        """A bus transaction made of the buffers in bufs (a list)."""
        n = 0
        for b in bufs:
            n += len(b)
        if n < _REPEAT_MIN or hashlib is None:
            self.record(kind, chan, None, bufs)
            if key in self.last:  # a command (e.g. a page address) between two equal frames: not a repeat
                del self.last[key]
            return
        h = hashlib.sha256()
        for b in bufs:
            h.update(b)
        d = h.digest()[:8]
        if self.last.get(key) == d:
            self.skipped += 1
            return
        self.last[key] = d
        digests = self.digests
        for i in range(_CACHE):
            if digests[i] == d and self.offsets[i] >= 0:
                self.last[key] = digests[i]  # the ring's own object: no 33rd digest kept alive
                self.record(ord("R"), chan, struct.pack("<I", self.offsets[i]))
                self.repeats += 1
                return
        i = self.next
        self.next = (i + 1) % _CACHE
        digests[i] = d
        self.offsets[i] = self.pos
        self.record(kind, chan, None, bufs)

    def close(self):
        if self.f is not None:
            self.f.close()
            self.f = None


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


class _Track:
    """An NMEA file read one epoch at a time."""

    def __init__(self, path, pace_track):
        self.f = open(path, "rb")  # noqa: SIM115 (open for the whole run)
        self.pace_track = pace_track
        self.pending = None  # first line of the next epoch
        self.key = None  # its time field
        self.eof = False
        self.t0_s = -1  # track time (s of day) of the first epoch, pace=track
        self.prev_s = -1
        self.base_ms = 0
        self.epochs = 0
        self.day_s = -1  # GPS date (seconds since 1970 at 00:00) from the last RMC with a good checksum
        self.sod = -1  # second of the day of the epoch being released
        self._lead = []
        line = self.f.readline()
        while line:
            k = self._key(line)
            if k is not None:
                self.pending, self.key = line, k
                break
            self._lead.append(line)  # lines before the first epoch go out with it
            line = self.f.readline()
        if self.pending is None:
            self.eof = True

    @staticmethod
    def _key(line):
        """The time field of an RMC/GGA/ZDA line (6 digits at least), or None."""
        if len(line) < 14 or line[0] != 36 or line[6] != 44:
            return None
        a, b, c = line[3], line[4], line[5]
        if not ((a == 82 and b == 77 and c == 67) or (a == 71 and b == 71 and c == 65)
                or (a == 90 and b == 68 and c == 65)):
            return None
        end = line.find(b",", 7)
        if end < 13:
            return None
        k = line[7:end]
        for i in range(6):
            if not 48 <= k[i] <= 57:
                return None
        return k

    def due_ms(self):
        """Virtual ms at which the pending epoch is released."""
        if not self.pace_track:
            return self.epochs * 1000
        k = self.key
        s = int(k[0:2]) * 3600 + int(k[2:4]) * 60 + int(k[4:6])
        if self.t0_s < 0:
            self.t0_s = s
            self.prev_s = s
        d = s - self.prev_s
        if d < -43200:
            d += 86400  # midnight
        if d < 0 or d > 600:
            d = 1
        return self.base_ms + 1000 * d

    def release(self, sink):
        """Hand the pending epoch's lines to sink(line); read up to the next epoch."""
        k = self.key
        s = int(k[0:2]) * 3600 + int(k[2:4]) * 60 + int(k[4:6])
        if self.pace_track:
            self.base_ms = self.due_ms()
            self.prev_s = s
        if self.sod >= 0 and s < self.sod - 43200 and self.day_s >= 0:
            self.day_s += 86400
        self.sod = s
        for ln in self._lead:
            sink(ln)
        self._lead = []
        line = self.pending
        while True:
            if self.day_s < 0 or (self.epochs % 60 == 0):
                self._date(line)
            sink(line)
            line = self.f.readline()
            if not line:
                self.eof = True
                self.pending = None
                break
            k2 = self._key(line)
            if k2 is not None and k2 != k:
                self.pending, self.key = line, k2
                break
        self.epochs += 1

    def _date(self, line):
        """GPS date from an RMC line (field 9, ddmmyy) with a good checksum."""
        if len(line) < 20 or line[3] != 82 or line[4] != 77 or not _nmea_ok(line):
            return
        f = line.split(b",")
        if len(f) > 9 and len(f[9]) == 6:
            try:
                d = f[9]
                self.day_s = _days(2000 + int(d[4:6]), int(d[2:4]), int(d[0:2])) * 86400
            except ValueError:
                pass


class UART:
    """UART(id, baudrate=9600, tx=, rx=, rxbuf=, timeout=, timeout_char=): receives the VBOARD_TRACK epochs in
    virtual time, at the baud rate, with the rp2 port's read timeouts (module docstring); writes are counted
    and dropped."""

    INV_TX = 1
    INV_RX = 2

    def __init__(self, id, baudrate=9600, bits=8, parity=None, stop=1, tx=None, rx=None, rxbuf=256, timeout=0,
                 timeout_char=0, **kwargs):
        self.id = id
        self.baudrate = _env_int("VBOARD_BAUD", baudrate)
        self.char_us = 10000000 // self.baudrate  # start + 8 data + stop bits
        self.timeout_ms = timeout
        self.timeout_char_ms = timeout_char if timeout_char > _TC_MIN_MS else _TC_MIN_MS
        self.rx = bytearray(max(rxbuf, 64))
        self.rd = 0
        self.wr = 0
        self.dropped = 0
        self.rx_total = 0
        self.lines = 0  # lines the GPS sent (each _send)
        self.tx_total = 0
        self.epochs = 0
        self.lost_flash = 0  # bytes lost to flash writes in the main loop
        self.lost_boot = 0  # ... before it (boot)
        self.wait_us = 0  # virtual time spent waiting inside reads
        self.wire = bytearray(_WIRE)  # bytes sent by the GPS, not received yet (a ring; counters below)
        self.w_rd = 0  # counter of the next byte to arrive
        self.w_wr = 0  # counter after the last byte sent
        self.w_base = 0  # counter of the byte that arrives at w_t0_us; the ones after it every char_us
        self.w_t0_us = 0
        self._rel_us = 0  # release time of the epoch being sent
        self.next_ms = -1
        self.t0_ms = _t.now_ms()
        self.track = None
        path = os.getenv("VBOARD_TRACK")
        if path:
            self.track = _Track(path, os.getenv("VBOARD_PACE") == "track")
            if self.track.eof:
                _board.track_done(_t.now_ms())
            else:
                self.next_ms = self.t0_ms + self.track.due_ms()
            _board.uart = self

    def init(self, *args, **kwargs):
        pass

    def deinit(self):
        pass

    def _send(self, line):
        """The GPS sends line at release time self._rel_us: after the bytes still on the wire, or from then."""
        n = len(line)
        if self.w_rd == self.w_wr:  # the wire is idle: this line starts now
            self.w_base = self.w_wr
            self.w_t0_us = self._rel_us + self.char_us
        free = _WIRE - (self.w_wr - self.w_rd)
        if n > free:
            self.dropped += n - free  # the GPS outruns the baud rate by 8 KiB: never with a real track
            n = free
        w = self.wire
        o = self.w_wr % _WIRE
        k = n if o + n <= _WIRE else _WIRE - o
        w[o:o + k] = line[:k]
        if k < n:
            w[0:n - k] = line[k:n]
        self.w_wr += n
        self.rx_total += n
        self.lines += 1

    def _arrived(self, now_us):
        """Bytes on the wire that have arrived by now_us."""
        if self.w_rd == self.w_wr or now_us < self.w_t0_us:
            return 0
        k = (now_us - self.w_t0_us) // self.char_us + 1 - (self.w_rd - self.w_base)
        if k < 0:
            return 0
        m = self.w_wr - self.w_rd
        return k if k < m else m

    def _take(self, k, keep=True):
        """k bytes off the wire into the receive buffer (keep), or lost."""
        if not keep:
            self.w_rd += k
            return
        rx = self.rx
        while k > 0:
            o = self.w_rd % _WIRE
            n = k if o + k <= _WIRE else _WIRE - o
            if self.wr + n > len(rx):
                if self.rd:
                    m = self.wr - self.rd
                    rx[0:m] = rx[self.rd:self.wr]
                    self.rd, self.wr = 0, m
                if self.wr + n > len(rx):  # the receive buffer is full: these bytes are dropped
                    room = len(rx) - self.wr
                    self.dropped += n - room
                    rx[self.wr:self.wr + room] = self.wire[o:o + room]
                    self.wr += room
                    self.w_rd += n
                    k -= n
                    continue
            rx[self.wr:self.wr + n] = self.wire[o:o + n]
            self.wr += n
            self.w_rd += n
            k -= n

    def _arrive(self):
        self._pump()
        k = self._arrived(_t.now_us())
        if k:
            self._take(k)

    def _next_us(self):
        """When the next byte arrives (-1: nothing on the wire and no epoch due)."""
        if self.w_rd < self.w_wr:
            return self.w_t0_us + (self.w_rd - self.w_base) * self.char_us
        if self.next_ms >= 0:
            return 1000 * self.next_ms + self.char_us
        return -1

    def _irq_off(self, ms):
        """The flash is busy for ms (interrupts off): arriving bytes fill the FIFO, the rest are lost."""
        self._arrive()
        fifo = 0
        for _ in range(ms):
            _t.advance_us(1000)  # the clock's hook releases epochs due meanwhile
            self._pump()
            k = self._arrived(_t.now_us())
            if k:
                take = k if k < _FIFO - fifo else _FIFO - fifo
                self._take(take)
                fifo += take
                if k > take:
                    self._take(k - take, False)
                    if _t.booted():
                        self.lost_flash += k - take
                    else:  # boot (a fresh board creates its journey log: 16 KiB)
                        self.lost_boot += k - take
                    if _board.lost_at_ms < 0:
                        _board.lost_at_ms = _t.now_ms()

    def _pump(self):
        tr = self.track
        if tr is None or self.next_ms < 0:
            return
        now = _t.now_ms()
        b = _board
        while self.next_ms >= 0 and now >= self.next_ms:
            self._rel_us = 1000 * self.next_ms
            tr.release(self._send)
            self.epochs += 1
            if tr.day_s >= 0 and tr.sod >= 0:
                b.utc_s = tr.day_s + tr.sod
                b.utc_ms = self.next_ms
                if tr.epochs % 60 == 1 and b.cap is not None:
                    b.cap.record(ord("T"), 0, struct.pack("<I", b.utc_s))
            if tr.eof:
                self.next_ms = -1
                b.track_done(now)
            else:
                self.next_ms = self.t0_ms + tr.due_ms()

    def any(self):
        self._arrive()
        return self.wr - self.rd

    def _wait_for(self, want):
        """The port's read loop: wait for up to `want` bytes in the receive buffer, `timeout` for the first and
        timeout_char for each next one, busy (virtual time passes); returns how many are there."""
        self._arrive()
        have = self.wr - self.rd
        if have >= want:
            return want
        deadline = _t.now_us() + 1000 * (self.timeout_ms if have == 0 else self.timeout_char_ms)
        while have < want:
            t = self._next_us()
            now = _t.now_us()
            if t < 0 or t > deadline:
                if deadline > now:
                    self.wait_us += deadline - now
                    _t.advance_us(deadline - now)
                break
            if t > now:
                self.wait_us += t - now
                _t.advance_us(t - now)
            self._arrive()
            if self.wr - self.rd > have:
                have = self.wr - self.rd
                deadline = _t.now_us() + 1000 * self.timeout_char_ms
        return have if have < want else want

    def readinto(self, buf, nbytes=-1):
        want = len(buf) if nbytes < 0 or nbytes > len(buf) else nbytes
        n = self._wait_for(want)
        if not n:
            return None
        buf[0:n] = self.rx[self.rd:self.rd + n]
        self.rd += n
        if self.rd == self.wr:
            self.rd = self.wr = 0
        return n

    def read(self, nbytes=-1):
        n = self._wait_for(len(self.rx) if nbytes < 0 else nbytes)
        if not n:
            return None
        out = bytes(self.rx[self.rd:self.rd + n])
        self.rd += n
        if self.rd == self.wr:
            self.rd = self.wr = 0
        return out

    def readline(self):
        self._arrive()
        i = self.rx.find(b"\n", self.rd, self.wr) if hasattr(self.rx, "find") else -1
        if i < 0:
            return self.read(self.wr - self.rd) if self.wr > self.rd else None
        return self.read(i + 1 - self.rd)

    def write(self, buf):
        self.tx_total += len(buf)
        return len(buf)

    def txdone(self):
        return True

    def flush(self):
        pass


class Pin:
    """Pin(id, mode, pull, value=): outputs keep their level (records 'P' in the capture; names ending in
    "cs" select the SPI buses instead); inputs read VBOARD_INPUTS / VBOARD_PINS by name (str(id))."""

    IN = 0
    OUT = 1
    OPEN_DRAIN = 2
    ALT = 3
    PULL_UP = 1
    PULL_DOWN = 2
    IRQ_FALLING = 4
    IRQ_RISING = 8

    def __init__(self, id, mode=-1, pull=-1, value=None, **kwargs):
        self.id = id
        self.name = str(id)
        self.mode = mode
        self.pull = pull
        self.level = 0
        self.cs = self.name.endswith("cs")
        self.handler = None
        if value is not None:
            self._set(value)

    def init(self, mode=-1, pull=-1, value=None, **kwargs):
        if mode != -1:
            self.mode = mode
        if pull != -1:
            self.pull = pull
        if value is not None:
            self._set(value)

    def __call__(self, value=None):
        if value is None:
            if self.mode == Pin.OUT:
                return self.level
            _board.pin_read(self)
            return _board.input_level(self.name)
        self._set(value)
        return None

    def value(self, value=None):
        return self(value)

    def on(self):
        self._set(1)

    def off(self):
        self._set(0)

    def low(self):
        self._set(0)

    def high(self):
        self._set(1)

    def toggle(self):
        self._set(1 - self.level)

    def irq(self, handler=None, trigger=IRQ_FALLING | IRQ_RISING, **kwargs):
        self.handler = handler  # kept, never called: scripted inputs are polled
        return None

    def _set(self, v):
        v = 1 if v else 0
        if v == self.level and self.mode == Pin.OUT:
            return
        self.level = v
        if self.cs:
            for s in _board.spis:
                s._select(v == 0)
        elif _board.cap is not None and self.mode == Pin.OUT:
            _board.cap.record(ord("P"), 0, bytes((v,)) + self.name.encode())


class I2C:
    """I2C(id, sda=, scl=, freq=): every write transaction goes to the capture; addresses in VBOARD_I2C_DEVS
    answer, others raise OSError(ENODEV) like a NACK."""

    def __init__(self, id=0, sda=None, scl=None, freq=400000, **kwargs):
        self.id = id
        self.freq = freq
        self.devices = [int(a, 16) for a in (os.getenv("VBOARD_I2C_DEVS") or "3c").split(",") if a]
        self._v = [None]

    def init(self, *args, **kwargs):
        pass

    def scan(self):
        return list(self.devices)

    def _check(self, addr):
        if addr not in self.devices:
            raise OSError(19)  # ENODEV, as MicroPython reports an address NACK

    def _cost(self, n):
        """n bytes after the address byte: 9 clocks each (8 bits + ACK), start and stop ~1 more."""
        us = ((n + 1) * 9 + 1) * 1000000 // self.freq
        _board.i2c_bytes += n + 1
        _board.i2c_us += us
        _t.advance_us(us)

    def writeto(self, addr, buf, stop=True):
        self._check(addr)
        _board.i2c_tx += 1
        if _board.cap is not None:
            self._v[0] = buf
            _board.cap.transaction(ord("I"), addr, addr, self._v)
        self._cost(len(buf))
        return len(buf) + 1

    def writevto(self, addr, vector, stop=True):
        self._check(addr)
        n = 0
        for b in vector:
            n += len(b)
        if len(vector) > 1:  # the port's transfer adaptor joins the buffers in a heap copy
            joined = bytearray(n)
            _board.i2c_alloc += len(joined)
        _board.i2c_tx += 1
        if _board.cap is not None:
            _board.cap.transaction(ord("I"), addr, addr, vector)
        self._cost(n)
        return n + 1

    def readfrom(self, addr, nbytes, stop=True):
        self._check(addr)
        return bytes(nbytes)

    def readfrom_into(self, addr, buf, stop=True):
        self._check(addr)
        for i in range(len(buf)):
            buf[i] = 0

    def writeto_mem(self, addr, memaddr, buf, addrsize=8):
        return self.writevto(addr, [bytes((memaddr & 0xFF,)), buf])

    def readfrom_mem(self, addr, memaddr, nbytes, addrsize=8):
        return self.readfrom(addr, nbytes)

    def readfrom_mem_into(self, addr, memaddr, buf, addrsize=8):
        self.readfrom_into(addr, buf)


class SoftI2C(I2C):
    pass


class SPI:
    """SPI(id, baudrate=, polarity=, phase=, sck=, mosi=, miso=): bytes written while a chip-select pin is
    low form one transaction in the capture (chan = id); reads return zeros."""

    MSB = 0
    LSB = 1

    def __init__(self, id=0, baudrate=1000000, polarity=0, phase=0, bits=8, firstbit=0, sck=None, mosi=None,
                 miso=None, **kwargs):
        self.id = id if isinstance(id, int) else 0
        self.baudrate = baudrate
        self.open = False
        self.parts = []
        _board.spis.append(self)

    def init(self, *args, **kwargs):
        pass

    def deinit(self):
        pass

    def _select(self, low):
        if low:
            self.open = True
            self.parts = []
            return
        if not self.open:
            return
        self.open = False
        if self.parts:
            _board.spi_tx += 1
            if _board.cap is not None:
                p = self.parts
                _board.cap.transaction(ord("S"), self.id & 0xFF, 256 + p[0][0] if len(p[0]) else 256, p)
            self.parts = []

    def write(self, buf):
        if self.open:
            self.parts.append(bytes(buf))
        return None

    def read(self, nbytes, write=0):
        return bytes(nbytes)

    def readinto(self, buf, write=0):
        for i in range(len(buf)):
            buf[i] = 0

    def write_readinto(self, write_buf, read_buf):
        self.write(write_buf)
        self.readinto(read_buf)


class SoftSPI(SPI):
    pass


class WDT:
    """WDT(id=0, timeout=5000): feed() records the longest gap between feeds (virtual ms); a gap past the
    timeout ends the run (see the module docstring)."""

    def __init__(self, id=0, timeout=5000):
        self.timeout_ms = timeout
        self.last_ms = _t.now_ms()
        self.max_gap_ms = 0
        self.feeds = 0
        _board.wdt = self

    def feed(self):
        if self.feeds == 0 and os.getenv("VBOARD_QSTR"):  # the interned names right after boot (vboot.py)
            import micropython

            micropython.qstr_info()
            print("vboard: modules " + " ".join(sorted(sys.modules)))
        now = _t.now_ms()
        gap = now - self.last_ms
        if gap > self.max_gap_ms:
            self.max_gap_ms = gap
        self.last_ms = now
        self.feeds += 1


class Timer:
    """Timer(id, mode=, period=, callback=): a PERIODIC timer with a callback runs it every `period` real ms on
    a thread of its own (the unix port has no timer interrupt; `make deploy`'s lease feeder needs one to run
    while the REPL waits for the host). machine.reset() raised in the callback resets the virtual board (the
    interpreter ends itself with SIGKILL; ptyboard restarts it, main.py runs), as a reset from a board's timer
    interrupt does. Its watchdog does not outlive a soft reset (a board's does)."""

    ONE_SHOT = 0
    PERIODIC = 1

    def __init__(self, id=-1, mode=1, period=-1, callback=None, freq=-1):
        self.init(mode, period, callback, freq)

    def init(self, mode=1, period=-1, callback=None, freq=-1):
        self.mode = mode
        self.period = period
        self.callback = callback
        if callback is not None and mode == 1 and period > 0:
            try:
                import _thread
            except ImportError:  # a build without threads: kept, not run
                return
            _thread.start_new_thread(self._run, ())

    def _run(self):
        import utime  # the real clock: this timer counts real time, not the firmware's virtual time

        while self.callback is not None:
            utime.sleep_ms(self.period)
            cb = self.callback
            if cb is None:
                break
            try:
                cb(self)
            except SystemExit:  # machine.reset() from the callback: the whole interpreter goes
                os.system("kill -9 $PPID")

    def deinit(self):
        self.callback = None


_freq = 240000000


def freq(hz=None):
    global _freq
    if hz is None:
        return _freq
    _freq = hz
    return None


def reset():
    print("vboard: machine.reset()")
    _board.finish("reset")
    raise SystemExit(4)


def soft_reset():
    reset()


def reset_cause():
    return PWRON_RESET


def unique_id():
    return b"vboard"


def idle():
    _t.sleep_ms(1)


def lightsleep(ms=0):
    _t.sleep_ms(ms)


def deepsleep(ms=0):
    _t.sleep_ms(ms)
    reset()


def disable_irq():
    return 0


def enable_irq(state=0):
    pass


def time_pulse_us(pin, level, timeout_us=1000000):
    return -1


class I2S:
    """machine.I2S, transmit, 16-bit mono: a ring of ibuf bytes that drains at the sample rate in virtual time.
    Non-blocking once irq() has a handler: write() hands over the buffer and returns at once; the handler runs
    (from the clock's hook, as the port schedules it) once the ring has taken all of it; a write before that
    raises OSError, as the buffer is still the driver's. Every sample goes to VBOARD_AUDIO."""

    TX = 0
    RX = 1
    MONO = 0
    STEREO = 1

    def __init__(self, id, sck=None, ws=None, sd=None, mode=0, bits=16, format=0, rate=16000, ibuf=8192):
        if mode != I2S.TX or bits != 16 or format != I2S.MONO:
            raise ValueError("the virtual board plays 16-bit mono TX only")
        self.rate = rate
        ibuf = _env_int("VBOARD_I2S_IBUF", ibuf)
        # the rp2 port's ring buffer is in the firmware's heap (MICROPY_PY_MACHINE_I2S_RING_BUF); the esp32 port's
        # DMA buffers are not (ESP-IDF's heap)
        self.ring = bytearray(ibuf) if os.getenv("VBOARD_I2S_RING", "heap") == "heap" else None
        self.ibuf = ibuf
        self.fill = 0  # bytes in the ring
        self.pending = 0  # bytes of the last write not in the ring yet
        self.handler = None
        self.t_ms = _t.now_ms()
        self.dry_ms = -1  # since when the ring is empty while open, -1 not empty
        self.refill_us = _env_int("VBOARD_I2S_REFILL_US", 0)
        b = _board
        b.i2s = self
        b.i2s_opens += 1
        self.written = 0
        if b.cap is not None:
            b.cap.record(ord("A"), 1, struct.pack("<I", rate))

    def irq(self, handler):
        self.handler = handler

    def _drain(self, now_ms):
        dt = now_ms - self.t_ms
        if dt <= 0 and not self.pending:
            return
        self.t_ms = now_ms
        used = dt * 2 * self.rate // 1000
        if used >= self.fill:
            if self.fill and self.dry_ms < 0:
                self.dry_ms = now_ms  # approximately: when the last sample left
            self.fill = 0
        else:
            self.fill -= used
        if self.pending:
            take = min(self.ibuf - self.fill, self.pending)
            self.fill += take
            self.pending -= take
            if self.fill > _board.i2s_max_ring:
                _board.i2s_max_ring = self.fill
            if self.pending == 0 and self.handler is not None:
                self.handler(self)

    def write(self, buf):
        if self.pending:
            raise OSError(11)  # EAGAIN: the driver still has the last buffer
        # bytes: the buffer's length in bytes, as the port takes it (buffer protocol); MicroPython's array has no
        # itemsize to ask, and the only array the firmware writes is of 16-bit samples (array 'h')
        # (no isinstance() with a tuple: building it allocates, and a port's write allocates nothing)
        t = type(buf)
        n = len(buf) if t is bytes or t is bytearray or t is memoryview else 2 * len(buf)
        b = _board
        if self.dry_ms >= 0:
            if self.written:
                b.i2s_underrun_ms += _t.now_ms() - self.dry_ms
            self.dry_ms = -1
        if b.audio is not None:
            b.audio.write(buf)
        b.i2s_samples += n // 2
        self.written += n // 2
        self.pending = n
        if self.refill_us:
            _t.advance_us(self.refill_us)
        self._drain(_t.now_ms())
        return n

    def deinit(self):
        b = _board
        if b.cap is not None:
            b.cap.record(ord("A"), 0, struct.pack("<I", self.written))
        if b.i2s is self:
            b.i2s = None
        self.ring = None
        self.handler = None


def _board_owned(cls):
    """The fake device's own state counts as the virtual board's share (on a board these are C objects of a
    few dozen bytes, or static ones for pins); a UART's receive buffer, which the firmware sizes, counts as the
    firmware's."""
    init = cls.__init__

    def counted(self, *args, **kwargs):
        gc.collect()
        a0 = gc.mem_alloc()
        init(self, *args, **kwargs)
        gc.collect()
        _board.bytes += gc.mem_alloc() - a0 - len(getattr(self, "rx", b""))

    cls.__init__ = counted


for _cls in (UART, Pin, I2C, SPI, WDT):
    _board_owned(_cls)
del _cls


def note_bytes(n, late=False):
    """Count n more heap bytes as the virtual board's own (vboot.py counts what precedes main.py; late: a fake
    object made while the firmware runs, left out of the heap samples too)."""
    _board.bytes += n
    if late:
        _board.late_bytes += n


def board_bytes():
    """The heap bytes counted as the virtual board's own so far."""
    return _board.bytes


def flash_busy(inline):
    """One littlefs commit (vboot.py's flash files call it): see the module docstring."""
    _board.flash_busy(inline)


def board_summary():
    """The board's counters now (used by tests run inside the interpreter)."""
    return _board


def _flush_on_exit():
    cap = _board.cap
    if cap is not None:
        cap.close()


if hasattr(sys, "atexit"):
    sys.atexit(_flush_on_exit)
