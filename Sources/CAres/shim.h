// c-ares (Debian's libc-ares-dev 1.18) for Swift. A query's answer arrives through a C callback while the
// caller turns c-ares' event loop over its sockets; both are C-shaped, so one blocking query is written here
// in C, and Swift parses the answer with c-ares' own parsers.
#ifndef SEEK_CARES_SHIM_H
#define SEEK_CARES_SHIM_H

#include <ares.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

/// The record types Seek asks for (glibc's T_ macros do not reach Swift).
enum { SEEK_DNS_A = 1, SEEK_DNS_MX = 15, SEEK_DNS_AAAA = 28 };

typedef struct {
    int status;
    unsigned char *answer;
    int length;
} seek_dns_answer;

static void seek_dns_answered(void *arg, int status, int timeouts, unsigned char *abuf, int alen) {
    (void)timeouts;
    seek_dns_answer *out = (seek_dns_answer *)arg;
    out->status = status;
    if (status == ARES_SUCCESS && abuf && alen > 0) {
        out->answer = (unsigned char *)malloc((size_t)alen);
        if (out->answer) {
            memcpy(out->answer, abuf, (size_t)alen);
            out->length = alen;
        }
    }
}

/// One query of class IN and `type`, blocking until it is answered or has timed out `tries` times.
/// `servers` is "host:port,…", or NULL for the system's resolv.conf. The answer is the caller's to free.
static inline seek_dns_answer seek_dns_query(const char *name, int type, const char *servers, int timeout_ms, int tries) {
    seek_dns_answer out = {ARES_ETIMEOUT, NULL, 0};
    ares_channel channel;
    struct ares_options options;
    memset(&options, 0, sizeof options);
    options.timeout = timeout_ms;
    options.tries = tries;
    if (ares_init_options(&channel, &options, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES) != ARES_SUCCESS) {
        out.status = ARES_ENOMEM;
        return out;
    }
    if (servers && ares_set_servers_ports_csv(channel, servers) != ARES_SUCCESS) {
        ares_destroy(channel);
        out.status = ARES_EBADSTR;
        return out;
    }
    ares_query(channel, name, C_IN, type, seek_dns_answered, &out);
    for (;;) {
        ares_socket_t sockets[ARES_GETSOCK_MAXNUM];
        int bits = ares_getsock(channel, sockets, ARES_GETSOCK_MAXNUM);
        struct pollfd fds[ARES_GETSOCK_MAXNUM];
        int count = 0;
        for (int i = 0; i < ARES_GETSOCK_MAXNUM; i++) {
            short events = 0;
            if (ARES_GETSOCK_READABLE(bits, i)) events |= POLLIN;
            if (ARES_GETSOCK_WRITABLE(bits, i)) events |= POLLOUT;
            if (events) {
                fds[count].fd = sockets[i];
                fds[count].events = events;
                fds[count].revents = 0;
                count++;
            }
        }
        if (count == 0) break; /* the callback has run */
        struct timeval tv;
        struct timeval *next = ares_timeout(channel, NULL, &tv);
        int wait = next ? (int)(next->tv_sec * 1000 + next->tv_usec / 1000) : 1000;
        if (poll(fds, (nfds_t)count, wait) <= 0) {
            ares_process_fd(channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD); /* timeouts and retries */
            continue;
        }
        for (int i = 0; i < count; i++) {
            ares_socket_t readable = (fds[i].revents & (POLLIN | POLLERR | POLLHUP)) ? fds[i].fd : ARES_SOCKET_BAD;
            ares_socket_t writable = (fds[i].revents & POLLOUT) ? fds[i].fd : ARES_SOCKET_BAD;
            if (readable != ARES_SOCKET_BAD || writable != ARES_SOCKET_BAD) ares_process_fd(channel, readable, writable);
        }
    }
    ares_destroy(channel);
    return out;
}

/// How many addresses an A or AAAA answer holds (negative: it does not parse).
static inline int seek_dns_address_count(const unsigned char *answer, int length, int type) {
    struct hostent *host = NULL;
    int status = type == T_AAAA ? ares_parse_aaaa_reply(answer, length, &host, NULL, NULL)
                                : ares_parse_a_reply(answer, length, &host, NULL, NULL);
    if (status != ARES_SUCCESS || !host) return status == ARES_ENODATA ? 0 : -1;
    int count = 0;
    while (host->h_addr_list && host->h_addr_list[count]) count++;
    ares_free_hostent(host);
    return count;
}

/// The first address of an A or AAAA answer as text, into `out`; 0 on success.
static inline int seek_dns_first_address(const unsigned char *answer, int length, int type, char *out, socklen_t size) {
    struct hostent *host = NULL;
    int status = type == T_AAAA ? ares_parse_aaaa_reply(answer, length, &host, NULL, NULL)
                                : ares_parse_a_reply(answer, length, &host, NULL, NULL);
    if (status != ARES_SUCCESS || !host) return -1;
    int result = -1;
    if (host->h_addr_list && host->h_addr_list[0] && inet_ntop(host->h_addrtype, host->h_addr_list[0], out, size)) result = 0;
    ares_free_hostent(host);
    return result;
}

#endif
