// Linux system calls that Swift's Glibc module does not export (epoll, timerfd, eventfd, setns, prctl, BPF),
// for ToyTCPLink only. Headers only: nothing to link.
#ifndef CTOYTCPLINUX_SHIM_H
#define CTOYTCPLINUX_SHIM_H

#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <linux/filter.h>

// setns(2) is declared by <sched.h> only under _GNU_SOURCE, which the Glibc module is built without.
extern int setns(int fd, int nstype);
#define CTOYTCP_CLONE_NEWNET 0x40000000

// prctl is variadic (unavailable in Swift): the one use, the thread's timer slack in nanoseconds.
static inline int ctoytcp_set_timer_slack(unsigned long nanoseconds) {
    return prctl(PR_SET_TIMERSLACK, nanoseconds, 0, 0, 0);
}

// epoll_event is packed on x86-64; these keep Swift from having to know its layout.
static inline struct epoll_event ctoytcp_epoll_event(uint32_t events, uint64_t data) {
    struct epoll_event ev;
    ev.events = events;
    ev.data.u64 = data;
    return ev;
}
static inline uint64_t ctoytcp_epoll_event_data(const struct epoll_event *ev) { return ev->data.u64; }
static inline uint32_t ctoytcp_epoll_event_events(const struct epoll_event *ev) { return ev->events; }

// SO_ATTACH_FILTER with a classic BPF program (linux/filter.h): the raw socket's receive filter.
// Attaching again replaces the program atomically.
static inline int ctoytcp_attach_filter(int fd, struct sock_filter *code, unsigned short length) {
    struct sock_fprog program = { .len = length, .filter = code };
    return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &program, sizeof program);
}

#endif
