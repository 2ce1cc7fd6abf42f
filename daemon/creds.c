/* SPDX-License-Identifier: MIT */
/* Credentials for one identity; see creds.h.  A resolution has two halves: on the
 * thread pool the shared files are read and turned into a plan (the base provider,
 * then each AssumeRole on top of it, as botocore's AssumeRoleProvider recurses through
 * source_profile); back on the loop the plan's steps run one after the other, each an
 * async provider from daemon/creds/. */
#include "creds.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "awsconfig.h"
#include "creds/providers.h"
#include "http.h"
#include "log.h"

#define PLAN_MAX_STEPS  16 /* a role chain deeper than this is refused */
#define ADVISORY_S      (15 * 60)
#define MANDATORY_S     (10 * 60)
#define STABILITY_MIN_S (5 * 60) /* static stability: a failed IMDS refresh keeps creds */

enum step_kind { STEP_STATIC, STEP_PROCESS, STEP_CONTAINER, STEP_IMDS, STEP_WEB, STEP_ROLE };

struct step {
    enum step_kind kind;
    char *label;        /* owned; "profile 'dev'" */
    char *arg;          /* owned; token file or command */
    char *role_arn;     /* owned */
    char *session_name; /* owned; NULL: botocore-session-<time> */
    char *external_id;  /* owned */
    long duration_s;
};

struct plan {
    struct aws_credentials base; /* owned; for STEP_STATIC */
    struct step steps[PLAN_MAX_STEPS];
    size_t n;
    struct sts_endpoint sts;   /* owned */
    struct imds_settings imds; /* owned */
    char *ca_bundle;           /* owned; NULL: system CAs */
};

struct waiter {
    struct waiter *next;
    creds_done_fn *done;
    void *ud;
};

struct creds_chain {
    uv_loop_t *loop;                                      /* borrowed */
    char *profile;                                        /* owned; NULL: the environment decides */
    const char *(*getenv_fn)(const char *);               /* borrowed */
    char *role_arn, *external_id, *session_name, *region; /* owned; options */
    struct awsconfig *cfg;                                /* owned; as read at start-up */
    struct http_client *http;                             /* owned if own_http, else borrowed */
    int own_http;
    long advisory_s, mandatory_s;
    struct aws_credentials cached; /* owned; access_key_id NULL when none */
    /* owned; the IMDSv2 session token between fetches: every IMDS fetch of this chain
     * runs under a reference (a resolution's, a region lookup's), so it outlives them */
    struct imds_token_cache imds_token;
    struct resolve *pending; /* owned; the refresh running */
    struct waiter *waiters;  /* owned; gets waiting for it */
    unsigned refs;           /* the owner's, plus one per resolution */
    int closing;             /* creds_chain_free() ran */
};

/* One resolution. */
struct resolve {
    uv_work_t work;            /* data = this */
    struct creds_chain *chain; /* a reference: the chain outlives its resolution */
    struct plan plan;          /* owned */
    enum ecd_status st;
    size_t next;                /* step to run */
    struct aws_credentials cur; /* owned; what the steps so far gave */
    struct process_run *proc;   /* borrowed; the credential_process running, or NULL */
};

/* A get answered from the cache, through a 0 ms timer (STYLE 2.6 rule 2). */
struct cached_get {
    uv_timer_t timer; /* data = this */
    struct aws_credentials creds;
    creds_done_fn *done;
    void *ud;
};

static const char *process_getenv(const char *name)
{
    return getenv(name);
}

/* ---- planning (thread pool) -------------------------------------------------------- */

static void step_clear(struct step *s)
{
    free(s->label);
    free(s->arg);
    free(s->role_arn);
    free(s->session_name);
    free(s->external_id);
    memset(s, 0, sizeof(*s));
}

static void plan_clear(struct plan *p)
{
    aws_credentials_clear(&p->base);
    for (size_t i = 0; i < p->n; i++)
        step_clear(&p->steps[i]);
    p->n = 0;
    sts_endpoint_clear(&p->sts);
    imds_settings_clear(&p->imds);
    free(p->ca_bundle);
    p->ca_bundle = NULL;
}

static enum ecd_status dup_opt(char **dst, const char *src)
{
    *dst = NULL;
    if (!src)
        return ECD_OK;
    *dst = strdup(src);
    return *dst ? ECD_OK : ECD_ENOMEM;
}

static enum ecd_status push(struct plan *p, enum step_kind kind, const char *profile,
                            struct step **out)
{
    struct step *s;
    char label[300];

    if (p->n == PLAN_MAX_STEPS) {
        log_error("profile '%s': role chain deeper than %d steps", profile, PLAN_MAX_STEPS);
        return ECD_ECONFIG;
    }
    s = &p->steps[p->n];
    memset(s, 0, sizeof(*s));
    snprintf(label, sizeof(label), "profile '%s'", profile);
    if (!(s->label = strdup(label)))
        return ECD_ENOMEM;
    s->kind = kind;
    p->n++;
    *out = s;
    return ECD_OK;
}

/* Everything a planning pass needs. */
struct planner {
    struct creds_chain *chain; /* borrowed; only its immutable settings are read */
    struct awsconfig *cfg;     /* borrowed */
    struct plan *plan;         /* borrowed */
    const char *visited[PLAN_MAX_STEPS];
    size_t n_visited;
};

static const char *prof_get(struct planner *pl, const char *profile, const char *key)
{
    return awsconfig_get(pl->cfg, profile, key);
}

/* The session name botocore would validate: 2-64 of [\w+=,.@-]. */
static int session_name_ok(const char *s)
{
    size_t n = strlen(s);

    if (n < 2 || n > 64)
        return 0;
    return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+=,.@-") == n;
}

static enum ecd_status plan_profile(struct planner *pl, const char *profile, unsigned flags,
                                    int top);

/* role_arn with source_profile or credential_source (botocore AssumeRoleProvider). */
static enum ecd_status plan_assume_role(struct planner *pl, const char *name)
{
    const char *role = prof_get(pl, name, "role_arn");
    const char *src_profile = prof_get(pl, name, "source_profile");
    const char *src = prof_get(pl, name, "credential_source");
    const char *duration = prof_get(pl, name, "duration_seconds");
    const char *session = prof_get(pl, name, "role_session_name");
    enum awsconfig_source source;
    struct aws_credentials tmp = {0};
    enum ecd_status st;
    struct step *s;
    char *end;
    long dur = 0;

    if (!role || !*role) {
        log_error("profile '%s': role_arn is empty", name);
        return ECD_ECONFIG;
    }
    if (prof_get(pl, name, "mfa_serial")) {
        log_error("profile '%s': mfa_serial needs an interactive MFA code, which a daemon cannot "
                  "give; use a role without MFA",
                  name);
        return ECD_ECONFIG;
    }
    if (src && src_profile) {
        log_error("profile '%s' has both source_profile and credential_source; expected one", name);
        return ECD_ECONFIG;
    }
    if (!src && !src_profile) {
        log_error("profile '%s' has role_arn but neither source_profile nor credential_source "
                  "(partial credentials)",
                  name);
        return ECD_ECONFIG;
    }
    if (duration && (dur = strtol(duration, &end, 10), *end || !*duration || dur <= 0)) {
        log_error("profile '%s': duration_seconds is '%s'; expected a whole number of seconds",
                  name, duration);
        return ECD_ECONFIG;
    }
    if (session && !session_name_ok(session)) {
        log_error("profile '%s': role_session_name must be 2-64 characters of letters, digits "
                  "and +=,.@_-",
                  name);
        return ECD_ECONFIG;
    }
    if (src) {
        /* botocore compares these names case-sensitively. */
        if (!strcmp(src, "Environment")) {
            if ((st = awsconfig_credentials(pl->cfg, NULL, AWSCONFIG_ENV_ONLY, &tmp, &source)))
                return st;
            if (source != AWSCONFIG_STATIC) {
                aws_credentials_clear(&tmp);
                log_error("profile '%s': credential_source Environment, but no credentials in "
                          "the environment (AWS_ACCESS_KEY_ID)",
                          name);
                return ECD_EAUTH;
            }
            aws_credentials_clear(&pl->plan->base);
            pl->plan->base = tmp;
            st = push(pl->plan, STEP_STATIC, name, &s);
        } else if (!strcmp(src, "Ec2InstanceMetadata")) {
            st = push(pl->plan, STEP_IMDS, name, &s);
        } else if (!strcmp(src, "EcsContainer")) {
            if (!container_configured(pl->chain->getenv_fn)) {
                log_error("profile '%s': credential_source EcsContainer, but neither "
                          "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI nor ..._FULL_URI is set",
                          name);
                return ECD_EAUTH;
            }
            st = push(pl->plan, STEP_CONTAINER, name, &s);
        } else {
            log_error("profile '%s': credential_source '%s' is not supported; expected "
                      "Environment, Ec2InstanceMetadata or EcsContainer",
                      name, src);
            return ECD_ECONFIG;
        }
        if (st)
            return st;
    } else {
        int self = !strcmp(src_profile, name);

        if (!awsconfig_has_profile(pl->cfg, src_profile)) {
            log_error("profile '%s': source_profile '%s' does not exist", name, src_profile);
            return ECD_ECONFIG;
        }
        for (size_t i = 0; i < pl->n_visited; i++) {
            if (strcmp(pl->visited[i], src_profile))
                continue;
            /* A profile may name itself to use its own static keys; any other repeat is
             * botocore's InfiniteLoopConfigError. */
            if (!self || !prof_get(pl, name, "aws_access_key_id")) {
                log_error("profile '%s': source_profile '%s' makes a loop", name, src_profile);
                return ECD_ECONFIG;
            }
        }
        if (pl->n_visited == PLAN_MAX_STEPS) {
            log_error("profile '%s': role chain deeper than %d steps", name, PLAN_MAX_STEPS);
            return ECD_ECONFIG;
        }
        pl->visited[pl->n_visited++] = src_profile;
        /* _resolve_credentials_from_profile(): static keys, or no role_arn, mean the
         * profile chain without assume role; otherwise assume that role first. */
        if (self || prof_get(pl, src_profile, "aws_access_key_id") ||
            !prof_get(pl, src_profile, "role_arn"))
            st = plan_profile(pl, src_profile, AWSCONFIG_NO_ENV | AWSCONFIG_NO_ASSUME_ROLE, 0);
        else
            st = plan_assume_role(pl, src_profile);
        if (st)
            return st;
    }
    if ((st = push(pl->plan, STEP_ROLE, name, &s)) || (st = dup_opt(&s->role_arn, role)) ||
        (st = dup_opt(&s->session_name, session)) ||
        (st = dup_opt(&s->external_id, prof_get(pl, name, "external_id"))))
        return st;
    s->duration_s = dur;
    return ECD_OK;
}

static enum ecd_status plan_web_identity(struct planner *pl, const char *name, int env_on)
{
    const char *(*env)(const char *) = pl->chain->getenv_fn;
    const char *file = env_on && env("AWS_WEB_IDENTITY_TOKEN_FILE")
                           ? env("AWS_WEB_IDENTITY_TOKEN_FILE")
                           : prof_get(pl, name, "web_identity_token_file");
    const char *role =
        env_on && env("AWS_ROLE_ARN") ? env("AWS_ROLE_ARN") : prof_get(pl, name, "role_arn");
    const char *session = env_on && env("AWS_ROLE_SESSION_NAME")
                              ? env("AWS_ROLE_SESSION_NAME")
                              : prof_get(pl, name, "role_session_name");
    enum ecd_status st;
    struct step *s;

    if (!role || !*role) {
        log_error("profile '%s': a web identity token file (%s) is configured but no role ARN "
                  "(AWS_ROLE_ARN or role_arn)",
                  name, file);
        return ECD_ECONFIG;
    }
    if ((st = push(pl->plan, STEP_WEB, name, &s)) || (st = dup_opt(&s->arg, file)) ||
        (st = dup_opt(&s->role_arn, role)) ||
        (st = dup_opt(&s->session_name, session && *session ? session : NULL)))
        return st;
    return ECD_OK;
}

/* The chain for a profile (NULL at the top: the selected one, with env credentials
 * unless a profile was configured). */
static enum ecd_status plan_profile(struct planner *pl, const char *profile, unsigned flags,
                                    int top)
{
    const char *name = profile ? profile : awsconfig_profile(pl->cfg);
    enum awsconfig_source source;
    struct aws_credentials creds = {0};
    enum ecd_status st;
    struct step *s;

    if (!*name)
        name = "default";
    st = awsconfig_credentials(pl->cfg, profile, flags, &creds, &source);
    if (st)
        return st;
    switch (source) {
    case AWSCONFIG_STATIC:
        aws_credentials_clear(&pl->plan->base);
        pl->plan->base = creds;
        return push(pl->plan, STEP_STATIC, name, &s);
    case AWSCONFIG_ASSUME_ROLE:
        if (pl->n_visited < PLAN_MAX_STEPS)
            pl->visited[pl->n_visited++] = name;
        return plan_assume_role(pl, name);
    case AWSCONFIG_WEB_IDENTITY:
        return plan_web_identity(pl, name, top && !pl->chain->profile);
    case AWSCONFIG_SSO:
        log_error("profile '%s' uses IAM Identity Center (sso_*), which needs an interactive "
                  "'aws sso login' and is not supported by ecr-credd",
                  name);
        return ECD_ECONFIG;
    case AWSCONFIG_LOGIN:
        log_error("profile '%s' uses login_session ('aws login'), which is interactive and not "
                  "supported by ecr-credd",
                  name);
        return ECD_ECONFIG;
    case AWSCONFIG_PROCESS:
        if ((st = push(pl->plan, STEP_PROCESS, name, &s)))
            return st;
        return dup_opt(&s->arg, prof_get(pl, name, "credential_process"));
    case AWSCONFIG_NONE:
        if (!top) {
            log_error("source profile '%s' has no credentials", name);
            return ECD_ECONFIG;
        }
        if (container_configured(pl->chain->getenv_fn))
            return push(pl->plan, STEP_CONTAINER, name, &s);
        if (!pl->plan->imds.disabled)
            return push(pl->plan, STEP_IMDS, name, &s);
        log_error("no AWS credentials: none in the environment, profile '%s' has none in %s or "
                  "%s, no container credentials are configured and instance metadata is "
                  "disabled (AWS_EC2_METADATA_DISABLED)",
                  name,
                  awsconfig_credentials_file(pl->cfg) ? awsconfig_credentials_file(pl->cfg)
                                                      : "(none)",
                  awsconfig_config_file(pl->cfg) ? awsconfig_config_file(pl->cfg) : "(none)");
        return ECD_EAUTH;
    case AWSCONFIG_SOURCE_COUNT_:
        break;
    }
    return ECD_EINVAL;
}

static const char *profile_setting(const char *key, void *ud)
{
    return awsconfig_get(ud, NULL, key);
}

/* The STS endpoint and instance metadata settings for this identity. */
static enum ecd_status plan_settings(struct creds_chain *c, struct awsconfig *cfg, struct plan *p)
{
    const char *ca = c->getenv_fn("AWS_CA_BUNDLE");
    char *region = NULL;
    enum ecd_status st;

    if (!ca || !*ca)
        ca = awsconfig_get(cfg, NULL, "ca_bundle");
    if ((st = dup_opt(&p->ca_bundle, ca && *ca ? ca : NULL)) ||
        (st = imds_settings_load(c->getenv_fn, profile_setting, cfg, &p->imds)))
        return st;
    if (!c->region && (st = awsconfig_region(cfg, &region)))
        return st;
    st = sts_endpoint_resolve(cfg, c->region ? c->region : region, &p->sts);
    free(region);
    return st;
}

static enum ecd_status plan_build(struct creds_chain *c, struct plan *p)
{
    struct planner pl = {.chain = c, .plan = p};
    enum ecd_status st;
    struct step *s;

    st = awsconfig_load(c->getenv_fn, c->profile, &pl.cfg);
    if (!st)
        st = plan_settings(c, pl.cfg, p);
    if (!st)
        st = plan_profile(&pl, NULL, 0, 1);
    if (!st && c->role_arn) {
        if ((st = push(p, STEP_ROLE, c->profile ? c->profile : "default", &s)) ||
            (st = dup_opt(&s->role_arn, c->role_arn)) ||
            (st = dup_opt(&s->session_name, c->session_name)) ||
            (st = dup_opt(&s->external_id, c->external_id)))
            goto out;
        free(s->label);
        if (!(s->label = strdup("configured role_arn")))
            st = ECD_ENOMEM;
    }
out:
    awsconfig_free(pl.cfg);
    return st;
}

/* ---- running (loop) -------------------------------------------------------------- */

static void chain_unref(struct creds_chain *c)
{
    if (--c->refs)
        return;
    aws_credentials_clear(&c->cached);
    imds_token_cache_clear(&c->imds_token);
    awsconfig_free(c->cfg);
    free(c->profile);
    free(c->role_arn);
    free(c->external_id);
    free(c->session_name);
    free(c->region);
    free(c);
}

static void resolve_free(struct resolve *r)
{
    plan_clear(&r->plan);
    aws_credentials_clear(&r->cur);
    free(r);
}

/* The refresh is over: update the cache and answer every waiter. */
static void resolve_done(struct resolve *r, enum ecd_status st)
{
    struct creds_chain *c = r->chain;
    struct waiter *w = c->waiters;
    struct aws_credentials out = {0};
    time_t now = time(NULL);

    c->pending = NULL;
    c->waiters = NULL;
    if (c->closing) {
        st = ECD_ECANCELED; /* the owner freed the chain meanwhile */
    } else if (!st && r->cur.expiration && r->cur.expiration <= now) {
        log_error("credentials from %s were refreshed, but the refreshed credentials are still "
                  "expired",
                  r->cur.provider);
        st = ECD_EAUTH;
    }
    if (!st) {
        out = r->cur;
        memset(&r->cur, 0, sizeof(r->cur));
        aws_credentials_clear(&c->cached);
        if (out.expiration && aws_credentials_copy(&c->cached, &out))
            aws_credentials_clear(&c->cached); /* no memory: just no cache */
    } else if (st != ECD_ECANCELED && c->cached.access_key_id && c->cached.provider &&
               !strcmp(c->cached.provider, "iam-role")) {
        /* Static stability (protocols.md 3.9): keep instance-role credentials a while. */
        if (c->cached.expiration < now + STABILITY_MIN_S)
            c->cached.expiration = now + STABILITY_MIN_S + c->mandatory_s;
        log_warn("instance metadata refresh failed; using the current credentials (key %s) "
                 "a while longer",
                 c->cached.access_key_id);
        st = aws_credentials_copy(&out, &c->cached);
    } else if (st != ECD_ECANCELED && c->cached.access_key_id &&
               now < c->cached.expiration - c->mandatory_s) {
        log_warn("credential refresh failed inside the advisory window; using the current "
                 "credentials (key %s) until the mandatory refresh",
                 c->cached.access_key_id);
        st = aws_credentials_copy(&out, &c->cached);
    } else if (st != ECD_ECANCELED) {
        aws_credentials_clear(&c->cached);
    }
    resolve_free(r);
    if (!st)
        log_debug("credentials: access key %s from %s", out.access_key_id, out.provider);
    /* A waiter may free the chain (creds_chain_free): the resolution's reference keeps
     * it alive until the last one has been answered. */
    while (w) {
        struct waiter *next = w->next;

        w->done(st, st ? NULL : &out, w->ud);
        free(w);
        w = next;
    }
    aws_credentials_clear(&out);
    chain_unref(c);
}

static void run_steps(struct resolve *r);

static void on_step(enum ecd_status st, struct aws_credentials *creds, void *ud)
{
    struct resolve *r = ud;

    r->proc = NULL; /* whichever step it was, it is over */
    if (!st && r->chain->closing)
        st = ECD_ECANCELED;
    if (st) {
        resolve_done(r, st);
        return;
    }
    aws_credentials_clear(&r->cur);
    r->cur = *creds;
    memset(creds, 0, sizeof(*creds));
    r->next++;
    run_steps(r);
}

static void run_steps(struct resolve *r)
{
    struct creds_chain *c = r->chain;
    struct plan *p = &r->plan;
    enum ecd_status st = ECD_OK;

    while (!st && r->next < p->n) {
        const struct step *s = &p->steps[r->next];
        struct sts_assume_params sp = {
            .label = s->label,
            .endpoint = p->sts.url,
            .signing_region = p->sts.signing_region,
            .ca_bundle = p->ca_bundle,
            .role_arn = s->role_arn,
            .session_name = s->session_name,
            .external_id = s->external_id,
            .duration_s = s->duration_s,
        };

        switch (s->kind) {
        case STEP_STATIC:
            aws_credentials_clear(&r->cur);
            r->cur = p->base;
            memset(&p->base, 0, sizeof(p->base));
            r->next++;
            continue;
        case STEP_PROCESS:
            st = process_start(c->loop, s->label, s->arg, PROCESS_TIMEOUT_MS, on_step, r, &r->proc);
            break;
        case STEP_CONTAINER:
            st = container_start(c->http, c->getenv_fn, on_step, r);
            break;
        case STEP_IMDS:
            st = imds_creds_start(c->http, &p->imds, &c->imds_token, on_step, r);
            break;
        case STEP_WEB:
            sp.token_file = s->arg;
            st = sts_assume_start(c->http, &sp, on_step, r);
            break;
        case STEP_ROLE:
            sp.source = &r->cur;
            st = sts_assume_start(c->http, &sp, on_step, r);
            break;
        }
        if (!st)
            return; /* on_step continues */
    }
    resolve_done(r, st);
}

static void plan_work(uv_work_t *w)
{
    struct resolve *r = w->data;

    r->st = plan_build(r->chain, &r->plan);
}

static void plan_after(uv_work_t *w, int status)
{
    struct resolve *r = w->data;

    if (status == UV_ECANCELED || r->chain->closing)
        r->st = ECD_ECANCELED;
    if (r->st) {
        resolve_done(r, r->st);
        return;
    }
    run_steps(r);
}

static enum ecd_status resolve_start(struct creds_chain *c)
{
    struct resolve *r = calloc(1, sizeof(*r));
    int rc;

    if (!r)
        return ECD_ENOMEM;
    r->chain = c;
    r->work.data = r;
    rc = uv_queue_work(c->loop, &r->work, plan_work, plan_after);
    if (rc < 0) {
        log_error("credentials: cannot queue the lookup: %s", uv_strerror(rc));
        free(r);
        return ECD_EIO;
    }
    c->pending = r;
    c->refs++;
    return ECD_OK;
}

static void on_cached_closed(uv_handle_t *h)
{
    struct cached_get *g = h->data;

    aws_credentials_clear(&g->creds);
    free(g);
}

static void on_cached_timer(uv_timer_t *t)
{
    struct cached_get *g = t->data;

    g->done(ECD_OK, &g->creds, g->ud);
    uv_close((uv_handle_t *)&g->timer, on_cached_closed);
}

enum ecd_status creds_chain_get(struct creds_chain *c, creds_done_fn *done, void *ud)
{
    time_t now = time(NULL);
    struct waiter *w, **tail;
    enum ecd_status st;

    if (!c->pending && c->cached.access_key_id && now < c->cached.expiration - c->advisory_s) {
        struct cached_get *g = calloc(1, sizeof(*g));

        if (!g)
            return ECD_ENOMEM;
        if ((st = aws_credentials_copy(&g->creds, &c->cached))) {
            free(g);
            return st;
        }
        g->done = done;
        g->ud = ud;
        g->timer.data = g;
        (void)uv_timer_init(c->loop, &g->timer);                /* cannot fail */
        (void)uv_timer_start(&g->timer, on_cached_timer, 0, 0); /* cannot fail: cb set */
        return ECD_OK;
    }
    w = calloc(1, sizeof(*w));
    if (!w)
        return ECD_ENOMEM;
    w->done = done;
    w->ud = ud;
    if (!c->pending && (st = resolve_start(c))) {
        free(w);
        return st;
    }
    for (tail = &c->waiters; *tail; tail = &(*tail)->next)
        ;
    *tail = w;
    return ECD_OK;
}

/* ---- set-up ----------------------------------------------------------------------- */

/* STS's rule for ExternalId: 2-1224 of [\w+=,.@:/-]. */
static int external_id_ok(const char *s)
{
    size_t n = strlen(s);

    return n >= 2 && n <= 1224 &&
           strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+=,.@:/-") ==
               n;
}

enum ecd_status creds_chain_new_opts(uv_loop_t *loop, const struct creds_options *o,
                                     struct creds_chain **out)
{
    struct creds_chain *c = calloc(1, sizeof(*c));
    enum ecd_status st;

    if (!c)
        return ECD_ENOMEM;
    c->loop = loop;
    c->refs = 1;
    c->getenv_fn = o->getenv_fn ? o->getenv_fn : process_getenv;
    c->advisory_s = o->advisory_s > 0 ? o->advisory_s : ADVISORY_S;
    c->mandatory_s = o->mandatory_s > 0 ? o->mandatory_s : MANDATORY_S;
    if ((st = dup_opt(&c->profile, o->profile)) || (st = dup_opt(&c->role_arn, o->role_arn)) ||
        (st = dup_opt(&c->external_id, o->external_id)) ||
        (st = dup_opt(&c->session_name, o->role_session_name)) ||
        (st = dup_opt(&c->region, o->region)))
        goto fail;
    st = ECD_ECONFIG;
    if (c->role_arn && strncmp(c->role_arn, "arn:", 4)) {
        log_error("role_arn '%s': expected an IAM role ARN (arn:aws:iam::123456789012:role/name)",
                  c->role_arn);
        goto fail;
    }
    if (c->external_id && !external_id_ok(c->external_id)) {
        log_error("external_id must be 2-1224 characters of letters, digits and +=,.@:/_-");
        goto fail;
    }
    if (c->session_name && !session_name_ok(c->session_name)) {
        log_error("role_session_name must be 2-64 characters of letters, digits and +=,.@_-");
        goto fail;
    }
    if ((st = awsconfig_load(c->getenv_fn, c->profile, &c->cfg)))
        goto fail;
    if (o->http) {
        c->http = o->http;
    } else {
        if ((st = http_client_new(loop, &c->http)))
            goto fail;
        c->own_http = 1;
    }
    *out = c;
    return ECD_OK;
fail:
    creds_chain_free(c);
    return st;
}

enum ecd_status creds_chain_new(uv_loop_t *loop, const char *profile,
                                const char *(*getenv_fn)(const char *), struct creds_chain **out)
{
    struct creds_options o = {.profile = profile, .getenv_fn = getenv_fn};

    return creds_chain_new_opts(loop, &o, out);
}

const struct awsconfig *creds_chain_config(const struct creds_chain *c)
{
    return c->cfg;
}

enum ecd_status creds_chain_region(struct creds_chain *c, char **out)
{
    if (c->region) {
        *out = strdup(c->region);
        return *out ? ECD_OK : ECD_ENOMEM;
    }
    return awsconfig_region(c->cfg, out);
}

struct region_get {
    struct creds_chain *chain; /* a reference: the token cache must outlive the fetch */
    creds_region_fn *done;
    void *ud;
};

static void on_imds_region(enum ecd_status st, const char *region, void *ud)
{
    struct region_get *g = ud;
    struct creds_chain *c = g->chain;

    if (!st)
        log_info("aws region %s from instance metadata", region);
    g->done(st, region, g->ud);
    free(g);
    chain_unref(c);
}

enum ecd_status creds_chain_imds_region(struct creds_chain *c, creds_region_fn *done, void *ud)
{
    struct region_get *g = calloc(1, sizeof(*g));
    struct imds_settings s;
    enum ecd_status st;

    if (!g)
        return ECD_ENOMEM;
    g->chain = c;
    g->done = done;
    g->ud = ud;
    st = imds_settings_load(c->getenv_fn, profile_setting, c->cfg, &s);
    if (!st)
        st = imds_region_start(c->http, &s, &c->imds_token, on_imds_region, g);
    imds_settings_clear(&s);
    if (st)
        free(g);
    else
        c->refs++;
    return st;
}

/* ---- describe (--check) ---------------------------------------------------------- */

struct describe {
    struct creds_chain *chain; /* borrowed */
    struct aws_credentials creds;
    creds_describe_fn *done;
    void *ud;
};

static void describe_finish(struct describe *d, enum ecd_status st, const char *arn,
                            const char *account)
{
    struct creds_identity id = {
        .provider = d->creds.provider,
        .access_key_id = d->creds.access_key_id,
        .expiration = d->creds.expiration,
        .arn = arn,
        .account = account,
    };

    d->done(st, st ? NULL : &id, d->ud);
    aws_credentials_clear(&d->creds);
    free(d);
}

static void on_identity(enum ecd_status st, const char *arn, const char *account, void *ud)
{
    describe_finish(ud, st, arn, account);
}

static void on_describe_creds(enum ecd_status st, const struct aws_credentials *creds, void *ud)
{
    struct describe *d = ud;
    struct sts_endpoint ep = {0};
    char *region = NULL;
    const char *ca;

    if (!st)
        st = aws_credentials_copy(&d->creds, creds);
    if (!st)
        st = creds_chain_region(d->chain, &region);
    if (!st)
        st = sts_endpoint_resolve(d->chain->cfg, region, &ep);
    ca = d->chain->getenv_fn("AWS_CA_BUNDLE");
    if (!st)
        st = sts_identity_start(d->chain->http, ep.url, ep.signing_region, ca && *ca ? ca : NULL,
                                &d->creds, on_identity, d);
    free(region);
    sts_endpoint_clear(&ep);
    if (st)
        describe_finish(d, st, NULL, NULL);
}

enum ecd_status creds_chain_describe(struct creds_chain *c, creds_describe_fn *done, void *ud)
{
    struct describe *d = calloc(1, sizeof(*d));
    enum ecd_status st;

    if (!d)
        return ECD_ENOMEM;
    d->chain = c;
    d->done = done;
    d->ud = ud;
    st = creds_chain_get(c, on_describe_creds, d);
    if (st)
        free(d);
    return st;
}

void creds_chain_free(struct creds_chain *c)
{
    if (!c)
        return;
    /* A resolution still running holds a reference: it ends with ECD_ECANCELED (at
     * once for requests on our own client, which closing cancels). */
    c->closing = 1;
    if (c->pending && c->pending->proc)
        process_cancel(c->pending->proc);
    if (c->own_http)
        http_client_close(c->http);
    chain_unref(c);
}
