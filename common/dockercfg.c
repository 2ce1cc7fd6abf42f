/* SPDX-License-Identifier: MIT */
/* docker config.json updates: parse into a generic cJSON tree so unknown keys survive,
 * set auths[host].auth for each registry, render, and replace the file atomically;
 * see dockercfg.h for the rules and protocols.md section 4 for the format. */
#include "dockercfg.h"

#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "atomicfile.h"
#include "jsonutil.h"
#include "log.h"

/* Fields of an auths entry that would compete with the "auth" we write. */
static const char *const stale_fields[] = {"username", "password", "identitytoken",
                                           "registrytoken"};

static void clear_shadows(struct dockercfg_result *res)
{
    for (size_t i = 0; i < res->n_shadowed; i++) {
        free(res->shadowed[i].host);
        free(res->shadowed[i].helper);
    }
    free(res->shadowed);
    res->shadowed = NULL;
    res->n_shadowed = 0;
}

void dockercfg_result_deinit(struct dockercfg_result *res)
{
    clear_shadows(res);
    free(res->name);
    memset(res, 0, sizeof(*res));
}

void dockercfg_warn(const struct dockercfg_result *res)
{
    for (size_t i = 0; i < res->n_shadowed; i++) {
        const struct dockercfg_shadow *s = &res->shadowed[i];

        switch (s->kind) {
        case DOCKERCFG_SHADOW_CREDS_STORE:
            log_warn("docker config %s: \"credsStore\": \"%s\" is set, so docker will ask "
                     "docker-credential-%s and ignore the auth written for %s; remove credsStore "
                     "or use a dedicated DOCKER_CONFIG",
                     res->name, s->helper, s->helper, s->host);
            break;
        case DOCKERCFG_SHADOW_CRED_HELPER:
            log_warn("docker config %s: \"credHelpers\" sends %s to \"%s\", so docker will ask "
                     "docker-credential-%s and ignore the auth written for it; remove that "
                     "credHelpers entry or use a dedicated DOCKER_CONFIG",
                     res->name, s->host, s->helper, s->helper);
            break;
        }
    }
}

/* Overwrite every string value in it and below (keys are not secret).  All of them,
 * not only "auth": HttpHeaders and unknown keys can carry tokens too. */
static void wipe_item(cJSON *it)
{
    if (it->valuestring)
        OPENSSL_cleanse(it->valuestring, strlen(it->valuestring));
    for (cJSON *c = it->child; c; c = c->next)
        wipe_item(c);
}

static void delete_wiped(cJSON *it)
{
    if (it) {
        wipe_item(it);
        cJSON_Delete(it);
    }
}

/* Put repl where old is, under old's key, and free old (which the caller wiped).
 * cJSON_ReplaceItemViaPointer() alone would drop the key with old. */
static void replace_keep_key(cJSON *parent, cJSON *old, cJSON *repl)
{
    repl->string = old->string;
    repl->type |= old->type & cJSON_StringIsConst;
    old->string = NULL;
    old->type &= ~cJSON_StringIsConst;
    (void)cJSON_ReplaceItemViaPointer(parent, old, repl); /* fails only on NULL arguments */
}

/* docker's ConvertToHostname: drop an "http://" or "https://" prefix, cut at the
 * first '/'. */
static void host_of(const char *key, const char **host, size_t *len)
{
    if (strncmp(key, "http://", 7) == 0)
        key += 7;
    else if (strncmp(key, "https://", 8) == 0)
        key += 8;
    *host = key;
    *len = strcspn(key, "/");
}

/* Host names compare without regard to case (DNS), the scheme as docker does. */
static int same_host(const char *key, const char *host, size_t hlen)
{
    const char *kh;
    size_t klen;

    host_of(key, &kh, &klen);
    return klen == hlen && strncasecmp(kh, host, hlen) == 0;
}

/* Go's decoder keeps the last of duplicate keys, and so does docker. */
static const cJSON *last_item(const cJSON *obj, const char *key)
{
    const cJSON *found = NULL;

    if (!cJSON_IsObject(obj))
        return NULL;
    for (const cJSON *c = obj->child; c; c = c->next)
        if (c->string && strcmp(c->string, key) == 0)
            found = c;
    return found;
}

static const char *type_name(const cJSON *it)
{
    if (cJSON_IsString(it))
        return "a string";
    if (cJSON_IsNumber(it))
        return "a number";
    if (cJSON_IsBool(it))
        return "a boolean";
    if (cJSON_IsArray(it))
        return "an array";
    if (cJSON_IsNull(it))
        return "null";
    return "an object";
}

static int is_json_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* text as a tree; never echoes the text itself into messages, it may hold tokens. */
static enum ecd_status parse(const char *text, size_t len, const char *name, cJSON **out)
{
    const char *nul = len ? memchr(text, '\0', len) : NULL;
    const char *end = NULL;
    unsigned long line, col;
    size_t i = 0, pos;
    cJSON *root;

    *out = NULL;
    if (nul) {
        jsonutil_line_col(text, (size_t)(nul - text), &line, &col);
        log_error("docker config %s: line %lu, column %lu: NUL byte in JSON text", name, line, col);
        return ECD_ECONFIG;
    }
    while (i < len && is_json_space(text[i]))
        i++;
    if (i == len) {
        /* Empty or blank: the docker CLI reads it as an empty config, so do we. */
        *out = cJSON_CreateObject();
        return *out ? ECD_OK : ECD_ENOMEM;
    }
    /* return_parse_end gives what cJSON_GetErrorPtr() would, without the global. */
    root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (!root) {
        pos = end && end >= text && end <= text + len ? (size_t)(end - text) : 0;
        jsonutil_line_col(text, pos, &line, &col);
        log_error("docker config %s: line %lu, column %lu: invalid JSON", name, line, col);
        return ECD_ECONFIG;
    }
    /* Without require_null_terminated cJSON stops after the value; the rest must be
     * blank, or "{} {" would pass. */
    pos = end && end >= text && end <= text + len ? (size_t)(end - text) : len;
    while (pos < len && is_json_space(text[pos]))
        pos++;
    if (pos < len) {
        jsonutil_line_col(text, pos, &line, &col);
        log_error("docker config %s: line %lu, column %lu: unexpected text after the JSON value",
                  name, line, col);
        delete_wiped(root);
        return ECD_ECONFIG;
    }
    if (!cJSON_IsObject(root)) {
        log_error("docker config %s: top level is %s, expected an object", name, type_name(root));
        delete_wiped(root);
        return ECD_ECONFIG;
    }
    *out = root;
    return ECD_OK;
}

/* The one "auths" object of root, created when missing; null counts as missing. */
static enum ecd_status find_auths(cJSON *root, const char *name, cJSON **out)
{
    cJSON *auths = NULL, *fresh;
    int count = 0;

    *out = NULL;
    for (cJSON *c = root->child; c; c = c->next) {
        if (c->string && strcmp(c->string, "auths") == 0) {
            auths = c;
            count++;
        }
    }
    if (count > 1) {
        log_error("docker config %s: \"auths\" appears %d times, expected once", name, count);
        return ECD_ECONFIG;
    }
    if (auths && cJSON_IsObject(auths)) {
        *out = auths;
        return ECD_OK;
    }
    if (auths && !cJSON_IsNull(auths)) {
        log_error("docker config %s: \"auths\" is %s, expected an object", name, type_name(auths));
        return ECD_ECONFIG;
    }
    fresh = cJSON_CreateObject();
    if (!fresh)
        return ECD_ENOMEM;
    if (auths) {
        replace_keep_key(root, auths, fresh);
    } else if (!cJSON_AddItemToObject(root, "auths", fresh)) {
        cJSON_Delete(fresh);
        return ECD_ENOMEM;
    }
    *out = fresh;
    return ECD_OK;
}

/* Make entry (a member of auths) carry auth: drop competing fields, then replace the
 * first "auth" in place (so an unchanged file renders unchanged) and drop repeats.
 * *entry may be replaced (null becomes {}). */
static enum ecd_status set_entry(cJSON *auths, cJSON **entry, const struct secret *auth,
                                 const char *name)
{
    cJSON *e = *entry, *val, *old, *c, *next;

    if (cJSON_IsNull(e)) {
        cJSON *fresh = cJSON_CreateObject();

        if (!fresh)
            return ECD_ENOMEM;
        replace_keep_key(auths, e, fresh);
        *entry = e = fresh;
    } else if (!cJSON_IsObject(e)) {
        log_error("docker config %s: \"auths\" entry \"%s\" is %s, expected an object", name,
                  e->string, type_name(e));
        return ECD_ECONFIG;
    }
    for (size_t i = 0; i < sizeof(stale_fields) / sizeof(stale_fields[0]); i++) {
        cJSON *it;

        while ((it = cJSON_DetachItemFromObjectCaseSensitive(e, stale_fields[i])) != NULL)
            delete_wiped(it);
    }
    val = cJSON_CreateString(auth->ptr);
    if (!val)
        return ECD_ENOMEM;
    old = cJSON_GetObjectItemCaseSensitive(e, "auth");
    if (!old) {
        if (!cJSON_AddItemToObject(e, "auth", val)) {
            delete_wiped(val);
            return ECD_ENOMEM;
        }
        return ECD_OK;
    }
    wipe_item(old);
    replace_keep_key(e, old, val);
    for (c = val->next; c; c = next) {
        next = c->next;
        if (c->string && strcmp(c->string, "auth") == 0)
            delete_wiped(cJSON_DetachItemViaPointer(e, c));
    }
    return ECD_OK;
}

static enum ecd_status add_shadow(struct dockercfg_result *res, const char *host, size_t hlen,
                                  const char *helper, enum dockercfg_shadow_kind kind)
{
    struct dockercfg_shadow *grown, *s;

    grown = realloc(res->shadowed, (res->n_shadowed + 1) * sizeof(*grown));
    if (!grown)
        return ECD_ENOMEM;
    res->shadowed = grown;
    s = &grown[res->n_shadowed];
    s->host = strndup(host, hlen);
    s->helper = strdup(helper);
    s->kind = kind;
    res->n_shadowed++; /* counted even when half-built: deinit frees what is there */
    return s->host && s->helper ? ECD_OK : ECD_ENOMEM;
}

/* protocols.md 4.3: credHelpers[host] when the key exists (exact match; "" selects
 * the file), else credsStore when non-empty, else the file. */
static enum ecd_status check_shadow(const cJSON *root, const char *host, size_t hlen,
                                    struct dockercfg_result *res)
{
    const cJSON *helpers = last_item(root, "credHelpers");
    const cJSON *store = last_item(root, "credsStore");
    const cJSON *found = NULL;

    if (cJSON_IsObject(helpers)) {
        for (const cJSON *c = helpers->child; c; c = c->next)
            if (c->string && strlen(c->string) == hlen && memcmp(c->string, host, hlen) == 0)
                found = c;
    }
    if (cJSON_IsString(found)) {
        if (found->valuestring[0] == '\0')
            return ECD_OK;
        return add_shadow(res, host, hlen, found->valuestring, DOCKERCFG_SHADOW_CRED_HELPER);
    }
    if (cJSON_IsString(store) && store->valuestring[0] != '\0')
        return add_shadow(res, host, hlen, store->valuestring, DOCKERCFG_SHADOW_CREDS_STORE);
    return ECD_OK;
}

static enum ecd_status merge_item(cJSON *root, cJSON *auths, const struct registry_auth *ra,
                                  size_t idx, const char *name, struct dockercfg_result *res)
{
    enum ecd_status st;
    const char *host;
    size_t hlen;
    int exact = 0;
    cJSON *entry;
    char *key;

    if (!ra->host || !ra->auth.ptr || strlen(ra->auth.ptr) != ra->auth.len) {
        log_error("docker config %s: registry auth %zu has no host or no usable auth value", name,
                  idx);
        return ECD_EINVAL;
    }
    host_of(ra->host, &host, &hlen);
    if (hlen == 0) {
        log_error("docker config %s: registry \"%s\" has an empty host name", name, ra->host);
        return ECD_EINVAL;
    }
    /* Every spelling of the host, so that no stale twin is left for docker to find. */
    for (cJSON *c = auths->child; c; c = c->next) {
        if (!c->string || !same_host(c->string, host, hlen))
            continue;
        if (strlen(c->string) == hlen && memcmp(c->string, host, hlen) == 0)
            exact = 1;
        st = set_entry(auths, &c, &ra->auth, name);
        if (st)
            return st;
    }
    if (!exact) {
        entry = cJSON_CreateObject();
        key = strndup(host, hlen);
        if (!entry || !key || !cJSON_AddItemToObject(auths, key, entry)) {
            free(key);
            cJSON_Delete(entry);
            return ECD_ENOMEM;
        }
        free(key);
        st = set_entry(auths, &entry, &ra->auth, name);
        if (st)
            return st;
    }
    return check_shadow(root, host, hlen, res);
}

/* Render root, tab-indented, plus "\n", onto out.  cJSON_PrintPreallocated() into our
 * own block (wiped on every retry) instead of cJSON_Print(), whose internal
 * reallocations would leave unwiped copies of the auth values behind. */
static enum ecd_status render(cJSON *root, size_t hint, const char *name, struct buf *out)
{
    enum ecd_status st = ECD_ENOMEM;
    size_t cap = hint;
    char *p = NULL;

    for (;;) {
        if (cap > DOCKERCFG_MAX_RENDER) {
            log_error("docker config %s: new content would be larger than %u bytes", name,
                      DOCKERCFG_MAX_RENDER);
            return ECD_ENOMEM;
        }
        p = malloc(cap);
        if (!p)
            return ECD_ENOMEM;
        if (cJSON_PrintPreallocated(root, p, (int)cap, 1))
            break;
        OPENSSL_cleanse(p, cap);
        free(p);
        cap *= 2;
    }
    st = buf_append(out, p, strlen(p));
    if (!st)
        st = buf_append(out, "\n", 1);
    OPENSSL_cleanse(p, cap);
    free(p);
    return st;
}

enum ecd_status dockercfg_merge(const char *text, size_t len, const char *name,
                                const struct registry_auth *items, size_t n, struct buf *out,
                                struct dockercfg_result *res)
{
    enum ecd_status st;
    cJSON *root = NULL, *auths;
    size_t start, hint;

    memset(res, 0, sizeof(*res));
    if ((!text && len) || !name || (!items && n) || !out)
        return ECD_EINVAL;
    res->name = strdup(name);
    if (!res->name)
        return ECD_ENOMEM;
    start = out->len;
    st = parse(text, len, name, &root);
    if (st)
        goto out;
    st = find_auths(root, name, &auths);
    if (st)
        goto out;
    for (size_t i = 0; i < n; i++) {
        st = merge_item(root, auths, &items[i], i, name, res);
        if (st)
            goto out;
    }
    /* Room for the text re-indented plus our entries; render() doubles it if short. */
    hint = 1024;
    for (size_t i = 0; i < n; i++)
        hint += strlen(items[i].host) + items[i].auth.len + 64;
    hint += len < DOCKERCFG_MAX_RENDER / 2 ? 2 * len : DOCKERCFG_MAX_RENDER;
    if (hint > DOCKERCFG_MAX_RENDER)
        hint = DOCKERCFG_MAX_RENDER;
    st = render(root, hint, name, out);
    if (st)
        goto out;
    res->changed = out->len - start != len || memcmp(out->ptr + start, text, len) != 0;
out:
    if (st)
        clear_shadows(res); /* a rejected merge reports no warnings */
    delete_wiped(root);
    return st;
}

enum ecd_status dockercfg_update(const char *path, const struct registry_auth *items, size_t n,
                                 struct dockercfg_result *res)
{
    enum ecd_status st;
    struct buf cur, out;
    int exists = 0;

    memset(res, 0, sizeof(*res));
    buf_init(&cur, DOCKERCFG_MAX_FILE);
    buf_init(&out, DOCKERCFG_MAX_RENDER + 1);
    st = atomicfile_read(path, &cur, &exists);
    if (st)
        goto out;
    st = dockercfg_merge(cur.ptr, cur.len, path, items, n, &out, res);
    if (st || (exists && !res->changed))
        goto out;
    res->changed = 0;
    if (!exists) {
        st = atomicfile_mkdir_parent(path, 0700);
        if (st)
            goto out;
    }
    st = atomicfile_replace(path, out.ptr, out.len);
    if (st)
        goto out;
    res->changed = 1;
out:
    if (st)
        res->changed = 0;
    buf_wipe(&cur);
    buf_wipe(&out);
    return st;
}

/* getenv(3) returns char *; the injected getter's type is const. */
static const char *libc_getenv(const char *name)
{
    return getenv(name);
}

static char *path_join(const char *dir, const char *rest)
{
    size_t dlen = strlen(dir), rlen = strlen(rest);
    int slash = dlen && dir[dlen - 1] == '/';
    char *p = malloc(dlen + rlen + 2);

    if (p)
        (void)snprintf(p, dlen + rlen + 2, "%s%s%s", dir, slash ? "" : "/", rest); /* sized */
    return p;
}

enum ecd_status dockercfg_default_path(const char *(*getenv_fn)(const char *), char **out)
{
    const char *(*get)(const char *) = getenv_fn ? getenv_fn : libc_getenv;
    const char *dc = get("DOCKER_CONFIG");
    const char *home = get("HOME");

    *out = NULL;
    if (dc && *dc)
        *out = path_join(dc, "config.json");
    else if (home && home[0] == '/')
        *out = path_join(home, ".docker/config.json");
    else if (home && *home) {
        log_error("cannot find docker config: DOCKER_CONFIG is not set and HOME (%s) is not an "
                  "absolute path; set DOCKER_CONFIG or give the sink a path",
                  home);
        return ECD_ECONFIG;
    } else {
        log_error("cannot find docker config: neither DOCKER_CONFIG nor HOME is set; set "
                  "DOCKER_CONFIG or give the sink a path");
        return ECD_ECONFIG;
    }
    return *out ? ECD_OK : ECD_ENOMEM;
}
