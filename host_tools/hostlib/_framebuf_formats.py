"""Per-format pixel, fill and row access of host_tools/hostlib/framebuf.py (the CPython stand-in for MicroPython's
framebuf): tables indexed by the format number, as extmod/modframebuf.c's formats table."""

_U32 = 0xFFFFFFFF  # colours are C uint32


# --- per-format pixel access: (buf, stride, x, y[, col]); x, y already in range -------------------


def _set_mvlsb(buf, stride, x, y, col):
    i = (y >> 3) * stride + x
    if col & _U32:
        buf[i] |= 1 << (y & 7)
    else:
        buf[i] &= ~(1 << (y & 7))


def _get_mvlsb(buf, stride, x, y):
    return (buf[(y >> 3) * stride + x] >> (y & 7)) & 1


def _set_mhlsb(buf, stride, x, y, col):
    i = (x + y * stride) >> 3
    if col & _U32:
        buf[i] |= 0x80 >> (x & 7)
    else:
        buf[i] &= ~(0x80 >> (x & 7))


def _get_mhlsb(buf, stride, x, y):
    return (buf[(x + y * stride) >> 3] >> (7 - (x & 7))) & 1


def _set_mhmsb(buf, stride, x, y, col):
    i = (x + y * stride) >> 3
    if col & _U32:
        buf[i] |= 1 << (x & 7)
    else:
        buf[i] &= ~(1 << (x & 7))


def _get_mhmsb(buf, stride, x, y):
    return (buf[(x + y * stride) >> 3] >> (x & 7)) & 1


def _set_rgb565(buf, stride, x, y, col):
    i = (x + y * stride) << 1  # uint16 in the host's order; every MicroPython target is little-endian
    buf[i] = col & 0xFF
    buf[i + 1] = (col >> 8) & 0xFF


def _get_rgb565(buf, stride, x, y):
    i = (x + y * stride) << 1
    return buf[i] | (buf[i + 1] << 8)


def _set_gs2(buf, stride, x, y, col):
    i = (x + y * stride) >> 2
    shift = (x & 3) << 1
    buf[i] = (buf[i] & ~(3 << shift)) | ((col & 3) << shift)


def _get_gs2(buf, stride, x, y):
    return (buf[(x + y * stride) >> 2] >> ((x & 3) << 1)) & 3


def _set_gs4(buf, stride, x, y, col):
    i = (x + y * stride) >> 1
    if x & 1:
        buf[i] = (buf[i] & 0xF0) | (col & 0x0F)
    else:
        buf[i] = (buf[i] & 0x0F) | ((col & 0x0F) << 4)


def _get_gs4(buf, stride, x, y):
    v = buf[(x + y * stride) >> 1]
    return v & 0x0F if x & 1 else v >> 4


def _set_gs8(buf, stride, x, y, col):
    buf[x + y * stride] = col & 0xFF


def _get_gs8(buf, stride, x, y):
    return buf[x + y * stride]


_SET = (_set_mvlsb, _set_rgb565, _set_gs4, _set_mhlsb, _set_mhmsb, _set_gs2, _set_gs8)
_GET = (_get_mvlsb, _get_rgb565, _get_gs4, _get_mhlsb, _get_mhmsb, _get_gs2, _get_gs8)


# --- per-format rectangle fill: (buf, stride, x, y, w, h, col); rectangle already clipped, w, h >= 1 ---

_OR_TABLES = {}
_AND_TABLES = {}


def _or_table(mask):
    t = _OR_TABLES.get(mask)
    if t is None:
        t = _OR_TABLES[mask] = bytes(b | mask for b in range(256))
    return t


def _and_table(mask):
    t = _AND_TABLES.get(mask)
    if t is None:
        t = _AND_TABLES[mask] = bytes(b & ~mask for b in range(256))
    return t


def _fill_mvlsb(buf, stride, x, y, w, h, col):
    on = col & _U32
    yend = y + h
    while y < yend:
        page_end = min((y | 7) + 1, yend)
        mask = ((1 << (page_end - y)) - 1) << (y & 7)  # the rows y..page_end-1 of this 8-row page
        a = (y >> 3) * stride + x
        if w == 1:
            buf[a] = buf[a] | mask if on else buf[a] & ~mask
        else:
            buf[a:a + w] = bytes(buf[a:a + w]).translate(_or_table(mask) if on else _and_table(mask))
        y = page_end


def _fill_mono_horiz(lsb_left):
    def fill(buf, stride, x, y, w, h, col):
        on = col & _U32
        xend = x + w
        first, last = x >> 3, (xend - 1) >> 3
        if lsb_left:  # MONO_HMSB: bit 0 is the leftmost pixel of a byte
            head = (0xFF << (x & 7)) & 0xFF
            tail = 0xFF >> (7 - ((xend - 1) & 7))
        else:  # MONO_HLSB: bit 7 is the leftmost pixel
            head = 0xFF >> (x & 7)
            tail = (0xFF << (7 - ((xend - 1) & 7))) & 0xFF
        if first == last:
            head &= tail
        full = last - first - 1 if first != last else 0
        fill_bytes = (b"\xff" if on else b"\x00") * full
        row = y * (stride >> 3)
        for _ in range(h):
            a = row + first
            buf[a] = buf[a] | head if on else buf[a] & ~head
            if first != last:
                if full:
                    buf[a + 1:a + 1 + full] = fill_bytes
                b = row + last
                buf[b] = buf[b] | tail if on else buf[b] & ~tail
            row += stride >> 3
    return fill


def _fill_rgb565(buf, stride, x, y, w, h, col):
    run = bytes((col & 0xFF, (col >> 8) & 0xFF)) * w
    a = (x + y * stride) << 1
    for _ in range(h):
        buf[a:a + 2 * w] = run
        a += stride << 1


def _fill_gs8(buf, stride, x, y, w, h, col):
    run = bytes((col & 0xFF,)) * w
    a = x + y * stride
    for _ in range(h):
        buf[a:a + w] = run
        a += stride


def _fill_by_pixel(setter):
    def fill(buf, stride, x, y, w, h, col):
        for yy in range(y, y + h):
            for xx in range(x, x + w):
                setter(buf, stride, xx, yy, col)
    return fill


_FILL = (_fill_mvlsb, _fill_rgb565, _fill_by_pixel(_set_gs4), _fill_mono_horiz(False), _fill_mono_horiz(True),
         _fill_by_pixel(_set_gs2), _fill_gs8)

# --- per-format row read for blit: the n colours from (x, y) rightwards, as a list ------------------


def _row_mvlsb(buf, stride, x, y, n, get):
    a = (y >> 3) * stride + x
    bit = y & 7
    return [(b >> bit) & 1 for b in buf[a:a + n]]


def _row_mhlsb(buf, stride, x, y, n, get):
    p = x + y * stride  # bit index of the first pixel, counted from the buffer's first MSB
    first, last = p >> 3, (p + n - 1) >> 3
    v = int.from_bytes(buf[first:last + 1], "big")
    top = (last - first + 1) * 8 - 1 - (p & 7)
    return [(v >> s) & 1 for s in range(top, top - n, -1)]


def _row_mhmsb(buf, stride, x, y, n, get):
    p = x + y * stride
    first, last = p >> 3, (p + n - 1) >> 3
    v = int.from_bytes(buf[first:last + 1], "little")
    low = p & 7
    return [(v >> s) & 1 for s in range(low, low + n)]


def _row_rgb565(buf, stride, x, y, n, get):
    a = (x + y * stride) << 1
    b = buf[a:a + 2 * n]
    return [b[i] | (b[i + 1] << 8) for i in range(0, 2 * n, 2)]


def _row_gs8(buf, stride, x, y, n, get):
    a = x + y * stride
    return list(buf[a:a + n])


def _row_by_pixel(buf, stride, x, y, n, get):
    return [get(buf, stride, sx, y) for sx in range(x, x + n)]


_ROW = (_row_mvlsb, _row_rgb565, _row_by_pixel, _row_mhlsb, _row_mhmsb, _row_by_pixel, _row_gs8)

# --- per-format row write for blit: cols from (x, y) rightwards, skipping colour key ----------------


def _put_row_mvlsb(buf, stride, x, y, cols, key, put):
    a = (y >> 3) * stride + x
    bit = 1 << (y & 7)
    for col in cols:
        if col != key:
            if col:
                buf[a] |= bit
            else:
                buf[a] &= ~bit
        a += 1


def _put_row_mhlsb(buf, stride, x, y, cols, key, put):
    p = x + y * stride
    for col in cols:
        if col != key:
            if col:
                buf[p >> 3] |= 0x80 >> (p & 7)
            else:
                buf[p >> 3] &= ~(0x80 >> (p & 7))
        p += 1


def _put_row_mhmsb(buf, stride, x, y, cols, key, put):
    p = x + y * stride
    for col in cols:
        if col != key:
            if col:
                buf[p >> 3] |= 1 << (p & 7)
            else:
                buf[p >> 3] &= ~(1 << (p & 7))
        p += 1


def _put_row_gs8(buf, stride, x, y, cols, key, put):
    a = x + y * stride
    if key not in cols:
        buf[a:a + len(cols)] = bytes(c & 0xFF for c in cols)
        return
    for col in cols:
        if col != key:
            buf[a] = col & 0xFF
        a += 1


def _put_row_by_pixel(buf, stride, x, y, cols, key, put):
    for col in cols:
        if col != key:
            put(buf, stride, x, y, col)
        x += 1


_PUT_ROW = (_put_row_mvlsb, _put_row_by_pixel, _put_row_by_pixel, _put_row_mhlsb, _put_row_mhmsb, _put_row_by_pixel,
            _put_row_gs8)

# (bits per pixel, row alignment in pixels) per format
_LAYOUT = ((1, 1), (16, 1), (4, 2), (1, 8), (1, 8), (2, 4), (8, 1))
