/* Translation unit for the CSystem module: the GNU-only calls declared in CSystem.h.
 * _GNU_SOURCE is defined here, for this file only (see the header for why not in the header). */
#define _GNU_SOURCE 1
#include <sched.h>
#include <stddef.h>
#include <sys/socket.h>
#include "CSystem.h"

_Static_assert(sizeof(CSystem_mmsghdr) == sizeof(struct mmsghdr), "CSystem_mmsghdr must mirror struct mmsghdr");
_Static_assert(offsetof(CSystem_mmsghdr, msg_len) == offsetof(struct mmsghdr, msg_len), "msg_len offset");
_Static_assert(sizeof(CSystem_in6_pktinfo) == sizeof(struct in6_pktinfo), "CSystem_in6_pktinfo must mirror in6_pktinfo");
_Static_assert(CSYSTEM_MSG_WAITFORONE == MSG_WAITFORONE, "MSG_WAITFORONE");

int CSystem_recvmmsg(int fd, CSystem_mmsghdr *messages, unsigned int count, int flags) {
    return recvmmsg(fd, (struct mmsghdr *)messages, count, flags, NULL);
}

int CSystem_sendmmsg(int fd, CSystem_mmsghdr *messages, unsigned int count, int flags) {
    return sendmmsg(fd, (struct mmsghdr *)messages, count, flags);
}

int CSystem_accept4(int fd, struct sockaddr *address, socklen_t *length, int flags) {
    return accept4(fd, address, length, flags);
}

const char *CSystem_strerror(int err, char *buf, size_t len) { return strerror_r(err, buf, len); }

int CSystem_pin_current_thread(int cpu) {
    if (cpu < 0 || cpu >= CPU_SETSIZE) return EINVAL;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

int CSystem_name_current_thread(const char *name) { return pthread_setname_np(pthread_self(), name); }
