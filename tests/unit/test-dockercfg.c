/* SPDX-License-Identifier: MIT */
/* dockercfg: merge rules (keys kept, twins updated, stale fields dropped, errors with
 * line:column), helper-shadow warnings, the file update (mode, owner, links, no temp
 * files, no rewrite when unchanged) and the default path. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dockercfg.h"
#include "log.h"
#include "capture.h"
#include "tap.h"
#include "testfile.h"

#define H1  "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
#define H2  "210987654321.dkr.ecr.us-east-1.amazonaws.com"
#define A1  "QVdTOnRva2VuLW9uZQ==" /* AWS:token-one */
#define A2  "QVdTOnRva2VuLXR3bw==" /* AWS:token-two */
#define OLD "QVdTOm9sZC10b2tlbg==" /* AWS:old-token */

static char root[] = "/tmp/ecd-test-dockercfg-XXXXXX";
static struct registry_auth items[2];
static const char *captured = ""; /* what the code under test logged last (capture.h) */

/* root + "/" + rel (see path_in). */
static const char *at(const char *rel)
{
    return path_in(root, rel);
}

static void put(const char *path, const char *content, size_t len, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

    if (fd < 0 || write(fd, content, len) != (ssize_t)len || fchmod(fd, mode) < 0 || close(fd))
        bail(path);
}

/* Merge text with n items; returns the status, the output in *out (malloc'ed). */
static enum ecd_status merge(const char *text, size_t n, char **out, struct dockercfg_result *res)
{
    struct buf b;
    enum ecd_status st;

    buf_init(&b, 1 << 20);
    capture_begin();
    st = dockercfg_merge(text, text ? strlen(text) : 0, "NAME", items, n, &b, res);
    captured = capture_end();
    *out = NULL;
    if (buf_steal(&b, out) != ECD_OK)
        bail("buf_steal");
    return st;
}

static int json_equal(const char *got, const char *want)
{
    cJSON *g = cJSON_Parse(got), *w = cJSON_Parse(want);
    int eq = g && w && cJSON_Compare(g, w, 1);

    if (!eq)
        tap_diag("got:\n%s\n# want:\n%s", got ? got : "(null)", want);
    cJSON_Delete(g);
    cJSON_Delete(w);
    return eq;
}

/* The object's keys joined with ',', to check order. */
static void keys_of(const char *json, const char *path, char *out, size_t size)
{
    cJSON *r = cJSON_Parse(json), *o = r;
    size_t used = 0;

    out[0] = '\0';
    if (path)
        o = cJSON_GetObjectItemCaseSensitive(r, path);
    for (cJSON *c = o ? o->child : NULL; c; c = c->next)
        used += (size_t)snprintf(out + used, used < size ? size - used : 0, "%s%s", used ? "," : "",
                                 c->string);
    cJSON_Delete(r);
}

static void test_merge_basic(void)
{
    struct dockercfg_result res;
    char *out, *again;
    const char *want =
        "{\n\t\"auths\":\t{\n\t\t\"" H1 "\":\t{\n\t\t\t\"auth\":\t\"" A1 "\"\n\t\t}\n\t}\n}\n";

    tap_ok(merge(NULL, 1, &out, &res) == ECD_OK && res.changed == 1,
           "merge: no text starts from {}, changed");
    tap_str_eq(out, want, "merge: exact output, tab-indented with final newline");
    tap_ok(res.n_shadowed == 0 && !strcmp(res.name, "NAME"), "merge: nothing shadowed");
    dockercfg_result_deinit(&res);

    tap_ok(merge(out, 1, &again, &res) == ECD_OK && res.changed == 0 && !strcmp(again, out),
           "merge: own output again is unchanged, same bytes");
    dockercfg_result_deinit(&res);
    free(again);

    tap_ok(merge(" \n\t\r\n", 1, &again, &res) == ECD_OK && res.changed == 1 &&
               !strcmp(again, want),
           "merge: whitespace-only text is {}");
    dockercfg_result_deinit(&res);
    free(again);
    free(out);

    tap_ok(merge("{}", 0, &out, &res) == ECD_OK && !strcmp(out, "{\n\t\"auths\":\t{\n\t}\n}\n"),
           "merge: no items still gives an auths object");
    dockercfg_result_deinit(&res);
    free(out);

    tap_ok(merge("{\"auths\":null,\"x\":1}", 1, &out, &res) == ECD_OK &&
               json_equal(out, "{\"auths\":{\"" H1 "\":{\"auth\":\"" A1 "\"}},\"x\":1}"),
           "merge: \"auths\": null is taken as {} in place");
    dockercfg_result_deinit(&res);
    free(out);
}

static void test_merge_keeps(void)
{
    struct dockercfg_result res;
    char keys[1024];
    char *out;
    const char *in =
        "{\n"
        "  \"currentContext\": \"prod\",\n"
        "  \"auths\": {\n"
        "    \"https://index.docker.io/v1/\": {\"auth\": \"ZG9jazpodWI=\", \"email\": \"a@b\"},\n"
        "    \"https://" H1 "\": {\"auth\": \"" OLD "\"},\n"
        "    \"http://" H1 "/v2/\": {\"auth\": \"" OLD "\", \"identitytoken\": \"idt\"},\n"
        "    \"" H1 "/\": null,\n"
        "    \"123456789012.DKR.ECR.EU-WEST-1.amazonaws.com\": {},\n"
        "    \"HTTPS://" H1 "\": {\"auth\": \"" OLD "\"},\n"
        "    \"" H1 ".evil.example\": {\"auth\": \"" OLD "\"},\n"
        "    \"" H1 ":5000\": {\"auth\": \"" OLD "\"},\n"
        "    \"" H2 "\": {\"auth\": \"" OLD "\", \"email\": \"e@x\", \"username\": \"AWS\",\n"
        "       \"password\": \"pw\", \"registrytoken\": \"rt\", \"serveraddress\": \"s\",\n"
        "       \"x-extra\": [1, 2.5, true, null]}\n"
        "  },\n"
        "  \"credHelpers\": {\"gcr.io\": \"gcloud\"},\n"
        "  \"HttpHeaders\": {\"X-Meta\": \"v\"},\n"
        "  \"proxies\": {\"default\": {\"httpProxy\": \"http://p:3128\", \"noProxy\": \"*.in\"}},\n"
        "  \"plugins\": {\"a\": {\"b\": \"c\"}},\n"
        "  \"unknownTop\": [{\"deep\": {\"x\": -1e-3}}, \"s\", false]\n"
        "}\n";
    const char *want =
        "{"
        "\"currentContext\": \"prod\","
        "\"auths\": {"
        "\"https://index.docker.io/v1/\": {\"auth\": \"ZG9jazpodWI=\", \"email\": \"a@b\"},"
        "\"https://" H1 "\": {\"auth\": \"" A1 "\"},"
        "\"http://" H1 "/v2/\": {\"auth\": \"" A1 "\"},"
        "\"" H1 "/\": {\"auth\": \"" A1 "\"},"
        "\"123456789012.DKR.ECR.EU-WEST-1.amazonaws.com\": {\"auth\": \"" A1 "\"},"
        "\"HTTPS://" H1 "\": {\"auth\": \"" OLD "\"},"
        "\"" H1 ".evil.example\": {\"auth\": \"" OLD "\"},"
        "\"" H1 ":5000\": {\"auth\": \"" OLD "\"},"
        "\"" H2 "\": {\"auth\": \"" A2 "\", \"email\": \"e@x\", \"serveraddress\": \"s\","
        "\"x-extra\": [1, 2.5, true, null]},"
        "\"" H1 "\": {\"auth\": \"" A1 "\"}"
        "},"
        "\"credHelpers\": {\"gcr.io\": \"gcloud\"},"
        "\"HttpHeaders\": {\"X-Meta\": \"v\"},"
        "\"proxies\": {\"default\": {\"httpProxy\": \"http://p:3128\", \"noProxy\": \"*.in\"}},"
        "\"plugins\": {\"a\": {\"b\": \"c\"}},"
        "\"unknownTop\": [{\"deep\": {\"x\": -1e-3}}, \"s\", false]"
        "}";

    tap_ok(merge(in, 2, &out, &res) == ECD_OK && res.changed == 1,
           "keep: merge into a full config");
    tap_ok(json_equal(out, want),
           "keep: other keys and entries kept, twins updated, stale fields gone, host added");
    keys_of(out, NULL, keys, sizeof(keys));
    tap_str_eq(keys, "currentContext,auths,credHelpers,HttpHeaders,proxies,plugins,unknownTop",
               "keep: top-level order kept");
    keys_of(out, "auths", keys, sizeof(keys));
    tap_str_eq(keys,
               "https://index.docker.io/v1/,https://" H1 ",http://" H1 "/v2/," H1 "/,"
               "123456789012.DKR.ECR.EU-WEST-1.amazonaws.com,HTTPS://" H1 "," H1 ".evil.example," H1
               ":5000," H2 "," H1,
               "keep: auths order kept, the new key last");
    tap_ok(res.n_shadowed == 0, "keep: credHelpers for another host shadows nothing");
    dockercfg_result_deinit(&res);
    free(out);
}

static void test_merge_entry(void)
{
    struct dockercfg_result res;
    char *out;

    tap_ok(merge("{\"auths\":{\"" H1 "\":{\"auth\":\"" OLD "\",\"email\":\"e\",\"auth\":\"x\"}}}",
                 1, &out, &res) == ECD_OK,
           "entry: duplicate auth fields");
    tap_str_eq(out,
               "{\n\t\"auths\":\t{\n\t\t\"" H1 "\":\t{\n\t\t\t\"auth\":\t\"" A1
               "\",\n\t\t\t\"email\":\t\"e\"\n\t\t}\n\t}\n}\n",
               "entry: the first auth replaced in place, the repeat dropped");
    dockercfg_result_deinit(&res);
    free(out);

    tap_ok(merge("{\"auths\":{\"" H1 "\":{\"email\":\"e\",\"auth\":5}}}", 1, &out, &res) ==
                   ECD_OK &&
               json_equal(out, "{\"auths\":{\"" H1 "\":{\"email\":\"e\",\"auth\":\"" A1 "\"}}}"),
           "entry: a non-string auth is replaced");
    dockercfg_result_deinit(&res);
    free(out);

    secret_wipe(&items[0].auth);
    tap_ok(secret_set(&items[0].auth, OLD, strlen(OLD)) == ECD_OK, "entry: item set to OLD");
    tap_ok(merge("{\"auths\":{\"" H1 "\":{\"email\":\"e\",\"auth\":\"" OLD "\"}}}", 1, &out,
                 &res) == ECD_OK &&
               res.changed == 1,
           "entry: same token but docker's layout counts as changed (rewritten once)");
    dockercfg_result_deinit(&res);
    free(out);
    secret_wipe(&items[0].auth);
    if (secret_set(&items[0].auth, A1, strlen(A1)) != ECD_OK)
        bail("secret_set");

    free(items[1].host);
    items[1].host = strdup("https://" H2 "/v2/");
    tap_ok(merge("{}", 2, &out, &res) == ECD_OK &&
               json_equal(out, "{\"auths\":{\"" H1 "\":{\"auth\":\"" A1 "\"},\"" H2
                               "\":{\"auth\":\"" A2 "\"}}}"),
           "entry: an item host with scheme and path is written as the bare host");
    dockercfg_result_deinit(&res);
    free(out);
    free(items[1].host);
    items[1].host = strdup(H2);
}

static void test_merge_errors(void)
{
    static const struct {
        const char *text, *msg, *what;
    } cases[] = {
        {"{\"auths\": {", "docker config NAME: line 1, column 11: invalid JSON\n",
         "truncated JSON"},
        {"{\n  \"a\": 1,\n  \"b\": [1, 2,, 3]\n}\n",
         "docker config NAME: line 3, column 14: invalid JSON\n", "bad array, line:column"},
        {"{} {", "docker config NAME: line 1, column 4: unexpected text after the JSON value\n",
         "text after the value"},
        {"[]", "docker config NAME: top level is an array, expected an object\n", "array"},
        {"null", "docker config NAME: top level is null, expected an object\n", "null"},
        {"{\"auths\": \"x\"}", "docker config NAME: \"auths\" is a string, expected an object\n",
         "auths string"},
        {"{\"auths\": {}, \"auths\": {}}",
         "docker config NAME: \"auths\" appears 2 times, expected once\n", "duplicate auths"},
        {"{\"auths\": {\"https://" H1 "\": 7}}",
         "docker config NAME: \"auths\" entry \"https://" H1 "\" is a number, expected an object\n",
         "entry for our host not an object"},
    };
    struct dockercfg_result res;
    char *out;
    char want[512];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        enum ecd_status st = merge(cases[i].text, 1, &out, &res);
        const char *msg = strstr(captured, "docker config");

        tap_ok(st == ECD_ECONFIG && res.changed == 0, "error: %s is ECD_ECONFIG", cases[i].what);
        tap_str_eq(msg, cases[i].msg, "error: %s message", cases[i].what);
        dockercfg_result_deinit(&res);
        free(out);
    }

    {
        /* NUL inside the text: strlen() would hide it, so call directly. */
        static const char text[] = "{\n \"a\": \"x\0y\"}";
        struct buf b;

        buf_init(&b, 1 << 20);
        capture_begin();
        tap_ok(dockercfg_merge(text, sizeof(text) - 1, "NAME", items, 1, &b, &res) == ECD_ECONFIG,
               "error: a NUL byte is ECD_ECONFIG");
        captured = capture_end();
        snprintf(want, sizeof(want),
                 "docker config NAME: line 2, column 9: NUL byte in JSON text\n");
        tap_str_eq(strstr(captured, "docker config"), want, "error: NUL byte message");
        dockercfg_result_deinit(&res);
        buf_wipe(&b);
    }

    {
        struct registry_auth bad[1] = {{.host = "https://"}};
        struct buf b;

        if (secret_set(&bad[0].auth, A1, strlen(A1)) != ECD_OK)
            bail("secret_set");
        buf_init(&b, 1 << 20);
        tap_ok(dockercfg_merge("{}", 2, "NAME", bad, 1, &b, &res) == ECD_EINVAL,
               "error: an empty host is ECD_EINVAL");
        dockercfg_result_deinit(&res);
        secret_wipe(&bad[0].auth);
        bad[0].host = H1;
        tap_ok(dockercfg_merge("{}", 2, "NAME", bad, 1, &b, &res) == ECD_EINVAL,
               "error: an unset auth is ECD_EINVAL");
        dockercfg_result_deinit(&res);
        buf_wipe(&b);
    }
}

static void test_shadow(void)
{
    struct dockercfg_result res;
    char *out;

    tap_ok(merge("{\"credsStore\": \"desktop\"}", 2, &out, &res) == ECD_OK && res.n_shadowed == 2,
           "shadow: credsStore shadows both hosts");
    tap_ok(res.n_shadowed == 2 && !strcmp(res.shadowed[0].host, H1) &&
               !strcmp(res.shadowed[0].helper, "desktop") &&
               res.shadowed[0].kind == DOCKERCFG_SHADOW_CREDS_STORE &&
               !strcmp(res.shadowed[1].host, H2) &&
               res.shadowed[1].kind == DOCKERCFG_SHADOW_CREDS_STORE,
           "shadow: hosts, helper and kind reported in item order");
    capture_begin();
    dockercfg_warn(&res);
    captured = capture_end();
    tap_ok(strstr(captured, "warning: docker config NAME: \"credsStore\": \"desktop\" is set, so "
                            "docker will ask docker-credential-desktop and ignore the auth "
                            "written for " H1 "; remove credsStore or use a dedicated "
                            "DOCKER_CONFIG\n") != NULL &&
               strstr(captured, "written for " H2 ";") != NULL,
           "shadow: dockercfg_warn explains, one line per host");
    dockercfg_result_deinit(&res);
    free(out);

    tap_ok(merge("{\"credsStore\": \"pass\", \"credHelpers\": {\"" H1 "\": \"\"}}", 2, &out,
                 &res) == ECD_OK &&
               res.n_shadowed == 1 && !strcmp(res.shadowed[0].host, H2),
           "shadow: credHelpers \"\" for a host selects the file despite credsStore");
    dockercfg_result_deinit(&res);
    free(out);

    tap_ok(merge("{\"credHelpers\": {\"" H2 "\": \"ecr-login\", \"https://" H1
                 "\": \"x\"}, \"credsStore\": \"\"}",
                 2, &out, &res) == ECD_OK &&
               res.n_shadowed == 1 && !strcmp(res.shadowed[0].host, H2) &&
               !strcmp(res.shadowed[0].helper, "ecr-login") &&
               res.shadowed[0].kind == DOCKERCFG_SHADOW_CRED_HELPER,
           "shadow: credHelpers exact host only; empty credsStore shadows nothing");
    capture_begin();
    dockercfg_warn(&res);
    captured = capture_end();
    tap_ok(strstr(captured,
                  "\"credHelpers\" sends " H2 " to \"ecr-login\", so docker will ask "
                  "docker-credential-ecr-login and ignore the auth written for it") != NULL,
           "shadow: credHelpers warning text");
    dockercfg_result_deinit(&res);
    free(out);
}

static void test_update(void)
{
    struct dockercfg_result res;
    struct stat a, b;
    char *got;
    size_t len;
    enum ecd_status st;
    struct timespec old[2] = {{1000000000, 0}, {1000000000, 0}};
    const char *orig =
        "{\"credsStore\":\"desktop\",\"auths\":{\"other.example\":{\"auth\":\"b3Q=\"}}}";
    const char *bad = "{\"auths\": {\"" H1 "\": {\"auth\": \"" OLD "\"},}\n";
    char *big;

    /* New file in new directories. */
    st = dockercfg_update(at("home/.docker/config.json"), items, 2, &res);
    tap_ok(st == ECD_OK && res.changed == 1, "update: creates a missing file, changed");
    dockercfg_result_deinit(&res);
    stat(at("home"), &a);
    stat(at("home/.docker"), &b);
    tap_ok((a.st_mode & 07777) == 0700 && (b.st_mode & 07777) == 0700,
           "update: new directories are 0700");
    stat(at("home/.docker/config.json"), &a);
    tap_ok((a.st_mode & 07777) == 0600, "update: new file is 0600");
    got = slurp(at("home/.docker/config.json"), NULL);
    tap_ok(got && json_equal(got, "{\"auths\":{\"" H1 "\":{\"auth\":\"" A1 "\"},\"" H2
                                  "\":{\"auth\":\"" A2 "\"}}}"),
           "update: new file content");
    free(got);
    tap_ok(hidden_entries(at("home/.docker")) == 0, "update: no temp file after success");

    /* Same items again: not rewritten (inode and mtime kept). */
    utimensat(AT_FDCWD, at("home/.docker/config.json"), old, 0);
    stat(at("home/.docker/config.json"), &a);
    st = dockercfg_update(at("home/.docker/config.json"), items, 2, &res);
    stat(at("home/.docker/config.json"), &b);
    tap_ok(st == ECD_OK && res.changed == 0, "update: same content reports changed=0");
    tap_ok(a.st_ino == b.st_ino && b.st_mtim.tv_sec == 1000000000 && b.st_mtim.tv_nsec == 0,
           "update: unchanged file not rewritten (inode and mtime kept)");
    dockercfg_result_deinit(&res);

    /* Existing file: mode 0640 and owner kept, other keys kept, warning reported. */
    mkdir(at("d"), 0755);
    put(at("d/config.json"), orig, strlen(orig), 0640);
    if (geteuid() == 0 && chown(at("d/config.json"), 1234, 1234) < 0)
        bail("chown");
    st = dockercfg_update(at("d/config.json"), items, 1, &res);
    tap_ok(st == ECD_OK && res.changed == 1, "update: existing file rewritten");
    tap_ok(res.n_shadowed == 1 && res.shadowed[0].kind == DOCKERCFG_SHADOW_CREDS_STORE,
           "update: credsStore shadow reported");
    dockercfg_result_deinit(&res);
    stat(at("d/config.json"), &a);
    tap_ok((a.st_mode & 07777) == 0640, "update: mode 0640 kept");
    tap_ok(geteuid() != 0 || (a.st_uid == 1234 && a.st_gid == 1234),
           "update: owner 1234:1234 kept");
    got = slurp(at("d/config.json"), &len);
    tap_ok(got &&
               json_equal(got, "{\"credsStore\":\"desktop\",\"auths\":{\"other.example\":"
                               "{\"auth\":\"b3Q=\"},\"" H1 "\":{\"auth\":\"" A1 "\"}}}") &&
               len > 0 && got[len - 1] == '\n',
           "update: other keys kept, final newline");
    free(got);

    /* Symlink kept, target updated; dangling link creates its target. */
    (void)symlink("d/config.json", at("link.json"));
    st = dockercfg_update(at("link.json"), items, 2, &res);
    dockercfg_result_deinit(&res);
    lstat(at("link.json"), &a);
    got = slurp(at("d/config.json"), NULL);
    tap_ok(st == ECD_OK && S_ISLNK(a.st_mode) && got && strstr(got, A2),
           "update: through a symlink, link kept and target updated");
    free(got);
    stat(at("d/config.json"), &a);
    tap_ok((a.st_mode & 07777) == 0640, "update: target mode kept through the link");

    (void)symlink("d/fresh.json", at("dangling.json"));
    st = dockercfg_update(at("dangling.json"), items, 1, &res);
    dockercfg_result_deinit(&res);
    lstat(at("dangling.json"), &a);
    stat(at("d/fresh.json"), &b);
    tap_ok(st == ECD_OK && S_ISLNK(a.st_mode) && S_ISREG(b.st_mode) && (b.st_mode & 07777) == 0600,
           "update: dangling link kept, target created 0600");

    /* Empty file is {}. */
    put(at("d/empty.json"), "", 0, 0600);
    st = dockercfg_update(at("d/empty.json"), items, 1, &res);
    dockercfg_result_deinit(&res);
    got = slurp(at("d/empty.json"), NULL);
    tap_ok(st == ECD_OK && got && json_equal(got, "{\"auths\":{\"" H1 "\":{\"auth\":\"" A1 "\"}}}"),
           "update: empty file is taken as {}");
    free(got);

    /* Malformed: ECD_ECONFIG, untouched byte for byte. */
    put(at("d/bad.json"), bad, strlen(bad), 0600);
    stat(at("d/bad.json"), &a);
    st = dockercfg_update(at("d/bad.json"), items, 1, &res);
    tap_ok(st == ECD_ECONFIG && res.changed == 0, "update: malformed file is ECD_ECONFIG");
    dockercfg_result_deinit(&res);
    got = slurp(at("d/bad.json"), &len);
    stat(at("d/bad.json"), &b);
    tap_ok(got && len == strlen(bad) && !memcmp(got, bad, len) && a.st_ino == b.st_ino,
           "update: malformed file untouched byte for byte");
    free(got);

    /* Too large: ECD_EIO, untouched. */
    big = malloc(DOCKERCFG_MAX_FILE + 1);
    if (!big)
        bail("malloc");
    memset(big, ' ', DOCKERCFG_MAX_FILE + 1);
    big[0] = '{';
    big[DOCKERCFG_MAX_FILE] = '}';
    put(at("d/big.json"), big, DOCKERCFG_MAX_FILE + 1, 0600);
    st = dockercfg_update(at("d/big.json"), items, 1, &res);
    dockercfg_result_deinit(&res);
    stat(at("d/big.json"), &a);
    tap_ok(st == ECD_EIO && a.st_size == DOCKERCFG_MAX_FILE + 1,
           "update: a file over 4 MiB is ECD_EIO and untouched");
    big[DOCKERCFG_MAX_FILE - 1] = '}';
    put(at("d/big.json"), big, DOCKERCFG_MAX_FILE, 0600);
    st = dockercfg_update(at("d/big.json"), items, 1, &res);
    dockercfg_result_deinit(&res);
    tap_ok(st == ECD_OK, "update: a file of exactly 4 MiB is accepted");
    free(big);

    /* Directory is a file: ECD_EIO. */
    st = dockercfg_update(at("d/empty.json/config.json"), items, 1, &res);
    dockercfg_result_deinit(&res);
    tap_ok(st == ECD_EIO, "update: a file as directory is ECD_EIO");
    tap_ok(hidden_entries(at("d")) == 0 && hidden_entries(root) == 0,
           "update: no temp file left after the failures");
}

static const char *env_dc, *env_home;

static const char *fake_getenv(const char *name)
{
    if (!strcmp(name, "DOCKER_CONFIG"))
        return env_dc;
    if (!strcmp(name, "HOME"))
        return env_home;
    return NULL;
}

static void check_path(const char *dc, const char *home, enum ecd_status want_st, const char *want)
{
    char *p = (char *)"unset";
    enum ecd_status st;

    env_dc = dc;
    env_home = home;
    capture_begin();
    st = dockercfg_default_path(fake_getenv, &p);
    captured = capture_end();
    if (want)
        tap_ok(st == want_st && p && !strcmp(p, want), "path: DOCKER_CONFIG=%s HOME=%s -> %s",
               dc ? dc : "(unset)", home ? home : "(unset)", want);
    else
        tap_ok(st == want_st && p == NULL && strstr(captured, "cannot find docker config"),
               "path: DOCKER_CONFIG=%s HOME=%s -> ECD_ECONFIG", dc ? dc : "(unset)",
               home ? home : "(unset)");
    free(p);
}

static void test_default_path(void)
{
    check_path("/etc/dc", "/root", ECD_OK, "/etc/dc/config.json");
    check_path("/etc/dc/", NULL, ECD_OK, "/etc/dc/config.json");
    check_path("", "/home/u", ECD_OK, "/home/u/.docker/config.json");
    check_path(NULL, "/", ECD_OK, "/.docker/config.json");
    check_path(NULL, NULL, ECD_ECONFIG, NULL);
    tap_str_eq(strstr(captured, "cannot find"),
               "cannot find docker config: neither DOCKER_CONFIG nor HOME is set; set "
               "DOCKER_CONFIG or give the sink a path\n",
               "path: message when neither is set");
    check_path("", "", ECD_ECONFIG, NULL);
    check_path(NULL, "relative/home", ECD_ECONFIG, NULL);
}

int main(void)
{
    char cmd[PATH_MAX + 16];

    log_open(LOG_DEBUG); /* messages are captured and checked */
    if (!mkdtemp(root))
        bail("mkdtemp");
    items[0].host = strdup(H1);
    items[1].host = strdup(H2);
    if (!items[0].host || !items[1].host || secret_set(&items[0].auth, A1, strlen(A1)) ||
        secret_set(&items[1].auth, A2, strlen(A2)))
        bail("items");

    test_merge_basic();
    test_merge_keeps();
    test_merge_entry();
    test_merge_errors();
    test_shadow();
    test_update();
    test_default_path();

    for (int i = 0; i < 2; i++) {
        free(items[i].host);
        secret_wipe(&items[i].auth);
    }
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    if (system(cmd) != 0)
        tap_diag("could not remove %s", root);
    return tap_done();
}
