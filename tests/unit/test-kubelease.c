/* SPDX-License-Identifier: MIT */
/* kubelease.c: Lease parsing, the bodies that write a holder record, MicroTime. */
#include <string.h>

#include "kubelease.h"
#include "tap.h"

static void bad(const char *text, const char *want)
{
    struct kubelease_rec r = {0};
    cJSON *obj = (cJSON *)1;
    char why[256];
    enum ecd_status st = kubelease_parse(text, strlen(text), &r, &obj, why, sizeof(why));

    tap_ok(st == ECD_EPROTO && !obj && !r.holder && !r.resource_version, "rejected: %s", want);
    tap_str_eq(why, want, "why: %s", want);
}

static void test_parse(void)
{
    static const char full[] =
        "{\"apiVersion\":\"coordination.k8s.io/v1\",\"kind\":\"Lease\",\"metadata\":{\"name\":"
        "\"ecr-credd\",\"namespace\":\"ns\",\"resourceVersion\":\"42\",\"labels\":{\"a\":\"b\"},"
        "\"managedFields\":[{\"manager\":\"x\"}]},\"spec\":{\"holderIdentity\":\"pod-1_ab\","
        "\"leaseDurationSeconds\":15,\"acquireTime\":\"2024-01-15T12:00:00.000000Z\","
        "\"renewTime\":\"2024-01-15T12:00:10.123456Z\",\"leaseTransitions\":3}}";
    static const char empty[] = "{\"metadata\":{\"resourceVersion\":\"7\"},\"spec\":"
                                "{\"holderIdentity\":null}}";
    struct kubelease_rec r = {0}, w = {0};
    cJSON *obj = NULL;
    char why[256], *body = NULL;
    enum ecd_status st;

    st = kubelease_parse(full, strlen(full), &r, &obj, why, sizeof(why));
    tap_ok(st == ECD_OK && !why[0] && obj, "full Lease parses");
    tap_str_eq(r.resource_version, "42", "resourceVersion");
    tap_str_eq(r.holder, "pod-1_ab", "holderIdentity");
    tap_ok(r.duration_s == 15 && r.transitions == 3, "duration and transitions");
    tap_str_eq(r.renew_time, "2024-01-15T12:00:10.123456Z", "renewTime as sent");
    w.resource_version = "42";
    w.holder = "pod-2_cd";
    w.duration_s = 15;
    w.acquire_time = "2024-01-15T12:01:00.000001Z";
    w.renew_time = "2024-01-15T12:01:00.000001Z";
    w.transitions = 4;
    st = kubelease_body(obj, "ns", "ecr-credd", &w, &body);
    tap_ok(st == ECD_OK && body, "update body");
    tap_str_eq(body,
               "{\"metadata\":{\"labels\":{\"a\":\"b\"},\"name\":\"ecr-credd\",\"namespace\":"
               "\"ns\",\"resourceVersion\":\"42\"},\"apiVersion\":\"coordination.k8s.io/v1\","
               "\"kind\":\"Lease\",\"spec\":{\"holderIdentity\":\"pod-2_cd\","
               "\"leaseDurationSeconds\":15,\"acquireTime\":\"2024-01-15T12:01:00.000001Z\","
               "\"renewTime\":\"2024-01-15T12:01:00.000001Z\",\"leaseTransitions\":4}}",
               "update body keeps labels, drops managedFields, sets the record");
    free(body);
    cJSON_Delete(obj);
    w.resource_version = "";
    w.acquire_time = "";
    st = kubelease_body(NULL, "ns", "l", &w, &body);
    tap_str_eq(st ? NULL : body,
               "{\"apiVersion\":\"coordination.k8s.io/v1\",\"kind\":\"Lease\",\"metadata\":{"
               "\"name\":\"l\",\"namespace\":\"ns\"},\"spec\":{\"holderIdentity\":\"pod-2_cd\","
               "\"leaseDurationSeconds\":15,\"renewTime\":\"2024-01-15T12:01:00.000001Z\","
               "\"leaseTransitions\":4}}",
               "create body: no resourceVersion, empty times left out");
    free(body);
    st = kubelease_parse(empty, strlen(empty), &r, NULL, why, sizeof(why));
    tap_ok(st == ECD_OK && !strcmp(r.holder, "") && r.duration_s == 0 && !strcmp(r.renew_time, ""),
           "null holder and absent fields read as empty");
    kubelease_rec_clear(&r);
}

static void test_bad(void)
{
    bad("", "empty document, expected JSON");
    bad("[]", "expected an object");
    bad("{\"kind\":\"Status\",\"metadata\":{}}", "kind: expected Lease, found Status");
    bad("{\"spec\":{}}", "metadata: missing, expected an object");
    bad("{\"metadata\":{}}", "metadata.resourceVersion: missing, expected a string");
    bad("{\"metadata\":{\"resourceVersion\":\"\"}}",
        "metadata.resourceVersion: expected a non-empty string");
    bad("{\"metadata\":{\"resourceVersion\":\"1\"},\"spec\":{\"leaseDurationSeconds\":0}}",
        "spec.leaseDurationSeconds: expected an integer from 1 to 2147483647");
    bad("{\"metadata\":{\"resourceVersion\":\"1\"},\"spec\":{\"leaseTransitions\":1.5}}",
        "spec.leaseTransitions: expected an integer from 0 to 2147483647");
    bad("{\"metadata\":{\"resourceVersion\":\"1\"},\"spec\":{\"holderIdentity\":5}}",
        "spec.holderIdentity: expected a string");
}

static void test_microtime(void)
{
    struct timespec ts = {1705320000, 123456789};
    char out[32];

    kubelease_microtime(&ts, out);
    tap_str_eq(out, "2024-01-15T12:00:00.123456Z", "MicroTime: six digits, truncated");
    ts.tv_nsec = 0;
    kubelease_microtime(&ts, out);
    tap_str_eq(out, "2024-01-15T12:00:00.000000Z", "MicroTime: zeros kept");
}

int main(void)
{
    test_parse();
    test_bad();
    test_microtime();
    return tap_done();
}
