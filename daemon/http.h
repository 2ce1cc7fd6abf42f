/* SPDX-License-Identifier: MIT */
/* HTTP on the event loop: a libcurl multi handle driven by libuv (each socket curl
 * uses is a uv_poll_t, curl's timer is a uv_timer_t).  One struct http_req per
 * transfer.  TLS verification is always on; a CA bundle may replace the system one.
 *
 * Async contract (STYLE 2.6): http_request() either returns an error and `done` is
 * never called, or returns ECD_OK and `done` is called exactly once, from a loop
 * callback, never from inside http_request().  http_cancel() and http_client_close()
 * end pending requests with ECD_ECANCELED. */
#ifndef ECD_HTTP_H
#define ECD_HTTP_H

#include <stddef.h>
#include <uv.h>

#include "buf.h"
#include "status.h"

struct http_client;
struct http_req;

struct http_header {
    const char *name;
    const char *value; /* may be a secret (Authorization): copied, then wiped on free */
};

struct http_request_opts {
    const char *method;                /* "GET", "POST", "PUT", ... */
    const char *url;                   /* absolute http:// or https:// URL */
    const struct http_header *headers; /* copied */
    size_t n_headers;
    const void *body; /* copied (and wiped after the transfer); NULL: none */
    size_t body_len;
    const char *ca_bundle;   /* NULL: system CAs */
    long connect_timeout_ms; /* 0: 5000 */
    long total_timeout_ms;   /* 0: 30000 */
    size_t max_body;         /* 0: 1 MiB; a longer response fails with ECD_EPROTO */
    int no_proxy;            /* 1: never through a proxy (instance metadata, container
                              * credentials: link-local and loopback endpoints) */
    /* TLS for private servers (Kubernetes, Rancher).  PEM text is copied and wiped;
     * files are read by curl.  A blob wins over the file of the same kind. */
    const char *ca_pem;          /* CA certificates as PEM text, instead of ca_bundle */
    const char *client_cert;     /* client certificate file (PEM) */
    const char *client_key;      /* its private key file (PEM) */
    const char *client_cert_pem; /* client certificate as PEM text */
    const char *client_key_pem;  /* private key as PEM text: a secret, wiped after use */
    int insecure;                /* 1: no server certificate check (the caller warns) */
    /* Streaming (Kubernetes watches): with on_data set, the body of a 2xx response goes
     * to on_data chunk by chunk, as it arrives, instead of into resp.body (a non-2xx
     * body is still collected for the error message).  on_data returning an error ends
     * the transfer and done gets that status.  total_timeout_ms < 0: no overall limit. */
    enum ecd_status (*on_data)(const char *data, size_t len, void *ud);
};

struct http_response {
    long status;          /* HTTP status, 0 when no response */
    struct buf body;      /* the body; wiped after done returns */
    char date[64];        /* "Date" header, "" if absent (for clock-skew correction) */
    char error_type[128]; /* "x-amzn-ErrorType" header, "" if absent */
    char request_id[96];  /* "x-amzn-RequestId" header, "" if absent */
    char errmsg[256];     /* for ECD_ETRANSPORT and friends: what went wrong, for the log */
    int permanent;        /* ECD_ETRANSPORT that retrying cannot fix (certificate, bad URL) */
};

/* resp is borrowed for the call (NULL only with ECD_ECANCELED/ECD_ENOMEM). */
typedef void http_done_fn(enum ecd_status st, const struct http_response *resp, void *ud);

ECD_MUST_CHECK enum ecd_status http_client_new(uv_loop_t *loop, struct http_client **out);
/* Cancel every pending request (their done gets ECD_ECANCELED), release curl, and
 * close the uv handles; the memory goes in the close callbacks, so the owner must
 * run the loop until it returns.  NULL is fine. */
void http_client_close(struct http_client *c);

/* The loop the client runs on (borrowed). */
uv_loop_t *http_client_loop(struct http_client *c);

/* Start a request.  *out (optional) lets the caller cancel it; it stays valid until
 * done is called. */
ECD_MUST_CHECK enum ecd_status http_request(struct http_client *c,
                                            const struct http_request_opts *opts,
                                            http_done_fn *done, void *ud, struct http_req **out);
/* The Host header curl sends for url, which is what AWS signs: the host in lower case,
 * plus ":port" when it is not the scheme's default.  *out is malloc'ed.  ECD_ECONFIG
 * for a URL that is not http:// or https://, ECD_ENOMEM. */
ECD_MUST_CHECK enum ecd_status http_url_host(const char *url, char **out);

/* End a pending request: its done is called with ECD_ECANCELED from the loop, like
 * every completion.  Calling it after done ran is a bug. */
void http_cancel(struct http_req *r);

#endif
