/* Translation unit for the rtnetlink calls declared in CSystem.h (the node cache's interface).
 *
 * Each call opens a NETLINK_ROUTE socket, sends one request with NLM_F_ACK, waits for the kernel's
 * acknowledgement and closes the socket: these run once a minute at most, off the DNS data path, so
 * there is nothing to gain from keeping a socket open. The linux/ headers are included here only,
 * not in CSystem.h: <linux/if.h> and glibc's <net/if.h> (which the header includes) conflict. */
#define _GNU_SOURCE 1
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include "CSystem.h"

/* One request: the netlink header, the family header and room for a few attributes. */
struct nl_request {
    struct nlmsghdr header;
    union {
        struct ifinfomsg link;
        struct ifaddrmsg address;
    } body;
    char attributes[256];
};

/* Appends attribute (type, data) to the request; returns a pointer to it (for nesting), or NULL when
 * it does not fit (a caller bug: the sizes used here are fixed and small). */
static struct rtattr *append_attribute(struct nl_request *request, unsigned short type, const void *data, size_t length) {
    size_t total = NLMSG_ALIGN(request->header.nlmsg_len) + RTA_SPACE(length);
    if (total > sizeof *request) return NULL;
    struct rtattr *attribute = (struct rtattr *)((char *)request + NLMSG_ALIGN(request->header.nlmsg_len));
    attribute->rta_type = type;
    attribute->rta_len = (unsigned short)RTA_LENGTH(length);
    if (length > 0) memcpy(RTA_DATA(attribute), data, length);
    request->header.nlmsg_len = (unsigned int)total;
    return attribute;
}

/* Sends the request and reads the kernel's acknowledgement.
 * \return 0, or the errno value the kernel (or a socket call) reported. */
static int transact(struct nl_request *request) {
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0) return errno;
    request->header.nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
    request->header.nlmsg_seq = 1;
    struct sockaddr_nl kernel;
    memset(&kernel, 0, sizeof kernel);
    kernel.nl_family = AF_NETLINK;
    ssize_t sent;
    do {
        sent = sendto(fd, request, request->header.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof kernel);
    } while (sent < 0 && errno == EINTR);
    if (sent < 0) {
        int error = errno;
        close(fd);
        return error;
    }
    char buffer[8192] __attribute__((aligned(4)));
    for (;;) {
        ssize_t received = recv(fd, buffer, sizeof buffer, 0);
        if (received < 0) {
            if (errno == EINTR) continue;
            int error = errno;
            close(fd);
            return error;
        }
        if (received == 0) break;
        int remaining = (int)received;
        for (struct nlmsghdr *h = (struct nlmsghdr *)buffer; NLMSG_OK(h, remaining); h = NLMSG_NEXT(h, remaining)) {
            if (h->nlmsg_type == NLMSG_ERROR) {
                const struct nlmsgerr *answer = (const struct nlmsgerr *)NLMSG_DATA(h);
                close(fd);
                return -answer->error;
            }
            if (h->nlmsg_type == NLMSG_DONE) {
                close(fd);
                return 0;
            }
        }
    }
    close(fd);
    return EIO;
}

int CSystem_netlink_add_link(const char *name, const char *kind) {
    size_t nameLength = strlen(name);
    size_t kindLength = strlen(kind);
    if (nameLength == 0 || nameLength >= IFNAMSIZ || kindLength == 0 || kindLength > 32) return EINVAL;
    struct nl_request request;
    memset(&request, 0, sizeof request);
    request.header.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
    request.header.nlmsg_type = RTM_NEWLINK;
    request.header.nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
    request.body.link.ifi_family = AF_UNSPEC;
    if (!append_attribute(&request, IFLA_IFNAME, name, nameLength + 1)) return EINVAL;
    struct rtattr *info = append_attribute(&request, IFLA_LINKINFO, NULL, 0);
    if (!info) return EINVAL;
    if (!append_attribute(&request, IFLA_INFO_KIND, kind, kindLength)) return EINVAL;
    info->rta_len = (unsigned short)((char *)&request + request.header.nlmsg_len - (char *)info);
    return transact(&request);
}

int CSystem_netlink_delete_link(unsigned int ifindex) {
    if (ifindex == 0) return ENODEV;
    struct nl_request request;
    memset(&request, 0, sizeof request);
    request.header.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
    request.header.nlmsg_type = RTM_DELLINK;
    request.body.link.ifi_family = AF_UNSPEC;
    request.body.link.ifi_index = (int)ifindex;
    return transact(&request);
}

int CSystem_netlink_set_link_up(unsigned int ifindex) {
    if (ifindex == 0) return ENODEV;
    struct nl_request request;
    memset(&request, 0, sizeof request);
    request.header.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
    request.header.nlmsg_type = RTM_NEWLINK;
    request.body.link.ifi_family = AF_UNSPEC;
    request.body.link.ifi_index = (int)ifindex;
    request.body.link.ifi_flags = IFF_UP;
    request.body.link.ifi_change = IFF_UP;
    return transact(&request);
}

int CSystem_netlink_add_address(unsigned int ifindex, int family, const void *address, unsigned char prefix_length) {
    if (ifindex == 0) return ENODEV;
    size_t length;
    if (family == AF_INET) {
        length = 4;
        if (prefix_length > 32) return EINVAL;
    } else if (family == AF_INET6) {
        length = 16;
        if (prefix_length > 128) return EINVAL;
    } else {
        return EAFNOSUPPORT;
    }
    struct nl_request request;
    memset(&request, 0, sizeof request);
    request.header.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg));
    request.header.nlmsg_type = RTM_NEWADDR;
    request.header.nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
    request.body.address.ifa_family = (unsigned char)family;
    request.body.address.ifa_prefixlen = prefix_length;
    request.body.address.ifa_scope = RT_SCOPE_UNIVERSE;
    request.body.address.ifa_index = ifindex;
    /* No duplicate address detection: the address is this node's own and answers nothing on a wire. */
    if (family == AF_INET6) request.body.address.ifa_flags = IFA_F_NODAD;
    if (!append_attribute(&request, IFA_LOCAL, address, length)) return EINVAL;
    if (!append_attribute(&request, IFA_ADDRESS, address, length)) return EINVAL;
    return transact(&request);
}
