// handshake_floor ADDR PORT COUNT: the floor of bench-lab.sh's handshake section. What any user-space
// TCP on a raw socket pays on this machine to open a connection, with no TCP logic in it: COUNT times
// it sends a SYN (the options toytcp sends: MSS, SACK-permitted, timestamps, window scale) through a
// raw socket, reads the peer's SYN-ACK from the socket (epoll_wait when it is not there yet, as
// toytcp's loop does), sends the ACK, and then a RST (untimed, as toytcp's abort and the C client's
// SO_LINGER 0 close). Timed from before the SYN's sendto to after the ACK's, as the kernel's connect()
// returns after its ACK. Prints "median_us p90_us min_us count" as handshake_client does. One thread,
// no allocation. Packets carry SO_MARK 0x7474 (toytcp's) so the lab's rule dropping host1's kernel
// RSTs leaves ours alone; source ports 61000-64999 (toytcp's range, above the kernel's).
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "raw_floor.h"
#include "latency_summary.h"

static double microseconds_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static void put32(uint8_t *p, uint32_t v) { p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v; }
static uint32_t get32(const uint8_t *p) { return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]; }

// An IPv4 + TCP packet into `out` (options `opt` of `optlen` bytes, a multiple of 4); returns its length.
static size_t build(uint8_t *out, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport, uint32_t seq,
                    uint32_t ack, uint8_t flags, const uint8_t *opt, size_t optlen) {
    size_t tcplen = 20 + optlen, total = 20 + tcplen;
    memset(out, 0, total);
    out[0] = 0x45; out[2] = total >> 8; out[3] = total & 0xff; out[6] = 0x40; out[8] = 64; out[9] = 6;
    memcpy(out + 12, &src, 4); memcpy(out + 16, &dst, 4);   // network order already
    uint8_t *t = out + 20;
    t[0] = sport >> 8; t[1] = sport & 0xff; t[2] = dport >> 8; t[3] = dport & 0xff;
    put32(t + 4, seq); put32(t + 8, ack);
    t[12] = (uint8_t)(tcplen / 4) << 4; t[13] = flags; t[14] = 0xfa; t[15] = 0xf0;   // window 64240
    memcpy(t + 20, opt, optlen);
    uint32_t sum = sum16(out + 12, 8, 0) + 6 + (uint32_t)tcplen;
    uint16_t c = fold(sum16(t, tcplen, sum));
    t[16] = c >> 8; t[17] = c & 0xff;
    return total;
}

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: handshake_floor ADDR PORT COUNT\n"); return 2; }
    int n = atoi(argv[3]);
    if (n <= 0 || n > 100000) { fprintf(stderr, "COUNT: 1...100000\n"); return 2; }
    struct sockaddr_in peer = { .sin_family = AF_INET };
    if (inet_pton(AF_INET, argv[1], &peer.sin_addr) != 1) { fprintf(stderr, "bad ADDR\n"); return 2; }
    uint16_t dport = (uint16_t)atoi(argv[2]);
    // The source address the routing table picks (as toytcp's route lookup does).
    int u = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in probe = peer, local;
    socklen_t len = sizeof local;
    probe.sin_port = htons(9);
    if (connect(u, (struct sockaddr *)&probe, sizeof probe) < 0 || getsockname(u, (struct sockaddr *)&local, &len) < 0) {
        perror("route"); return 1;
    }
    close(u);
    int ep;
    int s = open_raw_floor_socket(&ep);
    if (s < 0) return 1;
    double *us = calloc(n, sizeof *us);
    uint8_t in[65536], out[64];
    int done = 0;
    uint32_t src = local.sin_addr.s_addr, dst = peer.sin_addr.s_addr;
    for (int i = 0; i < n; i++) {
        uint16_t sport = (uint16_t)(61000 + i % 4000);
        uint32_t iss = (uint32_t)i * 2654435761u, tsval = (uint32_t)i;
        // MSS 1460, SACK permitted, timestamps, NOP, window scale 7: 20 bytes, as toytcp's SYN.
        uint8_t syn_opt[20] = { 2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0, 1, 3, 3, 7 };
        put32(syn_opt + 8, tsval);
        size_t l = build(out, src, dst, sport, dport, iss, 0, 0x02, syn_opt, sizeof syn_opt);
        double t0 = microseconds_now();
        if (sendto(s, out, l, 0, (struct sockaddr *)&peer, sizeof peer) < 0) { perror("sendto"); return 1; }
        double deadline = t0 + 1e6;
        int established = 0;
        while (!established && microseconds_now() < deadline) {
            ssize_t got = recv(s, in, sizeof in, 0);
            if (got < 0) {
                if (errno != EAGAIN) { perror("recv"); return 1; }
                struct epoll_event e;
                epoll_wait(ep, &e, 1, 100);
                continue;
            }
            if (got < 40 || (in[0] >> 4) != 4) continue;
            size_t ihl = (size_t)(in[0] & 15) * 4;
            const uint8_t *t = in + ihl;
            if ((size_t)got < ihl + 20 || ((uint16_t)t[2] << 8 | t[3]) != sport || (t[13] & 0x12) != 0x12) continue;
            uint32_t peer_seq = get32(t + 4);
            // The peer's timestamp, echoed (options: find kind 8).
            uint32_t echo = 0;
            size_t off = (size_t)(t[12] >> 4) * 4;
            for (size_t k = 20; k + 1 < off && ihl + off <= (size_t)got;) {
                uint8_t kind = t[k];
                if (kind == 0) break;
                if (kind == 1) { k++; continue; }
                if (t[k + 1] < 2) break;
                if (kind == 8 && t[k + 1] == 10) echo = get32(t + k + 2);
                k += t[k + 1];
            }
            uint8_t ack_opt[12] = { 1, 1, 8, 10 };
            put32(ack_opt + 4, tsval); put32(ack_opt + 8, echo);
            l = build(out, src, dst, sport, dport, iss + 1, peer_seq + 1, 0x10, ack_opt, sizeof ack_opt);
            if (sendto(s, out, l, 0, (struct sockaddr *)&peer, sizeof peer) < 0) { perror("sendto"); return 1; }
            us[done++] = microseconds_now() - t0;
            established = 1;
        }
        l = build(out, src, dst, sport, dport, iss + 1, 0, 0x04, NULL, 0);
        sendto(s, out, l, 0, (struct sockaddr *)&peer, sizeof peer);
        // Whatever the peer sent meanwhile (its FIN) is read and dropped before the next round.
        while (recv(s, in, sizeof in, 0) > 0) {}
    }
    if (done == 0) return 1;
    print_latency_summary(us, done);
    return 0;
}
