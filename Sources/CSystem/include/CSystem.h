/*! \file CSystem.h
 *  \brief The one C shim of ClusterDNS: every system header the Swift code needs that Glibc's
 *         Swift module does not expose (recvmmsg/sendmmsg need _GNU_SOURCE), plus libldns.
 *
 *  All of them live in one module on purpose: two C modules that include system headers with
 *  different feature macros make Clang report conflicting definitions (`fd_set`).
 */
#ifndef CLUSTERDNS_CSYSTEM_H
#define CLUSTERDNS_CSYSTEM_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
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

#endif
