/* SPDX-License-Identifier: MIT */
/* The pure parts of daemon/creds/: the STS endpoint per partition, FIPS, dual-stack,
 * legacy mode and overrides (protocols.md 3.11, 1.5); credential_process splitting
 * (Python's shlex.split); instance metadata settings (3.9). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "creds/providers.h"
#include "tap.h"

static const char *env[20][2];

static const char *fake_getenv(const char *name)
{
    for (size_t i = 0; i < 20 && env[i][0]; i++)
        if (!strcmp(env[i][0], name))
            return env[i][1];
    return NULL;
}

static void set_env(const char *const *kv)
{
    memset(env, 0, sizeof(env));
    for (size_t i = 0; kv && kv[2 * i]; i++) {
        env[i][0] = kv[2 * i];
        env[i][1] = kv[2 * i + 1];
    }
}

static const char *profile_get(const char *key, void *ud)
{
    const char *const *kv = ud;

    for (size_t i = 0; kv && kv[2 * i]; i++)
        if (!strcmp(kv[2 * i], key))
            return kv[2 * i + 1];
    return NULL;
}

static char cfg_file[1200]; /* the config file of the endpoint cases */

/* Resolve the STS endpoint with envkv as the environment and `config` as the whole
 * config file (NULL: no file; prof: [default] with these key = value pairs). */
static void endpoint_cfg(const char *const *envkv, const char *config, const char *region,
                         const char *want_url, const char *want_region, const char *want_msg)
{
    struct sts_endpoint ep = {0};
    struct awsconfig *cfg = NULL;
    enum ecd_status st;
    const char *err;
    size_t n = 0;
    FILE *f;

    set_env(envkv);
    while (env[n][0])
        n++;
    env[n][0] = "AWS_CONFIG_FILE";
    env[n++][1] = config ? cfg_file : "";
    env[n][0] = "AWS_SHARED_CREDENTIALS_FILE";
    env[n][1] = "";
    if (config) {
        if (!(f = fopen(cfg_file, "w")) || fputs(config, f) < 0 || fclose(f)) {
            printf("Bail out! cannot write %s\n", cfg_file);
            exit(1);
        }
    }
    capture_begin();
    st = awsconfig_load(fake_getenv, NULL, &cfg);
    if (!st)
        st = sts_endpoint_resolve(cfg, region, &ep);
    err = capture_end();
    awsconfig_free(cfg);
    if (!want_url) {
        tap_ok(st == ECD_ECONFIG && !ep.url, "%s: refused", region ? region : "(none)");
        if (want_msg &&
            !tap_ok(strstr(err, want_msg) != NULL, "%s: message", region ? region : "(none)"))
            tap_diag("log: %s", err);
        return;
    }
    if (!tap_ok(st == ECD_OK, "%s: resolves", region ? region : "(none)"))
        tap_diag("log: %s", err);
    tap_str_eq(ep.url, want_url, "%s: url", region ? region : "(none)");
    tap_str_eq(ep.signing_region, want_region, "%s: signing region", region ? region : "(none)");
    sts_endpoint_clear(&ep);
}

static void endpoint(const char *const *envkv, const char *const *prof, const char *region,
                     const char *want_url, const char *want_region)
{
    char text[2048];
    size_t len = 0;

    len += (size_t)snprintf(text, sizeof(text), "[default]\n");
    for (size_t i = 0; prof && prof[2 * i]; i++)
        len += (size_t)snprintf(text + len, sizeof(text) - len, "%s = %s\n", prof[2 * i],
                                prof[2 * i + 1]);
    endpoint_cfg(envkv, text, region, want_url, want_region, NULL);
}

static void test_endpoints(void)
{
    static const char *const fips[] = {"AWS_USE_FIPS_ENDPOINT", "true", NULL};
    static const char *const dual[] = {"AWS_USE_DUALSTACK_ENDPOINT", "TRUE", NULL};
    static const char *const both[] = {"AWS_USE_FIPS_ENDPOINT", "true",
                                       "AWS_USE_DUALSTACK_ENDPOINT", "true", NULL};
    static const char *const legacy[] = {"AWS_STS_REGIONAL_ENDPOINTS", "legacy", NULL};
    static const char *const legacy_prof[] = {"sts_regional_endpoints", "legacy", NULL};
    static const char *const bad_mode[] = {"AWS_STS_REGIONAL_ENDPOINTS", "global", NULL};
    static const char *const sts_url[] = {"AWS_ENDPOINT_URL_STS", "http://127.0.0.1:5000",
                                          "AWS_ENDPOINT_URL", "http://other", NULL};
    static const char *const any_url[] = {"AWS_ENDPOINT_URL", "https://vpce.example/", NULL};
    static const char *const prof_url[] = {"endpoint_url", "http://from-profile", NULL};
    static const char *const ignore[] = {"AWS_ENDPOINT_URL_STS", "http://127.0.0.1:5000",
                                         "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true", NULL};
    static const char *const url_fips[] = {"AWS_ENDPOINT_URL_STS", "http://x",
                                           "AWS_USE_FIPS_ENDPOINT", "true", NULL};
    static const char *const prof_fips[] = {"use_fips_endpoint", "true", NULL};
    static const char *const prof_ignore[] = {"endpoint_url", "http://from-profile",
                                              "ignore_configured_endpoint_urls", "TRUE", NULL};
    static const char *const env_no_ignore[] = {"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "false",
                                                NULL};
    static const char services[] = "[default]\nservices = corp\nendpoint_url = http://global\n"
                                   "[services corp]\necr =\n  endpoint_url = http://ecr\n"
                                   "sts =\n  endpoint_url = http://sts.corp:8443/\n";

    endpoint(NULL, NULL, NULL, "https://sts.amazonaws.com", "us-east-1");
    endpoint(NULL, NULL, "us-east-1", "https://sts.us-east-1.amazonaws.com", "us-east-1");
    endpoint(NULL, NULL, "eu-west-1", "https://sts.eu-west-1.amazonaws.com", "eu-west-1");
    endpoint(NULL, NULL, "cn-north-1", "https://sts.cn-north-1.amazonaws.com.cn", "cn-north-1");
    endpoint(NULL, NULL, "us-gov-west-1", "https://sts.us-gov-west-1.amazonaws.com",
             "us-gov-west-1");
    endpoint(fips, NULL, "us-gov-east-1", "https://sts.us-gov-east-1.amazonaws.com",
             "us-gov-east-1");
    endpoint(both, NULL, "us-gov-west-1", "https://sts-fips.us-gov-west-1.api.aws",
             "us-gov-west-1");
    endpoint(NULL, NULL, "us-iso-east-1", "https://sts.us-iso-east-1.c2s.ic.gov", "us-iso-east-1");
    endpoint(fips, NULL, "us-east-2", "https://sts-fips.us-east-2.amazonaws.com", "us-east-2");
    endpoint(NULL, prof_fips, "us-east-2", "https://sts-fips.us-east-2.amazonaws.com", "us-east-2");
    endpoint(dual, NULL, "eu-west-1", "https://sts.eu-west-1.api.aws", "eu-west-1");
    endpoint(both, NULL, "us-east-1", "https://sts-fips.us-east-1.api.aws", "us-east-1");
    endpoint(legacy, NULL, "eu-west-1", "https://sts.amazonaws.com", "us-east-1");
    endpoint(NULL, legacy_prof, "us-west-2", "https://sts.amazonaws.com", "us-east-1");
    endpoint(legacy, NULL, "ap-east-1", "https://sts.ap-east-1.amazonaws.com", "ap-east-1");
    endpoint(bad_mode, NULL, "us-east-1", NULL, NULL);
    endpoint(sts_url, NULL, "eu-west-1", "http://127.0.0.1:5000", "eu-west-1");
    endpoint(any_url, NULL, NULL, "https://vpce.example/", "us-east-1");
    endpoint(NULL, prof_url, "eu-west-1", "http://from-profile", "eu-west-1");
    endpoint(ignore, NULL, "eu-west-1", "https://sts.eu-west-1.amazonaws.com", "eu-west-1");
    endpoint(NULL, prof_ignore, "eu-west-1", "https://sts.eu-west-1.amazonaws.com", "eu-west-1");
    endpoint(env_no_ignore, prof_ignore, "eu-west-1", "http://from-profile", "eu-west-1");
    endpoint(url_fips, NULL, "eu-west-1", "http://x", "eu-west-1"); /* botocore: URL wins */
    endpoint(NULL, NULL, "not a region", NULL, NULL);
    /* The services section: before the profile's endpoint_url, after the variables. */
    endpoint_cfg(NULL, services, "eu-west-1", "http://sts.corp:8443/", "eu-west-1", NULL);
    endpoint_cfg(any_url, services, "eu-west-1", "https://vpce.example/", "eu-west-1", NULL);
    endpoint_cfg(NULL,
                 "[default]\nservices = corp\nendpoint_url = http://global\n"
                 "[services corp]\necr =\n  endpoint_url = http://ecr\n",
                 "eu-west-1", "http://global", "eu-west-1", NULL);
    endpoint_cfg(NULL, "[default]\nservices = nope\n[services corp]\nx = y\n", "eu-west-1", NULL,
                 NULL, "services = nope, but ");
    endpoint_cfg(any_url, "[default]\nservices = nope\n", "eu-west-1", "https://vpce.example/",
                 "eu-west-1", NULL);
    endpoint_cfg(NULL, "[default]\nservices = corp\n[services corp]\nsts = http://x\n", "eu-west-1",
                 NULL, NULL, "sts is a single value; expected a nested block");
}

static void split(const char *s, const char *const *want, const char *what)
{
    char **argv = NULL;
    const char *why = NULL;
    enum ecd_status st = process_split(s, &argv, &why);
    int same = st == ECD_OK && argv;

    for (size_t i = 0; same && (want[i] || argv[i]); i++)
        same = want[i] && argv[i] && !strcmp(want[i], argv[i]);
    tap_ok(same, "split: %s", what);
    process_argv_free(argv);
}

static void test_split(void)
{
    static const char *const plain[] = {"/usr/bin/helper", "--profile", "x", NULL};
    static const char *const quoted[] = {"cmd", "a b", "c'd", "e\"f", "g h", NULL};
    static const char *const esc[] = {"cmd", "a b", "x\\y", "\\n", "", NULL};
    static const char *const none[] = {NULL};
    char **argv = NULL;
    const char *why = NULL;

    split("  /usr/bin/helper \t--profile   x  ", plain, "words and blanks");
    split("cmd 'a b' \"c'd\" 'e\"f' g\\ h", quoted, "quotes and an escaped blank");
    split("cmd \"a b\" \"x\\y\" '\\n' ''", esc, "backslashes inside quotes, empty word");
    split("", none, "empty");
    tap_ok(process_split("cmd 'open", &argv, &why) == ECD_ECONFIG && !argv &&
               !strcmp(why, "no closing quotation"),
           "split: unclosed quote refused");
    tap_ok(process_split("cmd \\", &argv, &why) == ECD_ECONFIG && !argv &&
               !strcmp(why, "no escaped character"),
           "split: trailing backslash refused");
}

static void test_imds_settings(void)
{
    static const char *const v6[] = {"AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "IPv6", NULL};
    static const char *const url[] = {"AWS_EC2_METADATA_SERVICE_ENDPOINT",
                                      "http://127.0.0.1:9",
                                      "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE",
                                      "IPv6",
                                      "AWS_METADATA_SERVICE_TIMEOUT",
                                      "2.5",
                                      "AWS_METADATA_SERVICE_NUM_ATTEMPTS",
                                      "3",
                                      NULL};
    static const char *const off[] = {"AWS_EC2_METADATA_DISABLED", "True",
                                      "AWS_EC2_METADATA_V1_DISABLED", "true", NULL};
    static const char *const bad[] = {"AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "IPv5", NULL};
    static const char *const bad_t[] = {"AWS_METADATA_SERVICE_TIMEOUT", "-1", NULL};
    static const char *const prof[] = {"ec2_metadata_service_endpoint_mode", "ipv6", NULL};
    struct imds_settings s;

    set_env(NULL);
    tap_ok(!imds_settings_load(fake_getenv, NULL, NULL, &s) && !s.disabled && !s.v1_disabled &&
               s.timeout_ms == 1000 && s.attempts == 1,
           "imds: defaults 1 s, 1 attempt");
    tap_str_eq(s.endpoint, "http://169.254.169.254/", "imds: IPv4 endpoint");
    imds_settings_clear(&s);
    set_env(v6);
    tap_ok(!imds_settings_load(fake_getenv, NULL, NULL, &s), "imds: IPv6 mode");
    tap_str_eq(s.endpoint, "http://[fd00:ec2::254]/", "imds: IPv6 endpoint");
    imds_settings_clear(&s);
    set_env(NULL);
    tap_ok(!imds_settings_load(fake_getenv, profile_get, (void *)prof, &s),
           "imds: mode from profile");
    tap_str_eq(s.endpoint, "http://[fd00:ec2::254]/", "imds: profile IPv6 endpoint");
    imds_settings_clear(&s);
    set_env(url);
    tap_ok(!imds_settings_load(fake_getenv, NULL, NULL, &s) && s.timeout_ms == 2500 &&
               s.attempts == 3,
           "imds: timeout and attempts");
    tap_str_eq(s.endpoint, "http://127.0.0.1:9/", "imds: endpoint beats mode, '/' added");
    imds_settings_clear(&s);
    set_env(off);
    tap_ok(!imds_settings_load(fake_getenv, NULL, NULL, &s) && s.disabled && s.v1_disabled,
           "imds: disabled, v1 disabled");
    imds_settings_clear(&s);
    set_env(bad);
    capture_begin();
    tap_ok(imds_settings_load(fake_getenv, NULL, NULL, &s) == ECD_ECONFIG, "imds: bad mode");
    tap_ok(strstr(capture_end(), "expected IPv4 or IPv6") != NULL, "imds: bad mode message");
    imds_settings_clear(&s);
    set_env(bad_t);
    capture_begin();
    tap_ok(imds_settings_load(fake_getenv, NULL, NULL, &s) == ECD_ECONFIG, "imds: bad timeout");
    (void)capture_end();
    imds_settings_clear(&s);
}

int main(void)
{
    const char *base = getenv("ECD_TEST_BUILDDIR");
    char dir[1024];

    snprintf(dir, sizeof(dir), "%s/test-creds-XXXXXX", base ? base : "/tmp");
    if (!mkdtemp(dir)) {
        printf("Bail out! mkdtemp %s\n", dir);
        return 1;
    }
    snprintf(cfg_file, sizeof(cfg_file), "%s/config", dir);
    test_endpoints();
    unlink(cfg_file);
    rmdir(dir);
    test_split();
    test_imds_settings();
    return tap_done();
}
