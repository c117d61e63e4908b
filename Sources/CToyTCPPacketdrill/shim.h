// Linux calls and structures the packetdrill runner needs that Swift's Glibc module does not export
// or cannot call (variadic ioctl/fcntl, cmsg macros, packed epoll_event, tun). Headers only.
#ifndef CTOYTCPPACKETDRILL_SHIM_H
#define CTOYTCPPACKETDRILL_SHIM_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/syscall.h>
#include <netinet/in.h>
#include <net/if.h>
#include <linux/if_tun.h>
#include <linux/errqueue.h>
#include <linux/sockios.h>
#include <linux/if_packet.h>
#include <time.h>

static inline int pktd_ioctl_int(int fd, unsigned long request, int *value) { return ioctl(fd, request, value); }

/// Opens /dev/net/tun as an IFF_TUN | IFF_NO_PI | IFF_VNET_HDR device (every read and write starts
/// with a 10-byte struct virtio_net_hdr, as packetdrill's) called `name` (packetdrill's tun0).
static inline int pktd_tun_open(const char *name) {
    int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    if (fd < 0) return -1;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = IFF_TUN | IFF_NO_PI | IFF_VNET_HDR;
    strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) { close(fd); return -1; }
    // Offloads on, as packetdrill has them: without a vnet header the kernel hands a TSO burst to the
    // reader as one large segment, which is what the scripts expect (`P. 1:2001(2000)` at mss 1000).
    ioctl(fd, TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN);
    int flags = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    return fd;
}

static inline int pktd_fcntl0(int fd, int cmd) { return fcntl(fd, cmd); }
static inline int pktd_fcntl1(int fd, int cmd, long arg) { return fcntl(fd, cmd, arg); }

static inline int pktd_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data) {
    struct epoll_event ev;
    ev.events = events;
    ev.data.u64 = data;
    return epoll_ctl(epfd, op, fd, &ev);
}
/// epoll_wait into two plain arrays (epoll_event is packed on x86-64).
static inline int pktd_epoll_wait(int epfd, uint32_t *events, uint64_t *data, int max, int timeout) {
    struct epoll_event evs[64];
    if (max > 64) max = 64;
    int n = epoll_wait(epfd, evs, max, timeout);
    for (int i = 0; i < n; i++) { events[i] = evs[i].events; data[i] = evs[i].data.u64; }
    return n;
}

static inline long pktd_splice(int in, int out, size_t len, unsigned int flags) {
    return syscall(SYS_splice, in, NULL, out, NULL, len, flags);
}

/// One control message as the runner reads it back from recvmsg.
struct pktd_cmsg { int level; int type; int length; unsigned char data[256]; };

/// recvmsg with one iovec of `len` bytes and room for control data; returns up to `max` cmsgs.
static inline ssize_t pktd_recvmsg(int fd, void *buf, size_t len, int flags, int *msg_flags,
                                   struct pktd_cmsg *out, int max, int *count) {
    struct iovec iov = { buf, len };
    unsigned char control[2048];
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t r = recvmsg(fd, &msg, flags);
    *count = 0;
    if (r < 0) return r;
    *msg_flags = msg.msg_flags;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c && *count < max; c = CMSG_NXTHDR(&msg, c)) {
        struct pktd_cmsg *o = &out[(*count)++];
        o->level = c->cmsg_level;
        o->type = c->cmsg_type;
        int n = (int)(c->cmsg_len - CMSG_LEN(0));
        if (n > 256) n = 256;
        o->length = n;
        memcpy(o->data, CMSG_DATA(c), n);
    }
    return r;
}

/// sendmsg with `iovcount` iovecs of the given lengths (zero-filled) and an optional destination.
static inline ssize_t pktd_sendmsg(int fd, const size_t *lengths, int iovcount, int flags,
                                   const struct sockaddr *to, socklen_t tolen) {
    struct iovec iov[64];
    static unsigned char zeros[1 << 20];
    if (iovcount > 64) iovcount = 64;
    for (int i = 0; i < iovcount; i++) {
        iov[i].iov_base = zeros;
        iov[i].iov_len = lengths[i] > sizeof zeros ? sizeof zeros : lengths[i];
    }
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_iov = iovcount ? iov : NULL;
    msg.msg_iovlen = iovcount;
    if (to) { msg.msg_name = (void *)to; msg.msg_namelen = tolen; }
    return sendmsg(fd, &msg, flags);
}

static inline int pktd_connect_unspec(int fd) {
    struct sockaddr a;
    memset(&a, 0, sizeof a);
    a.sa_family = AF_UNSPEC;
    return connect(fd, &a, sizeof a);
}
static inline int pktd_accept(int fd) { return accept(fd, NULL, NULL); }

static inline ssize_t pktd_sendfile(int out, int in, size_t count) { return sendfile(out, in, NULL, count); }
static inline int pktd_open(const char *path, int flags) { return open(path, flags, 0644); }
static inline int pktd_setns_net(int fd) { return (int)syscall(SYS_setns, fd, 0x40000000); }
static inline int pktd_pipe(int *fds) { return pipe(fds); }
static inline int pktd_tcp_info(int fd, unsigned char *buf, int *len) {
    socklen_t l = (socklen_t)*len;
    int r = getsockopt(fd, IPPROTO_TCP, 11, buf, &l);
    *len = (int)l;
    return r;
}
static inline int pktd_getsockopt(int fd, int level, int name, void *buf, int *len) {
    socklen_t l = (socklen_t)*len;
    int r = getsockopt(fd, level, name, buf, &l);
    *len = (int)l;
    return r;
}
static inline int pktd_errno(void) { return errno; }
static inline int pktd_gettid(void) { return (int)syscall(SYS_gettid); }

/// An AF_PACKET socket on `ifname` with kernel receive timestamps: packetdrill sniffs outbound
/// segments this way, so their times are the kernel's, not when this process got to read them.
static inline int pktd_packet_open(const char *ifname) {
    int fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(0x0003));
    if (fd < 0) return -1;
    struct sockaddr_ll a;
    memset(&a, 0, sizeof a);
    a.sll_family = AF_PACKET;
    a.sll_protocol = htons(0x0003);
    a.sll_ifindex = (int)if_nametoindex(ifname);
    if (a.sll_ifindex == 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0) { close(fd); return -1; }
    int on = 1;
    setsockopt(fd, SOL_SOCKET, 35 /* SO_TIMESTAMPNS */, &on, sizeof on);
    return fd;
}

/// One sniffed packet: its length, and whether it was outbound, with the kernel's CLOCK_REALTIME
/// timestamp in seconds; -1 when nothing is waiting.
static inline long pktd_packet_recv(int fd, void *buf, size_t len, int *outgoing, double *when) {
    struct iovec iov = { buf, len };
    struct sockaddr_ll from;
    unsigned char control[256];
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_name = &from;
    msg.msg_namelen = sizeof from;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    long n = recvmsg(fd, &msg, 0);
    if (n < 0) return -1;
    *outgoing = from.sll_pkttype == PACKET_OUTGOING;
    *when = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == 35) {
            struct timespec ts;
            memcpy(&ts, CMSG_DATA(c), sizeof ts);
            *when = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
        }
    }
    return n;
}

/// CLOCK_REALTIME minus CLOCK_MONOTONIC, in seconds: turns a packet timestamp into monotonic time.
static inline double pktd_realtime_offset(void) {
    struct timespec r, m;
    clock_gettime(CLOCK_REALTIME, &r);
    clock_gettime(CLOCK_MONOTONIC, &m);
    return ((double)r.tv_sec + (double)r.tv_nsec / 1e9) - ((double)m.tv_sec + (double)m.tv_nsec / 1e9);
}
#endif
