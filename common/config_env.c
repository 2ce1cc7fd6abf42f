/* SPDX-License-Identifier: MIT */
/* The configuration from environment variables; see config_env.h.  Each variable is
 * checked here, so a bad value is reported under its own name; the document built
 * from them then goes through config_parse() like a file. */
#include "config_env.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "duration.h"
#include "jsonutil.h"
#include "log.h"

#define ENV_MAX_IDS   10 /* GetAuthorizationToken's limit (protocols.md 1.1) */
#define ENV_MAX_VALUE 2048

typedef const char *env_get_fn(const char *name);

static const char *libc_getenv(const char *name)
{
    return getenv(name);
}

/* A variable's value, or NULL when unset or blank (templates often leave a
 * variable empty rather than removing it). */
static const char *env_value(env_get_fn *get, const char *name)
{
    const char *v = get(name);

    return v && v[strspn(v, " \t")] ? v : NULL;
}

static enum ecd_status env_fail(const char *var, const char *fmt, const char *arg)
{
    struct jsonutil_err e;
    enum ecd_status st;

    jsonutil_err_init(&e, var, ECD_ECONFIG);
    st = jsonutil_fail(&e, NULL, fmt, arg);
    log_error("%s", e.msg);
    return st;
}

/* Control characters other than tab (lists are often written with tabs). */
static int has_ctl(const char *s)
{
    for (; *s; s++)
        if (((unsigned char)*s < 0x20 && *s != '\t') || *s == 0x7f)
            return 1;
    return 0;
}

/* A plain string value: no control characters, bounded. */
static enum ecd_status env_string(env_get_fn *get, const char *var, const char **out)
{
    const char *v = env_value(get, var);

    *out = v;
    if (!v)
        return ECD_OK;
    if (strlen(v) > ENV_MAX_VALUE)
        return env_fail(var, "longer than %s characters", "2048");
    if (has_ctl(v))
        return env_fail(var, "%scontains control characters", "");
    return ECD_OK;
}

/* AWS_ECR_REGISTRY_IDS: "id, id, ..." into a JSON array. */
static enum ecd_status env_registry_ids(const char *var, const char *v, cJSON *reg)
{
    struct jsonutil_err e;
    const char *p;
    cJSON *arr;
    size_t n = 1, item = 0;
    char id[13];
    enum ecd_status st = ECD_OK;

    jsonutil_err_init(&e, var, ECD_ECONFIG);
    for (p = v; *p; p++)
        if (*p == ',')
            n++;
    if (n > ENV_MAX_IDS) {
        st = jsonutil_fail(&e, NULL, "at most %d account ids (the API's limit)", ENV_MAX_IDS);
        goto out;
    }
    arr = cJSON_AddArrayToObject(reg, "registry_ids");
    if (!arr)
        return ECD_ENOMEM;
    for (p = v;; p++, item++) {
        const char *end = strchr(p, ',');
        size_t len;

        if (!end)
            end = p + strlen(p);
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        len = (size_t)(end - p);
        while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        if (!len) {
            st = jsonutil_fail(&e, NULL, "item %zu is empty", item + 1);
            goto out;
        }
        if (!config_is_account_id(p, len)) {
            st =
                jsonutil_fail(&e, NULL, "item %zu \"%.*s\": expected 12 digits (an AWS account id)",
                              item + 1, len > 20 ? 20 : (int)len, p);
            goto out;
        }
        memcpy(id, p, 12);
        id[12] = '\0';
        for (size_t j = 0; j < item; j++) {
            if (!strcmp(cJSON_GetArrayItem(arr, (int)j)->valuestring, id)) {
                st = jsonutil_fail(&e, NULL, "item %zu repeats item %zu", item + 1, j + 1);
                goto out;
            }
        }
        if (!cJSON_AddItemToArray(arr, cJSON_CreateString(id)) ||
            cJSON_GetArraySize(arr) != (int)item + 1)
            return ECD_ENOMEM;
        if (!*end)
            break;
        p = end;
    }
out:
    if (st)
        log_error("%s", e.msg);
    return st;
}

/* Go's strconv.ParseBool, which the old updater's settings were read with. */
static enum ecd_status env_bool(env_get_fn *get, const char *var, int *out)
{
    static const char *const yes[] = {"1", "t", "T", "true", "TRUE", "True", NULL};
    static const char *const no[] = {"0", "f", "F", "false", "FALSE", "False", NULL};
    const char *v = env_value(get, var);
    char shown[64];

    *out = -1;
    if (!v)
        return ECD_OK;
    for (size_t i = 0; yes[i]; i++)
        if (!strcmp(v, yes[i])) {
            *out = 1;
            return ECD_OK;
        }
    for (size_t i = 0; no[i]; i++)
        if (!strcmp(v, no[i])) {
            *out = 0;
            return ECD_OK;
        }
    snprintf(shown, sizeof(shown), "%s", v);
    for (char *c = shown; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            *c = '?';
    return env_fail(var, "expected true or false, got '%s'", shown);
}

static enum ecd_status add_str(cJSON *obj, const char *key, const char *v)
{
    if (!v)
        return ECD_OK;
    return cJSON_AddStringToObject(obj, key, v) ? ECD_OK : ECD_ENOMEM;
}

/* ECR_CREDD_BEFORE_EXPIRY and friends: "refresh" durations. */
static enum ecd_status env_refresh(env_get_fn *get, cJSON *root)
{
    static const struct {
        const char *var, *key;
    } map[] = {
        {"ECR_CREDD_BEFORE_EXPIRY", "before_expiry"},
        {"ECR_CREDD_JITTER", "jitter"},
        {"ECR_CREDD_RETRY_MIN", "retry_min"},
        {"ECR_CREDD_RETRY_MAX", "retry_max"},
    };
    cJSON *r = NULL;
    enum ecd_status st;

    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
        const char *v, *why = NULL;
        int64_t ms;

        if ((st = env_string(get, map[i].var, &v)))
            return st;
        if (!v)
            continue;
        if (duration_parse(v, &ms, &why)) {
            log_error("%s: invalid duration \"%.40s\": %s (expected e.g. \"90s\" or \"1h30m\")",
                      map[i].var, v, why);
            return ECD_ECONFIG;
        }
        if (!r && !(r = cJSON_AddObjectToObject(root, "refresh")))
            return ECD_ENOMEM;
        if ((st = add_str(r, map[i].key, v)))
            return st;
    }
    return ECD_OK;
}

static enum ecd_status env_registry(env_get_fn *get, cJSON *root)
{
    const char *region, *ids, *arn;
    cJSON *regs, *reg;
    enum ecd_status st;

    if ((st = env_string(get, "AWS_REGION", &region)) ||
        (st = env_string(get, "AWS_ECR_REGISTRY_IDS", &ids)) ||
        (st = env_string(get, "AWS_ROLE_ARN", &arn)))
        return st;
    if (region && !config_is_region(region))
        return env_fail("AWS_REGION", "expected a region name such as \"eu-west-1\", got '%s'",
                        region);
    /* With AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN is the web identity's role, which
     * the credential chain assumes itself (EKS IRSA); assuming it again would need
     * the role to trust itself. */
    if (arn && env_value(get, "AWS_WEB_IDENTITY_TOKEN_FILE"))
        arn = NULL;
    if (arn && !config_is_role_arn(arn))
        return env_fail("AWS_ROLE_ARN",
                        "expected an IAM role ARN such as "
                        "\"arn:aws:iam::123456789012:role/ecr-reader\", got '%.80s'",
                        arn);
    regs = cJSON_AddArrayToObject(root, "registries");
    reg = cJSON_CreateObject();
    if (!regs || !reg || !cJSON_AddItemToArray(regs, reg)) {
        cJSON_Delete(reg);
        return ECD_ENOMEM;
    }
    if ((st = add_str(reg, "region", region)))
        return st;
    if (ids && (st = env_registry_ids("AWS_ECR_REGISTRY_IDS", ids, reg)))
        return st;
    return add_str(reg, "role_arn", arn);
}

static int is_http_url(const char *v)
{
    return !strncasecmp(v, "http://", 7) || !strncasecmp(v, "https://", 8);
}

/* Files must be absolute: the daemon's working directory is not the user's. */
static enum ecd_status env_path(env_get_fn *get, const char *var, const char **out)
{
    enum ecd_status st = env_string(get, var, out);

    if (!st && *out && (*out)[0] != '/')
        return env_fail(var, "expected an absolute file path, got '%.200s'", *out);
    return st;
}

/* Rancher 1.6: the agent labels give the container CATTLE_URL, CATTLE_ACCESS_KEY and
 * CATTLE_SECRET_KEY; the sink reads those three itself (the secret stays out of the
 * document), so only AUTO_CREATE goes in. */
static enum ecd_status env_rancher1(env_get_fn *get, cJSON *sinks)
{
    cJSON *s;
    int auto_create;
    enum ecd_status st;

    if ((st = env_bool(get, "AUTO_CREATE", &auto_create)))
        return st;
    s = cJSON_CreateObject();
    if (!s || !cJSON_AddItemToArray(sinks, s)) {
        cJSON_Delete(s);
        return ECD_ENOMEM;
    }
    if (!cJSON_AddStringToObject(s, "type", "rancher1"))
        return ECD_ENOMEM;
    if (auto_create >= 0 && !cJSON_AddBoolToObject(s, "auto_create", auto_create))
        return ECD_ENOMEM;
    return ECD_OK;
}

/* Rancher 2.x: the sink reads the API token from $RANCHER_TOKEN itself (its
 * "token_env" default), so only where to find it goes in. */
static enum ecd_status env_rancher2(env_get_fn *get, const char *url, cJSON *sinks)
{
    const char *token_file, *ca, *project, *ns, *cred;
    cJSON *s;
    enum ecd_status st;

    if (!is_http_url(url))
        return env_fail("RANCHER_URL",
                        "expected an https:// URL of the Rancher server, got '%.200s'", url);
    if ((st = env_path(get, "RANCHER_TOKEN_FILE", &token_file)) ||
        (st = env_path(get, "RANCHER_CA_FILE", &ca)) ||
        (st = env_string(get, "RANCHER_PROJECT", &project)) ||
        (st = env_string(get, "RANCHER_NAMESPACE", &ns)) ||
        (st = env_string(get, "RANCHER_CREDENTIAL_NAME", &cred)))
        return st;
    if (project && !strchr(project, ':'))
        return env_fail("RANCHER_PROJECT",
                        "expected <cluster id>:<project id> such as \"c-abc12:p-xyz34\", got "
                        "'%.80s'",
                        project);
    s = cJSON_CreateObject();
    if (!s || !cJSON_AddItemToArray(sinks, s)) {
        cJSON_Delete(s);
        return ECD_ENOMEM;
    }
    if ((st = add_str(s, "type", "rancher2")) || (st = add_str(s, "url", url)) ||
        (st = add_str(s, "token_file", token_file)) || (st = add_str(s, "ca_file", ca)) ||
        (st = add_str(s, "project", project)) || (st = add_str(s, "namespace", ns)) ||
        (st = add_str(s, "credential", cred)))
        return st;
    return ECD_OK;
}

static enum ecd_status env_sinks(env_get_fn *get, cJSON *root)
{
    const char *cattle_url = get("CATTLE_URL"), *rancher_url;
    cJSON *sinks = cJSON_AddArrayToObject(root, "sinks");
    enum ecd_status st;

    if (!sinks)
        return ECD_ENOMEM;
    /* An empty CATTLE_URL still means Rancher 1.6 was meant (the old updater's
     * crash-loop when the agent labels are missing): the sink explains it. */
    if (cattle_url || env_value(get, "CATTLE_ACCESS_KEY")) {
        if ((st = env_rancher1(get, sinks)))
            return st;
    } else if (env_value(get, "AUTO_CREATE")) {
        log_warn("AUTO_CREATE is set but CATTLE_URL is not: AUTO_CREATE only applies to "
                 "Rancher 1.6; ignoring it");
    }
    if (get("RANCHER_URL")) {
        if ((st = env_string(get, "RANCHER_URL", &rancher_url)))
            return st;
        if (!rancher_url)
            return env_fail("RANCHER_URL", "%sis empty; expected the Rancher server's URL", "");
        if ((st = env_rancher2(get, rancher_url, sinks)))
            return st;
    }
    if (cJSON_GetArraySize(sinks))
        return ECD_OK;
    /* The docker sink finds $DOCKER_CONFIG or $HOME/.docker itself. */
    {
        cJSON *s = cJSON_CreateObject();

        if (!s || !cJSON_AddItemToArray(sinks, s) || !cJSON_AddStringToObject(s, "type", "docker"))
            return ECD_ENOMEM;
    }
    return ECD_OK;
}

/* LISTEN_PORT (the old updater's /ping port) becomes "health": {"listen": ...}. */
static enum ecd_status env_health(env_get_fn *get, cJSON *root)
{
    const char *v = env_value(get, "LISTEN_PORT");
    char *end = NULL;
    long port;

    if (!v)
        return ECD_OK;
    port = strtol(v, &end, 10);
    if (v[0] < '0' || v[0] > '9' || *end || port < 1 || port > 65535)
        return env_fail("LISTEN_PORT", "expected a TCP port number (1-65535), got '%.40s'", v);
#ifdef ECD_HAVE_HEALTH
    {
        char listen[32];
        cJSON *h = cJSON_AddObjectToObject(root, "health");

        snprintf(listen, sizeof(listen), "0.0.0.0:%ld", port);
        if (!h || !cJSON_AddStringToObject(h, "listen", listen))
            return ECD_ENOMEM;
    }
#else
    (void)root;
    log_warn("LISTEN_PORT=%ld: this build has no health endpoint; ignoring it", port);
#endif
    return ECD_OK;
}

enum ecd_status config_env_json(const char *(*getenv_fn)(const char *), struct buf *out)
{
    env_get_fn *get = getenv_fn ? getenv_fn : libc_getenv;
    cJSON *root;
    char *text = NULL;
    enum ecd_status st;

    if (!out)
        return ECD_EINVAL;
    root = cJSON_CreateObject();
    if (!root)
        return ECD_ENOMEM;
    if ((st = env_refresh(get, root)) || (st = env_registry(get, root)) ||
        (st = env_sinks(get, root)) || (st = env_health(get, root)))
        goto out;
    text = cJSON_PrintUnformatted(root);
    st = text ? buf_append_str(out, text) : ECD_ENOMEM;
out:
    cJSON_free(text);
    cJSON_Delete(root);
    return st;
}

enum ecd_status config_default(const char *(*getenv_fn)(const char *), struct config **out)
{
    struct buf doc;
    enum ecd_status st;

    if (!out)
        return ECD_EINVAL;
    *out = NULL;
    buf_init(&doc, 64 * 1024);
    st = config_env_json(getenv_fn, &doc);
    if (st == ECD_ENOMEM)
        log_error("%s: out of memory", CONFIG_ENV_NAME);
    if (st)
        goto out;
    /* No secret is ever in the document (see config_env.h). */
    log_debug("%s: configuration %s", CONFIG_ENV_NAME, buf_str(&doc));
    st = config_parse(doc.ptr, doc.len, CONFIG_ENV_NAME, out);
    if (st)
        goto out;
    /* No file: path stays NULL, as config.h promises for this configuration. */
    free((*out)->path);
    (*out)->path = NULL;
    for (size_t i = 0; i < (*out)->n_sinks; i++)
        (*out)->sinks[i].file = CONFIG_ENV_NAME;
out:
    buf_free(&doc);
    return st;
}
