"""Raspberry Pi Pico (RP2040): the only file with pin numbers. Wiring: docs/boards.md.

build() creates the hardware, big buffers first, and returns a trainctl.hw.Hardware. The Pico has no
radio (a Pico W's stays off: nothing here starts it).
"""

import sys

from machine import I2C, I2S, SPI, UART, WDT, Pin, Timer, reset_cause
from micropython import const

# Settings and pins as private constants (_NAME = const(...)): folded into the code by the compiler, so
# they cost no global and no interned name in RAM.
_DISPLAY = const("oled")  # "oled": SSD1306 128x64 on I2C; "ticker": 2 x 8 MAX7219 modules on SPI
_GPS_BAUD = const(9600)
_GPS_RXBUF = const(2048)  # bytes: > 2 s of NMEA at 9600 baud
_WDT_MS = const(8000)  # the RP2040's watchdog allows at most 8388 ms

_GPS_TX = const(0)  # UART0 on GP0/GP1
_GPS_RX = const(1)
_I2C_SDA = const(4)  # I2C0
_I2C_SCL = const(5)
_SPI_SCK = const(18)  # SPI0
_SPI_MOSI = const(19)
_SPI_CS = const(17)
INPUTS = {  # logical 1 = door open / beam broken / WC locked. Door contacts close to GND when shut; beam
    # receivers pull low while they see their emitter; WC lock switches close to GND when locked (inverted)
    "door_A_left": 6, "door_A_right": 7, "door_B_left": 8, "door_B_right": 9,
    "gangway_A": 10, "gangway_B": 11,
    "beam_A_outer": 12, "beam_A_inner": 13, "beam_B_outer": 14, "beam_B_inner": 15,
    "wc_1": 20, "wc_2": 21,
}
_ALARM = const(22)  # buzzer/lamp driver, active high
# Announcements: MAX98357A I2S amplifier (BCLK, LRC, DIN); the rp2 port wants WS on the pin after SCK.
_I2S_SCK = const(2)
_I2S_WS = const(3)
_I2S_SD = const(26)
_I2S_RATE = const(16000)  # the clips' rate (host_tools/build/voice.py RATE)
_I2S_IBUF = const(4096)  # the ring buffer, bytes (128 ms), in MicroPython's heap: allocated only while playing


def _keep_alive(wdt):
    """After Ctrl-C on the console (service): feed the watchdog every second until the next reset."""

    def keep():
        Timer(-1, mode=Timer.PERIODIC, period=1000, callback=lambda t: wdt.feed())  # a soft timer

    return keep


def _display():
    if _DISPLAY == "ticker":
        from trainctl.max7219 import Max7219Chain

        spi = SPI(0, baudrate=10000000, polarity=0, phase=0, sck=Pin(_SPI_SCK), mosi=Pin(_SPI_MOSI))
        return Max7219Chain(spi, Pin(_SPI_CS, Pin.OUT, value=1), cols=8, rows=2)
    from trainctl.oled import Oled  # micropython-lib's ssd1306 driver, sending changed pages only

    return Oled(128, 64, I2C(0, sda=Pin(_I2C_SDA), scl=Pin(_I2C_SCL), freq=400000))



def build():
    from trainctl.hw import Hardware, inverted, optional_display

    uart = UART(0, baudrate=_GPS_BAUD, tx=Pin(_GPS_TX), rx=Pin(_GPS_RX), rxbuf=_GPS_RXBUF, timeout=0)
    display = optional_display(_display)
    inputs = {}
    for name, gpio in INPUTS.items():
        pin = Pin(gpio, Pin.IN, Pin.PULL_UP)
        inputs[name] = inverted(pin) if name.startswith("wc_") else pin
    wdt = WDT(timeout=_WDT_MS)
    # The announcements: the I2S output (a MAX98357A, opened while they play: trainctl.voice) and the clip file.
    audio = (lambda: I2S(0, sck=Pin(_I2S_SCK), ws=Pin(_I2S_WS), sd=Pin(_I2S_SD), mode=I2S.TX, bits=16,
                         format=I2S.MONO, rate=_I2S_RATE, ibuf=_I2S_IBUF), "/voice.bin")
    return Hardware("rp2040", uart, display, wdt, "/state.bin", inputs, Pin(_ALARM, Pin.OUT, value=0),
                    keep_alive=_keep_alive(wdt), jlog_path="/jlog.bin", config_path="/config.json",
                    reset_cause=reset_cause(), audio=audio,
                    console=sys.stdin)  # USB console: `crew status` requests
