/* SPDX-License-Identifier: MIT */
/* ini.c: the RawConfigParser + botocore raw_config_parse() semantics, checked value by
 * value (expected values were produced with Python 3.11 configparser and botocore
 * 1.43), the exact logged line for each kind of error (stderr is captured), file
 * loading and path expansion. */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ini.h"
#include "capture.h"
#include "tap.h"

static struct ini *parse_ok(const char *text, const char *what)
{
    struct ini *ini = NULL;
    enum ecd_status st;
    const char *err;

    capture_begin();
    st = ini_parse(text, strlen(text), "t.ini", &ini);
    err = capture_end();
    if (!tap_ok(st == ECD_OK && ini, "%s: parses", what))
        tap_diag("status %d, log: %s", st, err);
    return ini;
}

/* Parse, expect ECD_ECONFIG and exactly `msg` as the one logged error line. */
static void parse_err_len(const char *text, size_t len, const char *msg, const char *what)
{
    struct ini *ini = NULL;
    char want[1024];
    enum ecd_status st;
    const char *err;

    capture_begin();
    st = ini_parse(text, len, "t.ini", &ini);
    err = capture_end();
    snprintf(want, sizeof(want), "ecr-credd: error: %s\n", msg);
    tap_ok(st == ECD_ECONFIG && !ini, "%s: rejected", what);
    tap_str_eq(err, want, "%s: message", what);
    ini_free(ini);
}

static void parse_err(const char *text, const char *msg, const char *what)
{
    parse_err_len(text, strlen(text), msg, what);
}

static const char *get(const struct ini *ini, const char *section, const char *key)
{
    const struct ini_section *s = ini_find_section(ini, section);
    const struct ini_option *o = s ? ini_lookup(ini, s, key) : NULL;

    return o ? o->value : NULL;
}

static void test_basics(void)
{
    struct ini *ini = parse_ok("# comment\n"
                               "; another\n"
                               "[default]\n"
                               "AWS_Access_Key_ID = AKIDEXAMPLE\n"
                               "aws_secret_access_key:  secret ; not a comment  \n"
                               "a: b=c\n"
                               "d=e:f\n"
                               "empty =\n"
                               "\n"
                               "[profile dev]\n"
                               "  indented_key = x\n"
                               "region=eu-west-1\n",
                               "basics");

    if (!ini)
        return;
    tap_ok(ini->n_sections == 2, "two sections");
    tap_str_eq(ini->sections[0].name, "default", "first section name");
    tap_str_eq(ini->sections[1].name, "profile dev", "second section name");
    tap_ok(ini->sections[1].line == 10, "section line number");
    tap_str_eq(get(ini, "default", "aws_access_key_id"), "AKIDEXAMPLE", "key lower-cased");
    tap_str_eq(get(ini, "default", "aws_secret_access_key"), "secret ; not a comment",
               "':' delimiter, inline ';' kept, value stripped");
    tap_str_eq(get(ini, "profile dev", "indented_key"), "x", "indented key after a header");
    tap_str_eq(get(ini, "profile dev", "region"), "eu-west-1", "key after an indented key");
    tap_str_eq(get(ini, "default", "a"), "b=c", "first delimiter ':' splits");
    tap_str_eq(get(ini, "default", "d"), "e:f", "first delimiter '=' splits");
    tap_str_eq(get(ini, "default", "empty"), "", "empty value");
    tap_ok(ini_find_section(ini, "dev") == NULL, "no section 'dev'");
    tap_ok(get(ini, "default", "AWS_ACCESS_KEY_ID") == NULL, "lookup keys are lower case");
    ini_free(ini);
}

static void test_continuation(void)
{
    const struct ini_section *s;
    const struct ini_option *o;
    struct ini *ini = parse_ok("[default]\n"
                               "s3 =\n"
                               "    addressing_style = path\n"
                               "  # a comment inside\n"
                               "\n"
                               "    signature_version=s3v4\n"
                               "    addressing_style = virtual\n"
                               "region = eu-west-1\n"
                               "    more text\n"
                               "\n"
                               "      and more\n"
                               "note = a\n"
                               "\n"
                               "\n"
                               "blank_then =\n"
                               "\n"
                               "last = 1\n",
                               "continuation");

    if (!ini)
        return;
    s = ini_find_section(ini, "default");
    o = ini_lookup(ini, s, "s3");
    tap_ok(o && o->sub && o->n_sub == 2, "nested block with two keys (repeat replaces)");
    if (o && o->n_sub == 2) {
        tap_str_eq(o->sub[0].key, "addressing_style", "nested key 1");
        tap_str_eq(o->sub[0].value, "virtual", "nested value 1, later one wins");
        tap_ok(o->sub[0].line == 3, "nested line number");
        tap_str_eq(o->sub[1].key, "signature_version", "nested key 2");
        tap_str_eq(ini_sub_get(o, "signature_version"), "s3v4", "ini_sub_get");
        tap_str_eq(o->value,
                   "\naddressing_style = path\n\nsignature_version=s3v4\naddressing_style = "
                   "virtual",
                   "raw nested value as Python joins it");
    }
    o = ini_lookup(ini, s, "region");
    tap_ok(o && !o->sub, "value with continuation lines is not nested");
    tap_str_eq(o ? o->value : NULL, "eu-west-1\nmore text\n\nand more",
               "continuation lines joined, blank line kept");
    tap_str_eq(get(ini, "default", "note"), "a", "trailing blank lines dropped");
    o = ini_lookup(ini, s, "blank_then");
    tap_ok(o && !o->sub && strcmp(o->value, "") == 0, "empty value then blank line: empty");
    tap_str_eq(get(ini, "default", "last"), "1", "key after blank lines");
    ini_free(ini);

    /* Indentation is counted in characters: U+3000 is one, though three bytes. */
    ini = parse_ok("[a]\n\xe3\x80\x80k = v\n  w\n\xe3\x80\x80j = x\n", "unicode indent");
    if (ini) {
        tap_str_eq(get(ini, "a", "k"), "v\nw", "2 spaces continue a key indented by 1 char");
        tap_str_eq(get(ini, "a", "j"), "x", "same indent: new key");
        ini_free(ini);
    }
    ini = parse_ok("[a]\n  k = v\n\xe3\x80\x80j = x\n", "unicode indent 2");
    if (ini) {
        tap_str_eq(get(ini, "a", "j"), "x", "1-char indent does not continue a 2-char key");
        ini_free(ini);
    }
    /* str.splitlines() in _parse_nested() also breaks at a form feed. */
    ini = parse_ok("[a]\nn =\n  x = 1\f y = 2\n", "form feed in nested block");
    if (ini) {
        const struct ini_option *n = ini_lookup(ini, ini_find_section(ini, "a"), "n");

        tap_ok(n && n->n_sub == 2 && strcmp(ini_sub_get(n, "y"), "2") == 0,
               "form feed splits nested pairs");
        ini_free(ini);
    }
}

static void test_headers_and_text(void)
{
    struct ini *ini;

    ini = parse_ok("[a]b]c\nk=1\n[ default ]\nk=2\n[default] # hi\nk=3\n[]]\nk=4\n", "headers");
    if (ini) {
        tap_str_eq(get(ini, "a]b", "k"), "1", "header ends at the last ']'");
        tap_str_eq(get(ini, " default ", "k"), "2", "header not stripped");
        tap_str_eq(get(ini, "default", "k"), "3", "text after ']' ignored");
        tap_str_eq(get(ini, "]", "k"), "4", "header ']'");
        ini_free(ini);
    }
    ini = parse_ok("[default]\r\nk = v\r\n  w\r\n[b]\rk = x\r", "CRLF and CR");
    if (ini) {
        tap_str_eq(get(ini, "default", "k"), "v\nw", "CRLF lines");
        tap_str_eq(get(ini, "b", "k"), "x", "CR lines");
        ini_free(ini);
    }
    ini = parse_ok("[a]\n\xc2\xa0 aws_access_\xe2\x84\xaa"
                   "ey_id \xe2\x80\x83= \xc2\xa0v\xe3\x80\x80\n",
                   "unicode whitespace and KELVIN SIGN");
    if (ini) {
        tap_str_eq(get(ini, "a", "aws_access_key_id"), "v",
                   "Unicode spaces stripped, U+212A lower-cases to 'k'");
        ini_free(ini);
    }
    ini = parse_ok("", "empty file");
    if (ini) {
        tap_ok(ini->n_sections == 0, "no sections");
        ini_free(ini);
    }
}

static void test_default_section(void)
{
    struct ini *ini = parse_ok("[DEFAULT]\nregion = r0\nk = d\n"
                               "[a]\nk = a\n"
                               "[DEFAULT]\nextra = e\n",
                               "DEFAULT");

    if (!ini)
        return;
    tap_ok(ini->n_sections == 1 && ini_find_section(ini, "DEFAULT") == NULL,
           "DEFAULT is not a section");
    tap_str_eq(get(ini, "a", "region"), "r0", "DEFAULT backs sections");
    tap_str_eq(get(ini, "a", "k"), "a", "section value beats DEFAULT");
    tap_str_eq(get(ini, "a", "extra"), "e", "repeated [DEFAULT] merges");
    tap_ok(ini_lookup(ini, NULL, "region") == NULL, "DEFAULT only reachable via a section");
    ini_free(ini);

    /* A bad nested block in [DEFAULT] only matters once a section exists. */
    ini = parse_ok("[DEFAULT]\nn =\n  novalue\n", "bad DEFAULT nested block, no sections");
    ini_free(ini);
    ini = parse_ok("[DEFAULT]\nn =\n  novalue\n[a]\nn = 1\n[b]\nn =\n  k = v\n",
                   "bad DEFAULT nested block that every section overrides");
    tap_ok(ini && strcmp(get(ini, "a", "n"), "1") == 0, "section value used");
    ini_free(ini);
    parse_err("[DEFAULT]\nn =\n  novalue\n[a]\n",
              "t.ini:3: 'n' starts a nested block (its first line is empty), so expected 'key = "
              "value' here",
              "bad DEFAULT nested block with a section");
}

static void test_errors(void)
{
    static const char big_head[] = "[a]\nk = ";
    char *big;

    parse_err("[a]\nk = 1\nthis line is garbage\n",
              "t.ini:3: expected 'key = value' or '[section]'", "garbage line");
    parse_err("k = 1\n[a]\n", "t.ini:1: expected a '[section]' header before the first key",
              "key before any section");
    parse_err("\xef\xbb\xbf[a]\nk = 1\n",
              "t.ini:1: expected a '[section]' header before the first key",
              "UTF-8 BOM (Python keeps it as text)");
    parse_err("[a]\nk = 1\n[b]\n[a]\n", "t.ini:4: duplicate section [a] (first at line 1)",
              "duplicate section");
    parse_err("[a]\nKey = 1\n\nkey: 2\n", "t.ini:4: duplicate key 'key' in [a] (first at line 2)",
              "duplicate key, case-insensitive");
    parse_err("[DEFAULT]\nk = 1\n[DEFAULT]\nk = 2\n",
              "t.ini:4: duplicate key 'k' in [DEFAULT] (first at line 2)", "duplicate DEFAULT key");
    parse_err("[a]\n = 1\n", "t.ini:2: expected a key before the '=' or ':'", "empty key");
    parse_err("[a]\n[]\n", "t.ini:2: expected 'key = value' or '[section]'", "empty header");
    parse_err("[a]\ns3 =\n  a = 1\n\n  oops\nk = 2\n",
              "t.ini:5: 's3' starts a nested block (its first line is empty), so expected 'key = "
              "value' here",
              "nested line without '='");
    parse_err("[a]\r\n\r\nbad\r\n", "t.ini:3: expected 'key = value' or '[section]'",
              "line numbers with CRLF");
    parse_err("[a]\nk = \xff\n", "t.ini:2: invalid UTF-8", "invalid UTF-8");
    parse_err("[a]\nk = \xed\xa0\x80\n", "t.ini:2: invalid UTF-8", "surrogate in UTF-8");
    parse_err_len("[a]\nk = \0\n", 10, "t.ini:2: NUL byte; expected text", "NUL byte");

    big = malloc(INI_MAX_SIZE + 2);
    if (big) {
        memset(big, 'x', INI_MAX_SIZE + 1);
        memcpy(big, big_head, sizeof(big_head) - 1);
        big[INI_MAX_SIZE + 1] = '\0';
        parse_err(big, "t.ini: larger than 1048576 bytes", "over the size cap");
        big[INI_MAX_SIZE] = '\0';
        {
            struct ini *ini = parse_ok(big, "exactly at the size cap");

            tap_ok(ini && strlen(get(ini, "a", "k")) == INI_MAX_SIZE - 8, "1 MiB value kept");
            ini_free(ini);
        }
        free(big);
    }
}

static void test_many_keys(void)
{
    /* The duplicate check must stay linear: 60k keys in one section. */
    size_t n = 60000, len = 0;
    char *text = malloc(n * 16 + 8);
    struct ini *ini;

    if (!text)
        return;
    len += (size_t)sprintf(text, "[a]\n");
    for (size_t i = 0; i < n; i++)
        len += (size_t)sprintf(text + len, "k%zu=%zu\n", i, i);
    ini = parse_ok(text, "60k keys");
    tap_ok(ini && ini->sections[0].n_opts == n && strcmp(get(ini, "a", "k59999"), "59999") == 0,
           "60k keys stored");
    ini_free(ini);
    free(text);
}

static char tmpdir[4096];

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    if (!f) {
        perror(path);
        exit(2);
    }
    fputs(text, f);
    fclose(f);
}

static void test_load(void)
{
    char path[4200];
    struct ini *ini = (struct ini *)1;
    enum ecd_status st;
    const char *err;

    snprintf(path, sizeof(path), "%s/missing", tmpdir);
    st = ini_load(path, &ini);
    tap_ok(st == ECD_OK && ini == NULL, "missing file: no profiles");
    ini = (struct ini *)1;
    st = ini_load(tmpdir, &ini);
    tap_ok(st == ECD_OK && ini == NULL, "directory: no profiles");

    snprintf(path, sizeof(path), "%s/good", tmpdir);
    write_file(path, "[default]\nregion = eu-west-1\n");
    st = ini_load(path, &ini);
    tap_ok(st == ECD_OK && ini && strcmp(get(ini, "default", "region"), "eu-west-1") == 0,
           "file loads");
    tap_ok(ini && strcmp(ini->name, path) == 0, "file name kept for messages");
    ini_free(ini);

    snprintf(path, sizeof(path), "%s/bad", tmpdir);
    write_file(path, "[default]\nregion\n");
    capture_begin();
    st = ini_load(path, &ini);
    err = capture_end();
    tap_ok(st == ECD_ECONFIG && ini == NULL, "bad file rejected");
    {
        char want[4400];

        snprintf(want, sizeof(want),
                 "ecr-credd: error: %s:2: expected 'key = value' or '[section]'\n", path);
        tap_str_eq(err, want, "bad file message names file and line");
    }

    snprintf(path, sizeof(path), "%s/big", tmpdir);
    {
        FILE *f = fopen(path, "w");

        fputs("[a]\nk = ", f);
        for (int i = 0; i < INI_MAX_SIZE; i++)
            fputc('x', f);
        fclose(f);
    }
    capture_begin();
    st = ini_load(path, &ini);
    err = capture_end();
    tap_ok(st == ECD_ECONFIG && ini == NULL && strstr(err, "larger than 1048576 bytes"),
           "oversized file rejected");

    snprintf(path, sizeof(path), "%s/unreadable", tmpdir);
    write_file(path, "[default]\n");
    chmod(path, 0);
    if (access(path, R_OK) == 0) {
        tap_ok(1, "# SKIP running with privileges that read mode-0 files");
    } else {
        capture_begin();
        st = ini_load(path, &ini);
        err = capture_end();
        tap_ok(st == ECD_OK && ini == NULL && strstr(err, "warning: ") &&
                   strstr(err, "cannot open"),
               "unreadable file: warning, no profiles");
    }
}

static const char *fake_env(const char *name)
{
    if (strcmp(name, "HOME") == 0)
        return "/home/u/";
    if (strcmp(name, "DIR") == 0)
        return "/etc/aws";
    if (strcmp(name, "EMPTY") == 0)
        return "";
    return NULL;
}

static const char *env_empty_home(const char *name)
{
    return strcmp(name, "HOME") == 0 ? "" : NULL;
}

static const char *env_no_home(const char *name)
{
    (void)name;
    return NULL;
}

static void expand_is(const char *in, const char *(*env)(const char *), const char *want)
{
    char *out = NULL;
    enum ecd_status st = ini_expand_path(in, env, &out);

    if (st != ECD_OK)
        tap_ok(0, "expand %s: status %d", in, st);
    else
        tap_str_eq(out, want, "expand %s", in);
    free(out);
}

static void test_expand(void)
{
    struct passwd *pw = getpwuid(getuid());
    struct passwd *root = getpwnam("root");
    char want[4200];

    expand_is("~/.aws/config", fake_env, "/home/u/.aws/config");
    expand_is("~", fake_env, "/home/u");
    expand_is("$DIR/credentials", fake_env, "/etc/aws/credentials");
    expand_is("${DIR}x/c", fake_env, "/etc/awsx/c");
    expand_is("$NOPE/c${NOPE2}", fake_env, "$NOPE/c${NOPE2}");
    expand_is("a$EMPTY.b", fake_env, "a.b");
    expand_is("$ $- ${unclosed", fake_env, "$ $- ${unclosed");
    expand_is("~${EMPTY}/x", fake_env, "/home/u/x");
    expand_is("/abs/~/x", fake_env, "/abs/~/x");
    expand_is("~/x", env_empty_home, "/x");
    expand_is("~", env_empty_home, "/");
    if (pw) {
        snprintf(want, sizeof(want), "%s/.aws/config",
                 strcmp(pw->pw_dir, "/") == 0 ? "" : pw->pw_dir);
        expand_is("~/.aws/config", env_no_home, want);
    } else {
        tap_ok(1, "# SKIP no password entry for this uid");
    }
    if (root) {
        snprintf(want, sizeof(want), "%s/x", strcmp(root->pw_dir, "/") == 0 ? "" : root->pw_dir);
        expand_is("~root/x", fake_env, want);
    } else {
        tap_ok(1, "# SKIP no root user");
    }
    expand_is("~no-such-user-ecd/x", fake_env, "~no-such-user-ecd/x");
}

int main(void)
{
    const char *base = getenv("ECD_TEST_BUILDDIR");

    snprintf(tmpdir, sizeof(tmpdir), "%s/test-ini-XXXXXX", base ? base : "/tmp");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 2;
    }
    test_basics();
    test_continuation();
    test_headers_and_text();
    test_default_section();
    test_errors();
    test_many_keys();
    test_load();
    test_expand();
    {
        char cmd[4200];

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0)
            tap_diag("could not remove %s", tmpdir);
    }
    return tap_done();
}
