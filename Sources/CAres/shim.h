// c-ares (Debian's libc-ares-dev 1.18) for Swift. A query's answer arrives through a C callback while the
// caller turns c-ares' event loop over its sockets; both are C-shaped, so one blocking query is written here
// in C, and Swift parses the answer with c-ares' own parsers.
#ifndef SEEK_CARES_SHIM_H
#define SEEK_CARES_SHIM_H

#include <ares.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/// The record types and class Seek asks for (glibc's T_ macros do not reach Swift).
enum { SEEK_DNS_A = 1, SEEK_DNS_MX = 15, SEEK_DNS_AAAA = 28, SEEK_DNS_CLASS_IN = 1 };

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

/// One turn of a channel's event loop: waits until one of its sockets, or `wake` (a pipe's read end, or -1), is
/// ready, or until c-ares' next timeout (at most `idle_ms`), then lets c-ares read, write, retry and time out.
/// Returns 1 when `wake` was readable (and drains it), 0 otherwise.
static inline int seek_dns_turn(ares_channel channel, int wake, int idle_ms) {
    ares_socket_t sockets[ARES_GETSOCK_MAXNUM];
    int bits = ares_getsock(channel, sockets, ARES_GETSOCK_MAXNUM);
    struct pollfd fds[ARES_GETSOCK_MAXNUM + 1];
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
    fds[count].fd = wake; /* poll skips a negative descriptor */
    fds[count].events = POLLIN;
    fds[count].revents = 0;
    struct timeval most = {idle_ms / 1000, (idle_ms % 1000) * 1000};
    struct timeval tv;
    struct timeval *next = ares_timeout(channel, &most, &tv);
    int wait = (int)(next->tv_sec * 1000 + next->tv_usec / 1000);
    int woken = 0;
    if (poll(fds, (nfds_t)(count + 1), wait) <= 0) {
        ares_process_fd(channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD); /* timeouts and retries */
        return 0;
    }
    for (int i = 0; i < count; i++) {
        ares_socket_t readable = (fds[i].revents & (POLLIN | POLLERR | POLLHUP)) ? fds[i].fd : ARES_SOCKET_BAD;
        ares_socket_t writable = (fds[i].revents & POLLOUT) ? fds[i].fd : ARES_SOCKET_BAD;
        if (readable != ARES_SOCKET_BAD || writable != ARES_SOCKET_BAD) ares_process_fd(channel, readable, writable);
    }
    if (wake >= 0 && (fds[count].revents & POLLIN)) {
        char drain[64];
        while (read(wake, drain, sizeof drain) > 0) {}
        woken = 1;
    }
    ares_process_fd(channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    return woken;
}

/// A channel with Seek's timeout and tries, asking `servers` ("host:port,…"), or resolv.conf's when NULL.
static inline int seek_dns_channel(ares_channel *channel, const char *servers, int timeout_ms, int tries) {
    struct ares_options options;
    memset(&options, 0, sizeof options);
    options.timeout = timeout_ms;
    options.tries = tries;
    int status = ares_init_options(channel, &options, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
    if (status != ARES_SUCCESS) return status;
    if (servers && (status = ares_set_servers_ports_csv(*channel, servers)) != ARES_SUCCESS) ares_destroy(*channel);
    return status;
}

/// One query of class IN and `type`, blocking until it is answered or has timed out `tries` times.
/// `servers` is "host:port,…", or NULL for the system's resolv.conf. The answer is the caller's to free.
static inline seek_dns_answer seek_dns_query(const char *name, int type, const char *servers, int timeout_ms, int tries) {
    seek_dns_answer out = {-1, NULL, 0};
    ares_channel channel;
    int status = seek_dns_channel(&channel, servers, timeout_ms, tries);
    if (status != ARES_SUCCESS) {
        out.status = status;
        return out;
    }
    ares_query(channel, name, C_IN, type, seek_dns_answered, &out);
    while (out.status == -1) seek_dns_turn(channel, -1, 1000);
    ares_destroy(channel);
    return out;
}

/// The addresses of an A or AAAA answer, as 16 bytes each (an IPv4 address in the first 4), with their TTLs
/// in seconds. Returns how many were written (at most `max`), or a negative c-ares status.
static inline int seek_dns_addresses(const unsigned char *answer, int length, int type, unsigned char *bytes, int *ttls, int max) {
    if (type == SEEK_DNS_AAAA) {
        struct ares_addr6ttl found[64];
        int count = max < 64 ? max : 64;
        int status = ares_parse_aaaa_reply(answer, length, NULL, found, &count);
        if (status != ARES_SUCCESS) return status == ARES_ENODATA ? 0 : -status;
        for (int i = 0; i < count; i++) {
            memcpy(bytes + 16 * i, &found[i].ip6addr, 16);
            ttls[i] = found[i].ttl;
        }
        return count;
    }
    struct ares_addrttl found[64];
    int count = max < 64 ? max : 64;
    int status = ares_parse_a_reply(answer, length, NULL, found, &count);
    if (status != ARES_SUCCESS) return status == ARES_ENODATA ? 0 : -status;
    for (int i = 0; i < count; i++) {
        memcpy(bytes + 16 * i, &found[i].ipaddr, 4);
        ttls[i] = found[i].ttl;
    }
    return count;
}

/// The addresses /etc/hosts gives `name` for `family` (AF_INET or AF_INET6), as in seek_dns_addresses.
static inline int seek_dns_hosts_file(ares_channel channel, const char *name, int family, unsigned char *bytes, int max) {
    struct hostent *host = NULL;
    if (ares_gethostbyname_file(channel, name, family, &host) != ARES_SUCCESS || !host) return 0;
    int size = family == AF_INET6 ? 16 : 4;
    int count = 0;
    while (count < max && host->h_addr_list && host->h_addr_list[count]) {
        memcpy(bytes + 16 * count, host->h_addr_list[count], (size_t)size);
        count++;
    }
    ares_free_hostent(host);
    return count;
}

/// A pipe whose write end wakes a loop turning in seek_dns_turn; both ends non-blocking.
static inline int seek_dns_wake_pipe(int ends[2]) {
    if (pipe(ends) != 0) return -1;
    fcntl(ends[0], F_SETFL, O_NONBLOCK);
    fcntl(ends[1], F_SETFL, O_NONBLOCK);
    return 0;
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
