"""Virtual board: the MicroPython unix port with host_tools/vboard (fake `machine`, virtual `time`) on
MICROPYPATH. Same shape as boards/esp32/board.py; pins are named, not numbered (the fake machine plays
inputs by name). Environment: VBOARD_DISPLAY oled|ticker (default oled), VBOARD_RATE sim|real (default
sim), VBOARD_STATE (state file, default state.bin in the working directory); the fake machine's own
variables are in host_tools/vboard/fake_machine/machine.py.
"""

import gc
import os
import sys

from micropython import const

gc.collect()
_A0 = gc.mem_alloc()
from machine import I2C, I2S, SPI, UART, WDT, Pin  # noqa: E402

gc.collect()
import machine  # noqa: E402

machine.note_bytes(gc.mem_alloc() - _A0)  # the fake machine/time modules: built in on a real board

DISPLAY = os.getenv("VBOARD_DISPLAY") or "oled"
# Settings as private constants, as on the real boards (folded by the compiler: no name in RAM).
_GPS_BAUD = const(9600)
_GPS_RXBUF = const(2048)  # as the real boards: > 2 s of NMEA at 9600 baud
_WDT_MS = const(8000)
# Loop periods. "sim": 100 ms poll, 1 s display step, so a 24-hour journey (864000 passes, 86400 display
# steps) fast-forwards in about a minute; scrolling then moves in 32 px steps. "real": the firmware's
# own 10 ms / 40 ms, for short clips that show scrolling as passengers see it.
RATES = {"sim": (100, 1000), "real": (10, 40)}
_INPUTS = const(("door_A_left", "door_A_right", "door_B_left", "door_B_right", "gangway_A", "gangway_B",
          "beam_A_outer", "beam_A_inner", "beam_B_outer", "beam_B_inner", "wc_1", "wc_2"))


def _display():
    if DISPLAY == "ticker":
        from trainctl.max7219 import Max7219Chain

        spi = SPI(0, baudrate=10000000, polarity=0, phase=0, sck=Pin("spi_sck"), mosi=Pin("spi_mosi"))
        return Max7219Chain(spi, Pin("spi_cs", Pin.OUT, value=1), cols=8, rows=2)
    from trainctl.oled import Oled  # micropython-lib's ssd1306 driver, sending changed pages only

    return Oled(128, 64, I2C(0, sda=Pin("i2c_sda"), scl=Pin("i2c_scl"), freq=400000))



def build():
    from trainctl.hw import Hardware, optional_display

    poll_ms, frame_ms = RATES[os.getenv("VBOARD_RATE") or "sim"]
    uart = UART(1, baudrate=_GPS_BAUD, rx="gps_rx", tx="gps_tx", rxbuf=_GPS_RXBUF, timeout=0)
    display = optional_display(_display)
    inputs = {}
    for name in _INPUTS:
        inputs[name] = Pin(name, Pin.IN, Pin.PULL_UP)
    return Hardware("virtual", uart, display, WDT(timeout=_WDT_MS), os.getenv("VBOARD_STATE") or "state.bin",
                    inputs, Pin("alarm", Pin.OUT, value=0), poll_ms=poll_ms, frame_ms=frame_ms,
                    jlog_path=os.getenv("VBOARD_JLOG") or "jlog.bin",
                    config_path=os.getenv("VBOARD_CONFIG") or "config.json",
                    audio=(lambda: I2S(0, sck=Pin("i2s_sck"), ws=Pin("i2s_ws"), sd=Pin("i2s_sd"), mode=I2S.TX,
                                       bits=16, format=I2S.MONO, rate=16000, ibuf=8192), "voice.bin"),
                    console=sys.stdin)  # the pty's console (host_tools/vboard/ptyboard.py): `crew status` requests
