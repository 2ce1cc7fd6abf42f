/* SPDX-License-Identifier: MIT */
/* credjson.c: credential_process, container and IMDS documents, and each rejection. */
#include <string.h>

#include "credjson.h"
#include "tap.h"

static void bad(enum credjson_kind kind, const char *text, enum ecd_status want_st,
                const char *want)
{
    struct aws_credentials c = {0};
    char why[256];
    enum ecd_status st = credjson_parse(kind, text, strlen(text), &c, why, sizeof(why));

    tap_ok(st == want_st && c.access_key_id == NULL && !c.secret_key.ptr, "rejected: %s", want);
    tap_str_eq(why, want, "why: %s", want);
    tap_ok(!strstr(why, "SECRET"), "why quotes no secret");
}

static void test_good(void)
{
    static const char proc[] = "{\"Version\": 1, \"AccessKeyId\": \"AKIDPROC\", "
                               "\"SecretAccessKey\": \"SECRET\", \"SessionToken\": \"TOK\", "
                               "\"Expiration\": \"2030-01-01T00:00:00Z\", \"AccountId\": \"1\"}";
    static const char ecs[] = "{\"AccessKeyId\":\"ASIAECS\",\"SecretAccessKey\":\"SECRET\","
                              "\"Token\":\"T\",\"Expiration\":\"2024-01-15T18:00:00Z\","
                              "\"RoleArn\":\"arn:aws:iam::1:role/x\"}";
    static const char imds[] = "{\"Code\":\"Success\",\"LastUpdated\":\"2024-01-15T12:00:00Z\","
                               "\"Type\":\"AWS-HMAC\",\"AccessKeyId\":\"ASIAIMDS\","
                               "\"SecretAccessKey\":\"SECRET\",\"Token\":\"T\","
                               "\"Expiration\":\"2024-01-15T18:00:00Z\"}";
    static const char bare[] = "{\"Version\":1,\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\"}";
    struct aws_credentials c = {0};
    char why[256] = "x";
    enum ecd_status st;

    st = credjson_parse(CREDJSON_PROCESS, proc, strlen(proc), &c, why, sizeof(why));
    tap_ok(st == ECD_OK && why[0] == '\0', "process output parses");
    tap_str_eq(c.access_key_id, "AKIDPROC", "process key id");
    tap_str_eq(c.secret_key.ptr, "SECRET", "process secret");
    tap_str_eq(c.session_token.ptr, "TOK", "process token");
    tap_ok(c.expiration == 1893456000, "process expiration");
    st = credjson_parse(CREDJSON_PROCESS, bare, strlen(bare), &c, why, sizeof(why));
    tap_ok(st == ECD_OK && c.expiration == 0 && !c.session_token.ptr,
           "process: no token, no expiration: static");
    st = credjson_parse(CREDJSON_CONTAINER, ecs, strlen(ecs), &c, why, sizeof(why));
    tap_ok(st == ECD_OK && c.expiration == 1705341600, "container document parses");
    tap_str_eq(c.session_token.ptr, "T", "container token from \"Token\"");
    st = credjson_parse(CREDJSON_IMDS, imds, strlen(imds), &c, why, sizeof(why));
    tap_ok(st == ECD_OK, "IMDS document parses");
    tap_str_eq(c.access_key_id, "ASIAIMDS", "IMDS key id");
    aws_credentials_clear(&c);
}

static void test_bad(void)
{
    bad(CREDJSON_PROCESS, "", ECD_EPROTO, "empty document, expected JSON");
    bad(CREDJSON_PROCESS, "not json", ECD_EPROTO, "line 1, column 1: invalid JSON");
    bad(CREDJSON_PROCESS, "[]", ECD_EPROTO, "expected an object");
    bad(CREDJSON_PROCESS, "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"SECRET\"}", ECD_EPROTO,
        "Version: missing, expected a number");
    bad(CREDJSON_PROCESS, "{\"Version\":2,\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"SECRET\"}",
        ECD_EPROTO, "Version: expected 1, the only version there is");
    bad(CREDJSON_PROCESS, "{\"Version\":1,\"SecretAccessKey\":\"SECRET\"}", ECD_EPROTO,
        "AccessKeyId: missing, expected a string");
    bad(CREDJSON_PROCESS, "{\"Version\":1,\"AccessKeyId\":\"\",\"SecretAccessKey\":\"SECRET\"}",
        ECD_EPROTO, "AccessKeyId: expected a non-empty string");
    bad(CREDJSON_PROCESS, "{\"Version\":1,\"AccessKeyId\":\"A\",\"SecretAccessKey\":7}", ECD_EPROTO,
        "SecretAccessKey: expected a string");
    bad(CREDJSON_PROCESS,
        "{\"Version\":1,\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"SECRET\",\"Expiration\":\"x\"}",
        ECD_EPROTO, "Expiration: expected an ISO 8601 time like 2024-01-15T13:00:00Z");
    bad(CREDJSON_CONTAINER,
        "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"SECRET\",\"Token\":\"T\"}", ECD_EPROTO,
        "Expiration: missing, expected a string");
    bad(CREDJSON_CONTAINER,
        "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"SECRET\",\"SessionToken\":\"T\","
        "\"Expiration\":\"2030-01-01T00:00:00Z\"}",
        ECD_EPROTO, "Token: missing, expected a string");
    bad(CREDJSON_IMDS, "{\"Code\":\"AssumeRoleUnauthorizedAccess\",\"Message\":\"no\\ntrust\"}",
        ECD_EAUTH, "instance metadata answered Code AssumeRoleUnauthorizedAccess: no?trust");
}

int main(void)
{
    test_good();
    test_bad();
    return tap_done();
}
