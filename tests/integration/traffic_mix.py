"""Mixed traffic for extraction tests: many IPv4 and IPv6 hosts, TCP, UDP and ICMP, some
802.1Q-tagged frames, varied sizes, nanosecond timestamps. Deterministic for a seed."""

import random
import struct


def _csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def _ipv4(src, dst, proto, payload):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0, 0x4000, 64, proto, 0, src, dst)
    hdr = hdr[:10] + struct.pack("!H", _csum(hdr)) + hdr[12:]
    return hdr + payload


def _ipv6(src, dst, proto, payload):
    return struct.pack("!IHBB16s16s", 0x60000000, len(payload), proto, 64, src, dst) + payload


def _l4(proto, sport, dport, size):
    body = bytes(size)
    if proto == 6:
        return struct.pack("!HHIIBBHHH", sport, dport, 1, 0, 0x50, 0x10, 65535, 0, 0) + body
    if proto == 17:
        return struct.pack("!HHHH", sport, dport, 8 + size, 0) + body
    return struct.pack("!BBHHH", 8, 0, 0, 1, 1) + body  # ICMP / ICMPv6 echo


def v4(a, b, c, d):
    return bytes((a, b, c, d))


def host_v4(i):
    return v4(10, 1 + (i >> 16) % 200, (i >> 8) & 255, i & 255)


def host_v6(i):
    return b"\x20\x01\x0d\xb8" + bytes(10) + struct.pack("!H", i & 0xFFFF)


NEEDLE_V4 = v4(10, 250, 0, 7)
NEEDLE_V4_TEXT = "10.250.0.7"


def frame(rng, needle=False):
    """One random Ethernet frame."""
    mac = b"\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02"
    kind = rng.random()
    size = rng.choice((0, 0, 6, 40, 200, 512, 1000, 1400))
    proto = rng.choice((6, 6, 6, 17, 17, 1))
    sport = rng.choice((443, 80, 53, 22)) if rng.random() < 0.5 else rng.randrange(1024, 65536)
    dport = rng.choice((443, 80, 53, 123)) if rng.random() < 0.6 else rng.randrange(1024, 65536)
    if kind < 0.15 and not needle:
        ip6proto = 58 if proto == 1 else proto
        l3 = _ipv6(host_v6(rng.randrange(64)), host_v6(rng.randrange(64)), ip6proto, _l4(proto, sport, dport, size))
        return mac + b"\x86\xdd" + l3
    src = NEEDLE_V4 if needle else host_v4(rng.randrange(4000))
    dst = host_v4(rng.randrange(4000))
    if rng.random() < 0.5:
        src, dst = dst, src
    l3 = _ipv4(src, dst, proto, _l4(proto, sport, dport, size))
    if kind < 0.25:
        return mac + b"\x81\x00" + struct.pack("!H", rng.randrange(1, 4095)) + b"\x08\x00" + l3
    return mac + b"\x08\x00" + l3


def frames(count, start_ns, step_ns, seed=1, needle_every=500):
    """(ts_ns, frame) pairs: `count` frames from start_ns, about step_ns apart."""
    rng = random.Random(seed)
    t = start_ns
    out = []
    for i in range(count):
        t += rng.randrange(1, 2 * step_ns)
        out.append((t, frame(rng, needle=(i % needle_every == needle_every // 2))))
    return out
