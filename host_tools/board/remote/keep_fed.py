"""On the board, from deploy's raw REPL: feed the watchdog once a second until the final reset.

A watchdog the firmware started runs on through the connection's soft reset, which stops the board file's
keep-alive timer. Compiled into RAM (not run from the ROMFS partition being rewritten). Prints 1, or the
error's repr.
"""

from machine import WDT, Timer


def keep_fed(timeout_ms, timer_id):
    global _deploy_wdt, _deploy_timer  # kept alive in the REPL's globals until the reset
    try:
        _deploy_wdt = WDT(timeout=timeout_ms)
        _deploy_timer = Timer(timer_id, mode=Timer.PERIODIC, period=1000, callback=lambda t: _deploy_wdt.feed())
        print(1)
    except Exception as e:
        print(repr(repr(e)))
