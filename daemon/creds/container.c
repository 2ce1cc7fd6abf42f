/* SPDX-License-Identifier: MIT */
/* Container credentials (protocols.md 3.8): ECS task roles and EKS Pod Identity.  The
 * endpoint and its allow-list, the Authorization value (file re-read on every fetch,
 * CR/LF refused), and botocore's 2 s timeout with 3 attempts 1 s apart. */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "credjson.h"
#include "log.h"
#include "providers.h"

#define ECS_HOST          "http://169.254.170.2"
#define CONTAINER_TIMEOUT 2000
#define CONTAINER_TRIES   3
#define CONTAINER_PAUSE   1000
#define AUTH_FILE_MAX     16384

struct container_fetch {
    struct http_client *http; /* borrowed */
    uv_timer_t pause;         /* data = this; between attempts */
    char *url;                /* owned */
    struct secret auth;       /* owned; the Authorization value, if any */
    int attempt;
    enum ecd_status st;
    struct aws_credentials creds; /* owned; wiped */
    provider_done_fn *done;
    void *ud;
};

int container_configured(const char *(*getenv_fn)(const char *))
{
    return getenv_fn("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") ||
           getenv_fn("AWS_CONTAINER_CREDENTIALS_FULL_URI");
}

static const char *const allowed_hosts[] = {"169.254.170.2", "localhost", "169.254.170.23",
                                            "fd00:ec2::23"};

/* botocore's _validate_allowed_url(): https anything; else a loopback IP or one of the
 * allowed hosts. */
static enum ecd_status check_url(const char *url)
{
    CURLU *u = curl_url();
    char *host = NULL, *scheme = NULL;
    enum ecd_status st = ECD_ECONFIG;
    unsigned char addr[16];
    size_t hl;

    if (!u)
        return ECD_ENOMEM;
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
        log_error("AWS_CONTAINER_CREDENTIALS_FULL_URI: '%s' is not a URL", url);
        goto out;
    }
    if (!strcmp(scheme, "https")) {
        st = ECD_OK;
        goto out;
    }
    hl = strlen(host);
    if (hl > 2 && host[0] == '[' && host[hl - 1] == ']') { /* IPv6 literal */
        memmove(host, host + 1, hl - 2);
        host[hl - 2] = '\0';
    }
    if (inet_pton(AF_INET, host, addr) == 1 && addr[0] == 127)
        st = ECD_OK;
    else if (inet_pton(AF_INET6, host, addr) == 1 &&
             !memcmp(addr, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1", 16))
        st = ECD_OK;
    for (size_t i = 0; st && i < sizeof(allowed_hosts) / sizeof(allowed_hosts[0]); i++)
        if (!strcmp(host, allowed_hosts[i]))
            st = ECD_OK;
    if (st)
        log_error("AWS_CONTAINER_CREDENTIALS_FULL_URI: unsupported host '%s': http:// only to "
                  "a loopback address or one of 169.254.170.2, localhost, 169.254.170.23, "
                  "fd00:ec2::23",
                  host);
out:
    curl_free(host);
    curl_free(scheme);
    curl_url_cleanup(u);
    return st;
}

/* The Authorization value: the token file (re-read now) wins over the variable. */
static enum ecd_status load_auth(const char *(*getenv_fn)(const char *), struct secret *out)
{
    const char *file = getenv_fn("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
    const char *var = getenv_fn("AWS_CONTAINER_AUTHORIZATION_TOKEN");
    char *data = NULL;
    size_t len = 0;
    enum ecd_status st = ECD_OK;

    if (file) {
        int fd = open(file, O_RDONLY | O_CLOEXEC);
        ssize_t n = -1;

        data = calloc(1, AUTH_FILE_MAX + 1);
        if (!data) {
            if (fd >= 0)
                (void)close(fd); /* read-only */
            return ECD_ENOMEM;
        }
        if (fd >= 0) {
            do
                n = read(fd, data + len, AUTH_FILE_MAX - len);
            while ((n > 0 && (len += (size_t)n) < AUTH_FILE_MAX) || (n < 0 && errno == EINTR));
            (void)close(fd); /* read-only */
        }
        if (n < 0) {
            log_error("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: cannot read %s: %s", file,
                      strerror(errno));
            st = ECD_ECONFIG;
        }
        /* Sent verbatim, as botocore does: a trailing newline is refused below. */
    } else if (var) {
        len = strlen(var);
        if (!(data = strdup(var)))
            return ECD_ENOMEM;
    }
    if (!st && data && memchr(data, '\r', len)) {
        log_error("container credentials: the authorization token holds a CR; refused");
        st = ECD_ECONFIG;
    }
    if (!st && data && memchr(data, '\n', len)) {
        log_error("container credentials: the authorization token holds a line break; refused");
        st = ECD_ECONFIG;
    }
    if (!st && data)
        secret_adopt(out, data, len);
    else if (data) {
        OPENSSL_cleanse(data, len);
        free(data);
    }
    return st;
}

static void on_closed(uv_handle_t *h)
{
    struct container_fetch *f = h->data;

    if (f->done) /* NULL: the start failed, and said so */
        f->done(f->st, f->st ? NULL : &f->creds, f->ud);
    aws_credentials_clear(&f->creds);
    secret_wipe(&f->auth);
    free(f->url);
    free(f);
}

static enum ecd_status send_attempt(struct container_fetch *f);

static void on_pause(uv_timer_t *t)
{
    struct container_fetch *f = t->data;

    f->st = send_attempt(f);
    if (f->st)
        uv_close((uv_handle_t *)&f->pause, on_closed);
}

static void on_reply(enum ecd_status st, const struct http_response *resp, void *ud)
{
    struct container_fetch *f = ud;
    char why[256];

    if (st == ECD_ECANCELED || st == ECD_ENOMEM) {
        f->st = st;
    } else if (st) {
        log_error("container credentials: %s: %s (attempt %d of %d)", f->url, resp->errmsg,
                  f->attempt, CONTAINER_TRIES);
        f->st = st;
    } else if (resp->status != 200) {
        log_error("container credentials: %s answered HTTP %ld (attempt %d of %d)", f->url,
                  resp->status, f->attempt, CONTAINER_TRIES);
        f->st = resp->status >= 500 ? ECD_ETHROTTLE : ECD_EAUTH;
    } else if ((f->st = credjson_parse(CREDJSON_CONTAINER, buf_str(&resp->body), resp->body.len,
                                       &f->creds, why, sizeof(why))) != ECD_OK) {
        log_error("container credentials: %s: bad reply: %s", f->url, why);
    } else if (!(f->creds.provider = strdup("container-role"))) {
        f->st = ECD_ENOMEM;
    }
    if (f->st && f->st != ECD_ECANCELED && f->st != ECD_ENOMEM && f->attempt < CONTAINER_TRIES &&
        uv_timer_start(&f->pause, on_pause, CONTAINER_PAUSE, 0) == 0)
        return;
    uv_close((uv_handle_t *)&f->pause, on_closed);
}

static enum ecd_status send_attempt(struct container_fetch *f)
{
    struct http_header h[2] = {{"Accept", "application/json"}, {"Authorization", f->auth.ptr}};
    struct http_request_opts o = {
        .method = "GET",
        .url = f->url,
        .headers = h,
        .n_headers = secret_is_set(&f->auth) ? 2 : 1,
        .connect_timeout_ms = CONTAINER_TIMEOUT,
        .total_timeout_ms = CONTAINER_TIMEOUT,
        .max_body = 64 * 1024,
        .no_proxy = 1,
    };
    enum ecd_status st;

    f->attempt++;
    st = http_request(f->http, &o, on_reply, f, NULL);
    if (st)
        log_error("container credentials: cannot start the request: %s", ecd_strerror(st));
    return st;
}

enum ecd_status container_start(struct http_client *http, const char *(*getenv_fn)(const char *),
                                provider_done_fn *done, void *ud)
{
    const char *rel = getenv_fn("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
    const char *full = getenv_fn("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    struct container_fetch *f = calloc(1, sizeof(*f));
    enum ecd_status st;
    struct buf url;

    if (!f)
        return ECD_ENOMEM;
    buf_init(&url, 8192);
    f->http = http;
    f->done = done;
    f->ud = ud;
    if (rel)
        st = buf_printf(&url, ECS_HOST "%s", rel);
    else if (!full)
        st = ECD_EINVAL;
    else if (!(st = check_url(full)))
        st = buf_append_str(&url, full);
    if (!st)
        st = buf_steal(&url, &f->url);
    buf_free(&url);
    if (!st)
        st = load_auth(getenv_fn, &f->auth);
    if (!st) {
        (void)uv_timer_init(http_client_loop(http), &f->pause); /* cannot fail */
        f->pause.data = f;
        st = send_attempt(f);
        if (st) {
            f->done = NULL;
            uv_close((uv_handle_t *)&f->pause, on_closed);
            return st;
        }
        return ECD_OK;
    }
    secret_wipe(&f->auth);
    free(f->url);
    free(f);
    return st;
}
