"""ESP32-DevKitC (ESP32-WROOM-32, no PSRAM): the only file with pin numbers. Wiring: docs/boards.md.

build() creates the hardware, big buffers first, and returns a trainctl.hw.Hardware. Wi-Fi and
Bluetooth are switched off; nothing here opens a network service.
"""

import sys

from machine import I2C, I2S, SPI, UART, WDT, Pin, Timer, reset_cause
from micropython import const

# Settings and pins as private constants (_NAME = const(...)): folded into the code by the compiler, so
# they cost no global and no interned name in RAM.
_DISPLAY = const("oled")  # "oled": SSD1306 128x64 on I2C; "ticker": 2 x 8 MAX7219 modules on SPI
_GPS_BAUD = const(9600)  # u-blox/Quectel default; 1 Hz RMC+GGA+GSA+GSV is ~600 bytes a second
_GPS_RXBUF = const(2048)  # bytes: > 2 s of NMEA at 9600 baud, so a slow frame or a flash write loses nothing
_WDT_MS = const(8000)

# GPIOs. 34-39 are inputs without internal pull-ups: the beam receivers need external 10 kOhm ones.
_GPS_RX = const(16)  # UART2
_GPS_TX = const(17)
_I2C_SDA = const(21)  # I2C0, 400 kHz
_I2C_SCL = const(22)
_SPI_SCK = const(18)  # VSPI
_SPI_MOSI = const(23)
_SPI_CS = const(5)
INPUTS = {  # logical 1 = door open / beam broken / WC locked. Door contacts close to GND when shut; beam
    # receivers pull low while they see their emitter; WC lock switches close to GND when locked (inverted)
    "door_A_left": 32, "door_A_right": 33, "door_B_left": 25, "door_B_right": 26,
    "gangway_A": 27, "gangway_B": 14,
    "beam_A_outer": 34, "beam_A_inner": 35, "beam_B_outer": 36, "beam_B_inner": 39,
    "wc_1": 13, "wc_2": 4,
}
_ALARM = const(19)  # buzzer/lamp driver, active high
# Announcements: MAX98357A I2S amplifier (BCLK, LRC, DIN). GPIO12 and 15 are strapping pins: the MAX98357A's
# inputs do not drive them, so their reset levels (12 low: 3.3 V flash; 15 high) stand.
_I2S_SCK = const(2)
_I2S_WS = const(15)
_I2S_SD = const(12)
_I2S_RATE = const(16000)  # the clips' rate (host_tools/build/voice.py RATE)
_I2S_IBUF = const(8192)  # DMA buffers, bytes (256 ms): from ESP-IDF's heap, not MicroPython's; only while playing


def _radios_off():
    try:
        import network

        for i in (network.STA_IF, network.AP_IF):
            network.WLAN(i).active(False)
    except (ImportError, OSError):
        pass
    try:
        import bluetooth

        bluetooth.BLE().active(False)
    except (ImportError, OSError):
        pass


def _keep_alive(wdt):
    """After Ctrl-C on the console (service): feed the watchdog every second until the next reset."""

    def keep():
        Timer(0, mode=Timer.PERIODIC, period=1000, callback=lambda t: wdt.feed())  # hardware timer 0

    return keep


def _display():
    if _DISPLAY == "ticker":
        from trainctl.max7219 import Max7219Chain

        spi = SPI(2, baudrate=10000000, polarity=0, phase=0, sck=Pin(_SPI_SCK), mosi=Pin(_SPI_MOSI))
        return Max7219Chain(spi, Pin(_SPI_CS, Pin.OUT, value=1), cols=8, rows=2)
    from trainctl.oled import Oled  # micropython-lib's ssd1306 driver, sending changed pages only

    return Oled(128, 64, I2C(0, sda=Pin(_I2C_SDA), scl=Pin(_I2C_SCL), freq=400000))



def build():
    from trainctl.hw import Hardware, inverted, optional_display

    _radios_off()
    uart = UART(2, baudrate=_GPS_BAUD, rx=_GPS_RX, tx=_GPS_TX, rxbuf=_GPS_RXBUF, timeout=0)
    display = optional_display(_display)
    inputs = {}
    for name, gpio in INPUTS.items():
        pin = Pin(gpio, Pin.IN) if gpio >= 34 else Pin(gpio, Pin.IN, Pin.PULL_UP)
        inputs[name] = inverted(pin) if name.startswith("wc_") else pin
    wdt = WDT(timeout=_WDT_MS)
    # The announcements: the I2S output (a MAX98357A, opened while they play: trainctl.voice) and the clip file.
    audio = (lambda: I2S(0, sck=Pin(_I2S_SCK), ws=Pin(_I2S_WS), sd=Pin(_I2S_SD), mode=I2S.TX, bits=16,
                         format=I2S.MONO, rate=_I2S_RATE, ibuf=_I2S_IBUF), "/voice.bin")
    return Hardware("esp32", uart, display, wdt, "/state.bin", inputs, Pin(_ALARM, Pin.OUT, value=0),
                    keep_alive=_keep_alive(wdt), jlog_path="/jlog.bin", config_path="/config.json",
                    reset_cause=reset_cause(), audio=audio,
                    console=sys.stdin)  # USB console: `crew status` requests
