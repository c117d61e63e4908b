// ringsend MODE IFACE DSTMAC DST COUNT: the same 1500-byte IPv4/TCP packets as rawsend, sent by one
// thread through an AF_PACKET socket on IFACE (Ethernet header ours, PACKET_QDISC_BYPASS on), to measure
// whether a link-layer send path beats the raw IP socket's sendto on this kernel:
//   MODE sendto   one sendto per packet on the packet socket
//   MODE ring     a PACKET_TX_RING (TPACKET_V2) of 256 frames, one send() per 64 packets
// Prints "packets/s Gbit/s dropped" as rawsend does.
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static unsigned short ip_checksum(const unsigned char *h) {
    unsigned long sum = 0;
    for (int i = 0; i < 20; i += 2) sum += (h[i] << 8) | h[i + 1];
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return (unsigned short)~sum;
}

int main(int argc, char **argv) {
    if (argc != 6) { fprintf(stderr, "usage: ringsend sendto|ring IFACE DSTMAC DST COUNT\n"); return 2; }
    int ring = strcmp(argv[1], "ring") == 0;
    long n = atol(argv[5]);
    int s = socket(AF_PACKET, SOCK_RAW, 0);
    if (s < 0) { perror("socket"); return 1; }
    int one = 1;
    setsockopt(s, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one);
    struct sockaddr_ll ll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP),
                              .sll_ifindex = (int)if_nametoindex(argv[2]), .sll_halen = 6 };
    unsigned mac[6];
    if (sscanf(argv[3], "%x:%x:%x:%x:%x:%x", &mac[0], &mac[1], &mac[2], &mac[3], &mac[4], &mac[5]) != 6) return 2;
    for (int i = 0; i < 6; i++) ll.sll_addr[i] = (unsigned char)mac[i];
    if (bind(s, (struct sockaddr *)&ll, sizeof ll) < 0) { perror("bind"); return 1; }

    unsigned char pkt[14 + 1500];
    memset(pkt, 0xab, sizeof pkt);
    memcpy(pkt, ll.sll_addr, 6);
    memset(pkt + 6, 0, 6);  // source MAC: veth does not check it
    pkt[12] = 0x08; pkt[13] = 0x00;
    unsigned char *ip = pkt + 14;
    struct in_addr dst;
    inet_pton(AF_INET, argv[4], &dst);
    ip[0] = 0x45; ip[1] = 0; ip[2] = 1500 >> 8; ip[3] = 1500 & 0xff;
    ip[4] = ip[5] = 0; ip[6] = 0x40; ip[7] = 0; ip[8] = 64; ip[9] = IPPROTO_TCP;
    ip[10] = ip[11] = 0; ip[12] = 10; ip[13] = 0; ip[14] = 0; ip[15] = 1; memcpy(ip + 16, &dst, 4);
    unsigned short c = ip_checksum(ip); ip[10] = c >> 8; ip[11] = c & 0xff;
    ip[20] = 0x9c; ip[21] = 0x40; ip[22] = 0; ip[23] = 9; ip[32] = 0x50; ip[33] = 0x10;

    long sent = 0, dropped = 0;
    struct timespec t0, t1;
    if (!ring) {
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (long i = 0; i < n; i++) {
            if (sendto(s, pkt, sizeof pkt, 0, (struct sockaddr *)&ll, sizeof ll) == (long)sizeof pkt) sent++; else dropped++;
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
    } else {
        int v = TPACKET_V2;
        setsockopt(s, SOL_PACKET, PACKET_VERSION, &v, sizeof v);
        struct tpacket_req req = { .tp_block_size = 4096 * 4, .tp_frame_size = 2048, .tp_block_nr = 32 };
        req.tp_frame_nr = req.tp_block_size / req.tp_frame_size * req.tp_block_nr;
        if (setsockopt(s, SOL_PACKET, PACKET_TX_RING, &req, sizeof req) < 0) { perror("PACKET_TX_RING"); return 1; }
        size_t size = (size_t)req.tp_block_size * req.tp_block_nr;
        unsigned char *map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, s, 0);
        if (map == MAP_FAILED) { perror("mmap"); return 1; }
        unsigned frames = req.tp_frame_nr, next = 0;
        const size_t data = TPACKET2_HDRLEN - sizeof(struct sockaddr_ll);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        long queued = 0;
        while (queued < n) {
            int batch = 0;
            while (batch < 64 && queued < n) {
                struct tpacket2_hdr *h = (struct tpacket2_hdr *)(map + (size_t)next * req.tp_frame_size);
                if (h->tp_status != TP_STATUS_AVAILABLE) break;
                memcpy((unsigned char *)h + data, pkt, sizeof pkt);
                h->tp_len = sizeof pkt;
                h->tp_status = TP_STATUS_SEND_REQUEST;
                next = (next + 1) % frames;
                batch++; queued++;
            }
            if (send(s, NULL, 0, 0) < 0) dropped += batch; else sent += batch;
        }
        // Wait (bounded) for the kernel to finish the last frames.
        for (int i = 0; i < 100000; i++) {
            struct tpacket2_hdr *h = (struct tpacket2_hdr *)(map + (size_t)((next + frames - 1) % frames) * req.tp_frame_size);
            if (h->tp_status == TP_STATUS_AVAILABLE) break;
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
    }
    double secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("%.0f %.2f %ld\n", sent / secs, sent * 1500.0 * 8 / secs / 1e9, dropped);
    return 0;
}
