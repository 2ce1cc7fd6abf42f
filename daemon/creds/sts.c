/* SPDX-License-Identifier: MIT */
/* STS over the query protocol (protocols.md 3.4, 3.5, 3.11): AssumeRole signed with
 * the source credentials, AssumeRoleWithWebIdentity unsigned with the token file read
 * afresh, GetCallerIdentity for --check; the endpoint as botocore picks it.  Replies
 * are parsed by common/sts_response.c. */
#include <errno.h>
#include <openssl/crypto.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "ecr_host.h"
#include "log.h"
#include "providers.h"
#include "sigv4.h"
#include "sts_response.h"

#define STS_CONTENT_TYPE "application/x-www-form-urlencoded; charset=utf-8"
#define STS_BODY_MAX     (64 * 1024) /* web identity tokens are a few KiB */
#define TOKEN_FILE_MAX   (64 * 1024)

/* One STS call. */
struct sts_call {
    char *label;            /* owned */
    char *endpoint;         /* owned */
    struct buf body;        /* owned; holds the web identity token: wiped */
    provider_done_fn *done; /* for AssumeRole*; or */
    sts_identity_done_fn *identity_done;
    void *ud;
    const char *method_name; /* static: "assume-role", ... */
};

const char *creds_setting(const char *(*getenv_fn)(const char *), const char *env,
                          sts_profile_get_fn *profile_get, void *pud, const char *key)
{
    const char *v = getenv_fn(env);

    if (v)
        return v;
    return profile_get ? profile_get(key, pud) : NULL;
}

/* botocore's _LEGACY_GLOBAL_REGIONS for STS. */
static int legacy_global(const char *region)
{
    static const char *const regions[] = {
        "ap-northeast-1", "ap-south-1",   "ap-southeast-1", "ap-southeast-2",
        "aws-global",     "ca-central-1", "eu-central-1",   "eu-north-1",
        "eu-west-1",      "eu-west-2",    "eu-west-3",      "sa-east-1",
        "us-east-1",      "us-east-2",    "us-west-1",      "us-west-2",
    };

    for (size_t i = 0; i < sizeof(regions) / sizeof(regions[0]); i++)
        if (!strcmp(region, regions[i]))
            return 1;
    return 0;
}

enum ecd_status sts_endpoint_resolve(const struct awsconfig *cfg, const char *region,
                                     struct sts_endpoint *out)
{
    const char *mode =
        awsconfig_setting(cfg, "AWS_STS_REGIONAL_ENDPOINTS", "sts_regional_endpoints");
    struct awsconfig_endpoint conf;
    const char *custom;
    int fips, dual;
    struct buf b;
    enum ecd_status st;

    memset(out, 0, sizeof(*out));
    st = awsconfig_endpoint(cfg, "sts", &conf);
    if (st) {
        awsconfig_endpoint_clear(&conf);
        return st;
    }
    custom = conf.url;
    fips = conf.fips;
    dual = conf.dualstack;
    buf_init(&b, 4096);
    st = ECD_ECONFIG;
    if (mode && *mode && strcmp(mode, "regional") && strcmp(mode, "legacy")) {
        log_error("sts_regional_endpoints (AWS_STS_REGIONAL_ENDPOINTS) is '%s'; expected "
                  "regional or legacy",
                  mode);
        goto out;
    }
    if (region && *region && !ecr_region_valid(region)) {
        log_error("STS: '%s' is not an AWS region name", region);
        goto out;
    }
    if (custom) {
        /* As botocore 1.43: FIPS and dual-stack flags do not reach the rule set next to
         * a configured endpoint, which is used as is. */
        if (fips || dual)
            log_debug("STS endpoint %s from %s: FIPS / dual-stack settings do not apply", custom,
                      conf.from);
        st = buf_append_str(&b, custom);
    } else if (!region || !*region ||
               (!fips && !dual && mode && !strcmp(mode, "legacy") && legacy_global(region))) {
        region = NULL;
        st = buf_append_str(&b, "https://sts.amazonaws.com");
    } else {
        const struct ecr_partition *p = ecr_partition_for_region(region);

        if (dual && !p->dualstack_dns_suffix) {
            log_error("STS: partition %s (region %s) has no dual-stack endpoints", p->name, region);
            goto out;
        }
        /* The rule set: in aws-us-gov the regular endpoint is the FIPS one already. */
        if (fips && !dual && !strcmp(p->name, "aws-us-gov"))
            fips = 0;
        st = buf_printf(&b, "https://sts%s.%s.%s", fips ? "-fips" : "", region,
                        dual ? p->dualstack_dns_suffix : p->dns_suffix);
    }
    if (!st)
        st = buf_steal(&b, &out->url);
    if (!st && !(out->signing_region = strdup(region && *region ? region : "us-east-1")))
        st = ECD_ENOMEM;
out:
    buf_free(&b);
    awsconfig_endpoint_clear(&conf);
    if (st)
        sts_endpoint_clear(out);
    return st;
}

void sts_endpoint_clear(struct sts_endpoint *e)
{
    free(e->url);
    free(e->signing_region);
    e->url = e->signing_region = NULL;
}

/* application/x-www-form-urlencoded as botocore's query serializer writes it: every
 * byte outside A-Z a-z 0-9 - _ . ~ as %XX. */
static enum ecd_status form_add(struct buf *b, const char *key, const char *value, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    enum ecd_status st = buf_printf(b, "%s%s=", b->len ? "&" : "", key);

    for (size_t i = 0; !st && i < len; i++) {
        unsigned char c = (unsigned char)value[i];

        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~') {
            st = buf_append(b, &value[i], 1);
        } else {
            char esc[3] = {'%', hex[c >> 4], hex[c & 15]};

            st = buf_append(b, esc, 3);
        }
    }
    return st;
}

static enum ecd_status form_add_str(struct buf *b, const char *key, const char *value)
{
    return form_add(b, key, value, strlen(value));
}

/* Read the web identity token: the whole file, surrounding whitespace trimmed. */
static enum ecd_status read_token(const char *label, const char *path, struct buf *out)
{
    char chunk[4096];
    enum ecd_status st = ECD_OK;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n;
    size_t start = 0;

    if (fd < 0) {
        log_error("%s: cannot read the web identity token file %s: %s", label, path,
                  strerror(errno));
        return ECD_ECONFIG;
    }
    while (!st && (n = read(fd, chunk, sizeof(chunk))) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            log_error("%s: cannot read the web identity token file %s: %s", label, path,
                      strerror(errno));
            st = ECD_ECONFIG;
        } else if ((st = buf_append(out, chunk, (size_t)n)) == ECD_ENOMEM) {
            log_error("%s: the web identity token file %s is larger than %d bytes", label, path,
                      TOKEN_FILE_MAX);
            st = ECD_ECONFIG;
        }
    }
    (void)close(fd); /* read-only: nothing to lose */
    while (!st && out->len && strchr(" \t\r\n", out->ptr[out->len - 1]))
        out->ptr[--out->len] = '\0';
    while (!st && start < out->len && strchr(" \t\r\n", out->ptr[start]))
        start++;
    if (!st && start == out->len) {
        log_error("%s: the web identity token file %s is empty", label, path);
        st = ECD_ECONFIG;
    }
    if (!st && start) {
        memmove(out->ptr, out->ptr + start, out->len - start + 1);
        out->len -= start;
    }
    OPENSSL_cleanse(chunk, sizeof(chunk));
    return st;
}

static void call_free(struct sts_call *c)
{
    if (!c)
        return;
    free(c->label);
    free(c->endpoint);
    buf_wipe(&c->body);
    free(c);
}

/* Map an STS failure reply to a status, logging it once. */
static enum ecd_status reply_error(struct sts_call *c, const struct http_response *resp)
{
    struct sts_response r;
    const char *why = NULL;
    enum ecd_status st;

    if (sts_response_parse(resp->body.ptr ? resp->body.ptr : "", resp->body.len, &r, &why) ||
        r.kind != STS_RESPONSE_ERROR) {
        log_error("%s: STS %s answered HTTP %ld without an error document", c->label, c->endpoint,
                  resp->status);
        sts_response_clear(&r);
        return resp->status >= 500 ? ECD_ETHROTTLE : ECD_EHTTP;
    }
    log_error("%s: STS %s (%s) failed: HTTP %ld %s: %s", c->label, c->method_name, c->endpoint,
              resp->status, r.error_code, r.error_message ? r.error_message : "(no message)");
    if (resp->status >= 500 || !strcmp(r.error_code, "IDPCommunicationError") ||
        strstr(r.error_code, "Throttl"))
        st = ECD_ETHROTTLE;
    else
        st = ECD_EAUTH;
    sts_response_clear(&r);
    return st;
}

static void on_reply(enum ecd_status st, const struct http_response *resp, void *ud)
{
    struct sts_call *c = ud;
    struct sts_response r = {0};
    const char *why = NULL;

    if (st == ECD_ETRANSPORT)
        log_error("%s: STS %s: %s", c->label, c->endpoint, resp->errmsg);
    else if (!st && resp->status != 200)
        st = reply_error(c, resp);
    else if (!st && (st = sts_response_parse(resp->body.ptr, resp->body.len, &r, &why)) != ECD_OK)
        log_error("%s: STS %s reply: %s", c->label, c->method_name, why);
    else if (!st && r.kind != (c->done ? STS_RESPONSE_CREDENTIALS : STS_RESPONSE_IDENTITY)) {
        log_error("%s: STS %s reply holds no %s", c->label, c->method_name,
                  c->done ? "credentials" : "caller identity");
        st = ECD_EPROTO;
    } else if (st && st != ECD_ECANCELED) {
        log_error("%s: STS %s: %s", c->label, c->endpoint, ecd_strerror(st));
    }
    if (c->done) {
        if (!st && !(r.creds.provider = strdup(c->method_name)))
            st = ECD_ENOMEM;
        if (!st)
            log_debug("%s: %s gave access key %s (%s)", c->label, c->method_name,
                      r.creds.access_key_id, r.arn ? r.arn : "no role ARN");
        c->done(st, st ? NULL : &r.creds, c->ud);
    } else {
        c->identity_done(st, st ? NULL : r.arn, st ? NULL : r.account, c->ud);
    }
    sts_response_clear(&r);
    call_free(c);
}

/* POST the form body, signed when creds is not NULL. */
static enum ecd_status send_call(struct sts_call *c, struct http_client *http,
                                 const char *signing_region, const char *ca_bundle,
                                 const struct aws_credentials *creds)
{
    char amz_date[SIGV4_DATE_LEN + 1];
    struct sigv4_header sh[4];
    struct http_header hh[6];
    size_t ns = 0, nh = 0;
    char *host = NULL;
    struct buf auth;
    enum ecd_status st;

    buf_init(&auth, 4096);
    hh[nh++] = (struct http_header){"Content-Type", STS_CONTENT_TYPE};
    hh[nh++] = (struct http_header){"Expect", ""};
    if (creds) {
        if ((st = http_url_host(c->endpoint, &host)) ||
            (st = sigv4_format_date(time(NULL), amz_date))) {
            log_error("%s: STS endpoint %s: %s", c->label, c->endpoint, ecd_strerror(st));
            goto out;
        }
        sh[ns++] = (struct sigv4_header){"Content-Type", STS_CONTENT_TYPE};
        sh[ns++] = (struct sigv4_header){"Host", host};
        sh[ns++] = (struct sigv4_header){"X-Amz-Date", amz_date};
        hh[nh++] = (struct http_header){"X-Amz-Date", amz_date};
        if (secret_is_set(&creds->session_token)) {
            sh[ns++] = (struct sigv4_header){"X-Amz-Security-Token", creds->session_token.ptr};
            hh[nh++] = (struct http_header){"X-Amz-Security-Token", creds->session_token.ptr};
        }
        struct sigv4_request rq = {
            .method = "POST",
            .path = "/",
            .headers = sh,
            .n_headers = ns,
            .body = c->body.ptr,
            .body_len = c->body.len,
        };
        struct sigv4_params sp = {
            .region = signing_region,
            .service = "sts",
            .access_key_id = creds->access_key_id,
            .secret_key = &creds->secret_key,
            .normalize_path = 1,
        };
        if ((st = sigv4_authorization(&rq, &sp, &auth))) {
            log_error("%s: cannot sign the STS request: %s", c->label, ecd_strerror(st));
            goto out;
        }
        hh[nh++] = (struct http_header){"Authorization", buf_str(&auth)};
    }
    struct http_request_opts o = {
        .method = "POST",
        .url = c->endpoint,
        .headers = hh,
        .n_headers = nh,
        .body = c->body.ptr,
        .body_len = c->body.len,
        .ca_bundle = ca_bundle,
        .connect_timeout_ms = 5000,
        .total_timeout_ms = 30000,
        .max_body = 256 * 1024,
    };
    st = http_request(http, &o, on_reply, c, NULL);
    if (st)
        log_error("%s: cannot start the STS request: %s", c->label, ecd_strerror(st));
out:
    buf_wipe(&auth);
    free(host);
    return st;
}

static struct sts_call *call_new(const char *label, const char *endpoint)
{
    struct sts_call *c = calloc(1, sizeof(*c));

    if (!c)
        return NULL;
    buf_init(&c->body, STS_BODY_MAX);
    c->label = strdup(label);
    c->endpoint = strdup(endpoint);
    if (!c->label || !c->endpoint) {
        call_free(c);
        return NULL;
    }
    return c;
}

enum ecd_status sts_assume_start(struct http_client *http, const struct sts_assume_params *p,
                                 provider_done_fn *done, void *ud)
{
    struct sts_call *c = call_new(p->label, p->endpoint);
    char session[64];
    struct buf token;
    enum ecd_status st;

    if (!c)
        return ECD_ENOMEM;
    buf_init(&token, TOKEN_FILE_MAX);
    c->done = done;
    c->ud = ud;
    c->method_name = p->source ? "assume-role" : "assume-role-with-web-identity";
    if (!p->session_name)
        snprintf(session, sizeof(session), "botocore-session-%lld", (long long)time(NULL));
    st = form_add_str(&c->body, "Action", p->source ? "AssumeRole" : "AssumeRoleWithWebIdentity");
    if (!st)
        st = form_add_str(&c->body, "Version", "2011-06-15");
    if (!st)
        st = form_add_str(&c->body, "RoleArn", p->role_arn);
    if (!st)
        st = form_add_str(&c->body, "RoleSessionName", p->session_name ? p->session_name : session);
    if (!st && p->source && p->external_id)
        st = form_add_str(&c->body, "ExternalId", p->external_id);
    if (!st && p->source && p->duration_s) {
        char d[24];

        snprintf(d, sizeof(d), "%ld", p->duration_s);
        st = form_add_str(&c->body, "DurationSeconds", d);
    }
    if (!st && !p->source) {
        st = read_token(p->label, p->token_file, &token);
        if (!st)
            st = form_add(&c->body, "WebIdentityToken", token.ptr, token.len);
    }
    buf_wipe(&token);
    if (!st)
        st = send_call(c, http, p->signing_region, p->ca_bundle, p->source);
    if (st)
        call_free(c);
    return st;
}

enum ecd_status sts_identity_start(struct http_client *http, const char *endpoint,
                                   const char *signing_region, const char *ca_bundle,
                                   const struct aws_credentials *creds, sts_identity_done_fn *done,
                                   void *ud)
{
    struct sts_call *c = call_new("caller identity", endpoint);
    enum ecd_status st;

    if (!c)
        return ECD_ENOMEM;
    c->identity_done = done;
    c->ud = ud;
    c->method_name = "GetCallerIdentity";
    st = buf_append_str(&c->body, "Action=GetCallerIdentity&Version=2011-06-15");
    if (!st)
        st = send_call(c, http, signing_region, ca_bundle, creds);
    if (st)
        call_free(c);
    return st;
}
