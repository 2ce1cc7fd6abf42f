/* SPDX-License-Identifier: MIT */
/* EC2 instance metadata (protocols.md 3.9): IMDSv2 session token (kept in the caller's
 * imds_token_cache between fetches), role discovery, the role's credentials, and the
 * instance's region.  Short timeouts and botocore's attempt count, so an instance
 * without IMDS (or a laptop) fails fast. */
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "credjson.h"
#include "log.h"
#include "providers.h"

#define IMDS_V4_ENDPOINT   "http://169.254.169.254/"
#define IMDS_V6_ENDPOINT   "http://[fd00:ec2::254]/"
#define IMDS_TOKEN_PATH    "latest/api/token"
#define IMDS_ROLE_PATH     "latest/meta-data/iam/security-credentials/"
#define IMDS_REGION_PATH   "latest/meta-data/placement/region"
#define STR_(x)            #x
#define STR(x)             STR_(x)
#define IMDS_TOKEN_TTL     STR(IMDS_TOKEN_TTL_S) /* the header wants text */
#define STABILITY_BASE_S   (15 * 60)
#define STABILITY_JITTER_S (2 * 60) /* plus 0..8 min: botocore's 2..10 min */

static enum ecd_status positive(const char *name, const char *v, long max, long *out)
{
    char *end;
    double d;

    if (!v || !*v)
        return ECD_OK;
    d = strtod(v, &end);
    if (*end || !(d > 0) || d > (double)max) {
        log_error("%s is '%s'; expected a positive number up to %ld", name, v, max);
        return ECD_ECONFIG;
    }
    *out = (long)(d * 1000);
    return ECD_OK;
}

enum ecd_status imds_settings_load(const char *(*getenv_fn)(const char *),
                                   sts_profile_get_fn *profile_get, void *pud,
                                   struct imds_settings *out)
{
    const char *endpoint = creds_setting(getenv_fn, "AWS_EC2_METADATA_SERVICE_ENDPOINT",
                                         profile_get, pud, "ec2_metadata_service_endpoint");
    const char *mode = creds_setting(getenv_fn, "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE",
                                     profile_get, pud, "ec2_metadata_service_endpoint_mode");
    const char *v1 = creds_setting(getenv_fn, "AWS_EC2_METADATA_V1_DISABLED", profile_get, pud,
                                   "ec2_metadata_v1_disabled");
    const char *disabled = getenv_fn("AWS_EC2_METADATA_DISABLED");
    long timeout_ms = 1000, attempts_x1000 = 1000;
    enum ecd_status st;
    size_t n;

    memset(out, 0, sizeof(*out));
    out->disabled = disabled && !strcasecmp(disabled, "true");
    out->v1_disabled = v1 && !strcasecmp(v1, "true");
    if ((st = positive("AWS_METADATA_SERVICE_TIMEOUT",
                       creds_setting(getenv_fn, "AWS_METADATA_SERVICE_TIMEOUT", profile_get, pud,
                                     "metadata_service_timeout"),
                       300, &timeout_ms)) ||
        (st = positive("AWS_METADATA_SERVICE_NUM_ATTEMPTS",
                       creds_setting(getenv_fn, "AWS_METADATA_SERVICE_NUM_ATTEMPTS", profile_get,
                                     pud, "metadata_service_num_attempts"),
                       10, &attempts_x1000)))
        return st;
    out->timeout_ms = timeout_ms;
    out->attempts = (int)(attempts_x1000 / 1000) > 0 ? (int)(attempts_x1000 / 1000) : 1;
    if (!endpoint || !*endpoint) {
        if (mode && *mode && strcasecmp(mode, "ipv4") && strcasecmp(mode, "ipv6")) {
            log_error("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE is '%s'; expected IPv4 or IPv6",
                      mode);
            return ECD_ECONFIG;
        }
        endpoint = mode && !strcasecmp(mode, "ipv6") ? IMDS_V6_ENDPOINT : IMDS_V4_ENDPOINT;
    }
    n = strlen(endpoint);
    out->endpoint = malloc(n + 2);
    if (!out->endpoint)
        return ECD_ENOMEM;
    memcpy(out->endpoint, endpoint, n + 1);
    if (endpoint[n - 1] != '/')
        memcpy(out->endpoint + n, "/", 2);
    return ECD_OK;
}

void imds_settings_clear(struct imds_settings *s)
{
    free(s->endpoint);
    s->endpoint = NULL;
}

/* One IMDS conversation: token, then the GETs of its goal. */
enum step { STEP_TOKEN, STEP_ROLE, STEP_CREDS, STEP_REGION };

struct imds_fetch {
    struct http_client *http; /* borrowed */
    char *endpoint;           /* owned */
    int v1_disabled, attempts, attempt, retoken;
    long timeout_ms;
    enum step step;
    enum step goal;                 /* STEP_CREDS or STEP_REGION */
    struct secret token;            /* owned; empty: IMDSv1 */
    struct imds_token_cache *cache; /* borrowed; NULL: no reuse across fetches */
    uint64_t token_asked_ms;        /* when the token PUT went out */
    char *role;                     /* owned */
    struct buf url;                 /* owned */
    provider_done_fn *done;         /* goal STEP_CREDS */
    imds_region_done_fn *region_done;
    void *ud;
};

/* A failed credential lookup ends the chain: an error.  A failed region lookup is
 * only the last place looked; the caller's "no region" error follows: a warning. */
static int fail_prio(enum step goal)
{
    return goal == STEP_REGION ? LOG_WARNING : LOG_ERR;
}

static uint64_t now_ms(void)
{
    struct timespec ts;

    (void)clock_gettime(CLOCK_MONOTONIC, &ts); /* cannot fail for this clock */
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void imds_token_cache_clear(struct imds_token_cache *c)
{
    free(c->endpoint);
    secret_wipe(&c->token);
    memset(c, 0, sizeof(*c));
}

/* Keep the token just got for the fetches to come.  Counted from when it was asked
 * for, so the server's clock starts no later than ours. */
static void cache_store(struct imds_fetch *f)
{
    struct imds_token_cache *c = f->cache;

    if (!c)
        return;
    imds_token_cache_clear(c);
    if (!(c->endpoint = strdup(f->endpoint)) || secret_copy(&c->token, &f->token)) {
        imds_token_cache_clear(c); /* no memory: just no reuse */
        return;
    }
    c->good_until_ms = f->token_asked_ms + (uint64_t)(IMDS_TOKEN_TTL_S - IMDS_TOKEN_EARLY_S) * 1000;
}

/* A token the cache holds for this endpoint and may still be used. */
static int cache_usable(const struct imds_token_cache *c, const char *endpoint)
{
    return c && c->endpoint && secret_is_set(&c->token) && !strcmp(c->endpoint, endpoint) &&
           now_ms() < c->good_until_ms;
}

static void fetch_free(struct imds_fetch *f)
{
    secret_wipe(&f->token);
    free(f->endpoint);
    free(f->role);
    buf_free(&f->url);
    free(f);
}

static void finish_creds(struct imds_fetch *f, enum ecd_status st, struct aws_credentials *c)
{
    if (f->done)
        f->done(st, c, f->ud);
    else
        f->region_done(st, NULL, f->ud);
    fetch_free(f);
}

static void fail(struct imds_fetch *f, enum ecd_status st)
{
    /* botocore returns "no credentials" for every IMDS failure; the chain then ends. */
    finish_creds(f, st == ECD_ECANCELED || st == ECD_ENOMEM ? st : ECD_EAUTH, NULL);
}

static enum ecd_status send_step(struct imds_fetch *f);

static void on_reply(enum ecd_status st, const struct http_response *resp, void *ud);

static void next(struct imds_fetch *f, enum step s)
{
    enum ecd_status st;

    f->step = s;
    f->attempt = 0;
    st = send_step(f);
    if (st)
        fail(f, st);
}

static void got_token(struct imds_fetch *f, enum ecd_status st, const struct http_response *resp)
{
    if (!st && resp->status == 200 && resp->body.len) {
        st = secret_set(&f->token, resp->body.ptr, resp->body.len);
        if (st) {
            fail(f, st);
            return;
        }
        cache_store(f);
    } else if (!st && resp->status == 400) {
        log_emit(fail_prio(f->goal), "instance metadata: %s%s answered 400 (bad token request)",
                 f->endpoint, IMDS_TOKEN_PATH);
        fail(f, ECD_EAUTH);
        return;
    } else if (f->v1_disabled) {
        log_emit(fail_prio(f->goal),
                 "instance metadata: no IMDSv2 token from %s (%s) and IMDSv1 is disabled "
                 "(AWS_EC2_METADATA_V1_DISABLED)",
                 f->endpoint, st ? resp->errmsg : "unexpected status");
        fail(f, ECD_EAUTH);
        return;
    } else {
        log_debug("instance metadata: no IMDSv2 token (%s); trying IMDSv1",
                  st ? resp->errmsg : "status 403/404/405");
    }
    next(f, f->goal == STEP_REGION ? STEP_REGION : (f->role ? STEP_CREDS : STEP_ROLE));
}

static void on_reply(enum ecd_status st, const struct http_response *resp, void *ud)
{
    struct imds_fetch *f = ud;
    struct aws_credentials c = {0};
    char why[256];
    size_t n;

    if (st == ECD_ECANCELED || st == ECD_ENOMEM) {
        fail(f, st);
        return;
    }
    if (f->step == STEP_TOKEN) {
        got_token(f, st, resp);
        return;
    }
    /* An expired or unknown token: get a new one, once. */
    if (!st && resp->status == 401 && secret_is_set(&f->token) && !f->retoken) {
        f->retoken = 1;
        /* Whether it came from the cache or from this fetch's PUT, nobody may use it
         * again (a newer token another fetch stored meanwhile stays). */
        if (f->cache && f->cache->endpoint && !strcmp(f->cache->endpoint, f->endpoint) &&
            secret_is_set(&f->cache->token) && !strcmp(f->cache->token.ptr, f->token.ptr))
            imds_token_cache_clear(f->cache);
        log_debug("instance metadata: %s answered 401 to the session token; getting a new one",
                  buf_str(&f->url));
        secret_wipe(&f->token);
        next(f, STEP_TOKEN);
        return;
    }
    if (st || resp->status != 200 || !resp->body.len) {
        if (f->attempt < f->attempts) {
            st = send_step(f);
            if (st)
                fail(f, st);
            return;
        }
        if (st)
            log_emit(fail_prio(f->goal), "instance metadata: %s: %s", buf_str(&f->url),
                     resp->errmsg);
        else
            log_emit(fail_prio(f->goal), "instance metadata: %s answered HTTP %ld%s",
                     buf_str(&f->url), resp->status, resp->body.len ? "" : " with an empty body");
        fail(f, st ? st : ECD_EAUTH);
        return;
    }
    switch (f->step) {
    case STEP_ROLE:
        n = strcspn(resp->body.ptr, "\r\n");
        if (!n || !(f->role = strndup(resp->body.ptr, n))) {
            fail(f, n ? ECD_ENOMEM : ECD_EAUTH);
            return;
        }
        next(f, STEP_CREDS);
        return;
    case STEP_CREDS:
        st = credjson_parse(CREDJSON_IMDS, resp->body.ptr, resp->body.len, &c, why, sizeof(why));
        if (st) {
            log_error("instance metadata: role %s: %s", f->role, why);
            fail(f, st);
            return;
        }
        if (!(c.provider = strdup("iam-role"))) {
            aws_credentials_clear(&c);
            fail(f, ECD_ENOMEM);
            return;
        }
        {
            time_t now = time(NULL);
            unsigned r = 0;

            if (c.expiration < now + STABILITY_BASE_S) {
                if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
                    r = (unsigned)rand();
                c.expiration = now + STABILITY_BASE_S + STABILITY_JITTER_S + (time_t)(r % 481);
                log_warn("instance metadata: role %s credentials expire within 15 min; using "
                         "them until %lld (static stability)",
                         f->role, (long long)c.expiration);
            }
        }
        log_debug("instance metadata: role %s, access key %s", f->role, c.access_key_id);
        finish_creds(f, ECD_OK, &c);
        aws_credentials_clear(&c);
        return;
    case STEP_REGION:
        n = strcspn(resp->body.ptr, "\r\n \t");
        {
            char *region = strndup(resp->body.ptr, n);

            if (!region) {
                fail(f, ECD_ENOMEM);
                return;
            }
            f->region_done(ECD_OK, region, f->ud);
            free(region);
            fetch_free(f);
        }
        return;
    case STEP_TOKEN:
        break;
    }
}

static enum ecd_status send_step(struct imds_fetch *f)
{
    struct http_header h[1];
    struct http_request_opts o = {
        .method = f->step == STEP_TOKEN ? "PUT" : "GET",
        .headers = h,
        .n_headers = 0,
        .connect_timeout_ms = f->timeout_ms,
        .total_timeout_ms = f->timeout_ms,
        .max_body = 64 * 1024,
        .no_proxy = 1,
    };
    enum ecd_status st;

    buf_reset(&f->url);
    switch (f->step) {
    case STEP_TOKEN:
        f->token_asked_ms = now_ms();
        st = buf_printf(&f->url, "%s" IMDS_TOKEN_PATH, f->endpoint);
        h[o.n_headers++] =
            (struct http_header){"x-aws-ec2-metadata-token-ttl-seconds", IMDS_TOKEN_TTL};
        break;
    case STEP_ROLE:
        st = buf_printf(&f->url, "%s" IMDS_ROLE_PATH, f->endpoint);
        break;
    case STEP_CREDS:
        st = buf_printf(&f->url, "%s" IMDS_ROLE_PATH "%s", f->endpoint, f->role);
        break;
    case STEP_REGION:
    default:
        st = buf_printf(&f->url, "%s" IMDS_REGION_PATH, f->endpoint);
        break;
    }
    if (st)
        return st;
    if (f->step != STEP_TOKEN && secret_is_set(&f->token))
        h[o.n_headers++] = (struct http_header){"x-aws-ec2-metadata-token", f->token.ptr};
    o.url = buf_str(&f->url);
    f->attempt++;
    st = http_request(f->http, &o, on_reply, f, NULL);
    if (st)
        log_error("instance metadata: cannot start the request: %s", ecd_strerror(st));
    return st;
}

static enum ecd_status start(struct http_client *http, const struct imds_settings *s,
                             struct imds_token_cache *cache, enum step goal, provider_done_fn *done,
                             imds_region_done_fn *region_done, void *ud)
{
    struct imds_fetch *f = calloc(1, sizeof(*f));
    enum ecd_status st;

    if (!f)
        return ECD_ENOMEM;
    if (s->disabled) {
        free(f);
        log_emit(fail_prio(goal), "instance metadata: disabled by AWS_EC2_METADATA_DISABLED");
        return ECD_EAUTH;
    }
    buf_init(&f->url, 8192);
    f->http = http;
    f->v1_disabled = s->v1_disabled;
    f->attempts = s->attempts > 0 ? s->attempts : 1;
    f->timeout_ms = s->timeout_ms > 0 ? s->timeout_ms : 1000;
    f->goal = goal;
    f->done = done;
    f->region_done = region_done;
    f->ud = ud;
    f->step = STEP_TOKEN;
    f->cache = cache;
    if (!(f->endpoint = strdup(s->endpoint))) {
        fetch_free(f);
        return ECD_ENOMEM;
    }
    if (cache_usable(cache, f->endpoint)) {
        if (secret_copy(&f->token, &cache->token)) {
            fetch_free(f);
            return ECD_ENOMEM;
        }
        f->step = goal == STEP_REGION ? STEP_REGION : STEP_ROLE;
        log_debug("instance metadata: reusing the session token for %s", f->endpoint);
    }
    st = send_step(f);
    if (st)
        fetch_free(f);
    return st;
}

enum ecd_status imds_creds_start(struct http_client *http, const struct imds_settings *s,
                                 struct imds_token_cache *cache, provider_done_fn *done, void *ud)
{
    return start(http, s, cache, STEP_CREDS, done, NULL, ud);
}

enum ecd_status imds_region_start(struct http_client *http, const struct imds_settings *s,
                                  struct imds_token_cache *cache, imds_region_done_fn *done,
                                  void *ud)
{
    return start(http, s, cache, STEP_REGION, NULL, done, ud);
}
