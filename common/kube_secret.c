/* SPDX-License-Identifier: MIT */
/* The Kubernetes pull secret and ServiceAccount patch as data; see kube_secret.h. */
#include "kube_secret.h"

#include <math.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base64.h"
#include "crypto.h"

/* Append s[0..len) as a JSON string literal. */
static enum ecd_status json_str(struct buf *out, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    enum ecd_status st = buf_append(out, "\"", 1);

    for (size_t i = 0; !st && i < len; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};

            st = buf_append(out, esc, 2);
        } else if (c < 0x20) {
            char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};

            st = buf_append(out, esc, 6);
        } else {
            st = buf_append(out, s + i, 1);
        }
    }
    return st ? st : buf_append(out, "\"", 1);
}

static enum ecd_status json_cstr(struct buf *out, const char *s)
{
    return json_str(out, s, strlen(s));
}

void kube_rfc3339(double t, char *out, size_t n)
{
    /* Non-negative and finite, so the cast truncates like floor() (no libm here). */
    time_t tt = isfinite(t) && t >= 0 && t < 253402300800.0 ? (time_t)t : 0;
    struct tm tm;

    if (!gmtime_r(&tt, &tm) || !strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(out, n, "%s", "1970-01-01T00:00:00Z");
}

void kube_secret_want_deinit(struct kube_secret_want *w)
{
    buf_wipe(&w->data_b64);
    OPENSSL_cleanse(w->digest, sizeof(w->digest));
    memset(w, 0, sizeof(*w));
}

/* 1 when host appeared in an entry before sets[si]->items[ii]. */
static int seen_before(struct token_set *const *sets, size_t si, size_t ii, const char *host)
{
    for (size_t i = 0; i <= si; i++)
        for (size_t j = 0; j < (i == si ? ii : sets[i]->n); j++)
            if (!strcmp(sets[i]->items[j].host, host))
                return 1;
    return 0;
}

static enum ecd_status add_entry(struct buf *in, const struct registry_auth *ra, int first)
{
    char *user = NULL;
    struct secret pw = {0};
    enum ecd_status st = registry_auth_decode(ra, &user, &pw);

    if (!st && !first)
        st = buf_append_str(in, ",");
    if (!st)
        st = json_cstr(in, ra->host);
    if (!st)
        st = buf_append_str(in, ":{\"username\":");
    if (!st)
        st = json_cstr(in, user);
    if (!st)
        st = buf_append_str(in, ",\"password\":");
    if (!st)
        st = json_str(in, pw.ptr, pw.len);
    if (!st)
        st = buf_append_str(in, ",\"auth\":");
    if (!st)
        st = json_str(in, ra->auth.ptr, ra->auth.len);
    if (!st)
        st = buf_append_str(in, "}");
    free(user);
    secret_wipe(&pw);
    return st;
}

enum ecd_status kube_secret_want_build(struct token_set *const *sets, size_t n,
                                       struct kube_secret_want *w)
{
    struct buf in;
    double earliest = INFINITY;
    enum ecd_status st;

    memset(w, 0, sizeof(*w));
    buf_init(&w->data_b64, KUBE_SECRET_MAX);
    buf_init(&in, KUBE_SECRET_MAX / 4 * 3);
    st = buf_append_str(&in, "{\"auths\":{");
    for (size_t i = 0; !st && i < n; i++) {
        for (size_t j = 0; !st && j < sets[i]->n; j++) {
            const struct registry_auth *ra = &sets[i]->items[j];

            if (seen_before(sets, i, j, ra->host))
                continue;
            st = add_entry(&in, ra, w->n_hosts == 0);
            if (ra->expires_at < earliest)
                earliest = ra->expires_at;
            w->n_hosts++;
        }
    }
    if (!st)
        st = buf_append_str(&in, "}}");
    if (!st)
        st = base64_encode(in.ptr, in.len, &w->data_b64);
    if (!st)
        st = crypto_sha256(w->data_b64.ptr, w->data_b64.len, w->digest);
    buf_wipe(&in);
    if (st) {
        kube_secret_want_deinit(w);
        return st;
    }
    kube_rfc3339(w->n_hosts ? earliest : 0, w->expires, sizeof(w->expires));
    return ECD_OK;
}

static void copy_rv(char *dst, size_t n, const char *rv)
{
    snprintf(dst, n, "%s", rv ? rv : "");
}

enum ecd_status kube_secret_seen_decode(struct jsonutil_err *e, const cJSON *obj, const char *path,
                                        struct kube_secret_seen *s)
{
    const cJSON *md = NULL, *labels = NULL, *data = NULL, *v;
    const char *type = NULL, *rv = NULL;
    char mpath[JSONUTIL_PATH_MAX];
    int immutable = 0;
    enum ecd_status st;

    memset(s, 0, sizeof(*s));
    st = jsonutil_get_object(e, obj, path, "metadata", JSONUTIL_REQUIRED, &md);
    jsonutil_path_key(mpath, sizeof(mpath), path, "metadata");
    if (!st)
        st = jsonutil_get_string(e, md, mpath, "resourceVersion", JSONUTIL_OPTIONAL, &rv);
    if (!st && !cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(md, "labels")))
        st = jsonutil_get_object(e, md, mpath, "labels", JSONUTIL_OPTIONAL, &labels);
    if (!st && !cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(obj, "type")))
        st = jsonutil_get_string(e, obj, path, "type", JSONUTIL_OPTIONAL, &type);
    if (!st && !cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(obj, "data")))
        st = jsonutil_get_object(e, obj, path, "data", JSONUTIL_OPTIONAL, &data);
    if (!st && !cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(obj, "immutable")))
        st = jsonutil_get_bool(e, obj, path, "immutable", JSONUTIL_OPTIONAL, &immutable);
    if (st)
        return st;
    copy_rv(s->rv, sizeof(s->rv), rv);
    /* An absent type reads as Opaque, as the API server defaults it. */
    s->type_ok = type && !strcmp(type, KUBE_DOCKERCONFIG_TYPE);
    v = labels ? cJSON_GetObjectItemCaseSensitive(labels, KUBE_MANAGED_BY_LABEL) : NULL;
    s->managed = cJSON_IsString(v) && !strcmp(v->valuestring, KUBE_MANAGED_BY_VALUE);
    s->immutable = immutable;
    v = data ? cJSON_GetObjectItemCaseSensitive(data, KUBE_DOCKERCONFIG_KEY) : NULL;
    if (cJSON_IsString(v)) {
        s->has_data = 1;
        return crypto_sha256(v->valuestring, strlen(v->valuestring), s->digest);
    }
    return ECD_OK;
}

int kube_secret_up_to_date(const struct kube_secret_seen *s, const struct kube_secret_want *w)
{
    return s->type_ok && s->managed && s->has_data &&
           CRYPTO_memcmp(s->digest, w->digest, sizeof(s->digest)) == 0;
}

enum kube_secret_action kube_secret_decide(const struct kube_secret_seen *s,
                                           const struct kube_secret_want *w, int take_over)
{
    if (kube_secret_up_to_date(s, w))
        return KUBE_SECRET_KEEP;
    if (s->managed && s->type_ok && !s->immutable)
        return KUBE_SECRET_PATCH;
    if (!take_over)
        return KUBE_SECRET_FOREIGN;
    /* The type is immutable, and so is the data of an immutable secret. */
    return s->type_ok && !s->immutable ? KUBE_SECRET_PATCH : KUBE_SECRET_REPLACE;
}

static enum ecd_status labels_and_annotations(struct buf *out, const struct kube_secret_want *w)
{
    enum ecd_status st;

    st = buf_printf(out,
                    "\"labels\":{\"%s\":\"%s\"},\"annotations\":{\"%s\":", KUBE_MANAGED_BY_LABEL,
                    KUBE_MANAGED_BY_VALUE, KUBE_EXPIRES_ANNOTATION);
    if (!st)
        st = json_cstr(out, w->expires);
    return st ? st : buf_append_str(out, "}");
}

static enum ecd_status type_and_data(struct buf *out, const struct kube_secret_want *w)
{
    enum ecd_status st;

    st = buf_printf(out, "\"type\":\"%s\",\"data\":{\"%s\":", KUBE_DOCKERCONFIG_TYPE,
                    KUBE_DOCKERCONFIG_KEY);
    if (!st)
        st = json_str(out, w->data_b64.ptr ? w->data_b64.ptr : "", w->data_b64.len);
    return st ? st : buf_append_str(out, "}");
}

enum ecd_status kube_secret_create_body(const char *name, const char *ns,
                                        const struct kube_secret_want *w, struct buf *out)
{
    enum ecd_status st;

    st = buf_append_str(out, "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":");
    if (!st)
        st = json_cstr(out, name);
    if (!st)
        st = buf_append_str(out, ",\"namespace\":");
    if (!st)
        st = json_cstr(out, ns);
    if (!st)
        st = buf_append_str(out, ",");
    if (!st)
        st = labels_and_annotations(out, w);
    if (!st)
        st = buf_append_str(out, "},");
    if (!st)
        st = type_and_data(out, w);
    return st ? st : buf_append_str(out, "}");
}

enum ecd_status kube_secret_patch_body(const char *rv, const struct kube_secret_want *w,
                                       struct buf *out)
{
    enum ecd_status st;

    st = buf_append_str(out, "{\"metadata\":{\"resourceVersion\":");
    if (!st)
        st = json_cstr(out, rv);
    if (!st)
        st = buf_append_str(out, ",");
    if (!st)
        st = labels_and_annotations(out, w);
    if (!st)
        st = buf_append_str(out, "},");
    if (!st)
        st = type_and_data(out, w);
    return st ? st : buf_append_str(out, "}");
}

enum ecd_status kube_sa_decode(struct jsonutil_err *e, const cJSON *obj, const char *secret,
                               struct kube_sa_seen *s)
{
    const cJSON *md = NULL, *list = NULL, *it;
    const char *rv = NULL;
    enum ecd_status st;
    size_t i = 0;

    memset(s, 0, sizeof(*s));
    st = jsonutil_get_object(e, obj, "", "metadata", JSONUTIL_REQUIRED, &md);
    if (!st)
        st = jsonutil_get_string(e, md, "metadata", "resourceVersion", JSONUTIL_REQUIRED, &rv);
    if (!st && !cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(obj, "imagePullSecrets")))
        st = jsonutil_get_array(e, obj, "", "imagePullSecrets", JSONUTIL_OPTIONAL, &list);
    if (st)
        return st;
    copy_rv(s->rv, sizeof(s->rv), rv);
    s->has_list = list != NULL;
    cJSON_ArrayForEach(it, list)
    {
        char path[JSONUTIL_PATH_MAX];
        const char *name = NULL;

        jsonutil_path_index(path, sizeof(path), "imagePullSecrets", i++);
        st = jsonutil_expect(e, it, path, JSONUTIL_OBJECT);
        if (!st)
            st = jsonutil_get_string(e, it, path, "name", JSONUTIL_OPTIONAL, &name);
        if (st)
            return st;
        if (name && !strcmp(name, secret))
            s->has_secret = 1;
    }
    return ECD_OK;
}

enum ecd_status kube_sa_patch_body(const struct kube_sa_seen *s, const char *secret,
                                   struct buf *out)
{
    enum ecd_status st;

    /* "add" to "/imagePullSecrets/-" fails (422) when the list is absent, so a
     * missing list is added whole; the test op makes both conditional. */
    st = buf_append_str(out, "[{\"op\":\"test\",\"path\":\"/metadata/resourceVersion\",\"value\":");
    if (!st)
        st = json_cstr(out, s->rv);
    if (!st)
        st = buf_append_str(out, s->has_list ? "},{\"op\":\"add\",\"path\":\"/imagePullSecrets/-\","
                                               "\"value\":{\"name\":"
                                             : "},{\"op\":\"add\",\"path\":\"/imagePullSecrets\","
                                               "\"value\":[{\"name\":");
    if (!st)
        st = json_cstr(out, secret);
    return st ? st : buf_append_str(out, s->has_list ? "}}]" : "}]}]");
}
