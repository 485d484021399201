"""trainctl.voice.decode as native code (viper): the same IMA ADPCM decoder, for ports that run it. In
boards/native/ (not firmware/) because only mpy-cross -march (armv6m, xtensawin, x64) compiles it: deploy builds it into
trainctl/adpcm_viper.mpy for a board with a -march; loaded only through trainctl.voice, which falls back to its
own copy.
Loads through viper pointers are unsigned, and so are comparisons and shifts of what comes of them: the
predictor is kept offset by 32768 (0..65535) and the output computed modulo 2**16."""

import micropython


@micropython.viper
def decode(buf: ptr8, out: ptr16, st: ptr32, table: ptr16) -> int:  # noqa: F821 (viper's pointer types)
    u = (st[0] + 32768) & 0xFFFF  # predictor + 32768
    k = st[1]
    pos = st[2]
    end = st[3]
    n = st[4]
    mul = st[5]
    base = 128 * mul  # 32768 * mul >> 8
    j = 0
    while j < n and pos < end:
        c = buf[pos] >> 4
        if j & 1:
            c = buf[pos] & 15
        s = table[k]
        d = s >> 3
        if c & 4:
            d += s
            k += (c & 3) * 2 + 2  # the index table: -1 -1 -1 -1 2 4 6 8
            if k > 88:
                k = 88
        elif k:
            k -= 1
        if c & 2:
            d += s >> 1
        if c & 1:
            d += s >> 2
        if c & 8:
            u = 0 if d > u else u - d
        else:
            u += d
            if u > 65535:
                u = 65535
        out[j] = ((u * mul >> 8) - base) & 0xFFFF
        j += 1
        if not j & 1:
            pos += 1
    st[0] = u - 32768
    st[1] = k
    st[2] = pos
    return j
