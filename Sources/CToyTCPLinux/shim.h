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
#include <sys/ioctl.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <linux/if_packet.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <time.h>
#include <pthread.h>
#include <sched.h>

// setns(2) is declared by <sched.h> only under _GNU_SOURCE, which the Glibc module is built without.
extern int setns(int fd, int nstype);
#define CTOYTCP_CLONE_NEWNET 0x40000000

// prctl is variadic (unavailable in Swift): the one use, the thread's timer slack in nanoseconds.
static inline int ctoytcp_set_timer_slack(unsigned long nanoseconds) {
    return prctl(PR_SET_TIMERSLACK, nanoseconds, 0, 0, 0);
}

// The calling thread's scheduling: SCHED_FIFO at `priority` (1-99), or back to the normal scheduler
// (SCHED_OTHER) with 0. Returns 0 or an errno (EPERM without CAP_SYS_NICE).
static inline int ctoytcp_set_thread_realtime(int priority) {
    struct sched_param parameter = { .sched_priority = priority };
    return pthread_setschedparam(pthread_self(), priority > 0 ? SCHED_FIFO : SCHED_OTHER, &parameter);
}

// The calling thread's kernel id (gettid), as /proc/self/task/ names it.
static inline int ctoytcp_thread_id(void) { return (int)syscall(SYS_gettid); }

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

// The Ethernet side of the AF_PACKET send path (ioctl is variadic, unavailable in Swift).
// The interface's index and Ethernet address: 0, -1 (errno set), or -2 (not an Ethernet device).
static inline int ctoytcp_interface_ethernet(int fd, const char *name, int *index, unsigned char mac[6]) {
    struct ifreq request;
    memset(&request, 0, sizeof request);
    strncpy(request.ifr_name, name, IFNAMSIZ - 1);
    if (ioctl(fd, SIOCGIFINDEX, &request) < 0) return -1;
    *index = request.ifr_ifindex;
    if (ioctl(fd, SIOCGIFHWADDR, &request) < 0) return -1;
    if (request.ifr_hwaddr.sa_family != ARPHRD_ETHER) return -2;
    memcpy(mac, request.ifr_hwaddr.sa_data, 6);
    return 0;
}

// The neighbour table's Ethernet address for an IPv4 address (network order) on an interface (SIOCGARP):
// 1 when the entry is complete, 0 when it is missing or unresolved, -1 on another error (errno set).
static inline int ctoytcp_neighbour_ethernet(int fd, const char *name, uint32_t address, unsigned char mac[6]) {
    struct arpreq request;
    memset(&request, 0, sizeof request);
    struct sockaddr_in *ip = (struct sockaddr_in *)&request.arp_pa;
    ip->sin_family = AF_INET;
    ip->sin_addr.s_addr = address;
    strncpy(request.arp_dev, name, sizeof request.arp_dev - 1);
    if (ioctl(fd, SIOCGARP, &request) < 0) return errno == ENXIO ? 0 : -1;
    if (!(request.arp_flags & ATF_COM)) return 0;
    memcpy(mac, request.arp_ha.sa_data, 6);
    return 1;
}

// Sends one frame (virtio_net_hdr, then the Ethernet frame) out of interface `index` on an AF_PACKET
// SOCK_RAW socket: sendto's address names only the device and the protocol (IPv4).
static inline ssize_t ctoytcp_packet_send(int fd, int index, const void *frame, size_t length) {
    struct sockaddr_ll to;
    memset(&to, 0, sizeof to);
    to.sll_family = AF_PACKET;
    to.sll_protocol = htons(0x0800);
    to.sll_ifindex = index;
    return sendto(fd, frame, length, 0, (const struct sockaddr *)&to, sizeof to);
}

// Batch receive with the kernel's receive time of each packet. recvmmsg(2) and struct mmsghdr are
// declared only under _GNU_SOURCE (which the Glibc module is built without): the system call is made
// directly, with a struct of the same layout.
struct ctoytcp_mmsghdr {
    struct msghdr msg_hdr;
    unsigned int msg_len;
};
#define CTOYTCP_BATCH_MAX 64

// SO_TIMESTAMPNS: every packet carries its receive time (CLOCK_REALTIME, struct timespec) as a cmsg.
static inline int ctoytcp_enable_receive_timestamps(int fd) {
    int on = 1;
    return setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
}

// Receives up to `count` packets (at most CTOYTCP_BATCH_MAX) into consecutive slots of `slot` bytes,
// without blocking. For each: its whole length (MSG_TRUNC: larger than `slot` when it was cut) and
// its receive time in nanoseconds since 1970 (0 when the kernel gave none). Returns how many, or -1
// (errno set; EAGAIN when none is waiting).
static inline int ctoytcp_receive_batch(int fd, unsigned char *buffers, size_t slot, unsigned int count,
                                        unsigned int *lengths, int64_t *stamps) {
    struct ctoytcp_mmsghdr messages[CTOYTCP_BATCH_MAX];
    struct iovec vectors[CTOYTCP_BATCH_MAX];
    union { char bytes[CMSG_SPACE(sizeof(struct timespec))]; struct cmsghdr align; } control[CTOYTCP_BATCH_MAX];
    if (count > CTOYTCP_BATCH_MAX) count = CTOYTCP_BATCH_MAX;
    memset(messages, 0, sizeof(messages[0]) * count);
    for (unsigned int i = 0; i < count; i++) {
        vectors[i].iov_base = buffers + i * slot;
        vectors[i].iov_len = slot;
        messages[i].msg_hdr.msg_iov = &vectors[i];
        messages[i].msg_hdr.msg_iovlen = 1;
        messages[i].msg_hdr.msg_control = control[i].bytes;
        messages[i].msg_hdr.msg_controllen = sizeof control[i].bytes;
    }
    long received = syscall(SYS_recvmmsg, fd, messages, count, MSG_DONTWAIT | MSG_TRUNC, NULL);
    if (received < 0) return -1;
    for (long i = 0; i < received; i++) {
        lengths[i] = messages[i].msg_len;
        stamps[i] = 0;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&messages[i].msg_hdr); c; c = CMSG_NXTHDR(&messages[i].msg_hdr, c)) {
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
                struct timespec t;
                memcpy(&t, CMSG_DATA(c), sizeof t);
                stamps[i] = (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
            }
        }
    }
    return (int)received;
}

#endif
