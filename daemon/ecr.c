/* SPDX-License-Identifier: MIT */
/* GetAuthorizationToken over http.c; see ecr.h. */
#include "ecr.h"

#include <curl/curl.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "awsconfig.h"
#include "buf.h"
#include "ecr_host.h"
#include "ecr_response.h"
#include "http.h"
#include "log.h"
#include "sigv4.h"

#define ECR_TARGET_PRIVATE  "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken"
#define ECR_TARGET_PUBLIC   "SpencerFrontendService.GetAuthorizationToken"
#define ECR_CONTENT_TYPE    "application/x-amz-json-1.1"
#define ECR_BACKOFF_BASE_MS 200
#define ECR_BACKOFF_CAP_MS  5000

struct ecr_fetch {
    uv_loop_t *loop;          /* borrowed */
    struct http_client *http; /* borrowed */
    uv_timer_t retry_timer;   /* data = this; the struct is freed in its close callback */
    struct http_req *req;     /* borrowed from http while a request is in flight */
    char *label, *region, *endpoint, *host, *public_host, *ca_bundle; /* owned */
    struct buf body;                                                  /* owned request body */
    struct aws_credentials creds;                                     /* owned copy; wiped */
    int is_public;
    int attempt, max_attempts;
    int skew_corrected; /* one re-sign per fetch after a skew report */
    int canceled;       /* ecr_fetch_cancel() ran while a retry was waiting */
    int fail_prio;      /* log priority of the final failure */
    long skew_s;        /* server time minus our time, from a Date header */
    long timeout_ms;
    ecr_done_fn *done;
    void *ud;
};

static void on_fetch_closed(uv_handle_t *h)
{
    struct ecr_fetch *f = h->data;

    free(f->label);
    free(f->region);
    free(f->endpoint);
    free(f->host);
    free(f->public_host);
    free(f->ca_bundle);
    buf_free(&f->body);
    aws_credentials_clear(&f->creds);
    free(f);
}

static void fetch_finish(struct ecr_fetch *f, enum ecd_status st, struct token_set *ts)
{
    f->req = NULL;
    f->done(st, ts, f->ud);
    uv_close((uv_handle_t *)&f->retry_timer, on_fetch_closed);
}

static void on_response(enum ecd_status st, const struct http_response *resp, void *ud);

static enum ecd_status send_attempt(struct ecr_fetch *f)
{
    char amz_date[17];
    struct buf auth;
    enum ecd_status st;
    struct sigv4_header sh[5];
    size_t nh = 0;
    struct http_header hh[6];
    time_t now = time(NULL) + f->skew_s;
    const char *target = f->is_public ? ECR_TARGET_PUBLIC : ECR_TARGET_PRIVATE;

    st = sigv4_format_date(now, amz_date);
    if (st)
        return st;
    sh[nh++] = (struct sigv4_header){"Content-Type", ECR_CONTENT_TYPE};
    sh[nh++] = (struct sigv4_header){"Host", f->host};
    sh[nh++] = (struct sigv4_header){"X-Amz-Date", amz_date};
    sh[nh++] = (struct sigv4_header){"X-Amz-Target", target};
    if (secret_is_set(&f->creds.session_token))
        sh[nh++] = (struct sigv4_header){"X-Amz-Security-Token", f->creds.session_token.ptr};

    struct sigv4_request rq = {
        .method = "POST",
        .path = "/",
        .query = NULL,
        .headers = sh,
        .n_headers = nh,
        .body = f->body.ptr,
        .body_len = f->body.len,
    };
    struct sigv4_params sp = {
        .region = f->region,
        .service = f->is_public ? "ecr-public" : "ecr",
        .access_key_id = f->creds.access_key_id,
        .secret_key = &f->creds.secret_key,
        .normalize_path = 1,
    };

    buf_init(&auth, 4096);
    st = sigv4_authorization(&rq, &sp, &auth);
    if (st) {
        buf_wipe(&auth);
        log_error("%s: cannot sign the ECR request: %s", f->label, ecd_strerror(st));
        return st;
    }
    /* curl sends Host from the URL itself; every other signed header goes as is. */
    nh = 0;
    for (size_t i = 0; i < sizeof(sh) / sizeof(sh[0]) && i < rq.n_headers; i++)
        if (strcmp(sh[i].name, "Host"))
            hh[nh++] = (struct http_header){sh[i].name, sh[i].value};
    hh[nh++] = (struct http_header){"Authorization", buf_str(&auth)};
    /* curl would otherwise add "Expect: 100-continue" for larger bodies. */
    hh[nh++] = (struct http_header){"Expect", ""};

    struct http_request_opts ho = {
        .method = "POST",
        .url = f->endpoint,
        .headers = hh,
        .n_headers = nh,
        .body = f->body.ptr,
        .body_len = f->body.len,
        .ca_bundle = f->ca_bundle,
        .connect_timeout_ms = 5000,
        .total_timeout_ms = f->timeout_ms,
        .max_body = 256 * 1024,
    };
    f->attempt++;
    st = http_request(f->http, &ho, on_response, f, &f->req);
    buf_wipe(&auth);
    if (st)
        log_error("%s: cannot start the ECR request: %s", f->label, ecd_strerror(st));
    return st;
}

static void on_retry_timer(uv_timer_t *t)
{
    struct ecr_fetch *f = t->data;
    enum ecd_status st = f->canceled ? ECD_ECANCELED : send_attempt(f);

    if (st)
        fetch_finish(f, st, NULL);
}

/* Full jitter (AWS architecture blog): a random delay in [0, min(cap, base * 2^n)). */
static uint64_t backoff_ms(int attempt)
{
    uint64_t ceiling = ECR_BACKOFF_BASE_MS, r = 0;

    for (int i = 1; i < attempt && ceiling < ECR_BACKOFF_CAP_MS; i++)
        ceiling *= 2;
    if (ceiling > ECR_BACKOFF_CAP_MS)
        ceiling = ECR_BACKOFF_CAP_MS;
    if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
        r = (uint64_t)rand();
    return r % ceiling;
}

static int retry_later(struct ecr_fetch *f, uint64_t delay_ms)
{
    if (f->attempt >= f->max_attempts)
        return 0;
    f->req = NULL;
    return uv_timer_start(&f->retry_timer, on_retry_timer, delay_ms, 0) == 0;
}

static void on_response(enum ecd_status st, const struct http_response *resp, void *ud)
{
    struct ecr_fetch *f = ud;
    struct token_set *ts = NULL;
    struct ecr_error err;
    char why[256];

    f->req = NULL;
    if (st == ECD_ECANCELED) {
        fetch_finish(f, st, NULL);
        return;
    }
    if (st) {
        if (st == ECD_ETRANSPORT && !resp->permanent && retry_later(f, backoff_ms(f->attempt))) {
            log_info("%s: %s: %s; retrying", f->label, f->endpoint, resp->errmsg);
            return;
        }
        log_emit(f->fail_prio, "%s: request to %s failed: %s", f->label, f->endpoint, resp->errmsg);
        fetch_finish(f, st, NULL);
        return;
    }
    if (resp->status == 200) {
        why[0] = '\0';
        st = ecr_response_parse_token(buf_str(&resp->body), resp->body.len, f->is_public,
                                      f->public_host, &ts, why, sizeof(why));
        if (st) {
            if (retry_later(f, backoff_ms(f->attempt))) {
                log_info("%s: malformed response from %s (%s); retrying", f->label, f->endpoint,
                         why);
                return;
            }
            log_emit(f->fail_prio, "%s: malformed GetAuthorizationToken response from %s: %s",
                     f->label, f->endpoint, why);
            fetch_finish(f, ECD_EPROTO, NULL);
            return;
        }
        log_debug("%s: token for %zu registr%s from %s", f->label, ts->n, ts->n == 1 ? "y" : "ies",
                  f->endpoint);
        fetch_finish(f, ECD_OK, ts);
        return;
    }
    ecr_response_parse_error(buf_str(&resp->body), resp->body.len, resp->status, resp->error_type,
                             &err);
    if (err.kind == ECR_ERR_CLOCK_SKEW && !f->skew_corrected && resp->date[0]) {
        time_t server = curl_getdate(resp->date, NULL);

        if (server > 0) {
            f->skew_s = (long)(server - time(NULL));
            f->skew_corrected = 1;
            log_warn("%s: AWS reports clock skew (%s); signing with the server's time "
                     "(offset %+lds)",
                     f->label, err.message, f->skew_s);
            if (retry_later(f, 0))
                return;
        }
    }
    if ((err.kind == ECR_ERR_THROTTLE || err.kind == ECR_ERR_SERVER) &&
        retry_later(f, backoff_ms(f->attempt))) {
        log_info("%s: %s answered %ld %s; retrying", f->label, f->endpoint, resp->status, err.code);
        return;
    }
    log_emit(f->fail_prio, "%s: GetAuthorizationToken failed: HTTP %ld %s: %s%s%s%s", f->label,
             resp->status, err.code, err.message, resp->request_id[0] ? " (request id " : "",
             resp->request_id, resp->request_id[0] ? ")" : "");
    fetch_finish(f, ecr_error_status(&err), NULL);
}

static enum ecd_status build_body(struct ecr_fetch *f, const struct ecr_fetch_opts *o)
{
    enum ecd_status st;

    if (f->is_public || o->n_registry_ids == 0)
        return buf_append_str(&f->body, "{}");
    st = buf_append_str(&f->body, "{\"registryIds\":[");
    for (size_t i = 0; i < o->n_registry_ids && !st; i++)
        st = buf_printf(&f->body, "%s\"%s\"", i ? "," : "", o->registry_ids[i]);
    if (!st)
        st = buf_append_str(&f->body, "]}");
    return st;
}

static int dup_opt(char **dst, const char *src)
{
    if (!src)
        return 0;
    *dst = strdup(src);
    return *dst == NULL;
}

enum ecd_status ecr_fetch_start(uv_loop_t *loop, struct http_client *http,
                                const struct ecr_fetch_opts *o, ecr_done_fn *done, void *ud,
                                struct ecr_fetch **out)
{
    struct ecr_fetch *f;
    enum ecd_status st;

    if (o->n_registry_ids > 10 || !o->region || !o->endpoint || !o->creds)
        return ECD_EINVAL;
    f = calloc(1, sizeof(*f));
    if (!f)
        return ECD_ENOMEM;
    f->loop = loop;
    f->http = http;
    f->is_public = o->is_public;
    f->max_attempts = o->max_attempts > 0 ? o->max_attempts : 3;
    f->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 15000;
    f->fail_prio = o->fail_prio > 0 ? o->fail_prio : LOG_ERR;
    f->done = done;
    f->ud = ud;
    buf_init(&f->body, 4096);
    if (dup_opt(&f->label, o->label ? o->label : "ecr") || dup_opt(&f->region, o->region) ||
        dup_opt(&f->endpoint, o->endpoint) ||
        dup_opt(&f->public_host, o->public_host ? o->public_host : "public.ecr.aws") ||
        dup_opt(&f->ca_bundle, o->ca_bundle)) {
        st = ECD_ENOMEM;
        goto fail;
    }
    st = http_url_host(f->endpoint, &f->host);
    if (st) {
        if (st == ECD_ECONFIG)
            log_error("%s: endpoint \"%s\": expected an http:// or https:// URL", f->label,
                      f->endpoint);
        goto fail;
    }
    st = build_body(f, o);
    if (!st)
        st = aws_credentials_copy(&f->creds, o->creds);
    if (st)
        goto fail;
    if (uv_timer_init(loop, &f->retry_timer) < 0) {
        st = ECD_EIO;
        goto fail;
    }
    f->retry_timer.data = f;
    st = send_attempt(f);
    if (st) {
        /* done must not run: close the timer with no callback to the caller. */
        uv_close((uv_handle_t *)&f->retry_timer, on_fetch_closed);
        return st;
    }
    if (out)
        *out = f;
    return ECD_OK;
fail:
    on_fetch_closed((uv_handle_t *)&(uv_timer_t){.data = f});
    return st;
}

void ecr_fetch_cancel(struct ecr_fetch *f)
{
    if (f->req) {
        http_cancel(f->req); /* on_response then finishes with ECD_ECANCELED */
        return;
    }
    /* Waiting for a retry: finish from the loop, never from here. */
    f->canceled = 1;
    (void)uv_timer_start(&f->retry_timer, on_retry_timer, 0, 0); /* open timer: cannot fail */
}

enum ecd_status ecr_endpoint(const struct awsconfig *cfg, const char *region, int is_public,
                             int fips, int dualstack, char **out)
{
    struct awsconfig_endpoint conf;
    enum ecd_status st;
    struct buf b;

    *out = NULL;
    st = awsconfig_endpoint(cfg, is_public ? "ecr_public" : "ecr", &conf);
    /* botocore 1.43 hands the rule set no FIPS or dual-stack flag next to a configured
     * endpoint (compute_endpoint_resolver_builtin_defaults()): the endpoint wins. */
    if (!st && conf.url && (conf.fips || conf.dualstack || fips || dualstack))
        log_info("%s endpoint %s (from %s) is used as configured; FIPS and dual-stack "
                 "settings do not apply to it",
                 is_public ? "ECR Public" : "ECR", conf.url, conf.from);
    if (!st && conf.url) {
        *out = conf.url; /* taken */
        conf.url = NULL;
    }
    if (st || *out) {
        awsconfig_endpoint_clear(&conf);
        return st;
    }
    if (is_public) {
        *out = strdup(ECR_PUBLIC_API_ENDPOINT);
        return *out ? ECD_OK : ECD_ENOMEM;
    }
    if (!ecr_region_valid(region)) {
        log_error("\"%s\" is not a valid AWS region name", region);
        return ECD_ECONFIG;
    }
    buf_init(&b, 1024);
    st = ecr_api_endpoint(region, fips || conf.fips, dualstack || conf.dualstack, &b);
    if (st == ECD_ECONFIG)
        log_error("region %s: its partition has no dual-stack ECR endpoint", region);
    if (!st)
        st = buf_steal(&b, out);
    buf_free(&b);
    return st;
}
