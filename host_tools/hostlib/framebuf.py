"""Host-only stand-in for MicroPython's built-in framebuf, proven equal by tests/test_framebuf_shim.py."""

# Semantics follow extmod/modframebuf.c of MicroPython 1.29: colours are C uint32 (mono: any non-zero
# low 32 bits sets the pixel), hline/vline/rect are clipped fill_rects (so rect with w or h < 1 still
# draws two sides), line is the C Bresenham, blit compares key after the palette lookup and, within
# one buffer, works pixel by pixel in C's order (it smears as on the board), scroll leaves the
# uncovered strip unchanged, padding bits and stride gaps are never touched.
# Methods never call each other through self, so subclasses that override pixel() etc. behave
# as on MicroPython. Arguments are positional only, as in the C module. Not provided: text(),
# ellipse(), poly() (NotImplementedError) and the legacy FrameBuffer1.

from operator import index as _int

from _framebuf_formats import _FILL, _GET, _LAYOUT, _PUT_ROW, _ROW, _SET, _U32

MONO_VLSB = MVLSB = 0
RGB565 = 1
GS4_HMSB = 2
MONO_HLSB = 3
MONO_HMSB = 4
GS2_HMSB = 5
GS8 = 6

_GET_PIXEL = object()  # pixel(x, y) without a colour reads; pixel(x, y, None) is a TypeError as in C


def _writable(buffer, write):
    """The buffer as something indexable by byte; TypeError as MicroPython for read-only when writing."""
    if type(buffer) is bytearray:
        return buffer
    try:
        mv = memoryview(buffer)
    except TypeError:
        raise TypeError("object with buffer protocol required") from None
    if write and mv.readonly:
        raise TypeError("object with buffer protocol required")
    if mv.format != "B" or mv.ndim != 1:
        mv = mv.cast("B")
    return mv


def _init(fb, buffer, width, height, fmt, stride, write):
    width, height, fmt = _int(width), _int(height), _int(fmt)
    stride = width if stride is None else _int(stride)
    if width < 1 or height < 1 or width > 0xFFFF or height > 0xFFFF or stride > 0xFFFF or stride < width:
        raise ValueError()
    if not 0 <= fmt < len(_LAYOUT):
        raise ValueError("invalid format")
    bpp, align = _LAYOUT[fmt]
    buf = _writable(buffer, write)
    stride = (stride + align - 1) // align * align
    if fmt == MVLSB:
        need = ((height + 7) // 8 - 1) * stride + width
    else:
        need = ((height - 1) * stride + (width + align - 1) // align * align) * bpp // 8
    if need > len(buf):
        raise ValueError()
    fb._fb_obj = buffer  # keeps the caller's object, as the C struct does
    fb._fb_base = buf.obj if isinstance(buf, memoryview) else buf  # what owns the memory
    fb._fb_buf = buf
    fb._fb_w = width
    fb._fb_h = height
    fb._fb_fmt = fmt
    fb._fb_stride = stride & 0xFFFF  # stored as uint16_t in C
    fb._fb_set = _SET[fmt]
    fb._fb_get = _GET[fmt]
    fb._fb_fill = _FILL[fmt]


def _source(obj):
    """A FrameBuffer, or a (buffer, width, height, format[, stride]) tuple/list as blit() accepts."""
    if isinstance(obj, FrameBuffer):
        return obj
    if not isinstance(obj, (tuple, list)):
        raise TypeError("object '%s' isn't a tuple or list" % type(obj).__name__)
    if not 4 <= len(obj) <= 5:
        raise ValueError()
    fb = FrameBuffer.__new__(FrameBuffer)
    _init(fb, obj[0], obj[1], obj[2], obj[3], obj[4] if len(obj) == 5 else None, False)
    return fb


class FrameBuffer:
    """FrameBuffer(buffer, width, height, format[, stride]) drawing into buffer in place."""

    def __init__(self, buffer, width, height, format, stride=None, /):
        _init(self, buffer, width, height, format, stride, True)

    def __buffer__(self, flags, /):  # memoryview(fb) / bytes(fb) on CPython >= 3.12, as on MicroPython
        return memoryview(self._fb_obj)

    def _fb_rect(self, x, y, w, h, col):
        """Clipped fill_rect, the C helper behind fill_rect/hline/vline/rect."""
        fw, fh = self._fb_w, self._fb_h
        if h < 1 or w < 1 or x + w <= 0 or y + h <= 0 or y >= fh or x >= fw:
            return
        xend = min(fw, x + w)
        yend = min(fh, y + h)
        x = max(x, 0)
        y = max(y, 0)
        self._fb_fill(self._fb_buf, self._fb_stride, x, y, xend - x, yend - y, col)

    def fill(self, c, /):
        self._fb_fill(self._fb_buf, self._fb_stride, 0, 0, self._fb_w, self._fb_h, _int(c))

    def fill_rect(self, x, y, w, h, c, /):
        FrameBuffer._fb_rect(self, _int(x), _int(y), _int(w), _int(h), _int(c))

    def pixel(self, x, y, c=_GET_PIXEL, /):
        """Colour at (x, y) (None outside), or set it when c is given."""
        x, y = _int(x), _int(y)
        if 0 <= x < self._fb_w and 0 <= y < self._fb_h:
            if c is _GET_PIXEL:
                return self._fb_get(self._fb_buf, self._fb_stride, x, y)
            self._fb_set(self._fb_buf, self._fb_stride, x, y, _int(c))
        return None

    def hline(self, x, y, w, c, /):
        FrameBuffer._fb_rect(self, _int(x), _int(y), _int(w), 1, _int(c))

    def vline(self, x, y, h, c, /):
        FrameBuffer._fb_rect(self, _int(x), _int(y), 1, _int(h), _int(c))

    def rect(self, x, y, w, h, c, f=False, /):
        x, y, w, h, c = _int(x), _int(y), _int(w), _int(h), _int(c)
        r = FrameBuffer._fb_rect
        if f:
            r(self, x, y, w, h, c)
        else:  # w or h < 1 still draws the two other sides, as in C
            r(self, x, y, w, 1, c)
            r(self, x, y + h - 1, w, 1, c)
            r(self, x, y, 1, h, c)
            r(self, x + w - 1, y, 1, h, c)

    def line(self, x1, y1, x2, y2, c, /):
        x1, y1, x2, y2, c = _int(x1), _int(y1), _int(x2), _int(y2), _int(c)
        buf, stride, fw, fh, put = self._fb_buf, self._fb_stride, self._fb_w, self._fb_h, self._fb_set
        dx, sx = (x2 - x1, 1) if x2 > x1 else (x1 - x2, -1)
        dy, sy = (y2 - y1, 1) if y2 > y1 else (y1 - y2, -1)
        steep = dy > dx
        if steep:  # walk along y: swap the roles of the axes
            x1, y1, dx, dy, sx, sy = y1, x1, dy, dx, sy, sx
            fw, fh = fh, fw
        e = 2 * dy - dx
        for _ in range(dx):
            if 0 <= x1 < fw and 0 <= y1 < fh:
                if steep:
                    put(buf, stride, y1, x1, c)
                else:
                    put(buf, stride, x1, y1, c)
            while e >= 0:
                y1 += sy
                e -= 2 * dx
            x1 += sx
            e += 2 * dy
        if 0 <= x2 < self._fb_w and 0 <= y2 < self._fb_h:
            put(buf, stride, x2, y2, c)

    def blit(self, fbuf, x, y, key=-1, palette=None, /):
        """Copy fbuf at (x, y); source colours equal to key (after palette lookup) are skipped."""
        src = _source(fbuf)
        x, y, key = _int(x), _int(y), _int(key) & _U32
        pal = None if palette is None else _source(palette)
        fw, fh = self._fb_w, self._fb_h
        sw, sh = src._fb_w, src._fb_h
        if x >= fw or y >= fh or -x >= sw or -y >= sh:
            return
        x0, y0 = max(0, x), max(0, y)
        x1, y1 = max(0, -x), max(0, -y)
        x0end, y0end = min(fw, x + sw), min(fh, y + sh)
        dbuf, dstride, put = self._fb_buf, self._fb_stride, self._fb_set
        sbuf, sstride, get = src._fb_buf, src._fb_stride, src._fb_get
        if pal is not None:
            pbuf, pstride, pget = pal._fb_buf, pal._fb_stride, pal._fb_get
        if src._fb_base is not self._fb_base:  # separate memory: read whole source rows first
            n = x0end - x0
            read_row, write_row = _ROW[src._fb_fmt], _PUT_ROW[self._fb_fmt]
            mapped = {}
            for dy in range(y0, y0end):
                cols = read_row(sbuf, sstride, x1, y1, n, get)
                if pal is not None:
                    for v in set(cols).difference(mapped):
                        mapped[v] = pget(pbuf, pstride, v, 0)
                    cols = [mapped[v] for v in cols]
                write_row(dbuf, dstride, x0, dy, cols, key, put)
                y1 += 1
            return
        # Pixel by pixel in C's order: a blit within one buffer smears as on the board.
        for dy in range(y0, y0end):
            sx = x1
            for dx in range(x0, x0end):
                col = get(sbuf, sstride, sx, y1)
                if pal is not None:
                    col = pget(pbuf, pstride, col, 0)
                if col != key:
                    put(dbuf, dstride, dx, dy, col)
                sx += 1
            y1 += 1

    def scroll(self, xstep, ystep, /):
        """Shift the contents by (xstep, ystep); the uncovered strip keeps its old pixels."""
        xstep, ystep = _int(xstep), _int(ystep)
        w, h = self._fb_w, self._fb_h
        if xstep <= -w or xstep >= w or ystep <= -h or ystep >= h:
            return
        # C walks away from the direction of travel, so it never reads a pixel it has already
        # written: copying from a snapshot gives the same bytes.
        buf, stride, fmt = self._fb_buf, self._fb_stride, self._fb_fmt
        snapshot = bytes(buf)
        x_lo, n = max(0, xstep), w - abs(xstep)
        if fmt == MVLSB and ystep == 0:  # whole pages move sideways; keep the padding rows of the last one
            for page in range((h + 7) >> 3):
                a = page * stride + x_lo
                moved = snapshot[a - xstep:a - xstep + n]
                if page < h >> 3:
                    buf[a:a + n] = moved
                else:
                    keep = 0xFF << (h & 7) & 0xFF
                    buf[a:a + n] = bytes((d & keep) | (m & ~keep) for d, m in zip(buf[a:a + n], moved))
            return
        read_row, write_row = _ROW[fmt], _PUT_ROW[fmt]
        for y in range(max(0, ystep), h + min(0, ystep)):
            cols = read_row(snapshot, stride, x_lo - xstep, y - ystep, n, self._fb_get)
            write_row(buf, stride, x_lo, y, cols, -1, self._fb_set)

    def text(self, s, x, y, c=1, /):
        raise NotImplementedError("framebuf shim: text() is not implemented (the project draws its own fonts)")

    def ellipse(self, *args):
        raise NotImplementedError("framebuf shim: ellipse() is not implemented")

    def poly(self, *args):
        raise NotImplementedError("framebuf shim: poly() is not implemented")
