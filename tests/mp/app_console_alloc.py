# MicroPython only: the main loop polls the console (App with hw.console = sys.stdin, a pipe the host holds open)
# and allocates nothing while no byte arrives (heap_lock); then the host writes `status` and the loop answers.
#   micropython tests/mp/app_console_alloc.py JLOG_PATH   (stdin: a pipe; prints "locked ..." then waits)
import gc
import sys

import micropython
from trainctl import route_data as R
from trainctl.app import App
from trainctl.hw import Hardware


class NoUart:
    def any(self):
        return 0

    def readinto(self, b, n=-1):
        return None


hw = Hardware("console", NoUart(), None, None, None, None, None, jlog_path=sys.argv[1], console=sys.stdin)
app = App(R, hw, log=lambda s: None)


def passes(n):
    for _ in range(n):
        app.step(10)


passes(100)
before = after = n = 0  # globals made before the measurement (a new global may grow the module's dict)
err = False
gc.collect()
before = gc.mem_alloc()
micropython.heap_lock()
err = False
try:
    passes(3000)  # 30 s of loop passes, the console polled in each
except MemoryError:
    err = True
micropython.heap_unlock()
after = gc.mem_alloc()
print("locked memory_error %d bytes %d polling %d" % (err, after - before, app._con is not None))
n = 0
while n < 2000000 and app._con is not None:  # the host writes "status\n", then closes the pipe: the loop stops polling
    app.step(10)
    n += 1
print("done passes %d polling %d" % (n, app._con is not None))
