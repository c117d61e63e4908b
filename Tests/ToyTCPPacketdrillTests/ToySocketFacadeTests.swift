import Foundation
import Testing
import ToyTCPPacketdrill

/// The BSD-socket façade over our stack (`--stack toytcp`): errno values as Linux returns them and
/// blocking calls in virtual time. These scripts pass against the kernel too (`--stack both`, with
/// `./defaults.sh`), except where a test says which Linux-only behaviour it steps on.
@Suite struct ToySocketFacadeTests {
    @Test func passiveSideErrnoValues() {
        let (status, output) = runOnToyStack("errno_server.pkt", """
            0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
           +0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0
           +0 bind(3, ..., ...) = 0
           +0 listen(3, 1) = 0
           +0 accept(3, ..., ...) = -1 EAGAIN (Resource temporarily unavailable)
           +0 < S 0:0(0) win 32792 <mss 1000,nop,wscale 7>
           +0 > S. 0:0(0) ack 1 <mss 1460,nop,wscale 8>
          +.1 < . 1:1(0) ack 1 win 257
           +0 accept(3, ..., ...) = 4
           +0 fcntl(4, F_GETFL) = 0x2 (flags O_RDWR)
           +0 fcntl(4, F_SETFL, O_RDWR|O_NONBLOCK) = 0
           +0 read(4, ..., 1000) = -1 EAGAIN (Resource temporarily unavailable)
           +0 ioctl(4, SIOCINQ, [0]) = 0
           +0 < P. 1:101(100) ack 1 win 257
           +0 > . 1:1(0) ack 101
           +0 ioctl(4, SIOCINQ, [100]) = 0
           +0 read(4, ..., 1000) = 100
           +0 < R. 101:101(0) ack 1 win 257
           +0 read(4, ..., 1000) = -1 ECONNRESET (Connection reset by peer)
           +0 write(4, ..., 1000) = -1 EPIPE (Broken pipe)
        """)
        #expect(status == 0, "\(output)")
    }

    @Test func activeSideErrnoValues() {
        let (status, output) = runOnToyStack("errno_client.pkt", """
            0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
           +0 read(3, ..., 10) = -1 ENOTCONN (Transport endpoint is not connected)
           +0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0
           +0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)
           +0 > S 0:0(0) <...>
           +0 connect(3, ..., ...) = -1 EALREADY (Operation already in progress)
          +.1 < S. 0:0(0) ack 1 win 65535 <mss 1460>
           +0 > . 1:1(0) ack 1
           +0 getsockopt(3, SOL_SOCKET, SO_ERROR, [0], [4]) = 0
           +0 connect(3, ..., ...) = 0
           +0 connect(3, ..., ...) = -1 EISCONN (Transport endpoint is already connected)
           +0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 4
           +0...0.1 connect(4, ..., ...) = -1 ECONNREFUSED (Connection refused)
           +0 > S 0:0(0) <...>
          +.1 < R. 0:0(0) ack 1 win 0
        """)
        #expect(status == 0, "\(output)")
    }

    @Test func readDuringAndAfterANonBlockingConnect() {
        // The script never calls connect again: the socket is readable once the handshake is done.
        let (status, output) = runOnToyStack("nbread.pkt", """
            0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
           +0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0
           +0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)
           +0 > S 0:0(0) <...>
           +0 read(3, ..., 100) = -1 EAGAIN (Resource temporarily unavailable)
          +.1 < S. 0:0(0) ack 1 win 65535 <mss 1460>
           +0 > . 1:1(0) ack 1
           +0 read(3, ..., 100) = -1 EAGAIN (Resource temporarily unavailable)
           +0 < P. 1:101(100) ack 1 win 65535
           +0 read(3, ..., 100) = 100
        """)
        #expect(status == 0, "\(output)")
    }

    @Test func blockingAcceptReadAndRetransmissionInVirtualTime() {
        // accept blocks 0.2 s, read 3 s, then the SYN-ACK... and a 1 s initial RTO retransmits the
        // data twice (1 s, then 2 s later): 6 s of script time, no sleeping, exact times.
        let (status, output) = runOnToyStack("blocking.pkt", """
            0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
           +0 bind(3, ..., ...) = 0
           +0 listen(3, 1) = 0
           +0...0.2 accept(3, ..., ...) = 4
          +.1 < S 0:0(0) win 32792 <mss 1000,nop,wscale 7>
           +0 > S. 0:0(0) ack 1 <mss 1460,nop,wscale 8>
          +.1 < . 1:1(0) ack 1 win 257
           +0...3 read(4, ..., 1000) = 1000
           +3 < P. 1:1001(1000) ack 1 win 257
           +0 > . 1:1(0) ack 1001
           +0 write(4, ..., 100) = 100
           +0 > P. 1:101(100) ack 1001
          +.3 > P. 1:101(100) ack 1001
          +.6 > P. 1:101(100) ack 1001
        """)
        #expect(status == 0, "\(output)")
    }

    @Test func aConnectionResetInTheAcceptQueueIsStillAccepted() {
        // As Linux: accept returns it, its first read reports the reset, the next one end of stream.
        let (status, output) = runOnToyStack("reset_in_queue.pkt", """
            0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
           +0 bind(3, ..., ...) = 0
           +0 listen(3, 1) = 0
           +0 < S 0:0(0) win 32792 <mss 1000,nop,wscale 7>
           +0 > S. 0:0(0) ack 1 <mss 1460,nop,wscale 8>
          +.1 < . 1:1(0) ack 1 win 257
          +.1 < R. 1:1(0) ack 1 win 257
           +0 poll([{fd=3, events=POLLIN, revents=POLLIN}], 1, 0) = 1
           +0 accept(3, ..., ...) = 4
           +0 read(4, ..., 1000) = -1 ECONNRESET (Connection reset by peer)
           +0 read(4, ..., 1000) = 0
           +0 write(4, ..., 10) = -1 EPIPE (Broken pipe)
           +0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0
           +0 accept(3, ..., ...) = -1 EAGAIN (Resource temporarily unavailable)
        """)
        #expect(status == 0, "\(output)")
    }

    @Test func recvmsgWithTCPInqAndSendmsgWithIovecs() {
        // TCP_CM_INQ: the bytes left after the call; 1 once they are all read and the FIN has come.
        // (The kernel delays the ACK of the FIN, Linux's pingpong mode: toytcp-expected.txt's basic_server.)
        let (status, output) = runOnToyStack("msg.pkt", """
            0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
           +0 bind(3, ..., ...) = 0
           +0 listen(3, 1) = 0
           +0 < S 0:0(0) win 32792 <mss 1000,nop,wscale 7>
           +0 > S. 0:0(0) ack 1 <mss 1460,nop,wscale 8>
          +.1 < . 1:1(0) ack 1 win 257
           +0 accept(3, ..., ...) = 4
           +0 setsockopt(4, SOL_TCP, TCP_INQ, [1], 4) = 0
           +0 < P. 1:501(500) ack 1 win 257
           +0 > . 1:1(0) ack 501
           +0 recvmsg(4, {msg_name(...)=..., msg_iov(1)=[{..., 150}], msg_flags=0, msg_control=[{cmsg_level=SOL_TCP, cmsg_type=TCP_CM_INQ, cmsg_data=350}]}, 0) = 150
           +0 < F. 501:501(0) ack 1 win 257
           +0 > . 1:1(0) ack 502
           +0 recvmsg(4, {msg_name(...)=..., msg_iov(1)=[{..., 1000}], msg_flags=0, msg_control=[{cmsg_level=SOL_TCP, cmsg_type=TCP_CM_INQ, cmsg_data=1}]}, 0) = 350
           +0 sendmsg(4, {msg_name(...)=..., msg_iov(3)=[{..., 10}, {..., 0}, {..., 20}], msg_flags=0}, 0) = 30
           +0 > P. 1:31(30) ack 502
        """)
        #expect(status == 0, "\(output)")
        // A wrong TCP_CM_INQ value is reported with both values.
        let (status2, output2) = runOnToyStack("msg2.pkt", """
            0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
           +0 bind(3, ..., ...) = 0
           +0 listen(3, 1) = 0
           +0 < S 0:0(0) win 32792 <mss 1000,nop,wscale 7>
           +0 > S. 0:0(0) ack 1 <mss 1460,nop,wscale 8>
          +.1 < . 1:1(0) ack 1 win 257
           +0 accept(3, ..., ...) = 4
           +0 setsockopt(4, SOL_TCP, TCP_INQ, [1], 4) = 0
           +0 < P. 1:501(500) ack 1 win 257
           +0 recvmsg(4, {msg_name(...)=..., msg_iov(1)=[{..., 100}], msg_flags=0, msg_control=[{cmsg_level=SOL_TCP, cmsg_type=TCP_CM_INQ, cmsg_data=7}]}, 0) = 100
        """)
        #expect(status2 == 1)
        #expect(output2.contains("cmsg_data: expected 7 vs actual 400"), "\(output2)")
    }

    @Test func corkHoldsPartialSegmentsUntilUncorkedOrNodelay() {
        let (status, output) = runOnToyStack("cork.pkt", """
            0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
           +0 bind(3, ..., ...) = 0
           +0 listen(3, 1) = 0
           +0 < S 0:0(0) win 32792 <mss 1000,nop,wscale 7>
           +0 > S. 0:0(0) ack 1 <mss 1460,nop,wscale 8>
          +.01 < . 1:1(0) ack 1 win 257
           +0 accept(3, ..., ...) = 4
           +0 setsockopt(4, SOL_TCP, TCP_CORK, [1], 4) = 0
           +0 getsockopt(4, SOL_TCP, TCP_CORK, [1], [4]) = 0
           +0 write(4, ..., 40) = 40
          +.05 write(4, ..., 40) = 40
          +.01 setsockopt(4, SOL_TCP, TCP_CORK, [0], 4) = 0
           +0 > P. 1:81(80) ack 1
          +.01 < . 1:1(0) ack 81 win 257
           +0 setsockopt(4, SOL_TCP, TCP_CORK, [1], 4) = 0
           +0 write(4, ..., 40) = 40
          +.05 setsockopt(4, SOL_TCP, TCP_NODELAY, [1], 4) = 0
           +0 > P. 81:121(40) ack 1
        """)
        #expect(status == 0, "\(output)")
    }

    @Test func tcpInfoHasTheEnginesValuesAndNamesTheOnesItLacks() {
        // Peer window 1000 and MSS 1000: of 3000 bytes, one segment goes and 2000 wait (notsent).
        // (The kernel sends 500: it bounds segments to half the peer's largest window, tcp_bound_to_half_wnd.)
        let (status, output) = runOnToyStack("info.pkt", """
            0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
           +0 bind(3, ..., ...) = 0
           +0 listen(3, 1) = 0
           +0 < S 0:0(0) win 1000 <mss 1000>
           +0 > S. 0:0(0) ack 1 <mss 1460>
          +.1 < . 1:1(0) ack 1 win 1000
           +0 accept(3, ..., ...) = 4
           +0 write(4, ..., 3000) = 3000
           +0 > . 1:1001(1000) ack 1
           +0 %{ assert (tcpi_state, tcpi_snd_mss, tcpi_advmss, tcpi_snd_wnd, tcpi_notsent_bytes) == (1, 1000, 1460, 1000, 2000), (tcpi_state, tcpi_snd_mss, tcpi_advmss, tcpi_snd_wnd, tcpi_notsent_bytes) }%
        """)
        #expect(status == 0, "\(output)")
        let (status2, output2) = runOnToyStack("info2.pkt", """
            0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
           +0 bind(3, ..., ...) = 0
           +0 listen(3, 1) = 0
           +0 < S 0:0(0) win 1000 <mss 1000>
           +0 > S. 0:0(0) ack 1 <mss 1460>
          +.1 < . 1:1(0) ack 1 win 1000
           +0 accept(3, ..., ...) = 4
           +0 %{ assert tcpi_unacked == 0 }%
        """)
        #expect(status2 == 1)
        #expect(output2.contains("NameError: name 'tcpi_unacked' is not defined"), "\(output2)")
    }

    @Test func epollReportsTheSameReadinessAsPollLevelTriggered() {
        let (status, output) = runOnToyStack("epoll.pkt", """
            0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
           +0 bind(3, ..., ...) = 0
           +0 listen(3, 1) = 0
           +0 epoll_create(1) = 4
           +0 epoll_ctl(4, EPOLL_CTL_ADD, 3, {events=EPOLLIN, fd=3}) = 0
           +0 epoll_ctl(4, EPOLL_CTL_ADD, 3, {events=EPOLLIN, fd=3}) = -1 EEXIST (File exists)
           +0 epoll_wait(4, {events=0, ptr=0}, 1, 0) = 0
           +0...0.1 epoll_wait(4, {events=EPOLLIN, fd=3}, 1, -1) = 1
           +0 < S 0:0(0) win 32792 <mss 1000,nop,wscale 7>
           +0 > S. 0:0(0) ack 1 <mss 1460,nop,wscale 8>
          +.1 < . 1:1(0) ack 1 win 257
           +0 accept(3, ..., ...) = 5
           +0 epoll_ctl(4, EPOLL_CTL_DEL, 3, {events=EPOLLIN, fd=3}) = 0
           +0 epoll_ctl(4, EPOLL_CTL_DEL, 3, {events=EPOLLIN, fd=3}) = -1 ENOENT (No such file or directory)
           +0 epoll_ctl(4, EPOLL_CTL_ADD, 5, {events=EPOLLIN|EPOLLONESHOT, fd=5}) = 0
           +0 epoll_wait(4, {events=0, ptr=0}, 1, 50) = 0
           +0 < P. 1:101(100) ack 1 win 257
           +0 > . 1:1(0) ack 101
           +0 epoll_wait(4, {events=EPOLLIN, fd=5}, 1, 0) = 1
           +0 epoll_wait(4, {events=0, ptr=0}, 1, 0) = 0
           +0 epoll_ctl(4, EPOLL_CTL_MOD, 5, {events=EPOLLIN|EPOLLOUT, fd=5}) = 0
           +0 epoll_wait(4, {events=EPOLLIN|EPOLLOUT, fd=5}, 1, 0) = 1
           +0 epoll_wait(4, {events=EPOLLIN|EPOLLOUT, fd=5}, 1, 0) = 1
           +0 close(4) = 0
           +0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 4
        """)
        #expect(status == 0, "\(output)")
        // Edge-triggered: once when added, then once per wake-up (new data), not while data waits.
        let (status2, output2) = runOnToyStack("epoll_et.pkt", """
            0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
           +0 bind(3, ..., ...) = 0
           +0 listen(3, 1) = 0
           +0 < S 0:0(0) win 32792 <mss 1000,nop,wscale 7>
           +0 > S. 0:0(0) ack 1 <mss 1460,nop,wscale 8>
          +.1 < . 1:1(0) ack 1 win 257
           +0 accept(3, ..., ...) = 4
           +0 epoll_create(1) = 5
           +0 epoll_ctl(5, EPOLL_CTL_ADD, 4, {events=EPOLLIN|EPOLLOUT|EPOLLET, fd=4}) = 0
           +0 epoll_wait(5, {events=EPOLLOUT, fd=4}, 1, 0) = 1
           +0 epoll_wait(5, {events=0, ptr=0}, 1, 0) = 0
           +0 < P. 1:101(100) ack 1 win 257
           +0 > . 1:1(0) ack 101
           +0 epoll_wait(5, {events=EPOLLIN|EPOLLOUT, fd=4}, 1, 0) = 1
           +0 epoll_wait(5, {events=0, ptr=0}, 1, 0) = 0
           +0 < P. 101:201(100) ack 1 win 257
           +0 > . 1:1(0) ack 201
           +0 epoll_wait(5, {events=EPOLLIN|EPOLLOUT, fd=4}, 1, 0) = 1
           +0 epoll_wait(5, {events=0, ptr=0}, 1, 0) = 0
        """)
        #expect(status2 == 0, "\(output2)")
    }

    @Test func msgZerocopyCompletionsComeThroughTheErrorQueue() {
        // Ids 0 and 1 complete before the first read: one notification [0, 1]; a plain write takes no
        // id; the queue is empty (EAGAIN) until a send is acknowledged, and POLLERR says it is not.
        let (status, output) = runOnToyStack("zerocopy.pkt", """
            0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
           +0 setsockopt(3, SOL_SOCKET, SO_ZEROCOPY, [1], 4) = 0
           +0 bind(3, ..., ...) = 0
           +0 listen(3, 1) = 0
           +0 < S 0:0(0) win 32792 <mss 1000,nop,wscale 7>
           +0 > S. 0:0(0) ack 1 <mss 1460,nop,wscale 8>
          +.1 < . 1:1(0) ack 1 win 257
           +0 accept(3, ..., ...) = 4
           +0 recvmsg(4, {msg_name(...)=..., msg_iov(1)=[{..., 0}], msg_flags=MSG_ERRQUEUE, msg_control=[]}, MSG_ERRQUEUE) = -1 EAGAIN (Resource temporarily unavailable)
           +0 send(4, ..., 1000, MSG_ZEROCOPY) = 1000
           +0 > P. 1:1001(1000) ack 1
           +0 recvmsg(4, {msg_name(...)=..., msg_iov(1)=[{..., 0}], msg_flags=MSG_ERRQUEUE, msg_control=[]}, MSG_ERRQUEUE) = -1 EAGAIN (Resource temporarily unavailable)
           +0 poll([{fd=4, events=POLLIN, revents=0}], 1, 0) = 0
           +0 < . 1:1(0) ack 1001 win 257
           +0 write(4, ..., 1000) = 1000
           +0 > P. 1001:2001(1000) ack 1
           +0 < . 1:1(0) ack 2001 win 257
           +0 send(4, ..., 1000, MSG_ZEROCOPY) = 1000
           +0 > P. 2001:3001(1000) ack 1
           +0 < . 1:1(0) ack 3001 win 257
           +0 poll([{fd=4, events=POLLIN, revents=POLLERR}], 1, 0) = 1
           +0 recvmsg(4, {msg_name(...)=..., msg_iov(1)=[{..., 0}], msg_flags=MSG_ERRQUEUE, msg_control=[{cmsg_level=CMSG_LEVEL_IP, cmsg_type=CMSG_TYPE_RECVERR, cmsg_data={ee_errno=0, ee_origin=SO_EE_ORIGIN_ZEROCOPY, ee_type=0, ee_code=SO_EE_CODE_ZEROCOPY_COPIED, ee_info=0, ee_data=1}}]}, MSG_ERRQUEUE) = 0
           +0 recvmsg(4, {msg_name(...)=..., msg_iov(1)=[{..., 0}], msg_flags=MSG_ERRQUEUE, msg_control=[]}, MSG_ERRQUEUE) = -1 EAGAIN (Resource temporarily unavailable)
           +0 send(4, ..., 1000, MSG_ZEROCOPY) = 1000
           +0 > P. 3001:4001(1000) ack 1
           +0 < . 1:1(0) ack 4001 win 257
           +0 recvmsg(4, {msg_name(...)=..., msg_iov(1)=[{..., 0}], msg_flags=MSG_ERRQUEUE, msg_control=[{cmsg_level=CMSG_LEVEL_IP, cmsg_type=CMSG_TYPE_RECVERR, cmsg_data={ee_errno=0, ee_origin=SO_EE_ORIGIN_ZEROCOPY, ee_type=0, ee_code=SO_EE_CODE_ZEROCOPY_COPIED, ee_info=2, ee_data=2}}]}, MSG_ERRQUEUE) = 0
        """)
        #expect(status == 0, "\(output)")
    }

    @Test func transmitTimestampsInVirtualTime() {
        // OPT_ID counts from the first byte written after it was set (the 100 before do not count);
        // the last byte of the write is stamped when sent (SCHED, SND) and when acknowledged (ACK).
        let (status, output) = runOnToyStack("stamps.pkt", """
            0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
           +0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0
           +0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)
           +0 > S 0:0(0) <...>
         +.01 < S. 0:0(0) ack 1 win 20000 <mss 1000,nop,nop,sackOK>
           +0 > . 1:1(0) ack 1
           +0 write(3, ..., 100) = 100
           +0 > P. 1:101(100) ack 1
         +.01 < . 1:1(0) ack 101 win 20000
           +0 setsockopt(3, SOL_SOCKET, SO_TIMESTAMPING, [SOF_TIMESTAMPING_TX_SCHED | SOF_TIMESTAMPING_TX_SOFTWARE | SOF_TIMESTAMPING_TX_ACK | SOF_TIMESTAMPING_SOFTWARE | SOF_TIMESTAMPING_OPT_ID], 4) = 0
           +0 write(3, ..., 500) = 500
           +0 > P. 101:601(500) ack 1
         +.01 < . 1:1(0) ack 601 win 20000
           +0 recvmsg(3, {msg_name(...)=..., msg_iov(1)=[{..., 0}], msg_flags=MSG_ERRQUEUE|MSG_TRUNC, msg_control=[{cmsg_level=SOL_SOCKET, cmsg_type=SCM_TIMESTAMPING, cmsg_data={scm_sec=0, scm_nsec=20000000}}, {cmsg_level=CMSG_LEVEL_IP, cmsg_type=CMSG_TYPE_RECVERR, cmsg_data={ee_errno=ENOMSG, ee_origin=SO_EE_ORIGIN_TIMESTAMPING, ee_type=0, ee_code=0, ee_info=SCM_TSTAMP_SCHED, ee_data=499}}]}, MSG_ERRQUEUE) = 0
           +0 recvmsg(3, {msg_name(...)=..., msg_iov(1)=[{..., 0}], msg_flags=MSG_ERRQUEUE|MSG_TRUNC, msg_control=[{cmsg_level=SOL_SOCKET, cmsg_type=SCM_TIMESTAMPING, cmsg_data={scm_sec=0, scm_nsec=20000000}}, {cmsg_level=CMSG_LEVEL_IP, cmsg_type=CMSG_TYPE_RECVERR, cmsg_data={ee_errno=ENOMSG, ee_origin=SO_EE_ORIGIN_TIMESTAMPING, ee_type=0, ee_code=0, ee_info=SCM_TSTAMP_SND, ee_data=499}}]}, MSG_ERRQUEUE) = 0
           +0 recvmsg(3, {msg_name(...)=..., msg_iov(1)=[{..., 0}], msg_flags=MSG_ERRQUEUE|MSG_TRUNC, msg_control=[{cmsg_level=SOL_SOCKET, cmsg_type=SCM_TIMESTAMPING, cmsg_data={scm_sec=0, scm_nsec=30000000}}, {cmsg_level=CMSG_LEVEL_IP, cmsg_type=CMSG_TYPE_RECVERR, cmsg_data={ee_errno=ENOMSG, ee_origin=SO_EE_ORIGIN_TIMESTAMPING, ee_type=0, ee_code=0, ee_info=SCM_TSTAMP_ACK, ee_data=499}}]}, MSG_ERRQUEUE) = 0
           +0 recvmsg(3, {msg_name(...)=..., msg_iov(1)=[{..., 0}], msg_flags=MSG_ERRQUEUE, msg_control=[]}, MSG_ERRQUEUE) = -1 EAGAIN (Resource temporarily unavailable)
        """)
        #expect(status == 0, "\(output)")
    }

    @Test func bufferSizesChangeOnAConnectedSocket() {
        // SO_SNDBUF 1000 (2000 doubled) on an accepted socket: a non-blocking write takes 2000 bytes
        // (the kernel counts skb truesize and takes more: toytcp-expected.txt's timestamping_partial).
        let (status, output) = runOnToyStack("bufs.pkt", """
            0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
           +0 bind(3, ..., ...) = 0
           +0 listen(3, 1) = 0
           +0 < S 0:0(0) win 1000 <mss 1000>
           +0 > S. 0:0(0) ack 1 <mss 1460>
          +.1 < . 1:1(0) ack 1 win 1000
           +0 accept(3, ..., ...) = 4
           +0 setsockopt(4, SOL_SOCKET, SO_SNDBUF, [1000], 4) = 0
           +0 getsockopt(4, SOL_SOCKET, SO_SNDBUF, [2000], [4]) = 0
           +0 setsockopt(4, SOL_SOCKET, SO_RCVBUF, [30000], 4) = 0
           +0 getsockopt(4, SOL_SOCKET, SO_RCVBUF, [60000], [4]) = 0
           +0 fcntl(4, F_SETFL, O_RDWR|O_NONBLOCK) = 0
           +0 write(4, ..., 5000) = 2000
           +0 > . 1:1001(1000) ack 1
        """)
        #expect(status == 0, "\(output)")
    }

    @Test func aWrongErrnoIsReportedWithBothNames() {
        let (status, output) = runOnToyStack("wrong_errno.pkt", """
            0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
           +0 read(3, ..., 10) = -1 EAGAIN (Resource temporarily unavailable)
        """)
        #expect(status == 1)
        #expect(output.contains("wrong_errno.pkt:2: error: read(...) expected errno EAGAIN (11) but got ENOTCONN (107)"), "\(output)")
    }

    @Test func whatTheFacadeCannotDoIsReportedWithLineAndColumn() {
        let (status, output) = runOnToyStack("unsupported.pkt", """
            0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
           +0 setsockopt(3, SOL_TCP, TCP_FASTOPEN, [1], 4) = 0
           +0 pipe([5, 6]) = 0
        """)
        #expect(status == 1)
        // Checked before anything runs: the pipe line, not the setsockopt one.
        #expect(output.contains("unsupported.pkt:3:7: unsupported on toytcp: system call 'pipe'"), "\(output)")
        let (status2, output2) = runOnToyStack("unsupported2.pkt", """
            0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
           +0 setsockopt(3, SOL_TCP, TCP_FASTOPEN, [1], 4) = 0
        """)
        #expect(status2 == 1)
        #expect(output2.contains("unsupported2.pkt:2:7: unsupported on toytcp: setsockopt(SOL_TCP, TCP_FASTOPEN)"), "\(output2)")
        // A control message the stack cannot produce, before anything runs, with its column.
        let (status3, output3) = runOnToyStack("unsupported3.pkt", """
            0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
           +0 recvmsg(3, {msg_name(...)=..., msg_iov(1)=[{..., 10}], msg_flags=0, msg_control=[{cmsg_level=SOL_SOCKET, cmsg_type=SCM_TIMESTAMPING, cmsg_data=...}]}, 0) = 10
        """)
        #expect(status3 == 1)
        #expect(output3.contains("unsupported3.pkt:2:7: unsupported on toytcp: control message SOL_SOCKET, SCM_TIMESTAMPING (only SOL_TCP, TCP_CM_INQ, and the error queue's IP_RECVERR and SCM_TIMESTAMPING)"), "\(output3)")
        let (status4, output4) = runOnToyStack("unsupported4.pkt", """
            0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
           +0 recvmsg(3, {msg_name(...)=..., msg_iov(1)=[{..., 10}], msg_flags=0}, MSG_PEEK) = 10
        """)
        #expect(status4 == 1)
        #expect(output4.contains("unsupported4.pkt:2:7: unsupported on toytcp: recvmsg flags MSG_PEEK"), "\(output4)")
    }
}
