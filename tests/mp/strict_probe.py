"""Run by tests/vboard/test_vboard_strict.py under the unix port with the fake machine: how its UART, I2C and
flash behave (argv[1]: uart, i2c or flash)."""

import sys
import time

import machine
import micropython

what = sys.argv[1]
if what == "uart":
    u = machine.UART(1, baudrate=9600, rxbuf=2048, timeout=0)
    buf = bytearray(256)
    time.sleep_ms(20)  # the first epoch was released at 0 ms: ~19 bytes are in by now
    t0 = time.ticks_us()
    n = u.readinto(buf, u.any())  # what is there: no wait
    dt = time.ticks_diff(time.ticks_us(), t0)
    time.sleep_ms(5)  # ~5 more bytes in
    t1 = time.ticks_us()
    m = u.readinto(buf)  # 256 bytes asked for: waits for each next byte (timeout_char)
    t2 = time.ticks_us()
    print("there", n, dt, "ask256", m, time.ticks_diff(t2, t1))
elif what == "i2c":
    i2c = machine.I2C(0, freq=400000)
    frame = bytearray(1025)
    frame[0] = 0x40
    parts = [b"\x40", bytearray(1024)]
    t0 = time.ticks_us()
    micropython.heap_lock()
    try:
        i2c.writeto(0x3C, frame)
        ok = 1
    except MemoryError:
        ok = 0
    micropython.heap_unlock()
    t1 = time.ticks_us()
    micropython.heap_lock()
    try:
        i2c.writevto(0x3C, parts)
        okv = 1
    except MemoryError:
        okv = 0
    micropython.heap_unlock()
    print("writeto", ok, time.ticks_diff(t1, t0), "writevto", okv)
elif what == "flash":
    u = machine.UART(1, baudrate=int(sys.argv[2]), rxbuf=2048, timeout=0)
    time.sleep_ms(int(sys.argv[3]))
    u.any()
    machine.flash_busy(False)  # an erase: 45 ms + 1 ms with interrupts off
    print("lost", machine.board_summary().uart.lost_flash, "have", u.any())
