# Freezes the coach controller into a custom MicroPython build (bytecode in flash: the font and route
# tables then cost no RAM). From a MicroPython checkout, for example:
#   make -C ports/rp2 BOARD=RPI_PICO FROZEN_MANIFEST=/path/to/repo/firmware/manifest.py
#   make -C ports/esp32 BOARD=ESP32_GENERIC FROZEN_MANIFEST=/path/to/repo/firmware/manifest.py
# The board file stays on the filesystem (`make deploy` writes it as /board.py); to freeze it too, add
# module("board.py", base_path="../boards/rp2040") (or esp32).
include("$(PORT_DIR)/boards/manifest.py")
# The ssd1306 driver: the file the tests run (host_tools/build/fetch_mplib.py pins it; `make venv` fetches it), not
# require("ssd1306"), which freezes whatever micropython-lib the MicroPython checkout has.
module("ssd1306.py", base_path="../.venv/mplib")
# opt=2 (asserts dropped; the firmware validates with raise), not 3: opt=3 drops the line numbers, so every
# traceback of a frozen build said "line 1".
package("trainctl", opt=2)
# boards/native/: native code (viper), compiled with the port's -march, frozen where the board imports it from.
module("trainctl/adpcm_viper.py", base_path="../boards/native", opt=2)
module("main.py", opt=2)
