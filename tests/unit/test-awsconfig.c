/* SPDX-License-Identifier: MIT */
/* awsconfig.c: profile selection, file locations, merged settings, the static-key
 * providers in botocore's order, the chain steps left to later providers, region
 * order, and the exact logged line for each error botocore raises.  The environment is
 * a table handed in through the getenv hook; files live in a mkdtemp() home. */
#include <sys/stat.h>
#include <unistd.h>

#include "awsconfig.h"
#include "capture.h"
#include "tap.h"

/* --- a fake environment and home directory --- */

static char home[1024], cfg_path[1200], cred_path[1200];
static const char *env_name[32], *env_value[32];
static int env_n;

static const char *fake_getenv(const char *name)
{
    for (int i = env_n - 1; i >= 0; i--)
        if (strcmp(env_name[i], name) == 0)
            return env_value[i];
    return NULL;
}

static void env_set(const char *name, const char *value)
{
    env_name[env_n] = name;
    env_value[env_n++] = value;
}

static void write_file(const char *path, const char *text)
{
    FILE *f;

    if (!text) {
        unlink(path);
        return;
    }
    f = fopen(path, "w");
    if (!f) {
        perror(path);
        exit(2);
    }
    fputs(text, f);
    fclose(f);
}

/* A fresh scenario: only HOME set, the two default files as given (NULL: absent). */
static void scenario(const char *config, const char *credentials)
{
    env_n = 0;
    env_set("HOME", home);
    write_file(cfg_path, config);
    write_file(cred_path, credentials);
}

static struct awsconfig *load_ok(const char *override, const char *what)
{
    struct awsconfig *cfg = NULL;
    enum ecd_status st;
    const char *err;

    capture_begin();
    st = awsconfig_load(fake_getenv, override, &cfg);
    err = capture_end();
    if (!tap_ok(st == ECD_OK && cfg, "%s: loads", what))
        tap_diag("status %d, log: %s", st, err);
    return cfg;
}

static void load_err(const char *override, const char *msg, const char *what)
{
    struct awsconfig *cfg = NULL;
    char want[8192];
    enum ecd_status st;
    const char *err;

    capture_begin();
    st = awsconfig_load(fake_getenv, override, &cfg);
    err = capture_end();
    snprintf(want, sizeof(want), "ecr-credd: error: %s\n", msg);
    tap_ok(st == ECD_ECONFIG && !cfg, "%s: rejected", what);
    tap_str_eq(err, want, "%s: message", what);
    awsconfig_free(cfg);
}

/* Resolve the selected profile's chain and check source, provider, key id, secret and
 * token (want_token NULL: none). */
static void creds_are(struct awsconfig *cfg, const char *provider, const char *key_id,
                      const char *secret, const char *want_token, const char *what)
{
    struct aws_credentials c = {0};
    enum awsconfig_source src;
    enum ecd_status st;
    const char *err;

    if (!cfg) {
        tap_ok(0, "%s: no config", what);
        return;
    }
    capture_begin();
    st = awsconfig_credentials(cfg, NULL, 0, &c, &src);
    err = capture_end();
    if (!tap_ok(st == ECD_OK && src == AWSCONFIG_STATIC, "%s: static keys found", what)) {
        tap_diag("status %d source %s log: %s", st, awsconfig_source_name(src), err);
        aws_credentials_clear(&c);
        return;
    }
    tap_str_eq(c.provider, provider, "%s: provider", what);
    tap_str_eq(c.access_key_id, key_id, "%s: key id", what);
    tap_ok(c.secret_key.ptr && strcmp(c.secret_key.ptr, secret) == 0, "%s: secret", what);
    if (want_token)
        tap_ok(c.session_token.ptr && strcmp(c.session_token.ptr, want_token) == 0, "%s: token",
               what);
    else
        tap_ok(!secret_is_set(&c.session_token), "%s: no token", what);
    aws_credentials_clear(&c);
}

static void source_is(struct awsconfig *cfg, const char *profile, unsigned flags,
                      enum awsconfig_source want, const char *what)
{
    struct aws_credentials c = {0};
    enum awsconfig_source src = AWSCONFIG_SOURCE_COUNT_;
    enum ecd_status st;

    if (!cfg) {
        tap_ok(0, "%s: no config", what);
        return;
    }
    capture_begin();
    st = awsconfig_credentials(cfg, profile, flags, &c, &src);
    (void)capture_end();
    if (!tap_ok(st == ECD_OK && src == want, "%s: source %s", what, awsconfig_source_name(want)))
        tap_diag("status %d, source %s", st, awsconfig_source_name(src));
    tap_ok(src == AWSCONFIG_STATIC || !c.access_key_id, "%s: credentials only for keys", what);
    aws_credentials_clear(&c);
}

/* awsconfig_static_credentials() must fail with `want` and log exactly `msg`. */
static void static_err(struct awsconfig *cfg, enum ecd_status want, const char *msg,
                       const char *what)
{
    struct aws_credentials c = {0};
    char line[8192];
    enum ecd_status st;
    const char *err;

    if (!cfg) {
        tap_ok(0, "%s: no config", what);
        return;
    }
    capture_begin();
    st = awsconfig_static_credentials(cfg, &c);
    err = capture_end();
    snprintf(line, sizeof(line), "ecr-credd: error: %s\n", msg);
    tap_ok(st == want && !c.access_key_id, "%s: status %d", what, want);
    tap_str_eq(err, line, "%s: message", what);
    aws_credentials_clear(&c);
}

static void region_is(struct awsconfig *cfg, const char *want, const char *what)
{
    char *r = (char *)"unset";
    enum ecd_status st;

    if (!cfg) {
        tap_ok(0, "%s: no config", what);
        return;
    }
    capture_begin();
    st = awsconfig_region(cfg, &r);
    (void)capture_end();
    if (want)
        tap_ok(st == ECD_OK && r && strcmp(r, want) == 0, "%s: region %s (got %s)", what, want,
               r ? r : "none");
    else
        tap_ok(st == ECD_OK && !r, "%s: no region (got %s)", what, r ? r : "none");
    if (st == ECD_OK)
        free(r);
}

/* --- the cases --- */

static const char dev_creds[] = "[dev]\naws_access_key_id = AKIDCRED\n"
                                "aws_secret_access_key = credsecret\n";
static const char dev_config[] = "[profile dev]\naws_access_key_id = AKIDCONF\n"
                                 "aws_secret_access_key = confsecret\nregion = eu-west-1\n";

static void test_nothing(void)
{
    struct awsconfig *cfg;
    char want[8192];

    scenario(NULL, NULL);
    cfg = load_ok(NULL, "no files, no env");
    if (cfg) {
        tap_str_eq(awsconfig_profile(cfg), "default", "profile defaults to 'default'");
        tap_str_eq(awsconfig_config_file(cfg), cfg_path, "config path from HOME");
        tap_str_eq(awsconfig_credentials_file(cfg), cred_path, "credentials path from HOME");
    }
    source_is(cfg, NULL, 0, AWSCONFIG_NONE, "nothing configured");
    snprintf(want, sizeof(want),
             "no AWS credentials: none in the environment, and profile 'default' has no "
             "aws_access_key_id in %s or %s",
             cred_path, cfg_path);
    static_err(cfg, ECD_EAUTH, want, "nothing configured");
    region_is(cfg, NULL, "nothing configured");
    awsconfig_free(cfg);
}

static void test_env(void)
{
    struct awsconfig *cfg;

    scenario(dev_config, "[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = f\n");
    env_set("AWS_ACCESS_KEY_ID", "AKIDENV");
    env_set("AWS_SECRET_ACCESS_KEY", "envsecret");
    env_set("AWS_SESSION_TOKEN", "sess");
    env_set("AWS_SECURITY_TOKEN", "");
    cfg = load_ok(NULL, "env keys");
    creds_are(cfg, "env", "AKIDENV", "envsecret", "sess",
              "env beats file; empty AWS_SECURITY_TOKEN skipped");
    awsconfig_free(cfg);

    env_set("AWS_SECURITY_TOKEN", "legacy");
    env_set("AWS_PROFILE", "dev");
    cfg = load_ok(NULL, "env keys with AWS_PROFILE");
    creds_are(cfg, "env", "AKIDENV", "envsecret", "legacy",
              "env beats AWS_PROFILE; AWS_SECURITY_TOKEN first");
    awsconfig_free(cfg);

    /* A profile given by the caller switches env credentials off (botocore's
     * programmatic profile). */
    cfg = load_ok("dev", "env keys with a profile override");
    creds_are(cfg, "config-file", "AKIDCONF", "confsecret", NULL,
              "override ignores env credentials");
    awsconfig_free(cfg);

    scenario(NULL, NULL);
    env_set("AWS_ACCESS_KEY_ID", "AKIDENV");
    env_set("AWS_SECRET_ACCESS_KEY", "");
    cfg = load_ok(NULL, "partial env");
    static_err(cfg, ECD_ECONFIG,
               "environment: AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is missing or "
               "empty (partial credentials)",
               "partial env");
    awsconfig_free(cfg);

    scenario(NULL, "[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = f\n");
    env_set("AWS_ACCESS_KEY_ID", "");
    env_set("AWS_SECRET_ACCESS_KEY", "x");
    cfg = load_ok(NULL, "empty AWS_ACCESS_KEY_ID");
    creds_are(cfg, "shared-credentials-file", "AKIDFILE", "f", NULL,
              "empty AWS_ACCESS_KEY_ID is absent");
    awsconfig_free(cfg);
}

static void test_expiration(void)
{
    static const struct {
        const char *text;
        time_t want; /* 0: rejected */
    } cases[] = {
        {"2024-01-15T13:00:00Z", 1705323600},
        {"2024-01-15T13:00:00.123Z", 1705323600},
        {"2024-01-15T15:00:00+02:00", 1705323600},
        {"2024-01-15 08:00:00-0500", 1705323600},
        {"2024-01-15T13:00Z", 1705323600},
        {"2024-02-29T00:00:00Z", 1709164800},
        {"2024-01-15T13:00:00", 0},
        {"2023-02-29T00:00:00Z", 0},
        {"2024-01-15", 0},
        {"yesterday", 0},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct aws_credentials c = {0};
        enum awsconfig_source src;
        struct awsconfig *cfg;
        enum ecd_status st;

        scenario(NULL, NULL);
        env_set("AWS_ACCESS_KEY_ID", "AKIDENV");
        env_set("AWS_SECRET_ACCESS_KEY", "s");
        env_set("AWS_CREDENTIAL_EXPIRATION", cases[i].text);
        if (awsconfig_load(fake_getenv, NULL, &cfg) != ECD_OK) {
            tap_ok(0, "expiration %s: load", cases[i].text);
            continue;
        }
        capture_begin();
        st = awsconfig_credentials(cfg, NULL, 0, &c, &src);
        (void)capture_end();
        if (cases[i].want)
            tap_ok(st == ECD_OK && c.expiration == cases[i].want, "expiration %s = %lld",
                   cases[i].text, (long long)cases[i].want);
        else
            tap_ok(st == ECD_ECONFIG, "expiration %s rejected", cases[i].text);
        aws_credentials_clear(&c);
        awsconfig_free(cfg);
    }
}

static void test_profile_selection(void)
{
    struct awsconfig *cfg;
    char want[8192];

    scenario(dev_config, "[other]\naws_access_key_id = AKIDOTHER\naws_secret_access_key = o\n");
    env_set("AWS_PROFILE", "dev");
    env_set("AWS_DEFAULT_PROFILE", "other");
    cfg = load_ok(NULL, "both profile variables");
    tap_str_eq(cfg ? awsconfig_profile(cfg) : NULL, "other", "AWS_DEFAULT_PROFILE wins");
    creds_are(cfg, "shared-credentials-file", "AKIDOTHER", "o", NULL, "AWS_DEFAULT_PROFILE keys");
    awsconfig_free(cfg);

    scenario(dev_config, NULL);
    env_set("AWS_PROFILE", "nope");
    snprintf(want, sizeof(want), "profile 'nope' (from AWS_PROFILE) not found in %s or %s",
             cfg_path, cred_path);
    load_err(NULL, want, "missing AWS_PROFILE profile");

    scenario(NULL, NULL);
    env_set("AWS_PROFILE", "default");
    snprintf(want, sizeof(want), "profile 'default' (from AWS_PROFILE) not found in %s or %s",
             cfg_path, cred_path);
    load_err(NULL, want, "AWS_PROFILE=default without a default profile");

    scenario(NULL, NULL);
    env_set("AWS_DEFAULT_PROFILE", "");
    env_set("AWS_PROFILE", "dev");
    snprintf(want, sizeof(want), "profile '' (from AWS_DEFAULT_PROFILE) not found in %s or %s",
             cfg_path, cred_path);
    load_err(NULL, want, "empty AWS_DEFAULT_PROFILE still counts");

    scenario(dev_config, NULL);
    snprintf(want, sizeof(want), "profile 'x' (from the configuration) not found in %s or %s",
             cfg_path, cred_path);
    load_err("x", want, "missing override profile");

    /* A bare [dev] in the config file is not a profile. */
    scenario("[dev]\nregion = us-east-1\n", NULL);
    env_set("AWS_PROFILE", "dev");
    snprintf(want, sizeof(want), "profile 'dev' (from AWS_PROFILE) not found in %s or %s", cfg_path,
             cred_path);
    load_err(NULL, want, "bare [dev] in config");

    /* [profile dev] in the credentials file is a profile called "profile dev". */
    scenario(NULL, "[profile dev]\naws_access_key_id = AKIDPD\naws_secret_access_key = p\n");
    env_set("AWS_PROFILE", "profile dev");
    cfg = load_ok(NULL, "[profile dev] in credentials");
    creds_are(cfg, "shared-credentials-file", "AKIDPD", "p", NULL, "profile named 'profile dev'");
    awsconfig_free(cfg);

    scenario("[profile \"spaced name\"]\naws_access_key_id = AKIDSP\naws_secret_access_key = s\n"
             "[profile 'a b' c]\naws_access_key_id = AKIDNO\naws_secret_access_key = n\n"
             "[profilex y]\nregion = r-y\n"
             "[profile \"unclosed]\nregion = r-u\n",
             NULL);
    env_set("AWS_PROFILE", "spaced name");
    cfg = load_ok(NULL, "quoted profile name");
    creds_are(cfg, "config-file", "AKIDSP", "s", NULL, "[profile \"spaced name\"]");
    if (cfg) {
        tap_ok(!awsconfig_has_profile(cfg, "a b"), "three words: not a profile");
        tap_ok(awsconfig_has_profile(cfg, "y"), "[profilex y] is profile y (startswith)");
        tap_ok(!awsconfig_has_profile(cfg, "\"unclosed") && !awsconfig_has_profile(cfg, "unclosed"),
               "unclosed quote: not a profile");
    }
    awsconfig_free(cfg);

    scenario("[default]\nregion = first\naws_access_key_id = AKIDDEF\n"
             "[profile default]\nregion = second\n",
             NULL);
    cfg = load_ok(NULL, "[default] and [profile default]");
    region_is(cfg, "second", "the later section wins");
    source_is(cfg, NULL, 0, AWSCONFIG_NONE, "...whole: the earlier keys are gone");
    awsconfig_free(cfg);
}

static void test_files(void)
{
    struct awsconfig *cfg;
    char want[8192];

    scenario(dev_config, dev_creds);
    env_set("AWS_PROFILE", "dev");
    cfg = load_ok(NULL, "dev in both files");
    creds_are(cfg, "shared-credentials-file", "AKIDCRED", "credsecret", NULL,
              "credentials file beats config file");
    region_is(cfg, "eu-west-1", "region from config profile");
    awsconfig_free(cfg);

    scenario(dev_config, NULL);
    env_set("AWS_PROFILE", "dev");
    cfg = load_ok(NULL, "dev in config only");
    creds_are(cfg, "config-file", "AKIDCONF", "confsecret", NULL, "config-file keys");
    awsconfig_free(cfg);

    /* Settings merge: credentials-file values over config-file values. */
    scenario("[profile dev]\nregion = eu-west-1\noutput = json\n",
             "[dev]\nregion = us-west-2\n[DEFAULT]\nrole_session_name = d\n");
    env_set("AWS_PROFILE", "dev");
    cfg = load_ok(NULL, "merged settings");
    if (cfg) {
        tap_str_eq(awsconfig_get(cfg, NULL, "region"), "us-west-2", "credentials file wins");
        tap_str_eq(awsconfig_get(cfg, NULL, "output"), "json", "config-only key kept");
        tap_str_eq(awsconfig_get(cfg, "dev", "role_session_name"), "d",
                   "credentials [DEFAULT] applies");
        tap_ok(awsconfig_get(cfg, NULL, "nope") == NULL, "absent key");
    }
    region_is(cfg, "us-west-2", "region merged");
    awsconfig_free(cfg);

    scenario(NULL, "[default]\naws_access_key_id = AKIDFILE\n");
    cfg = load_ok(NULL, "partial file keys");
    snprintf(want, sizeof(want),
             "%s: profile 'default' has aws_access_key_id but no aws_secret_access_key "
             "(partial credentials)",
             cred_path);
    static_err(cfg, ECD_ECONFIG, want, "partial file keys");
    awsconfig_free(cfg);

    scenario(NULL, "[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = f\n"
                   "aws_session_token = st\naws_security_token = legacy\n");
    cfg = load_ok(NULL, "file tokens");
    creds_are(cfg, "shared-credentials-file", "AKIDFILE", "f", "legacy",
              "aws_security_token first");
    awsconfig_free(cfg);

    scenario(NULL, "[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = f\n"
                   "aws_security_token =\naws_session_token = st\n");
    cfg = load_ok(NULL, "empty legacy token");
    creds_are(cfg, "shared-credentials-file", "AKIDFILE", "f", NULL,
              "present but empty aws_security_token: no token (botocore picks it, '' = none)");
    awsconfig_free(cfg);

    scenario(NULL, "[DEFAULT]\naws_access_key_id = AKIDDEF\naws_secret_access_key = d\n[x]\n");
    env_set("AWS_PROFILE", "x");
    cfg = load_ok(NULL, "credentials [DEFAULT]");
    creds_are(cfg, "shared-credentials-file", "AKIDDEF", "d", NULL, "[DEFAULT] keys reach [x]");
    awsconfig_free(cfg);

    scenario(NULL, "[default]\naws_access_key_id =\n  a = b\naws_secret_access_key = s\n");
    cfg = load_ok(NULL, "nested key id");
    snprintf(want, sizeof(want),
             "%s:2: profile 'default': aws_access_key_id is a nested block; expected a single "
             "value",
             cred_path);
    static_err(cfg, ECD_ECONFIG, want, "nested key id");
    awsconfig_free(cfg);

    /* A broken file fails the load, even with env credentials set. */
    scenario("[default]\nregion\n", NULL);
    env_set("AWS_ACCESS_KEY_ID", "AKIDENV");
    env_set("AWS_SECRET_ACCESS_KEY", "s");
    snprintf(want, sizeof(want), "%s:2: expected 'key = value' or '[section]'", cfg_path);
    load_err(NULL, want, "broken config with env keys");
}

static void test_paths(void)
{
    struct awsconfig *cfg;
    char dir[1100], c1[1200], c2[1200];

    snprintf(dir, sizeof(dir), "%s/custom", home);
    mkdir(dir, 0700);
    snprintf(c1, sizeof(c1), "%s/creds", dir);
    snprintf(c2, sizeof(c2), "%s/conf", dir);
    write_file(c1, "[x]\naws_access_key_id = AKIDCUSTOM\naws_secret_access_key = c\n");
    write_file(c2, "[profile x]\nregion = ap-south-1\n");

    scenario(NULL, dev_creds);
    env_set("AWS_PROFILE", "x");
    env_set("CUSTOM", dir);
    env_set("AWS_SHARED_CREDENTIALS_FILE", "$CUSTOM/creds");
    env_set("AWS_CONFIG_FILE", "~/custom/conf");
    cfg = load_ok(NULL, "custom file paths");
    if (cfg) {
        tap_str_eq(awsconfig_credentials_file(cfg), c1, "$VAR expanded");
        tap_str_eq(awsconfig_config_file(cfg), c2, "~ expanded");
    }
    creds_are(cfg, "shared-credentials-file", "AKIDCUSTOM", "c", NULL, "custom credentials file");
    region_is(cfg, "ap-south-1", "custom config file");
    awsconfig_free(cfg);

    scenario(dev_config, dev_creds);
    env_set("AWS_SHARED_CREDENTIALS_FILE", "");
    env_set("AWS_CONFIG_FILE", "");
    cfg = load_ok(NULL, "empty path variables");
    if (cfg)
        tap_ok(!awsconfig_config_file(cfg) && !awsconfig_credentials_file(cfg),
               "set but empty: no file");
    source_is(cfg, "dev", 0, AWSCONFIG_NONE, "no files read");
    awsconfig_free(cfg);
}

static void test_chain_order(void)
{
    struct awsconfig *cfg;

    /* assume-role beats shared-credentials-file, even in the same profile... */
    scenario("[profile dev]\nrole_arn = arn:aws:iam::123456789012:role/r\nsource_profile = dev\n",
             dev_creds);
    env_set("AWS_PROFILE", "dev");
    cfg = load_ok(NULL, "role_arn with static keys");
    source_is(cfg, NULL, 0, AWSCONFIG_ASSUME_ROLE, "role_arn beats shared keys");
    source_is(cfg, NULL, AWSCONFIG_NO_ASSUME_ROLE, AWSCONFIG_STATIC, "unless skipped");
    static_err(cfg, ECD_ECONFIG,
               "profile 'dev' uses role_arn (assume role), which this build does not support yet",
               "role_arn unsupported");
    awsconfig_free(cfg);

    /* ...but env keys beat it. */
    env_set("AWS_ACCESS_KEY_ID", "AKIDENV");
    env_set("AWS_SECRET_ACCESS_KEY", "e");
    cfg = load_ok(NULL, "role_arn with env keys");
    creds_are(cfg, "env", "AKIDENV", "e", NULL, "env beats assume-role");
    source_is(cfg, "dev", 0, AWSCONFIG_ASSUME_ROLE, "named profile: env off");
    source_is(cfg, NULL, AWSCONFIG_NO_ENV, AWSCONFIG_ASSUME_ROLE, "NO_ENV flag");
    awsconfig_free(cfg);

    scenario("[profile dev]\nrole_arn = arn:aws:iam::123456789012:role/r\n"
             "web_identity_token_file = /t\n",
             dev_creds);
    env_set("AWS_PROFILE", "dev");
    cfg = load_ok(NULL, "role_arn with token file");
    source_is(cfg, NULL, 0, AWSCONFIG_WEB_IDENTITY, "web_identity_token_file claims the profile");
    static_err(cfg, ECD_ECONFIG,
               "profile 'dev' uses web_identity_token_file (assume role with web identity), "
               "which this build does not support yet",
               "web identity unsupported");
    awsconfig_free(cfg);

    scenario(NULL, dev_creds);
    env_set("AWS_PROFILE", "dev");
    env_set("AWS_WEB_IDENTITY_TOKEN_FILE", "/var/run/token");
    cfg = load_ok(NULL, "web identity from env");
    source_is(cfg, NULL, 0, AWSCONFIG_WEB_IDENTITY, "env token file beats shared keys");
    static_err(cfg, ECD_ECONFIG,
               "AWS_WEB_IDENTITY_TOKEN_FILE is set (assume role with web identity), which this "
               "build does not support yet",
               "env web identity unsupported");
    awsconfig_free(cfg);
    cfg = load_ok("dev", "web identity env with override");
    source_is(cfg, NULL, 0, AWSCONFIG_STATIC, "override ignores env token file");
    awsconfig_free(cfg);

    scenario("[profile dev]\nweb_identity_token_file = /t\nrole_arn = r\n", dev_creds);
    env_set("AWS_PROFILE", "dev");
    env_set("AWS_WEB_IDENTITY_TOKEN_FILE", "");
    cfg = load_ok(NULL, "empty env token file");
    source_is(cfg, NULL, 0, AWSCONFIG_STATIC, "set but empty variable hides the profile's");
    awsconfig_free(cfg);

    scenario("[profile dev]\nsso_account_id = 123456789012\n", dev_creds);
    env_set("AWS_PROFILE", "dev");
    cfg = load_ok(NULL, "sso");
    source_is(cfg, NULL, 0, AWSCONFIG_SSO, "sso beats shared keys");
    awsconfig_free(cfg);

    scenario("[profile dev]\ncredential_process = /bin/creds\nlogin_session = x\n", dev_creds);
    env_set("AWS_PROFILE", "dev");
    cfg = load_ok(NULL, "process and login with shared keys");
    source_is(cfg, NULL, 0, AWSCONFIG_STATIC, "shared keys beat login and process");
    awsconfig_free(cfg);

    scenario("[profile dev]\ncredential_process = /bin/creds\n"
             "aws_access_key_id = AKIDCONF\naws_secret_access_key = c\n",
             NULL);
    env_set("AWS_PROFILE", "dev");
    cfg = load_ok(NULL, "process with config keys");
    source_is(cfg, NULL, 0, AWSCONFIG_PROCESS, "process beats config-file keys");
    static_err(cfg, ECD_ECONFIG,
               "profile 'dev' uses credential_process, which this build does not support yet",
               "process unsupported");
    awsconfig_free(cfg);

    scenario("[profile dev]\nlogin_session = arn\ncredential_process = /bin/creds\n", NULL);
    env_set("AWS_PROFILE", "dev");
    cfg = load_ok(NULL, "login");
    source_is(cfg, NULL, 0, AWSCONFIG_LOGIN, "login before process");
    awsconfig_free(cfg);

    /* role_arn in the credentials file counts too (settings are merged). */
    scenario(NULL, "[dev]\nrole_arn = r\naws_access_key_id = A\naws_secret_access_key = s\n");
    env_set("AWS_PROFILE", "dev");
    cfg = load_ok(NULL, "role_arn in credentials file");
    source_is(cfg, NULL, 0, AWSCONFIG_ASSUME_ROLE, "role_arn from the credentials file");
    awsconfig_free(cfg);
}

static void test_region(void)
{
    struct awsconfig *cfg;

    scenario("[default]\nregion = eu-central-1\n[profile n]\nregion =\n  x = y\n", NULL);
    env_set("AWS_DEFAULT_REGION", "us-east-2");
    env_set("AWS_REGION", "ap-northeast-1");
    cfg = load_ok(NULL, "region everywhere");
    region_is(cfg, "ap-northeast-1", "AWS_REGION first");
    awsconfig_free(cfg);

    env_set("AWS_REGION", "");
    cfg = load_ok(NULL, "empty AWS_REGION");
    region_is(cfg, "us-east-2", "then AWS_DEFAULT_REGION");
    awsconfig_free(cfg);

    env_set("AWS_DEFAULT_REGION", "");
    cfg = load_ok(NULL, "empty region variables");
    region_is(cfg, "eu-central-1", "then the profile");
    awsconfig_free(cfg);

    scenario("[default]\nregion = eu-central-1\n[profile n]\nregion =\n  x = y\n", NULL);
    env_set("AWS_PROFILE", "n");
    cfg = load_ok(NULL, "nested region");
    if (cfg) {
        char *r = NULL;
        enum ecd_status st;
        const char *err;

        capture_begin();
        st = awsconfig_region(cfg, &r);
        err = capture_end();
        tap_ok(st == ECD_ECONFIG && !r, "nested region rejected");
        tap_str_eq(err,
                   "ecr-credd: error: profile 'n': region (line 4) is a nested block; expected a "
                   "single value\n",
                   "nested region message");
        tap_ok(awsconfig_get(cfg, NULL, "region") == NULL && awsconfig_lookup(cfg, NULL, "region"),
               "awsconfig_get hides nested blocks, awsconfig_lookup shows them");
    }
    awsconfig_free(cfg);
}

/* awsconfig_endpoint() for `service`: the URL (NULL: none), the flags, or (want_msg
 * set) ECD_ECONFIG with exactly that logged line (after "<home>/.aws/"). */
static void endpoint_is(struct awsconfig *cfg, const char *service, const char *want_url,
                        int want_fips, int want_dual, const char *want_msg, const char *what)
{
    struct awsconfig_endpoint ep;
    char line[4096];
    enum ecd_status st;
    const char *err;

    if (!cfg) {
        tap_ok(0, "%s: no config", what);
        return;
    }
    capture_begin();
    st = awsconfig_endpoint(cfg, service, &ep);
    err = capture_end();
    if (want_msg) {
        snprintf(line, sizeof(line), "ecr-credd: error: %s/.aws/%s\n", home, want_msg);
        tap_ok(st == ECD_ECONFIG && !ep.url, "%s: refused", what);
        tap_str_eq(err, line, "%s: message", what);
    } else if (tap_ok(st == ECD_OK, "%s: resolves", what)) {
        if (want_url)
            tap_str_eq(ep.url, want_url, "%s: url", what);
        else
            tap_ok(!ep.url, "%s: no configured url (got %s)", what, ep.url ? ep.url : "none");
        tap_ok(ep.fips == want_fips && ep.dualstack == want_dual, "%s: fips %d dualstack %d", what,
               want_fips, want_dual);
    } else {
        tap_diag("status %d, log: %s", st, err);
    }
    awsconfig_endpoint_clear(&ep);
}

static void test_endpoints(void)
{
    static const char svc[] = "[services corp]\n"
                              "ecr =\n  endpoint_url = http://ecr.corp\n"
                              "ecr_public =\n  endpoint_url = http://pub.corp\n"
                              "STS =\n  region = x\n  endpoint_url = http://sts.corp\n";
    char text[2048], msg[3000];
    struct awsconfig *cfg;

    snprintf(text, sizeof(text), "[default]\nservices = corp\nendpoint_url = http://all\n%s", svc);
    scenario(text, NULL);
    cfg = load_ok(NULL, "services");
    endpoint_is(cfg, "ecr", "http://ecr.corp", 0, 0, NULL, "services: ecr");
    endpoint_is(cfg, "ecr-public", "http://pub.corp", 0, 0, NULL, "services: ecr-public");
    endpoint_is(cfg, "sts", "http://sts.corp", 0, 0, NULL, "services: sts, key in upper case");
    awsconfig_free(cfg);

    scenario("[default]\nservices = corp\nendpoint_url = http://all\n"
             "[services corp]\necr =\n  endpoint_url = http://ecr.corp\n",
             NULL);
    cfg = load_ok(NULL, "services without sts");
    endpoint_is(cfg, "sts", "http://all", 0, 0, NULL, "services: not listed, profile endpoint_url");
    if (cfg) {
        struct awsconfig_endpoint ep;

        tap_ok(awsconfig_endpoint(cfg, "s3", &ep) == ECD_EINVAL && !ep.url,
               "a service ecr-credd does not call: ECD_EINVAL");
    }
    awsconfig_free(cfg);
    scenario(text, NULL);

    env_set("AWS_ENDPOINT_URL", "http://env-all");
    env_set("AWS_ENDPOINT_URL_ECR_PUBLIC", "http://env-pub");
    cfg = load_ok(NULL, "env");
    endpoint_is(cfg, "ecr_public", "http://env-pub", 0, 0, NULL, "env: service variable first");
    endpoint_is(cfg, "ecr", "http://env-all", 0, 0, NULL, "env: then AWS_ENDPOINT_URL");
    awsconfig_free(cfg);
    env_set("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "True");
    env_set("AWS_USE_FIPS_ENDPOINT", "TRUE");
    cfg = load_ok(NULL, "ignore in env");
    endpoint_is(cfg, "ecr", NULL, 1, 0, NULL, "ignore in env: nothing configured");
    awsconfig_free(cfg);

    snprintf(text, sizeof(text),
             "[default]\nservices = corp\nignore_configured_endpoint_urls = true\n"
             "use_dualstack_endpoint = true\n%s",
             svc);
    scenario(text, NULL);
    cfg = load_ok(NULL, "ignore in profile");
    endpoint_is(cfg, "ecr", NULL, 0, 1, NULL, "ignore in profile: nothing configured");
    awsconfig_free(cfg);
    env_set("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "no");
    cfg = load_ok(NULL, "ignore false in env");
    endpoint_is(cfg, "ecr", "http://ecr.corp", 0, 1, NULL, "env false beats profile true");
    awsconfig_free(cfg);

    scenario("[default]\nservices = nope\n[services corp]\nx = y\n", NULL);
    cfg = load_ok(NULL, "missing section");
    snprintf(msg, sizeof(msg),
             "config:2: profile 'default': services = nope, but %s/.aws/config has no "
             "[services nope] section",
             home);
    endpoint_is(cfg, "ecr", NULL, 0, 0, msg, "missing section");
    awsconfig_free(cfg);
    env_set("AWS_ENDPOINT_URL_ECR", "http://env-ecr");
    cfg = load_ok(NULL, "missing section, env set");
    endpoint_is(cfg, "ecr", "http://env-ecr", 0, 0, NULL, "missing section not looked at");
    awsconfig_free(cfg);

    scenario("[default]\nservices = corp\n[services corp]\n", NULL);
    cfg = load_ok(NULL, "empty section");
    snprintf(msg, sizeof(msg),
             "config:2: profile 'default': services = corp, but %s/.aws/config has no "
             "[services corp] section with settings",
             home);
    endpoint_is(cfg, "sts", NULL, 0, 0, msg, "empty section");
    awsconfig_free(cfg);

    scenario("[default]\nservices = corp\n[services corp]\necr = http://x\n", NULL);
    cfg = load_ok(NULL, "single value");
    endpoint_is(cfg, "ecr", NULL, 0, 0,
                "config:4: [services corp]: ecr is a single value; expected a nested block "
                "(\"ecr =\" followed by an indented \"endpoint_url = URL\")",
                "single value");
    endpoint_is(cfg, "sts", NULL, 0, 0, NULL, "single value of another service: ignored");
    awsconfig_free(cfg);

    scenario("[default]\nendpoint_url =\n  a = b\n", NULL);
    cfg = load_ok(NULL, "nested endpoint_url");
    endpoint_is(cfg, "sts", NULL, 0, 0,
                "config:2: profile 'default': endpoint_url is a nested block; expected a URL",
                "nested endpoint_url");
    awsconfig_free(cfg);
}

int main(void)
{
    const char *base = getenv("ECD_TEST_BUILDDIR");
    char aws[1100], cmd[1200];

    snprintf(home, sizeof(home), "%s/test-awsconfig-XXXXXX", base ? base : "/tmp");
    if (!mkdtemp(home)) {
        perror("mkdtemp");
        return 2;
    }
    snprintf(aws, sizeof(aws), "%s/.aws", home);
    mkdir(aws, 0700);
    snprintf(cfg_path, sizeof(cfg_path), "%s/config", aws);
    snprintf(cred_path, sizeof(cred_path), "%s/credentials", aws);

    test_nothing();
    test_env();
    test_expiration();
    test_profile_selection();
    test_files();
    test_paths();
    test_chain_order();
    test_region();
    test_endpoints();

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", home);
    if (system(cmd) != 0)
        tap_diag("could not remove %s", home);
    return tap_done();
}
