"""Boot: the board file builds the hardware (its buffers first), then the coach controller runs.

If the controller cannot start (a route or firmware file missing or damaged on the flash), the board
says so on its display and console and waits for service, feeding the watchdog: never a crash loop.
"""

import board  # boards/<board>/board.py, copied to the board as /board.py

hw = board.build()

try:
    import gc

    from trainctl import check_runtime

    check_runtime()  # too old a MicroPython: said on the console and the display, not a crash loop
    from trainctl import route_data

    gc.collect()  # between loads: what a module's loading leaves behind is freed before the next one lands
    from trainctl.app import App

    gc.collect()
    app = App(route_data, hw)
except Exception as e:  # the supervisor at the top: anything that stops the controller from starting
    import time

    msg = "service: controller cannot start: %s: %s" % (type(e).__name__, e)
    print(msg)
    disp = hw.display
    try:
        while True:
            if disp is not None:
                try:
                    disp.fill(0)
                    disp.text("SERVICE", 0, 0, 1)  # framebuf's built-in 8x8 font: needs no font file
                    disp.text(type(e).__name__[:16], 0, 16, 1)
                    t = str(e)
                    for r in range(4):  # the message over four lines of 16 characters
                        disp.text(t[16 * r:16 * r + 16], 0, 32 + 8 * r, 1)
                    disp.show()
                except Exception:  # a broken display must not stop the watchdog feeding
                    pass
            if hw.wdt is not None:
                hw.wdt.feed()
            time.sleep_ms(1000)
    except KeyboardInterrupt:  # Ctrl-C for service: the watchdog stays fed until the next reset
        keep = getattr(hw, "keep_alive", None)
        if keep is not None:
            keep()
        print("service: stopped from the console; watchdog kept fed until reset")
        raise

print(app.report())
app.run()
