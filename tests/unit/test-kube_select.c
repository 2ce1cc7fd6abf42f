/* SPDX-License-Identifier: MIT */
/* kube_select: label selector grammar and matching (as the API server reads it),
 * name and glob validation, and the namespace filter built from sink config keys. */
#include <cjson/cJSON.h>

#include "kube_select.h"
#include "tap.h"

static const char *labels_json =
    "{\"env\":\"prod\",\"tier\":\"web\",\"team\":\"a\",\"example.com/owner\":\"x\",\"n\":3}";

static int sel_match(const char *text, const char *labels)
{
    struct jsonutil_err e;
    struct kube_selector *s = NULL;
    cJSON *l = labels ? cJSON_Parse(labels) : NULL;
    int m;

    jsonutil_err_init(&e, "f", ECD_ECONFIG);
    if (kube_selector_parse(&e, "sel", text, &s)) {
        cJSON_Delete(l);
        return -1;
    }
    m = kube_selector_match(s, l);
    kube_selector_free(s);
    cJSON_Delete(l);
    return m;
}

static void sel_err(const char *text, const char *want)
{
    struct jsonutil_err e;
    struct kube_selector *s = NULL;
    enum ecd_status st;

    jsonutil_err_init(&e, "f.json", ECD_ECONFIG);
    st = kube_selector_parse(&e, "sinks[0].namespace_selector", text, &s);
    tap_ok(st == ECD_ECONFIG && s == NULL, "selector \"%s\" rejected", text);
    tap_str_eq(e.msg, want, "selector \"%s\": message", text);
}

static void test_selector(void)
{
    struct {
        const char *sel;
        int want;
    } cases[] = {
        {"", 1},
        {"   ", 1},
        {"env=prod", 1},
        {"env==prod", 1},
        {"env = prod", 1},
        {"env=dev", 0},
        {"env!=dev", 1},
        {"env!=prod", 0},
        {"missing!=x", 1}, /* absent satisfies != */
        {"env", 1},
        {"missing", 0},
        {"!missing", 1},
        {"!env", 0},
        {"! env", 0},
        {"tier in (web,api)", 1},
        {"tier in (api, db)", 0},
        {"tier notin (api,db)", 1},
        {"tier notin (web)", 0},
        {"missing notin (x)", 1},
        {"missing in (x)", 0},
        {"env=prod,tier=web", 1},
        {"env=prod, tier=api", 0},
        {"env in (prod),!legacy,team!=ops", 1},
        {"example.com/owner=x", 1},
        {"example.com/owner", 1},
        {"n", 0}, /* a non-string value counts as absent */
        {"env=", 0},
        {"empty=", 0},
        {"tier in(web)", 1},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        tap_ok(sel_match(cases[i].sel, labels_json) == cases[i].want, "selector \"%s\" -> %d",
               cases[i].sel, cases[i].want);
    tap_ok(sel_match("env=prod", NULL) == 0, "no labels: env=prod does not match");
    tap_ok(sel_match("!env", NULL) == 1, "no labels: !env matches");
    tap_ok(sel_match("x=", "{\"x\":\"\"}") == 1, "empty value matches an empty label");

    sel_err("env=prod,", "f.json: sinks[0].namespace_selector: at offset 9: expected a "
                         "requirement after \",\"");
    sel_err("env in ()", "f.json: sinks[0].namespace_selector: at offset 8: expected at least "
                         "one value in the parentheses");
    sel_err("env in (a b)", "f.json: sinks[0].namespace_selector: at offset 10: expected \",\" "
                            "or \")\" in the value list");
    sel_err("env in a", "f.json: sinks[0].namespace_selector: at offset 7: expected \"(\" after "
                        "\"in\"");
    sel_err("n > 3", "f.json: sinks[0].namespace_selector: at offset 2: the numeric operators < "
                     "and > are not supported");
    sel_err("=x", "f.json: sinks[0].namespace_selector: at offset 0: expected a label key "
                  "([prefix/]name, the name at most 63 of A-Z a-z 0-9 - _ ., the prefix a DNS "
                  "subdomain)");
    sel_err("-bad=x", "f.json: sinks[0].namespace_selector: at offset 0: expected a label key "
                      "([prefix/]name, the name at most 63 of A-Z a-z 0-9 - _ ., the prefix a DNS "
                      "subdomain)");
    sel_err("Ex.com/a=x", "f.json: sinks[0].namespace_selector: at offset 0: expected a label key "
                          "([prefix/]name, the name at most 63 of A-Z a-z 0-9 - _ ., the prefix a "
                          "DNS subdomain)");
    sel_err("env=pr od", "f.json: sinks[0].namespace_selector: at offset 7: expected \",\" or "
                         "the end after a requirement");
    sel_err("env=-x", "f.json: sinks[0].namespace_selector: at offset 4: expected a label value "
                      "(at most 63 of A-Z a-z 0-9 - _ ., alphanumeric at both ends)");
    sel_err("env ~ x", "f.json: sinks[0].namespace_selector: at offset 4: expected =, ==, !=, "
                       "in, notin, \",\" or the end after the key");
    sel_err("a\x01=b", "f.json: sinks[0].namespace_selector: at offset 1: expected =, ==, !=, "
                       "in, notin, \",\" or the end after the key");
    {
        char longv[80];

        memset(longv, 'v', sizeof(longv));
        memcpy(longv, "k=", 2);
        longv[2 + 64] = '\0';
        tap_ok(sel_match(longv, NULL) == -1, "a 64-character value is refused");
        longv[2 + 63] = '\0';
        tap_ok(sel_match(longv, NULL) == 0, "a 63-character value is accepted");
    }
}

static void test_names(void)
{
    tap_ok(kube_name_valid("team-a") && kube_name_valid("a") && kube_name_valid("0x"),
           "names: valid ones");
    tap_ok(!kube_name_valid("") && !kube_name_valid("-a") && !kube_name_valid("a-") &&
               !kube_name_valid("A") && !kube_name_valid("a.b") && !kube_name_valid("a_b"),
           "names: invalid ones");
    tap_ok(kube_glob_valid("team-*") && kube_glob_valid("*") && kube_glob_valid("t?am") &&
               kube_glob_valid("[a-c]*") && kube_glob_valid("[!k]*"),
           "globs: valid ones");
    tap_ok(!kube_glob_valid("team/*") && !kube_glob_valid("[abc") && !kube_glob_valid("T*") &&
               !kube_glob_valid("a b*"),
           "globs: invalid ones");
    tap_ok(kube_glob_is_pattern("a*") && kube_glob_is_pattern("a?") &&
               kube_glob_is_pattern("[a]") && !kube_glob_is_pattern("abc"),
           "globs: pattern detection");
}

static enum ecd_status filter(const char *json, const char *dflt, struct kube_nsfilter *f,
                              char *msg, size_t n)
{
    struct jsonutil_err e;
    cJSON *obj = cJSON_Parse(json);
    enum ecd_status st;

    jsonutil_err_init(&e, "c.json", ECD_ECONFIG);
    st = kube_nsfilter_parse(&e, obj, "sinks[1]", dflt, f);
    snprintf(msg, n, "%s", e.msg);
    cJSON_Delete(obj);
    return st;
}

static void test_filter(void)
{
    struct kube_nsfilter f;
    char msg[512];
    cJSON *prod = cJSON_Parse("{\"env\":\"prod\"}");

    tap_ok(filter("{}", "mine", &f, msg, sizeof(msg)) == ECD_OK && f.n_include == 1 &&
               !strcmp(f.include[0], "mine") && kube_nsfilter_is_literal(&f),
           "filter: default is the client's namespace, literal");
    tap_ok(kube_nsfilter_match(&f, "mine", NULL) && !kube_nsfilter_match(&f, "other", NULL),
           "filter: default matches only it");
    kube_nsfilter_deinit(&f);

    tap_ok(filter("{\"namespace_selector\":\"env=prod\"}", "mine", &f, msg, sizeof(msg)) ==
                   ECD_OK &&
               !strcmp(f.include[0], "*") && !kube_nsfilter_is_literal(&f),
           "filter: a selector alone means every namespace");
    tap_ok(kube_nsfilter_match(&f, "x", prod) && !kube_nsfilter_match(&f, "x", NULL),
           "filter: selector decides");
    kube_nsfilter_deinit(&f);

    tap_ok(filter("{\"namespaces\":[\"team-*\",\"ops\"],\"exclude\":[\"team-old*\"]}", "d", &f, msg,
                  sizeof(msg)) == ECD_OK &&
               !kube_nsfilter_is_literal(&f),
           "filter: globs and excludes");
    tap_ok(kube_nsfilter_match(&f, "team-a", NULL) && kube_nsfilter_match(&f, "ops", NULL) &&
               !kube_nsfilter_match(&f, "team-old1", NULL) &&
               !kube_nsfilter_match(&f, "default", NULL) && !kube_nsfilter_match(&f, "ops2", NULL),
           "filter: glob matching with exclusion");
    kube_nsfilter_deinit(&f);

    tap_ok(filter("{\"namespaces\":[\"a\",\"b\"]}", "d", &f, msg, sizeof(msg)) == ECD_OK &&
               kube_nsfilter_is_literal(&f),
           "filter: plain names are literal");
    kube_nsfilter_deinit(&f);

    tap_ok(filter("{\"namespaces\":[]}", "d", &f, msg, sizeof(msg)) == ECD_ECONFIG,
           "filter: empty");
    tap_str_eq(msg, "c.json: sinks[1].namespaces: expected at least one namespace name or glob",
               "filter: empty list message");
    tap_ok(filter("{\"namespaces\":[\"ok\",\"Bad_Name\"]}", "d", &f, msg, sizeof(msg)) ==
               ECD_ECONFIG,
           "filter: bad name");
    tap_str_eq(msg,
               "c.json: sinks[1].namespaces[1]: expected a namespace name or glob (a-z 0-9 - with "
               "* ? [...]), got \"Bad_Name\"",
               "filter: bad name message");
    tap_ok(filter("{\"exclude\":[3]}", "d", &f, msg, sizeof(msg)) == ECD_ECONFIG, "filter: number");
    tap_str_eq(msg, "c.json: sinks[1].exclude[0]: expected a string", "filter: number message");
    tap_ok(filter("{\"exclude\":\"kube-*\"}", "d", &f, msg, sizeof(msg)) == ECD_ECONFIG,
           "filter: exclude not a list");
    tap_str_eq(msg, "c.json: sinks[1].exclude: expected an array", "filter: exclude message");
    tap_ok(filter("{\"namespace_selector\":\"a in\"}", "d", &f, msg, sizeof(msg)) == ECD_ECONFIG,
           "filter: bad selector");
    tap_str_eq(msg, "c.json: sinks[1].namespace_selector: at offset 4: expected \"(\" after \"in\"",
               "filter: bad selector message");
    cJSON_Delete(prod);
}

int main(void)
{
    test_selector();
    test_names();
    test_filter();
    return tap_done();
}
