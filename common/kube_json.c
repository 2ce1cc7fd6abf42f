/* SPDX-License-Identifier: MIT */
/* Readers of Kubernetes API responses; see kube_json.h. */
#include "kube_json.h"

#include <openssl/crypto.h>
#include <string.h>

void kube_lines_init(struct kube_lines *l, size_t max_line)
{
    buf_init(&l->pending, max_line);
}

void kube_lines_reset(struct kube_lines *l)
{
    if (l->pending.ptr)
        OPENSSL_cleanse(l->pending.ptr, l->pending.len);
    buf_reset(&l->pending);
}

void kube_lines_deinit(struct kube_lines *l)
{
    buf_wipe(&l->pending);
}

static int blank(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return 0;
    return 1;
}

static enum ecd_status emit(const char *s, size_t len, kube_line_fn *fn, void *ud)
{
    if (len && s[len - 1] == '\r')
        len--;
    if (blank(s, len))
        return ECD_OK;
    return fn(s, len, ud);
}

enum ecd_status kube_lines_feed(struct kube_lines *l, const char *data, size_t len,
                                kube_line_fn *fn, void *ud)
{
    enum ecd_status st = ECD_OK;

    while (len) {
        const char *nl = memchr(data, '\n', len);
        size_t take = nl ? (size_t)(nl - data) : len;

        if (!nl || l->pending.len) {
            /* Gather: the line started in an earlier chunk or ends in a later one. */
            if (buf_append(&l->pending, data, take)) {
                kube_lines_reset(l);
                return ECD_EPROTO;
            }
            if (nl) {
                st = emit(l->pending.ptr, l->pending.len, fn, ud);
                kube_lines_reset(l);
            }
        } else {
            if (take > l->pending.max)
                return ECD_EPROTO;
            st = emit(data, take, fn, ud);
        }
        if (st)
            return st;
        if (!nl)
            break;
        data += take + 1;
        len -= take + 1;
    }
    return ECD_OK;
}

static const char *const event_names[] = {
    [KUBE_EV_ADDED] = "ADDED",       [KUBE_EV_MODIFIED] = "MODIFIED", [KUBE_EV_DELETED] = "DELETED",
    [KUBE_EV_BOOKMARK] = "BOOKMARK", [KUBE_EV_ERROR] = "ERROR",
};

const char *kube_event_type_name(enum kube_event_type t)
{
    return event_names[t];
}

void kube_event_deinit(struct kube_event *ev)
{
    jsonutil_delete_wiped(ev->root);
    memset(ev, 0, sizeof(*ev));
}

/* obj.metadata.resourceVersion as a non-empty string. */
static enum ecd_status get_rv(struct jsonutil_err *e, const cJSON *obj, const char *path,
                              const char **rv)
{
    const cJSON *md = NULL;
    char mpath[JSONUTIL_PATH_MAX];
    enum ecd_status st;

    st = jsonutil_get_object(e, obj, path, "metadata", JSONUTIL_REQUIRED, &md);
    jsonutil_path_key(mpath, sizeof(mpath), path, "metadata");
    if (!st)
        st = jsonutil_get_string(e, md, mpath, "resourceVersion", JSONUTIL_REQUIRED, rv);
    if (!st && !**rv) {
        char rpath[JSONUTIL_PATH_MAX];

        jsonutil_path_key(rpath, sizeof(rpath), mpath, "resourceVersion");
        st = jsonutil_fail(e, rpath, "expected a non-empty string");
    }
    return st;
}

enum ecd_status kube_event_parse(struct jsonutil_err *e, const char *line, size_t len,
                                 struct kube_event *ev)
{
    const char *type = NULL;
    const cJSON *obj = NULL;
    enum ecd_status st;
    size_t i;

    memset(ev, 0, sizeof(*ev));
    st = jsonutil_parse(e, line, len, &ev->root);
    if (st)
        return st;
    st = jsonutil_expect(e, ev->root, "", JSONUTIL_OBJECT);
    if (!st)
        st = jsonutil_get_string(e, ev->root, "", "type", JSONUTIL_REQUIRED, &type);
    if (!st)
        st = jsonutil_get_object(e, ev->root, "", "object", JSONUTIL_REQUIRED, &obj);
    if (st)
        goto out;
    for (i = 0; i < sizeof(event_names) / sizeof(event_names[0]); i++)
        if (!strcmp(type, event_names[i]))
            break;
    if (i == sizeof(event_names) / sizeof(event_names[0])) {
        st = jsonutil_fail(
            e, "type", "expected ADDED, MODIFIED, DELETED, BOOKMARK or ERROR, got \"%.40s\"", type);
        goto out;
    }
    ev->type = (enum kube_event_type)i;
    ev->object = obj;
    if (ev->type != KUBE_EV_ERROR)
        st = get_rv(e, obj, "object", &ev->rv);
out:
    if (st)
        kube_event_deinit(ev);
    return st;
}

static void copy_clean(char *dst, size_t n, const char *src)
{
    size_t i = 0;

    for (; src && src[i] && i + 1 < n; i++)
        dst[i] = (unsigned char)src[i] < 0x20 || src[i] == 0x7f ? '?' : src[i];
    dst[i] = '\0';
}

int kube_status_from_object(const cJSON *obj, struct kube_status *out)
{
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(obj, "kind");
    const cJSON *code, *reason, *message;

    memset(out, 0, sizeof(*out));
    if (!cJSON_IsObject(obj) || !cJSON_IsString(kind) || strcmp(kind->valuestring, "Status"))
        return 0;
    code = cJSON_GetObjectItemCaseSensitive(obj, "code");
    reason = cJSON_GetObjectItemCaseSensitive(obj, "reason");
    message = cJSON_GetObjectItemCaseSensitive(obj, "message");
    if (cJSON_IsNumber(code) && code->valuedouble >= 0 && code->valuedouble < 1000)
        out->code = (long)code->valuedouble;
    if (cJSON_IsString(reason))
        copy_clean(out->reason, sizeof(out->reason), reason->valuestring);
    if (cJSON_IsString(message))
        copy_clean(out->message, sizeof(out->message), message->valuestring);
    return 1;
}

int kube_status_parse(const char *body, size_t len, struct kube_status *out)
{
    cJSON *root = len ? cJSON_ParseWithLength(body, len) : NULL;
    int is = kube_status_from_object(root, out);

    cJSON_Delete(root);
    return is;
}

void kube_list_deinit(struct kube_list *l)
{
    jsonutil_delete_wiped(l->root);
    memset(l, 0, sizeof(*l));
}

enum ecd_status kube_list_parse(struct jsonutil_err *e, const char *body, size_t len,
                                struct kube_list *l)
{
    const cJSON *items, *md = NULL, *it;
    enum ecd_status st;
    size_t i = 0;

    memset(l, 0, sizeof(*l));
    st = jsonutil_parse(e, body, len, &l->root);
    if (st)
        return st;
    st = jsonutil_expect(e, l->root, "", JSONUTIL_OBJECT);
    if (!st)
        st = get_rv(e, l->root, "", &l->rv);
    if (!st)
        st = jsonutil_get_object(e, l->root, "", "metadata", JSONUTIL_REQUIRED, &md);
    if (!st)
        st = jsonutil_get_string(e, md, "metadata", "continue", JSONUTIL_OPTIONAL, &l->cont);
    if (st)
        goto out;
    if (l->cont && !*l->cont)
        l->cont = NULL;
    items = cJSON_GetObjectItemCaseSensitive(l->root, "items");
    if (!items) {
        st = jsonutil_fail(e, "items", "missing, expected an array");
        goto out;
    }
    if (cJSON_IsNull(items))
        goto out; /* Go encodes an empty slice as null */
    st = jsonutil_expect(e, items, "items", JSONUTIL_ARRAY);
    if (st)
        goto out;
    cJSON_ArrayForEach(it, items)
    {
        char path[JSONUTIL_PATH_MAX];

        jsonutil_path_index(path, sizeof(path), "items", i++);
        st = jsonutil_expect(e, it, path, JSONUTIL_OBJECT);
        if (st)
            goto out;
    }
    l->items = items;
out:
    if (st)
        kube_list_deinit(l);
    return st;
}

enum ecd_status kube_meta_get(struct jsonutil_err *e, const cJSON *obj, const char *path,
                              struct kube_meta *m)
{
    const cJSON *md = NULL;
    char mpath[JSONUTIL_PATH_MAX];
    enum ecd_status st;

    memset(m, 0, sizeof(*m));
    st = jsonutil_get_object(e, obj, path, "metadata", JSONUTIL_REQUIRED, &md);
    if (st)
        return st;
    jsonutil_path_key(mpath, sizeof(mpath), path, "metadata");
    st = jsonutil_get_string(e, md, mpath, "name", JSONUTIL_REQUIRED, &m->name);
    if (!st && !*m->name) {
        char npath[JSONUTIL_PATH_MAX];

        jsonutil_path_key(npath, sizeof(npath), mpath, "name");
        st = jsonutil_fail(e, npath, "expected a non-empty string");
    }
    if (!st)
        st = jsonutil_get_string(e, md, mpath, "namespace", JSONUTIL_OPTIONAL, &m->namespace_);
    if (!st)
        st = jsonutil_get_string(e, md, mpath, "resourceVersion", JSONUTIL_OPTIONAL, &m->rv);
    /* Labels and annotations may be null (Go's nil map). */
    if (!st && !cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(md, "labels")))
        st = jsonutil_get_object(e, md, mpath, "labels", JSONUTIL_OPTIONAL, &m->labels);
    if (!st && !cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(md, "annotations")))
        st = jsonutil_get_object(e, md, mpath, "annotations", JSONUTIL_OPTIONAL, &m->annotations);
    return st;
}

const char *kube_namespace_phase(const cJSON *ns)
{
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(ns, "status");
    const cJSON *phase = cJSON_GetObjectItemCaseSensitive(status, "phase");

    return cJSON_IsString(phase) ? phase->valuestring : "";
}

enum ecd_status kube_url_escape(struct buf *out, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";

    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        enum ecd_status st;

        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~') {
            st = buf_append(out, s, 1);
        } else {
            char enc[3] = {'%', hex[c >> 4], hex[c & 15]};

            st = buf_append(out, enc, 3);
        }
        if (st)
            return st;
    }
    return ECD_OK;
}
