/* SPDX-License-Identifier: MIT */
/* common/config_env.c: the environment as a JSON document, and config_default() as
 * config_parse() of that document (the same struct config as the equivalent file). */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "config.h"
#include "config_env.h"
#include "tap.h"

/* The fake environment: NULL-terminated name/value pairs. */
static const char *const *env_vars;

static const char *fake_getenv(const char *name)
{
    for (size_t i = 0; env_vars && env_vars[i]; i += 2)
        if (!strcmp(env_vars[i], name))
            return env_vars[i + 1];
    return NULL;
}

static const char *logline(const char *msg)
{
    static char line[2048];

    snprintf(line, sizeof(line), "ecr-credd: error: %s\n", msg);
    return line;
}

/* The document for vars must be `want` exactly, nothing logged. */
static void json_is(const char *const *vars, const char *want, const char *what)
{
    struct buf b;
    enum ecd_status st;
    const char *err;

    env_vars = vars;
    buf_init(&b, 65536);
    capture_begin();
    st = config_env_json(fake_getenv, &b);
    err = capture_end();
    tap_ok(st == ECD_OK, "%s: accepted", what);
    tap_str_eq(buf_str(&b), want, "%s: document", what);
    tap_str_eq(err, "", "%s: nothing logged", what);
    buf_free(&b);
}

/* vars must be refused with exactly this one error line. */
static void bad(const char *const *vars, const char *want_msg)
{
    struct config *c = NULL;
    enum ecd_status st;
    const char *err;

    env_vars = vars;
    capture_begin();
    st = config_default(fake_getenv, &c);
    err = capture_end();
    tap_ok(st == ECD_ECONFIG && !c, "refused: %s", want_msg);
    tap_str_eq(err, logline(want_msg), "message: %s", want_msg);
    config_free(c);
}

/* config_default(vars) and config_parse(file_text) give the same configuration. */
static void same_as_file(const char *const *vars, const char *file_text, const char *what)
{
    struct config *a = NULL, *b = NULL;
    enum ecd_status sa, sb;
    int same;

    env_vars = vars;
    capture_begin();
    sa = config_default(fake_getenv, &a);
    sb = config_parse(file_text, strlen(file_text), CONFIG_ENV_NAME, &b);
    (void)capture_end();
    if (!tap_ok(sa == ECD_OK && sb == ECD_OK, "%s: both accepted", what))
        goto out;
    same = a->n_registries == b->n_registries && a->n_sinks == b->n_sinks &&
           a->refresh.before_expiry_ms == b->refresh.before_expiry_ms &&
           a->refresh.jitter_ms == b->refresh.jitter_ms &&
           a->refresh.retry_min_ms == b->refresh.retry_min_ms &&
           a->refresh.retry_max_ms == b->refresh.retry_max_ms;
    for (size_t i = 0; same && i < a->n_registries; i++) {
        const struct config_registry *x = &a->registries[i], *y = &b->registries[i];

        same = !strcmp(x->where, y->where) && !x->region == !y->region &&
               (!x->region || !strcmp(x->region, y->region)) &&
               x->n_registry_ids == y->n_registry_ids && !x->role_arn == !y->role_arn &&
               (!x->role_arn || !strcmp(x->role_arn, y->role_arn));
        for (size_t j = 0; same && j < x->n_registry_ids; j++)
            same = !strcmp(x->registry_ids[j], y->registry_ids[j]);
    }
    for (size_t i = 0; same && i < a->n_sinks; i++) {
        same = !strcmp(a->sinks[i].type, b->sinks[i].type) &&
               !strcmp(a->sinks[i].name, b->sinks[i].name) &&
               !strcmp(a->sinks[i].where, b->sinks[i].where) &&
               cJSON_Compare(a->sinks[i].node, b->sinks[i].node, 1);
    }
    tap_ok(same, "%s: the same configuration as the file", what);
    tap_ok(a->path == NULL, "%s: no path", what);
    tap_ok(a->n_sinks && !strcmp(a->sinks[0].file, CONFIG_ENV_NAME),
           "%s: sinks name \"" CONFIG_ENV_NAME "\" as their file", what);
out:
    config_free(a);
    config_free(b);
}

int main(void)
{
    static const char *const none[] = {NULL};
    static const char *const blank[] = {"AWS_REGION", " ", "AWS_ECR_REGISTRY_IDS", "", NULL};
    static const char *const old[] = {"AWS_REGION",
                                      "eu-west-1",
                                      "AWS_ECR_REGISTRY_IDS",
                                      "123456789012, 210987654321",
                                      "AWS_ROLE_ARN",
                                      "arn:aws:iam::123456789012:role/ecr-reader",
                                      "AUTO_CREATE",
                                      "true",
                                      "CATTLE_URL",
                                      "http://rancher:8080/v1",
                                      "CATTLE_ACCESS_KEY",
                                      "AK",
                                      "CATTLE_SECRET_KEY",
                                      "never-in-the-document",
                                      NULL};
    static const char *const irsa[] = {"AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/x",
                                       "AWS_WEB_IDENTITY_TOKEN_FILE", "/var/run/token", NULL};
    static const char *const r2[] = {"RANCHER_URL",
                                     "https://rancher.example.com",
                                     "RANCHER_TOKEN",
                                     "token-abc:never-in-the-document",
                                     "RANCHER_PROJECT",
                                     "c-abc12:p-xyz34",
                                     "RANCHER_NAMESPACE",
                                     "apps",
                                     "RANCHER_CREDENTIAL_NAME",
                                     "ecr",
                                     "RANCHER_CA_FILE",
                                     "/etc/ssl/rancher.pem",
                                     "RANCHER_TOKEN_FILE",
                                     "/run/secrets/rancher",
                                     NULL};
    static const char *const refresh[] = {"ECR_CREDD_BEFORE_EXPIRY",
                                          "2h",
                                          "ECR_CREDD_JITTER",
                                          "0s",
                                          "ECR_CREDD_RETRY_MIN",
                                          "10s",
                                          "ECR_CREDD_RETRY_MAX",
                                          "10m",
                                          NULL};
    static const char *const empty_cattle[] = {"CATTLE_URL", "", NULL};
    static const char *const ac_false[] = {"CATTLE_URL", "http://r/v1", "AUTO_CREATE", "F", NULL};
    static const char *const ac_alone[] = {"AUTO_CREATE", "true", NULL};

    json_is(none, "{\"registries\":[{}],\"sinks\":[{\"type\":\"docker\"}]}", "no variables");
    json_is(blank, "{\"registries\":[{}],\"sinks\":[{\"type\":\"docker\"}]}",
            "blank variables count as unset");
    json_is(old,
            "{\"registries\":[{\"region\":\"eu-west-1\",\"registry_ids\":[\"123456789012\","
            "\"210987654321\"],\"role_arn\":\"arn:aws:iam::123456789012:role/ecr-reader\"}],"
            "\"sinks\":[{\"type\":\"rancher1\",\"auto_create\":true}]}",
            "the old updater's variables (no secret in the document)");
    json_is(irsa, "{\"registries\":[{}],\"sinks\":[{\"type\":\"docker\"}]}",
            "AWS_ROLE_ARN with a web identity token is the chain's, not role_arn");
    json_is(r2,
            "{\"registries\":[{}],\"sinks\":[{\"type\":\"rancher2\",\"url\":\"https://"
            "rancher.example.com\",\"token_file\":\"/run/secrets/rancher\",\"ca_file\":\"/etc/"
            "ssl/rancher.pem\",\"project\":\"c-abc12:p-xyz34\",\"namespace\":\"apps\","
            "\"credential\":\"ecr\"}]}",
            "Rancher 2 variables (RANCHER_TOKEN stays out)");
    {
        static const char *const both[] = {"CATTLE_URL", "http://r:8080/v1", "RANCHER_URL",
                                           "https://r2", NULL};

        json_is(both,
                "{\"registries\":[{}],\"sinks\":[{\"type\":\"rancher1\"},{\"type\":"
                "\"rancher2\",\"url\":\"https://r2\"}]}",
                "CATTLE_URL and RANCHER_URL: both sinks");
    }
    json_is(refresh,
            "{\"refresh\":{\"before_expiry\":\"2h\",\"jitter\":\"0s\",\"retry_min\":\"10s\","
            "\"retry_max\":\"10m\"},\"registries\":[{}],\"sinks\":[{\"type\":\"docker\"}]}",
            "ECR_CREDD_* refresh settings");
    json_is(empty_cattle, "{\"registries\":[{}],\"sinks\":[{\"type\":\"rancher1\"}]}",
            "an empty CATTLE_URL still means Rancher 1.6 (the sink explains)");
    json_is(ac_false,
            "{\"registries\":[{}],\"sinks\":[{\"type\":\"rancher1\",\"auto_create\":false}]}",
            "AUTO_CREATE=F (Go's ParseBool)");
    {
        struct buf b;
        const char *err;

        env_vars = ac_alone;
        buf_init(&b, 4096);
        capture_begin();
        tap_ok(config_env_json(fake_getenv, &b) == ECD_OK, "AUTO_CREATE alone: accepted");
        err = capture_end();
        tap_ok(strstr(err, "warning: AUTO_CREATE is set but CATTLE_URL is not") != NULL,
               "AUTO_CREATE alone: warned");
        tap_str_eq(buf_str(&b), "{\"registries\":[{}],\"sinks\":[{\"type\":\"docker\"}]}",
                   "AUTO_CREATE alone: docker sink");
        buf_free(&b);
    }

    {
        static const char *const port[] = {"LISTEN_PORT", "8080", NULL};
#ifdef ECD_HAVE_HEALTH
        json_is(port,
                "{\"registries\":[{}],\"sinks\":[{\"type\":\"docker\"}],\"health\":{"
                "\"listen\":\"0.0.0.0:8080\"}}",
                "LISTEN_PORT: the health listener on every address");
        same_as_file(port, "{\"health\":{\"listen\":\"0.0.0.0:8080\"}}", "LISTEN_PORT vs its file");
#else
        struct buf b;
        const char *err;

        env_vars = port;
        buf_init(&b, 4096);
        capture_begin();
        tap_ok(config_env_json(fake_getenv, &b) == ECD_OK, "LISTEN_PORT: accepted");
        err = capture_end();
        tap_ok(strstr(err, "LISTEN_PORT=8080: this build has no health endpoint") != NULL,
               "LISTEN_PORT without health support: warned and ignored");
        buf_free(&b);
#endif
    }
    same_as_file(none, "{}", "no variables vs {}");
    same_as_file(old,
                 "{\"registries\":[{\"region\":\"eu-west-1\",\"registry_ids\":[\"123456789012\","
                 "\"210987654321\"],\"role_arn\":\"arn:aws:iam::123456789012:role/ecr-reader\"}],"
                 "\"sinks\":[{\"type\":\"rancher1\",\"auto_create\":true}]}",
                 "old updater's variables vs their file");
    same_as_file(refresh,
                 "{\"refresh\":{\"before_expiry\":\"2h\",\"jitter\":0,\"retry_min\":10,"
                 "\"retry_max\":600}}",
                 "refresh variables vs their file");

    {
        static const char *const v1[] = {"CATTLE_URL", "http://r/v1", "AUTO_CREATE", "yes please",
                                         NULL};
        static const char *const v2[] = {"AWS_REGION", "EU-West-1", NULL};
        static const char *const v3[] = {"AWS_ROLE_ARN", "ecr-reader", NULL};
        static const char *const v4[] = {"AWS_ECR_REGISTRY_IDS", "123456789012,", NULL};
        static const char *const v5[] = {"ECR_CREDD_JITTER", "soon", NULL};
        static const char *const v6[] = {"RANCHER_URL", "rancher.example.com", NULL};
        static const char *const v7[] = {"RANCHER_URL", "", NULL};
        static const char *const v8[] = {"RANCHER_URL", "https://r", "RANCHER_PROJECT", "p-xyz",
                                         NULL};
        static const char *const v9[] = {"RANCHER_URL", "https://r", "RANCHER_CA_FILE", "ca.pem",
                                         NULL};
        static const char *const v10[] = {"LISTEN_PORT", "80a", NULL};
        static const char *const v11[] = {"LISTEN_PORT", "70000", NULL};
        static const char *const v12[] = {"AWS_REGION", "eu-west-1\n", NULL};
        static const char *const v13[] = {"ECR_CREDD_RETRY_MIN", "10m", "ECR_CREDD_RETRY_MAX", "1m",
                                          NULL};

        bad(v1, "AUTO_CREATE: expected true or false, got 'yes please'");
        bad(v2, "AWS_REGION: expected a region name such as \"eu-west-1\", got 'EU-West-1'");
        bad(v3, "AWS_ROLE_ARN: expected an IAM role ARN such as "
                "\"arn:aws:iam::123456789012:role/ecr-reader\", got 'ecr-reader'");
        bad(v4, "AWS_ECR_REGISTRY_IDS: item 2 is empty");
        bad(v5, "ECR_CREDD_JITTER: invalid duration \"soon\": expected a number before "
                "each unit (expected e.g. \"90s\" or \"1h30m\")");
        bad(v6, "RANCHER_URL: expected an https:// URL of the Rancher server, got "
                "'rancher.example.com'");
        bad(v7, "RANCHER_URL: is empty; expected the Rancher server's URL");
        bad(v8, "RANCHER_PROJECT: expected <cluster id>:<project id> such as "
                "\"c-abc12:p-xyz34\", got 'p-xyz'");
        bad(v9, "RANCHER_CA_FILE: expected an absolute file path, got 'ca.pem'");
        bad(v10, "LISTEN_PORT: expected a TCP port number (1-65535), got '80a'");
        bad(v11, "LISTEN_PORT: expected a TCP port number (1-65535), got '70000'");
        bad(v12, "AWS_REGION: contains control characters");
        /* Checked by config_parse(): the message names the document. */
        bad(v13, CONFIG_ENV_NAME ": refresh: retry_min (10m) must not be greater than "
                                 "retry_max (1m)");
    }
    tap_ok(config_default(fake_getenv, NULL) == ECD_EINVAL, "NULL out: EINVAL");
    tap_ok(config_env_json(fake_getenv, NULL) == ECD_EINVAL, "NULL buffer: EINVAL");
    return tap_done();
}
