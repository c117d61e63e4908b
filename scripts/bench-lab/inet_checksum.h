// The Internet checksum (RFC 1071) for the C floors of bench-lab.sh (floor_responder.c,
// handshake_floor.c): sum16 adds big-endian 16-bit words to a running sum, fold ends it.
#ifndef BENCH_LAB_INET_CHECKSUM_H
#define BENCH_LAB_INET_CHECKSUM_H
#include <stddef.h>
#include <stdint.h>

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t sum) {
    for (size_t i = 0; i + 1 < n; i += 2) sum += (uint32_t)p[i] << 8 | p[i + 1];
    if (n & 1) sum += (uint32_t)p[n - 1] << 8;
    return sum;
}

static uint16_t fold(uint32_t sum) {
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}
#endif
