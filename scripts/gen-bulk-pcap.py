#!/usr/bin/env python3
"""Writes a pcap of ONE long bulk TCP transfer (link type raw IP, headers only: snap length 66), the
input of scripts/bench-graph.sh and of the 1 M-packet bounded-memory check.

usage: gen-bulk-pcap.py OUT.pcap COUNT [--seed N] [--loss P]

10.0.0.1:40000 sends 1448-byte segments to 10.0.1.1:80, which ACKs every second one (window scale 7).
A lost segment (probability P, default 0.01) makes the receiver send duplicate ACKs with a SACK block
until the sender retransmits it after the third; every 200,000 packets the receiver closes its window
for 2,000 packets' time (the sender then sends only window probes). Timestamps are 10 us apart.
"""
import random
import struct
import sys

A, B = bytes([10, 0, 0, 1]), bytes([10, 0, 1, 1])
SNAP = 66

def packet(src, dst, sp, dp, seq, ack, flags, win, opts=b'', paylen=0):
    if len(opts) % 4:
        opts += b'\1' * (4 - len(opts) % 4)
    tcp = struct.pack('!HHIIBBHHH', sp, dp, seq & 0xffffffff, ack & 0xffffffff, ((20 + len(opts)) // 4) << 4,
                      flags, win, 0, 0) + opts
    total = 20 + len(tcp) + paylen
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, total, 0, 0x4000, 64, 6, 0, src, dst)
    return ip + tcp, total

def main():
    args = sys.argv[1:]
    if len(args) < 2:
        sys.exit(__doc__)
    out, count = args[0], int(args[1])
    seed, loss = 1, 0.01
    if '--seed' in args: seed = int(args[args.index('--seed') + 1])
    if '--loss' in args: loss = float(args[args.index('--loss') + 1])
    rnd = random.Random(seed)
    f = open(out, 'wb')
    f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, SNAP, 101))
    n = 0
    t = 1_700_000_000 * 1_000_000
    def put(pkt):
        nonlocal n, t
        data, total = pkt
        cap = data[:SNAP]
        f.write(struct.pack('<IIII', t // 1_000_000, t % 1_000_000, len(cap), total) + cap)
        n += 1
        t += 10
    F, S, R, P, AK = 1, 2, 4, 8, 16
    isn, irs, mss = 1000, 5000, 1448
    put(packet(A, B, 40000, 80, isn, 0, S, 65535, b'\x02\x04\x05\xb4\x01\x03\x03\x07\x04\x02'))
    put(packet(B, A, 80, 40000, irs, isn + 1, S | AK, 65535, b'\x02\x04\x05\xb4\x01\x03\x03\x07\x04\x02'))
    put(packet(A, B, 40000, 80, isn + 1, irs + 1, AK, 502))
    nxt = isn + 1          # next new byte to send
    acked = isn + 1        # receiver's cumulative ACK
    lost = None            # a lost segment's seq, until retransmitted
    dupacks = 0
    unacked_segments = 0
    zero_until = -1
    while n < count - 3:
        if zero_until > n:
            # Zero window: the receiver said win 0; the sender probes now and then.
            if n % 50 == 0:
                put(packet(A, B, 40000, 80, nxt - 1, irs + 1, AK, 502))
                put(packet(B, A, 80, 40000, irs + 1, acked, AK, 0))
            else:
                t += 10
                n += 0
                # time passes without packets; count a virtual slot so the period ends
                zero_until -= 1
            continue
        if n > 0 and n % 200_000 < 2 and zero_until < 0:
            put(packet(B, A, 80, 40000, irs + 1, acked, AK, 0))
            zero_until = n + 2_000
            continue
        if zero_until >= 0 and zero_until <= n:
            zero_until = -1
            put(packet(B, A, 80, 40000, irs + 1, acked, AK, 512))
        # One data segment.
        seq = nxt
        put(packet(A, B, 40000, 80, seq, irs + 1, AK | (P if rnd.random() < 0.1 else 0), 502, paylen=mss))
        nxt += mss
        if lost is None and rnd.random() < loss:
            lost = seq
            dupacks = 0
            continue
        if lost is not None:
            # Duplicate ACK with a SACK block for what arrived above the hole.
            sack = b'\x01\x01\x05\x0a' + struct.pack('!II', (lost + mss) & 0xffffffff, nxt & 0xffffffff)
            put(packet(B, A, 80, 40000, irs + 1, lost, AK, 512, sack))
            dupacks += 1
            if dupacks == 3:
                put(packet(A, B, 40000, 80, lost, irs + 1, AK, 502, paylen=mss))
                lost = None
                acked = nxt
                put(packet(B, A, 80, 40000, irs + 1, acked, AK, 512))
            continue
        unacked_segments += 1
        if unacked_segments == 2:
            unacked_segments = 0
            acked = nxt
            put(packet(B, A, 80, 40000, irs + 1, acked, AK, 512))
    put(packet(A, B, 40000, 80, nxt, irs + 1, F | AK, 502))
    put(packet(B, A, 80, 40000, irs + 1, nxt + 1, F | AK, 512))
    put(packet(A, B, 40000, 80, nxt + 1, irs + 2, AK, 502))
    f.close()
    print(f"{out}: {n} packets", file=sys.stderr)

main()
