/*! \file CSystem.h
 *  \brief The one C shim of ClusterDNS: what Swift cannot reach in the system headers (macros such as CMSG_*,
 *         GNU-only calls such as recvmmsg/sendmmsg/accept4), plus libldns.
 *
 *  Why this header does NOT define _GNU_SOURCE: Swift's own Glibc module (imported by Synchronization,
 *  Foundation and Dispatch) is built without it. A Clang module that includes the same system headers with
 *  _GNU_SOURCE gets different definitions of shared types (`fd_set`'s `fds_bits`, `__rusage_who`), and every
 *  Swift file that sees both modules fails to build ("has different definitions in different modules").
 *  So the GNU-only calls are compiled in shim.c, which defines _GNU_SOURCE for itself, and are declared here
 *  with portable types only (CSystem_mmsghdr mirrors struct mmsghdr; shim.c checks the layouts match).
 *
 *  Everything lives in this one module on purpose: two C modules that include system headers with different
 *  feature macros conflict the same way.
 */
#ifndef CLUSTERDNS_CSYSTEM_H
#define CLUSTERDNS_CSYSTEM_H

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <ldns/ldns.h>

/*! \brief Current thread's errno, read right after the failing call. */
static inline int CSystem_errno(void) { return errno; }

/*! \brief CMSG_FIRSTHDR as a function (the macro does not import into Swift). */
static inline struct cmsghdr *CSystem_CMSG_FIRSTHDR(const struct msghdr *msg) { return CMSG_FIRSTHDR(msg); }
/*! \brief CMSG_NXTHDR as a function; \return NULL after the last header. */
static inline struct cmsghdr *CSystem_CMSG_NXTHDR(struct msghdr *msg, struct cmsghdr *cmsg) { return CMSG_NXTHDR(msg, cmsg); }
/*! \brief CMSG_DATA as a function. */
static inline unsigned char *CSystem_CMSG_DATA(struct cmsghdr *cmsg) { return CMSG_DATA(cmsg); }
/*! \brief CMSG_SPACE as a function. */
static inline size_t CSystem_CMSG_SPACE(size_t len) { return CMSG_SPACE(len); }
/*! \brief CMSG_LEN as a function. */
static inline size_t CSystem_CMSG_LEN(size_t len) { return CMSG_LEN(len); }

/*! \brief The 64-bit user data of an epoll_event. The struct is packed on x86-64, so Swift reads it
 *         through these accessors rather than through a possibly unaligned field. */
static inline uint64_t CSystem_epoll_event_data(const struct epoll_event *event) { return event->data.u64; }
/*! \brief The event mask of an epoll_event (see CSystem_epoll_event_data). */
static inline uint32_t CSystem_epoll_event_events(const struct epoll_event *event) { return event->events; }
/*! \brief An epoll_event with \a events and the 64-bit user data \a data. */
static inline struct epoll_event CSystem_epoll_event_make(uint32_t events, uint64_t data) {
    struct epoll_event e;
    e.events = events;
    e.data.u64 = data;
    return e;
}

/*! \brief bind(2) taking a plain sockaddr pointer (glibc may declare it with a transparent union that Swift
 *         cannot pass a pointer to). \return 0, or -1 with errno set. */
static inline int CSystem_bind(int fd, const struct sockaddr *address, socklen_t length) { return bind(fd, address, length); }
/*! \brief connect(2) with a plain sockaddr pointer. \return 0, or -1 with errno set. */
static inline int CSystem_connect(int fd, const struct sockaddr *address, socklen_t length) { return connect(fd, address, length); }
/*! \brief getsockname(2) with a plain sockaddr pointer. \return 0, or -1 with errno set. */
static inline int CSystem_getsockname(int fd, struct sockaddr *address, socklen_t *length) { return getsockname(fd, address, length); }
/*! \brief getpeername(2) with a plain sockaddr pointer. \return 0, or -1 with errno set. */
static inline int CSystem_getpeername(int fd, struct sockaddr *address, socklen_t *length) { return getpeername(fd, address, length); }
/*! \brief sendto(2) with a plain sockaddr pointer. \return bytes sent, or -1 with errno set. */
static inline ssize_t CSystem_sendto(int fd, const void *buffer, size_t length, int flags, const struct sockaddr *address, socklen_t address_length) {
    return sendto(fd, buffer, length, flags, address, address_length);
}
/*! \brief recvfrom(2) with a plain sockaddr pointer. \return bytes received, or -1 with errno set. */
static inline ssize_t CSystem_recvfrom(int fd, void *buffer, size_t length, int flags, struct sockaddr *address, socklen_t *address_length) {
    return recvfrom(fd, buffer, length, flags, address, address_length);
}

/*! \brief Sets the disposition of \a sig to "ignore" (SIG_IGN is a cast macro Swift cannot import).
 *  \return 0, or -1 with errno set (EINVAL for SIGKILL/SIGSTOP or an invalid number). */
static inline int CSystem_ignore_signal(int sig) { return signal(sig, SIG_IGN) == SIG_ERR ? -1 : 0; }

/* ---- GNU-only calls, compiled in shim.c ---- */

/*! \brief The layout of glibc's struct mmsghdr (one datagram of a recvmmsg/sendmmsg vector). */
typedef struct CSystem_mmsghdr {
    struct msghdr msg_hdr;  /*!< the message: address, data vector, ancillary data, flags */
    unsigned int msg_len;   /*!< bytes received or sent for this entry */
} CSystem_mmsghdr;

/*! \brief The layout of struct in6_pktinfo (IPV6_PKTINFO ancillary data). */
typedef struct CSystem_in6_pktinfo {
    struct in6_addr ipi6_addr;  /*!< destination of a received datagram / source of a sent one */
    unsigned int ipi6_ifindex;  /*!< interface index */
} CSystem_in6_pktinfo;

/*! \brief The MSG_WAITFORONE flag of recvmmsg (GNU-only in the headers). */
#define CSYSTEM_MSG_WAITFORONE 0x10000

/*! \brief recvmmsg(2) without a timeout.
 *  \return the number of datagrams received, or -1 with errno set (EAGAIN when none is queued).
 */
int CSystem_recvmmsg(int fd, CSystem_mmsghdr *messages, unsigned int count, int flags);

/*! \brief sendmmsg(2).
 *  \return the number of datagrams sent (possibly fewer than \a count: the entry after the last one sent
 *          failed, and sending it again reports why), or -1 with errno set for the first entry.
 */
int CSystem_sendmmsg(int fd, CSystem_mmsghdr *messages, unsigned int count, int flags);

/*! \brief accept4(2) with a plain sockaddr pointer.
 *  \return a descriptor, or -1 with errno set (EAGAIN: none pending; ECONNABORTED: one was reset in the queue;
 *          EMFILE/ENFILE/ENOBUFS/ENOMEM: out of descriptors or memory).
 */
int CSystem_accept4(int fd, struct sockaddr *address, socklen_t *length, int flags);

/*! \brief The message text of \a err (GNU strerror_r, thread-safe).
 *  \return a pointer to static text or to \a buf; never NULL.
 */
const char *CSystem_strerror(int err, char *buf, size_t len);

/*! \brief Pins the calling thread to one CPU (cpu_set_t and CPU_SET are macros Swift cannot see).
 *  \return 0, or an errno value: EINVAL when \a cpu is outside the machine's or the cgroup's CPU set.
 */
int CSystem_pin_current_thread(int cpu);

/*! \brief Names the calling thread (shown by top -H, gdb and in core dumps).
 *  \return 0, or ERANGE when \a name is longer than 15 bytes.
 */
int CSystem_name_current_thread(const char *name);

/* ---- rtnetlink, compiled in netlink.c (the node cache's interface) ---- */

/*! \brief Creates a network link named \a name of kind \a kind ("dummy", "bridge") with RTM_NEWLINK, left down.
 *  \return 0, or an errno value: EEXIST (a link of that name exists), EOPNOTSUPP (the kernel has no such
 *          link kind), EPERM (no CAP_NET_ADMIN), EINVAL (a name longer than 15 bytes).
 */
int CSystem_netlink_add_link(const char *name, const char *kind);

/*! \brief Deletes the link with index \a ifindex (RTM_DELLINK); its addresses and routes go with it.
 *  \return 0, or an errno value: ENODEV (no such link), EPERM (no CAP_NET_ADMIN).
 */
int CSystem_netlink_delete_link(unsigned int ifindex);

/*! \brief Sets the link with index \a ifindex up (RTM_NEWLINK changing IFF_UP only).
 *  \return 0, or an errno value: ENODEV, EPERM.
 */
int CSystem_netlink_set_link_up(unsigned int ifindex);

/*! \brief Adds \a address (4 octets for AF_INET, 16 for AF_INET6, network order) with \a prefix_length to the
 *         link \a ifindex (RTM_NEWADDR; IPv6 without duplicate address detection).
 *  \return 0, or an errno value: EEXIST (the link has it already), ENODEV, EPERM, EINVAL, EAFNOSUPPORT.
 */
int CSystem_netlink_add_address(unsigned int ifindex, int family, const void *address, unsigned char prefix_length);

#endif
