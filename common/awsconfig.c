/* SPDX-License-Identifier: MIT */
/* Environment and shared-file part of the AWS credential chain; see awsconfig.h.  The
 * botocore functions each step follows are named where it matters: Session.full_config
 * and get_scoped_config() (session.py), build_profile_map() (configloader.py),
 * create_credential_resolver() and the providers (credentials.py). */
#include "awsconfig.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "log.h"

struct awsconfig {
    awsconfig_getenv_fn *getenv_fn; /* borrowed; outlives cfg */
    char *profile;                  /* owned; botocore's session profile, "default" if unnamed */
    int named;                      /* 1 when profile was named (override or variable) */
    const char *named_by;           /* static text for messages: where the name came from */
    int env_on;                     /* 0 after a profile override: no env credentials */
    char *config_path;              /* owned; expanded; NULL: AWS_CONFIG_FILE set but empty */
    char *credentials_path;         /* owned; same for AWS_SHARED_CREDENTIALS_FILE */
    struct ini *config;             /* owned; NULL: no file */
    struct ini *credentials;        /* owned; NULL: no file */
};

static const char *process_getenv(const char *name)
{
    return getenv(name);
}

/* The name botocore's credential providers use: create_credential_resolver() takes
 * `session profile or 'default'`, so an empty name becomes "default" there, while
 * get_scoped_config() (region, existence) keeps the empty name. */
static const char *cred_profile(const struct awsconfig *cfg)
{
    return cfg->profile[0] ? cfg->profile : "default";
}

static const char *path_text(const char *path)
{
    return path ? path : "(none: variable set but empty)";
}

/* ---- profile naming -------------------------------------------------------------- */

static int shlex_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Does shlex.split(s) (POSIX mode, no comments) give exactly two words, the second
 * equal to `want`?  The words are compared as they are produced, so this needs no
 * memory.  An unclosed quote or a trailing backslash is a ValueError, which botocore's
 * _parse_section() turns into "not a profile". */
static int shlex_second_word_is(const char *s, const char *want)
{
    char state = ' ', esc_from = ' ';
    int words = 0, quoted = 0, has_chars = 0, match = 0, mismatch = 0;
    size_t pos = 0;

    for (;;) {
        char c = *s;
        int eof = c == '\0', emit = 0, n_out = 0;
        char out[2];

        if (!eof)
            s++;
        switch (state) {
        case ' ':
            if (eof)
                return words == 2 && match;
            if (shlex_space(c))
                continue;
            if (c == '\\') {
                esc_from = 'a';
                state = '\\';
            } else if (c == '\'' || c == '"') {
                state = c;
            } else {
                out[n_out++] = c;
                state = 'a';
            }
            break;
        case '\'':
        case '"':
            quoted = 1;
            if (eof)
                return 0; /* "No closing quotation" */
            if (c == state)
                state = 'a';
            else if (c == '\\' && state == '"') {
                esc_from = state;
                state = '\\';
            } else {
                out[n_out++] = c;
            }
            break;
        case '\\':
            if (eof)
                return 0; /* "No escaped character" */
            /* Inside double quotes only \\ and \" are escapes; the backslash stays. */
            if (esc_from == '"' && c != '\\' && c != '"')
                out[n_out++] = '\\';
            out[n_out++] = c;
            state = esc_from;
            break;
        default: /* 'a': inside a word */
            if (eof || shlex_space(c)) {
                emit = 1;
                state = ' ';
            } else if (c == '\'' || c == '"') {
                state = c;
            } else if (c == '\\') {
                esc_from = 'a';
                state = '\\';
            } else {
                out[n_out++] = c;
            }
            break;
        }
        for (int i = 0; i < n_out; i++) {
            has_chars = 1;
            if (words == 1 && !mismatch && want[pos] == out[i])
                pos++;
            else if (words == 1)
                mismatch = 1;
        }
        if (emit && (has_chars || quoted)) {
            if (words == 1)
                match = !mismatch && want[pos] == '\0';
            if (++words > 2)
                return 0;
            has_chars = quoted = 0;
        }
        if (eof)
            return words == 2 && match;
    }
}

/* The config-file section that defines `profile` (build_profile_map()): [default] for
 * "default", and any section whose name starts with "profile" and splits into exactly
 * two shell words, the second being the profile name.  Sections are walked in file
 * order and a later one replaces an earlier one whole (a dict assignment). */
static const struct ini_section *config_section(const struct awsconfig *cfg, const char *profile)
{
    const struct ini_section *found = NULL;

    for (size_t i = 0; cfg->config && i < cfg->config->n_sections; i++) {
        const char *name = cfg->config->sections[i].name;

        if (strncmp(name, "profile", 7) == 0) {
            if (shlex_second_word_is(name, profile))
                found = &cfg->config->sections[i];
        } else if (strcmp(name, "default") == 0 && strcmp(profile, "default") == 0) {
            found = &cfg->config->sections[i];
        }
    }
    return found;
}

int awsconfig_has_profile(const struct awsconfig *cfg, const char *profile)
{
    return ini_find_section(cfg->credentials, profile) != NULL ||
           config_section(cfg, profile) != NULL;
}

/* Session.full_config: the credentials-file section (with its [DEFAULT]) updates the
 * config-file profile (with that file's [DEFAULT]). */
static const struct ini_option *merged_lookup(const struct awsconfig *cfg, const char *profile,
                                              const char *key)
{
    const struct ini_section *s = ini_find_section(cfg->credentials, profile);
    const struct ini_option *o = s ? ini_lookup(cfg->credentials, s, key) : NULL;

    if (o)
        return o;
    s = config_section(cfg, profile);
    return s ? ini_lookup(cfg->config, s, key) : NULL;
}

const struct ini_option *awsconfig_lookup(const struct awsconfig *cfg, const char *profile,
                                          const char *key)
{
    return merged_lookup(cfg, profile ? profile : cred_profile(cfg), key);
}

const char *awsconfig_get(const struct awsconfig *cfg, const char *profile, const char *key)
{
    const struct ini_option *o = awsconfig_lookup(cfg, profile, key);

    return o && !o->sub ? o->value : NULL;
}

/* ---- loading --------------------------------------------------------------------- */

/* A file location variable: unset means the default, set but empty means no file
 * (botocore then looks for a file called "" and finds none). */
static enum ecd_status file_path(struct awsconfig *cfg, const char *var, const char *dflt,
                                 char **out)
{
    const char *v = cfg->getenv_fn(var);

    *out = NULL;
    if (v && !*v)
        return ECD_OK;
    return ini_expand_path(v ? v : dflt, cfg->getenv_fn, out);
}

enum ecd_status awsconfig_load(awsconfig_getenv_fn *getenv_fn, const char *profile_override,
                               struct awsconfig **out)
{
    struct awsconfig *cfg = calloc(1, sizeof(*cfg));
    const char *name = "default";
    enum ecd_status st;

    *out = NULL;
    if (!cfg)
        return ECD_ENOMEM;
    cfg->getenv_fn = getenv_fn ? getenv_fn : process_getenv;
    cfg->env_on = 1;
    /* Session variable "profile": the instance value, then AWS_DEFAULT_PROFILE, then
     * AWS_PROFILE; a set but empty variable still counts as set. */
    if (profile_override) {
        name = profile_override;
        cfg->named_by = "the configuration";
        /* create_credential_resolver(): "An explicitly provided profile will negate an
         * EnvProvider." */
        cfg->env_on = 0;
    } else if (cfg->getenv_fn("AWS_DEFAULT_PROFILE")) {
        name = cfg->getenv_fn("AWS_DEFAULT_PROFILE");
        cfg->named_by = "AWS_DEFAULT_PROFILE";
    } else if (cfg->getenv_fn("AWS_PROFILE")) {
        name = cfg->getenv_fn("AWS_PROFILE");
        cfg->named_by = "AWS_PROFILE";
    }
    cfg->named = cfg->named_by != NULL;
    st = ECD_ENOMEM;
    if (!(cfg->profile = strdup(name)))
        goto fail;
    st = file_path(cfg, "AWS_CONFIG_FILE", "~/.aws/config", &cfg->config_path);
    if (!st)
        st = file_path(cfg, "AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials",
                       &cfg->credentials_path);
    /* Both files are parsed up front, as botocore does when it builds the chain: a
     * broken file fails every lookup, even when env credentials are set. */
    if (!st && cfg->config_path)
        st = ini_load(cfg->config_path, &cfg->config);
    if (!st && cfg->credentials_path)
        st = ini_load(cfg->credentials_path, &cfg->credentials);
    if (st)
        goto fail;
    /* get_scoped_config(): a named profile must exist, even "default", and this comes
     * before any provider runs (so also before env credentials). */
    if (cfg->named && !awsconfig_has_profile(cfg, cfg->profile)) {
        log_error("profile '%s' (from %s) not found in %s or %s", cfg->profile, cfg->named_by,
                  path_text(cfg->config_path), path_text(cfg->credentials_path));
        st = ECD_ECONFIG;
        goto fail;
    }
    log_debug("aws profile '%s'%s%s, config %s, credentials %s", cfg->profile,
              cfg->named ? " from " : "", cfg->named ? cfg->named_by : "",
              path_text(cfg->config_path), path_text(cfg->credentials_path));
    *out = cfg;
    return ECD_OK;
fail:
    awsconfig_free(cfg);
    return st;
}

void awsconfig_free(struct awsconfig *cfg)
{
    if (!cfg)
        return;
    free(cfg->profile);
    free(cfg->config_path);
    free(cfg->credentials_path);
    ini_free(cfg->config);
    ini_free(cfg->credentials);
    free(cfg);
}

const char *awsconfig_profile(const struct awsconfig *cfg)
{
    return cfg->profile;
}

const char *awsconfig_config_file(const struct awsconfig *cfg)
{
    return cfg->config_path;
}

const char *awsconfig_credentials_file(const struct awsconfig *cfg)
{
    return cfg->credentials_path;
}

/* ---- static keys ----------------------------------------------------------------- */

static int parse_digits(const char **p, int n, int *out)
{
    int v = 0;

    for (int i = 0; i < n; i++) {
        if ((*p)[i] < '0' || (*p)[i] > '9')
            return 0;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return 1;
}

/* See awsconfig.h.  botocore accepts whatever dateutil parses, but a time without a
 * zone breaks it later (naive minus aware datetime), so that is refused. */
int awsconfig_parse_time(const char *s, time_t *out)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    struct tm tm = {0};
    int y, mo, d, h, mi, sec = 0, zh = 0, zm = 0, sign = 0;
    const char *p = s;

    if (!parse_digits(&p, 4, &y) || *p++ != '-' || !parse_digits(&p, 2, &mo) || *p++ != '-' ||
        !parse_digits(&p, 2, &d) || (*p != 'T' && *p != 't' && *p != ' '))
        return 0;
    p++;
    if (!parse_digits(&p, 2, &h) || *p++ != ':' || !parse_digits(&p, 2, &mi))
        return 0;
    if (*p == ':') {
        p++;
        if (!parse_digits(&p, 2, &sec))
            return 0;
        if (*p == '.' || *p == ',') {
            p++;
            if (*p < '0' || *p > '9')
                return 0;
            while (*p >= '0' && *p <= '9')
                p++;
        }
    }
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        sign = *p++ == '-' ? -1 : 1;
        if (!parse_digits(&p, 2, &zh))
            return 0;
        if (*p == ':')
            p++;
        if (*p && !parse_digits(&p, 2, &zm))
            return 0;
    } else {
        return 0;
    }
    if (*p || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || sec > 59 ||
        zh > 23 || zm > 59)
        return 0;
    if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 0;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    *out = timegm(&tm) - (time_t)sign * (zh * 3600 + zm * 60);
    return 1;
}

static enum ecd_status fill(struct aws_credentials *out, const char *method, const char *key_id,
                            const char *secret, const char *token, time_t expiration)
{
    struct aws_credentials c = {0};

    c.expiration = expiration;
    if (!(c.access_key_id = strdup(key_id)) || !(c.provider = strdup(method)) ||
        secret_set(&c.secret_key, secret, strlen(secret)) ||
        (token && *token && secret_set(&c.session_token, token, strlen(token)))) {
        aws_credentials_clear(&c);
        return ECD_ENOMEM;
    }
    aws_credentials_clear(out);
    *out = c;
    return ECD_OK;
}

/* EnvProvider: AWS_ACCESS_KEY_ID non-empty selects it; then AWS_SECRET_ACCESS_KEY must
 * be non-empty; the token is the first non-empty of AWS_SECURITY_TOKEN (legacy, checked
 * first) and AWS_SESSION_TOKEN. */
static enum ecd_status env_keys(const struct awsconfig *cfg, struct aws_credentials *out,
                                int *found)
{
    const char *ak = cfg->getenv_fn("AWS_ACCESS_KEY_ID");
    const char *sk = cfg->getenv_fn("AWS_SECRET_ACCESS_KEY");
    const char *tok = cfg->getenv_fn("AWS_SECURITY_TOKEN");
    const char *exp = cfg->getenv_fn("AWS_CREDENTIAL_EXPIRATION");
    time_t when = 0;

    *found = 0;
    if (!ak || !*ak)
        return ECD_OK;
    if (!sk || !*sk) {
        log_error("environment: AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is missing "
                  "or empty (partial credentials)");
        return ECD_ECONFIG;
    }
    if (!tok || !*tok)
        tok = cfg->getenv_fn("AWS_SESSION_TOKEN");
    if (exp && *exp && !awsconfig_parse_time(exp, &when)) {
        log_error("environment: AWS_CREDENTIAL_EXPIRATION: expected an ISO 8601 time with a "
                  "zone, like 2024-01-15T13:00:00Z");
        return ECD_ECONFIG;
    }
    *found = 1;
    return fill(out, "env", ak, sk, tok, when);
}

/* A value where one string belongs; a nested block there is refused. */
static enum ecd_status plain(const struct ini *ini, const char *profile, const struct ini_option *o,
                             const char **out)
{
    *out = NULL;
    if (!o)
        return ECD_OK;
    if (o->sub) {
        log_error("%s:%u: profile '%s': %s is a nested block; expected a single value", ini->name,
                  o->line, profile, o->key);
        return ECD_ECONFIG;
    }
    *out = o->value;
    return ECD_OK;
}

/* SharedCredentialProvider and ConfigProvider: aws_access_key_id present (even empty)
 * selects the provider; then aws_secret_access_key must be present; the token is the
 * first present of aws_security_token and aws_session_token (an empty one means none). */
static enum ecd_status file_keys(const struct ini *ini, const struct ini_section *sec,
                                 const char *profile, const char *method,
                                 struct aws_credentials *out)
{
    const struct ini_option *tok_opt = ini_lookup(ini, sec, "aws_security_token");
    const char *ak, *sk, *tok;
    enum ecd_status st;

    if (!tok_opt)
        tok_opt = ini_lookup(ini, sec, "aws_session_token");
    if ((st = plain(ini, profile, ini_lookup(ini, sec, "aws_access_key_id"), &ak)) ||
        (st = plain(ini, profile, ini_lookup(ini, sec, "aws_secret_access_key"), &sk)) ||
        (st = plain(ini, profile, tok_opt, &tok)))
        return st;
    if (!sk) {
        log_error("%s: profile '%s' has aws_access_key_id but no aws_secret_access_key "
                  "(partial credentials)",
                  ini->name, profile);
        return ECD_ECONFIG;
    }
    return fill(out, method, ak, sk, tok, 0);
}

enum ecd_status awsconfig_credentials(const struct awsconfig *cfg, const char *profile,
                                      unsigned flags, struct aws_credentials *out,
                                      enum awsconfig_source *source)
{
    const char *name = profile ? profile : cred_profile(cfg);
    int env_on = !profile && cfg->env_on && !(flags & AWSCONFIG_NO_ENV);
    const struct ini_section *sec;
    const struct ini_option *o;
    const char *token_file = NULL;
    enum ecd_status st;
    int found;

    aws_credentials_clear(out);
    *source = AWSCONFIG_NONE;
    if (flags & AWSCONFIG_ENV_ONLY) {
        st = env_keys(cfg, out, &found);
        *source = !st && found ? AWSCONFIG_STATIC : AWSCONFIG_NONE;
        return st;
    }
    if (env_on) {
        st = env_keys(cfg, out, &found);
        if (st || found) {
            *source = found ? AWSCONFIG_STATIC : AWSCONFIG_NONE;
            return st;
        }
    }
    /* AssumeRoleProvider: role_arn, unless web_identity_token_file claims the profile. */
    if (!(flags & AWSCONFIG_NO_ASSUME_ROLE) && merged_lookup(cfg, name, "role_arn") &&
        !merged_lookup(cfg, name, "web_identity_token_file")) {
        *source = AWSCONFIG_ASSUME_ROLE;
        return ECD_OK;
    }
    /* AssumeRoleWithWebIdentityProvider: the variable when set (even empty, which then
     * hides the profile's setting), else the profile's; empty means not configured. */
    if (env_on && cfg->getenv_fn("AWS_WEB_IDENTITY_TOKEN_FILE"))
        token_file = cfg->getenv_fn("AWS_WEB_IDENTITY_TOKEN_FILE");
    else if ((o = merged_lookup(cfg, name, "web_identity_token_file")) != NULL)
        token_file = o->sub ? "(nested block)" : o->value;
    if (token_file && *token_file) {
        *source = AWSCONFIG_WEB_IDENTITY;
        return ECD_OK;
    }
    if (merged_lookup(cfg, name, "sso_account_id") || merged_lookup(cfg, name, "sso_role_name")) {
        *source = AWSCONFIG_SSO;
        return ECD_OK;
    }
    sec = ini_find_section(cfg->credentials, name);
    if (sec && ini_lookup(cfg->credentials, sec, "aws_access_key_id")) {
        st = file_keys(cfg->credentials, sec, name, "shared-credentials-file", out);
        *source = st ? AWSCONFIG_NONE : AWSCONFIG_STATIC;
        return st;
    }
    if (merged_lookup(cfg, name, "login_session")) {
        *source = AWSCONFIG_LOGIN;
        return ECD_OK;
    }
    if (merged_lookup(cfg, name, "credential_process")) {
        *source = AWSCONFIG_PROCESS;
        return ECD_OK;
    }
    sec = config_section(cfg, name);
    if (sec && ini_lookup(cfg->config, sec, "aws_access_key_id")) {
        st = file_keys(cfg->config, sec, name, "config-file", out);
        *source = st ? AWSCONFIG_NONE : AWSCONFIG_STATIC;
        return st;
    }
    return ECD_OK;
}

enum ecd_status awsconfig_static_credentials(const struct awsconfig *cfg,
                                             struct aws_credentials *out)
{
    enum awsconfig_source src;
    enum ecd_status st = awsconfig_credentials(cfg, NULL, 0, out, &src);
    const char *name = cred_profile(cfg);

    if (st)
        return st;
    switch (src) {
    case AWSCONFIG_STATIC:
        log_debug("aws credentials from %s (key id %s)", out->provider, out->access_key_id);
        return ECD_OK;
    case AWSCONFIG_NONE:
        log_error("no AWS credentials: none in the environment%s, and profile '%s' has no "
                  "aws_access_key_id in %s or %s",
                  cfg->env_on ? "" : " (not used: a profile was configured)", name,
                  path_text(cfg->credentials_path), path_text(cfg->config_path));
        return ECD_EAUTH;
    case AWSCONFIG_ASSUME_ROLE:
        log_error("profile '%s' uses role_arn (assume role), which this build does not support "
                  "yet",
                  name);
        break;
    case AWSCONFIG_WEB_IDENTITY:
        if (cfg->env_on && cfg->getenv_fn("AWS_WEB_IDENTITY_TOKEN_FILE"))
            log_error("AWS_WEB_IDENTITY_TOKEN_FILE is set (assume role with web identity), "
                      "which this build does not support yet");
        else
            log_error("profile '%s' uses web_identity_token_file (assume role with web "
                      "identity), which this build does not support yet",
                      name);
        break;
    case AWSCONFIG_SSO:
        log_error("profile '%s' uses sso_account_id/sso_role_name (IAM Identity Center), which "
                  "this build does not support yet",
                  name);
        break;
    case AWSCONFIG_LOGIN:
        log_error("profile '%s' uses login_session (aws login), which this build does not "
                  "support yet",
                  name);
        break;
    case AWSCONFIG_PROCESS:
        log_error("profile '%s' uses credential_process, which this build does not support yet",
                  name);
        break;
    case AWSCONFIG_SOURCE_COUNT_:
        break;
    }
    return ECD_ECONFIG;
}

enum ecd_status awsconfig_region(const struct awsconfig *cfg, char **out)
{
    const char *v = cfg->getenv_fn("AWS_REGION");
    const struct ini_option *o;
    const char *from = "AWS_REGION";

    *out = NULL;
    if (!v || !*v) {
        v = cfg->getenv_fn("AWS_DEFAULT_REGION");
        from = "AWS_DEFAULT_REGION";
    }
    if (!v || !*v) {
        /* get_scoped_config() uses the session profile as named, even an empty name. */
        o = merged_lookup(cfg, cfg->profile, "region");
        v = NULL;
        if (o && o->sub) {
            log_error("profile '%s': region (line %u) is a nested block; expected a single "
                      "value",
                      cfg->profile, o->line);
            return ECD_ECONFIG;
        }
        if (o)
            v = o->value;
        from = "the profile";
    }
    if (!v || !*v)
        return ECD_OK;
    log_debug("aws region %s from %s", v, from);
    *out = strdup(v);
    return *out ? ECD_OK : ECD_ENOMEM;
}

/* ---- settings and configured endpoints -------------------------------------------- */

/* merged_lookup() for the session profile (get_scoped_config(): the name as given),
 * also saying which file holds the option. */
static const struct ini_option *scoped_lookup(const struct awsconfig *cfg, const char *key,
                                              const struct ini **in)
{
    const struct ini_section *s = ini_find_section(cfg->credentials, cfg->profile);
    const struct ini_option *o = s ? ini_lookup(cfg->credentials, s, key) : NULL;

    *in = cfg->credentials;
    if (o)
        return o;
    s = config_section(cfg, cfg->profile);
    *in = cfg->config;
    return s ? ini_lookup(cfg->config, s, key) : NULL;
}

const char *awsconfig_setting(const struct awsconfig *cfg, const char *env, const char *key)
{
    const char *v = env ? cfg->getenv_fn(env) : NULL;
    const struct ini_option *o;
    const struct ini *in;

    /* botocore's EnvironmentProvider: `name in os.environ`, so an empty value counts. */
    if (v)
        return v;
    o = scoped_lookup(cfg, key, &in);
    return o && !o->sub ? o->value : NULL;
}

int awsconfig_setting_true(const struct awsconfig *cfg, const char *env, const char *key)
{
    const char *v = awsconfig_setting(cfg, env, key);

    return v && !strcasecmp(v, "true");
}

/* The config-file section [services NAME] (build_profile_map(): a section whose name
 * starts with "services" and splits into two shell words; the later one wins). */
static const struct ini_section *services_section(const struct awsconfig *cfg, const char *name)
{
    const struct ini_section *found = NULL;

    for (size_t i = 0; cfg->config && i < cfg->config->n_sections; i++) {
        const char *sec = cfg->config->sections[i].name;

        if (strncmp(sec, "services", 8) == 0 && shlex_second_word_is(sec, name))
            found = &cfg->config->sections[i];
    }
    return found;
}

/* Step 3 of awsconfig_endpoint(): the profile's services section.  *url is borrowed
 * from cfg; NULL when the section has no endpoint_url for the service. */
static enum ecd_status services_endpoint(const struct awsconfig *cfg, const char *key,
                                         const char **url, struct awsconfig_endpoint *out)
{
    const struct ini *in;
    const struct ini_option *o = scoped_lookup(cfg, "services", &in), *svc;
    const struct ini_section *sec;
    const char *v = NULL;

    *url = NULL;
    if (!o)
        return ECD_OK;
    if (o->sub) {
        log_error("%s:%u: profile '%s': services is a nested block; expected the name of a "
                  "[services NAME] section",
                  in->name, o->line, cfg->profile);
        return ECD_ECONFIG;
    }
    /* _get_services_config(): a missing section and one without settings are both
     * InvalidConfigError ("the services configuration does not exist"). */
    sec = services_section(cfg, o->value);
    if (!sec || (sec->n_opts == 0 && cfg->config->defaults.n_opts == 0)) {
        log_error("%s:%u: profile '%s': services = %s, but %s has no [services %s] section%s",
                  in->name, o->line, cfg->profile, o->value, path_text(cfg->config_path), o->value,
                  sec ? " with settings" : "");
        return ECD_ECONFIG;
    }
    svc = ini_lookup(cfg->config, sec, key);
    if (!svc)
        return ECD_OK;
    if (!svc->sub) {
        /* botocore fails here too (a str has no .get()). */
        log_error("%s:%u: [services %s]: %s is a single value; expected a nested block "
                  "(\"%s =\" followed by an indented \"endpoint_url = URL\")",
                  cfg->config->name, svc->line, o->value, key, key);
        return ECD_ECONFIG;
    }
    /* _parse_nested() builds a dict: of two endpoint_url lines the later one wins. */
    for (size_t i = 0; i < svc->n_sub; i++)
        if (!strcmp(svc->sub[i].key, "endpoint_url"))
            v = svc->sub[i].value;
    if (v && *v) {
        snprintf(out->from, sizeof(out->from), "%s.endpoint_url in [services %s] (%s:%u)", key,
                 o->value, cfg->config->name, svc->line);
        *url = v;
    }
    return ECD_OK;
}

enum ecd_status awsconfig_endpoint(const struct awsconfig *cfg, const char *service_id,
                                   struct awsconfig_endpoint *out)
{
    /* botocore's snake-case service ids (hyphens become '_'), with their variables: the
     * upper-case id after AWS_ENDPOINT_URL_; the services key is the id itself. */
    static const struct {
        const char *id, *var;
    } services[] = {
        {"sts", "AWS_ENDPOINT_URL_STS"},
        {"ecr", "AWS_ENDPOINT_URL_ECR"},
        {"ecr_public", "AWS_ENDPOINT_URL_ECR_PUBLIC"},
    };
    const char *url = NULL, *var = NULL, *key = NULL;
    const struct ini_option *o;
    const struct ini *in;
    enum ecd_status st;

    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < sizeof(services) / sizeof(services[0]) && !key; i++) {
        const char *a = services[i].id, *b = service_id;

        while (*a && (*a == *b || (*a == '_' && *b == '-'))) {
            a++;
            b++;
        }
        if (!*a && !*b) {
            key = services[i].id;
            var = services[i].var;
        }
    }
    if (!key)
        return ECD_EINVAL;
    out->fips = awsconfig_setting_true(cfg, "AWS_USE_FIPS_ENDPOINT", "use_fips_endpoint");
    out->dualstack =
        awsconfig_setting_true(cfg, "AWS_USE_DUALSTACK_ENDPOINT", "use_dualstack_endpoint");
    if (awsconfig_setting_true(cfg, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
                               "ignore_configured_endpoint_urls")) {
        log_debug("aws endpoint for %s: configured endpoints ignored "
                  "(AWS_IGNORE_CONFIGURED_ENDPOINT_URLS / ignore_configured_endpoint_urls)",
                  key);
        return ECD_OK;
    }
    if ((url = cfg->getenv_fn(var)) != NULL && *url) {
        snprintf(out->from, sizeof(out->from), "%s", var);
    } else if ((url = cfg->getenv_fn("AWS_ENDPOINT_URL")) != NULL && *url) {
        snprintf(out->from, sizeof(out->from), "AWS_ENDPOINT_URL");
    } else {
        if ((st = services_endpoint(cfg, key, &url, out)))
            return st;
        if (!url && (o = scoped_lookup(cfg, "endpoint_url", &in)) != NULL) {
            if (o->sub) {
                log_error("%s:%u: profile '%s': endpoint_url is a nested block; expected a URL",
                          in->name, o->line, cfg->profile);
                return ECD_ECONFIG;
            }
            if (*o->value) {
                url = o->value;
                snprintf(out->from, sizeof(out->from), "endpoint_url of profile '%s' (%s:%u)",
                         cfg->profile, in->name, o->line);
            }
        }
    }
    if (!url || !*url)
        return ECD_OK;
    if (!(out->url = strdup(url)))
        return ECD_ENOMEM;
    log_debug("aws endpoint for %s: %s from %s", key, out->url, out->from);
    return ECD_OK;
}

void awsconfig_endpoint_clear(struct awsconfig_endpoint *e)
{
    free(e->url);
    memset(e, 0, sizeof(*e));
}

const char *awsconfig_source_name(enum awsconfig_source source)
{
    static const char *const names[] = {
        [AWSCONFIG_NONE] = "none",
        [AWSCONFIG_STATIC] = "static",
        [AWSCONFIG_ASSUME_ROLE] = "assume-role",
        [AWSCONFIG_WEB_IDENTITY] = "assume-role-with-web-identity",
        [AWSCONFIG_SSO] = "sso",
        [AWSCONFIG_LOGIN] = "login",
        [AWSCONFIG_PROCESS] = "custom-process",
    };
    _Static_assert(sizeof(names) / sizeof(names[0]) == AWSCONFIG_SOURCE_COUNT_,
                   "one name per source");

    return (unsigned)source < AWSCONFIG_SOURCE_COUNT_ ? names[source] : "unknown";
}
