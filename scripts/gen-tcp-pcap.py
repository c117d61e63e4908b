#!/usr/bin/env python3
"""Writes a pcap of varied IPv4 TCP segments (link type raw IP) for the decoder's benchmark and its
differential tests against tcpdump.

usage: gen-tcp-pcap.py OUT.pcap COUNT [--seed N] [--malformed] [--link raw|ethernet|sll|sll2] [--nano] [--ipv6]

Conversations run handshake -> data (with SACK, timestamps, PSH, URG, ECN bits) -> FIN/RST over a pool
of hosts and ports, so relative sequence numbers are exercised. Client ports are 20000-60000; one server
in ten listens on a text-protocol port (HTTP, SSH, SMTP, FTP, RTSP) whose first line tcpdump prints. --malformed mixes in packets with bad header
lengths, bad and unknown options, truncated captures, IP options and fragments.
"""
import random
import struct
import sys

def csum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff

def packet(src, dst, sp, dp, seq, ack, flags, win, opts=b'', payload=b'', urp=0, doff=None,
           ipopts=b'', frag=0x4000, iplen=None, good_csum=True):
    if len(opts) % 4 and doff is None:
        opts += b'\0' * (4 - len(opts) % 4)
    d = doff if doff is not None else (20 + len(opts)) // 4
    h = struct.pack('!HHIIBBHHH', sp, dp, seq & 0xffffffff, ack & 0xffffffff, (d & 15) << 4, flags & 0xff,
                    win, 0, urp) + opts
    seg = h + payload
    v6 = len(src) == 16
    # The pseudo-header: RFC 9293 §3.1 for IPv4, RFC 8200 §8.1 for IPv6.
    ph = src + dst + (struct.pack('!IBBBB', len(seg), 0, 0, 0, 6) if v6 else struct.pack('!BBH', 0, 6, len(seg)))
    c = csum(ph + seg)
    if not good_csum:
        c ^= 0x5a5a
    seg = seg[:16] + struct.pack('!H', c) + seg[18:]
    if v6:
        # IPv6 (RFC 8200 §3): a flow label per packet, no header checksum; IPv4-only faults are not made.
        plen = (iplen - 40) if iplen is not None else len(seg)
        return struct.pack('!IHBB', 6 << 28 | random.getrandbits(20), plen & 0xffff, 6, 64) + src + dst + seg
    ihl = (20 + len(ipopts)) // 4
    tl = iplen if iplen is not None else 20 + len(ipopts) + len(seg)
    ip = struct.pack('!BBHHHBBH4s4s', 0x40 | ihl, 0, tl & 0xffff, random.getrandbits(16), frag, 64, 6, 0, src, dst) + ipopts
    ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
    return ip + seg

def rand_opts(r, syn):
    o = b''
    if syn:
        o += struct.pack('!BBH', 2, 4, r.choice([1460, 1400, 536, 8960]))
        if r.random() < 0.7: o += b'\x04\x02'
        if r.random() < 0.7: o += struct.pack('!BBII', 8, 10, r.getrandbits(32), 0)
        if r.random() < 0.7: o += b'\x01\x03\x03' + bytes([r.randrange(15)])
    else:
        if r.random() < 0.5: o += b'\x01\x01' + struct.pack('!BBII', 8, 10, r.getrandbits(32), r.getrandbits(32))
    return o

def bad_opts(r):
    kind = r.randrange(12)
    if kind == 0: return bytes([2, 0, 5, 0xb4])               # length 0
    if kind == 1: return bytes([2, 3, 5, 1])                  # mss with wrong length
    if kind == 2: return bytes([r.randrange(9, 250), 4, 1, 2])  # unknown kind
    if kind == 3: return bytes([5, 7, 0, 0, 0, 1, 0, 0, 0, 0])  # malformed sack
    if kind == 4: return bytes([8, 12] + [0] * 10)            # TS too long for header
    if kind == 5: return bytes([1, 1, 1, 0, 2, 4, 5, 0xb4])    # eol then junk
    if kind == 6: return bytes([34, 2])                        # tfo cookie request
    if kind == 7: return bytes([28, 4, 0, 10])                 # uto
    if kind == 8: return bytes([19, 18] + [r.getrandbits(8) for _ in range(16)] + [0, 0])
    if kind == 9: return bytes([254, 4, 0xf9, 0x89])           # experimental tfo
    if kind == 10: return bytes([r.getrandbits(8) for _ in range(r.randrange(1, 40))])  # random junk
    return bytes([3, 3, 7, 1, 2, 4])                           # wscale + truncated-in-header mss

def generate(count, seed, malformed, ipv6=False):
    r = random.Random(seed)
    random.seed(seed)
    if ipv6:
        # Unique-local addresses (RFC 4193) in two /64s, some with long zero runs and some without.
        hosts = [bytes([0xfd, 0, 0, 0, 0, 0, 0, r.randrange(1, 3)]) + (bytes(7) + bytes([r.randrange(1, 255)])
                 if r.random() < 0.5 else bytes(r.getrandbits(8) for _ in range(8))) for _ in range(64)]
    else:
        hosts = [bytes([10, 0, r.randrange(2), r.randrange(1, 255)]) for _ in range(64)]
    out = []
    flows = []
    t = 1700000000.0
    while len(out) < count:
        if len(flows) < 50 or r.random() < 0.02:
            a, b = r.sample(hosts, 2)
            # Mostly high ports; some servers on ports where tcpdump prints the text protocol's first line.
            server = r.choice([80, 8080, 22, 25, 21, 554]) if r.random() < 0.1 else r.randrange(20000, 60000)
            flows.append({'a': a, 'b': b, 'ap': r.randrange(20000, 60000), 'bp': server,
                          'as': r.getrandbits(32), 'bs': r.getrandbits(32), 'state': 0})
        f = r.choice(flows)
        t += r.random() * 0.001
        ts = t
        win = r.randrange(65536)
        if f['state'] == 0:
            p = packet(f['a'], f['b'], f['ap'], f['bp'], f['as'], 0, 0x02 | (0xc0 if r.random() < 0.1 else 0), win, rand_opts(r, True))
            f['as'] += 1; f['state'] = 1
        elif f['state'] == 1:
            p = packet(f['b'], f['a'], f['bp'], f['ap'], f['bs'], f['as'], 0x12, win, rand_opts(r, True))
            f['bs'] += 1; f['state'] = 2
        else:
            fwd = r.random() < 0.5
            src, dst, sp, dp = (f['a'], f['b'], f['ap'], f['bp']) if fwd else (f['b'], f['a'], f['bp'], f['ap'])
            sk, ak = ('as', 'bs') if fwd else ('bs', 'as')
            x = r.random()
            n = r.choice([0, 0, 1, 10, 100, 536, 1448])
            payload = bytes(r.getrandbits(8) for _ in range(min(n, 64))) + b'\0' * max(0, n - 64)
            if n and f['bp'] < 10000 and r.random() < 0.5:
                payload = r.choice([b'GET /index.html HTTP/1.1\r\nHost: example\r\n\r\n', b'HTTP/1.1 200 OK\r\n',
                                    b'SSH-2.0-OpenSSH_9.2p1\r\n', b'220 mail ESMTP ready\r\n', b'USER anonymous\r\n',
                                    b'OPTIONS rtsp://h/a RTSP/1.0\r\n', b'partial line without end'])
            opts = rand_opts(r, False)
            flags = 0x10 | (0x08 if n and r.random() < 0.5 else 0)
            urp = 0
            if r.random() < 0.05: flags |= 0x20; urp = r.randrange(65536)
            if r.random() < 0.05: flags |= r.choice([0x40, 0x80, 0xc0])
            if r.random() < 0.1:
                left = (f[ak] + r.randrange(1, 5000)) & 0xffffffff
                opts = b'\x01\x01' + struct.pack('!BB', 5, 10) + struct.pack('!II', left, left + r.randrange(1, 3000))
            if x < 0.01:
                flags = 0x04 | (0x10 if r.random() < 0.5 else 0); payload = b''; opts = b''
                f['state'] = 0; f['as'] = r.getrandbits(32); f['bs'] = r.getrandbits(32)
            elif x < 0.03:
                flags |= 0x01
            p = packet(src, dst, sp, dp, f[sk], f[ak], flags, win, opts, payload, urp)
            f[sk] = (f[sk] + len(payload) + (1 if flags & 1 else 0)) & 0xffffffff
        wire = len(p)
        if malformed and r.random() < 0.3:
            a, b = r.sample(hosts, 2)
            sp, dp = r.randrange(20000, 60000), r.randrange(20000, 60000)
            k = r.randrange(9)
            seqn, ackn = r.getrandbits(32), r.getrandbits(32)
            fl = r.getrandbits(8)
            if k == 0: p = packet(a, b, sp, dp, seqn, ackn, fl, win, bad_opts(r)); wire = len(p)
            elif k == 1: p = packet(a, b, sp, dp, seqn, ackn, fl, win, doff=r.randrange(0, 16)); wire = len(p)
            elif k == 2:
                full = packet(a, b, sp, dp, seqn, ackn, fl, win, rand_opts(r, fl & 2), b'x' * r.randrange(0, 30))
                cut = r.randrange(0, len(full)); p = full[:cut]; wire = len(full) if r.random() < 0.5 else cut
            elif k == 3: p = packet(a, b, sp, dp, seqn, ackn, fl, win, ipopts=bytes([1] * 3 + [0] + [r.getrandbits(8) for _ in range(4 * r.randrange(0, 5))])); wire = len(p)
            elif k == 4: p = packet(a, b, sp, dp, seqn, ackn, fl, win, frag=r.choice([0x2000, 0x0001, 0x2010, 0x1fff])); wire = len(p)
            elif k == 5: p = packet(a, b, sp, dp, seqn, ackn, fl, win, b'', b'abc', iplen=r.choice([0, 10, 19, 20, 30, 60, 200])); wire = len(p)
            elif k == 6: p = packet(a, b, sp, dp, seqn, ackn, fl, win, bad_opts(r) + bad_opts(r)[:8], b'yy'); wire = len(p)
            elif k == 7: p = packet(a, b, sp, dp, seqn, ackn, fl | 0x10, win, bad_opts(r), good_csum=False); wire = len(p)
            else:
                full = packet(a, b, sp, dp, seqn, ackn, fl, win, bad_opts(r), b'z' * 8)
                cut = r.randrange(20, len(full) + 1); p = full[:cut]; wire = len(full)
        out.append((ts, p, wire))
    return out

def frame(link, p, ipv6=False):
    et = 0x86dd if ipv6 else 0x0800
    if link == 'ethernet': return b'\x02\0\0\0\0\x01\x02\0\0\0\0\x02' + struct.pack('!H', et) + p, 14
    if link == 'sll': return struct.pack('!HHH8sH', 0, 1, 6, b'\x02' * 6 + b'\0\0', et) + p, 16
    if link == 'sll2': return struct.pack('!HHIHBB8s', et, 0, 1, 1, 0, 6, b'\x02' * 6 + b'\0\0') + p, 20
    return p, 0

def main():
    args = sys.argv[1:]
    path, count = args[0], int(args[1])
    seed = int(args[args.index('--seed') + 1]) if '--seed' in args else 1
    link = args[args.index('--link') + 1] if '--link' in args else 'raw'
    nano = '--nano' in args
    linktype = {'raw': 101, 'ethernet': 1, 'sll': 113, 'sll2': 276}[link]
    with open(path, 'wb') as f:
        f.write(struct.pack('<IHHiIII', 0xa1b23c4d if nano else 0xa1b2c3d4, 2, 4, 0, 0, 262144, linktype))
        buf = []
        for ts, p, wire in generate(count, seed, '--malformed' in args, '--ipv6' in args):
            fr, extra = frame(link, p, '--ipv6' in args)
            sec = int(ts)
            frac = int((ts - sec) * (1e9 if nano else 1e6))
            buf.append(struct.pack('<IIII', sec, frac, len(fr), wire + extra))
            buf.append(fr)
            if len(buf) > 20000:
                f.write(b''.join(buf)); buf = []
        f.write(b''.join(buf))

if __name__ == '__main__':
    main()
