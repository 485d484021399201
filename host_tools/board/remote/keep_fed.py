"""On the board, from deploy's raw REPL: feed the watchdog once a second while the host holds its lease.

A watchdog the firmware started runs on through the connection's soft reset, which stops the board file's
keep-alive timer. The host renews the lease (`_deploy_left = N`) with every command; when it runs out (cable
pulled, laptop asleep, the tool killed) the feeder resets the board, so main.py runs again instead of the board
feeding its watchdog for ever in the raw REPL. Compiled into RAM (not run from the ROMFS partition being
rewritten). Prints 1, or the error's repr.
"""

from machine import WDT, Timer, reset


def keep_fed(lease_s, timeout_ms, timer_id):
    global _deploy_wdt, _deploy_timer, _deploy_left  # kept alive in the REPL's globals until the reset
    _deploy_left = lease_s

    def tick(t):
        global _deploy_left
        _deploy_left -= 1
        if _deploy_left >= 0:
            _deploy_wdt.feed()
        else:
            t.deinit()
            reset()

    try:
        _deploy_wdt = WDT(timeout=timeout_ms)
        _deploy_timer = Timer(timer_id, mode=Timer.PERIODIC, period=1000, callback=tick)
        print(1)
    except Exception as e:
        print(repr(repr(e)))
