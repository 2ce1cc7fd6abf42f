/* SPDX-License-Identifier: MIT */
/* The Rancher 2.x sink: keeps one registry credential of a Rancher project fresh through
 * the v3 (Norman) API (protocols.md 6.2).  Project-scoped (a dockerCredential, which
 * Rancher copies into every namespace of the project) or one namespace's own (a
 * namespacedDockerCredential).  Each push reads the project, finds the credential by
 * name in the project's collection, then creates it (POST) or updates it in place (PUT
 * to its links, the full object with every registry's password, as passwords are
 * write-only).  Only the source object is ever written, never Rancher's copies.
 * Replies are parsed by common/norman.c; this file does the requests and messages. */
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "http.h"
#include "jsonutil.h"
#include "log.h"
#include "norman.h"
#include "sink.h"

#define R2_DEFAULT_TOKEN_ENV "RANCHER_TOKEN"
#define R2_DEFAULT_NAME      "ecr-pull"
#define R2_TOKEN_MAX         4096              /* an API key is about 80 characters */
#define R2_MAX_BODY          (8 * 1024 * 1024) /* a collection page of a large project */
#define R2_MAX_PAGES         100
#define R2_MAX_ROUNDS        3 /* list again after a create or update race */

struct r2_state {
    char *base;       /* owned; "https://rancher.example/v3" */
    char *origin;     /* owned; "https://rancher.example": links must stay on it */
    char *token_file; /* owned; NULL: token_env */
    char *token_env;  /* owned; NULL: token_file */
    char *ca_file;    /* owned; NULL: system CAs */
    char *project;    /* owned; "c-abc:p-xyz" */
    char *ns;         /* owned; NULL: project-scoped */
    char *cred;       /* owned; the credential's name */
    enum norman_kind kind;
    struct r2_push *op; /* the pending push (freed in its timer's close callback) */
};

enum r2_step {
    R2_PROJECT, /* GET the project: links to its collections */
    R2_LIST,    /* GET a collection page filtered by name */
    R2_CREATE,  /* POST to the collection */
    R2_UPDATE,  /* PUT to the credential's link */
};

struct r2_push {
    struct sink *s; /* borrowed: outlives the push */
    sink_done_fn *done;
    void *ud;
    uv_timer_t timer;      /* data = this; delivers failures found before any request */
    enum ecd_status early; /* what the timer delivers */
    struct http_req *req;  /* borrowed from http while a request is in flight */
    enum r2_step step;
    struct buf authz;         /* owned; "Bearer token-xxxxx:secret": wiped */
    struct norman_put *puts;  /* owned array; host/auth borrowed from the sets */
    char **users;             /* owned, one per put */
    struct secret *passwords; /* owned, one per put: wiped */
    size_t n;
    char *coll_url;         /* owned; the collection to list and POST to */
    char *url;              /* owned; the URL of the request in flight (for messages) */
    struct norman_cred cur; /* owned; the credential found by R2_LIST */
    unsigned pages, rounds;
    int finished;
};

/* ---- configuration -------------------------------------------------------------- */

static enum ecd_status cfg_fail(const struct config_sink *cs, const char *key, const char *fmt,
                                const char *val)
{
    char where[JSONUTIL_PATH_MAX];

    jsonutil_path_key(where, sizeof(where), cs->where, key);
    log_error("%s: %s: %s%s%s%s", cs->file, where, fmt, val ? ", got \"" : "", val ? val : "",
              val ? "\"" : "");
    return ECD_ECONFIG;
}

static enum ecd_status dup_into(const char *s, char **out)
{
    *out = NULL;
    if (!s)
        return ECD_OK;
    *out = strdup(s);
    return *out ? ECD_OK : ECD_ENOMEM;
}

/* url: "https://host[:port][/prefix]"; base gets "/v3" unless it ends with it already. */
static enum ecd_status set_url(const struct config_sink *cs, struct r2_state *rs, const char *url)
{
    size_t len = strlen(url), auth_end;
    const char *rest;
    struct buf b;
    enum ecd_status st;

    if (strncasecmp(url, "https://", 8) || len <= 8 || url[8] == '/')
        return cfg_fail(cs, "url", "expected an https:// URL such as https://rancher.example", url);
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)url[i] <= ' ' || url[i] == '?' || url[i] == '#' || url[i] == 0x7f)
            return cfg_fail(cs, "url",
                            "expected a URL without spaces, query or fragment, such as "
                            "https://rancher.example",
                            url);
    rest = strchr(url + 8, '/');
    auth_end = rest ? (size_t)(rest - url) : len;
    if (memchr(url + 8, '@', auth_end - 8))
        return cfg_fail(cs, "url", "expected no user name in the URL (use token_file)", url);
    while (len > auth_end && url[len - 1] == '/')
        len--;
    buf_init(&b, 4096);
    st = buf_append(&b, url, auth_end);
    /* Links come back without the default port: compare origins without it. */
    if (!st && b.len > 12 && !strcmp(b.ptr + b.len - 4, ":443"))
        b.ptr[b.len -= 4] = '\0';
    if (!st)
        st = buf_steal(&b, &rs->origin);
    if (!st)
        st = buf_append(&b, url, len);
    if (!st && !(len >= auth_end + 3 && !strncmp(url + len - 3, "/v3", 3)))
        st = buf_append_str(&b, "/v3");
    if (!st)
        st = buf_steal(&b, &rs->base);
    buf_free(&b);
    return st;
}

static enum ecd_status r2_configure(struct sink *s, const struct config_sink *cs)
{
    static const char *const allowed[] = {"type",       "name",    "url",     "token_file",
                                          "token_env",  "ca_file", "project", "namespace",
                                          "credential", NULL};
    struct r2_state *rs = s->state;
    struct jsonutil_err e;
    const char *url = NULL, *tfile = NULL, *tenv = NULL, *ca = NULL, *project = NULL, *ns = NULL;
    const char *cred = R2_DEFAULT_NAME;
    enum ecd_status st;

    jsonutil_err_init(&e, cs->file, ECD_ECONFIG);
    if (jsonutil_check_keys(&e, cs->node, cs->where, allowed) ||
        jsonutil_get_string(&e, cs->node, cs->where, "url", JSONUTIL_REQUIRED, &url) ||
        jsonutil_get_string(&e, cs->node, cs->where, "token_file", JSONUTIL_OPTIONAL, &tfile) ||
        jsonutil_get_string(&e, cs->node, cs->where, "token_env", JSONUTIL_OPTIONAL, &tenv) ||
        jsonutil_get_string(&e, cs->node, cs->where, "ca_file", JSONUTIL_OPTIONAL, &ca) ||
        jsonutil_get_string(&e, cs->node, cs->where, "project", JSONUTIL_REQUIRED, &project) ||
        jsonutil_get_string(&e, cs->node, cs->where, "namespace", JSONUTIL_OPTIONAL, &ns) ||
        jsonutil_get_string(&e, cs->node, cs->where, "credential", JSONUTIL_OPTIONAL, &cred)) {
        log_error("%s", e.msg);
        return ECD_ECONFIG;
    }
    if (tfile && tenv)
        return cfg_fail(cs, "token_env", "expected either token_file or token_env, not both", NULL);
    if (tfile && tfile[0] != '/')
        return cfg_fail(cs, "token_file", "expected an absolute file path", tfile);
    if (tenv && (!*tenv || strchr(tenv, '=')))
        return cfg_fail(cs, "token_env", "expected the name of an environment variable", tenv);
    if (ca && ca[0] != '/')
        return cfg_fail(cs, "ca_file", "expected an absolute file path", ca);
    if (ca && access(ca, R_OK) != 0) {
        char where[JSONUTIL_PATH_MAX];

        jsonutil_path_key(where, sizeof(where), cs->where, "ca_file");
        log_error("%s: %s: cannot read %s: %s", cs->file, where, ca, strerror(errno));
        return ECD_ECONFIG;
    }
    if (!norman_valid_project_id(project))
        return cfg_fail(cs, "project",
                        "expected a Rancher project id \"<cluster>:<project>\" such as "
                        "\"c-abc12:p-xyz34\" or \"local:p-qt6tq\"",
                        project);
    if (ns && !norman_valid_namespace(ns))
        return cfg_fail(cs, "namespace",
                        "expected a Kubernetes namespace name (lower case letters, digits "
                        "and '-', at most 63)",
                        ns);
    if (!norman_valid_name(cred))
        return cfg_fail(cs, "credential",
                        "expected a credential name (lower case letters, digits, '-' and "
                        "'.', at most 253)",
                        cred);
    st = set_url(cs, rs, url);
    if (st)
        return st;
    rs->kind = ns ? NORMAN_NAMESPACED : NORMAN_PROJECT;
    if ((st = dup_into(tfile, &rs->token_file)) ||
        (st = dup_into(tfile  ? NULL
                       : tenv ? tenv
                              : R2_DEFAULT_TOKEN_ENV,
                       &rs->token_env)) ||
        (st = dup_into(ca, &rs->ca_file)) || (st = dup_into(project, &rs->project)) ||
        (st = dup_into(ns, &rs->ns)) || (st = dup_into(cred, &rs->cred)))
        return st;
    return ECD_OK;
}

/* ---- the push ------------------------------------------------------------------- */

/* "dockerCredential ecr-pull" or "namespacedDockerCredential team-a/ecr-pull" */
static void what(const struct r2_state *rs, char *out, size_t n)
{
    snprintf(out, n, "%s %s%s%s", norman_type_name(rs->kind), rs->ns ? rs->ns : "",
             rs->ns ? "/" : "", rs->cred);
}

/* Whether url is on the configured server: same origin, then '/', '?' or the end.  Links
 * come from the server; the API token must not follow one elsewhere. */
static int on_origin(const struct r2_state *rs, const char *url)
{
    size_t n = strlen(rs->origin);

    return !strncasecmp(url, rs->origin, n) && (url[n] == '/' || url[n] == '?' || !url[n]);
}

/* Read the API key (file or environment) into op->authz as a Bearer header value.  The
 * file is read on every push, so a rotated key is picked up. */
static enum ecd_status load_token(struct r2_push *op)
{
    struct sink *s = op->s;
    struct r2_state *rs = s->state;
    char raw[R2_TOKEN_MAX + 1];
    const char *tok = NULL, *colon;
    size_t len = 0;
    enum ecd_status st = ECD_EAUTH;

    if (rs->token_file) {
        int fd = open(rs->token_file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        ssize_t r = 0;

        if (fd < 0) {
            log_error("sink %s: cannot read the Rancher API key from %s: %s", s->name,
                      rs->token_file, strerror(errno));
            return ECD_EAUTH;
        }
        while (len < sizeof(raw) - 1 &&
               ((r = read(fd, raw + len, sizeof(raw) - 1 - len)) > 0 || (r < 0 && errno == EINTR)))
            if (r > 0)
                len += (size_t)r;
        if (r < 0)
            log_error("sink %s: cannot read the Rancher API key from %s: %s", s->name,
                      rs->token_file, strerror(errno));
        close(fd);
        if (r < 0)
            goto out;
        if (len >= sizeof(raw) - 1) {
            log_error("sink %s: %s is larger than %d bytes, expected one API key "
                      "\"token-xxxxx:secret\"",
                      s->name, rs->token_file, R2_TOKEN_MAX);
            goto out;
        }
        raw[len] = '\0';
        tok = raw;
    } else {
        tok = s->env->getenv_fn(rs->token_env);
        if (!tok || !*tok) {
            log_error("sink %s: environment variable %s is not set, expected a Rancher API "
                      "key \"token-xxxxx:secret\" (or set token_file)",
                      s->name, rs->token_env);
            return ECD_EAUTH;
        }
        len = strlen(tok);
        if (len > R2_TOKEN_MAX) {
            log_error("sink %s: %s is longer than %d bytes, expected one API key", s->name,
                      rs->token_env, R2_TOKEN_MAX);
            return ECD_EAUTH;
        }
    }
    /* A trailing newline (echo > file, Kubernetes secret files) is not part of the key. */
    while (len && (tok[len - 1] == '\n' || tok[len - 1] == '\r' || tok[len - 1] == ' ' ||
                   tok[len - 1] == '\t'))
        len--;
    colon = memchr(tok, ':', len);
    for (size_t i = 0; i < len && colon; i++)
        if ((unsigned char)tok[i] <= ' ' || tok[i] == 0x7f)
            colon = NULL;
    if (!colon || colon == tok || colon == tok + len - 1) {
        log_error("sink %s: %s does not hold a Rancher API key of the form "
                  "\"token-xxxxx:secret\" (one line, access key and secret joined by ':')",
                  s->name, rs->token_file ? rs->token_file : rs->token_env);
        goto out;
    }
    buf_init(&op->authz, R2_TOKEN_MAX + 64);
    st = buf_append_str(&op->authz, "Bearer ");
    if (!st)
        st = buf_append(&op->authz, tok, len);
out:
    OPENSSL_cleanse(raw, sizeof(raw));
    return st;
}

/* Split every token into user and password, one put per distinct host. */
static enum ecd_status load_puts(struct r2_push *op, struct token_set *const *sets, size_t n)
{
    size_t total = 0;

    for (size_t i = 0; i < n; i++)
        total += sets[i]->n;
    op->puts = calloc(total ? total : 1, sizeof(*op->puts));
    op->users = calloc(total ? total : 1, sizeof(*op->users));
    op->passwords = calloc(total ? total : 1, sizeof(*op->passwords));
    if (!op->puts || !op->users || !op->passwords)
        return ECD_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < sets[i]->n; j++) {
            const struct registry_auth *ra = &sets[i]->items[j];
            int dup = 0;
            enum ecd_status st;

            for (size_t k = 0; k < op->n && !dup; k++)
                dup = !strcmp(op->puts[k].host, ra->host);
            if (dup)
                continue;
            st = registry_auth_decode(ra, &op->users[op->n], &op->passwords[op->n]);
            if (st) {
                log_error("sink %s: the token for %s is not base64 of \"user:password\"",
                          op->s->name, ra->host);
                return st;
            }
            op->puts[op->n].host = ra->host;
            op->puts[op->n].username = op->users[op->n];
            op->puts[op->n].password = &op->passwords[op->n];
            op->puts[op->n].auth = &ra->auth;
            op->n++;
        }
    }
    return ECD_OK;
}

static void on_push_closed(uv_handle_t *h)
{
    struct r2_push *op = h->data;

    buf_wipe(&op->authz);
    for (size_t i = 0; i < op->n; i++) {
        free(op->users[i]);
        secret_wipe(&op->passwords[i]);
    }
    free(op->users);
    free(op->passwords);
    free(op->puts);
    free(op->coll_url);
    free(op->url);
    norman_cred_clear(&op->cur);
    free(op);
}

/* Call done once; the op's memory goes in the timer's close callback. */
static void finish(struct r2_push *op, enum ecd_status st)
{
    struct sink *s = op->s;
    struct r2_state *rs = s->state;

    if (op->finished)
        return;
    op->finished = 1;
    rs->op = NULL;
    uv_close((uv_handle_t *)&op->timer, on_push_closed);
    op->done(s, st, op->ud);
}

static void on_early(uv_timer_t *t)
{
    struct r2_push *op = t->data;

    finish(op, op->early);
}

/* A failure before any request: delivered from the loop, never inside push(). */
static void fail_soon(struct r2_push *op, enum ecd_status st)
{
    op->early = st;
    if (uv_timer_start(&op->timer, on_early, 0, 0) < 0)
        finish(op, st); /* cannot happen with an initialised timer; never lose done */
}

static void on_reply(enum ecd_status st, const struct http_response *resp, void *ud);

/* Start one request of the current step.  body: secret JSON or NULL. */
static enum ecd_status request(struct r2_push *op, const char *method, const char *url,
                               const struct buf *body)
{
    struct r2_state *rs = op->s->state;
    struct http_header hdrs[3] = {
        {"Authorization", buf_str(&op->authz)},
        {"Accept", "application/json"},
        {"Content-Type", "application/json"},
    };
    struct http_request_opts o = {
        .method = method,
        .url = url,
        .headers = hdrs,
        .n_headers = body ? 3 : 2,
        .body = body ? body->ptr : NULL,
        .body_len = body ? body->len : 0,
        .ca_bundle = rs->ca_file,
        .max_body = R2_MAX_BODY,
    };
    char *copy = strdup(url);

    if (!copy)
        return ECD_ENOMEM;
    free(op->url);
    op->url = copy;
    return http_request(op->s->env->http, &o, on_reply, op, &op->req);
}

/* Start the next step and, on a failure to start, end the push with it. */
static void go(struct r2_push *op, enum r2_step step, const char *method, const char *url,
               const struct buf *body)
{
    enum ecd_status st;

    op->step = step;
    st = request(op, method, url, body);
    if (st) {
        log_error("sink %s: cannot start a request to %s: %s", op->s->name, url, ecd_strerror(st));
        finish(op, st);
    }
}

/* "reading project X", "listing dockerCredentials in project X", ... */
static void action(const struct r2_push *op, char *out, size_t n)
{
    const struct r2_state *rs = op->s->state;
    char w[512];

    what(rs, w, sizeof(w));
    switch (op->step) {
    case R2_PROJECT:
        snprintf(out, n, "reading project %s", rs->project);
        break;
    case R2_LIST:
        snprintf(out, n, "listing %s in project %s", norman_collection_key(rs->kind), rs->project);
        break;
    case R2_CREATE:
        snprintf(out, n, "creating %s in project %s", w, rs->project);
        break;
    case R2_UPDATE:
        snprintf(out, n, "updating %s in project %s", w, rs->project);
        break;
    }
}

/* Log a non-2xx answer with Rancher's own words; the status for the core. */
static enum ecd_status http_failure(struct r2_push *op, const struct http_response *resp)
{
    const struct r2_state *rs = op->s->state;
    const char *name = op->s->name;
    struct norman_error ne;
    char act[768], said[768];
    long code = resp->status;
    enum ecd_status st;

    action(op, act, sizeof(act));
    if (norman_error_parse(resp->body.ptr, resp->body.len, &ne) == ECD_OK)
        snprintf(said, sizeof(said), "%s%s%s", ne.code ? ne.code : "error", ne.message ? ": " : "",
                 ne.message ? ne.message : "");
    else
        snprintf(said, sizeof(said), "no Rancher error object in the reply");
    norman_error_clear(&ne);
    if (code == 401) {
        log_error("sink %s: Rancher at %s refused the API key from %s (401 %s) while %s", name,
                  rs->base, rs->token_file ? rs->token_file : rs->token_env, said, act);
        st = ECD_EAUTH;
    } else if (code == 403) {
        log_error("sink %s: Rancher denied access (403 %s) while %s: the API key's user needs "
                  "a role in project %s that may manage registry credentials (such as Project "
                  "Member)",
                  name, said, act, rs->project);
        st = ECD_EAUTH;
    } else if (code == 404 && (op->step == R2_PROJECT || op->step == R2_LIST)) {
        log_error("sink %s: project %s not found at %s (404 %s) while %s", name, rs->project,
                  rs->base, said, act);
        st = ECD_EHTTP;
    } else if (code == 429 || code >= 500) {
        log_error("sink %s: Rancher answered %ld (%s) while %s", name, code, said, act);
        st = ECD_ETHROTTLE;
    } else {
        log_error("sink %s: Rancher rejected the request (%ld %s) while %s", name, code, said, act);
        st = ECD_EHTTP;
    }
    return st;
}

static void start_list(struct r2_push *op);

static void reply_project(struct r2_push *op, const struct http_response *resp)
{
    struct r2_state *rs = op->s->state;
    struct jsonutil_err e;
    struct norman_project p;
    const char *link;
    struct buf b;
    enum ecd_status st;

    jsonutil_err_init(&e, "Rancher reply", ECD_EPROTO);
    st = norman_project_parse(&e, resp->body.ptr, resp->body.len, rs->project, &p);
    if (st) {
        log_error("sink %s: GET %s: %s", op->s->name, op->url,
                  st == ECD_EPROTO ? e.msg : ecd_strerror(st));
        finish(op, st);
        return;
    }
    link = rs->kind == NORMAN_PROJECT ? p.creds_url : p.ns_creds_url;
    buf_init(&b, 4096);
    if (link && !on_origin(rs, link)) {
        log_error("sink %s: project %s links %s to %s, not to %s: refusing to send the API "
                  "key there (set url to the address Rancher calls itself)",
                  op->s->name, rs->project, norman_collection_key(rs->kind), link, rs->origin);
        st = ECD_EPROTO;
    } else if (link) {
        st = buf_append_str(&b, link);
    } else {
        /* No link (older servers, restricted keys): the documented path. */
        st = buf_printf(&b, "%s/projects/%s/%s", rs->base, rs->project,
                        rs->kind == NORMAN_PROJECT ? "dockercredentials"
                                                   : "namespaceddockercredentials");
    }
    if (!st)
        st = buf_steal(&b, &op->coll_url);
    buf_free(&b);
    norman_project_clear(&p);
    if (st) {
        finish(op, st);
        return;
    }
    start_list(op);
}

static void start_list(struct r2_push *op)
{
    struct r2_state *rs = op->s->state;
    struct buf u;
    enum ecd_status st;

    norman_cred_clear(&op->cur);
    op->pages = 0;
    buf_init(&u, 8192);
    st = buf_printf(&u, "%s%cname=%s&limit=-1", op->coll_url, strchr(op->coll_url, '?') ? '&' : '?',
                    rs->cred);
    if (!st && rs->ns)
        st = buf_printf(&u, "&namespaceId=%s", rs->ns);
    if (st) {
        buf_free(&u);
        finish(op, st);
        return;
    }
    go(op, R2_LIST, "GET", buf_str(&u), NULL);
    buf_free(&u);
}

static void start_write(struct r2_push *op)
{
    struct r2_state *rs = op->s->state;
    struct buf body;
    char w[512];
    enum ecd_status st;

    what(rs, w, sizeof(w));
    buf_init(&body, 4 * 1024 * 1024);
    if (op->cur.id) {
        const char *link = op->cur.link_update ? op->cur.link_update : op->cur.link_self;
        char *foreign = NULL;

        if (op->cur.is_copy) {
            log_error("sink %s: %s in project %s is Rancher's copy of a project-scoped "
                      "credential of the same name, which Rancher overwrites: choose another "
                      "credential name, or leave out namespace to update the project's own",
                      op->s->name, w, rs->project);
            st = ECD_ECONFIG;
        } else if ((st = norman_check_foreign(&op->cur, op->puts, op->n, &foreign)) ==
                   ECD_ECONFIG) {
            log_error("sink %s: %s in project %s also holds registries ecr-credd does not "
                      "manage (%s); their passwords are write-only and would be lost, so it is "
                      "left alone: give ecr-credd a credential of its own (key credential)",
                      op->s->name, w, rs->project, foreign);
        } else if (!st && !on_origin(rs, link)) {
            log_error("sink %s: %s links to %s, not to %s: refusing to send the API key there",
                      op->s->name, w, link, rs->origin);
            st = ECD_EPROTO;
        }
        free(foreign);
        if (!st && op->s->env->mode == SINK_MODE_CHECK) {
            log_info("sink %s: %s exists in project %s (id %s); it would be updated", op->s->name,
                     w, rs->project, op->cur.id);
            buf_free(&body);
            finish(op, ECD_OK);
            return;
        }
        if (!st)
            st = norman_render_update(&op->cur, op->puts, op->n, &body);
        if (!st)
            go(op, R2_UPDATE, "PUT", link, &body);
    } else {
        if (op->s->env->mode == SINK_MODE_CHECK) {
            log_info("sink %s: %s not found in project %s; it would be created", op->s->name, w,
                     rs->project);
            buf_free(&body);
            finish(op, ECD_OK);
            return;
        }
        st = norman_render_create(rs->kind, rs->cred, rs->project, rs->ns, op->puts, op->n, &body);
        if (!st)
            go(op, R2_CREATE, "POST", op->coll_url, &body);
    }
    buf_wipe(&body);
    if (st)
        finish(op, st);
}

static void reply_list(struct r2_push *op, const struct http_response *resp)
{
    struct r2_state *rs = op->s->state;
    struct jsonutil_err e;
    int found = 0;
    char *next = NULL;
    enum ecd_status st;

    jsonutil_err_init(&e, "Rancher reply", ECD_EPROTO);
    norman_cred_clear(&op->cur);
    st = norman_collection_find(&e, resp->body.ptr, resp->body.len, rs->kind, rs->cred, rs->ns,
                                &found, &op->cur, &next);
    if (st) {
        log_error("sink %s: GET %s: %s", op->s->name, op->url,
                  st == ECD_EPROTO ? e.msg : ecd_strerror(st));
        finish(op, st);
        return;
    }
    if (!found && next) {
        if (!on_origin(rs, next) || ++op->pages >= R2_MAX_PAGES) {
            log_error("sink %s: GET %s: pagination.next %s", op->s->name, op->url,
                      op->pages >= R2_MAX_PAGES ? "goes on for more than 100 pages"
                                                : "points to another server");
            free(next);
            finish(op, ECD_EPROTO);
            return;
        }
        go(op, R2_LIST, "GET", next, NULL);
        free(next);
        return;
    }
    start_write(op);
}

static void reply_written(struct r2_push *op, const struct http_response *resp)
{
    struct r2_state *rs = op->s->state;
    struct jsonutil_err e;
    struct norman_cred got;
    char w[512];
    enum ecd_status st;

    what(rs, w, sizeof(w));
    jsonutil_err_init(&e, "Rancher reply", ECD_EPROTO);
    st = norman_cred_parse(&e, resp->body.ptr, resp->body.len, rs->kind, &got);
    if (!st && strcmp(got.name, rs->cred)) {
        log_error("sink %s: %s %s answered with the credential \"%s\"", op->s->name,
                  op->step == R2_CREATE ? "POST" : "PUT", op->url, got.name);
        st = ECD_EPROTO;
    } else if (!st && op->step == R2_UPDATE && strcmp(got.id, op->cur.id)) {
        log_error("sink %s: PUT %s answered with id %s, expected %s", op->s->name, op->url, got.id,
                  op->cur.id);
        st = ECD_EPROTO;
    } else if (st) {
        log_error("sink %s: %s %s: %s", op->s->name, op->step == R2_CREATE ? "POST" : "PUT",
                  op->url, st == ECD_EPROTO ? e.msg : ecd_strerror(st));
    } else {
        log_info("sink %s: %s %s in project %s (id %s, %zu %s)", op->s->name,
                 op->step == R2_CREATE ? "created" : "updated", w, rs->project, got.id, op->n,
                 op->n == 1 ? "registry" : "registries");
    }
    norman_cred_clear(&got);
    finish(op, st);
}

static void on_reply(enum ecd_status st, const struct http_response *resp, void *ud)
{
    struct r2_push *op = ud;
    struct r2_state *rs = op->s->state;
    char act[768];

    op->req = NULL;
    if (st == ECD_ECANCELED) {
        finish(op, st);
        return;
    }
    action(op, act, sizeof(act));
    if (st) {
        if (st == ECD_ETRANSPORT)
            log_error("sink %s: cannot reach Rancher at %s while %s: %s%s", op->s->name, rs->base,
                      act, resp && resp->errmsg[0] ? resp->errmsg : ecd_strerror(st),
                      resp && resp->permanent ? (rs->ca_file ? " (check ca_file and url)"
                                                             : " (set ca_file to Rancher's CA?)")
                                              : "");
        else
            log_error("sink %s: %s: %s", op->s->name, act,
                      resp && resp->errmsg[0] ? resp->errmsg : ecd_strerror(st));
        finish(op, st);
        return;
    }
    /* A create or update that lost a race (the credential appeared, changed or went
     * away since the list): list again, a bounded number of times. */
    if (((op->step == R2_CREATE && resp->status == 409) ||
         (op->step == R2_UPDATE && (resp->status == 409 || resp->status == 404))) &&
        ++op->rounds < R2_MAX_ROUNDS) {
        log_info("sink %s: %s answered %ld; listing again", op->s->name, act, resp->status);
        start_list(op);
        return;
    }
    if (resp->status < 200 || resp->status > 299) {
        finish(op, http_failure(op, resp));
        return;
    }
    switch (op->step) {
    case R2_PROJECT:
        reply_project(op, resp);
        break;
    case R2_LIST:
        reply_list(op, resp);
        break;
    case R2_CREATE:
    case R2_UPDATE:
        reply_written(op, resp);
        break;
    }
}

static enum ecd_status r2_push(struct sink *s, struct token_set *const *sets, size_t n,
                               sink_done_fn *done, void *ud)
{
    struct r2_state *rs = s->state;
    struct r2_push *op;
    enum ecd_status st;
    struct buf u;

    if (rs->op)
        return ECD_EINVAL; /* the core never overlaps pushes to one sink */
    op = calloc(1, sizeof(*op));
    if (!op)
        return ECD_ENOMEM;
    if (uv_timer_init(s->env->loop, &op->timer) < 0) {
        free(op);
        return ECD_ENOMEM;
    }
    op->timer.data = op;
    op->s = s;
    op->done = done;
    op->ud = ud;
    rs->op = op;
    /* From here on every outcome reaches done, from the loop. */
    st = load_token(op);
    if (!st)
        st = load_puts(op, sets, n);
    if (st) {
        fail_soon(op, st);
        return ECD_OK;
    }
    buf_init(&u, 4096);
    st = buf_printf(&u, "%s/projects/%s", rs->base, rs->project);
    op->step = R2_PROJECT;
    if (!st)
        st = request(op, "GET", buf_str(&u), NULL);
    if (st) {
        log_error("sink %s: cannot start a request to %s: %s", s->name, buf_str(&u),
                  ecd_strerror(st));
        fail_soon(op, st);
    }
    buf_free(&u);
    return ECD_OK;
}

static void r2_cancel(struct sink *s)
{
    struct r2_state *rs = s->state;
    struct r2_push *op = rs->op;

    if (!op)
        return;
    if (op->req)
        http_cancel(op->req); /* on_reply gets ECD_ECANCELED */
    else
        op->early = ECD_ECANCELED; /* the pending timer delivers it */
}

static void r2_describe(const struct sink *s, struct buf *out)
{
    const struct r2_state *rs = s->state;
    char w[512];

    what(rs, w, sizeof(w));
    /* A description cut short by the buffer's cap is still a description. */
    if (buf_printf(out, "rancher2 %s project %s %s (API key from %s%s)", rs->base, rs->project, w,
                   rs->token_file ? "" : "$", rs->token_file ? rs->token_file : rs->token_env))
        return;
}

static void r2_deinit(struct sink *s)
{
    struct r2_state *rs = s->state;

    free(rs->base);
    free(rs->origin);
    free(rs->token_file);
    free(rs->token_env);
    free(rs->ca_file);
    free(rs->project);
    free(rs->ns);
    free(rs->cred);
}

const struct sink_ops sink_rancher2_ops = {
    .type = "rancher2",
    .state_size = sizeof(struct r2_state),
    .configure = r2_configure,
    .push = r2_push,
    .cancel = r2_cancel,
    .describe = r2_describe,
    .deinit = r2_deinit,
    .dry_run = 1,
};
