/* SPDX-License-Identifier: MIT */
/* The Rancher 1.6 (Cattle) sink: for each ECR host, the registry whose serverAddress
 * names it and that registry's registryCredential (publicValue "AWS", secretValue
 * the token's password) are kept current through the Cattle API, as the old
 * rancher-ecr-credentials updater did (protocols.md 6.1), but on the event loop,
 * with pagination, waits for transitional states and clear errors.  The JSON is
 * common/cattle.c's.
 *
 * One push walks: GET registries (every page), then per host: [POST registry] ->
 * GET registryCredentials?registryId= (every page) -> POST or PUT each credential,
 * pausing on a uv timer while Cattle reports the credential as busy. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomicfile.h"
#include "base64.h"
#include "cattle.h"
#include "http.h"
#include "jsonutil.h"
#include "log.h"
#include "secret.h"
#include "sink.h"

#define R1_DEFAULT_EMAIL "not-really@required.anymore" /* the old updater's placeholder */
#define R1_MAX_BODY      (4 * 1024 * 1024)
#define R1_MAX_PAGES     200 /* of registries or of one registry's credentials */
#define R1_MAX_WAITS     12  /* pauses for one credential, about 20 s in all */
#define R1_WAIT_FIRST_MS 250
#define R1_WAIT_MAX_MS   2000
#define R1_SECRET_MAX    4096
#define R1_URL_MAX       8192
#define R1_LABELS                                                                                  \
    "Rancher sets CATTLE_URL, CATTLE_ACCESS_KEY and CATTLE_SECRET_KEY only in a container "        \
    "with the labels io.rancher.container.create_agent: 'true' and "                               \
    "io.rancher.container.agent.role: environment"

enum r1_step {
    R1_LIST_REGISTRIES,
    R1_CREATE_REGISTRY,
    R1_LIST_CREDENTIALS,
    R1_CREATE_CREDENTIAL,
    R1_GET_CREDENTIAL,
    R1_PUT_CREDENTIAL,
};

struct r1_item {
    char *host;             /* owned; normalised (cattle_host_normalize) */
    char *user;             /* owned; the token's user name, "AWS" */
    struct secret password; /* owned */
};

/* A pause before looking at a busy credential again.  Its own allocation: the
 * handle must outlive the push until its close callback has run. */
struct r1_wait {
    uv_timer_t timer; /* data = this */
    struct sink *s;   /* borrowed */
    int canceled;     /* closed by cancel: the close callback ends the push */
};

struct r1_state {
    /* Settings (configure). */
    char *url;                /* owned; API base, no trailing '/' */
    char *origin;             /* owned; "http://host:port" of url: every link goes there */
    char *access_key;         /* owned; not a secret (it names the key) */
    struct secret secret_key; /* owned; unset when read from secret_key_file per push */
    char *secret_key_file;    /* owned; NULL unless configured */
    char key_src[160];        /* where the key came from, for messages */
    int auto_create;
    char *email;   /* owned */
    char *ca_file; /* owned; NULL: system CAs */
    /* The push in progress. */
    struct r1_item *items; /* owned */
    size_t n_items, cur;
    struct cattle_list regs;  /* every registry (all pages) */
    struct cattle_list creds; /* the current registry's credentials (all pages) */
    char *reg_id;             /* owned; the current host's registry */
    size_t cred_i;            /* into creds */
    unsigned pages, waits;
    int listed; /* every page of registries is in */
    enum r1_step step;
    struct http_req *req;   /* borrowed from http until its done runs */
    char *req_url;          /* owned; the URL of the last request, for messages */
    struct r1_wait *wait;   /* the pause in progress, or NULL */
    struct secret auth;     /* owned; "Basic ..." for this push */
    enum ecd_status result; /* the first failure of this push */
    size_t n_updated, n_created;
    int canceled;
    sink_done_fn *done;
    void *ud;
};

static void step_host(struct sink *s);
static void step_credential(struct sink *s);

/* ---- configure ---- */

static enum ecd_status fail_key(const struct config_sink *cs, const char *key, const char *fmt,
                                const char *arg)
{
    char where[JSONUTIL_PATH_MAX];

    jsonutil_path_key(where, sizeof(where), cs->where, key);
    log_error("%s: %s: %s%s", cs->file, where, fmt, arg ? arg : "");
    return ECD_ECONFIG;
}

static int has_ctl(const char *v)
{
    for (; *v; v++)
        if ((unsigned char)*v < 0x20 || *v == 0x7f)
            return 1;
    return 0;
}

static enum ecd_status configure_url(struct sink *s, const struct config_sink *cs, const char *url)
{
    struct r1_state *rs = s->state;
    const char *from_env = NULL, *why = NULL;
    char where[JSONUTIL_PATH_MAX];
    enum ecd_status st;
    size_t n;

    if (!url) {
        from_env = s->env->getenv_fn("CATTLE_URL");
        if (!from_env || !*from_env) {
            log_error("%s: %s: no Rancher API URL: set \"url\" or CATTLE_URL (%s); %s", cs->file,
                      cs->where, from_env ? "CATTLE_URL is empty" : "CATTLE_URL is not set",
                      R1_LABELS);
            return ECD_ECONFIG;
        }
        url = from_env;
    }
    if (strlen(url) > 2048) {
        why = "longer than 2048 characters";
        st = ECD_ECONFIG;
    } else {
        st = cattle_base_check(url, &rs->origin, &why);
    }
    if (st == ECD_ECONFIG) {
        jsonutil_path_key(where, sizeof(where), cs->where, "url");
        if (from_env)
            log_error("%s: %s: CATTLE_URL \"%.200s\": %s", cs->file, cs->where, url, why);
        else
            log_error("%s: %s: \"%.200s\": %s", cs->file, where, url, why);
        return st;
    }
    if (st)
        return st;
    rs->url = strdup(url);
    if (!rs->url)
        return ECD_ENOMEM;
    n = strlen(rs->url);
    while (n && rs->url[n - 1] == '/')
        rs->url[--n] = '\0';
    return ECD_OK;
}

static enum ecd_status configure_key(struct sink *s, const struct config_sink *cs, const char *ak,
                                     const char *sk, const char *sk_file)
{
    struct r1_state *rs = s->state;
    const char *ak_src = ak ? "access_key" : "CATTLE_ACCESS_KEY";
    const char *sk_src = sk ? "secret_key" : sk_file ? "secret_key_file" : "CATTLE_SECRET_KEY";

    if (sk && sk_file)
        return fail_key(cs, "secret_key_file", "give secret_key or secret_key_file, not both",
                        NULL);
    if (!ak)
        ak = s->env->getenv_fn("CATTLE_ACCESS_KEY");
    if (!ak || !*ak) {
        log_error("%s: %s: no Rancher API access key: set \"access_key\" or CATTLE_ACCESS_KEY; %s",
                  cs->file, cs->where, R1_LABELS);
        return ECD_ECONFIG;
    }
    /* HTTP Basic puts "user:password" together: a ':' in the user would move the split. */
    if (strchr(ak, ':') || has_ctl(ak) || strlen(ak) > 256) {
        log_error("%s: %s: %s: expected an API access key (no ':' or control characters, at "
                  "most 256 bytes)",
                  cs->file, cs->where, ak_src);
        return ECD_ECONFIG;
    }
    rs->access_key = strdup(ak);
    if (!rs->access_key)
        return ECD_ENOMEM;
    if (sk_file) {
        if (sk_file[0] != '/')
            return fail_key(cs, "secret_key_file", "expected an absolute file path, got ", sk_file);
        rs->secret_key_file = strdup(sk_file);
        if (!rs->secret_key_file)
            return ECD_ENOMEM;
    } else {
        if (!sk)
            sk = s->env->getenv_fn("CATTLE_SECRET_KEY");
        if (!sk || !*sk) {
            log_error("%s: %s: no Rancher API secret key: set CATTLE_SECRET_KEY, "
                      "\"secret_key_file\" or \"secret_key\"; %s",
                      cs->file, cs->where, R1_LABELS);
            return ECD_ECONFIG;
        }
        if (secret_set(&rs->secret_key, sk, strlen(sk)))
            return ECD_ENOMEM;
    }
    if (!strcmp(ak_src, "CATTLE_ACCESS_KEY") && !strcmp(sk_src, "CATTLE_SECRET_KEY"))
        snprintf(rs->key_src, sizeof(rs->key_src), "CATTLE_ACCESS_KEY and CATTLE_SECRET_KEY");
    else
        snprintf(rs->key_src, sizeof(rs->key_src), "%s and %s of %s in %s", ak_src, sk_src,
                 cs->where, cs->file);
    return ECD_OK;
}

static enum ecd_status rancher1_configure(struct sink *s, const struct config_sink *cs)
{
    static const char *const allowed[] = {
        "type",        "name",  "url",     "access_key", "secret_key", "secret_key_file",
        "auto_create", "email", "ca_file", NULL};
    struct r1_state *rs = s->state;
    struct jsonutil_err e;
    const char *url = NULL, *ak = NULL, *sk = NULL, *sk_file = NULL, *email = NULL, *ca = NULL;
    enum ecd_status st;

    jsonutil_err_init(&e, cs->file, ECD_ECONFIG);
    if (jsonutil_check_keys(&e, cs->node, cs->where, allowed) ||
        jsonutil_get_string(&e, cs->node, cs->where, "url", JSONUTIL_OPTIONAL, &url) ||
        jsonutil_get_string(&e, cs->node, cs->where, "access_key", JSONUTIL_OPTIONAL, &ak) ||
        jsonutil_get_string(&e, cs->node, cs->where, "secret_key", JSONUTIL_OPTIONAL, &sk) ||
        jsonutil_get_string(&e, cs->node, cs->where, "secret_key_file", JSONUTIL_OPTIONAL,
                            &sk_file) ||
        jsonutil_get_bool(&e, cs->node, cs->where, "auto_create", JSONUTIL_OPTIONAL,
                          &rs->auto_create) ||
        jsonutil_get_string(&e, cs->node, cs->where, "email", JSONUTIL_OPTIONAL, &email) ||
        jsonutil_get_string(&e, cs->node, cs->where, "ca_file", JSONUTIL_OPTIONAL, &ca)) {
        log_error("%s", e.msg);
        return ECD_ECONFIG;
    }
    if ((st = configure_url(s, cs, url)) || (st = configure_key(s, cs, ak, sk, sk_file)))
        return st;
    if (email && (!*email || has_ctl(email) || strlen(email) > 254))
        return fail_key(cs, "email", "expected an e-mail address (1-254 characters)", NULL);
    rs->email = strdup(email ? email : R1_DEFAULT_EMAIL);
    if (!rs->email)
        return ECD_ENOMEM;
    if (ca) {
        if (ca[0] != '/')
            return fail_key(cs, "ca_file", "expected an absolute file path, got ", ca);
        if (access(ca, R_OK) != 0) {
            char where[JSONUTIL_PATH_MAX];

            jsonutil_path_key(where, sizeof(where), cs->where, "ca_file");
            log_error("%s: %s: %s: %s", cs->file, where, ca, strerror(errno));
            return ECD_ECONFIG;
        }
        rs->ca_file = strdup(ca);
        if (!rs->ca_file)
            return ECD_ENOMEM;
    }
    return ECD_OK;
}

/* ---- the push ---- */

static void clear_push(struct r1_state *rs)
{
    for (size_t i = 0; i < rs->n_items; i++) {
        free(rs->items[i].host);
        free(rs->items[i].user);
        secret_wipe(&rs->items[i].password);
    }
    free(rs->items);
    rs->items = NULL;
    rs->n_items = rs->cur = 0;
    cattle_list_clear(&rs->regs);
    cattle_list_clear(&rs->creds);
    free(rs->reg_id);
    rs->reg_id = NULL;
    free(rs->req_url);
    rs->req_url = NULL;
    secret_wipe(&rs->auth);
}

static void finish(struct sink *s, enum ecd_status st)
{
    struct r1_state *rs = s->state;
    sink_done_fn *done = rs->done;

    if (rs->canceled)
        st = ECD_ECANCELED;
    else if (!st)
        st = rs->result;
    if (!st)
        log_info("sink %s: Rancher %s: %zu registr%s up to date (%zu credential%s updated, %zu "
                 "created)",
                 s->name, rs->url, rs->n_items, rs->n_items == 1 ? "y" : "ies", rs->n_updated,
                 rs->n_updated == 1 ? "" : "s", rs->n_created);
    clear_push(rs);
    rs->done = NULL;
    done(s, st, rs->ud);
}

/* A failure for the current host: remembered, and the walk goes on with the next
 * host unless no other host can do better (the key or the server is the problem). */
static void host_failed(struct sink *s, enum ecd_status st)
{
    struct r1_state *rs = s->state;

    if (!rs->result)
        rs->result = st;
    if (st == ECD_EAUTH || st == ECD_ETRANSPORT || st == ECD_ENOMEM || !rs->listed) {
        finish(s, st);
        return;
    }
    rs->cur++;
    step_host(s);
}

static const char *item_host(const struct r1_state *rs)
{
    return rs->cur < rs->n_items ? rs->items[rs->cur].host : "?";
}

/* What the request in flight was doing, for messages. */
static void describe_step(const struct r1_state *rs, char *out, size_t n)
{
    const struct cattle_object *c = rs->cred_i < rs->creds.n ? &rs->creds.items[rs->cred_i] : NULL;

    switch (rs->step) {
    case R1_LIST_REGISTRIES:
        snprintf(out, n, "list registries");
        return;
    case R1_CREATE_REGISTRY:
        snprintf(out, n, "create registry %s", item_host(rs));
        return;
    case R1_LIST_CREDENTIALS:
        snprintf(out, n, "list the credentials of registry %s (%s)", item_host(rs),
                 rs->reg_id ? rs->reg_id : "?");
        return;
    case R1_CREATE_CREDENTIAL:
        snprintf(out, n, "create the credential of registry %s", item_host(rs));
        return;
    case R1_GET_CREDENTIAL:
        snprintf(out, n, "read registry credential %s of %s", c ? c->id : "?", item_host(rs));
        return;
    case R1_PUT_CREDENTIAL:
        snprintf(out, n, "update registry credential %s of %s", c ? c->id : "?", item_host(rs));
        return;
    }
    snprintf(out, n, "talk to Rancher");
}

/* Log a failed exchange once, in words that say what to do; the status to report. */
static enum ecd_status http_failed(struct sink *s, enum ecd_status st,
                                   const struct http_response *resp, const char *url)
{
    struct r1_state *rs = s->state;
    struct cattle_error err;
    char what[256];

    describe_step(rs, what, sizeof(what));
    if (st) {
        log_error("sink %s: cannot %s: %s %s: %s", s->name, what, url, ecd_strerror(st),
                  resp && resp->errmsg[0] ? resp->errmsg : "");
        return st;
    }
    (void)cattle_error_parse(resp->body.ptr, resp->body.len, &err);
    if (resp->status == 401) {
        log_error("sink %s: Rancher refused the API key \"%s\" (401 Unauthorized) trying to %s: "
                  "check %s",
                  s->name, rs->access_key, what, rs->key_src);
        return ECD_EAUTH;
    }
    if (resp->status == 403) {
        log_error("sink %s: the API key \"%s\" may not %s (403 Forbidden%s%s): it needs an "
                  "environment API key (or an account key with /projects/<id> in the URL) of "
                  "a member who may manage registries",
                  s->name, rs->access_key, what, err.message[0] ? ": " : "", err.message);
        return ECD_EAUTH;
    }
    if (resp->status == 404 && (rs->step == R1_LIST_REGISTRIES || rs->step == R1_CREATE_REGISTRY))
        log_error("sink %s: cannot %s: %s answered 404 Not Found: is %s the Cattle API base "
                  "(http://<rancher>:8080/v1 or /v2-beta)?",
                  s->name, what, url, rs->url);
    else if (err.code[0] || err.message[0])
        log_error("sink %s: cannot %s: %s answered %ld: %s%s%s%s%s", s->name, what, url,
                  resp->status, err.code, err.message[0] ? ": " : "", err.message,
                  err.detail[0] ? ": " : "", err.detail);
    else
        log_error("sink %s: cannot %s: %s answered HTTP %ld", s->name, what, url, resp->status);
    return ECD_EHTTP;
}

static void on_response(enum ecd_status st, const struct http_response *resp, void *ud);

/* Send a request for the current step.  `target` is an API path relative to the
 * base ("/registries") or a link the server gave: links are sent to the configured
 * origin whatever host they name, so the key never goes to another server (and a
 * Rancher behind a proxy that writes its own address into links still works). */
static enum ecd_status send_req(struct sink *s, const char *method, const char *target, int is_link,
                                const struct buf *body)
{
    struct r1_state *rs = s->state;
    struct buf url;
    struct http_header hdrs[3];
    struct http_request_opts o = {0};
    enum ecd_status st;
    size_t nh = 0;

    buf_init(&url, R1_URL_MAX);
    if (is_link) {
        const char *path = cattle_url_path(target);

        st = path ? buf_printf(&url, "%s%s", rs->origin, path) : ECD_EPROTO;
    } else {
        st = buf_printf(&url, "%s%s", rs->url, target);
    }
    if (st) {
        buf_free(&url);
        return st;
    }
    hdrs[nh++] = (struct http_header){"Authorization", rs->auth.ptr};
    hdrs[nh++] = (struct http_header){"Accept", "application/json"};
    if (body)
        hdrs[nh++] = (struct http_header){"Content-Type", "application/json"};
    o.method = method;
    o.url = buf_str(&url);
    o.headers = hdrs;
    o.n_headers = nh;
    o.body = body ? body->ptr : NULL;
    o.body_len = body ? body->len : 0;
    o.ca_bundle = rs->ca_file;
    o.max_body = R1_MAX_BODY;
    log_debug("sink %s: %s %s", s->name, method, o.url);
    st = http_request(s->env->http, &o, on_response, s, &rs->req);
    if (st) {
        log_error("sink %s: cannot start %s %s: %s", s->name, method, o.url, ecd_strerror(st));
        buf_free(&url);
        return st;
    }
    free(rs->req_url);
    rs->req_url = NULL;
    /* Only for messages: without it they name the base URL instead. */
    if (buf_steal(&url, &rs->req_url))
        buf_free(&url);
    return ECD_OK;
}

/* Start a request and, when it cannot start, end the walk for this host. */
static void send_or_fail(struct sink *s, const char *method, const char *target, int is_link,
                         const struct buf *body)
{
    enum ecd_status st = send_req(s, method, target, is_link, body);

    if (st)
        host_failed(s, st == ECD_EPROTO ? ECD_EPROTO : ECD_ENOMEM);
}

static void list_credentials(struct sink *s)
{
    struct r1_state *rs = s->state;
    char target[128];

    cattle_list_clear(&rs->creds);
    rs->pages = 0;
    rs->step = R1_LIST_CREDENTIALS;
    snprintf(target, sizeof(target), "/registryCredentials?registryId=%s", rs->reg_id);
    send_or_fail(s, "GET", target, 0, NULL);
}

static void create_credential(struct sink *s)
{
    struct r1_state *rs = s->state;
    const struct r1_item *it = &rs->items[rs->cur];
    struct buf body;
    enum ecd_status st;

    buf_init(&body, 64 * 1024);
    rs->step = R1_CREATE_CREDENTIAL;
    st = cattle_credential_body(rs->reg_id, it->user, &it->password, rs->email, &body);
    if (!st)
        send_or_fail(s, "POST", "/registryCredentials", 0, &body);
    buf_wipe(&body);
    if (st)
        host_failed(s, st);
}

static void put_credential(struct sink *s)
{
    struct r1_state *rs = s->state;
    const struct r1_item *it = &rs->items[rs->cur];
    struct buf body;
    enum ecd_status st;

    buf_init(&body, 64 * 1024);
    rs->step = R1_PUT_CREDENTIAL;
    /* Only the fields that change; registryId is not updatable. */
    st = cattle_credential_body(NULL, it->user, &it->password, rs->email, &body);
    if (!st)
        send_or_fail(s, "PUT", rs->creds.items[rs->cred_i].self, 1, &body);
    buf_wipe(&body);
    if (st)
        host_failed(s, st);
}

/* ---- pauses while Cattle finishes a transition ---- */

static void on_wait_closed(uv_handle_t *h)
{
    struct r1_wait *w = h->data;
    struct sink *s = w->s;
    int canceled = w->canceled;

    free(w);
    if (canceled)
        finish(s, ECD_ECANCELED);
}

static void on_wait_timer(uv_timer_t *t)
{
    struct r1_wait *w = t->data;
    struct sink *s = w->s;
    struct r1_state *rs = s->state;

    rs->wait = NULL;
    uv_close((uv_handle_t *)&w->timer, on_wait_closed);
    if (rs->step == R1_CREATE_CREDENTIAL) {
        create_credential(s);
        return;
    }
    rs->step = R1_GET_CREDENTIAL;
    send_or_fail(s, "GET", rs->creds.items[rs->cred_i].self, 1, NULL);
}

/* Wait, then retry the current step (POST again, or GET the credential and decide). */
static void pause_then_retry(struct sink *s, const char *state)
{
    struct r1_state *rs = s->state;
    struct r1_wait *w;
    uint64_t ms = R1_WAIT_FIRST_MS;

    if (rs->waits >= R1_MAX_WAITS) {
        char what[256];

        describe_step(rs, what, sizeof(what));
        log_error("sink %s: cannot %s: Rancher still reports it as %s after %u tries; "
                  "trying again later",
                  s->name, what, state ? state : "busy", rs->waits + 1);
        host_failed(s, ECD_EHTTP);
        return;
    }
    for (unsigned i = 0; i < rs->waits && ms < R1_WAIT_MAX_MS; i++)
        ms *= 2;
    if (ms > R1_WAIT_MAX_MS)
        ms = R1_WAIT_MAX_MS;
    rs->waits++;
    w = calloc(1, sizeof(*w));
    if (!w) {
        host_failed(s, ECD_ENOMEM);
        return;
    }
    w->s = s;
    w->timer.data = w;
    (void)uv_timer_init(s->env->loop, &w->timer);          /* cannot fail */
    (void)uv_timer_start(&w->timer, on_wait_timer, ms, 0); /* cannot fail: cb set */
    rs->wait = w;
    log_debug("sink %s: %s is %s; looking again in %llu ms", s->name, item_host(rs),
              state ? state : "busy", (unsigned long long)ms);
}

/* ---- the walk ---- */

static int cred_matches(const struct r1_state *rs, const struct cattle_object *c)
{
    /* The filter is the server's; an old or proxied server may ignore it. */
    return c->registry_id && !strcmp(c->registry_id, rs->reg_id) &&
           cattle_state_kind(c->state) != CATTLE_STATE_GONE;
}

/* The next credential of this registry from creds[cred_i] on, or the next host. */
static void step_credential(struct sink *s)
{
    struct r1_state *rs = s->state;

    while (rs->cred_i < rs->creds.n && !cred_matches(rs, &rs->creds.items[rs->cred_i]))
        rs->cred_i++;
    if (rs->cred_i >= rs->creds.n) {
        rs->cur++;
        step_host(s);
        return;
    }
    if (cattle_state_kind(rs->creds.items[rs->cred_i].state) == CATTLE_STATE_WAIT) {
        pause_then_retry(s, rs->creds.items[rs->cred_i].state);
        return;
    }
    put_credential(s);
}

static const struct cattle_object *find_registry(const struct r1_state *rs, const char *host)
{
    char h[CATTLE_HOST_MAX];

    for (size_t i = 0; i < rs->regs.n; i++) {
        const struct cattle_object *r = &rs->regs.items[i];

        if (cattle_state_kind(r->state) == CATTLE_STATE_GONE || !r->server_address ||
            cattle_host_normalize(r->server_address, h, sizeof(h)))
            continue;
        if (!strcmp(h, host))
            return r;
    }
    return NULL;
}

static void step_host(struct sink *s)
{
    struct r1_state *rs = s->state;
    const struct cattle_object *r;
    struct buf body;
    enum ecd_status st;

    free(rs->reg_id);
    rs->reg_id = NULL;
    rs->waits = 0;
    rs->cred_i = 0;
    if (rs->cur >= rs->n_items) {
        finish(s, ECD_OK);
        return;
    }
    r = find_registry(rs, rs->items[rs->cur].host);
    if (r) {
        rs->reg_id = strdup(r->id);
        if (!rs->reg_id) {
            host_failed(s, ECD_ENOMEM);
            return;
        }
        list_credentials(s);
        return;
    }
    if (!rs->auto_create) {
        log_error("sink %s: registry %s not found in Rancher; create it or set AUTO_CREATE=true "
                  "(\"auto_create\": true)",
                  s->name, rs->items[rs->cur].host);
        host_failed(s, ECD_ECONFIG);
        return;
    }
    buf_init(&body, 4096);
    rs->step = R1_CREATE_REGISTRY;
    st = cattle_registry_body(rs->items[rs->cur].host, &body);
    if (!st)
        send_or_fail(s, "POST", "/registries", 0, &body);
    buf_free(&body);
    if (st)
        host_failed(s, st);
}

/* The next page of a listing, if any; 1 when a request went out (or failed). */
static int next_page(struct sink *s, struct cattle_list *page)
{
    struct r1_state *rs = s->state;
    char *next = page->next;

    if (!next)
        return 0;
    page->next = NULL;
    if (++rs->pages >= R1_MAX_PAGES) {
        log_error("sink %s: more than %d pages of results; giving up", s->name, R1_MAX_PAGES);
        free(next);
        host_failed(s, ECD_EPROTO);
        return 1;
    }
    send_or_fail(s, "GET", next, 1, NULL);
    free(next);
    return 1;
}

static void on_response(enum ecd_status st, const struct http_response *resp, void *ud)
{
    struct sink *s = ud;
    struct r1_state *rs = s->state;
    struct jsonutil_err e;
    struct cattle_list page = {0};
    struct cattle_object obj = {0};
    struct cattle_error err;
    char what[256], name[320];
    const char *want;

    rs->req = NULL;
    if (st == ECD_ECANCELED || rs->canceled) {
        finish(s, ECD_ECANCELED);
        return;
    }
    if (!st && (resp->status == 409 || resp->status == 422) &&
        (rs->step == R1_PUT_CREDENTIAL || rs->step == R1_CREATE_CREDENTIAL) &&
        cattle_error_parse(resp->body.ptr, resp->body.len, &err) && cattle_error_is_state(&err)) {
        /* "State [updating-active] is not updatable": busy, not wrong. */
        pause_then_retry(s, err.message);
        return;
    }
    if (st || resp->status < 200 || resp->status > 299) {
        host_failed(s, http_failed(s, st, resp, rs->req_url ? rs->req_url : rs->url));
        return;
    }
    describe_step(rs, what, sizeof(what));
    snprintf(name, sizeof(name), "sink %s: %s: reply", s->name, what);
    jsonutil_err_init(&e, name, ECD_EPROTO);
    want = rs->step == R1_LIST_REGISTRIES || rs->step == R1_CREATE_REGISTRY
               ? CATTLE_TYPE_REGISTRY
               : CATTLE_TYPE_CREDENTIAL;
    if (rs->step == R1_LIST_REGISTRIES || rs->step == R1_LIST_CREDENTIALS) {
        st = cattle_list_parse(&e, resp->body.ptr, resp->body.len, want, &page);
        if (!st) {
            char *next = page.next;

            page.next = NULL;
            st = cattle_list_take(rs->step == R1_LIST_REGISTRIES ? &rs->regs : &rs->creds, &page);
            page.next = next;
        }
    } else {
        st = cattle_object_parse(&e, resp->body.ptr, resp->body.len, want, &obj);
    }
    if (st) {
        if (st == ECD_ENOMEM)
            log_error("sink %s: out of memory", s->name);
        else
            log_error("%s", e.msg);
        cattle_list_clear(&page);
        host_failed(s, st);
        return;
    }
    switch (rs->step) {
    case R1_LIST_REGISTRIES:
        if (next_page(s, &page))
            break;
        rs->listed = 1;
        step_host(s);
        break;
    case R1_LIST_CREDENTIALS:
        if (next_page(s, &page))
            break;
        rs->cred_i = 0;
        while (rs->cred_i < rs->creds.n && !cred_matches(rs, &rs->creds.items[rs->cred_i]))
            rs->cred_i++;
        if (rs->cred_i >= rs->creds.n)
            create_credential(s);
        else
            step_credential(s);
        break;
    case R1_CREATE_REGISTRY:
        log_notice("sink %s: created registry %s in Rancher (%s)", s->name, item_host(rs), obj.id);
        free(rs->reg_id);
        rs->reg_id = obj.id;
        obj.id = NULL;
        create_credential(s);
        break;
    case R1_CREATE_CREDENTIAL:
        log_info("sink %s: created the credential of registry %s (%s)", s->name, item_host(rs),
                 obj.id);
        rs->n_created++;
        rs->cur++;
        step_host(s);
        break;
    case R1_GET_CREDENTIAL:
        cattle_object_clear(&rs->creds.items[rs->cred_i]);
        rs->creds.items[rs->cred_i] = obj;
        memset(&obj, 0, sizeof(obj));
        step_credential(s);
        break;
    case R1_PUT_CREDENTIAL:
        log_debug("sink %s: updated registry credential %s of %s", s->name, obj.id, item_host(rs));
        rs->n_updated++;
        rs->cred_i++;
        rs->waits = 0;
        step_credential(s);
        break;
    }
    cattle_list_clear(&page);
    cattle_object_clear(&obj);
}

/* secret_key_file, read for every push so a rotated key is picked up. */
static enum ecd_status read_secret_file(struct sink *s, struct secret *out)
{
    struct r1_state *rs = s->state;
    struct buf b;
    enum ecd_status st;
    int fd;

    fd = open(rs->secret_key_file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        log_error("sink %s: secret_key_file %s: %s", s->name, rs->secret_key_file, strerror(errno));
        return ECD_EIO;
    }
    buf_init(&b, R1_SECRET_MAX);
    st = atomicfile_read_fd(fd, &b);
    (void)close(fd); /* read-only */
    if (st) {
        log_error("sink %s: secret_key_file %s: cannot read (at most %d bytes)", s->name,
                  rs->secret_key_file, R1_SECRET_MAX);
        buf_wipe(&b);
        return st == ECD_ENOMEM ? ECD_ENOMEM : ECD_EIO;
    }
    while (b.len && (b.ptr[b.len - 1] == '\n' || b.ptr[b.len - 1] == '\r' ||
                     b.ptr[b.len - 1] == ' ' || b.ptr[b.len - 1] == '\t'))
        b.ptr[--b.len] = '\0';
    if (!b.len) {
        log_error("sink %s: secret_key_file %s is empty", s->name, rs->secret_key_file);
        buf_wipe(&b);
        return ECD_EIO;
    }
    st = secret_set(out, b.ptr, b.len);
    buf_wipe(&b);
    return st;
}

/* "Basic base64(access:secret)", built and left only in wiped memory. */
static enum ecd_status build_auth(struct sink *s)
{
    struct r1_state *rs = s->state;
    struct secret file_key = {0};
    const struct secret *key = &rs->secret_key;
    struct buf pair, hdr;
    enum ecd_status st;
    char *out = NULL;

    if (rs->secret_key_file) {
        st = read_secret_file(s, &file_key);
        if (st)
            return st;
        key = &file_key;
    }
    buf_init(&pair, 2 * R1_SECRET_MAX);
    buf_init(&hdr, 4 * R1_SECRET_MAX);
    st = buf_append_str(&pair, rs->access_key);
    if (!st)
        st = buf_append(&pair, ":", 1);
    if (!st)
        st = buf_append(&pair, key->ptr, key->len);
    if (!st)
        st = buf_append_str(&hdr, "Basic ");
    if (!st)
        st = base64_encode(pair.ptr, pair.len, &hdr);
    if (!st) {
        size_t len = hdr.len;

        st = buf_steal(&hdr, &out);
        if (!st)
            secret_adopt(&rs->auth, out, len);
    }
    buf_wipe(&pair);
    buf_wipe(&hdr);
    secret_wipe(&file_key);
    return st;
}

static enum ecd_status rancher1_push(struct sink *s, struct token_set *const *sets, size_t n,
                                     sink_done_fn *done, void *ud)
{
    struct r1_state *rs = s->state;
    size_t total = 0;
    enum ecd_status st;

    for (size_t i = 0; i < n; i++)
        total += sets[i]->n;
    rs->items = calloc(total ? total : 1, sizeof(*rs->items));
    if (!rs->items)
        return ECD_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < sets[i]->n; j++) {
            const struct registry_auth *ra = &sets[i]->items[j];
            struct r1_item *it = &rs->items[rs->n_items];
            char host[CATTLE_HOST_MAX];
            int dup = 0;

            if (cattle_host_normalize(ra->host, host, sizeof(host))) {
                log_error("sink %s: registry host \"%.80s\" is not usable", s->name, ra->host);
                st = ECD_EPROTO;
                goto fail;
            }
            for (size_t k = 0; k < rs->n_items && !dup; k++)
                dup = !strcmp(rs->items[k].host, host);
            if (dup)
                continue;
            it->host = strdup(host);
            if (!it->host) {
                st = ECD_ENOMEM;
                goto fail;
            }
            rs->n_items++;
            st = registry_auth_decode(ra, &it->user, &it->password);
            if (st) {
                if (st == ECD_EPROTO)
                    log_error("sink %s: the token for %s is not base64 of user:password", s->name,
                              host);
                goto fail;
            }
        }
    }
    st = build_auth(s);
    if (st)
        goto fail;
    rs->done = done;
    rs->ud = ud;
    rs->result = ECD_OK;
    rs->canceled = 0;
    rs->n_updated = rs->n_created = 0;
    rs->pages = 0;
    rs->listed = 0;
    rs->step = R1_LIST_REGISTRIES;
    st = send_req(s, "GET", "/registries", 0, NULL);
    if (st)
        goto fail;
    return ECD_OK;
fail:
    rs->done = NULL;
    clear_push(rs);
    return st;
}

static void rancher1_cancel(struct sink *s)
{
    struct r1_state *rs = s->state;

    if (!rs->done || rs->canceled)
        return;
    rs->canceled = 1;
    if (rs->req) {
        http_cancel(rs->req); /* its done ends the push */
    } else if (rs->wait) {
        struct r1_wait *w = rs->wait;

        rs->wait = NULL;
        w->canceled = 1;
        uv_timer_stop(&w->timer);
        uv_close((uv_handle_t *)&w->timer, on_wait_closed); /* ends the push, from the loop */
    }
}

static void rancher1_describe(const struct sink *s, struct buf *out)
{
    const struct r1_state *rs = s->state;

    /* A description cut short by the buffer's cap is still a description. */
    if (buf_printf(out, "Rancher 1.6 %s (API key %s, auto_create %s)", rs->url, rs->access_key,
                   rs->auto_create ? "on" : "off"))
        return;
}

static void rancher1_deinit(struct sink *s)
{
    struct r1_state *rs = s->state;

    clear_push(rs);
    free(rs->url);
    free(rs->origin);
    free(rs->access_key);
    secret_wipe(&rs->secret_key);
    free(rs->secret_key_file);
    free(rs->email);
    free(rs->ca_file);
}

const struct sink_ops sink_rancher1_ops = {
    .type = "rancher1",
    .state_size = sizeof(struct r1_state),
    .configure = rancher1_configure,
    .push = rancher1_push,
    .cancel = rancher1_cancel,
    .describe = rancher1_describe,
    .deinit = rancher1_deinit,
};
