/* SPDX-License-Identifier: MIT */
/* The Kubernetes API client; see client.h.  Where the server is and how to reach it
 * is settled once, in kube_client_new(); the credential is looked up per request:
 * a fixed token or basic auth, a token file re-read at most every minute (and at once
 * after a 401), or an exec plugin's credential, cached until its expiry (and dropped
 * after a 401).  A request answered 401 is sent once more with the fresh credential;
 * the second answer goes to the caller whatever it is. */
#include "kube/client.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base64.h"
#include "buf.h"
#include "execcred.h"
#include "kube/exec.h"
#include "kubeconfig.h"
#include "log.h"
#include "secret.h"

#define SA_DIR              "/var/run/secrets/kubernetes.io/serviceaccount"
#define TOKEN_REREAD_MS     60000 /* client-go's cached file token source: 1 min */
#define TOKEN_FILE_MAX      (64 * 1024)
#define KUBECONFIG_FILE_MAX (4 * 1024 * 1024)
#define DEFAULT_TIMEOUT_MS  30000
#define CONNECT_TIMEOUT_MS  10000 /* TCP and TLS handshake (client-go: 10 s for TLS) */
#define DEFAULT_MAX_BODY    (8 * 1024 * 1024)

enum kube_auth {
    KUBE_AUTH_NONE,
    KUBE_AUTH_TOKEN,      /* c->token, fixed */
    KUBE_AUTH_TOKEN_FILE, /* c->token_file, re-read; c->token is the fallback */
    KUBE_AUTH_BASIC,      /* c->token holds base64(user:password) */
    KUBE_AUTH_EXEC,       /* c->exec_cred */
};

struct kube_req {
    struct kube_client *c;  /* borrowed; kept alive while requests exist */
    struct kube_req *next;  /* in c->reqs (every live request) */
    struct kube_req *wnext; /* in c->waiting or c->deferred */
    char *method;           /* owned */
    char *url;              /* owned */
    char *content_type;     /* owned; NULL: none */
    struct buf body;        /* owned copy; wiped */
    long timeout_ms;
    size_t max_body;
    enum ecd_status (*on_data)(const char *data, size_t len, void *ud);
    kube_done_fn *done;
    void *ud;
    struct http_req *http;       /* the transfer in flight; NULL otherwise */
    unsigned long cred_gen;      /* the credential generation the transfer carries */
    int retried;                 /* the 401 retry was made */
    int waiting;                 /* in c->waiting, for the exec plugin */
    enum ecd_status deferred_st; /* in c->deferred: the status to deliver */
};

struct kube_client {
    uv_loop_t *loop;
    struct http_client *http; /* borrowed */
    char *label;              /* owned; "<where>" for messages */
    char *describe;           /* owned */
    char *namespace_;         /* owned */
    char *server;             /* owned; no trailing '/' */
    struct kubeconfig kc;     /* owned; sel and the borrowed fields below point into it */
    struct kubeconfig_sel sel;
    /* TLS (borrowed from kc unless noted) */
    char *ca_file; /* owned */
    const char *ca_pem;
    int insecure;
    const char *cert_file, *key_file, *cert_pem;
    const struct secret *key_pem;
    /* authentication */
    enum kube_auth auth;
    struct secret token;    /* fixed token, basic credentials, or the token file's last good read */
    int token_from_file;    /* token holds a token file read (not the kubeconfig's token) */
    char *token_file;       /* owned */
    uint64_t token_read_ms; /* uv_now of the last read attempt */
    int token_stale;        /* re-read before the next request (after a 401) */
    unsigned long cred_gen; /* bumped whenever the credential changes */
    struct execcred exec_cred; /* owned; valid when have_exec_cred */
    int have_exec_cred;
    struct kube_exec_run *exec_run; /* the plugin running now; NULL otherwise */
    struct http_header *extra;      /* owned array (names static, values owned): impersonation */
    size_t n_extra;
    /* requests */
    struct kube_req *reqs;     /* every live request */
    struct kube_req *waiting;  /* waiting for exec_run */
    struct kube_req *deferred; /* finished without a transfer: delivered from defer */
    uv_timer_t defer;          /* data = this */
    int closing;               /* kube_client_free() ran */
    int defer_closed;          /* uv_close(&defer) was called */
};

/* ---- small helpers ----------------------------------------------------------------- */

static uint64_t now_ms(const struct kube_client *c)
{
    return uv_now(c->loop);
}

/* Read a whole (small) file; ENOENT and friends in *err_no. */
static enum ecd_status read_file(const char *path, size_t max, struct buf *out, int *err_no)
{
    char chunk[4096];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    enum ecd_status st = ECD_OK;
    ssize_t n;

    *err_no = 0;
    if (fd < 0) {
        *err_no = errno;
        return ECD_EIO;
    }
    buf_init(out, max + 1);
    while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
        if (n < 0) {
            if (errno == EINTR)
                continue;
            *err_no = errno;
            st = ECD_EIO;
            break;
        }
        if ((st = buf_append(out, chunk, (size_t)n))) {
            *err_no = EFBIG;
            st = ECD_EIO;
            break;
        }
    }
    OPENSSL_cleanse(chunk, sizeof(chunk));
    close(fd);
    if (st)
        buf_wipe(out);
    return st;
}

static char *abs_path(const char *path)
{
    char cwd[4096], *out;

    if (path[0] == '/' || !getcwd(cwd, sizeof(cwd)))
        return strdup(path);
    if (asprintf(&out, "%s/%s", cwd, path) < 0)
        return NULL;
    return out;
}

static const char *env_get(const struct kube_client_opts *o, const char *name)
{
    const char *v = o->getenv_fn ? o->getenv_fn(name) : getenv(name);

    return v && *v ? v : NULL;
}

/* ---- token files ------------------------------------------------------------------- */

/* Read the token file into c->token (trailing and leading white space trimmed, as
 * client-go does).  A failure keeps the previous token, if any: logged as a warning
 * then, as an error when there is nothing to send. */
static enum ecd_status token_file_read(struct kube_client *c)
{
    struct buf b;
    size_t start = 0, end;
    int err_no;
    enum ecd_status st;

    c->token_read_ms = now_ms(c);
    c->token_stale = 0;
    st = read_file(c->token_file, TOKEN_FILE_MAX, &b, &err_no);
    if (!st) {
        end = b.len;
        while (start < end && strchr(" \t\r\n", b.ptr[start]))
            start++;
        while (end > start && strchr(" \t\r\n", b.ptr[end - 1]))
            end--;
        if (end == start) {
            buf_wipe(&b);
            st = ECD_EAUTH;
            err_no = 0;
        } else {
            struct secret fresh = {0};

            st = secret_set(&fresh, b.ptr + start, end - start);
            buf_wipe(&b);
            if (st)
                return st;
            if (!c->token_from_file || !secret_equal(&fresh, &c->token))
                c->cred_gen++;
            secret_wipe(&c->token);
            c->token = fresh;
            c->token_from_file = 1;
            return ECD_OK;
        }
    }
    if (secret_is_set(&c->token)) {
        log_warn("%s: token file %s: %s; using the previous token", c->label, c->token_file,
                 err_no ? strerror(err_no) : "empty");
        return ECD_OK;
    }
    log_error("%s: token file %s: %s", c->label, c->token_file,
              err_no ? strerror(err_no) : "empty, expected a bearer token");
    return ECD_EAUTH;
}

/* ---- requests ---------------------------------------------------------------------- */

static void maybe_free_client(struct kube_client *c);

static void req_free(struct kube_req *r)
{
    struct kube_client *c = r->c;

    for (struct kube_req **pp = &c->reqs; *pp; pp = &(*pp)->next)
        if (*pp == r) {
            *pp = r->next;
            break;
        }
    free(r->method);
    free(r->url);
    free(r->content_type);
    buf_wipe(&r->body);
    free(r);
}

/* Deliver done once and free the request. */
static void req_finish(struct kube_req *r, enum ecd_status st, const struct http_response *resp)
{
    struct kube_client *c = r->c;
    struct http_response none;

    if (!resp) {
        memset(&none, 0, sizeof(none));
        snprintf(none.errmsg, sizeof(none.errmsg), "%s",
                 st == ECD_ECANCELED ? "canceled" : "no credential for the API server (see above)");
        buf_init(&none.body, 1);
        resp = &none;
    }
    r->done(st, resp, r->ud);
    req_free(r);
    maybe_free_client(c);
}

static void on_defer(uv_timer_t *t)
{
    struct kube_client *c = t->data;

    while (c->deferred) {
        struct kube_req *r = c->deferred;

        c->deferred = r->wnext;
        r->wnext = NULL;
        req_finish(r, r->deferred_st, NULL);
    }
}

static void req_defer(struct kube_req *r, enum ecd_status st)
{
    struct kube_client *c = r->c;

    r->deferred_st = st;
    r->wnext = c->deferred;
    c->deferred = r;
    (void)uv_timer_start(&c->defer, on_defer, 0, 0); /* cannot fail for an open timer */
}

static void on_http_done(enum ecd_status st, const struct http_response *resp, void *ud);
static enum ecd_status req_go(struct kube_req *r);

static int exec_cred_fresh(const struct kube_client *c)
{
    /* One second of margin so that a credential is not sent in its last moment. */
    return c->have_exec_cred && (!c->exec_cred.expires || time(NULL) + 1 < c->exec_cred.expires);
}

/* http.c hands on_data the transfer's ud, which is the request: pass the caller's. */
static enum ecd_status req_on_data(const char *data, size_t len, void *ud)
{
    struct kube_req *r = ud;

    return r->on_data(data, len, r->ud);
}

/* Start the transfer with the current credential. */
static enum ecd_status req_send(struct kube_req *r)
{
    struct kube_client *c = r->c;
    struct http_header *hdrs = calloc(3 + c->n_extra, sizeof(*hdrs));
    struct buf auth;
    struct http_request_opts o;
    const struct secret *tok = NULL;
    size_t n = 0;
    enum ecd_status st = ECD_OK;

    if (!hdrs)
        return ECD_ENOMEM;
    buf_init(&auth, 256 * 1024);
    memset(&o, 0, sizeof(o));
    o.method = r->method;
    o.url = r->url;
    o.body = r->body.len ? r->body.ptr : NULL;
    o.body_len = r->body.len;
    o.total_timeout_ms = r->timeout_ms;
    o.connect_timeout_ms = CONNECT_TIMEOUT_MS;
    o.max_body = r->max_body;
    o.on_data = r->on_data ? req_on_data : NULL;
    o.ca_bundle = c->ca_file;
    o.ca_pem = c->ca_pem;
    o.insecure = c->insecure;
    o.client_cert = c->cert_file;
    o.client_key = c->key_file;
    o.client_cert_pem = c->cert_pem;
    o.client_key_pem = c->key_pem && secret_is_set(c->key_pem) ? c->key_pem->ptr : NULL;
    switch (c->auth) {
    case KUBE_AUTH_TOKEN:
    case KUBE_AUTH_TOKEN_FILE:
        tok = &c->token;
        break;
    case KUBE_AUTH_BASIC:
        st = buf_printf(&auth, "Basic %s", c->token.ptr);
        break;
    case KUBE_AUTH_EXEC:
        if (secret_is_set(&c->exec_cred.token))
            tok = &c->exec_cred.token;
        if (c->exec_cred.client_cert_pem) {
            o.client_cert = o.client_key = NULL;
            o.client_cert_pem = c->exec_cred.client_cert_pem;
            o.client_key_pem = c->exec_cred.client_key_pem.ptr;
        }
        break;
    case KUBE_AUTH_NONE:
        break;
    }
    if (!st && tok && secret_is_set(tok))
        st = buf_printf(&auth, "Bearer %s", tok->ptr);
    if (st)
        goto out;
    if (auth.len)
        hdrs[n++] = (struct http_header){"Authorization", buf_str(&auth)};
    hdrs[n++] = (struct http_header){"Accept", "application/json"};
    if (r->content_type)
        hdrs[n++] = (struct http_header){"Content-Type", r->content_type};
    for (size_t i = 0; i < c->n_extra; i++)
        hdrs[n++] = c->extra[i];
    o.headers = hdrs;
    o.n_headers = n;
    r->cred_gen = c->cred_gen;
    st = http_request(c->http, &o, on_http_done, r, &r->http);
out:
    buf_wipe(&auth);
    free(hdrs);
    return st;
}

static void on_exec_done(enum ecd_status st, struct execcred *cred, void *ud)
{
    struct kube_client *c = ud;

    c->exec_run = NULL;
    if (!st) {
        execcred_clear(&c->exec_cred);
        c->exec_cred = *cred; /* moved */
        memset(cred, 0, sizeof(*cred));
        c->have_exec_cred = 1;
        c->cred_gen++;
    }
    /* One at a time from the list itself: a done callback may cancel another waiter
     * or start new requests. */
    while (c->waiting) {
        struct kube_req *r = c->waiting;
        enum ecd_status rst = st;

        c->waiting = r->wnext;
        r->wnext = NULL;
        r->waiting = 0;
        if (c->closing)
            rst = ECD_ECANCELED;
        else if (!rst)
            rst = req_send(r);
        if (rst)
            req_finish(r, rst, NULL);
    }
    maybe_free_client(c);
}

static enum ecd_status exec_start(struct kube_client *c)
{
    struct kube_exec_cluster cl = {c->server, c->ca_pem, NULL, c->insecure};
    char label[512];

    if (c->exec_run)
        return ECD_OK;
    snprintf(label, sizeof(label), "%s: user \"%s\"", c->label, c->sel.user->name);
    return kube_exec_start(c->loop, c->sel.user->exec, &cl, label, 0, on_exec_done, c,
                           &c->exec_run);
}

/* Get a credential and send; ECD_OK when sent or queued for the exec plugin. */
static enum ecd_status req_go(struct kube_req *r)
{
    struct kube_client *c = r->c;
    enum ecd_status st;

    switch (c->auth) {
    case KUBE_AUTH_EXEC:
        if (exec_cred_fresh(c))
            break;
        if ((st = exec_start(c)))
            return st;
        r->waiting = 1;
        r->wnext = c->waiting;
        c->waiting = r;
        return ECD_OK;
    case KUBE_AUTH_TOKEN_FILE:
        if ((c->token_stale || now_ms(c) - c->token_read_ms >= TOKEN_REREAD_MS) &&
            (st = token_file_read(c)))
            return st;
        break;
    default:
        break;
    }
    return req_send(r);
}

static void on_http_done(enum ecd_status st, const struct http_response *resp, void *ud)
{
    struct kube_req *r = ud;
    struct kube_client *c = r->c;
    enum ecd_status rst;

    r->http = NULL;
    if (!st && resp->status == 401 && !r->retried && !c->closing &&
        (c->auth == KUBE_AUTH_TOKEN_FILE || c->auth == KUBE_AUTH_EXEC)) {
        r->retried = 1;
        /* Only a credential that is still the current one is dropped: another request
         * may have refreshed it meanwhile. */
        if (r->cred_gen == c->cred_gen) {
            if (c->auth == KUBE_AUTH_TOKEN_FILE) {
                c->token_stale = 1;
            } else {
                execcred_clear(&c->exec_cred);
                c->have_exec_cred = 0;
            }
        }
        log_debug("%s: %s %s answered 401: retrying once with a fresh credential", c->label,
                  r->method, r->url);
        if (!(rst = req_go(r)))
            return;
        req_finish(r, rst, NULL);
        return;
    }
    req_finish(r, st, resp);
}

enum ecd_status kube_request(struct kube_client *c, const struct kube_request_opts *opts,
                             kube_done_fn *done, void *ud, struct kube_req **out)
{
    struct kube_req *r;
    enum ecd_status st;

    if (c->closing)
        return ECD_ECANCELED;
    if (!opts->method || !opts->path || opts->path[0] != '/')
        return ECD_EINVAL;
    r = calloc(1, sizeof(*r));
    if (!r)
        return ECD_ENOMEM;
    r->c = c;
    r->done = done;
    r->ud = ud;
    r->timeout_ms = opts->timeout_ms ? opts->timeout_ms : DEFAULT_TIMEOUT_MS;
    r->max_body = opts->max_body ? opts->max_body : DEFAULT_MAX_BODY;
    r->on_data = opts->on_data;
    buf_init(&r->body, 4 * 1024 * 1024);
    r->next = c->reqs;
    c->reqs = r;
    if (!(r->method = strdup(opts->method)) ||
        asprintf(&r->url, "%s%s", c->server, opts->path) < 0 ||
        (opts->content_type && !(r->content_type = strdup(opts->content_type)))) {
        r->url = NULL;
        st = ECD_ENOMEM;
        goto fail;
    }
    if (opts->body_len && (st = buf_append(&r->body, opts->body, opts->body_len)))
        goto fail;
    if ((st = req_go(r)))
        goto fail;
    if (out)
        *out = r;
    return ECD_OK;
fail:
    req_free(r);
    return st;
}

void kube_cancel(struct kube_req *r)
{
    struct kube_client *c = r->c;

    if (r->http) {
        http_cancel(r->http); /* on_http_done gets ECD_ECANCELED from the loop */
        return;
    }
    if (r->waiting) {
        for (struct kube_req **pp = &c->waiting; *pp; pp = &(*pp)->wnext)
            if (*pp == r) {
                *pp = r->wnext;
                break;
            }
        r->waiting = 0;
        req_defer(r, ECD_ECANCELED);
    }
    /* Otherwise it is already in c->deferred: its done is on the way. */
}

/* ---- the client -------------------------------------------------------------------- */

static void client_release(struct kube_client *c)
{
    execcred_clear(&c->exec_cred);
    secret_wipe(&c->token);
    for (size_t i = 0; i < c->n_extra; i++)
        free((char *)c->extra[i].value);
    free(c->extra);
    kubeconfig_clear(&c->kc);
    free(c->label);
    free(c->describe);
    free(c->namespace_);
    free(c->server);
    free(c->ca_file);
    free(c->token_file);
    free(c);
}

static void on_defer_closed(uv_handle_t *h)
{
    client_release(h->data);
}

static void maybe_free_client(struct kube_client *c)
{
    if (!c->closing || c->reqs || c->exec_run || c->defer_closed)
        return;
    c->defer_closed = 1;
    uv_close((uv_handle_t *)&c->defer, on_defer_closed);
}

void kube_client_free(struct kube_client *c)
{
    if (!c || c->closing)
        return;
    c->closing = 1;
    for (struct kube_req *r = c->reqs; r; r = r->next) {
        if (r->http)
            http_cancel(r->http);
    }
    while (c->waiting) {
        struct kube_req *r = c->waiting;

        c->waiting = r->wnext;
        r->waiting = 0;
        req_defer(r, ECD_ECANCELED);
    }
    if (c->exec_run)
        kube_exec_cancel(c->exec_run);
    maybe_free_client(c);
}

const char *kube_client_describe(const struct kube_client *c)
{
    return c->describe;
}

const char *kube_client_namespace(const struct kube_client *c)
{
    return c->namespace_;
}

uv_loop_t *kube_client_loop(const struct kube_client *c)
{
    return c->loop;
}

static enum ecd_status add_extra(struct kube_client *c, const char *name, const char *value)
{
    struct http_header *grown = realloc(c->extra, (c->n_extra + 1) * sizeof(*grown));
    char *v;

    if (!grown)
        return ECD_ENOMEM;
    c->extra = grown;
    if (!(v = strdup(value)))
        return ECD_ENOMEM;
    c->extra[c->n_extra++] = (struct http_header){name, v};
    return ECD_OK;
}

static int check_readable(const struct kube_client *c, const struct kubeconfig_loc *loc,
                          const char *what, const char *path)
{
    if (access(path, R_OK) == 0)
        return 1;
    log_error("%s: %s:%lu: %s: %s %s: %s", c->label, loc->file, loc->line, loc->path, what, path,
              strerror(errno));
    return 0;
}

/* Settle TLS and authentication from the selected kubeconfig entries. */
static enum ecd_status setup_from_kubeconfig(struct kube_client *c)
{
    const struct kubeconfig_cluster *cl = c->sel.cluster;
    const struct kubeconfig_user *u = c->sel.user;
    size_t len;
    enum ecd_status st;

    if (cl->tls_server_name && *cl->tls_server_name) {
        log_error("%s: %s:%lu: %s: not supported (libcurl offers no way to check the "
                  "certificate against another name); set server to a name the API server's "
                  "certificate covers",
                  c->label, cl->tls_server_name_loc.file, cl->tls_server_name_loc.line,
                  cl->tls_server_name_loc.path);
        return ECD_ECONFIG;
    }
    if (!(c->server = strdup(cl->server)))
        return ECD_ENOMEM;
    len = strlen(c->server);
    while (len && c->server[len - 1] == '/')
        c->server[--len] = '\0';
    if (cl->ca_data) {
        c->ca_pem = cl->ca_data; /* the data wins over the file, as in client-go */
    } else if (cl->ca_file) {
        if (!check_readable(c, &cl->loc, "certificate-authority", cl->ca_file))
            return ECD_ECONFIG;
        if (!(c->ca_file = strdup(cl->ca_file)))
            return ECD_ENOMEM;
    }
    c->insecure = cl->insecure;
    if (c->insecure)
        log_warn("%s: %s:%lu: %s: the API server's certificate is NOT checked: anyone on "
                 "the network path can pose as %s and receive the credentials sent to it",
                 c->label, cl->insecure_loc.file, cl->insecure_loc.line, cl->insecure_loc.path,
                 c->server);
    if (!strncmp(c->server, "http://", 7))
        log_warn("%s: server %s is plain http: credentials travel unencrypted", c->label,
                 c->server);
    if (!u)
        return ECD_OK;
    if (u->client_cert_data)
        c->cert_pem = u->client_cert_data;
    else if (u->client_cert_file) {
        if (!check_readable(c, &u->loc, "client-certificate", u->client_cert_file))
            return ECD_ECONFIG;
        c->cert_file = u->client_cert_file;
    }
    if (secret_is_set(&u->client_key_data))
        c->key_pem = &u->client_key_data;
    else if (u->client_key_file) {
        if (!check_readable(c, &u->loc, "client-key", u->client_key_file))
            return ECD_ECONFIG;
        c->key_file = u->client_key_file;
    }
    if (u->as && (st = add_extra(c, "Impersonate-User", u->as)))
        return st;
    for (size_t i = 0; i < u->n_as_groups; i++)
        if ((st = add_extra(c, "Impersonate-Group", u->as_groups[i])))
            return st;
    if (u->as_uid && (st = add_extra(c, "Impersonate-Uid", u->as_uid)))
        return st;
    if (u->exec) {
        c->auth = KUBE_AUTH_EXEC;
    } else if (u->token_file) {
        c->auth = KUBE_AUTH_TOKEN_FILE;
        if (!(c->token_file = strdup(u->token_file)))
            return ECD_ENOMEM;
        /* The kubeconfig's token is the fallback while the file cannot be read; without
         * one, the file must be readable now (client-go's rule). */
        if (secret_is_set(&u->token) && (st = secret_copy(&c->token, &u->token)))
            return st;
        if ((st = token_file_read(c)))
            return st == ECD_EAUTH ? ECD_ECONFIG : st;
    } else if (secret_is_set(&u->token)) {
        c->auth = KUBE_AUTH_TOKEN;
        if ((st = secret_copy(&c->token, &u->token)))
            return st;
    } else if (u->username) {
        struct buf plain, enc;

        c->auth = KUBE_AUTH_BASIC;
        buf_init(&plain, 64 * 1024);
        buf_init(&enc, 128 * 1024);
        st = buf_printf(&plain, "%s:%s", u->username, u->password.ptr ? u->password.ptr : "");
        if (!st)
            st = base64_encode(plain.ptr, plain.len, &enc);
        if (!st)
            st = secret_set(&c->token, enc.ptr, enc.len);
        buf_wipe(&plain);
        buf_wipe(&enc);
        if (st)
            return st;
    }
    return ECD_OK;
}

/* Read every file of a ':' list (missing ones skipped, as client-go does) or the one
 * file named (which must exist), and select the context. */
static enum ecd_status load_kubeconfig(struct kube_client *c, const char *list, int must_exist,
                                       const char *context)
{
    struct kubeconfig_err e;
    char *copy = strdup(list), *save = NULL, files[256];
    enum ecd_status st = ECD_OK;
    size_t found = 0;

    if (!copy)
        return ECD_ENOMEM;
    for (char *p = strtok_r(copy, ":", &save); p && !st; p = strtok_r(NULL, ":", &save)) {
        char *path = abs_path(p);
        struct buf text;
        int err_no;

        if (!path) {
            st = ECD_ENOMEM;
            break;
        }
        if (read_file(path, KUBECONFIG_FILE_MAX, &text, &err_no)) {
            if (err_no == ENOENT && !must_exist) {
                log_debug("%s: kubeconfig %s does not exist, skipped", c->label, path);
            } else {
                log_error("%s: kubeconfig %s: %s", c->label, path,
                          err_no == EFBIG ? "larger than 4 MiB" : strerror(err_no));
                st = ECD_ECONFIG;
            }
            free(path);
            continue;
        }
        found++;
        st = kubeconfig_parse(&c->kc, path, text.ptr ? text.ptr : "", text.len, &e);
        buf_wipe(&text);
        free(path);
        if (st == ECD_ECONFIG)
            log_error("%s: %s", c->label, e.msg);
    }
    free(copy);
    if (st)
        return st;
    if (!found) {
        log_error("%s: KUBECONFIG=%s names no existing file", c->label, list);
        return ECD_ECONFIG;
    }
    if ((st = kubeconfig_select(&c->kc, context, &c->sel, &e))) {
        if (st == ECD_ECONFIG)
            log_error("%s: %s", c->label, e.msg);
        return st;
    }
    if ((st = setup_from_kubeconfig(c)))
        return st;
    kubeconfig_files_str(&c->kc, files, sizeof(files));
    if (asprintf(&c->describe, "%s (kubeconfig %s, context %s%s%s)", c->server, files,
                 c->sel.context->name, c->sel.user ? ", user " : "",
                 c->sel.user ? c->sel.user->name : "") < 0) {
        c->describe = NULL;
        return ECD_ENOMEM;
    }
    c->namespace_ = strdup(c->sel.context->namespace_ && *c->sel.context->namespace_
                               ? c->sel.context->namespace_
                               : "default");
    return c->namespace_ ? ECD_OK : ECD_ENOMEM;
}

/* client-go's rest.InClusterConfig. */
static enum ecd_status load_in_cluster(struct kube_client *c, const struct kube_client_opts *o)
{
    const char *host = env_get(o, "KUBERNETES_SERVICE_HOST");
    const char *port = env_get(o, "KUBERNETES_SERVICE_PORT");
    struct buf ns;
    int err_no;
    enum ecd_status st;

    if (!host || !port) {
        log_error("%s: in-cluster configuration needs KUBERNETES_SERVICE_HOST and "
                  "KUBERNETES_SERVICE_PORT (set by the kubelet in every pod); %s is not set",
                  c->label, host ? "KUBERNETES_SERVICE_PORT" : "KUBERNETES_SERVICE_HOST");
        return ECD_ECONFIG;
    }
    /* net.JoinHostPort: an IPv6 address goes in brackets. */
    if (asprintf(&c->server, strchr(host, ':') ? "https://[%s]:%s" : "https://%s:%s", host, port) <
        0) {
        c->server = NULL;
        return ECD_ENOMEM;
    }
    if (!(c->token_file = strdup(SA_DIR "/token")))
        return ECD_ENOMEM;
    c->auth = KUBE_AUTH_TOKEN_FILE;
    if ((st = token_file_read(c)))
        return st == ECD_EAUTH ? ECD_ECONFIG : st;
    /* curl reads the CA file for every new connection, so a rotated ca.crt is used. */
    if (access(SA_DIR "/ca.crt", R_OK) == 0) {
        if (!(c->ca_file = strdup(SA_DIR "/ca.crt")))
            return ECD_ENOMEM;
    } else {
        log_warn("%s: %s: %s; checking the API server against the system CAs", c->label,
                 SA_DIR "/ca.crt", strerror(errno));
    }
    if (!read_file(SA_DIR "/namespace", 1024, &ns, &err_no)) {
        size_t len = ns.len;

        while (len && strchr(" \t\r\n", ns.ptr[len - 1]))
            len--;
        if (len && !(c->namespace_ = strndup(ns.ptr, len))) {
            buf_free(&ns);
            return ECD_ENOMEM;
        }
        buf_free(&ns);
    }
    if (!c->namespace_ && !(c->namespace_ = strdup("default")))
        return ECD_ENOMEM;
    if (asprintf(&c->describe, "%s (in-cluster, namespace %s)", c->server, c->namespace_) < 0) {
        c->describe = NULL;
        return ECD_ENOMEM;
    }
    return ECD_OK;
}

enum ecd_status kube_client_new(uv_loop_t *loop, struct http_client *http,
                                const struct kube_client_opts *opts, struct kube_client **out)
{
    struct kube_client *c = calloc(1, sizeof(*c));
    const char *list;
    char *home_cfg = NULL;
    enum ecd_status st;

    *out = NULL;
    if (!c)
        return ECD_ENOMEM;
    c->loop = loop;
    c->http = http;
    kubeconfig_init(&c->kc);
    if (!(c->label = strdup(opts->where ? opts->where : "kubernetes"))) {
        free(c);
        return ECD_ENOMEM;
    }
    if (opts->in_cluster)
        st = load_in_cluster(c, opts);
    else if (opts->kubeconfig)
        st = load_kubeconfig(c, opts->kubeconfig, 1, opts->context);
    else if ((list = env_get(opts, "KUBECONFIG")))
        st = load_kubeconfig(c, list, 0, opts->context);
    else if (env_get(opts, "KUBERNETES_SERVICE_HOST"))
        st = load_in_cluster(c, opts);
    else if (!env_get(opts, "HOME")) {
        log_error("%s: no Kubernetes connection: KUBECONFIG, KUBERNETES_SERVICE_HOST and HOME "
                  "are all unset",
                  c->label);
        st = ECD_ECONFIG;
    } else if (asprintf(&home_cfg, "%s/.kube/config", env_get(opts, "HOME")) < 0) {
        home_cfg = NULL;
        st = ECD_ENOMEM;
    } else if (access(home_cfg, F_OK) != 0) {
        log_error("%s: no Kubernetes connection: %s does not exist, KUBECONFIG is unset and "
                  "this is not a pod (KUBERNETES_SERVICE_HOST is unset)",
                  c->label, home_cfg);
        st = ECD_ECONFIG;
    } else {
        st = load_kubeconfig(c, home_cfg, 1, opts->context);
    }
    free(home_cfg);
    if (st) {
        client_release(c); /* no handle is open yet */
        return st;
    }
    (void)uv_timer_init(loop, &c->defer); /* cannot fail on Linux */
    c->defer.data = c;
    log_debug("%s: Kubernetes API at %s", c->label, c->describe);
    *out = c;
    return ECD_OK;
}
