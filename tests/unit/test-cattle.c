/* SPDX-License-Identifier: MIT */
/* common/cattle.c: Rancher 1.6 collections, resources, errors, states, hosts, base
 * URLs and request bodies. */
#include <string.h>

#include "cattle.h"
#include "tap.h"

#define REG(id, addr, state)                                                                       \
    "{\"id\":\"" id "\",\"type\":\"registry\",\"state\":\"" state "\",\"serverAddress\":\"" addr   \
    "\",\"links\":{\"self\":\"http://r:8080/v1/registries/" id "\"},\"actions\":{}}"

static void test_list(void)
{
    struct jsonutil_err e;
    struct cattle_list l, all = {0};
    const char *page1 = "{\"type\":\"collection\",\"resourceType\":\"registry\",\"data\":[" REG(
        "1sp1", "https://A.example/",
        "active") "," REG("1sp2", "quay.io",
                          "removed") "],"
                                     "\"pagination\":{\"next\":\"http://r:8080/v1/"
                                     "registries?marker=m2\",\"limit\":2}}";
    const char *page2 = "{\"type\":\"collection\",\"data\":[" REG("1sp3", "b.example",
                                                                  "activating") "],"
                                                                                "\"pagination\":{"
                                                                                "\"next\":null}}";

    jsonutil_err_init(&e, "reply", ECD_EPROTO);
    tap_ok(cattle_list_parse(&e, page1, strlen(page1), CATTLE_TYPE_REGISTRY, &l) == ECD_OK,
           "page 1 parses");
    tap_ok(l.n == 2, "page 1 has 2 items");
    if (l.n == 2) {
        tap_str_eq(l.items[0].id, "1sp1", "first id");
        tap_str_eq(l.items[0].server_address, "https://A.example/", "serverAddress");
        tap_str_eq(l.items[0].self, "http://r:8080/v1/registries/1sp1", "links.self");
        tap_str_eq(l.items[1].state, "removed", "second state");
    }
    tap_str_eq(l.next, "http://r:8080/v1/registries?marker=m2", "pagination.next");
    tap_ok(cattle_list_take(&all, &l) == ECD_OK && all.n == 2 && l.n == 0 && !l.next,
           "take moves the items");
    tap_ok(cattle_list_parse(&e, page2, strlen(page2), CATTLE_TYPE_REGISTRY, &l) == ECD_OK &&
               l.n == 1 && !l.next,
           "page 2 parses, null next is the end");
    tap_ok(cattle_list_take(&all, &l) == ECD_OK && all.n == 3, "three items in all");
    if (all.n == 3)
        tap_str_eq(all.items[2].id, "1sp3", "order kept");
    cattle_list_clear(&all);
    cattle_list_clear(&l);
}

static void list_bad(const char *text, const char *want_type, const char *want_msg)
{
    struct jsonutil_err e;
    struct cattle_list l;
    enum ecd_status st;

    jsonutil_err_init(&e, "reply", ECD_EPROTO);
    st = cattle_list_parse(&e, text, strlen(text), want_type, &l);
    tap_ok(st == ECD_EPROTO && l.n == 0 && !l.items && !l.next, "rejected: %.60s", text);
    tap_str_eq(e.msg, want_msg, "message for %.60s", text);
}

static void test_list_bad(void)
{
    list_bad("[]", CATTLE_TYPE_REGISTRY, "reply: expected a JSON object at the top level");
    list_bad("{\"type\":\"error\",\"status\":401,\"code\":\"Unauthorized\"}", CATTLE_TYPE_REGISTRY,
             "reply: an error object where a resource was expected");
    list_bad("{\"type\":\"registry\",\"data\":[]}", CATTLE_TYPE_REGISTRY,
             "reply: type: expected \"collection\"");
    list_bad("{\"type\":\"collection\",\"data\":{}}", CATTLE_TYPE_REGISTRY,
             "reply: data: expected an array");
    list_bad("{\"type\":\"collection\",\"data\":[1]}", CATTLE_TYPE_REGISTRY,
             "reply: data[0]: expected an object");
    list_bad("{\"type\":\"collection\",\"data\":[{\"type\":\"registry\",\"links\":{\"self\":"
             "\"/v1/registries/1\"}}]}",
             CATTLE_TYPE_REGISTRY, "reply: data[0].id: missing; expected a string");
    list_bad("{\"type\":\"collection\",\"data\":[{\"id\":\"1sp1\",\"type\":\"host\",\"links\":"
             "{\"self\":\"/v1/hosts/1\"}}]}",
             CATTLE_TYPE_REGISTRY, "reply: data[0].type: expected \"registry\", got \"host\"");
    list_bad("{\"type\":\"collection\",\"data\":[{\"id\":\"1 sp\",\"type\":\"registry\","
             "\"links\":{\"self\":\"/v1/r/1\"}}]}",
             CATTLE_TYPE_REGISTRY,
             "reply: data[0].id: expected letters, digits, '.', '_' or '-', got \"1 sp\"");
    list_bad("{\"type\":\"collection\",\"data\":[{\"id\":\"1sp1\",\"type\":\"registry\"}]}",
             CATTLE_TYPE_REGISTRY,
             "reply: data[0].links: missing; expected an object with \"self\"");
    list_bad("{\"type\":\"collection\",\"data\":[{\"id\":\"1sp1\",\"type\":\"registry\","
             "\"links\":{\"self\":\"ftp://x/\"}}]}",
             CATTLE_TYPE_REGISTRY, "reply: data[0].links.self: expected a URL");
    list_bad("{\"type\":\"collection\",\"data\":[{\"id\":\"1sp1\",\"type\":\"registry\","
             "\"links\":{\"self\":\"/v1/r/1\"},\"serverAddress\":5}]}",
             CATTLE_TYPE_REGISTRY, "reply: data[0].serverAddress: expected a string");
    list_bad("{\"type\":\"collection\",\"data\":[],\"pagination\":{\"next\":7}}",
             CATTLE_TYPE_REGISTRY, "reply: pagination.next: expected a string");
    list_bad("{\"type\":\"collection\",\"data\":[],\"pagination\":{\"next\":\"nowhere\"}}",
             CATTLE_TYPE_REGISTRY, "reply: pagination.next: expected a URL");
    list_bad("{\"type\":\"collection\",\"data\":[]", CATTLE_TYPE_REGISTRY,
             "reply:1:30: invalid JSON");
}

static void test_object(void)
{
    struct jsonutil_err e;
    struct cattle_object o;
    const char *cred =
        "{\"id\":\"1rc7\",\"type\":\"registryCredential\",\"state\":\"updating-active\","
        "\"registryId\":\"1sp1\",\"publicValue\":\"AWS\",\"secretValue\":null,"
        "\"links\":{\"self\":\"http://r:8080/v2-beta/projects/1a5/registrycredentials/1rc7\"},"
        "\"actions\":{\"activate\":\"http://r:8080/v2-beta/registrycredentials/1rc7?action="
        "activate\"}}";

    jsonutil_err_init(&e, "reply", ECD_EPROTO);
    tap_ok(cattle_object_parse(&e, cred, strlen(cred), CATTLE_TYPE_CREDENTIAL, &o) == ECD_OK,
           "credential parses");
    tap_str_eq(o.registry_id, "1sp1", "registryId");
    tap_str_eq(o.public_value, "AWS", "publicValue");
    tap_str_eq(o.state, "updating-active", "state");
    tap_str_eq(o.activate, "http://r:8080/v2-beta/registrycredentials/1rc7?action=activate",
               "actions.activate");
    tap_ok(!o.server_address, "no serverAddress on a credential");
    cattle_object_clear(&o);
    tap_ok(cattle_object_parse(&e, cred, strlen(cred), CATTLE_TYPE_REGISTRY, &o) == ECD_EPROTO &&
               !o.id,
           "a credential is not a registry");
    tap_str_eq(e.msg, "reply: type: expected \"registry\", got \"registryCredential\"",
               "wrong type message");
}

static void test_error(void)
{
    struct cattle_error err;
    const char *body = "{\"type\":\"error\",\"status\":409,\"code\":\"InvalidState\","
                       "\"message\":\"State [updating-active] is not updatable\",\"detail\":"
                       "\"line\\nbreak\"}";

    tap_ok(cattle_error_parse(body, strlen(body), &err) == 1, "error body recognised");
    tap_ok(err.status == 409, "status 409");
    tap_str_eq(err.code, "InvalidState", "code");
    tap_str_eq(err.message, "State [updating-active] is not updatable", "message");
    tap_str_eq(err.detail, "line?break", "control characters defanged");
    tap_ok(cattle_error_is_state(&err), "InvalidState is a state error");
    strcpy(err.code, "Conflict");
    tap_ok(cattle_error_is_state(&err), "\"not updatable\" is a state error too");
    strcpy(err.message, "Not unique");
    tap_ok(!cattle_error_is_state(&err), "NotUnique is not");
    tap_ok(cattle_error_parse("{\"type\":\"collection\"}", 21, &err) == 0 && !err.code[0],
           "not an error body");
    tap_ok(cattle_error_parse("<html>", 6, &err) == 0, "HTML is not an error body");
    tap_ok(cattle_error_parse(NULL, 0, &err) == 0, "empty body");
}

static void test_states(void)
{
    tap_ok(cattle_state_kind("active") == CATTLE_STATE_READY, "active: ready");
    tap_ok(cattle_state_kind("inactive") == CATTLE_STATE_READY, "inactive: ready");
    tap_ok(cattle_state_kind(NULL) == CATTLE_STATE_READY, "no state: ready");
    tap_ok(cattle_state_kind("activating") == CATTLE_STATE_WAIT, "activating: wait");
    tap_ok(cattle_state_kind("updating-active") == CATTLE_STATE_WAIT, "updating-active: wait");
    tap_ok(cattle_state_kind("registering") == CATTLE_STATE_WAIT, "registering: wait");
    tap_ok(cattle_state_kind("removed") == CATTLE_STATE_GONE, "removed: gone");
    tap_ok(cattle_state_kind("purging") == CATTLE_STATE_GONE, "purging: gone");
}

static void host_is(const char *in, const char *want)
{
    char out[CATTLE_HOST_MAX];
    int rc = cattle_host_normalize(in, out, sizeof(out));

    if (want)
        tap_str_eq(rc == 0 ? out : NULL, want, "host of \"%s\"", in);
    else
        tap_ok(rc == -1, "no host in \"%s\"", in);
}

static void test_hosts(void)
{
    host_is("123456789012.dkr.ecr.us-east-1.amazonaws.com",
            "123456789012.dkr.ecr.us-east-1.amazonaws.com");
    host_is("https://123456789012.DKR.ecr.us-east-1.amazonaws.com/",
            "123456789012.dkr.ecr.us-east-1.amazonaws.com");
    host_is("HTTP://a.example:443/v2/", "a.example");
    host_is("a.example:5000", "a.example:5000");
    host_is(" quay.io", "quay.io");
    host_is("https://", NULL);
    host_is("", NULL);
    host_is("/path", NULL);
}

static void base_is(const char *url, const char *want_origin)
{
    char *origin = NULL;
    const char *why = NULL;
    enum ecd_status st = cattle_base_check(url, &origin, &why);

    if (want_origin)
        tap_str_eq(st == ECD_OK ? origin : why, want_origin, "base %s", url);
    else
        tap_ok(st == ECD_ECONFIG && why && !origin, "base %s rejected (%s)", url, why ? why : "?");
    free(origin);
}

static void test_base(void)
{
    base_is("http://rancher:8080/v1", "http://rancher:8080");
    base_is("https://rancher.example.com/v2-beta/", "https://rancher.example.com");
    base_is("http://r:8080/v2-beta/projects/1a5", "http://r:8080");
    base_is("http://r:8080/v1/projects/1a5/", "http://r:8080");
    base_is("http://r:8080/prefix/v1", "http://r:8080");
    base_is("http://r:8080/", NULL);
    base_is("http://r:8080", NULL);
    base_is("http://r:8080/v3", NULL);
    base_is("http://r:8080/v1/projects", NULL);
    base_is("http://r:8080/v1/hosts/1h1", NULL);
    base_is("r:8080/v1", NULL);
    base_is("ftp://r/v1", NULL);
    base_is("http:///v1", NULL);
    base_is("http://r/v1?x=1", NULL);
}

static void test_bodies(void)
{
    struct buf b;
    struct secret pw = {0};

    buf_init(&b, 4096);
    tap_ok(secret_set(&pw, "p\"w", 3) == ECD_OK, "secret set");
    tap_ok(cattle_credential_body("1sp1", "AWS", &pw, "a@b.c", &b) == ECD_OK, "create body");
    tap_str_eq(buf_str(&b),
               "{\"type\":\"registryCredential\",\"registryId\":\"1sp1\",\"publicValue\":\"AWS\","
               "\"secretValue\":\"p\\\"w\",\"email\":\"a@b.c\"}",
               "create body text (quotes escaped)");
    buf_reset(&b);
    tap_ok(cattle_credential_body(NULL, "AWS", &pw, "a@b.c", &b) == ECD_OK, "update body");
    tap_str_eq(buf_str(&b),
               "{\"publicValue\":\"AWS\",\"secretValue\":\"p\\\"w\",\"email\":\"a@b.c\"}",
               "update body has only the changing fields");
    buf_reset(&b);
    tap_ok(cattle_registry_body("a.example", &b) == ECD_OK, "registry body");
    tap_str_eq(buf_str(&b),
               "{\"type\":\"registry\",\"serverAddress\":\"a.example\",\"name\":\"a.example\","
               "\"description\":\"Amazon ECR, kept fresh by ecr-credd\"}",
               "registry body text");
    secret_wipe(&pw);
    tap_ok(cattle_credential_body("1", "AWS", &pw, "a@b.c", &b) == ECD_EINVAL, "no secret: EINVAL");
    buf_wipe(&b);
    tap_ok(cattle_id_ok("1sp5") && !cattle_id_ok("") && !cattle_id_ok("a&b=c") &&
               !cattle_id_ok("1 2"),
           "id check");
    tap_str_eq(cattle_url_path("http://h:1/v1/x?y=1"), "/v1/x?y=1", "path of a URL");
    tap_str_eq(cattle_url_path("/v1/x"), "/v1/x", "root-relative link");
    tap_ok(!cattle_url_path("//evil/v1") && !cattle_url_path("http://h") &&
               !cattle_url_path("v1/x"),
           "no path: NULL");
}

int main(void)
{
    test_list();
    test_list_bad();
    test_object();
    test_error();
    test_states();
    test_hosts();
    test_base();
    test_bodies();
    return tap_done();
}
