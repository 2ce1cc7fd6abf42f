/* SPDX-License-Identifier: MIT */
/* Rancher 1.6 (Cattle) API JSON; see cattle.h.  Every reply is checked for the shape
 * the sink relies on, and a reply of another shape is reported by its JSON path. */
#include "cattle.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>

/* Longest string kept from a resource: ids, states and links are short; an
 * absurd value is a broken or hostile server. */
#define CATTLE_STR_MAX 4096

static void object_zero(struct cattle_object *o)
{
    memset(o, 0, sizeof(*o));
}

void cattle_object_clear(struct cattle_object *o)
{
    if (!o)
        return;
    free(o->id);
    free(o->type);
    free(o->state);
    free(o->self);
    free(o->activate);
    free(o->server_address);
    free(o->registry_id);
    free(o->public_value);
    object_zero(o);
}

void cattle_list_clear(struct cattle_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        cattle_object_clear(&l->items[i]);
    free(l->items);
    free(l->next);
    memset(l, 0, sizeof(*l));
}

/* obj[key] as an owned string: absent or null leaves *out NULL; another type, or
 * a string too long, fails. */
static enum ecd_status take_string(struct jsonutil_err *e, const cJSON *obj, const char *path,
                                   const char *key, int required, char **out)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    char where[JSONUTIL_PATH_MAX];

    *out = NULL;
    jsonutil_path_key(where, sizeof(where), path, key);
    if (!it || cJSON_IsNull(it)) {
        if (required)
            return jsonutil_fail(e, where, "missing; expected a string");
        return ECD_OK;
    }
    if (!cJSON_IsString(it) || !it->valuestring)
        return jsonutil_fail(e, where, "expected a string");
    if (strlen(it->valuestring) > CATTLE_STR_MAX)
        return jsonutil_fail(e, where, "longer than %d bytes", CATTLE_STR_MAX);
    if (required && !*it->valuestring)
        return jsonutil_fail(e, where, "expected a non-empty string");
    *out = strdup(it->valuestring);
    return *out ? ECD_OK : ECD_ENOMEM;
}

/* obj[key] must be an object when present (links, actions, pagination). */
static enum ecd_status sub_object(struct jsonutil_err *e, const cJSON *obj, const char *path,
                                  const char *key, const cJSON **out)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    char where[JSONUTIL_PATH_MAX];

    *out = NULL;
    if (!it || cJSON_IsNull(it))
        return ECD_OK;
    if (!cJSON_IsObject(it)) {
        jsonutil_path_key(where, sizeof(where), path, key);
        return jsonutil_fail(e, where, "expected an object");
    }
    *out = it;
    return ECD_OK;
}

static enum ecd_status parse_object_node(struct jsonutil_err *e, const cJSON *node,
                                         const char *path, const char *want_type,
                                         struct cattle_object *o)
{
    const cJSON *links = NULL, *actions = NULL;
    char sub[JSONUTIL_PATH_MAX];
    enum ecd_status st;

    object_zero(o);
    if (!cJSON_IsObject(node))
        return jsonutil_fail(e, path[0] ? path : NULL, "expected an object");
    if ((st = take_string(e, node, path, "type", 1, &o->type)))
        goto out;
    if (strcmp(o->type, want_type)) {
        jsonutil_path_key(sub, sizeof(sub), path, "type");
        st = jsonutil_fail(e, sub, "expected \"%s\", got \"%.40s\"", want_type, o->type);
        goto out;
    }
    if ((st = take_string(e, node, path, "id", 1, &o->id)) ||
        (st = take_string(e, node, path, "state", 0, &o->state)) ||
        (st = sub_object(e, node, path, "links", &links)) ||
        (st = sub_object(e, node, path, "actions", &actions)))
        goto out;
    if (!cattle_id_ok(o->id)) {
        jsonutil_path_key(sub, sizeof(sub), path, "id");
        st = jsonutil_fail(e, sub, "expected letters, digits, '.', '_' or '-', got \"%.40s\"",
                           o->id);
        goto out;
    }
    jsonutil_path_key(sub, sizeof(sub), path, "links");
    if (!links) {
        st = jsonutil_fail(e, sub, "missing; expected an object with \"self\"");
        goto out;
    }
    if ((st = take_string(e, links, sub, "self", 1, &o->self)))
        goto out;
    if (!cattle_url_path(o->self)) {
        char self[JSONUTIL_PATH_MAX];

        jsonutil_path_key(self, sizeof(self), sub, "self");
        st = jsonutil_fail(e, self, "expected a URL");
        goto out;
    }
    if (actions) {
        jsonutil_path_key(sub, sizeof(sub), path, "actions");
        if ((st = take_string(e, actions, sub, "activate", 0, &o->activate)))
            goto out;
    }
    if (!strcmp(want_type, CATTLE_TYPE_REGISTRY)) {
        st = take_string(e, node, path, "serverAddress", 0, &o->server_address);
    } else if (!strcmp(want_type, CATTLE_TYPE_CREDENTIAL)) {
        st = take_string(e, node, path, "registryId", 0, &o->registry_id);
        if (!st)
            st = take_string(e, node, path, "publicValue", 0, &o->public_value);
    }
out:
    if (st)
        cattle_object_clear(o);
    return st;
}

/* The top-level value: an object, and not an error body. */
static enum ecd_status parse_root(struct jsonutil_err *e, const char *text, size_t len,
                                  cJSON **root)
{
    const cJSON *type;
    enum ecd_status st = jsonutil_parse(e, text, len, root);

    if (st)
        return st;
    if (!cJSON_IsObject(*root))
        return jsonutil_fail(e, NULL, "expected a JSON object at the top level");
    type = cJSON_GetObjectItemCaseSensitive(*root, "type");
    if (cJSON_IsString(type) && type->valuestring && !strcmp(type->valuestring, "error"))
        return jsonutil_fail(e, NULL, "an error object where a resource was expected");
    return ECD_OK;
}

enum ecd_status cattle_object_parse(struct jsonutil_err *e, const char *text, size_t len,
                                    const char *want_type, struct cattle_object *out)
{
    cJSON *root = NULL;
    enum ecd_status st;

    object_zero(out);
    st = parse_root(e, text, len, &root);
    if (!st)
        st = parse_object_node(e, root, "", want_type, out);
    cJSON_Delete(root);
    return st;
}

enum ecd_status cattle_list_parse(struct jsonutil_err *e, const char *text, size_t len,
                                  const char *want_type, struct cattle_list *out)
{
    cJSON *root = NULL;
    const cJSON *type, *data, *pag = NULL;
    char where[JSONUTIL_PATH_MAX];
    size_t n, i = 0;
    enum ecd_status st;

    memset(out, 0, sizeof(*out));
    st = parse_root(e, text, len, &root);
    if (st)
        goto out;
    type = cJSON_GetObjectItemCaseSensitive(root, "type");
    if (!cJSON_IsString(type) || !type->valuestring || strcmp(type->valuestring, "collection")) {
        st = jsonutil_fail(e, "type", "expected \"collection\"");
        goto out;
    }
    data = cJSON_GetObjectItemCaseSensitive(root, "data");
    if (!cJSON_IsArray(data)) {
        st = jsonutil_fail(e, "data", "expected an array");
        goto out;
    }
    if ((st = sub_object(e, root, "", "pagination", &pag)))
        goto out;
    if (pag) {
        if ((st = take_string(e, pag, "pagination", "next", 0, &out->next)))
            goto out;
        if (out->next && !cattle_url_path(out->next)) {
            st = jsonutil_fail(e, "pagination.next", "expected a URL");
            goto out;
        }
    }
    n = (size_t)cJSON_GetArraySize(data);
    out->items = calloc(n ? n : 1, sizeof(*out->items));
    if (!out->items) {
        st = ECD_ENOMEM;
        goto out;
    }
    for (const cJSON *it = data->child; it; it = it->next, i++) {
        jsonutil_path_index(where, sizeof(where), "data", i);
        st = parse_object_node(e, it, where, want_type, &out->items[i]);
        if (st)
            goto out;
        out->n = i + 1;
    }
out:
    if (st)
        cattle_list_clear(out);
    cJSON_Delete(root);
    return st;
}

enum ecd_status cattle_list_take(struct cattle_list *dst, struct cattle_list *src)
{
    struct cattle_object *v;

    if (!src->n) {
        cattle_list_clear(src);
        return ECD_OK;
    }
    if (dst->n > ((size_t)-1) / sizeof(*v) - src->n)
        return ECD_ENOMEM;
    v = realloc(dst->items, (dst->n + src->n) * sizeof(*v));
    if (!v)
        return ECD_ENOMEM;
    memcpy(v + dst->n, src->items, src->n * sizeof(*v));
    dst->items = v;
    dst->n += src->n;
    free(src->items);
    src->items = NULL;
    src->n = 0;
    cattle_list_clear(src);
    return ECD_OK;
}

/* Copy a text field for a log line: cut to n - 1 bytes, control characters as '?'. */
static void copy_field(const cJSON *obj, const char *key, char *dst, size_t n)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    size_t i = 0;

    dst[0] = '\0';
    if (!cJSON_IsString(it) || !it->valuestring)
        return;
    for (const char *p = it->valuestring; *p && i + 1 < n; p++, i++)
        dst[i] = ((unsigned char)*p < 0x20 || *p == 0x7f) ? '?' : *p;
    dst[i] = '\0';
}

int cattle_error_parse(const char *text, size_t len, struct cattle_error *out)
{
    struct jsonutil_err e;
    cJSON *root = NULL;
    const cJSON *type, *status;
    int ok = 0;

    memset(out, 0, sizeof(*out));
    jsonutil_err_init(&e, NULL, ECD_EPROTO);
    if (!text || !len || jsonutil_parse(&e, text, len, &root) || !cJSON_IsObject(root))
        goto out;
    type = cJSON_GetObjectItemCaseSensitive(root, "type");
    if (!cJSON_IsString(type) || !type->valuestring || strcmp(type->valuestring, "error"))
        goto out;
    status = cJSON_GetObjectItemCaseSensitive(root, "status");
    if (cJSON_IsNumber(status) && status->valuedouble >= 0 && status->valuedouble < 1000)
        out->status = (long)status->valuedouble;
    copy_field(root, "code", out->code, sizeof(out->code));
    copy_field(root, "message", out->message, sizeof(out->message));
    copy_field(root, "detail", out->detail, sizeof(out->detail));
    ok = 1;
out:
    cJSON_Delete(root);
    return ok;
}

int cattle_error_is_state(const struct cattle_error *err)
{
    if (!strcmp(err->code, "InvalidState"))
        return 1;
    /* Cattle's text for an update refused in a transitional state. */
    for (const char *p = err->message; *p; p++)
        if (!strncasecmp(p, "not updatable", 13))
            return 1;
    return 0;
}

enum cattle_state_kind cattle_state_kind(const char *state)
{
    static const char *const gone[] = {"removing", "removed", "purging", "purged", NULL};

    if (!state || !*state || !strcmp(state, "active") || !strcmp(state, "inactive"))
        return CATTLE_STATE_READY;
    for (size_t i = 0; gone[i]; i++)
        if (!strcmp(state, gone[i]))
            return CATTLE_STATE_GONE;
    /* activating, registering, updating-active, updating-inactive, deactivating,
     * restoring, requested, ...: every other state is on its way somewhere. */
    return CATTLE_STATE_WAIT;
}

int cattle_host_normalize(const char *addr, char *out, size_t n)
{
    const char *p = addr, *s, *end;
    size_t len;

    if (!addr || !n)
        return -1;
    while (*p == ' ' || *p == '\t')
        p++;
    s = strstr(p, "://");
    if (s)
        p = s + 3;
    /* The host ends at the first '/', '?' or '#'; whatever follows (a path such as
     * "/v2/" or just "/") is not part of the registry's name. */
    end = p + strcspn(p, "/?# \t");
    len = (size_t)(end - p);
    /* A port spelled as the scheme's default is the same registry. */
    if (len > 4 && !memcmp(end - 4, ":443", 4))
        len -= 4;
    if (!len || len >= n)
        return -1;
    for (size_t i = 0; i < len; i++)
        out[i] = (char)tolower((unsigned char)p[i]);
    out[len] = '\0';
    return 0;
}

const char *cattle_url_path(const char *url)
{
    const char *p;

    if (!url || !*url)
        return NULL;
    if (url[0] == '/')
        return url[1] == '/' ? NULL : url;
    if (strncasecmp(url, "http://", 7) && strncasecmp(url, "https://", 8))
        return NULL;
    p = strstr(url, "://") + 3;
    p += strcspn(p, "/?#");
    return *p == '/' ? p : NULL;
}

int cattle_id_ok(const char *id)
{
    size_t n = id ? strlen(id) : 0;

    if (!n || n > 64)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)id[i]) && id[i] != '.' && id[i] != '_' && id[i] != '-')
            return 0;
    return 1;
}

enum ecd_status cattle_base_check(const char *url, char **origin, const char **why)
{
    const char *host, *path, *seg, *last = NULL, *prev = NULL;
    size_t plen;

    *origin = NULL;
    *why = NULL;
    if (!url || (strncmp(url, "http://", 7) && strncmp(url, "https://", 8))) {
        *why = "expected an http:// or https:// URL";
        return ECD_ECONFIG;
    }
    host = strstr(url, "://") + 3;
    path = host + strcspn(host, "/?#");
    if (path == host) {
        *why = "the URL has no host";
        return ECD_ECONFIG;
    }
    if (*path == '?' || *path == '#' || strpbrk(path, "?#")) {
        *why = "expected no query or fragment in the URL";
        return ECD_ECONFIG;
    }
    if (strpbrk(url, " \t\r\n")) {
        *why = "expected no white space in the URL";
        return ECD_ECONFIG;
    }
    /* The segments: .../v1, .../v2-beta, or either followed by /projects/<id>. */
    plen = strlen(path);
    while (plen && path[plen - 1] == '/')
        plen--;
    for (seg = path; seg < path + plen;) {
        const char *next = memchr(seg + 1, '/', (size_t)(path + plen - seg - 1));

        prev = last;
        last = seg;
        if (!next)
            break;
        seg = next;
    }
    if (last && (!strncmp(last, "/v1", (size_t)(path + plen - last)) && path + plen - last == 3))
        goto ok;
    if (last && path + plen - last == 8 && !strncmp(last, "/v2-beta", 8))
        goto ok;
    if (prev && last && path + plen - last > 1 && last - prev == 9 &&
        !strncmp(prev, "/projects", 9) && prev > path) {
        const char *api = prev - 1;

        while (api > path && *api != '/')
            api--;
        if ((prev - api == 3 && !strncmp(api, "/v1", 3)) ||
            (prev - api == 8 && !strncmp(api, "/v2-beta", 8)))
            goto ok;
    }
    *why = "expected the API base, ending in /v1 or /v2-beta (optionally followed by "
           "/projects/<id>), such as http://rancher:8080/v1";
    return ECD_ECONFIG;
ok:
    *origin = strndup(url, (size_t)(path - url));
    return *origin ? ECD_OK : ECD_ENOMEM;
}

/* Render node compactly onto out and delete it wiped.  cJSON_PrintPreallocated() into
 * our own block (wiped on every retry), as dockercfg.c does: cJSON_Print()'s internal
 * reallocations would leave unwiped copies of the secret behind. */
static enum ecd_status print_body(cJSON *node, struct buf *out)
{
    enum ecd_status st = ECD_ENOMEM;
    size_t cap = 512;
    char *p = NULL;

    if (!node)
        return ECD_ENOMEM;
    for (; cap <= 64 * 1024; cap *= 2) {
        p = malloc(cap);
        if (!p)
            break;
        if (cJSON_PrintPreallocated(node, p, (int)cap, 0)) {
            st = buf_append_str(out, p);
            break;
        }
        OPENSSL_cleanse(p, cap);
        free(p);
        p = NULL;
    }
    if (p) {
        OPENSSL_cleanse(p, cap);
        free(p);
    }
    jsonutil_delete_wiped(node);
    return st;
}

enum ecd_status cattle_registry_body(const char *host, struct buf *out)
{
    cJSON *o = cJSON_CreateObject();

    if (!o || !host || !cJSON_AddStringToObject(o, "type", CATTLE_TYPE_REGISTRY) ||
        !cJSON_AddStringToObject(o, "serverAddress", host) ||
        !cJSON_AddStringToObject(o, "name", host) ||
        !cJSON_AddStringToObject(o, "description", "Amazon ECR, kept fresh by ecr-credd")) {
        cJSON_Delete(o);
        return host ? ECD_ENOMEM : ECD_EINVAL;
    }
    return print_body(o, out);
}

enum ecd_status cattle_credential_body(const char *registry_id, const char *public_value,
                                       const struct secret *secret_value, const char *email,
                                       struct buf *out)
{
    cJSON *o;

    if (!public_value || !secret_value || !secret_value->ptr || !email)
        return ECD_EINVAL;
    o = cJSON_CreateObject();
    if (!o ||
        (registry_id && (!cJSON_AddStringToObject(o, "type", CATTLE_TYPE_CREDENTIAL) ||
                         !cJSON_AddStringToObject(o, "registryId", registry_id))) ||
        !cJSON_AddStringToObject(o, "publicValue", public_value) ||
        !cJSON_AddStringToObject(o, "secretValue", secret_value->ptr) ||
        !cJSON_AddStringToObject(o, "email", email)) {
        jsonutil_delete_wiped(o);
        return ECD_ENOMEM;
    }
    return print_body(o, out);
}
