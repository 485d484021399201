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
import sys
import time as _t

from vb_board import _board
from vb_buses import I2C, SPI, SoftI2C, SoftSPI
from vb_i2s import I2S
from vb_pin import Pin
from vb_timers import WDT, Timer
from vb_uart import UART

__all__ = ["I2C", "I2S", "SPI", "UART", "WDT", "Pin", "SoftI2C", "SoftSPI", "Timer"]  # the devices, re-exported

PWRON_RESET = 1
HARD_RESET = 2
WDT_RESET = 3
DEEPSLEEP_RESET = 4
SOFT_RESET = 5


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
