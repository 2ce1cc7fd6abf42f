/* SPDX-License-Identifier: MIT */
/* resolve-chain: run daemon/creds.c's whole chain (env, files, STS, process,
 * container, IMDS) on a libuv loop, as the daemon does, and print one line per get for
 * the oracle and refresh tests (tests/integration/test_creds_oracle.py):
 *
 *   provider=<name> access_key_id=<id> secret_sha256=<hex> token_sha256=<hex|none>
 *       expiration=<unix seconds|0> region=<region|none>
 *   error=<ECD_...>                           (the message went to stderr)
 *
 * then exits 0 if every get succeeded, else 1.  Secrets appear only as SHA-256 digests.
 * Options: --profile P, --role-arn A, --external-id X, --session-name S, --region R
 * (the config's per-registry identity), --advisory-s N and --mandatory-s N (refresh
 * windows), --gets N and --interval-ms M (N gets, M ms apart, each after the previous
 * one answered), --concurrent N (N gets at once: they must share one resolution),
 * --describe (also print arn=... account=... from GetCallerIdentity), --imds-region
 * (print only the region from instance metadata), --cancel-ms N (free the chain N ms
 * after the first get starts, 0: at once; that get must end with ECD_ECANCELED),
 * --endpoint SERVICE_ID (print only the endpoint the daemon would call for "sts",
 * "ecr" or "ecr_public" with this identity and region, as url=<url>: what
 * sts_endpoint_resolve() and ecr_endpoint() answer; no request is made). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "creds.h"
#include "creds/providers.h"
#include "ecr.h"
#include "ecr_host.h"
#include "log.h"
#include "toolutil.h"

struct run {
    uv_loop_t loop;
    uv_timer_t timer, cancel_timer;
    struct creds_chain *chain;
    char *region;
    int gets, done_gets, concurrent, interval_ms, failures, describe, cancel;
};

static void print_creds(struct run *r, const struct aws_credentials *c)
{
    char secret_hex[65], token_hex[65] = "none";

    tool_sha256_hex(c->secret_key.ptr, c->secret_key.len, secret_hex);
    if (secret_is_set(&c->session_token))
        tool_sha256_hex(c->session_token.ptr, c->session_token.len, token_hex);
    printf("provider=%s access_key_id=%s secret_sha256=%s token_sha256=%s expiration=%lld "
           "region=%s\n",
           c->provider, c->access_key_id, secret_hex, token_hex, (long long)c->expiration,
           r->region ? r->region : "none");
    fflush(stdout);
}

static void next_get(struct run *r);

/* --endpoint: the identity's endpoint for a service, as the daemon picks it. */
static enum ecd_status print_endpoint(struct creds_chain *c, const char *service,
                                      const char *region)
{
    struct sts_endpoint sts = {0};
    char *url = NULL;
    enum ecd_status st;

    if (!strcmp(service, "sts")) {
        st = sts_endpoint_resolve(creds_chain_config(c), region, &sts);
        if (!st)
            printf("url=%s signing_region=%s\n", sts.url, sts.signing_region);
        sts_endpoint_clear(&sts);
        return st;
    }
    if (strcmp(service, "ecr") && strcmp(service, "ecr_public"))
        return ECD_EINVAL;
    if (!region && strcmp(service, "ecr_public")) {
        fprintf(stderr, "resolve-chain: no region for ECR\n");
        return ECD_ECONFIG;
    }
    st = ecr_endpoint(creds_chain_config(c), region ? region : ECR_PUBLIC_REGION,
                      !strcmp(service, "ecr_public"), 0, 0, &url);
    if (!st)
        printf("url=%s\n", url);
    free(url);
    return st;
}

static void on_interval(uv_timer_t *t)
{
    next_get(t->data);
}

static void after_one(struct run *r, enum ecd_status st)
{
    if (st) {
        printf("error=%s\n", tool_status_name(st));
        fflush(stdout);
        r->failures++;
    }
    if (++r->done_gets < r->gets && !r->concurrent) {
        if (r->interval_ms)
            (void)uv_timer_start(&r->timer, on_interval, (uint64_t)r->interval_ms, 0);
        else
            next_get(r);
    }
}

static void on_creds(enum ecd_status st, const struct aws_credentials *c, void *ud)
{
    struct run *r = ud;

    if (!st)
        print_creds(r, c);
    after_one(r, st);
}

static void on_describe(enum ecd_status st, const struct creds_identity *id, void *ud)
{
    struct run *r = ud;

    if (!st) {
        printf("provider=%s access_key_id=%s expiration=%lld arn=%s account=%s\n", id->provider,
               id->access_key_id, (long long)id->expiration, id->arn ? id->arn : "none",
               id->account ? id->account : "none");
        fflush(stdout);
    }
    after_one(r, st);
}

static void on_region(enum ecd_status st, const char *region, void *ud)
{
    struct run *r = ud;

    if (!st)
        printf("region=%s\n", region);
    after_one(r, st);
}

static void next_get(struct run *r)
{
    enum ecd_status st = r->describe ? creds_chain_describe(r->chain, on_describe, r)
                                     : creds_chain_get(r->chain, on_creds, r);

    if (st)
        after_one(r, st);
}

static void on_closed(uv_handle_t *h)
{
    (void)h;
}

/* --cancel-ms: free the chain while its get is pending. */
static void on_cancel(uv_timer_t *t)
{
    struct run *r = t->data;

    creds_chain_free(r->chain);
    r->chain = NULL;
}

int main(int argc, char **argv)
{
    struct creds_options o = {0};
    struct run r = {.gets = 1};
    const char *endpoint_of = NULL;
    int imds_region = 0, rc = 0;
    enum ecd_status st;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

        if (!strcmp(a, "--describe")) {
            r.describe = 1;
            continue;
        }
        if (!strcmp(a, "--imds-region")) {
            imds_region = 1;
            continue;
        }
        if (!v) {
            fprintf(stderr, "usage: resolve-chain [--profile P] [--role-arn A] [--external-id X] "
                            "[--session-name S] [--region R] [--advisory-s N] [--mandatory-s N] "
                            "[--gets N] [--interval-ms M] [--concurrent N] [--describe] "
                            "[--imds-region] [--cancel-ms N] [--endpoint SERVICE_ID]\n");
            return 2;
        }
        i++;
        if (!strcmp(a, "--profile"))
            o.profile = v;
        else if (!strcmp(a, "--role-arn"))
            o.role_arn = v;
        else if (!strcmp(a, "--external-id"))
            o.external_id = v;
        else if (!strcmp(a, "--session-name"))
            o.role_session_name = v;
        else if (!strcmp(a, "--region"))
            o.region = v;
        else if (!strcmp(a, "--endpoint"))
            endpoint_of = v;
        else if (!strcmp(a, "--advisory-s"))
            o.advisory_s = atol(v);
        else if (!strcmp(a, "--mandatory-s"))
            o.mandatory_s = atol(v);
        else if (!strcmp(a, "--gets"))
            r.gets = atoi(v);
        else if (!strcmp(a, "--interval-ms"))
            r.interval_ms = atoi(v);
        else if (!strcmp(a, "--cancel-ms"))
            r.cancel = 1 + atoi(v);
        else if (!strcmp(a, "--concurrent"))
            r.gets = r.concurrent = atoi(v);
        else {
            fprintf(stderr, "resolve-chain: unknown option %s\n", a);
            return 2;
        }
    }
    log_open(getenv("RESOLVE_CHAIN_DEBUG") ? LOG_DEBUG : LOG_INFO);
    if (uv_loop_init(&r.loop) < 0 || uv_timer_init(&r.loop, &r.timer) < 0 ||
        uv_timer_init(&r.loop, &r.cancel_timer) < 0)
        return 2;
    r.timer.data = r.cancel_timer.data = &r;
    st = creds_chain_new_opts(&r.loop, &o, &r.chain);
    if (!st && !imds_region)
        st = creds_chain_region(r.chain, &r.region);
    if (!st && endpoint_of) {
        st = print_endpoint(r.chain, endpoint_of, r.region);
        r.gets = 0;
    }
    if (st) {
        printf("error=%s\n", tool_status_name(st));
        rc = 1;
    } else if (endpoint_of) {
        /* printed above */
    } else if (imds_region) {
        r.gets = 1;
        st = creds_chain_imds_region(r.chain, on_region, &r);
        if (st)
            after_one(&r, st);
    } else if (r.concurrent) {
        for (int i = 0; i < r.concurrent; i++)
            next_get(&r);
    } else {
        next_get(&r);
    }
    if (!st && r.cancel == 1)
        on_cancel(&r.cancel_timer); /* at once: the pending get must end with ECD_ECANCELED */
    else if (!st && r.cancel)
        (void)uv_timer_start(&r.cancel_timer, on_cancel, (uint64_t)(r.cancel - 1), 0);
    (void)uv_run(&r.loop, UV_RUN_DEFAULT);
    creds_chain_free(r.chain); /* closes its HTTP client: run the loop to drain it */
    uv_close((uv_handle_t *)&r.timer, on_closed);
    uv_close((uv_handle_t *)&r.cancel_timer, on_closed);
    (void)uv_run(&r.loop, UV_RUN_DEFAULT);
    if (uv_loop_close(&r.loop) != 0) {
        fprintf(stderr, "resolve-chain: handles left open on the loop\n");
        rc = 3;
    }
    free(r.region);
    return rc ? rc : r.failures ? 1 : 0;
}
