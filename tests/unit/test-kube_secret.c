/* SPDX-License-Identifier: MIT */
/* kube_secret: the wanted .dockerconfigjson (decoded and compared as JSON, hosts
 * deduplicated, earliest expiry), decoding existing secrets (ours, foreign, other
 * type, immutable, edited), the create and merge-patch bodies, and the
 * ServiceAccount JSON patch. */
#include <cjson/cJSON.h>

#include "base64.h"
#include "kube_secret.h"
#include "tap.h"

#define H1 "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
#define H2 "210987654321.dkr.ecr.us-east-1.amazonaws.com"
#define A1 "QVdTOnRva2VuLW9uZQ=="     /* AWS:token-one */
#define A2 "QVdTOnRva2VuLXR3bw=="     /* AWS:token-two */
#define AQ "QVdTOnF1b3RlIiBiYWNrXA==" /* AWS:quote" back\ */

static struct token_set *make_set(const char *const *hosts, const char *const *auths, size_t n,
                                  double exp0)
{
    struct token_set *ts = NULL;

    if (token_set_new(n, &ts))
        abort();
    for (size_t i = 0; i < n; i++) {
        ts->items[i].host = strdup(hosts[i]);
        if (!ts->items[i].host || secret_set(&ts->items[i].auth, auths[i], strlen(auths[i])))
            abort();
        ts->items[i].expires_at = exp0 + (double)i * 3600;
    }
    return ts;
}

/* The decoded inner JSON of w. */
static cJSON *inner(const struct kube_secret_want *w)
{
    struct buf b;
    cJSON *j = NULL;

    buf_init(&b, 1 << 20);
    if (base64_decode(w->data_b64.ptr, w->data_b64.len, &b) == ECD_OK)
        j = cJSON_ParseWithLength(b.ptr, b.len);
    buf_wipe(&b);
    return j;
}

static const char *entry(const cJSON *j, const char *host, const char *field)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "auths"), host),
        field);

    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static cJSON *secret_obj(const char *type, const char *label, const char *data_b64, int immutable)
{
    cJSON *o = cJSON_CreateObject(), *md = cJSON_AddObjectToObject(o, "metadata");

    cJSON_AddStringToObject(md, "name", "ecr-pull");
    cJSON_AddStringToObject(md, "resourceVersion", "77");
    if (label)
        cJSON_AddStringToObject(cJSON_AddObjectToObject(md, "labels"), KUBE_MANAGED_BY_LABEL,
                                label);
    if (type)
        cJSON_AddStringToObject(o, "type", type);
    if (data_b64)
        cJSON_AddStringToObject(cJSON_AddObjectToObject(o, "data"), KUBE_DOCKERCONFIG_KEY,
                                data_b64);
    if (immutable)
        cJSON_AddTrueToObject(o, "immutable");
    return o;
}

int main(void)
{
    const char *h12[] = {H1, H2}, *a12[] = {A1, A2}, *h1[] = {H1}, *a2[] = {A2}, *aq[] = {AQ};
    struct token_set *s1 = make_set(h12, a12, 2, 1800000000.0);
    struct token_set *s2 = make_set(h1, a2, 1, 1700000000.0); /* H1 again: the first wins */
    struct token_set *sq = make_set(h1, aq, 1, 1800000000.0);
    struct token_set *sets[] = {s1, s2};
    struct kube_secret_want w, w2, wq;
    struct kube_secret_seen seen;
    struct jsonutil_err e;
    struct buf body;
    cJSON *j, *o;

    jsonutil_err_init(&e, "secret", ECD_EPROTO);
    tap_ok(kube_secret_want_build(sets, 2, &w) == ECD_OK && w.n_hosts == 2, "want: two hosts");
    j = inner(&w);
    tap_ok(j != NULL, "want: data is base64 of JSON");
    tap_str_eq(entry(j, H1, "auth"), A1, "want: first entry wins for a repeated host");
    tap_str_eq(entry(j, H1, "username"), "AWS", "want: username");
    tap_str_eq(entry(j, H1, "password"), "token-one", "want: password");
    tap_str_eq(entry(j, H2, "auth"), A2, "want: second host");
    tap_ok(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "auths")) == 2,
           "want: exactly two auths");
    cJSON_Delete(j);
    tap_str_eq(w.expires, "2027-01-15T08:00:00Z", "want: earliest expiry of the entries used");
    tap_ok(kube_secret_want_build(sets, 2, &w2) == ECD_OK && !memcmp(w.digest, w2.digest, 32) &&
               w.data_b64.len == w2.data_b64.len &&
               !memcmp(w.data_b64.ptr, w2.data_b64.ptr, w.data_b64.len),
           "want: the same sets give the same bytes");
    kube_secret_want_deinit(&w2);
    tap_ok(kube_secret_want_build(&sq, 1, &wq) == ECD_OK, "want: password with quote/backslash");
    j = inner(&wq);
    tap_str_eq(entry(j, H1, "password"), "quote\" back\\", "want: password escaped in JSON");
    cJSON_Delete(j);
    tap_ok(memcmp(w.digest, wq.digest, 32) != 0, "want: other content, other digest");

    /* Decoding what is there. */
    o = secret_obj(KUBE_DOCKERCONFIG_TYPE, KUBE_MANAGED_BY_VALUE, w.data_b64.ptr, 0);
    tap_ok(kube_secret_seen_decode(&e, o, "", &seen) == ECD_OK && seen.type_ok && seen.managed &&
               seen.has_data && !seen.immutable && !strcmp(seen.rv, "77") &&
               kube_secret_up_to_date(&seen, &w) && !kube_secret_up_to_date(&seen, &wq),
           "seen: ours and up to date");
    cJSON_Delete(o);
    o = secret_obj(KUBE_DOCKERCONFIG_TYPE, KUBE_MANAGED_BY_VALUE, "e30=", 0);
    tap_ok(kube_secret_seen_decode(&e, o, "", &seen) == ECD_OK && seen.managed &&
               !kube_secret_up_to_date(&seen, &w),
           "seen: ours, edited");
    cJSON_Delete(o);
    o = secret_obj(KUBE_DOCKERCONFIG_TYPE, NULL, w.data_b64.ptr, 0);
    tap_ok(kube_secret_seen_decode(&e, o, "", &seen) == ECD_OK && !seen.managed && seen.type_ok &&
               !kube_secret_up_to_date(&seen, &w),
           "seen: same data but not labelled ours");
    cJSON_Delete(o);
    o = secret_obj(NULL, "helm", NULL, 0);
    tap_ok(kube_secret_seen_decode(&e, o, "", &seen) == ECD_OK && !seen.managed && !seen.type_ok &&
               !seen.has_data,
           "seen: Opaque (no type), other manager");
    cJSON_Delete(o);
    o = secret_obj("Opaque", KUBE_MANAGED_BY_VALUE, NULL, 1);
    tap_ok(kube_secret_seen_decode(&e, o, "", &seen) == ECD_OK && seen.immutable && !seen.type_ok,
           "seen: immutable Opaque");
    cJSON_Delete(o);
    o = cJSON_Parse("{\"metadata\":{\"resourceVersion\":\"1\"},\"type\":5}");
    tap_ok(kube_secret_seen_decode(&e, o, "object", &seen) == ECD_EPROTO, "seen: bad type");
    tap_str_eq(e.msg, "secret: object.type: expected a string", "seen: bad type message");
    cJSON_Delete(o);
    o = cJSON_Parse("{\"metadata\":{\"labels\":null},\"type\":null,\"data\":null}");
    tap_ok(kube_secret_seen_decode(&e, o, "", &seen) == ECD_OK && !seen.managed && !seen.rv[0],
           "seen: nulls are absent");
    cJSON_Delete(o);

    /* Decisions. */
    {
        struct kube_secret_seen k = {.type_ok = 1, .managed = 1, .has_data = 1};

        memcpy(k.digest, w.digest, 32);
        tap_ok(kube_secret_decide(&k, &w, 0) == KUBE_SECRET_KEEP, "decide: up to date");
        k.immutable = 1;
        tap_ok(kube_secret_decide(&k, &w, 0) == KUBE_SECRET_KEEP, "decide: immutable, up to date");
        tap_ok(kube_secret_decide(&k, &wq, 0) == KUBE_SECRET_FOREIGN &&
                   kube_secret_decide(&k, &wq, 1) == KUBE_SECRET_REPLACE,
               "decide: immutable and stale: left alone, or replaced when taking over");
        k.immutable = 0;
        tap_ok(kube_secret_decide(&k, &wq, 0) == KUBE_SECRET_PATCH, "decide: ours, stale");
        k.managed = 0;
        tap_ok(kube_secret_decide(&k, &w, 0) == KUBE_SECRET_FOREIGN &&
                   kube_secret_decide(&k, &w, 1) == KUBE_SECRET_PATCH,
               "decide: unlabelled: left alone, or patched when taking over");
        k.type_ok = 0;
        k.managed = 1;
        tap_ok(kube_secret_decide(&k, &w, 0) == KUBE_SECRET_FOREIGN &&
                   kube_secret_decide(&k, &w, 1) == KUBE_SECRET_REPLACE,
               "decide: other type: left alone, or replaced when taking over");
    }

    /* Bodies. */
    buf_init(&body, 1 << 20);
    tap_ok(kube_secret_create_body("ecr-pull", "team-a", &w, &body) == ECD_OK, "create: built");
    o = cJSON_Parse(buf_str(&body));
    tap_ok(o != NULL, "create: JSON");
    tap_ok(kube_secret_seen_decode(&e, o, "", &seen) == ECD_OK && kube_secret_up_to_date(&seen, &w),
           "create: reads back as ours and up to date");
    {
        cJSON *md = cJSON_GetObjectItemCaseSensitive(o, "metadata");
        cJSON *ann = cJSON_GetObjectItemCaseSensitive(md, "annotations");

        tap_str_eq(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(md, "namespace")),
                   "team-a", "create: namespace");
        tap_str_eq(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "kind")), "Secret",
                   "create: kind");
        tap_str_eq(
            cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ann, KUBE_EXPIRES_ANNOTATION)),
            "2027-01-15T08:00:00Z", "create: expiry annotation");
    }
    cJSON_Delete(o);
    buf_wipe(&body);
    tap_ok(kube_secret_patch_body("12\"3", &w, &body) == ECD_OK, "patch: built");
    o = cJSON_Parse(buf_str(&body));
    tap_str_eq(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
                   cJSON_GetObjectItemCaseSensitive(o, "metadata"), "resourceVersion")),
               "12\"3", "patch: resourceVersion precondition, escaped");
    tap_ok(kube_secret_seen_decode(&e, o, "", &seen) == ECD_OK && kube_secret_up_to_date(&seen, &w),
           "patch: sets label, type and data");
    cJSON_Delete(o);
    buf_wipe(&body);

    /* ServiceAccounts. */
    {
        struct kube_sa_seen sa;

        o = cJSON_Parse("{\"metadata\":{\"resourceVersion\":\"5\"},\"imagePullSecrets\":[{\"name\":"
                        "\"other\"},{\"name\":\"ecr-pull\"}]}");
        tap_ok(kube_sa_decode(&e, o, "ecr-pull", &sa) == ECD_OK && sa.has_list && sa.has_secret &&
                   !strcmp(sa.rv, "5"),
               "sa: already listed");
        cJSON_Delete(o);
        o = cJSON_Parse("{\"metadata\":{\"resourceVersion\":\"6\"},\"imagePullSecrets\":[{\"name\":"
                        "\"other\"}]}");
        tap_ok(kube_sa_decode(&e, o, "ecr-pull", &sa) == ECD_OK && sa.has_list && !sa.has_secret,
               "sa: other entries");
        cJSON_Delete(o);
        tap_ok(kube_sa_patch_body(&sa, "ecr-pull", &body) == ECD_OK, "sa: append patch built");
        tap_str_eq(
            buf_str(&body),
            "[{\"op\":\"test\",\"path\":\"/metadata/resourceVersion\",\"value\":\"6\"},{\"op\":"
            "\"add\",\"path\":\"/imagePullSecrets/-\",\"value\":{\"name\":\"ecr-pull\"}}]",
            "sa: append patch");
        buf_free(&body);
        o = cJSON_Parse("{\"metadata\":{\"resourceVersion\":\"7\"},\"imagePullSecrets\":null}");
        tap_ok(kube_sa_decode(&e, o, "ecr-pull", &sa) == ECD_OK && !sa.has_list, "sa: no list");
        cJSON_Delete(o);
        tap_ok(kube_sa_patch_body(&sa, "ecr-pull", &body) == ECD_OK, "sa: create-list patch built");
        tap_str_eq(
            buf_str(&body),
            "[{\"op\":\"test\",\"path\":\"/metadata/resourceVersion\",\"value\":\"7\"},{\"op\":"
            "\"add\",\"path\":\"/imagePullSecrets\",\"value\":[{\"name\":\"ecr-pull\"}]}]",
            "sa: create-list patch");
        buf_free(&body);
        o = cJSON_Parse("{\"metadata\":{\"resourceVersion\":\"7\"},\"imagePullSecrets\":[\"x\"]}");
        tap_ok(kube_sa_decode(&e, o, "ecr-pull", &sa) == ECD_EPROTO, "sa: bad entry");
        tap_str_eq(e.msg, "secret: imagePullSecrets[0]: expected an object",
                   "sa: bad entry message");
        cJSON_Delete(o);
    }
    {
        char t[32];

        kube_rfc3339(0, t, sizeof(t));
        tap_str_eq(t, "1970-01-01T00:00:00Z", "rfc3339: epoch");
        kube_rfc3339(1800000000.9, t, sizeof(t));
        tap_str_eq(t, "2027-01-15T08:00:00Z", "rfc3339: seconds, fraction dropped");
    }
    kube_secret_want_deinit(&w);
    kube_secret_want_deinit(&wq);
    token_set_unref(s1);
    token_set_unref(s2);
    token_set_unref(sq);
    return tap_done();
}
