// floor_responder PORT sleep|busy SECONDS: the floor of bench-lab.sh's REPL section. What any user-space
// responder pays on this machine to answer a segment, with no TCP in it: a raw socket in host1 waits
// in epoll_wait (sleep: blocking, as toytcp's event loop does; busy: epoll_wait(..., 0) in a loop, what
// busy-polling can reach) and answers every segment to PORT with one packet built from that segment
// alone: a SYN with a SYN-ACK, data or a FIN with an ACK. No connection state, no allocation, no
// second thread. The packets carry SO_MARK 0x7474 (toytcp's), so the lab's rule that drops host1's
// kernel RSTs leaves them alone. Exits after SECONDS (a bound: the bench kills it before).
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

static double seconds_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc != 4 || (strcmp(argv[2], "sleep") != 0 && strcmp(argv[2], "busy") != 0)) {
        fprintf(stderr, "usage: floor_responder PORT sleep|busy SECONDS\n");
        return 2;
    }
    uint16_t port = (uint16_t)atoi(argv[1]);
    int busy = strcmp(argv[2], "busy") == 0;
    double end = seconds_now() + atof(argv[3]);
    int ep;
    int s = open_raw_floor_socket(&ep);
    if (s < 0) return 1;
    fprintf(stderr, "listening\n");
    uint8_t in[65536], out[40];
    while (seconds_now() < end) {
        struct epoll_event got;
        int n = epoll_wait(ep, &got, 1, busy ? 0 : 1000);
        if (n < 0 && errno != EINTR) { perror("epoll_wait"); return 1; }
        if (n <= 0) continue;
        for (;;) {
            ssize_t len = recv(s, in, sizeof in, 0);
            if (len < 0) break;
            if (len < 40 || (in[0] >> 4) != 4) continue;
            size_t ihl = (size_t)(in[0] & 15) * 4, total = (size_t)in[2] << 8 | in[3];
            if (ihl < 20 || total > (size_t)len || total < ihl + 20) continue;
            const uint8_t *tcp = in + ihl;
            if (((uint16_t)tcp[2] << 8 | tcp[3]) != port) continue;
            size_t offset = (size_t)(tcp[12] >> 4) * 4;
            if (offset < 20 || ihl + offset > total) continue;
            uint8_t flags = tcp[13];
            uint32_t seq = (uint32_t)tcp[4] << 24 | tcp[5] << 16 | tcp[6] << 8 | tcp[7];
            uint32_t ack = (uint32_t)tcp[8] << 24 | tcp[9] << 16 | tcp[10] << 8 | tcp[11];
            uint32_t payload = (uint32_t)(total - ihl - offset);
            uint32_t our_seq, our_ack;
            uint8_t our_flags;
            if ((flags & 0x02) && !(flags & 0x10)) {               // SYN: SYN-ACK
                our_seq = seq * 2654435761u;                      // any ISN will do
                our_ack = seq + 1;
                our_flags = 0x12;
            } else if ((flags & 0x04) == 0 && (payload > 0 || (flags & 0x01))) {  // data or FIN: ACK
                our_seq = ack;
                our_ack = seq + payload + (flags & 0x01);
                our_flags = 0x10;
            } else {
                continue;                                         // pure ACKs and RSTs: no answer
            }
            memset(out, 0, sizeof out);
            out[0] = 0x45; out[3] = 40; out[6] = 0x40; out[8] = 64; out[9] = IPPROTO_TCP;
            memcpy(out + 12, in + 16, 4);                         // from the address it was sent to
            memcpy(out + 16, in + 12, 4);
            uint16_t c = fold(sum16(out, 20, 0));
            out[10] = c >> 8; out[11] = c & 0xff;
            uint8_t *t = out + 20;
            memcpy(t, tcp + 2, 2); memcpy(t + 2, tcp, 2);
            t[4] = our_seq >> 24; t[5] = our_seq >> 16; t[6] = our_seq >> 8; t[7] = our_seq;
            t[8] = our_ack >> 24; t[9] = our_ack >> 16; t[10] = our_ack >> 8; t[11] = our_ack;
            t[12] = 5 << 4; t[13] = our_flags; t[14] = 0xff; t[15] = 0xff;
            uint32_t pseudo = sum16(out + 12, 8, 0) + IPPROTO_TCP + 20;
            c = fold(sum16(t, 20, pseudo));
            t[16] = c >> 8; t[17] = c & 0xff;
            struct sockaddr_in to = { .sin_family = AF_INET };
            memcpy(&to.sin_addr, out + 16, 4);
            sendto(s, out, 40, 0, (struct sockaddr *)&to, sizeof to);
        }
    }
    return 0;
}
