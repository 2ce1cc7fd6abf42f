/* SPDX-License-Identifier: MIT */
/* config.c and jsonutil.c: exact values for good configs, the exact logged line for
 * bad ones (stderr is captured around each call), the env default, file loading and
 * the shipped example (via ECD_TEST_SRCDIR). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "jsonutil.h"
#include "capture.h"
#include "tap.h"

/* The logged line for a message, as log.c writes it without the journal. */
static const char *logline(const char *msg)
{
    static char line[2048];

    snprintf(line, sizeof(line), "ecr-credd: error: %s\n", msg);
    return line;
}

static struct config *parse_ok(const char *text, const char *what)
{
    struct config *c = NULL;
    enum ecd_status st;
    const char *err;

    capture_begin();
    st = config_parse(text, strlen(text), "config.json", &c);
    err = capture_end();
    if (!tap_ok(st == ECD_OK && c, "%s: parses", what))
        tap_diag("status %d, log: %s", st, err);
    tap_str_eq(err, "", "%s: nothing logged", what);
    return c;
}

static void parse_bad_len(const char *text, size_t len, const char *want)
{
    struct config *c = (struct config *)1;
    enum ecd_status st;
    const char *err;

    capture_begin();
    st = config_parse(text, len, "config.json", &c);
    err = capture_end();
    tap_ok(st == ECD_ECONFIG && c == NULL, "rejected: %s", want);
    tap_str_eq(err, logline(want), "logged once: %s", want);
}

static void parse_bad(const char *text, const char *want)
{
    parse_bad_len(text, strlen(text), want);
}

static const char *node_str(const cJSON *node, const char *key)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(node, key);

    return cJSON_IsString(it) ? it->valuestring : NULL;
}

/* --- good configurations --- */

static void test_full(void)
{
    static const char text[] =
        "{\"refresh\": {\"before_expiry\": \"6h\", \"jitter\": \"10m\", \"retry_min\": \"5s\",\n"
        "             \"retry_max\": \"5m\"},\n"
        " \"registries\": [{\"region\": \"eu-west-1\", \"registry_ids\": [\"123456789012\"],\n"
        "                 \"profile\": \"prod\"},\n"
        "                {\"region\": \"us-east-1\", \"registry_ids\": [\"210987654321\",\n"
        "                 \"123456789012\"]}],\n"
        " \"sinks\": [{\"type\": \"docker\", \"path\": \"/root/.docker/config.json\",\n"
        "            \"name\": \"host\"},\n"
        "           {\"type\": \"docker\", \"path\": \"/var/lib/kubelet/config.json\"}]}\n";
    struct config *c = parse_ok(text, "full config");

    if (!c)
        return;
    tap_str_eq(c->path, "config.json", "path is the name");
    tap_ok(c->refresh.before_expiry_ms == 6 * 3600 * 1000, "before_expiry 6h");
    tap_ok(c->refresh.jitter_ms == 10 * 60 * 1000, "jitter 10m");
    tap_ok(c->refresh.retry_min_ms == 5000, "retry_min 5s");
    tap_ok(c->refresh.retry_max_ms == 300000, "retry_max 5m");
    tap_ok(c->n_registries == 2, "two registries");
    tap_str_eq(c->registries[0].where, "registries[0]", "registry 0 where");
    tap_str_eq(c->registries[0].region, "eu-west-1", "registry 0 region");
    tap_ok(c->registries[0].n_registry_ids == 1, "registry 0 has one id");
    tap_str_eq(c->registries[0].registry_ids[0], "123456789012", "registry 0 id");
    tap_str_eq(c->registries[0].profile, "prod", "registry 0 profile");
    tap_str_eq(c->registries[1].where, "registries[1]", "registry 1 where");
    tap_str_eq(c->registries[1].region, "us-east-1", "registry 1 region");
    tap_ok(c->registries[1].n_registry_ids == 2, "registry 1 has two ids");
    tap_str_eq(c->registries[1].registry_ids[0], "210987654321", "registry 1 id 0");
    tap_str_eq(c->registries[1].registry_ids[1], "123456789012", "registry 1 id 1");
    tap_ok(c->registries[1].profile == NULL, "registry 1 has no profile");
    tap_ok(c->n_sinks == 2, "two sinks");
    tap_str_eq(c->sinks[0].where, "sinks[0]", "sink 0 where");
    tap_str_eq(c->sinks[0].type, "docker", "sink 0 type");
    tap_str_eq(c->sinks[0].name, "host", "sink 0 explicit name");
    tap_str_eq(node_str(c->sinks[0].node, "path"), "/root/.docker/config.json",
               "sink 0 keeps its own keys");
    tap_ok(c->sinks[0].node && !c->sinks[0].node->next && !c->sinks[0].node->prev,
           "sink 0 node is detached from the document");
    tap_str_eq(c->sinks[1].name, "docker-1", "sink 1 default name <type>-<index>");
    tap_str_eq(node_str(c->sinks[1].node, "path"), "/var/lib/kubelet/config.json", "sink 1 path");
    config_free(c);
}

static void check_defaults(const struct config *c, const char *what)
{
    tap_ok(c->refresh.before_expiry_ms == 0 && c->refresh.jitter_ms == 600000 &&
               c->refresh.retry_min_ms == 5000 && c->refresh.retry_max_ms == 300000,
           "%s: refresh defaults 0 / 10m / 5s / 5m", what);
    tap_ok(c->n_registries == 1 && c->registries[0].region == NULL &&
               c->registries[0].profile == NULL,
           "%s: one registry, region and profile from the environment", what);
    tap_str_eq(c->registries[0].where, "registries[0]", "%s: registry where", what);
    tap_ok(c->n_sinks == 1, "%s: one sink", what);
    tap_str_eq(c->sinks[0].type, "docker", "%s: docker sink", what);
    tap_str_eq(c->sinks[0].name, "docker-0", "%s: sink name", what);
    tap_str_eq(c->sinks[0].where, "sinks[0]", "%s: sink where", what);
    tap_ok(cJSON_GetArraySize(c->sinks[0].node) == 1, "%s: sink node has one key", what);
    tap_str_eq(node_str(c->sinks[0].node, "type"), "docker", "%s: sink node is {type: docker}",
               what);
}

static void test_defaults(void)
{
    struct config *c = parse_ok("{}", "empty object");

    if (c) {
        check_defaults(c, "{}");
        tap_ok(c->registries[0].n_registry_ids == 0 && !c->registries[0].registry_ids,
               "{}: no registry ids (the caller's own)");
        config_free(c);
    }
    c = parse_ok("{\"registries\": [{}], \"sinks\": [{\"type\": \"kubernetes\", \"namespaces\": "
                 "[\"*\"]}]}",
                 "registry without keys");
    if (c) {
        tap_ok(c->n_registries == 1 && !c->registries[0].region && !c->registries[0].profile &&
                   !c->registries[0].n_registry_ids,
               "empty registry object: all defaults");
        tap_str_eq(c->sinks[0].name, "kubernetes-0", "default name from another type");
        config_free(c);
    }
    c = parse_ok("{\"refresh\": {\"before_expiry\": \"0\", \"jitter\": 0, \"retry_min\": 1, "
                 "\"retry_max\": 3600}}",
                 "durations as numbers");
    if (c) {
        tap_ok(c->refresh.before_expiry_ms == 0 && c->refresh.jitter_ms == 0 &&
                   c->refresh.retry_min_ms == 1000 && c->refresh.retry_max_ms == 3600000,
               "numbers count as seconds");
        config_free(c);
    }
    c = parse_ok("\xef\xbb\xbf {\"refresh\": {\"retry_min\": \"5m\"}}\n\n",
                 "BOM, white space, retry_min == retry_max");
    if (c) {
        tap_ok(c->refresh.retry_min_ms == 300000 && c->refresh.retry_max_ms == 300000,
               "retry_min may equal retry_max");
        config_free(c);
    }
    c = parse_ok("{\"sinks\": [{\"type\": \"docker\"}, {\"type\": \"docker\"}, "
                 "{\"type\": \"docker\", \"name\": \"docker-5\"}]}",
                 "several default names");
    if (c) {
        tap_ok(c->n_sinks == 3 && !strcmp(c->sinks[0].name, "docker-0") &&
                   !strcmp(c->sinks[1].name, "docker-1") && !strcmp(c->sinks[2].name, "docker-5"),
               "names docker-0, docker-1, docker-5");
        config_free(c);
    }
    config_free(NULL);
    tap_ok(1, "config_free(NULL) is fine");
}

/* --- bad configurations: the exact line logged --- */

static void test_bad(void)
{
    const char *unit = "unknown unit (use ms, s, m, h or d)";
    char want[512];

    parse_bad("", "config.json: empty document, expected JSON");
    parse_bad(" \n\t", "config.json: empty document, expected JSON");
    parse_bad("garbage", "config.json:1:1: invalid JSON");
    parse_bad("{\n  \"refresh\": garbage\n}", "config.json:2:14: invalid JSON");
    parse_bad("{\"refresh\": {\"jitter\": \"1m\",}}", "config.json:1:30: invalid JSON");
    parse_bad("{\"registries\": [", "config.json:1:16: invalid JSON");
    parse_bad("{\"a\": 1} x", "config.json:1:10: invalid JSON: data after the value");
    parse_bad("{}\n{}", "config.json:2:1: invalid JSON: data after the value");
    parse_bad_len("{\"a\0\": 1}", 9, "config.json:1:4: invalid JSON: NUL byte");
    parse_bad("[]", "config.json: expected an object at the top level");
    parse_bad("\"text\"", "config.json: expected an object at the top level");
    parse_bad("{\"refresh\": {}, \"log_level\": \"info\"}",
              "config.json: log_level: unknown key (allowed: refresh, registries, sinks, health)");
    parse_bad("{\"ev\\u0001il\\n\": 1}",
              "config.json: ev?il?: unknown key (allowed: refresh, registries, sinks, health)");
    parse_bad("{\"sinks\": [{\"type\": \"docker\"}], \"sinks\": [{\"type\": \"docker\"}]}",
              "config.json: sinks: duplicate key");

    parse_bad("{\"refresh\": []}", "config.json: refresh: expected an object");
    parse_bad("{\"refresh\": null}", "config.json: refresh: expected an object");
    parse_bad("{\"refresh\": {\"jiter\": \"1m\"}}",
              "config.json: refresh.jiter: unknown key (allowed: before_expiry, jitter, "
              "retry_min, retry_max)");
    parse_bad("{\"refresh\": {\"jitter\": \"1m\", \"jitter\": \"2m\"}}",
              "config.json: refresh.jitter: duplicate key");
    snprintf(want, sizeof(want), "config.json: refresh.jitter: invalid duration \"10x\": %s", unit);
    parse_bad("{\"refresh\": {\"jitter\": \"10x\"}}", want);
    parse_bad("{\"refresh\": {\"before_expiry\": \"-1h\"}}",
              "config.json: refresh.before_expiry: invalid duration \"-1h\": negative");
    parse_bad("{\"refresh\": {\"jitter\": -60}}",
              "config.json: refresh.jitter: invalid duration -60: negative");
    parse_bad("{\"refresh\": {\"jitter\": \"\"}}",
              "config.json: refresh.jitter: invalid duration \"\": empty");
    parse_bad("{\"refresh\": {\"jitter\": \"99999999999999999999d\"}}",
              "config.json: refresh.jitter: invalid duration \"99999999999999999999d\": too large");
    parse_bad("{\"refresh\": {\"retry_min\": 1.5}}",
              "config.json: refresh.retry_min: invalid duration 1.5: not a whole number of "
              "seconds");
    parse_bad("{\"refresh\": {\"retry_min\": true}}",
              "config.json: refresh.retry_min: expected a duration such as \"90s\" or \"1h30m\"");
    parse_bad("{\"refresh\": {\"retry_min\": \"10m\"}}",
              "config.json: refresh: retry_min (10m) must not be greater than retry_max (5m)");
    parse_bad("{\"refresh\": {\"retry_min\": \"1m30s\", \"retry_max\": \"1m\"}}",
              "config.json: refresh: retry_min (1m30s) must not be greater than retry_max (1m)");
    parse_bad("{\"refresh\": {\"retry_min\": \"0s\"}}",
              "config.json: refresh.retry_min: must be greater than 0");

    parse_bad("{\"registries\": []}", "config.json: registries: expected at least one registry");
    parse_bad("{\"registries\": {}}", "config.json: registries: expected an array");
    parse_bad("{\"registries\": [5]}", "config.json: registries[0]: expected an object");
    parse_bad("{\"registries\": [{\"region\": \"eu-west-1\"}, {\"region\": 5}]}",
              "config.json: registries[1].region: expected a string");
    parse_bad("{\"registries\": [{\"region\": \"eu-west-1.example.com/x\"}]}",
              "config.json: registries[0].region: expected a region name such as \"eu-west-1\"");
    parse_bad("{\"registries\": [{\"region\": \"\"}]}",
              "config.json: registries[0].region: expected a region name such as \"eu-west-1\"");
    parse_bad("{\"registries\": [{\"role\": \"arn:aws:iam::123456789012:role/x\"}]}",
              "config.json: registries[0].role: unknown key (allowed: region, registry_ids, "
              "profile, role_arn, external_id, role_session_name, hosts, public)");
    parse_bad("{\"registries\": [{\"profile\": \"\"}]}",
              "config.json: registries[0].profile: expected a profile name, not \"\"");
    parse_bad("{\"registries\": [{\"registry_ids\": \"123456789012\"}]}",
              "config.json: registries[0].registry_ids: expected an array");
    parse_bad("{\"registries\": [{\"registry_ids\": []}]}",
              "config.json: registries[0].registry_ids: expected at least one account id");
    parse_bad("{\"registries\": [{}, {\"registry_ids\": [\"123456789012\", \"12345\"]}]}",
              "config.json: registries[1].registry_ids[1]: expected 12 digits (an AWS account "
              "id), got \"12345\"");
    parse_bad("{\"registries\": [{\"registry_ids\": [\"12345678901a\"]}]}",
              "config.json: registries[0].registry_ids[0]: expected 12 digits (an AWS account "
              "id), got \"12345678901a\"");
    parse_bad("{\"registries\": [{\"registry_ids\": [123456789012]}]}",
              "config.json: registries[0].registry_ids[0]: expected a string");
    parse_bad("{\"registries\": [{\"registry_ids\": [\"123456789012\", \"123456789012\"]}]}",
              "config.json: registries[0].registry_ids[1]: repeats "
              "registries[0].registry_ids[0]");
    parse_bad("{\"registries\": [{\"registry_ids\": [\"000000000001\", \"000000000002\", "
              "\"000000000003\", \"000000000004\", \"000000000005\", \"000000000006\", "
              "\"000000000007\", \"000000000008\", \"000000000009\", \"000000000010\", "
              "\"000000000011\"]}]}",
              "config.json: registries[0].registry_ids: at most 10 account ids per registry "
              "entry (the API's limit)");

    parse_bad("{\"sinks\": []}", "config.json: sinks: expected at least one sink");
    parse_bad("{\"sinks\": {\"type\": \"docker\"}}", "config.json: sinks: expected an array");
    parse_bad("{\"sinks\": [\"docker\"]}", "config.json: sinks[0]: expected an object");
    parse_bad("{\"sinks\": [{\"path\": \"/x\"}]}",
              "config.json: sinks[0].type: missing, expected a string");
    parse_bad("{\"sinks\": [{\"type\": \"docker\"}, {\"type\": \"\"}]}",
              "config.json: sinks[1].type: expected a sink type such as \"docker\"");
    parse_bad("{\"sinks\": [{\"type\": \"Docker Hub\"}]}",
              "config.json: sinks[0].type: expected a sink type such as \"docker\"");
    parse_bad("{\"sinks\": [{\"type\": \"docker\", \"name\": 7}]}",
              "config.json: sinks[0].name: expected a string");
    parse_bad("{\"sinks\": [{\"type\": \"docker\", \"name\": \"\"}]}",
              "config.json: sinks[0].name: expected a name of 1 to 64 characters without "
              "control characters");
    parse_bad("{\"sinks\": [{\"type\": \"docker\", \"name\": \"a\\nb\"}]}",
              "config.json: sinks[0].name: expected a name of 1 to 64 characters without "
              "control characters");
    parse_bad("{\"sinks\": [{\"type\": \"docker\", \"path\": \"/a\", \"path\": \"/b\"}]}",
              "config.json: sinks[0].path: duplicate key");
    parse_bad("{\"sinks\": [{\"type\": \"docker\", \"name\": \"host\"}, {\"type\": \"docker\"}, "
              "{\"type\": \"docker\", \"name\": \"host\"}]}",
              "config.json: sinks[2].name: \"host\" is already used by sinks[0]");
    parse_bad("{\"sinks\": [{\"type\": \"a\", \"name\": \"x\"}, {\"type\": \"b\", \"name\": "
              "\"y\"}, {\"type\": \"c\", \"name\": \"y\"}, {\"type\": \"d\", \"name\": \"x\"}]}",
              "config.json: sinks[2].name: \"y\" is already used by sinks[1]");
    parse_bad(
        "{\"sinks\": [{\"type\": \"docker\", \"name\": \"docker-1\"}, {\"type\": \"docker\"}]}",
        "config.json: sinks[1]: the default name \"docker-1\" is already used by sinks[0]; "
        "set \"name\"");
}

/* --- jsonutil directly --- */

static void test_jsonutil(void)
{
    static const char *const allowed[] = {"a", "b", NULL};
    struct jsonutil_err e;
    const cJSON *obj = NULL;
    const char *s = "unchanged";
    double num = -1;
    int flag = -1;
    char path[JSONUTIL_PATH_MAX], small[8];
    cJSON *root = NULL;
    const char *text;
    char *val, *key;
    enum ecd_status st;

    jsonutil_err_init(&e, NULL, ECD_EPROTO);
    st = jsonutil_parse(&e, "{\n\"x\": tru}", 11, &root);
    tap_ok(st == ECD_EPROTO && !root, "jsonutil_parse returns the chosen status");
    tap_str_eq(e.msg, "line 2, column 6: invalid JSON", "position without a name");

    jsonutil_err_init(&e, "t.json", ECD_ECONFIG);
    text = "{\"s\": \"v\", \"n\": 1.7385984915E9, \"b\": false, \"o\": {\"z\": null}, "
           "\"arr\": []}";
    st = jsonutil_parse(&e, text, strlen(text), &root);
    if (!tap_ok(st == ECD_OK && root, "parses with an exact length"))
        return;
    st = jsonutil_get_string(&e, root, "", "missing", JSONUTIL_OPTIONAL, &s);
    tap_ok(st == ECD_OK && !strcmp(s, "unchanged"), "absent optional string leaves *out");
    st = jsonutil_get_string(&e, root, "", "s", JSONUTIL_REQUIRED, &s);
    tap_ok(st == ECD_OK && !strcmp(s, "v"), "string getter");
    st = jsonutil_get_number(&e, root, "", "n", JSONUTIL_REQUIRED, &num);
    tap_ok(st == ECD_OK && num == 1738598491.5, "number getter reads exponents");
    st = jsonutil_get_bool(&e, root, "", "b", JSONUTIL_REQUIRED, &flag);
    tap_ok(st == ECD_OK && flag == 0, "bool getter");
    st = jsonutil_get_object(&e, root, "", "o", JSONUTIL_REQUIRED, &obj);
    tap_ok(st == ECD_OK && obj, "object getter");
    st = jsonutil_get_string(&e, obj, "o", "z", JSONUTIL_OPTIONAL, &s);
    tap_ok(st == ECD_ECONFIG, "null is not a string");
    tap_str_eq(e.msg, "t.json: o.z: expected a string", "null message");
    st = jsonutil_get_number(&e, root, "top", "s", JSONUTIL_REQUIRED, &num);
    tap_str_eq(e.msg, "t.json: top.s: expected a number", "wrong type message");
    st = jsonutil_get_array(&e, root, "", "nope", JSONUTIL_REQUIRED, &obj);
    tap_ok(st == ECD_ECONFIG, "required member missing");
    tap_str_eq(e.msg, "t.json: nope: missing, expected an array", "missing message");
    st = jsonutil_get_bool(&e, root, "", "n", JSONUTIL_OPTIONAL, &flag);
    tap_str_eq(e.msg, "t.json: n: expected true or false", "bool message");
    st = jsonutil_check_keys(&e, root, "", allowed);
    tap_str_eq(e.msg, "t.json: s: unknown key (allowed: a, b)", "unknown key lists the allowed");
    st = jsonutil_check_unique(&e, root, "");
    tap_ok(st == ECD_OK, "no duplicates");
    st = jsonutil_expect(&e, root, "", JSONUTIL_ARRAY);
    tap_str_eq(e.msg, "t.json: expected an array", "expect without a path");

    /* Wiping: the bytes are zero before the tree is freed. */
    val = cJSON_GetObjectItemCaseSensitive(root, "s")->valuestring;
    key = cJSON_GetObjectItemCaseSensitive(root, "arr")->string;
    jsonutil_wipe(root);
    tap_ok(val[0] == '\0' && key[0] == '\0' && key[2] == '\0',
           "jsonutil_wipe clears strings and keys");
    jsonutil_delete_wiped(root);
    jsonutil_delete_wiped(NULL);

    root = cJSON_CreateObject();
    cJSON_AddItemToObjectCS(root, "const", cJSON_CreateStringReference("literal"));
    jsonutil_delete_wiped(root);
    tap_ok(1, "constant keys and string references are left alone");

    text = "{\"k\": 1, \"j\": 2, \"k\": 3, \"j\": 4, \"j\": 5}";
    st = jsonutil_parse(&e, text, strlen(text), &root);
    if (!st) {
        st = jsonutil_check_unique(&e, root, "p");
        tap_str_eq(e.msg, "t.json: p.k: duplicate key", "first repetition in document order");
        cJSON_Delete(root);
    }

    jsonutil_path_key(path, sizeof(path), "", "k");
    tap_str_eq(path, "k", "path of a root key");
    jsonutil_path_key(path, sizeof(path), "a[1]", "b\tc");
    tap_str_eq(path, "a[1].b?c", "path with a control character");
    jsonutil_path_index(path, sizeof(path), "a.b", 12);
    tap_str_eq(path, "a.b[12]", "index path");
    jsonutil_path_key(small, sizeof(small), "registries", "region");
    tap_str_eq(small, "registr", "paths are truncated");

    st = jsonutil_fail(&e, "p", "%s", "x\ny");
    tap_ok(st == ECD_ECONFIG, "jsonutil_fail returns fail_st");
    tap_str_eq(e.msg, "t.json: p: x?y", "jsonutil_fail defangs");
}

/* --- config_default and AWS_ECR_REGISTRY_IDS --- */

static const char *env_ids;

static const char *fake_getenv(const char *name)
{
    return strcmp(name, "AWS_ECR_REGISTRY_IDS") ? NULL : env_ids;
}

static struct config *default_with(const char *ids, enum ecd_status want, const char *want_log)
{
    struct config *c = NULL;
    enum ecd_status st;
    const char *err;

    env_ids = ids;
    capture_begin();
    st = config_default(fake_getenv, &c);
    err = capture_end();
    tap_ok(st == want && (want == ECD_OK) == (c != NULL), "AWS_ECR_REGISTRY_IDS=%s: status %d",
           ids ? ids : "(unset)", want);
    tap_str_eq(err, want_log ? logline(want_log) : "", "AWS_ECR_REGISTRY_IDS=%s: log",
               ids ? ids : "(unset)");
    return c;
}

static void test_default(void)
{
    struct config *c;

    c = default_with(NULL, ECD_OK, NULL);
    if (c) {
        check_defaults(c, "config_default");
        tap_ok(c->path == NULL, "default has no path");
        tap_ok(c->registries[0].n_registry_ids == 0, "no ids without the variable");
        config_free(c);
    }
    c = default_with(" \t", ECD_OK, NULL);
    if (c) {
        tap_ok(c->registries[0].n_registry_ids == 0, "blank variable counts as unset");
        config_free(c);
    }
    c = default_with("123456789012", ECD_OK, NULL);
    if (c) {
        tap_ok(c->registries[0].n_registry_ids == 1 &&
                   !strcmp(c->registries[0].registry_ids[0], "123456789012"),
               "one id");
        config_free(c);
    }
    c = default_with(" 123456789012 ,\t210987654321 ", ECD_OK, NULL);
    if (c) {
        tap_ok(c->registries[0].n_registry_ids == 2 &&
                   !strcmp(c->registries[0].registry_ids[0], "123456789012") &&
                   !strcmp(c->registries[0].registry_ids[1], "210987654321"),
               "two ids, spaces trimmed");
        config_free(c);
    }
    default_with("123456789012,", ECD_ECONFIG, "AWS_ECR_REGISTRY_IDS: item 2 is empty");
    default_with(",123456789012", ECD_ECONFIG, "AWS_ECR_REGISTRY_IDS: item 1 is empty");
    default_with("123456789012, ,210987654321", ECD_ECONFIG,
                 "AWS_ECR_REGISTRY_IDS: item 2 is empty");
    default_with("123456789012,12345", ECD_ECONFIG,
                 "AWS_ECR_REGISTRY_IDS: item 2 \"12345\": expected 12 digits (an AWS account id)");
    default_with("1234 56789012", ECD_ECONFIG,
                 "AWS_ECR_REGISTRY_IDS: item 1 \"1234 56789012\": expected 12 digits (an AWS "
                 "account id)");
    default_with("123456789012,123456789012", ECD_ECONFIG,
                 "AWS_ECR_REGISTRY_IDS: item 2 repeats item 1");
    default_with("1,2,3,4,5,6,7,8,9,10,11", ECD_ECONFIG,
                 "AWS_ECR_REGISTRY_IDS: at most 10 account ids (the API's limit)");
    tap_ok(config_default(NULL, NULL) == ECD_EINVAL, "config_default(NULL out) is EINVAL");
}

/* --- files --- */

static void write_file(const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "w");

    if (!f || fwrite(text, 1, len, f) != len || fclose(f)) {
        perror(path);
        exit(2);
    }
}

static void test_files(void)
{
    char dir[] = "/tmp/test-config-XXXXXX", path[512], want[1024];
    struct config *c = NULL;
    enum ecd_status st;
    const char *err;
    char *big;

    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        exit(2);
    }
    snprintf(path, sizeof(path), "%s/missing.json", dir);
    capture_begin();
    st = config_load_file(path, &c);
    err = capture_end();
    snprintf(want, sizeof(want), "%s: cannot open: %s", path, strerror(ENOENT));
    tap_ok(st == ECD_ECONFIG && !c, "missing file is a config error");
    tap_str_eq(err, logline(want), "missing file names path and reason");

    capture_begin();
    st = config_load_file(dir, &c);
    err = capture_end();
    snprintf(want, sizeof(want), "%s: cannot read: %s", dir, strerror(EISDIR));
    tap_ok(st == ECD_ECONFIG && !c, "a directory is a config error");
    tap_str_eq(err, logline(want), "directory: names path and reason");

    snprintf(path, sizeof(path), "%s/big.json", dir);
    big = malloc(1024 * 1024 + 1);
    memset(big, ' ', 1024 * 1024 + 1);
    big[0] = '{';
    big[1024 * 1024] = '}';
    write_file(path, big, 1024 * 1024 + 1);
    capture_begin();
    st = config_load_file(path, &c);
    err = capture_end();
    snprintf(want, sizeof(want), "%s: larger than 1024 KiB", path);
    tap_ok(st == ECD_ECONFIG && !c, "a file over 1 MiB is refused");
    tap_str_eq(err, logline(want), "size message");
    big[1024 * 1024 - 1] = '}';
    write_file(path, big, 1024 * 1024);
    capture_begin();
    st = config_load_file(path, &c);
    err = capture_end();
    tap_ok(st == ECD_OK && c, "a file of exactly 1 MiB is read");
    tap_str_eq(err, "", "nothing logged");
    config_free(c);
    unlink(path);
    free(big);

    snprintf(path, sizeof(path), "%s/bad.json", dir);
    write_file(path, "{\"sinks\": [{\"type\": 1}]}", 24);
    capture_begin();
    st = config_load_file(path, &c);
    err = capture_end();
    snprintf(want, sizeof(want), "%s: sinks[0].type: expected a string", path);
    tap_ok(st == ECD_ECONFIG && !c, "bad file rejected");
    tap_str_eq(err, logline(want), "errors from a file name the file");
    unlink(path);

    snprintf(path, sizeof(path), "%s/good.json", dir);
    write_file(path, "{\"registries\": [{\"region\": \"eu-central-1\"}]}", 44);
    c = NULL;
    st = config_load_file(path, &c);
    tap_ok(st == ECD_OK && c && !strcmp(c->path, path) && c->n_registries == 1 &&
               !strcmp(c->registries[0].region, "eu-central-1"),
           "good file loads with its path");
    config_free(c);
    unlink(path);
    rmdir(dir);
}

static void test_example(void)
{
    const char *src = getenv("ECD_TEST_SRCDIR");
    char path[1024];
    struct config *c = NULL;
    enum ecd_status st;
    const char *err;

    if (!src) {
        tap_ok(0, "ECD_TEST_SRCDIR is set (run through meson test)");
        return;
    }
    snprintf(path, sizeof(path), "%s/../config/ecr-credd.conf.example", src);
    capture_begin();
    st = config_load_file(path, &c);
    err = capture_end();
    if (!tap_ok(st == ECD_OK && c, "the shipped example parses"))
        tap_diag("%s", err);
    if (!c)
        return;
    tap_ok(c->refresh.before_expiry_ms == 6 * 3600000 && c->refresh.jitter_ms == 600000 &&
               c->refresh.retry_min_ms == 5000 && c->refresh.retry_max_ms == 300000,
           "example: refresh settings");
    tap_ok(c->n_registries == 2 && c->registries[0].n_registry_ids == 2 &&
               c->registries[0].profile && c->registries[1].region,
           "example: registries use every key");
    tap_ok(c->n_sinks == 2 && !strcmp(c->sinks[0].name, "host") &&
               node_str(c->sinks[0].node, "path"),
           "example: named docker sinks with paths");
    config_free(c);
}

/* Per-registry identity (role_arn, external_id, role_session_name) and explicit hosts /
 * ECR Public. */
static void test_identity(void)
{
    static const char text[] =
        "{\"registries\": [\n"
        "  {\"role_arn\": \"arn:aws:iam::210987654321:role/ecr-reader\", \"external_id\": "
        "\"ext:1/2\",\n   \"role_session_name\": \"ecr-credd@host\", \"profile\": \"base\",\n"
        "   \"hosts\": [\"210987654321.dkr.ecr.eu-west-1.amazonaws.com\",\n"
        "             \"https://210987654321.dkr.ecr-fips.us-gov-west-1.amazonaws.com/x\",\n"
        "             \"111111111111.dkr-ecr.cn-north-1.on.amazonwebservices.com.cn\"]},\n"
        "  {\"public\": true},\n"
        "  {\"public\": false, \"region\": \"eu-west-1\",\n"
        "   \"hosts\": [\"123456789012.dkr.ecr.eu-west-1.amazonaws.com\"]}]}";
    struct config *c = parse_ok(text, "identity and hosts");
    const struct config_registry *r;

    if (!c || c->n_registries != 3) {
        tap_ok(0, "identity and hosts: three registries");
        config_free(c);
        return;
    }
    r = &c->registries[0];
    tap_str_eq(r->role_arn, "arn:aws:iam::210987654321:role/ecr-reader", "role_arn");
    tap_str_eq(r->external_id, "ext:1/2", "external_id");
    tap_str_eq(r->role_session_name, "ecr-credd@host", "role_session_name");
    tap_ok(r->n_hosts == 3 && !r->is_public, "three hosts");
    tap_ok(r->n_hosts == 3 && !strcmp(r->hosts[0].account_id, "210987654321") &&
               !strcmp(r->hosts[0].region, "eu-west-1") && !r->hosts[0].fips &&
               !strcmp(r->hosts[0].partition->name, "aws"),
           "host 0: account, region, partition");
    tap_ok(r->n_hosts == 3 && r->hosts[1].fips && !strcmp(r->hosts[1].region, "us-gov-west-1") &&
               !strcmp(r->hosts[1].partition->name, "aws-us-gov"),
           "host 1: FIPS, GovCloud, scheme and path ignored");
    tap_ok(r->n_hosts == 3 && r->hosts[2].dualstack &&
               !strcmp(r->hosts[2].partition->name, "aws-cn"),
           "host 2: dual-stack, China");
    tap_ok(c->registries[1].is_public && !c->registries[1].n_hosts, "public: true");
    tap_ok(!c->registries[2].is_public && c->registries[2].n_hosts == 1 &&
               !c->registries[2].role_arn && !c->registries[2].external_id,
           "public: false; no identity");
    config_free(c);

    parse_bad("{\"registries\": [{\"role_arn\": \"ecr-reader\"}]}",
              "config.json: registries[0].role_arn: expected an IAM role ARN such as "
              "\"arn:aws:iam::123456789012:role/ecr-reader\"");
    parse_bad("{\"registries\": [{\"role_arn\": \"arn:aws:iam::1234:role/x\"}]}",
              "config.json: registries[0].role_arn: expected an IAM role ARN such as "
              "\"arn:aws:iam::123456789012:role/ecr-reader\"");
    parse_bad("{\"registries\": [{\"role_arn\": 7}]}",
              "config.json: registries[0].role_arn: expected a string");
    parse_bad("{\"registries\": [{\"external_id\": \"abc\"}]}",
              "config.json: registries[0].external_id: only means something with role_arn");
    parse_bad("{\"registries\": [{\"role_arn\": \"arn:aws:iam::123456789012:role/x\", "
              "\"external_id\": \"a b\"}]}",
              "config.json: registries[0].external_id: expected 2-1224 characters of letters, "
              "digits and +=,.@:/_-");
    parse_bad("{\"registries\": [{\"role_session_name\": \"abc\"}]}",
              "config.json: registries[0].role_session_name: only means something with "
              "role_arn");
    parse_bad("{\"registries\": [{\"role_arn\": \"arn:aws:iam::123456789012:role/x\", "
              "\"role_session_name\": \"x\"}]}",
              "config.json: registries[0].role_session_name: expected 2-64 characters of "
              "letters, digits and +=,.@_-");
    parse_bad("{\"registries\": [{\"hosts\": []}]}",
              "config.json: registries[0].hosts: expected at least one registry host");
    parse_bad("{\"registries\": [{\"hosts\": [\"registry.example.com\"]}]}",
              "config.json: registries[0].hosts[0]: \"registry.example.com\": not an ECR "
              "registry host (expected a 12-digit account id followed by "
              ".dkr.ecr.<region>.<domain>)");
    parse_bad("{\"registries\": [{\"hosts\": [\"public.ecr.aws\"]}]}",
              "config.json: registries[0].hosts[0]: ECR Public: use \"public\": true instead of "
              "hosts");
    parse_bad("{\"registries\": [{\"region\": \"us-east-1\", \"hosts\": "
              "[\"123456789012.dkr.ecr.eu-west-1.amazonaws.com\"]}]}",
              "config.json: registries[0].hosts[0]: the host is in region eu-west-1 but region "
              "is us-east-1");
    parse_bad("{\"registries\": [{\"hosts\": [\"123456789012.dkr.ecr.eu-west-1.amazonaws.com\", "
              "\"123456789012.dkr.ecr.eu-west-1.amazonaws.com\"]}]}",
              "config.json: registries[0].hosts[1]: repeats registries[0].hosts[0]");
    parse_bad("{\"registries\": [{\"registry_ids\": [\"123456789012\"], \"hosts\": "
              "[\"123456789012.dkr.ecr.eu-west-1.amazonaws.com\"]}]}",
              "config.json: registries[0].hosts: give registry_ids or hosts, not both (a host "
              "names its account)");
    parse_bad("{\"registries\": [{\"public\": \"yes\"}]}",
              "config.json: registries[0].public: expected true or false");
    parse_bad("{\"registries\": [{\"public\": true, \"registry_ids\": [\"123456789012\"]}]}",
              "config.json: registries[0].public: ECR Public has no registry_ids or hosts: its "
              "one registry is public.ecr.aws");
    parse_bad("{\"registries\": [{\"public\": true, \"region\": \"eu-west-1\"}]}",
              "config.json: registries[0].public: ECR Public tokens come from us-east-1 only; "
              "drop region or set it to us-east-1");
}

int main(void)
{
    test_full();
    test_defaults();
    test_bad();
    test_jsonutil();
    test_default();
    test_files();
    test_example();
    test_identity();
    return tap_done();
}
