/* SPDX-License-Identifier: MIT */
/* The /healthz and /metrics listener; see health.h.
 *
 * libmicrohttpd runs inside the libuv loop, with no thread of its own: started
 * with MHD_USE_EPOLL and no internal polling thread, it keeps every socket it owns
 * (the listening one and each connection) in one epoll set of its own, whose fd
 * becomes readable when any of them is ready.  One uv_poll_t watches that fd and
 * one uv_timer_t follows MHD_get_timeout() (connection timeouts, and 0 when MHD has
 * buffered work left); both call MHD_run(), which never blocks in this mode.  The
 * alternatives were worse: MHD_get_fdset() would mean re-registering every socket
 * with libuv on each turn, and an internal thread would need locking around the
 * metrics state.  With no connection open MHD asks for no timeout, so an idle
 * daemon does not wake up for the listener.
 *
 * The listening socket is made here (numeric address, no name lookups) and handed
 * to MHD, so bind errors are reported with their reason and the address as
 * configured. */
#include "health.h"

#include "log.h"

#ifndef ECD_HAVE_HEALTH

enum ecd_status health_apply(struct health **hp, uv_loop_t *loop, struct metrics *m,
                             const struct config_health *cfg)
{
    (void)hp;
    (void)loop;
    (void)m;
    if (!cfg->listen)
        return ECD_OK;
    log_error("health: listen %s: built without health support (rebuild with meson "
              "-Dhealth=enabled and libmicrohttpd)",
              cfg->listen);
    return ECD_ECONFIG;
}

void health_close(struct health *h)
{
    (void)h;
}

#else

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HEALTH_MAX_CONNECTIONS 32         /* more are refused at accept */
#define HEALTH_MAX_PER_IP      16         /* one client cannot take them all */
#define HEALTH_CONN_MEMORY     (8 * 1024) /* request line + headers; beyond: 414/431 */
#define HEALTH_TIMEOUT_S       10         /* idle or slow connections are closed */
#define HEALTH_BACKLOG         16
#define HEALTH_BODY_MAX        (4 * 1024 * 1024)

#define CT_TEXT    "text/plain; charset=utf-8"
#define CT_METRICS "text/plain; version=0.0.4; charset=utf-8"

struct health {
    struct MHD_Daemon *mhd;  /* owned */
    struct metrics *metrics; /* borrowed: the daemon's */
    char *listen;            /* owned; as configured, to tell whether a reload changed it */
    double stale_before_s;
    uv_poll_t poll;   /* on MHD's epoll fd */
    uv_timer_t timer; /* MHD_get_timeout() */
    int open_handles; /* the memory goes when both are closed */
};

static double now_wall(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* MHD's own diagnostics (a client that sent garbage, a connection limit reached):
 * interesting when debugging, noise otherwise. */
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];
    size_t n;

    (void)cls;
    if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
        return;
    n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    log_debug("health: %s", msg);
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned code, const char *ctype,
                             const char *body, size_t len, const char *allow)
{
    struct MHD_Response *r;
    enum MHD_Result ret;

    r = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO; /* out of memory: MHD drops the connection */
    if (MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype) != MHD_YES ||
        MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store") != MHD_YES ||
        (allow && MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow) != MHD_YES)) {
        MHD_destroy_response(r);
        return MHD_NO;
    }
    ret = MHD_queue_response(c, code, r);
    MHD_destroy_response(r); /* MHD keeps its own reference */
    return ret;
}

static enum MHD_Result reply_str(struct MHD_Connection *c, unsigned code, const char *text,
                                 const char *allow)
{
    return reply(c, code, CT_TEXT, text, strlen(text), allow);
}

static enum MHD_Result serve_healthz(struct health *h, struct MHD_Connection *c)
{
    struct buf body;
    enum MHD_Result ret;
    int healthy;

    buf_init(&body, HEALTH_BODY_MAX);
    healthy = metrics_health(h->metrics, now_wall(), h->stale_before_s, &body);
    if (healthy == 1)
        ret = reply_str(c, MHD_HTTP_OK, "ok\n", NULL);
    else if (healthy == 0)
        ret = reply(c, MHD_HTTP_SERVICE_UNAVAILABLE, CT_TEXT, buf_str(&body), body.len, NULL);
    else
        ret = reply_str(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n", NULL);
    buf_free(&body);
    return ret;
}

static enum MHD_Result serve_metrics(struct health *h, struct MHD_Connection *c)
{
    struct buf body;
    enum MHD_Result ret;

    buf_init(&body, HEALTH_BODY_MAX);
    if (metrics_render(h->metrics, now_wall(), h->stale_before_s, &body) == ECD_OK)
        ret = reply(c, MHD_HTTP_OK, CT_METRICS, buf_str(&body), body.len, NULL);
    else
        ret = reply_str(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n", NULL);
    buf_free(&body);
    return ret;
}

/* Called once the request line and headers are in.  Every answer is given on that
 * first call: a GET or HEAD has no body to wait for, and for anything else MHD
 * discards what the client sends after the answer and closes the connection. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    struct health *h = cls;
    int healthz = !strcmp(url, "/healthz"), metrics = !strcmp(url, "/metrics");

    (void)version;
    (void)upload_data;
    (void)upload_data_size;
    (void)con_cls;
    if (!healthz && !metrics)
        return reply_str(c, MHD_HTTP_NOT_FOUND, "not found: try /healthz or /metrics\n", NULL);
    if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
        return reply_str(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n", "GET, HEAD");
    return healthz ? serve_healthz(h, c) : serve_metrics(h, c);
}

static void drive(struct health *h);

static void on_poll(uv_poll_t *p, int status, int events)
{
    (void)status; /* an epoll fd does not fail; MHD finds out about its sockets itself */
    (void)events;
    drive(p->data);
}

static void on_timer(uv_timer_t *t)
{
    drive(t->data);
}

/* Let MHD do whatever is ready, then wake up again when it next needs to. */
static void drive(struct health *h)
{
    MHD_UNSIGNED_LONG_LONG ms = 0;

    (void)MHD_run(h->mhd); /* MHD_NO only for a daemon started in another mode */
    if (MHD_get_timeout(h->mhd, &ms) == MHD_YES)
        (void)uv_timer_start(&h->timer, on_timer, ms, 0); /* cannot fail on an open handle */
    else
        uv_timer_stop(&h->timer);
}

/* A listening socket for cfg: "PORT" is every address (IPv6 with IPv4 mapped, or
 * IPv4 alone where IPv6 is off).  -1 with errno on failure. */
static int listen_socket(const struct config_health *cfg)
{
    struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)cfg->port)};
    struct sockaddr_in a4 = {.sin_family = AF_INET, .sin_port = htons((uint16_t)cfg->port)};
    int v6 = !cfg->host || strchr(cfg->host, ':'), one = 1, v6only = cfg->host != NULL;
    int fd, saved;

    if (cfg->host && inet_pton(v6 ? AF_INET6 : AF_INET, cfg->host,
                               v6 ? (void *)&a6.sin6_addr : (void *)&a4.sin_addr) != 1) {
        errno = EINVAL; /* config.c checked it */
        return -1;
    }
    if (!cfg->host)
        a6.sin6_addr = in6addr_any;
    fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 && !cfg->host && (errno == EAFNOSUPPORT || errno == EPROTONOSUPPORT)) {
        v6 = 0; /* no IPv6 here: every IPv4 address */
        a4.sin_addr.s_addr = htonl(INADDR_ANY);
        fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    }
    if (fd < 0)
        return -1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
        (v6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only)) < 0) ||
        (v6 ? bind(fd, (struct sockaddr *)&a6, sizeof(a6))
            : bind(fd, (struct sockaddr *)&a4, sizeof(a4))) < 0 ||
        listen(fd, HEALTH_BACKLOG) < 0) {
        saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

static void on_closed(uv_handle_t *hd)
{
    struct health *h = hd->data;

    if (--h->open_handles == 0) {
        free(h->listen);
        free(h);
    }
}

/* quiet: a bind failure is not logged (the caller tries again). */
static enum ecd_status health_start(uv_loop_t *loop, struct metrics *m,
                                    const struct config_health *cfg, int quiet, struct health **out)
{
    const union MHD_DaemonInfo *info;
    struct health *h;
    int fd, rc;

    *out = NULL;
    fd = listen_socket(cfg);
    if (fd < 0) {
        if (quiet)
            log_debug("health: cannot listen on %s yet: %s", cfg->listen, strerror(errno));
        else
            log_error("health: cannot listen on %s: %s", cfg->listen, strerror(errno));
        return ECD_EIO;
    }
    h = calloc(1, sizeof(*h));
    if (!h || !(h->listen = strdup(cfg->listen))) {
        log_error("health: out of memory");
        close(fd);
        free(h);
        return ECD_ENOMEM;
    }
    h->metrics = m;
    h->stale_before_s = (double)cfg->stale_before_ms / 1000.0;
    /* The port argument is unused with MHD_OPTION_LISTEN_SOCKET.  The logger comes
     * first so that MHD reports problems with the other options through it.  If
     * starting fails, fd is still ours to close. */
    /* clang-format off */
    h->mhd = MHD_start_daemon(
        MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0, NULL, NULL, on_request, h,
        MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, (void *)NULL,
        MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)HEALTH_MAX_CONNECTIONS,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)HEALTH_MAX_PER_IP,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HEALTH_CONN_MEMORY,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HEALTH_TIMEOUT_S,
        /* RFC 9112 section 3.2: 400 for HTTP/1.1 without Host; no spaces in URLs. */
        MHD_OPTION_STRICT_FOR_CLIENT, (int)1,
        MHD_OPTION_END);
    /* clang-format on */
    info = h->mhd ? MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_EPOLL_FD) : NULL;
    if (!info) {
        log_error("health: cannot start the HTTP server on %s", cfg->listen);
        if (h->mhd)
            MHD_stop_daemon(h->mhd);
        else
            close(fd);
        free(h->listen);
        free(h);
        return ECD_EIO;
    }
    rc = uv_timer_init(loop, &h->timer);
    if (rc == 0) {
        h->open_handles = 1;
        h->timer.data = h;
        rc = uv_poll_init(loop, &h->poll, info->epoll_fd);
    }
    if (rc == 0) {
        h->open_handles = 2;
        h->poll.data = h;
        rc = uv_poll_start(&h->poll, UV_READABLE, on_poll);
    }
    if (rc < 0) {
        log_error("health: cannot watch the HTTP server: %s", uv_strerror(rc));
        if (h->open_handles) {
            health_close(h);
        } else {
            MHD_stop_daemon(h->mhd);
            free(h->listen);
            free(h);
        }
        return ECD_EIO;
    }
    log_info("health: listening on %s (/healthz, /metrics)", cfg->listen);
    drive(h);
    *out = h;
    return ECD_OK;
}

void health_close(struct health *h)
{
    if (!h || !h->mhd)
        return;
    /* Out of libuv's epoll set before MHD closes the fd. */
    if (h->open_handles == 2)
        uv_close((uv_handle_t *)&h->poll, on_closed);
    MHD_stop_daemon(h->mhd);
    h->mhd = NULL;
    uv_close((uv_handle_t *)&h->timer, on_closed);
}

enum ecd_status health_apply(struct health **hp, uv_loop_t *loop, struct metrics *m,
                             const struct config_health *cfg)
{
    struct health *old = *hp, *next = NULL;
    enum ecd_status st;

    if (!cfg->listen) {
        if (old)
            log_info("health: no longer listening on %s", old->listen);
        health_close(old);
        *hp = NULL;
        return ECD_OK;
    }
    if (old && !strcmp(old->listen, cfg->listen)) {
        old->metrics = m;
        old->stale_before_s = (double)cfg->stale_before_ms / 1000.0;
        return ECD_OK;
    }
    st = health_start(loop, m, cfg, old != NULL, &next);
    if (st == ECD_EIO && old) {
        /* The new address may overlap the old one ("9100" to "127.0.0.1:9100"):
         * let go of the old socket and try again; if that fails too, take the old
         * address back. */
        struct config_health back;
        const char *why;

        config_health_defaults(&back);
        back.stale_before_ms = (int64_t)(old->stale_before_s * 1000.0);
        if (config_health_listen(&back, old->listen, &why)) {
            free(back.listen);
            free(back.host);
            return st;
        }
        log_info("health: closing %s to try %s again", old->listen, cfg->listen);
        health_close(old);
        *hp = NULL;
        st = health_start(loop, m, cfg, 0, &next);
        if (st && health_start(loop, m, &back, 0, hp) == ECD_OK)
            log_warn("health: still listening on %s", back.listen);
        free(back.listen);
        free(back.host);
        if (st)
            return st;
        *hp = next;
        return ECD_OK;
    }
    if (st)
        return st;
    health_close(old);
    *hp = next;
    return ECD_OK;
}

#endif
