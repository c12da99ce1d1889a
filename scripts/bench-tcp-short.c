/* bench-tcp-short: DNS over TCP with one query per connection, the way glibc's resolver falls back to TCP
 * after a truncated UDP answer (connect, send one length-prefixed query, read the answer, close).
 * dnsperf cannot do this: its TCP mode keeps each of its -c connections open for the whole run.
 *
 *   gcc -O2 -o bench-tcp-short scripts/bench-tcp-short.c
 *   bench-tcp-short -s 127.0.0.1 -p 5300 -d queries.txt [-l SECONDS] [-c CONNECTIONS] [-t TIMEOUT]
 *
 * Keeps CONNECTIONS (16) connections in flight on one epoll loop, each asking the next line of the query
 * file ("name TYPE", dnsperf's format). The client closes after reading the answer, as glibc does, so the
 * client side holds the TIME_WAIT (Linux reuses those ports for new loopback connections, tcp_tw_reuse=2).
 * Prints dnsperf's summary lines (Queries sent/completed/lost, Queries per second) for the same parser.
 * Used by scripts/bench-peers.py; loopback only by intent, nothing here limits the rate.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct query { unsigned char wire[300]; int length; };
struct slot { int fd; int query; int received; double started; unsigned char answer[4096]; };

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int qtype(const char *text) {
    static const struct { const char *name; int value; } types[] = {
        {"A", 1}, {"NS", 2}, {"CNAME", 5}, {"SOA", 6}, {"PTR", 12}, {"MX", 15}, {"TXT", 16}, {"AAAA", 28}, {"SRV", 33},
    };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcasecmp(text, types[i].name) == 0) return types[i].value;
    return -1;
}

/* Encodes "name TYPE" as a 2-byte length prefix and a query with RD set; returns 0 on a line it cannot use. */
static int encode(const char *name, const char *type, struct query *q) {
    int t = qtype(type);
    if (t < 0) return 0;
    unsigned char *p = q->wire + 2;
    static const unsigned char header[12] = {0, 0, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
    memcpy(p, header, sizeof header);
    p += sizeof header;
    const char *label = name;
    while (*label && !(label[0] == '.' && label[1] == 0)) {
        const char *dot = strchr(label, '.');
        size_t n = dot ? (size_t)(dot - label) : strlen(label);
        if (n == 0 || n > 63 || (p - q->wire) + n + 8 > sizeof q->wire) return 0;
        *p++ = (unsigned char)n;
        memcpy(p, label, n);
        p += n;
        if (!dot) break;
        label = dot + 1;
    }
    *p++ = 0;
    *p++ = (unsigned char)(t >> 8); *p++ = (unsigned char)t;
    *p++ = 0; *p++ = 1;
    q->length = (int)(p - q->wire);
    q->wire[0] = (unsigned char)((q->length - 2) >> 8);
    q->wire[1] = (unsigned char)(q->length - 2);
    return 1;
}

static struct query *queries;
static int query_count, next_query;
static struct sockaddr_in server;
static int epfd;
static unsigned long sent, completed, lost, failed;

static void finish(struct slot *s) {
    epoll_ctl(epfd, EPOLL_CTL_DEL, s->fd, NULL);
    close(s->fd);
    s->fd = -1;
}

static void start(struct slot *s) {
    s->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s->fd < 0) { perror("socket"); exit(1); }
    int one = 1;
    setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    s->query = next_query;
    next_query = (next_query + 1) % query_count;
    s->received = 0;
    s->started = now();
    struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = s};
    int r = connect(s->fd, (struct sockaddr *)&server, sizeof server);
    if (r < 0 && errno != EINPROGRESS) { failed++; close(s->fd); s->fd = -1; return; }
    epoll_ctl(epfd, EPOLL_CTL_ADD, s->fd, &ev);
}

int main(int argc, char **argv) {
    const char *host = "127.0.0.1", *file = NULL;
    int port = 53, connections = 16, opt;
    double seconds = 10, timeout = 2;
    while ((opt = getopt(argc, argv, "s:p:d:l:c:t:")) != -1) {
        switch (opt) {
        case 's': host = optarg; break;
        case 'p': port = atoi(optarg); break;
        case 'd': file = optarg; break;
        case 'l': seconds = atof(optarg); break;
        case 'c': connections = atoi(optarg); break;
        case 't': timeout = atof(optarg); break;
        default: fprintf(stderr, "usage: %s -s HOST -p PORT -d FILE [-l S] [-c N] [-t S]\n", argv[0]); return 2;
        }
    }
    if (!file || connections < 1 || connections > 10000 || port < 1 || port > 65535) {
        fprintf(stderr, "usage: %s -s HOST -p PORT -d FILE [-l S] [-c N] [-t S]\n", argv[0]);
        return 2;
    }
    FILE *f = fopen(file, "r");
    if (!f) { perror(file); return 1; }
    char line[512], name[300], type[16];
    int capacity = 1024;
    queries = malloc(sizeof *queries * (size_t)capacity);
    while (queries && fgets(line, sizeof line, f)) {
        if (sscanf(line, "%299s %15s", name, type) != 2) continue;
        if (query_count == capacity) {
            capacity *= 2;
            struct query *grown = realloc(queries, sizeof *queries * (size_t)capacity);
            if (!grown) { fprintf(stderr, "out of memory\n"); return 1; }
            queries = grown;
        }
        if (encode(name, type, &queries[query_count])) query_count++;
    }
    fclose(f);
    if (!queries || query_count == 0) { fprintf(stderr, "%s: no usable `name TYPE` lines\n", file); return 1; }
    server.sin_family = AF_INET;
    server.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &server.sin_addr) != 1) { fprintf(stderr, "bad address %s\n", host); return 2; }
    epfd = epoll_create1(EPOLL_CLOEXEC);
    struct slot *slots = calloc((size_t)connections, sizeof *slots);
    if (epfd < 0 || !slots) { perror("setup"); return 1; }
    double begin = now(), end = begin + seconds;
    for (int i = 0; i < connections; i++) start(&slots[i]);
    struct epoll_event events[256];
    for (;;) {
        double t = now();
        if (t >= end) break;
        int n = epoll_wait(epfd, events, 256, 100);
        for (int i = 0; i < n; i++) {
            struct slot *s = events[i].data.ptr;
            if (s->fd < 0) continue;
            if (events[i].events & EPOLLOUT) {
                int error = 0;
                socklen_t len = sizeof error;
                getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &error, &len);
                struct query *q = &queries[s->query];
                if (error || send(s->fd, q->wire, (size_t)q->length, MSG_NOSIGNAL) != q->length) {
                    failed++; finish(s); start(s); continue;
                }
                sent++;
                struct epoll_event ev = {.events = EPOLLIN, .data.ptr = s};
                epoll_ctl(epfd, EPOLL_CTL_MOD, s->fd, &ev);
            } else if (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
                ssize_t r = recv(s->fd, s->answer + s->received, sizeof s->answer - (size_t)s->received, 0);
                if (r <= 0) {
                    if (r < 0 && errno == EAGAIN) continue;
                    failed++; finish(s); start(s); continue;
                }
                s->received += (int)r;
                if (s->received >= 2) {
                    int want = 2 + (s->answer[0] << 8 | s->answer[1]);
                    if (s->received >= want || s->received == (int)sizeof s->answer) {
                        completed++; finish(s); start(s);
                    }
                }
            }
        }
        /* Connections that waited too long count as lost and make room for new ones. */
        t = now();
        for (int i = 0; i < connections; i++) {
            if (slots[i].fd >= 0 && t - slots[i].started > timeout) { lost++; finish(&slots[i]); start(&slots[i]); }
            else if (slots[i].fd < 0) start(&slots[i]);
        }
    }
    double elapsed = now() - begin;
    printf("  Queries sent:         %lu\n", sent);
    printf("  Queries completed:    %lu\n", completed);
    printf("  Queries lost:         %lu\n", lost + failed);
    printf("  Connections failed:   %lu\n", failed);
    printf("  Queries per second:   %f\n", (double)completed / elapsed);
    return 0;
}
