// latency_summary.h: how bench-lab.sh's C handshake clients (handshake_client.c, handshake_floor.c)
// print their samples, as toytcp-lab-bench does: "median_us p90_us min_us count" (the script reads
// the three the same way).
#ifndef BENCH_LAB_LATENCY_SUMMARY_H
#define BENCH_LAB_LATENCY_SUMMARY_H
#include <stdio.h>
#include <stdlib.h>

static int latency_order(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

// Sorts the `count` samples (microseconds) and prints the summary line; count must be > 0.
static void print_latency_summary(double *us, int count) {
    qsort(us, count, sizeof *us, latency_order);
    printf("%.1f %.1f %.1f %d\n", us[count / 2], us[count * 9 / 10], us[0], count);
}
#endif
