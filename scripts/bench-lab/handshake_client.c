// handshake_client ADDR PORT COUNT: COUNT times socket/connect/close; prints the connect() latencies
// (connect-to-established, as the toytcp side measures) as "median_us p90_us min_us count".
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "latency_summary.h"

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: handshake_client ADDR PORT COUNT\n"); return 2; }
    int n = atoi(argv[3]);
    double *us = calloc(n, sizeof *us);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[2])) };
    inet_pton(AF_INET, argv[1], &a.sin_addr);
    int done = 0;
    for (int i = 0; i < n; i++) {
        int s = socket(AF_INET, SOCK_STREAM, 0);
        // RST on close: no TIME-WAIT pile-up on the client, the same as toytcp's abort.
        struct linger l = { 1, 0 };
        setsockopt(s, SOL_SOCKET, SO_LINGER, &l, sizeof l);
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        int r = connect(s, (struct sockaddr *)&a, sizeof a);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        close(s);
        if (r < 0) { perror("connect"); continue; }
        us[done++] = (t1.tv_sec - t0.tv_sec) * 1e6 + (t1.tv_nsec - t0.tv_nsec) / 1e3;
    }
    if (done == 0) return 1;
    print_latency_summary(us, done);
    return 0;
}
