/* SPDX-License-Identifier: MIT */
/* Lease objects; see kubelease.h. */
#include "kubelease.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonutil.h"

void kubelease_rec_clear(struct kubelease_rec *r)
{
    free(r->resource_version);
    free(r->holder);
    free(r->acquire_time);
    free(r->renew_time);
    memset(r, 0, sizeof(*r));
}

static enum ecd_status get_int(struct jsonutil_err *e, const cJSON *obj, const char *key, int min,
                               int *out)
{
    double d = *out;
    char path[64];
    enum ecd_status st = jsonutil_get_number(e, obj, "spec", key, JSONUTIL_OPTIONAL, &d);

    if (st || !cJSON_GetObjectItemCaseSensitive(obj, key))
        return st;
    if (!isfinite(d) || d != floor(d) || d < min || d > 2147483647.0) {
        snprintf(path, sizeof(path), "spec.%s", key);
        return jsonutil_fail(e, path, "expected an integer from %d to 2147483647", min);
    }
    *out = (int)d;
    return ECD_OK;
}

static char *dup_or_empty(const char *s)
{
    return strdup(s ? s : "");
}

enum ecd_status kubelease_parse(const char *text, size_t len, struct kubelease_rec *out,
                                cJSON **obj_out, char *why, size_t why_len)
{
    const char *kind = NULL, *rv = NULL, *holder = NULL, *acq = NULL, *ren = NULL;
    const cJSON *md = NULL, *spec = NULL;
    struct jsonutil_err e;
    cJSON *root = NULL;
    enum ecd_status st;

    kubelease_rec_clear(out);
    if (obj_out)
        *obj_out = NULL;
    jsonutil_err_init(&e, NULL, ECD_EPROTO);
    if ((st = jsonutil_parse(&e, text, len, &root)) ||
        (st = jsonutil_expect(&e, root, "", JSONUTIL_OBJECT)) ||
        (st = jsonutil_get_string(&e, root, "", "kind", JSONUTIL_OPTIONAL, &kind)))
        goto out;
    if (kind && strcmp(kind, "Lease")) {
        st = jsonutil_fail(&e, "kind", "expected Lease, found %.64s", kind);
        goto out;
    }
    if ((st = jsonutil_get_object(&e, root, "", "metadata", JSONUTIL_REQUIRED, &md)) ||
        (st = jsonutil_get_string(&e, md, "metadata", "resourceVersion", JSONUTIL_REQUIRED, &rv)) ||
        (st = jsonutil_get_object(&e, root, "", "spec", JSONUTIL_OPTIONAL, &spec)))
        goto out;
    if (!*rv) {
        st = jsonutil_fail(&e, "metadata.resourceVersion", "expected a non-empty string");
        goto out;
    }
    if (spec) {
        /* Go omits empty optional fields, but a null is valid JSON for them too. */
        const char *keys[] = {"holderIdentity", "acquireTime", "renewTime"};
        const char **dst[] = {&holder, &acq, &ren};

        for (int i = 0; i < 3; i++) {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(spec, keys[i]);

            if (v && !cJSON_IsNull(v) &&
                (st = jsonutil_get_string(&e, spec, "spec", keys[i], JSONUTIL_OPTIONAL, dst[i])))
                goto out;
        }
        if ((st = get_int(&e, spec, "leaseDurationSeconds", 1, &out->duration_s)) ||
            (st = get_int(&e, spec, "leaseTransitions", 0, &out->transitions)))
            goto out;
    }
    if (!(out->resource_version = strdup(rv)) || !(out->holder = dup_or_empty(holder)) ||
        !(out->acquire_time = dup_or_empty(acq)) || !(out->renew_time = dup_or_empty(ren))) {
        st = ECD_ENOMEM;
        goto out;
    }
    if (obj_out) {
        *obj_out = root;
        root = NULL;
    }
out:
    cJSON_Delete(root);
    if (st)
        kubelease_rec_clear(out);
    if (why && why_len)
        snprintf(why, why_len, "%s", st ? (e.msg[0] ? e.msg : ecd_strerror(st)) : "");
    return st;
}

static int set_str(cJSON *obj, const char *key, const char *value)
{
    cJSON *v = cJSON_CreateString(value);

    if (!v)
        return 0;
    cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
    if (!cJSON_AddItemToObject(obj, key, v)) {
        cJSON_Delete(v);
        return 0;
    }
    return 1;
}

static cJSON *object_member(cJSON *obj, const char *key)
{
    cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, key);

    if (cJSON_IsObject(m))
        return m;
    cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
    return cJSON_AddObjectToObject(obj, key);
}

enum ecd_status kubelease_body(const cJSON *obj, const char *ns, const char *name,
                               const struct kubelease_rec *rec, char **out)
{
    cJSON *root = obj ? cJSON_Duplicate(obj, 1) : cJSON_CreateObject(), *md, *spec;
    enum ecd_status st = ECD_ENOMEM;

    *out = NULL;
    if (!root || !cJSON_IsObject(root))
        goto out;
    if (!set_str(root, "apiVersion", "coordination.k8s.io/v1") || !set_str(root, "kind", "Lease") ||
        !(md = object_member(root, "metadata")) || !set_str(md, "name", name) ||
        !set_str(md, "namespace", ns))
        goto out;
    cJSON_DeleteItemFromObjectCaseSensitive(md, "managedFields");
    if (rec->resource_version && *rec->resource_version) {
        if (!set_str(md, "resourceVersion", rec->resource_version))
            goto out;
    } else {
        cJSON_DeleteItemFromObjectCaseSensitive(md, "resourceVersion");
    }
    cJSON_DeleteItemFromObjectCaseSensitive(root, "spec");
    if (!(spec = cJSON_AddObjectToObject(root, "spec")) ||
        !set_str(spec, "holderIdentity", rec->holder ? rec->holder : "") ||
        !cJSON_AddNumberToObject(spec, "leaseDurationSeconds", rec->duration_s) ||
        (rec->acquire_time && *rec->acquire_time &&
         !set_str(spec, "acquireTime", rec->acquire_time)) ||
        (rec->renew_time && *rec->renew_time && !set_str(spec, "renewTime", rec->renew_time)) ||
        !cJSON_AddNumberToObject(spec, "leaseTransitions", rec->transitions))
        goto out;
    *out = cJSON_PrintUnformatted(root);
    st = *out ? ECD_OK : ECD_ENOMEM;
out:
    cJSON_Delete(root);
    return st;
}

void kubelease_microtime(const struct timespec *ts, char out[32])
{
    struct tm tm;
    time_t s = ts->tv_sec;
    char date[32];
    unsigned long us = (unsigned long)ts->tv_nsec / 1000 % 1000000;

    gmtime_r(&s, &tm);
    strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, 32, "%.19s.%06luZ", date, us);
}
