// What the C floors of bench-lab.sh (floor_responder.c, handshake_floor.c) share: the Internet
// checksum (RFC 1071: sum16 adds big-endian 16-bit words to a running sum, fold ends it) and their raw
// socket, watched by an epoll set.
#ifndef BENCH_LAB_RAW_FLOOR_H
#define BENCH_LAB_RAW_FLOOR_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t sum) {
    for (size_t i = 0; i + 1 < n; i += 2) sum += (uint32_t)p[i] << 8 | p[i + 1];
    if (n & 1) sum += (uint32_t)p[n - 1] << 8;
    return sum;
}

static uint16_t fold(uint32_t sum) {
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

// A non-blocking raw TCP socket with IP_HDRINCL whose packets carry SO_MARK 0x7474 (toytcp's, so the
// lab's rule dropping host1's kernel RSTs leaves them alone), added to a new epoll set (*epoll);
// -1 after perror on failure.
static int open_raw_floor_socket(int *epoll) {
    int s = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK, IPPROTO_TCP);
    if (s < 0) { perror("socket"); return -1; }
    int one = 1, mark = 0x7474;
    if (setsockopt(s, IPPROTO_IP, IP_HDRINCL, &one, sizeof one) < 0) { perror("IP_HDRINCL"); return -1; }
    setsockopt(s, SOL_SOCKET, SO_MARK, &mark, sizeof mark);
    *epoll = epoll_create1(0);
    struct epoll_event ev = { .events = EPOLLIN, .data.fd = s };
    if (*epoll < 0 || epoll_ctl(*epoll, EPOLL_CTL_ADD, s, &ev) < 0) { perror("epoll"); return -1; }
    return s;
}
#endif
