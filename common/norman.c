/* SPDX-License-Identifier: MIT */
/* Rancher v3 (Norman) replies and bodies for registry credentials; see norman.h. */
#include "norman.h"

#include <openssl/crypto.h>
#include <strings.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Room for a rendered body: a few registries with their tokens (about 2.5 KiB each
 * for ECR) and whatever the existing object carries. */
#define NORMAN_RENDER_MAX (1024 * 1024)

/* Annotations and labels Rancher puts on its per-namespace copies of a project-scoped
 * credential (protocols.md 6.2; the label form is Rancher >= 2.12). */
static const char *const copy_marks[] = {
    "secret.user.cattle.io/secret",
    "management.cattle.io/project-scoped-secret-copy",
    NULL,
};

const char *norman_type_name(enum norman_kind kind)
{
    return kind == NORMAN_PROJECT ? "dockerCredential" : "namespacedDockerCredential";
}

const char *norman_collection_key(enum norman_kind kind)
{
    return kind == NORMAN_PROJECT ? "dockerCredentials" : "namespacedDockerCredentials";
}

/* DNS-1123 label: [a-z0-9]([-a-z0-9]*[a-z0-9])?, 1..max characters of s[0..len). */
static int dns_label(const char *s, size_t len, size_t max)
{
    if (len == 0 || len > max || s[0] == '-' || s[len - 1] == '-')
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
            return 0;
    return 1;
}

int norman_valid_project_id(const char *s)
{
    const char *colon = s ? strchr(s, ':') : NULL;

    return colon && dns_label(s, (size_t)(colon - s), 63) &&
           dns_label(colon + 1, strlen(colon + 1), 63);
}

int norman_valid_name(const char *s)
{
    size_t len = s ? strlen(s) : 0, start = 0;

    if (len == 0 || len > 253)
        return 0;
    /* Dot-separated labels (the length of each is bounded by the whole). */
    for (size_t i = 0; i <= len; i++) {
        if (i == len || s[i] == '.') {
            if (!dns_label(s + start, i - start, 253))
                return 0;
            start = i + 1;
        }
    }
    return 1;
}

int norman_valid_namespace(const char *s)
{
    return s && dns_label(s, strlen(s), 63);
}

/* A copy of a JSON string with control characters replaced (messages end up in logs). */
static char *clean_dup(const char *s)
{
    char *d = strdup(s);

    if (d)
        for (char *p = d; *p; p++)
            if ((unsigned char)*p < 0x20 || *p == 0x7f)
                *p = '?';
    return d;
}

void norman_error_clear(struct norman_error *e)
{
    free(e->code);
    free(e->message);
    memset(e, 0, sizeof(*e));
}

enum ecd_status norman_error_parse(const char *text, size_t len, struct norman_error *out)
{
    struct jsonutil_err e;
    cJSON *root = NULL;
    const cJSON *type, *status, *code, *msg;
    enum ecd_status st = ECD_EPROTO;

    memset(out, 0, sizeof(*out));
    jsonutil_err_init(&e, NULL, ECD_EPROTO);
    if (!text || jsonutil_parse(&e, text, len, &root))
        return ECD_EPROTO;
    type = cJSON_GetObjectItemCaseSensitive(root, "type");
    if (!cJSON_IsObject(root) || !cJSON_IsString(type) || strcmp(type->valuestring, "error"))
        goto out;
    status = cJSON_GetObjectItemCaseSensitive(root, "status");
    if (cJSON_IsNumber(status) && status->valuedouble >= 0 && status->valuedouble < 1000)
        out->status = (long)status->valuedouble;
    else if (cJSON_IsString(status))
        out->status = strtol(status->valuestring, NULL, 10);
    if (out->status < 0 || out->status >= 1000)
        out->status = 0;
    code = cJSON_GetObjectItemCaseSensitive(root, "code");
    msg = cJSON_GetObjectItemCaseSensitive(root, "message");
    st = ECD_OK;
    if (cJSON_IsString(code) && !(out->code = clean_dup(code->valuestring)))
        st = ECD_ENOMEM;
    if (!st && cJSON_IsString(msg) && !(out->message = clean_dup(msg->valuestring)))
        st = ECD_ENOMEM;
    if (st)
        norman_error_clear(out);
out:
    cJSON_Delete(root);
    return st;
}

/* Parse text as a JSON object with "type" equal to want (when want is not NULL). */
static enum ecd_status parse_typed(struct jsonutil_err *e, const char *text, size_t len,
                                   const char *want, cJSON **out)
{
    const char *type = NULL;
    enum ecd_status st;

    *out = NULL;
    if (!text)
        return jsonutil_fail(e, NULL, "empty reply, expected JSON");
    st = jsonutil_parse(e, text, len, out);
    if (!st)
        st = jsonutil_expect(e, *out, "", JSONUTIL_OBJECT);
    if (!st)
        st = jsonutil_get_string(e, *out, "", "type", JSONUTIL_REQUIRED, &type);
    if (!st && want && strcmp(type, want))
        st = jsonutil_fail(e, "type", "expected \"%s\", got \"%s\"", want, type);
    if (st) {
        cJSON_Delete(*out);
        *out = NULL;
    }
    return st;
}

/* A link from obj.links, by key, case-insensitively (servers differ in spelling); NULL
 * when absent.  A present link must be a non-empty string. */
static enum ecd_status get_link(struct jsonutil_err *e, const cJSON *obj, const char *path,
                                const char *key, const char **out)
{
    const cJSON *links = NULL, *it;
    char where[JSONUTIL_PATH_MAX];
    enum ecd_status st;

    *out = NULL;
    st = jsonutil_get_object(e, obj, path, "links", JSONUTIL_OPTIONAL, &links);
    if (st || !links)
        return st;
    jsonutil_path_key(where, sizeof(where), path, "links");
    cJSON_ArrayForEach(it, links)
    {
        if (!it->string || strcasecmp(it->string, key))
            continue;
        if (!cJSON_IsString(it) || !*it->valuestring) {
            char lp[JSONUTIL_PATH_MAX];

            jsonutil_path_key(lp, sizeof(lp), where, it->string);
            return jsonutil_fail(e, lp, "expected a URL");
        }
        *out = it->valuestring;
        return ECD_OK;
    }
    return ECD_OK;
}

static enum ecd_status dup_opt(const char *s, char **out)
{
    *out = NULL;
    if (!s)
        return ECD_OK;
    *out = strdup(s);
    return *out ? ECD_OK : ECD_ENOMEM;
}

void norman_project_clear(struct norman_project *p)
{
    free(p->id);
    free(p->creds_url);
    free(p->ns_creds_url);
    memset(p, 0, sizeof(*p));
}

enum ecd_status norman_project_parse(struct jsonutil_err *e, const char *text, size_t len,
                                     const char *project_id, struct norman_project *out)
{
    cJSON *root = NULL;
    const char *id = NULL, *a = NULL, *b = NULL;
    enum ecd_status st;

    memset(out, 0, sizeof(*out));
    st = parse_typed(e, text, len, "project", &root);
    if (!st)
        st = jsonutil_get_string(e, root, "", "id", JSONUTIL_REQUIRED, &id);
    if (!st && strcmp(id, project_id))
        st = jsonutil_fail(e, "id", "expected \"%s\", got \"%s\"", project_id, id);
    if (!st)
        st = get_link(e, root, "", norman_collection_key(NORMAN_PROJECT), &a);
    if (!st)
        st = get_link(e, root, "", norman_collection_key(NORMAN_NAMESPACED), &b);
    if (!st)
        st = dup_opt(id, &out->id);
    if (!st)
        st = dup_opt(a, &out->creds_url);
    if (!st)
        st = dup_opt(b, &out->ns_creds_url);
    if (st)
        norman_project_clear(out);
    cJSON_Delete(root);
    return st;
}

void norman_cred_clear(struct norman_cred *c)
{
    free(c->id);
    free(c->name);
    free(c->project_id);
    free(c->namespace_id);
    free(c->link_self);
    free(c->link_update);
    for (size_t i = 0; i < c->n_registries; i++) {
        free(c->registries[i].host);
        free(c->registries[i].username);
    }
    free(c->registries);
    /* Replies carry no passwords, but wipe anyway: the tree is cheap to wipe. */
    jsonutil_delete_wiped(c->raw);
    memset(c, 0, sizeof(*c));
}

/* obj[key] as an optional string or null: *out NULL when absent or null. */
static enum ecd_status get_nullable(struct jsonutil_err *e, const cJSON *obj, const char *path,
                                    const char *key, const char **out)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);

    *out = NULL;
    if (!it || cJSON_IsNull(it))
        return ECD_OK;
    return jsonutil_get_string(e, obj, path, key, JSONUTIL_OPTIONAL, out);
}

/* Whether a labels/annotations map has key (with value want, or any when want is NULL).
 * A map of the wrong type is an error. */
static enum ecd_status map_has(struct jsonutil_err *e, const cJSON *obj, const char *path,
                               const char *map, const char *key, const char *want, int *out)
{
    const cJSON *m = NULL, *it;
    enum ecd_status st;

    st = jsonutil_get_object(e, obj, path, map, JSONUTIL_OPTIONAL, &m);
    if (st || !m)
        return st;
    it = cJSON_GetObjectItemCaseSensitive(m, key);
    if (it && (!want || (cJSON_IsString(it) && !strcmp(it->valuestring, want))))
        *out = 1;
    return ECD_OK;
}

/* Fill out from a credential object at `path` (the caller checked its type). */
static enum ecd_status cred_from(struct jsonutil_err *e, const cJSON *obj, const char *path,
                                 enum norman_kind kind, struct norman_cred *out)
{
    const char *id = NULL, *name = NULL, *proj = NULL, *ns = NULL, *self = NULL, *upd = NULL;
    const cJSON *regs = NULL, *it;
    char where[JSONUTIL_PATH_MAX];
    enum ecd_status st;
    size_t n = 0;

    memset(out, 0, sizeof(*out));
    out->kind = kind;
    st = jsonutil_get_string(e, obj, path, "id", JSONUTIL_REQUIRED, &id);
    if (!st)
        st = jsonutil_get_string(e, obj, path, "name", JSONUTIL_REQUIRED, &name);
    if (!st)
        st = get_nullable(e, obj, path, "projectId", &proj);
    if (!st)
        st = get_nullable(e, obj, path, "namespaceId", &ns);
    if (!st)
        st = get_link(e, obj, path, "self", &self);
    if (!st && !self) {
        jsonutil_path_key(where, sizeof(where), path, "links.self");
        st = jsonutil_fail(e, where, "missing, expected a URL");
    }
    if (!st)
        st = get_link(e, obj, path, "update", &upd);
    if (!st && !strchr(id, ':')) {
        jsonutil_path_key(where, sizeof(where), path, "id");
        st = jsonutil_fail(e, where, "expected \"<namespace>:<name>\", got \"%s\"", id);
    }
    if (!st)
        st = jsonutil_get_object(e, obj, path, "registries", JSONUTIL_OPTIONAL, &regs);
    if (!st)
        st = map_has(e, obj, path, "labels", NORMAN_MANAGED_LABEL, NORMAN_MANAGED_VALUE,
                     &out->managed);
    for (size_t i = 0; !st && copy_marks[i]; i++) {
        st = map_has(e, obj, path, "annotations", copy_marks[i], NULL, &out->is_copy);
        if (!st)
            st = map_has(e, obj, path, "labels", copy_marks[i], NULL, &out->is_copy);
    }
    if (st)
        return st;
    if ((st = dup_opt(id, &out->id)) || (st = dup_opt(name, &out->name)) ||
        (st = dup_opt(proj, &out->project_id)) || (st = dup_opt(ns, &out->namespace_id)) ||
        (st = dup_opt(self, &out->link_self)) || (st = dup_opt(upd, &out->link_update)))
        return st;
    if (!regs)
        return ECD_OK;
    jsonutil_path_key(where, sizeof(where), path, "registries");
    n = (size_t)cJSON_GetArraySize(regs);
    out->registries = calloc(n ? n : 1, sizeof(*out->registries));
    if (!out->registries)
        return ECD_ENOMEM;
    cJSON_ArrayForEach(it, regs)
    {
        struct norman_registry *r = &out->registries[out->n_registries];
        const char *user = NULL;

        if (!it->string || !*it->string)
            return jsonutil_fail(e, where, "empty registry host");
        if (!cJSON_IsObject(it)) {
            char rp[JSONUTIL_PATH_MAX];

            jsonutil_path_key(rp, sizeof(rp), where, it->string);
            return jsonutil_fail(e, rp, "expected an object");
        }
        st = get_nullable(e, it, where, "username", &user);
        if (st)
            return st;
        r->host = strdup(it->string);
        if (!r->host || dup_opt(user, &r->username)) {
            free(r->host);
            r->host = NULL;
            return ECD_ENOMEM;
        }
        out->n_registries++;
    }
    return ECD_OK;
}

enum ecd_status norman_cred_parse(struct jsonutil_err *e, const char *text, size_t len,
                                  enum norman_kind kind, struct norman_cred *out)
{
    cJSON *root = NULL;
    enum ecd_status st;

    memset(out, 0, sizeof(*out));
    st = parse_typed(e, text, len, norman_type_name(kind), &root);
    if (!st)
        st = cred_from(e, root, "", kind, out);
    if (st) {
        norman_cred_clear(out);
        cJSON_Delete(root);
        return st;
    }
    out->raw = root;
    return ECD_OK;
}

enum ecd_status norman_collection_find(struct jsonutil_err *e, const char *text, size_t len,
                                       enum norman_kind kind, const char *name,
                                       const char *namespace_id, int *found,
                                       struct norman_cred *out, char **next)
{
    cJSON *root = NULL;
    const cJSON *data = NULL, *pag = NULL, *it, *match = NULL;
    const char *nx = NULL, *want_type = norman_type_name(kind);
    char where[JSONUTIL_PATH_MAX], match_path[JSONUTIL_PATH_MAX] = "";
    size_t i = 0;
    enum ecd_status st;

    *found = 0;
    *next = NULL;
    memset(out, 0, sizeof(*out));
    st = parse_typed(e, text, len, "collection", &root);
    if (!st)
        st = jsonutil_get_array(e, root, "", "data", JSONUTIL_REQUIRED, &data);
    if (!st)
        st = jsonutil_get_object(e, root, "", "pagination", JSONUTIL_OPTIONAL, &pag);
    if (!st && pag)
        st = get_nullable(e, pag, "pagination", "next", &nx);
    cJSON_ArrayForEach(it, data)
    {
        const char *type = NULL, *iname = NULL, *ins = NULL;

        if (st)
            break;
        jsonutil_path_index(where, sizeof(where), "data", i++);
        st = jsonutil_expect(e, it, where, JSONUTIL_OBJECT);
        if (!st)
            st = jsonutil_get_string(e, it, where, "type", JSONUTIL_OPTIONAL, &type);
        if (!st)
            st = jsonutil_get_string(e, it, where, "name", JSONUTIL_OPTIONAL, &iname);
        if (!st)
            st = get_nullable(e, it, where, "namespaceId", &ins);
        if (st || !type || strcmp(type, want_type) || !iname || strcmp(iname, name))
            continue;
        if (kind == NORMAN_PROJECT ? ins != NULL : (!ins || strcmp(ins, namespace_id)))
            continue;
        if (match) {
            st = jsonutil_fail(e, where, "a second %s called \"%s\" (first at %s)", want_type, name,
                               match_path);
            break;
        }
        match = it;
        snprintf(match_path, sizeof(match_path), "%s", where);
    }
    if (!st && match) {
        st = cred_from(e, match, match_path, kind, out);
        if (!st) {
            out->raw = cJSON_Duplicate(match, 1);
            st = out->raw ? ECD_OK : ECD_ENOMEM;
        }
        if (st)
            norman_cred_clear(out);
        else
            *found = 1;
    } else if (!st && nx && *nx) {
        st = dup_opt(nx, next);
    }
    cJSON_Delete(root);
    return st;
}

static int host_in(const char *host, const struct norman_put *puts, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(host, puts[i].host))
            return 1;
    return 0;
}

enum ecd_status norman_check_foreign(const struct norman_cred *cur, const struct norman_put *puts,
                                     size_t n, char **foreign)
{
    struct buf list;
    size_t shown = 0, more = 0;
    enum ecd_status st = ECD_OK;

    *foreign = NULL;
    if (cur->managed)
        return ECD_OK;
    buf_init(&list, 1024);
    for (size_t i = 0; i < cur->n_registries && !st; i++) {
        if (host_in(cur->registries[i].host, puts, n))
            continue;
        if (shown < 3 && list.len + strlen(cur->registries[i].host) < 600) {
            st = buf_printf(&list, "%s%s", shown ? ", " : "", cur->registries[i].host);
            shown++;
        } else {
            more++;
        }
    }
    if (!st && more)
        st = buf_printf(&list, ", +%zu more", more);
    if (!st && shown) {
        st = buf_steal(&list, foreign);
        if (!st) {
            /* Hosts come from the server: no control characters into logs. */
            for (char *p = *foreign; *p; p++)
                if ((unsigned char)*p < 0x20 || *p == 0x7f)
                    *p = '?';
            st = ECD_ECONFIG;
        }
    }
    buf_free(&list);
    return st;
}

/* {"host": {"username", "password", "auth"}, ...} */
static cJSON *registries_json(const struct norman_put *puts, size_t n)
{
    cJSON *regs = cJSON_CreateObject();

    for (size_t i = 0; regs && i < n; i++) {
        cJSON *r = cJSON_CreateObject();

        if (!r || !cJSON_AddItemToObject(regs, puts[i].host, r)) {
            cJSON_Delete(r);
            goto fail;
        }
        if (!cJSON_AddStringToObject(r, "username", puts[i].username) ||
            !cJSON_AddStringToObject(r, "password", puts[i].password->ptr) ||
            !cJSON_AddStringToObject(r, "auth", puts[i].auth->ptr))
            goto fail;
    }
    return regs;
fail:
    jsonutil_delete_wiped(regs);
    return NULL;
}

/* Set obj.labels[NORMAN_MANAGED_LABEL] (creating labels; a non-object labels member
 * is replaced). */
static enum ecd_status add_label(cJSON *obj)
{
    cJSON *labels = cJSON_GetObjectItemCaseSensitive(obj, "labels");

    if (!cJSON_IsObject(labels)) {
        while (cJSON_GetObjectItemCaseSensitive(obj, "labels"))
            cJSON_DeleteItemFromObjectCaseSensitive(obj, "labels");
        labels = cJSON_AddObjectToObject(obj, "labels");
        if (!labels)
            return ECD_ENOMEM;
    }
    while (cJSON_GetObjectItemCaseSensitive(labels, NORMAN_MANAGED_LABEL))
        cJSON_DeleteItemFromObjectCaseSensitive(labels, NORMAN_MANAGED_LABEL);
    return cJSON_AddStringToObject(labels, NORMAN_MANAGED_LABEL, NORMAN_MANAGED_VALUE) ? ECD_OK
                                                                                       : ECD_ENOMEM;
}

/* Render root compactly onto out; cJSON_PrintPreallocated() into our own block (wiped
 * on every retry) so that no unwiped copy of a password stays behind in the heap. */
static enum ecd_status render(const cJSON *root, struct buf *out)
{
    size_t cap = 4096;
    enum ecd_status st;
    char *p;

    for (;;) {
        if (cap > NORMAN_RENDER_MAX)
            return ECD_ENOMEM;
        p = malloc(cap);
        if (!p)
            return ECD_ENOMEM;
        if (cJSON_PrintPreallocated((cJSON *)root, p, (int)cap, 0))
            break;
        OPENSSL_cleanse(p, cap);
        free(p);
        cap *= 2;
    }
    st = buf_append(out, p, strlen(p));
    OPENSSL_cleanse(p, cap);
    free(p);
    return st;
}

static int puts_ok(const struct norman_put *puts, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!puts[i].host || !puts[i].username || !puts[i].password || !puts[i].password->ptr ||
            !puts[i].auth || !puts[i].auth->ptr)
            return 0;
    return 1;
}

enum ecd_status norman_render_create(enum norman_kind kind, const char *name,
                                     const char *project_id, const char *namespace_id,
                                     const struct norman_put *puts, size_t n, struct buf *out)
{
    cJSON *root, *regs;
    enum ecd_status st = ECD_ENOMEM;

    if (!name || !project_id || (kind == NORMAN_NAMESPACED && !namespace_id) || !out ||
        (!puts && n) || !puts_ok(puts, n))
        return ECD_EINVAL;
    root = cJSON_CreateObject();
    if (!root || !cJSON_AddStringToObject(root, "type", norman_type_name(kind)) ||
        !cJSON_AddStringToObject(root, "name", name) ||
        !cJSON_AddStringToObject(root, "projectId", project_id))
        goto out;
    if (kind == NORMAN_NAMESPACED && !cJSON_AddStringToObject(root, "namespaceId", namespace_id))
        goto out;
    if (add_label(root))
        goto out;
    regs = registries_json(puts, n);
    if (!regs)
        goto out;
    cJSON_AddItemToObject(root, "registries", regs);
    st = render(root, out);
out:
    jsonutil_delete_wiped(root);
    return st;
}

enum ecd_status norman_render_update(const struct norman_cred *cur, const struct norman_put *puts,
                                     size_t n, struct buf *out)
{
    cJSON *root, *regs;
    enum ecd_status st = ECD_ENOMEM;

    if (!cur || !cur->raw || !out || (!puts && n) || !puts_ok(puts, n))
        return ECD_EINVAL;
    root = cJSON_Duplicate(cur->raw, 1);
    if (!root)
        return ECD_ENOMEM;
    regs = registries_json(puts, n);
    if (!regs)
        goto out;
    /* Every "registries" member goes (a server's duplicate would win in Go's decoder). */
    while (cJSON_GetObjectItemCaseSensitive(root, "registries"))
        cJSON_DeleteItemFromObjectCaseSensitive(root, "registries");
    if (!cJSON_AddItemToObject(root, "registries", regs)) {
        jsonutil_delete_wiped(regs);
        goto out;
    }
    if (add_label(root))
        goto out;
    st = render(root, out);
out:
    jsonutil_delete_wiped(root);
    return st;
}
