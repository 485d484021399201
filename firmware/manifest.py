# Freezes the coach controller into a custom MicroPython build (bytecode in flash: the font and route
# tables then cost no RAM). From a MicroPython checkout, for example:
#   make -C ports/rp2 BOARD=RPI_PICO FROZEN_MANIFEST=/path/to/repo/firmware/manifest.py
#   make -C ports/esp32 BOARD=ESP32_GENERIC FROZEN_MANIFEST=/path/to/repo/firmware/manifest.py
# The board file stays on the filesystem (`make deploy` writes it as /board.py); to freeze it too, add
# module("board.py", base_path="../boards/rp2040") (or esp32).
include("$(PORT_DIR)/boards/manifest.py")
require("ssd1306")
package("trainctl", opt=3)
module("main.py", opt=3)
