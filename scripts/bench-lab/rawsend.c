// rawsend DST COUNT: one thread sends COUNT full-size (1500-byte) IPv4/TCP packets with sendto on a raw
// IP_HDRINCL socket, as toytcp does, and prints packets/s and Gbit/s: the ceiling of a raw-socket stack.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: rawsend DST COUNT\n"); return 2; }
    long n = atol(argv[2]);
    int s = socket(AF_INET, SOCK_RAW, IPPROTO_TCP);
    if (s < 0) { perror("socket"); return 1; }
    int one = 1;
    setsockopt(s, IPPROTO_IP, IP_HDRINCL, &one, sizeof one);
    unsigned char pkt[1500];
    memset(pkt, 0xab, sizeof pkt);
    struct sockaddr_in to = { .sin_family = AF_INET };
    inet_pton(AF_INET, argv[1], &to.sin_addr);
    // IPv4 header (the kernel fills the checksum and id for IP_HDRINCL when they are 0); source is
    // filled in from the route (0.0.0.0). TCP header to port 9 with a wrong checksum: the receiver drops it.
    pkt[0] = 0x45; pkt[1] = 0; pkt[2] = 1500 >> 8; pkt[3] = 1500 & 0xff;
    pkt[4] = pkt[5] = 0; pkt[6] = 0x40; pkt[7] = 0; pkt[8] = 64; pkt[9] = IPPROTO_TCP;
    pkt[10] = pkt[11] = 0; memset(pkt + 12, 0, 4); memcpy(pkt + 16, &to.sin_addr, 4);
    pkt[20] = 0x9c; pkt[21] = 0x40; pkt[22] = 0; pkt[23] = 9; pkt[32] = 0x50; pkt[33] = 0x10;
    struct timespec t0, t1;
    long sent = 0, dropped = 0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (long i = 0; i < n; i++) {
        if (sendto(s, pkt, sizeof pkt, 0, (struct sockaddr *)&to, sizeof to) == sizeof pkt) sent++; else dropped++;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("%.0f %.2f %ld\n", sent / secs, sent * 1500.0 * 8 / secs / 1e9, dropped);
    return 0;
}
