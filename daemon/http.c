/* SPDX-License-Identifier: MIT */
/* libcurl multi on libuv; see http.h.  The shape follows curl's multi-uv example,
 * with every result checked, poll errors passed to curl, and one place (http_reap)
 * where transfers complete. */
#include "http.h"

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"

#define HTTP_DEFAULT_MAX_BODY (1024 * 1024)

struct http_client {
    uv_loop_t *loop;         /* borrowed */
    CURLM *multi;            /* owned */
    uv_timer_t timer;        /* curl's timeout; data = this */
    uv_timer_t defer;        /* delivers cancellations from the loop */
    struct http_req *active; /* owned list of transfers curl holds */
    struct http_req *done;   /* owned list of canceled requests awaiting done */
    int closing;             /* http_client_close() ran */
    int pending_closes;      /* uv handles not yet closed */
};

struct http_req {
    struct http_client *client; /* borrowed: outlives every request */
    struct http_req *next;      /* in client->active or client->done */
    CURL *easy;                 /* owned; CURLOPT_PRIVATE == this */
    struct curl_slist *hdrs;    /* owned; may hold Authorization: wiped before free */
    struct buf req_body;        /* owned copy of the request body; wiped */
    struct buf ca_pem;          /* owned copies of PEM blobs (curl gets them NOCOPY, so */
    struct buf cert_pem;        /* that the key copy is ours to wipe) */
    struct buf key_pem;
    enum ecd_status (*on_data)(const char *data, size_t len, void *ud);
    enum ecd_status data_st;   /* what on_data returned when it stopped the transfer */
    struct http_response resp; /* body owned; wiped */
    char errbuf[CURL_ERROR_SIZE];
    http_done_fn *done;
    void *ud;
};

struct http_sock {
    uv_poll_t poll; /* data = this */
    curl_socket_t fd;
    struct http_client *client; /* borrowed */
};

static void list_remove(struct http_req **head, struct http_req *r)
{
    for (struct http_req **pp = head; *pp; pp = &(*pp)->next) {
        if (*pp == r) {
            *pp = r->next;
            r->next = NULL;
            return;
        }
    }
}

static void slist_wipe_free(struct curl_slist *l)
{
    for (struct curl_slist *p = l; p; p = p->next)
        OPENSSL_cleanse(p->data, strlen(p->data));
    curl_slist_free_all(l);
}

static void req_free(struct http_req *r)
{
    if (r->easy)
        curl_easy_cleanup(r->easy);
    slist_wipe_free(r->hdrs);
    buf_wipe(&r->req_body);
    buf_wipe(&r->ca_pem);
    buf_wipe(&r->cert_pem);
    buf_wipe(&r->key_pem);
    buf_wipe(&r->resp.body);
    OPENSSL_cleanse(r, sizeof(*r));
    free(r);
}

/* Call done once, then free.  done may start new requests on the same client. */
static void req_finish(struct http_req *r, enum ecd_status st)
{
    r->done(st, &r->resp, r->ud);
    req_free(r);
}

static enum ecd_status map_curl_result(struct http_req *r, CURLcode cc)
{
    const char *detail = r->errbuf[0] ? r->errbuf : curl_easy_strerror(cc);

    if (cc == CURLE_OK)
        return ECD_OK;
    if (cc == CURLE_WRITE_ERROR && r->data_st) {
        snprintf(r->resp.errmsg, sizeof(r->resp.errmsg), "stream ended by the reader: %s",
                 ecd_strerror(r->data_st));
        return r->data_st;
    }
    if (cc == CURLE_WRITE_ERROR && r->resp.body.len >= r->resp.body.max) {
        snprintf(r->resp.errmsg, sizeof(r->resp.errmsg), "response body larger than %zu bytes",
                 r->resp.body.max);
        return ECD_EPROTO;
    }
    snprintf(r->resp.errmsg, sizeof(r->resp.errmsg), "%s", detail);
    switch (cc) {
    /* Local setup and certificate problems: asking again gives the same answer. */
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        r->resp.permanent = 1;
        break;
    default:
        break;
    }
    return ECD_ETRANSPORT;
}

/* The only place transfers complete.  Read the message's fields before removing the
 * handle: the CURLMsg dies with it. */
static void http_reap(struct http_client *c)
{
    CURLMsg *m;
    int left;

    while ((m = curl_multi_info_read(c->multi, &left)) != NULL) {
        struct http_req *r = NULL;
        CURLcode cc;

        if (m->msg != CURLMSG_DONE)
            continue;
        cc = m->data.result;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&r);
        curl_multi_remove_handle(c->multi, r->easy);
        list_remove(&c->active, r);
        curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &r->resp.status);
        req_finish(r, map_curl_result(r, cc));
    }
}

static void on_sock_closed(uv_handle_t *h)
{
    free(h->data);
}

static void on_poll(uv_poll_t *p, int status, int events)
{
    struct http_sock *s = p->data;
    struct http_client *c = s->client;
    int flags = 0, running;

    /* libuv reports POLLERR as a negative status (and stops the poll).  Let curl
     * read and write so that it meets the socket's real error (say, "Connection
     * reset by peer") rather than CURL_CSELECT_ERR's generic "select/poll error". */
    if (status < 0)
        flags |= CURL_CSELECT_IN | CURL_CSELECT_OUT;
    if (events & UV_READABLE)
        flags |= CURL_CSELECT_IN;
    if (events & UV_WRITABLE)
        flags |= CURL_CSELECT_OUT;
    /* The outcome of the action lands in http_reap(); the return value only says
     * whether the multi handle itself is broken, which would show there too. */
    (void)curl_multi_socket_action(c->multi, s->fd, flags, &running);
    http_reap(c);
}

static int on_curl_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
    struct http_client *c = userp;
    struct http_sock *s = socketp;
    int events = 0;

    (void)easy;
    if (what == CURL_POLL_REMOVE) {
        if (s) {
            uv_poll_stop(&s->poll);
            uv_close((uv_handle_t *)&s->poll, on_sock_closed);
            curl_multi_assign(c->multi, fd, NULL);
        }
        return 0;
    }
    if (!s) {
        s = calloc(1, sizeof(*s));
        if (!s)
            return -1; /* aborts every transfer: only for allocation failure */
        s->fd = fd;
        s->client = c;
        if (uv_poll_init_socket(c->loop, &s->poll, fd) < 0) {
            free(s);
            return -1;
        }
        s->poll.data = s;
        curl_multi_assign(c->multi, fd, s);
    }
    if (what & CURL_POLL_IN)
        events |= UV_READABLE;
    if (what & CURL_POLL_OUT)
        events |= UV_WRITABLE;
    return uv_poll_start(&s->poll, events, on_poll) < 0 ? -1 : 0;
}

static void on_timer(uv_timer_t *t)
{
    struct http_client *c = t->data;
    int running;

    (void)curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    http_reap(c);
}

/* -1 stops the timer; any other value, 0 included, arms it: libuv runs a 0 ms timer
 * on the next loop turn, so curl is never re-entered from this callback. */
static int on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
    struct http_client *c = userp;

    (void)multi;
    if (timeout_ms < 0)
        return uv_timer_stop(&c->timer) < 0 ? -1 : 0;
    return uv_timer_start(&c->timer, on_timer, (uint64_t)timeout_ms, 0) < 0 ? -1 : 0;
}

static void on_defer(uv_timer_t *t)
{
    struct http_client *c = t->data;

    while (c->done) {
        struct http_req *r = c->done;

        c->done = r->next;
        r->next = NULL;
        req_finish(r, ECD_ECANCELED);
    }
}

enum ecd_status http_client_new(uv_loop_t *loop, struct http_client **out)
{
    struct http_client *c = calloc(1, sizeof(*c));

    if (!c)
        return ECD_ENOMEM;
    c->loop = loop;
    c->multi = curl_multi_init();
    if (!c->multi) {
        free(c);
        return ECD_ENOMEM;
    }
    if (uv_timer_init(loop, &c->timer) < 0 || uv_timer_init(loop, &c->defer) < 0) {
        /* uv_timer_init cannot fail on Linux; if it ever did, the handle is not on the
         * loop and the memory may go now. */
        curl_multi_cleanup(c->multi);
        free(c);
        return ECD_EIO;
    }
    c->timer.data = c;
    c->defer.data = c;
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
    /* Reuse connections (and HTTP/2 streams) to the same host. */
    curl_multi_setopt(c->multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
    *out = c;
    return ECD_OK;
}

static void on_client_handle_closed(uv_handle_t *h)
{
    struct http_client *c = h->data;

    if (--c->pending_closes == 0)
        free(c);
}

void http_client_close(struct http_client *c)
{
    if (!c || c->closing)
        return;
    c->closing = 1;
    /* Cancel in place: the client is going away, so done runs now, each one once. */
    while (c->active) {
        struct http_req *r = c->active;

        c->active = r->next;
        r->next = NULL;
        curl_multi_remove_handle(c->multi, r->easy);
        req_finish(r, ECD_ECANCELED);
    }
    on_defer(&c->defer);
    /* May still call the socket callback, which closes the remaining polls. */
    curl_multi_cleanup(c->multi);
    c->multi = NULL;
    c->pending_closes = 2;
    uv_close((uv_handle_t *)&c->timer, on_client_handle_closed);
    uv_close((uv_handle_t *)&c->defer, on_client_handle_closed);
}

void http_cancel(struct http_req *r)
{
    struct http_client *c = r->client;

    list_remove(&c->active, r);
    curl_multi_remove_handle(c->multi, r->easy);
    r->next = c->done;
    c->done = r;
    (void)uv_timer_start(&c->defer, on_defer, 0, 0); /* cannot fail for an open timer */
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
    struct http_req *r = ud;
    size_t n = size * nmemb;
    long code = 0;

    if (r->on_data && curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &code) == CURLE_OK &&
        code >= 200 && code < 300) {
        r->data_st = r->on_data(ptr, n, r->ud);
        return r->data_st ? 0 : n;
    }
    /* Returning less than n makes curl fail with CURLE_WRITE_ERROR; map_curl_result
     * then reports the cap. */
    if (buf_append(&r->resp.body, ptr, n) != ECD_OK) {
        r->resp.body.len = r->resp.body.max;
        return 0;
    }
    return n;
}

static void keep_header(char *dst, size_t dstlen, const char *value, size_t len)
{
    while (len && (value[len - 1] == '\r' || value[len - 1] == '\n' || value[len - 1] == ' '))
        len--;
    while (len && *value == ' ') {
        value++;
        len--;
    }
    if (len >= dstlen)
        len = dstlen - 1;
    memcpy(dst, value, len);
    dst[len] = '\0';
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *ud)
{
    static const struct {
        const char *name;
        size_t off, len;
    } wanted[] = {
        {"date:", offsetof(struct http_response, date), sizeof(((struct http_response *)0)->date)},
        {"x-amzn-errortype:", offsetof(struct http_response, error_type),
         sizeof(((struct http_response *)0)->error_type)},
        {"x-amzn-requestid:", offsetof(struct http_response, request_id),
         sizeof(((struct http_response *)0)->request_id)},
    };
    struct http_req *r = ud;
    size_t n = size * nmemb;

    /* A new status line (after a redirect or 100-continue) starts a new header set. */
    if (n >= 5 && !strncmp(ptr, "HTTP/", 5)) {
        r->resp.date[0] = r->resp.error_type[0] = r->resp.request_id[0] = '\0';
        return n;
    }
    for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++) {
        size_t nl = strlen(wanted[i].name);

        if (n > nl && !strncasecmp(ptr, wanted[i].name, nl))
            keep_header((char *)&r->resp + wanted[i].off, wanted[i].len, ptr + nl, n - nl);
    }
    return n;
}

static enum ecd_status req_setup(struct http_req *r, const struct http_request_opts *o)
{
    CURL *e = r->easy;
    struct buf line;
    enum ecd_status st = ECD_OK;
    CURLcode cc = CURLE_OK;

    buf_init(&line, 64 * 1024);
    for (size_t i = 0; i < o->n_headers && !st; i++) {
        struct curl_slist *n;

        buf_reset(&line);
        st = buf_printf(&line, "%s: %s", o->headers[i].name, o->headers[i].value);
        if (st)
            break;
        n = curl_slist_append(r->hdrs, buf_str(&line));
        if (!n)
            st = ECD_ENOMEM;
        else
            r->hdrs = n;
    }
    buf_wipe(&line);
    /* No "Expect: 100-continue" (curl's default for bodies over 1 KiB): it costs every
     * write a round trip, or a 1 s stall with a server that does not answer it, and
     * our bodies are small and always wanted. */
    if (!st && o->body && o->body_len) {
        struct curl_slist *n = curl_slist_append(r->hdrs, "Expect:");

        if (!n)
            st = ECD_ENOMEM;
        else
            r->hdrs = n;
    }
    if (st)
        return st;
    if (o->body && o->body_len) {
        st = buf_append(&r->req_body, o->body, o->body_len);
        if (st)
            return st;
    }
    /* PEM blobs keep their terminating NUL in the copy; curl gets the length without it. */
    if ((o->ca_pem && (st = buf_append(&r->ca_pem, o->ca_pem, strlen(o->ca_pem) + 1))) ||
        (o->client_cert_pem &&
         (st = buf_append(&r->cert_pem, o->client_cert_pem, strlen(o->client_cert_pem) + 1))) ||
        (o->client_key_pem &&
         (st = buf_append(&r->key_pem, o->client_key_pem, strlen(o->client_key_pem) + 1))))
        return st;
    r->on_data = o->on_data;

    /* Every option below is required for correct, safe behaviour: the first failure
     * is reported rather than running a transfer configured differently. */
#define SETOPT(opt, val)                                                                           \
    do {                                                                                           \
        if (!cc)                                                                                   \
            cc = curl_easy_setopt(e, opt, val);                                                    \
    } while (0)
    SETOPT(CURLOPT_URL, o->url);
    SETOPT(CURLOPT_PRIVATE, r);
    SETOPT(CURLOPT_ERRORBUFFER, r->errbuf);
    SETOPT(CURLOPT_NOSIGNAL, 1L);
    SETOPT(CURLOPT_PROTOCOLS_STR, "http,https");
    SETOPT(CURLOPT_SSL_VERIFYPEER, o->insecure ? 0L : 1L);
    SETOPT(CURLOPT_SSL_VERIFYHOST, o->insecure ? 0L : 2L);
    SETOPT(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
    if (o->ca_bundle)
        SETOPT(CURLOPT_CAINFO, o->ca_bundle);
    if (r->ca_pem.len) {
        struct curl_blob b = {r->ca_pem.ptr, r->ca_pem.len - 1, CURL_BLOB_NOCOPY};
        SETOPT(CURLOPT_CAINFO_BLOB, &b);
    }
    if (o->client_cert)
        SETOPT(CURLOPT_SSLCERT, o->client_cert);
    if (o->client_key)
        SETOPT(CURLOPT_SSLKEY, o->client_key);
    if (r->cert_pem.len) {
        struct curl_blob b = {r->cert_pem.ptr, r->cert_pem.len - 1, CURL_BLOB_NOCOPY};
        SETOPT(CURLOPT_SSLCERT_BLOB, &b);
    }
    if (r->key_pem.len) {
        struct curl_blob b = {r->key_pem.ptr, r->key_pem.len - 1, CURL_BLOB_NOCOPY};
        SETOPT(CURLOPT_SSLKEY_BLOB, &b);
    }
    SETOPT(CURLOPT_CONNECTTIMEOUT_MS, o->connect_timeout_ms ? o->connect_timeout_ms : 5000L);
    if (o->total_timeout_ms >= 0)
        SETOPT(CURLOPT_TIMEOUT_MS, o->total_timeout_ms ? o->total_timeout_ms : 30000L);
    SETOPT(CURLOPT_HTTPHEADER, r->hdrs);
    SETOPT(CURLOPT_USERAGENT, "ecr-credd/" ECD_VERSION);
    SETOPT(CURLOPT_WRITEFUNCTION, on_body);
    SETOPT(CURLOPT_WRITEDATA, r);
    SETOPT(CURLOPT_HEADERFUNCTION, on_header);
    SETOPT(CURLOPT_HEADERDATA, r);
    SETOPT(CURLOPT_CUSTOMREQUEST, o->method);
    if (o->no_proxy)
        SETOPT(CURLOPT_NOPROXY, "*");
    /* POSTFIELDS points at our own copy, which we wipe; COPYPOSTFIELDS would leave a
     * copy inside curl that we cannot reach. */
    if (r->req_body.len) {
        SETOPT(CURLOPT_POSTFIELDS, r->req_body.ptr);
        SETOPT(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->req_body.len);
    } else if (!strcmp(o->method, "POST") || !strcmp(o->method, "PUT")) {
        SETOPT(CURLOPT_POSTFIELDS, "");
        SETOPT(CURLOPT_POSTFIELDSIZE, 0L);
    }
#undef SETOPT
    if (cc) {
        log_error("http: cannot configure request for %s: %s", o->url, curl_easy_strerror(cc));
        return ECD_EINVAL;
    }
    return ECD_OK;
}

enum ecd_status http_request(struct http_client *c, const struct http_request_opts *o,
                             http_done_fn *done, void *ud, struct http_req **out)
{
    struct http_req *r;
    enum ecd_status st;

    if (c->closing)
        return ECD_ECANCELED;
    r = calloc(1, sizeof(*r));
    if (!r)
        return ECD_ENOMEM;
    r->client = c;
    r->done = done;
    r->ud = ud;
    buf_init(&r->req_body, 1024 * 1024);
    buf_init(&r->ca_pem, 1024 * 1024);
    buf_init(&r->cert_pem, 256 * 1024);
    buf_init(&r->key_pem, 256 * 1024);
    buf_init(&r->resp.body, o->max_body ? o->max_body : HTTP_DEFAULT_MAX_BODY);
    r->easy = curl_easy_init();
    if (!r->easy) {
        req_free(r);
        return ECD_ENOMEM;
    }
    st = req_setup(r, o);
    if (st) {
        req_free(r);
        return st;
    }
    if (curl_multi_add_handle(c->multi, r->easy) != CURLM_OK) {
        req_free(r);
        return ECD_ENOMEM;
    }
    r->next = c->active;
    c->active = r;
    if (out)
        *out = r;
    return ECD_OK;
}

enum ecd_status http_url_host(const char *url, char **out)
{
    CURLU *u = curl_url();
    char *host = NULL, *port = NULL, *scheme = NULL;
    enum ecd_status st = ECD_ECONFIG;
    struct buf b;

    buf_init(&b, 1024);
    if (!u)
        return ECD_ENOMEM;
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        (strcmp(scheme, "https") && strcmp(scheme, "http")))
        goto out;
    if (curl_url_get(u, CURLUPART_PORT, &port, 0) == CURLUE_OK &&
        strcmp(port, strcmp(scheme, "https") ? "80" : "443"))
        st = buf_printf(&b, "%s:%s", host, port);
    else
        st = buf_append_str(&b, host);
    for (char *p = b.ptr; p && *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    if (!st)
        st = buf_steal(&b, out);
out:
    buf_free(&b);
    curl_free(host);
    curl_free(port);
    curl_free(scheme);
    curl_url_cleanup(u);
    return st;
}

uv_loop_t *http_client_loop(struct http_client *c)
{
    return c->loop;
}
