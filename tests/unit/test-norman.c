/* SPDX-License-Identifier: MIT */
/* norman.c: Rancher v3 error objects, projects, collections and credential objects as
 * Rancher sends them, each rejection with its message, the foreign-registry rule, and
 * the create/update bodies (passwords resent, everything else of the object kept). */
#include <cjson/cJSON.h>
#include <string.h>

#include "norman.h"
#include "tap.h"

#define HOST_A "123456789012.dkr.ecr.us-east-1.amazonaws.com"
#define HOST_B "210987654321.dkr.ecr.eu-west-1.amazonaws.com"
#define BASE   "https://rancher.example/v3"

#define CRED(id, name, ns, extra)                                                                  \
    "{\"type\":\"dockerCredential\",\"baseType\":\"dockerCredential\",\"id\":\"" id "\","          \
    "\"name\":\"" name "\",\"projectId\":\"c-abc12:p-xyz34\",\"namespaceId\":" ns ","              \
    "\"created\":\"2024-01-15T12:00:00Z\",\"description\":\"pull from ECR\","                      \
    "\"labels\":{\"team\":\"a\"},\"annotations\":{\"note\":\"x\"},"                                \
    "\"registries\":{\"" HOST_A "\":{\"username\":\"AWS\",\"email\":\"\","                         \
    "\"description\":null}}," extra "\"links\":{\"self\":\"" BASE                                  \
    "/project/c-abc12:p-xyz34/dockercredentials/" id "\",\"update\":\"" BASE                       \
    "/project/c-abc12:p-xyz34/dockercredentials/" id "\",\"remove\":\"" BASE                       \
    "/project/c-abc12:p-xyz34/dockercredentials/" id "\"}}"

static int parses(const char *text, size_t len, enum norman_kind kind, struct norman_cred *c,
                  struct jsonutil_err *e)
{
    jsonutil_err_init(e, "Rancher reply", ECD_EPROTO);
    return norman_cred_parse(e, text, len, kind, c) == ECD_OK;
}

static void test_syntax(void)
{
    tap_ok(norman_valid_project_id("c-abc12:p-xyz34"), "project id c-abc12:p-xyz34");
    tap_ok(norman_valid_project_id("local:p-qt6tq"), "project id local:p-qt6tq");
    tap_ok(!norman_valid_project_id("p-xyz34"), "project id without cluster rejected");
    tap_ok(!norman_valid_project_id("c-abc:"), "project id with empty project rejected");
    tap_ok(!norman_valid_project_id(":p-x"), "project id with empty cluster rejected");
    tap_ok(!norman_valid_project_id("C-ABC:p-x"), "project id in upper case rejected");
    tap_ok(!norman_valid_project_id("c-abc:p-x:y"), "project id with two colons rejected");
    tap_ok(!norman_valid_project_id("c-abc:p-x/../y"), "project id with a path rejected");
    tap_ok(norman_valid_name("ecr-pull") && norman_valid_name("ecr.pull-2"), "names");
    tap_ok(!norman_valid_name("Ecr") && !norman_valid_name("-a") && !norman_valid_name("a..b") &&
               !norman_valid_name("") && !norman_valid_name("a b") && !norman_valid_name("a&b=c"),
           "bad names rejected");
    tap_ok(norman_valid_namespace("team-a") && !norman_valid_namespace("team.a") &&
               !norman_valid_namespace("a234567890123456789012345678901234567890123456789012345"
                                       "678901234"),
           "namespaces: labels only, at most 63");
}

static void test_error(void)
{
    static const char e401[] = "{\"type\":\"error\",\"status\":\"401\",\"message\":\"must "
                               "authenticate\",\"code\":\"Unauthorized\"}";
    static const char e422[] = "{\"baseType\":\"error\",\"code\":\"MissingRequired\",\"fieldName\":"
                               "\"projectId\",\"message\":\"bad\\nline\",\"status\":422,"
                               "\"type\":\"error\"}";
    struct norman_error ne;

    tap_ok(norman_error_parse(e401, strlen(e401), &ne) == ECD_OK && ne.status == 401,
           "401 error object (status as a string)");
    tap_str_eq(ne.code, "Unauthorized", "401 code");
    tap_str_eq(ne.message, "must authenticate", "401 message");
    norman_error_clear(&ne);
    tap_ok(norman_error_parse(e422, strlen(e422), &ne) == ECD_OK && ne.status == 422,
           "422 error object (status as a number)");
    tap_str_eq(ne.message, "bad?line", "control characters in the message replaced");
    norman_error_clear(&ne);
    tap_ok(norman_error_parse("{\"type\":\"collection\"}", 21, &ne) == ECD_EPROTO && !ne.code &&
               !ne.message,
           "another type is not an error object");
    tap_ok(norman_error_parse("<html>502 Bad Gateway</html>", 28, &ne) == ECD_EPROTO,
           "an HTML page is not an error object");
    tap_ok(norman_error_parse(NULL, 0, &ne) == ECD_EPROTO, "an empty body is not one");
    tap_ok(norman_error_parse("{\"type\":\"error\",\"status\":1e99}", 30, &ne) == ECD_OK &&
               ne.status == 0 && !ne.code,
           "absurd status ignored, missing members stay NULL");
    norman_error_clear(&ne);
}

static void test_project(void)
{
    static const char proj[] =
        "{\"type\":\"project\",\"id\":\"c-abc12:p-xyz34\",\"name\":\"Default\",\"links\":{"
        "\"self\":\"" BASE "/projects/c-abc12:p-xyz34\",\"dockerCredentials\":\"" BASE
        "/projects/c-abc12:p-xyz34/dockercredentials\",\"namespacedDockerCredentials\":\"" BASE
        "/projects/c-abc12:p-xyz34/namespaceddockercredentials\"}}";
    static const char lower[] = "{\"type\":\"project\",\"id\":\"local:p-1\",\"links\":{"
                                "\"dockercredentials\":\"" BASE "/x\"}}";
    static const char badlink[] =
        "{\"type\":\"project\",\"id\":\"a:b\",\"links\":{\"dockerCredentials\":7}}";
    struct jsonutil_err e;
    struct norman_project p;

    jsonutil_err_init(&e, "Rancher reply", ECD_EPROTO);
    tap_ok(norman_project_parse(&e, proj, strlen(proj), "c-abc12:p-xyz34", &p) == ECD_OK,
           "project parsed");
    tap_str_eq(p.creds_url, BASE "/projects/c-abc12:p-xyz34/dockercredentials",
               "project: dockerCredentials link");
    tap_str_eq(p.ns_creds_url, BASE "/projects/c-abc12:p-xyz34/namespaceddockercredentials",
               "project: namespacedDockerCredentials link");
    norman_project_clear(&p);
    tap_ok(norman_project_parse(&e, lower, strlen(lower), "local:p-1", &p) == ECD_OK &&
               p.creds_url && !strcmp(p.creds_url, BASE "/x") && !p.ns_creds_url,
           "project: link keys matched case-insensitively; an absent link stays NULL");
    norman_project_clear(&p);
    tap_ok(norman_project_parse(&e, proj, strlen(proj), "c-abc12:p-other", &p) == ECD_EPROTO,
           "project with another id rejected");
    tap_str_eq(e.msg, "Rancher reply: id: expected \"c-abc12:p-other\", got \"c-abc12:p-xyz34\"",
               "message names the ids");
    tap_ok(norman_project_parse(&e, "{\"type\":\"collection\",\"data\":[]}", 31, "a:b", &p) ==
               ECD_EPROTO,
           "a collection is not a project");
    tap_str_eq(e.msg, "Rancher reply: type: expected \"project\", got \"collection\"",
               "message names the types");
    tap_ok(norman_project_parse(&e, badlink, strlen(badlink), "a:b", &p) == ECD_EPROTO,
           "a link that is not a string rejected");
    tap_str_eq(e.msg, "Rancher reply: links.dockerCredentials: expected a URL", "its message");
    tap_ok(norman_project_parse(&e, "{\"type\":\"project\"", 17, "a:b", &p) == ECD_EPROTO &&
               strstr(e.msg, "invalid JSON"),
           "truncated JSON rejected");
}

static void test_cred(void)
{
    static const char one[] = CRED("p-xyz34:ecr-pull", "ecr-pull", "null", "");
    static const char nolinks[] = "{\"type\":\"dockerCredential\",\"id\":\"p-1:a\",\"name\":\"a\"}";
    static const char badreg[] = "{\"type\":\"dockerCredential\",\"id\":\"p-1:a\",\"name\":\"a\","
                                 "\"links\":{\"self\":\"x\"},\"registries\":{\"h\":\"pw\"}}";
    static const char badid[] = "{\"type\":\"dockerCredential\",\"id\":\"a\",\"name\":\"a\","
                                "\"links\":{\"self\":\"x\"}}";
    struct jsonutil_err e;
    struct norman_cred c;

    tap_ok(parses(one, strlen(one), NORMAN_PROJECT, &c, &e), "credential parsed");
    tap_str_eq(c.id, "p-xyz34:ecr-pull", "credential: id");
    tap_str_eq(c.name, "ecr-pull", "credential: name");
    tap_str_eq(c.project_id, "c-abc12:p-xyz34", "credential: projectId");
    tap_ok(c.namespace_id == NULL, "credential: namespaceId null");
    tap_ok(c.n_registries == 1 && !strcmp(c.registries[0].host, HOST_A) &&
               !strcmp(c.registries[0].username, "AWS"),
           "credential: one registry with its username");
    tap_ok(c.link_self && c.link_update && !c.managed && !c.is_copy && c.raw,
           "credential: links, not managed, not a copy, raw kept");
    norman_cred_clear(&c);
    tap_ok(!parses(one, strlen(one), NORMAN_NAMESPACED, &c, &e), "wrong type rejected");
    tap_str_eq(e.msg,
               "Rancher reply: type: expected \"namespacedDockerCredential\", got "
               "\"dockerCredential\"",
               "its message");
    tap_ok(!parses(nolinks, strlen(nolinks), NORMAN_PROJECT, &c, &e), "no links.self rejected");
    tap_str_eq(e.msg, "Rancher reply: links.self: missing, expected a URL", "its message");
    tap_ok(!parses(badreg, strlen(badreg), NORMAN_PROJECT, &c, &e) && !c.raw && !c.id,
           "a registry that is not an object rejected, nothing kept");
    tap_str_eq(e.msg, "Rancher reply: registries.h: expected an object", "its message");
    tap_ok(!parses(badid, strlen(badid), NORMAN_PROJECT, &c, &e), "id without ':' rejected");
    tap_str_eq(e.msg, "Rancher reply: id: expected \"<namespace>:<name>\", got \"a\"",
               "its message");
}

static void test_collection(void)
{
    static const char coll[] =
        "{\"type\":\"collection\",\"resourceType\":\"namespacedDockerCredential\",\"data\":["
        /* another name, same namespace */
        "{\"type\":\"namespacedDockerCredential\",\"id\":\"team-a:other\",\"name\":\"other\","
        "\"namespaceId\":\"team-a\",\"links\":{\"self\":\"u\"}},"
        /* the right name in another namespace */
        "{\"type\":\"namespacedDockerCredential\",\"id\":\"team-b:ecr-pull\",\"name\":\"ecr-pull\","
        "\"namespaceId\":\"team-b\",\"links\":{\"self\":\"u\"}},"
        /* the one */
        "{\"type\":\"namespacedDockerCredential\",\"id\":\"team-a:ecr-pull\",\"name\":\"ecr-pull\","
        "\"namespaceId\":\"team-a\",\"labels\":{\"app.kubernetes.io/managed-by\":\"ecr-credd\"},"
        "\"registries\":{},\"links\":{\"self\":\"" BASE "/s\"}}"
        "],\"pagination\":{\"limit\":1000,\"total\":3}}";
    static const char copy[] =
        "{\"type\":\"collection\",\"data\":[{\"type\":\"namespacedDockerCredential\",\"id\":"
        "\"team-a:ecr-pull\",\"name\":\"ecr-pull\",\"namespaceId\":\"team-a\",\"annotations\":{"
        "\"secret.user.cattle.io/secret\":\"true\"},\"links\":{\"self\":\"u\"}}]}";
    static const char paged[] =
        "{\"type\":\"collection\",\"data\":[],\"pagination\":{\"next\":\"" BASE
        "/x?marker=2\",\"limit\":1}}";
    static const char twice[] =
        "{\"type\":\"collection\",\"data\":[" CRED("p-1:ecr-pull", "ecr-pull", "null", "") "," CRED(
            "p-2:ecr-pull", "ecr-pull", "null", "") "]}";
    static const char proj_ns[] = "{\"type\":\"collection\",\"data\":[" CRED(
        "p-1:ecr-pull", "ecr-pull", "\"team-a\"", "") "]}";
    static const char notobj[] = "{\"type\":\"collection\",\"data\":[1]}";
    struct jsonutil_err e;
    struct norman_cred c;
    char *next = NULL;
    int found = -1;

    jsonutil_err_init(&e, "Rancher reply", ECD_EPROTO);
    tap_ok(norman_collection_find(&e, coll, strlen(coll), NORMAN_NAMESPACED, "ecr-pull", "team-a",
                                  &found, &c, &next) == ECD_OK &&
               found == 1 && !next,
           "collection: found among others");
    tap_str_eq(c.id, "team-a:ecr-pull", "collection: the one in the right namespace");
    tap_ok(c.managed && !c.is_copy && c.n_registries == 0 && c.raw, "collection: managed label");
    norman_cred_clear(&c);
    tap_ok(norman_collection_find(&e, coll, strlen(coll), NORMAN_NAMESPACED, "ecr-pull", "team-c",
                                  &found, &c, &next) == ECD_OK &&
               found == 0 && !next && !c.id,
           "collection: not in this namespace");
    tap_ok(norman_collection_find(&e, copy, strlen(copy), NORMAN_NAMESPACED, "ecr-pull", "team-a",
                                  &found, &c, &next) == ECD_OK &&
               found == 1 && c.is_copy,
           "collection: Rancher's copy recognised");
    norman_cred_clear(&c);
    tap_ok(norman_collection_find(&e, paged, strlen(paged), NORMAN_PROJECT, "ecr-pull", NULL,
                                  &found, &c, &next) == ECD_OK &&
               found == 0 && next && !strcmp(next, BASE "/x?marker=2"),
           "collection: pagination.next handed back");
    free(next);
    next = NULL;
    tap_ok(norman_collection_find(&e, twice, strlen(twice), NORMAN_PROJECT, "ecr-pull", NULL,
                                  &found, &c, &next) == ECD_EPROTO &&
               !found && !c.raw,
           "collection: two matches rejected");
    tap_str_eq(e.msg,
               "Rancher reply: data[1]: a second dockerCredential called \"ecr-pull\" (first at "
               "data[0])",
               "its message");
    tap_ok(norman_collection_find(&e, proj_ns, strlen(proj_ns), NORMAN_PROJECT, "ecr-pull", NULL,
                                  &found, &c, &next) == ECD_OK &&
               found == 0,
           "collection: a project-scoped search skips items with a namespaceId");
    tap_ok(norman_collection_find(&e, notobj, strlen(notobj), NORMAN_PROJECT, "a", NULL, &found, &c,
                                  &next) == ECD_EPROTO,
           "collection: an item that is not an object rejected");
    tap_str_eq(e.msg, "Rancher reply: data[0]: expected an object", "its message");
    tap_ok(norman_collection_find(&e, "{\"type\":\"collection\"}", 21, NORMAN_PROJECT, "a", NULL,
                                  &found, &c, &next) == ECD_EPROTO,
           "collection: no data rejected");
    tap_str_eq(e.msg, "Rancher reply: data: missing, expected an array", "its message");
}

static void test_bodies(void)
{
    static const char one[] =
        CRED("p-xyz34:ecr-pull", "ecr-pull", "null", "\"uuid\":\"u-1\",\"registries2\":1,");
    static const char two[] =
        "{\"type\":\"dockerCredential\",\"id\":\"p-1:a\",\"name\":\"a\",\"links\":{\"self\":\"s\"},"
        "\"registries\":{\"" HOST_A "\":{},\"quay.io\":{\"username\":\"bob\"},\"ghcr.io\":{},"
        "\"docker.io\":{},\"x.io\":{}}}";
    struct secret pa = {0}, aa = {0}, pb = {0}, ab = {0};
    struct norman_put puts[2];
    struct norman_cred c;
    struct jsonutil_err e;
    struct buf out;
    cJSON *j, *r;
    char *foreign = NULL;

    if (secret_set(&pa, "pw-a", 4) || secret_set(&aa, "QVdTOnB3LWE=", 12) ||
        secret_set(&pb, "pw-b", 4) || secret_set(&ab, "QVdTOnB3LWI=", 12)) {
        tap_ok(0, "secrets");
        return;
    }
    puts[0] = (struct norman_put){HOST_A, "AWS", &pa, &aa};
    puts[1] = (struct norman_put){HOST_B, "AWS", &pb, &ab};
    buf_init(&out, 1 << 20);
    tap_ok(norman_render_create(NORMAN_NAMESPACED, "ecr-pull", "c-abc12:p-xyz34", "team-a", puts, 2,
                                &out) == ECD_OK,
           "create body rendered");
    j = cJSON_Parse(buf_str(&out));
    r = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "registries"), HOST_B);
    tap_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(j, "type")), "namespacedDockerCredential",
               "create: type");
    tap_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(j, "namespaceId")), "team-a",
               "create: namespaceId");
    tap_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(j, "projectId")), "c-abc12:p-xyz34",
               "create: projectId");
    tap_str_eq(cJSON_GetStringValue(
                   cJSON_GetObjectItem(cJSON_GetObjectItem(j, "labels"), NORMAN_MANAGED_LABEL)),
               "ecr-credd", "create: managed-by label");
    tap_ok(cJSON_GetArraySize(cJSON_GetObjectItem(j, "registries")) == 2, "create: 2 registries");
    tap_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(r, "password")), "pw-b",
               "create: password");
    tap_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(r, "auth")),
               "QVdTOnB3LWI=", "create: auth");
    tap_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(r, "username")), "AWS", "create: user");
    cJSON_Delete(j);
    buf_wipe(&out);
    tap_ok(norman_render_create(NORMAN_PROJECT, "ecr-pull", "a:b", NULL, puts, 1, &out) == ECD_OK &&
               !strstr(buf_str(&out), "namespaceId"),
           "create: project-scoped has no namespaceId");
    buf_wipe(&out);
    tap_ok(norman_render_create(NORMAN_NAMESPACED, "ecr-pull", "a:b", NULL, puts, 1, &out) ==
               ECD_EINVAL,
           "create: namespaced without namespace is a caller bug");

    jsonutil_err_init(&e, "Rancher reply", ECD_EPROTO);
    if (!parses(one, strlen(one), NORMAN_PROJECT, &c, &e)) {
        tap_ok(0, "update base parsed: %s", e.msg);
        goto out;
    }
    tap_ok(norman_check_foreign(&c, puts, 2, &foreign) == ECD_OK && !foreign,
           "foreign: a subset of ours is fine");
    tap_ok(norman_render_update(&c, puts, 2, &out) == ECD_OK, "update body rendered");
    j = cJSON_Parse(buf_str(&out));
    tap_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(j, "id")), "p-xyz34:ecr-pull",
               "update: id kept");
    tap_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(j, "description")), "pull from ECR",
               "update: description kept");
    tap_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(j, "uuid")), "u-1",
               "update: other members kept");
    tap_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "labels"), "team")),
               "a", "update: existing label kept");
    tap_str_eq(cJSON_GetStringValue(
                   cJSON_GetObjectItem(cJSON_GetObjectItem(j, "labels"), NORMAN_MANAGED_LABEL)),
               "ecr-credd", "update: managed-by label added");
    tap_str_eq(
        cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "annotations"), "note")),
        "x", "update: annotations kept");
    r = cJSON_GetObjectItem(j, "registries");
    tap_ok(cJSON_GetArraySize(r) == 2, "update: registries are exactly ours");
    tap_str_eq(
        cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(r, HOST_A), "password")),
        "pw-a", "update: the existing registry's password resent");
    tap_ok(!cJSON_GetObjectItem(cJSON_GetObjectItem(r, HOST_A), "email"),
           "update: the old entry replaced, not merged");
    cJSON_Delete(j);
    buf_wipe(&out);
    norman_cred_clear(&c);

    if (!parses(two, strlen(two), NORMAN_PROJECT, &c, &e)) {
        tap_ok(0, "foreign base parsed: %s", e.msg);
        goto out;
    }
    tap_ok(norman_check_foreign(&c, puts, 2, &foreign) == ECD_ECONFIG && foreign,
           "foreign: registries of others refused");
    tap_str_eq(foreign, "quay.io, ghcr.io, docker.io, +1 more", "foreign: the list");
    free(foreign);
    foreign = NULL;
    c.managed = 1;
    tap_ok(norman_check_foreign(&c, puts, 2, &foreign) == ECD_OK && !foreign,
           "foreign: a credential ecr-credd manages may drop hosts no longer configured");
    norman_cred_clear(&c);
out:
    buf_wipe(&out);
    secret_wipe(&pa);
    secret_wipe(&aa);
    secret_wipe(&pb);
    secret_wipe(&ab);
}

int main(void)
{
    test_syntax();
    test_error();
    test_project();
    test_cred();
    test_collection();
    test_bodies();
    return tap_done();
}
