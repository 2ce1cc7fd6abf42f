/* SPDX-License-Identifier: MIT */
/* The JSON configuration and the zero-config default; see config.h.  Each check
 * fails with the first problem, logged once here, as "<file>: <path>: <what>". */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomicfile.h"
#include "buf.h"
#include "duration.h"
#include "jsonutil.h"
#include "log.h"

#define CONFIG_MAX_FILE (1024 * 1024)
/* GetAuthorizationToken takes 1..10 registryIds (protocols.md 1.1). */
#define CONFIG_MAX_IDS       10
#define CONFIG_MAX_SINK_NAME 64
#define CONFIG_MAX_SINK_TYPE 32
#define CONFIG_MAX_REGION    64

static const char *const top_keys[] = {"refresh", "registries", "sinks", "health", NULL};
static const char *const health_keys[] = {"listen", "stale_before", NULL};
static const char *const refresh_keys[] = {"before_expiry", "jitter", "retry_min", "retry_max",
                                           NULL};
static const char *const registry_keys[] = {"region",   "registry_ids", "profile",
                                            "role_arn", "external_id",  "role_session_name",
                                            "hosts",    "public",       NULL};

static void refresh_defaults(struct config_refresh *r)
{
    r->before_expiry_ms = 0;
    r->jitter_ms = 10 * 60 * 1000;
    r->retry_min_ms = 5 * 1000;
    r->retry_max_ms = 5 * 60 * 1000;
}

/* strdup that reports through the status enum. */
static enum ecd_status dup_str(const char *s, char **out)
{
    if (!s) { /* an optional value that is absent */
        *out = NULL;
        return ECD_OK;
    }
    *out = strdup(s);
    return *out ? ECD_OK : ECD_ENOMEM;
}

int config_is_account_id(const char *s, size_t len)
{
    if (len != 12)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

/* Regions go into host names (api.ecr.<region>.amazonaws.com), so only the
 * characters region names use are let through. */
int config_is_region(const char *s)
{
    size_t n = strlen(s);

    if (!n || n > CONFIG_MAX_REGION || s[0] == '-' || s[n - 1] == '-')
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
            return 0;
    return 1;
}

static int is_sink_type(const char *s)
{
    size_t n = strlen(s);

    if (!n || n > CONFIG_MAX_SINK_TYPE)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
              s[i] == '_'))
            return 0;
    return 1;
}

/* Sink names appear in logs, journal fields and metrics labels: no control
 * characters, and short. */
static int is_sink_name(const char *s)
{
    size_t n = strlen(s);

    if (!n || n > CONFIG_MAX_SINK_NAME)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return 0;
    return 1;
}

/* obj[key], when present, as a duration: a string (duration.h) or a whole number
 * of seconds. */
static enum ecd_status get_duration(struct jsonutil_err *e, const cJSON *obj, const char *path,
                                    const char *key, int64_t *out_ms)
{
    char where[JSONUTIL_PATH_MAX];
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    const char *why = NULL;

    if (!item)
        return ECD_OK;
    jsonutil_path_key(where, sizeof(where), path, key);
    if (cJSON_IsString(item) && item->valuestring) {
        if (duration_parse(item->valuestring, out_ms, &why))
            return jsonutil_fail(e, where, "invalid duration \"%.40s\": %s", item->valuestring,
                                 why);
        return ECD_OK;
    }
    if (cJSON_IsNumber(item)) {
        if (duration_from_seconds(item->valuedouble, out_ms, &why))
            return jsonutil_fail(e, where, "invalid duration %g: %s", item->valuedouble, why);
        return ECD_OK;
    }
    return jsonutil_fail(e, where, "expected a duration such as \"90s\" or \"1h30m\"");
}

static enum ecd_status parse_refresh(struct jsonutil_err *e, const cJSON *root,
                                     struct config_refresh *r)
{
    const cJSON *obj = NULL;
    char a[DURATION_FORMAT_MAX], b[DURATION_FORMAT_MAX];
    enum ecd_status st;

    st = jsonutil_get_object(e, root, "", "refresh", JSONUTIL_OPTIONAL, &obj);
    if (st || !obj)
        return st;
    st = jsonutil_check_keys(e, obj, "refresh", refresh_keys);
    if (!st)
        st = get_duration(e, obj, "refresh", "before_expiry", &r->before_expiry_ms);
    if (!st)
        st = get_duration(e, obj, "refresh", "jitter", &r->jitter_ms);
    if (!st)
        st = get_duration(e, obj, "refresh", "retry_min", &r->retry_min_ms);
    if (!st)
        st = get_duration(e, obj, "refresh", "retry_max", &r->retry_max_ms);
    if (st)
        return st;
    /* Backoff doubles from retry_min: from 0 it would retry in a tight loop. */
    if (r->retry_min_ms <= 0)
        return jsonutil_fail(e, "refresh.retry_min", "must be greater than 0");
    if (r->retry_min_ms > r->retry_max_ms) {
        duration_format(r->retry_min_ms, a, sizeof(a));
        duration_format(r->retry_max_ms, b, sizeof(b));
        return jsonutil_fail(e, "refresh", "retry_min (%s) must not be greater than retry_max (%s)",
                             a, b);
    }
    return ECD_OK;
}

void config_health_defaults(struct config_health *h)
{
    *h = (struct config_health){.stale_before_ms = CONFIG_HEALTH_STALE_BEFORE_MS_DEFAULT};
}

#define LISTEN_EXPECTED                                                                            \
    "expected \"PORT\", \"IPV4:PORT\" or \"[IPV6]:PORT\" with a numeric address and a port "       \
    "from 1 to 65535"

enum ecd_status config_health_listen(struct config_health *h, const char *text, const char **why)
{
    char host[INET6_ADDRSTRLEN + 1];
    unsigned char addr[sizeof(struct in6_addr)];
    const char *port = text, *colon;
    char *end = NULL, *listen = NULL, *hostcopy = NULL;
    unsigned long n;
    size_t hlen = 0;
    int v6 = 0;

    *why = LISTEN_EXPECTED;
    if (text[0] == '[') { /* "[V6]:PORT" */
        const char *close = strchr(text, ']');

        if (!close || close[1] != ':')
            return ECD_ECONFIG;
        hlen = (size_t)(close - text - 1);
        memcpy(host, text + 1, hlen < sizeof(host) ? hlen : 0);
        port = close + 2;
        v6 = 1;
    } else if ((colon = strrchr(text, ':')) != NULL) { /* "V4:PORT" */
        hlen = (size_t)(colon - text);
        memcpy(host, text, hlen < sizeof(host) ? hlen : 0);
        port = colon + 1;
    }
    if (hlen >= sizeof(host) || (port != text && !hlen))
        return ECD_ECONFIG;
    host[hlen] = '\0';
    if (hlen && inet_pton(v6 ? AF_INET6 : AF_INET, host, addr) != 1) {
        *why = v6 ? "expected a numeric IPv6 address between [ and ] (host names are not resolved)"
                  : "expected a numeric IPv4 address before the port (host names are not "
                    "resolved; IPv6 goes in brackets: \"[::1]:9100\")";
        return ECD_ECONFIG;
    }
    if (*port < '0' || *port > '9')
        return ECD_ECONFIG;
    errno = 0;
    n = strtoul(port, &end, 10);
    if (errno || *end || n < 1 || n > 65535)
        return ECD_ECONFIG;
    listen = strdup(text);
    hostcopy = hlen ? strdup(host) : NULL;
    if (!listen || (hlen && !hostcopy)) {
        free(listen);
        free(hostcopy);
        *why = "out of memory";
        return ECD_ENOMEM;
    }
    free(h->listen);
    free(h->host);
    h->listen = listen;
    h->host = hostcopy;
    h->port = (unsigned)n;
    *why = NULL;
    return ECD_OK;
}

/* "health": {"listen": ..., "stale_before": ...}.  Without the listener built in,
 * any "health" object is refused: silently not listening would break the probes
 * that rely on it. */
static enum ecd_status parse_health(struct jsonutil_err *e, const cJSON *root,
                                    struct config_health *h)
{
    const cJSON *obj = NULL;
    const char *listen = NULL, *why = NULL;
    enum ecd_status st;

    st = jsonutil_get_object(e, root, "", "health", JSONUTIL_OPTIONAL, &obj);
    if (st || !obj)
        return st;
#ifndef ECD_HAVE_HEALTH
    return jsonutil_fail(e, "health",
                         "built without health support (rebuild with meson -Dhealth=enabled "
                         "and libmicrohttpd)");
#endif
    st = jsonutil_check_keys(e, obj, "health", health_keys);
    if (!st)
        st = jsonutil_get_string(e, obj, "health", "listen", JSONUTIL_REQUIRED, &listen);
    if (!st)
        st = get_duration(e, obj, "health", "stale_before", &h->stale_before_ms);
    if (st)
        return st;
    st = config_health_listen(h, listen, &why);
    if (st == ECD_ECONFIG)
        return jsonutil_fail(e, "health.listen", "\"%.60s\": %s", listen, why);
    return st;
}

static enum ecd_status parse_registry_ids(struct jsonutil_err *e, const cJSON *arr,
                                          const char *path, struct config_registry *r)
{
    char where[JSONUTIL_PATH_MAX];
    size_t n = (size_t)cJSON_GetArraySize(arr), i = 0;
    enum ecd_status st;

    if (!n)
        return jsonutil_fail(e, path, "expected at least one account id");
    if (n > CONFIG_MAX_IDS)
        return jsonutil_fail(e, path, "at most %d account ids per registry entry (the API's limit)",
                             CONFIG_MAX_IDS);
    r->registry_ids = calloc(n, sizeof(*r->registry_ids));
    if (!r->registry_ids)
        return ECD_ENOMEM;
    for (const cJSON *it = arr->child; it; it = it->next, i++) {
        jsonutil_path_index(where, sizeof(where), path, i);
        st = jsonutil_expect(e, it, where, JSONUTIL_STRING);
        if (st)
            return st;
        if (!config_is_account_id(it->valuestring, strlen(it->valuestring)))
            return jsonutil_fail(e, where, "expected 12 digits (an AWS account id), got \"%.20s\"",
                                 it->valuestring);
        for (size_t j = 0; j < i; j++)
            if (!strcmp(r->registry_ids[j], it->valuestring))
                return jsonutil_fail(e, where, "repeats %s[%zu]", path, j);
        st = dup_str(it->valuestring, &r->registry_ids[i]);
        if (st)
            return st;
        r->n_registry_ids = i + 1;
    }
    return ECD_OK;
}

/* STS's character rules (protocols.md 3.4). */
#define STS_NAME_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+=,.@-"

static int chars_ok(const char *s, size_t min, size_t max, const char *allowed)
{
    size_t n = strlen(s);

    return n >= min && n <= max && strspn(s, allowed) == n;
}

/* arn:<partition>:iam::<12 digits>:role/<path and name> */
int config_is_role_arn(const char *s)
{
    const char *p = strncmp(s, "arn:", 4) ? NULL : strchr(s + 4, ':');

    if (!p || p == s + 4 || strncmp(p, ":iam::", 6))
        return 0;
    p += 6;
    return config_is_account_id(p, 12) && !strncmp(p + 12, ":role/", 6) && p[18] &&
           strlen(s) <= 2048;
}

/* role_arn, external_id, role_session_name: the registry's own identity. */
static enum ecd_status parse_identity(struct jsonutil_err *e, const cJSON *node, const char *where,
                                      struct config_registry *r)
{
    const char *arn = NULL, *ext = NULL, *session = NULL;
    char sub[JSONUTIL_PATH_MAX];
    enum ecd_status st;

    if ((st = jsonutil_get_string(e, node, where, "role_arn", JSONUTIL_OPTIONAL, &arn)) ||
        (st = jsonutil_get_string(e, node, where, "external_id", JSONUTIL_OPTIONAL, &ext)) ||
        (st =
             jsonutil_get_string(e, node, where, "role_session_name", JSONUTIL_OPTIONAL, &session)))
        return st;
    if (arn && !config_is_role_arn(arn)) {
        jsonutil_path_key(sub, sizeof(sub), where, "role_arn");
        return jsonutil_fail(e, sub,
                             "expected an IAM role ARN such as "
                             "\"arn:aws:iam::123456789012:role/ecr-reader\"");
    }
    if (ext) {
        jsonutil_path_key(sub, sizeof(sub), where, "external_id");
        if (!arn)
            return jsonutil_fail(e, sub, "only means something with role_arn");
        if (!chars_ok(ext, 2, 1224, STS_NAME_CHARS ":/"))
            return jsonutil_fail(e, sub,
                                 "expected 2-1224 characters of letters, digits and "
                                 "+=,.@:/_-");
    }
    if (session) {
        jsonutil_path_key(sub, sizeof(sub), where, "role_session_name");
        if (!arn)
            return jsonutil_fail(e, sub, "only means something with role_arn");
        if (!chars_ok(session, 2, 64, STS_NAME_CHARS))
            return jsonutil_fail(e, sub,
                                 "expected 2-64 characters of letters, digits and "
                                 "+=,.@_-");
    }
    if ((st = dup_str(arn, &r->role_arn)) || (st = dup_str(ext, &r->external_id)) ||
        (st = dup_str(session, &r->role_session_name)))
        return st;
    return ECD_OK;
}

/* "hosts" (explicit registry hosts) and "public" (ECR Public). */
static enum ecd_status parse_hosts(struct jsonutil_err *e, const cJSON *node, const char *where,
                                   struct config_registry *r)
{
    char sub[JSONUTIL_PATH_MAX], item[JSONUTIL_PATH_MAX];
    const cJSON *arr = NULL;
    const char *why;
    enum ecd_status st;
    size_t n, i = 0;

    if ((st = jsonutil_get_array(e, node, where, "hosts", JSONUTIL_OPTIONAL, &arr)) ||
        (st = jsonutil_get_bool(e, node, where, "public", JSONUTIL_OPTIONAL, &r->is_public)))
        return st;
    if (r->is_public) {
        jsonutil_path_key(sub, sizeof(sub), where, "public");
        if (arr || r->n_registry_ids)
            return jsonutil_fail(e, sub,
                                 "ECR Public has no registry_ids or hosts: its one "
                                 "registry is " ECR_PUBLIC_HOST);
        if (r->region && strcmp(r->region, ECR_PUBLIC_REGION))
            return jsonutil_fail(e, sub,
                                 "ECR Public tokens come from " ECR_PUBLIC_REGION
                                 " only; drop region or set it to " ECR_PUBLIC_REGION);
    }
    if (!arr)
        return ECD_OK;
    jsonutil_path_key(sub, sizeof(sub), where, "hosts");
    n = (size_t)cJSON_GetArraySize(arr);
    if (!n)
        return jsonutil_fail(e, sub, "expected at least one registry host");
    if (r->n_registry_ids)
        return jsonutil_fail(e, sub,
                             "give registry_ids or hosts, not both (a host names its "
                             "account)");
    r->hosts = calloc(n, sizeof(*r->hosts));
    if (!r->hosts)
        return ECD_ENOMEM;
    for (const cJSON *it = arr->child; it; it = it->next, i++) {
        struct ecr_host *h = &r->hosts[i];

        jsonutil_path_index(item, sizeof(item), sub, i);
        if ((st = jsonutil_expect(e, it, item, JSONUTIL_STRING)))
            return st;
        if (ecr_host_parse(it->valuestring, h, &why))
            return jsonutil_fail(e, item, "\"%.80s\": %s", it->valuestring, why);
        if (h->is_public)
            return jsonutil_fail(e, item, "ECR Public: use \"public\": true instead of hosts");
        if (r->region && strcmp(r->region, h->region))
            return jsonutil_fail(e, item, "the host is in region %s but region is %s", h->region,
                                 r->region);
        for (size_t j = 0; j < i; j++)
            if (!strcmp(r->hosts[j].account_id, h->account_id) &&
                !strcmp(r->hosts[j].region, h->region) && r->hosts[j].fips == h->fips &&
                r->hosts[j].dualstack == h->dualstack)
                return jsonutil_fail(e, item, "repeats %s[%zu]", sub, j);
        r->n_hosts = i + 1;
    }
    return ECD_OK;
}

static enum ecd_status parse_registry(struct jsonutil_err *e, const cJSON *node, size_t i,
                                      struct config_registry *r)
{
    char where[JSONUTIL_PATH_MAX], sub[JSONUTIL_PATH_MAX];
    const char *region = NULL, *profile = NULL;
    const cJSON *ids = NULL;
    enum ecd_status st;

    jsonutil_path_index(where, sizeof(where), "registries", i);
    st = dup_str(where, &r->where);
    if (!st)
        st = jsonutil_expect(e, node, where, JSONUTIL_OBJECT);
    if (!st)
        st = jsonutil_check_keys(e, node, where, registry_keys);
    if (!st)
        st = jsonutil_get_string(e, node, where, "region", JSONUTIL_OPTIONAL, &region);
    if (!st)
        st = jsonutil_get_array(e, node, where, "registry_ids", JSONUTIL_OPTIONAL, &ids);
    if (!st)
        st = jsonutil_get_string(e, node, where, "profile", JSONUTIL_OPTIONAL, &profile);
    if (st)
        return st;
    if (region) {
        jsonutil_path_key(sub, sizeof(sub), where, "region");
        if (!config_is_region(region))
            return jsonutil_fail(e, sub, "expected a region name such as \"eu-west-1\"");
        st = dup_str(region, &r->region);
        if (st)
            return st;
    }
    if (ids) {
        jsonutil_path_key(sub, sizeof(sub), where, "registry_ids");
        st = parse_registry_ids(e, ids, sub, r);
        if (st)
            return st;
    }
    if (profile) {
        jsonutil_path_key(sub, sizeof(sub), where, "profile");
        if (!*profile)
            return jsonutil_fail(e, sub, "expected a profile name, not \"\"");
        st = dup_str(profile, &r->profile);
    }
    if (!st)
        st = parse_identity(e, node, where, r);
    if (!st)
        st = parse_hosts(e, node, where, r);
    return st;
}

static enum ecd_status parse_registries(struct jsonutil_err *e, const cJSON *root, struct config *c)
{
    const cJSON *arr = NULL;
    size_t n, i = 0;
    enum ecd_status st;

    st = jsonutil_get_array(e, root, "", "registries", JSONUTIL_OPTIONAL, &arr);
    if (st)
        return st;
    n = arr ? (size_t)cJSON_GetArraySize(arr) : 1;
    if (!n)
        return jsonutil_fail(e, "registries", "expected at least one registry");
    c->registries = calloc(n, sizeof(*c->registries));
    if (!c->registries)
        return ECD_ENOMEM;
    if (!arr) {
        /* No "registries": the caller's own, region from the AWS environment. */
        c->n_registries = 1;
        return dup_str("registries[0]", &c->registries[0].where);
    }
    for (const cJSON *it = arr->child; it; it = it->next, i++) {
        c->n_registries = i + 1; /* so config_free() sees what parse_registry() set */
        st = parse_registry(e, it, i, &c->registries[i]);
        if (st)
            return st;
    }
    return ECD_OK;
}

static enum ecd_status parse_sink(struct jsonutil_err *e, const cJSON *node, size_t i,
                                  struct config_sink *s)
{
    char where[JSONUTIL_PATH_MAX], sub[JSONUTIL_PATH_MAX], dflt[CONFIG_MAX_SINK_TYPE + 32];
    const char *type = NULL, *name = NULL;
    enum ecd_status st;

    jsonutil_path_index(where, sizeof(where), "sinks", i);
    st = dup_str(where, &s->where);
    if (!st)
        st = jsonutil_expect(e, node, where, JSONUTIL_OBJECT);
    /* The sink module checks which keys it knows; a key given twice would be
     * ambiguous for any of them. */
    if (!st)
        st = jsonutil_check_unique(e, node, where);
    if (!st)
        st = jsonutil_get_string(e, node, where, "type", JSONUTIL_REQUIRED, &type);
    if (!st)
        st = jsonutil_get_string(e, node, where, "name", JSONUTIL_OPTIONAL, &name);
    if (st)
        return st;
    jsonutil_path_key(sub, sizeof(sub), where, "type");
    if (!is_sink_type(type))
        return jsonutil_fail(e, sub, "expected a sink type such as \"docker\"");
    if (name) {
        jsonutil_path_key(sub, sizeof(sub), where, "name");
        if (!is_sink_name(name))
            return jsonutil_fail(e, sub,
                                 "expected a name of 1 to %d characters without control characters",
                                 CONFIG_MAX_SINK_NAME);
    } else {
        snprintf(dflt, sizeof(dflt), "%s-%zu", type, i);
        name = dflt;
    }
    st = dup_str(type, &s->type);
    if (!st)
        st = dup_str(name, &s->name);
    return st;
}

struct name_pos {
    const char *name;
    size_t idx;
};

static int name_pos_cmp(const void *a, const void *b)
{
    const struct name_pos *x = a, *y = b;
    int c = strcmp(x->name, y->name);

    if (c)
        return c;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Names identify sinks in logs and metrics, so they must differ.  Sorting keeps a
 * file with many sinks from costing n^2 comparisons; the pair reported is the
 * first repetition in file order. */
static enum ecd_status check_sink_names(struct jsonutil_err *e, const struct config *c)
{
    struct name_pos *v;
    size_t first = 0, dup = 0, n = c->n_sinks;
    int found = 0;
    char sub[JSONUTIL_PATH_MAX];

    if (n < 2)
        return ECD_OK;
    v = malloc(n * sizeof(*v));
    if (!v)
        return ECD_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        v[i].name = c->sinks[i].name;
        v[i].idx = i;
    }
    qsort(v, n, sizeof(*v), name_pos_cmp);
    for (size_t i = 1; i < n; i++) {
        if (strcmp(v[i].name, v[i - 1].name) || (i >= 2 && !strcmp(v[i].name, v[i - 2].name)))
            continue;
        if (!found || v[i].idx < dup) {
            found = 1;
            first = v[i - 1].idx;
            dup = v[i].idx;
        }
    }
    free(v);
    if (!found)
        return ECD_OK;
    if (cJSON_GetObjectItemCaseSensitive(c->sinks[dup].node, "name")) {
        jsonutil_path_key(sub, sizeof(sub), c->sinks[dup].where, "name");
        return jsonutil_fail(e, sub, "\"%s\" is already used by %s", c->sinks[dup].name,
                             c->sinks[first].where);
    }
    return jsonutil_fail(e, c->sinks[dup].where,
                         "the default name \"%s\" is already used by %s; set \"name\"",
                         c->sinks[dup].name, c->sinks[first].where);
}

static enum ecd_status default_sink(struct config_sink *s)
{
    enum ecd_status st;

    st = dup_str("sinks[0]", &s->where);
    if (!st)
        st = dup_str("docker", &s->type);
    if (!st)
        st = dup_str("docker-0", &s->name);
    if (st)
        return st;
    s->node = cJSON_CreateObject();
    if (!s->node || !cJSON_AddStringToObject(s->node, "type", "docker"))
        return ECD_ENOMEM;
    return ECD_OK;
}

static enum ecd_status parse_sinks(struct jsonutil_err *e, cJSON *root, struct config *c)
{
    const cJSON *found = NULL;
    cJSON *arr, *next;
    size_t n, i = 0;
    enum ecd_status st;

    st = jsonutil_get_array(e, root, "", "sinks", JSONUTIL_OPTIONAL, &found);
    if (st)
        return st;
    n = found ? (size_t)cJSON_GetArraySize(found) : 1;
    if (!n)
        return jsonutil_fail(e, "sinks", "expected at least one sink");
    c->sinks = calloc(n, sizeof(*c->sinks));
    if (!c->sinks)
        return ECD_ENOMEM;
    if (!found) {
        c->n_sinks = 1;
        return default_sink(&c->sinks[0]);
    }
    arr = cJSON_GetObjectItemCaseSensitive(root, "sinks"); /* the same node, writable */
    for (cJSON *it = arr->child; it; it = next, i++) {
        next = it->next;
        c->n_sinks = i + 1;
        st = parse_sink(e, it, i, &c->sinks[i]);
        if (st)
            return st;
        /* The sink keeps its object; moving it out of the tree spares a copy. */
        c->sinks[i].node = cJSON_DetachItemViaPointer(arr, it);
    }
    return check_sink_names(e, c);
}

static void log_failure(enum ecd_status st, const struct jsonutil_err *e, const char *name)
{
    if (st == ECD_ENOMEM)
        log_error("%s: out of memory", name);
    else if (st)
        log_error("%s", e->msg);
}

enum ecd_status config_parse(const char *text, size_t len, const char *name, struct config **out)
{
    struct jsonutil_err e;
    struct config *c = NULL;
    cJSON *root = NULL;
    enum ecd_status st;

    if (!out || (!text && len))
        return ECD_EINVAL;
    *out = NULL;
    if (!name)
        name = "config";
    jsonutil_err_init(&e, name, ECD_ECONFIG);
    c = calloc(1, sizeof(*c));
    if (!c) {
        st = ECD_ENOMEM;
        goto out;
    }
    refresh_defaults(&c->refresh);
    config_health_defaults(&c->health);
    st = dup_str(name, &c->path);
    if (st)
        goto out;
    st = jsonutil_parse(&e, text ? text : "", len, &root);
    if (st)
        goto out;
    if (!cJSON_IsObject(root)) {
        st = jsonutil_fail(&e, NULL, "expected an object at the top level");
        goto out;
    }
    st = jsonutil_check_keys(&e, root, "", top_keys);
    if (!st)
        st = parse_refresh(&e, root, &c->refresh);
    if (!st)
        st = parse_registries(&e, root, c);
    if (!st)
        st = parse_sinks(&e, root, c);
    if (!st)
        st = parse_health(&e, root, &c->health);
    if (st)
        goto out;
    for (size_t i = 0; i < c->n_sinks; i++)
        c->sinks[i].file = c->path;
    *out = c;
    c = NULL;
out:
    log_failure(st, &e, name);
    config_free(c);
    /* The file may carry secrets for some sink (an API key): wipe what is left. */
    jsonutil_delete_wiped(root);
    return st;
}

enum ecd_status config_load_file(const char *path, struct config **out)
{
    struct buf text;
    enum ecd_status st;
    int fd;

    if (!path || !out)
        return ECD_EINVAL;
    *out = NULL;
    /* Not atomicfile_read(), only its read loop: that one takes regular files only
     * and reads a missing file as empty, while here whatever open() accepts is read
     * (a pipe too, waiting for its writer) and a missing file is an error. */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        log_error("%s: cannot open: %s", path, strerror(errno));
        return ECD_ECONFIG;
    }
    buf_init(&text, CONFIG_MAX_FILE);
    st = atomicfile_read_fd(fd, &text);
    if (st == ECD_EIO && errno == EFBIG) {
        log_error("%s: larger than %d KiB", path, CONFIG_MAX_FILE / 1024);
        st = ECD_ECONFIG;
    } else if (st == ECD_EIO) {
        log_error("%s: cannot read: %s", path, strerror(errno));
        st = ECD_ECONFIG;
    } else if (st) {
        log_error("%s: out of memory", path);
    }
    (void)close(fd); /* read-only: nothing to lose */
    if (!st)
        st = config_parse(buf_str(&text), text.len, path, out);
    buf_wipe(&text);
    return st;
}

/* config_default(), the configuration from the environment: config_env.c. */

void config_free(struct config *c)
{
    if (!c)
        return;
    for (size_t i = 0; c->registries && i < c->n_registries; i++) {
        struct config_registry *r = &c->registries[i];

        free(r->where);
        free(r->region);
        for (size_t j = 0; j < r->n_registry_ids; j++)
            free(r->registry_ids[j]);
        free(r->registry_ids);
        free(r->profile);
        free(r->role_arn);
        free(r->external_id);
        free(r->role_session_name);
        free(r->hosts);
    }
    free(c->registries);
    for (size_t i = 0; c->sinks && i < c->n_sinks; i++) {
        free(c->sinks[i].where);
        free(c->sinks[i].type);
        free(c->sinks[i].name);
        jsonutil_delete_wiped(c->sinks[i].node);
    }
    free(c->sinks);
    free(c->health.listen);
    free(c->health.host);
    free(c->path);
    free(c);
}
