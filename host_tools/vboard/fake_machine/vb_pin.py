"""The virtual board's pins: outputs recorded in the capture (or selecting the SPI buses), inputs scripted."""

from vb_board import _board


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
