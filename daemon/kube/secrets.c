/* SPDX-License-Identifier: MIT */
/* One namespace's pull secret; see secrets.h. */
#include "kube/secrets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/apierr.h"
#include "kube_json.h"
#include "log.h"

#define MAX_ROUNDS 5 /* re-reads after conflicts before giving up */

enum ecd_status kube_want_new(struct token_set *const *sets, size_t n, struct kube_want **out)
{
    struct kube_want *w = calloc(1, sizeof(*w));
    enum ecd_status st;

    if (!w)
        return ECD_ENOMEM;
    st = kube_secret_want_build(sets, n, &w->w);
    if (st) {
        free(w);
        return st;
    }
    w->refs = 1;
    *out = w;
    return ECD_OK;
}

struct kube_want *kube_want_ref(struct kube_want *w)
{
    w->refs++;
    return w;
}

void kube_want_unref(struct kube_want *w)
{
    if (!w || --w->refs)
        return;
    kube_secret_want_deinit(&w->w);
    free(w);
}

enum step {
    STEP_GET,
    STEP_CREATE,
    STEP_PATCH,
    STEP_DELETE,
};

struct kube_apply {
    struct kube_client *client; /* borrowed */
    char *ns, *name;            /* owned */
    struct kube_want *want;     /* a reference */
    int take_over, dry_run;
    enum step step;
    int rounds;
    int canceled;
    struct kube_req *req; /* in flight */
    struct kube_secret_seen seen;
    struct kube_apply_result res;
    kube_apply_fn *done;
    void *ud;
};

static const char *const step_verb[] = {
    [STEP_GET] = "get", [STEP_CREATE] = "create", [STEP_PATCH] = "patch", [STEP_DELETE] = "delete"};

static void apply_free(struct kube_apply *a)
{
    kube_want_unref(a->want);
    free(a->ns);
    free(a->name);
    free(a);
}

static void finish(struct kube_apply *a, enum kube_apply_outcome o, enum ecd_status st)
{
    a->res.outcome = o;
    a->res.st = st;
    a->done(&a->res, a->ud);
    apply_free(a);
}

static void on_reply(enum ecd_status st, const struct http_response *resp, void *ud);

static enum ecd_status send_step(struct kube_apply *a, enum step s)
{
    static const char *const method[] = {[STEP_GET] = "GET",
                                         [STEP_CREATE] = "POST",
                                         [STEP_PATCH] = "PATCH",
                                         [STEP_DELETE] = "DELETE"};
    struct kube_request_opts o = {.method = method[s]};
    struct buf path, body;
    const char *dry = a->dry_run ? "&dryRun=All" : "";
    enum ecd_status st;

    a->step = s;
    buf_init(&path, 1024);
    buf_init(&body, KUBE_SECRET_MAX * 2);
    switch (s) {
    case STEP_GET:
        st = buf_printf(&path, "/api/v1/namespaces/%s/secrets/%s", a->ns, a->name);
        break;
    case STEP_CREATE:
        st =
            buf_printf(&path, "/api/v1/namespaces/%s/secrets?fieldManager=ecr-credd%s", a->ns, dry);
        if (!st)
            st = kube_secret_create_body(a->name, a->ns, &a->want->w, &body);
        o.content_type = "application/json";
        break;
    case STEP_PATCH:
        st = buf_printf(&path, "/api/v1/namespaces/%s/secrets/%s?fieldManager=ecr-credd%s", a->ns,
                        a->name, dry);
        if (!st)
            st = kube_secret_patch_body(a->seen.rv, &a->want->w, &body);
        o.content_type = "application/merge-patch+json";
        break;
    case STEP_DELETE:
        st = buf_printf(&path, "/api/v1/namespaces/%s/secrets/%s%s", a->ns, a->name,
                        a->dry_run ? "?dryRun=All" : "");
        /* Only the version we looked at: a secret changed meanwhile is not deleted. */
        if (!st)
            st = buf_printf(&body,
                            "{\"kind\":\"DeleteOptions\",\"apiVersion\":\"v1\","
                            "\"preconditions\":{\"resourceVersion\":\"%s\"}}",
                            a->seen.rv);
        o.content_type = "application/json";
        break;
    }
    if (!st) {
        o.path = buf_str(&path);
        o.body = body.len ? body.ptr : NULL;
        o.body_len = body.len;
        st = kube_request(a->client, &o, on_reply, a, &a->req);
    }
    buf_free(&path);
    buf_wipe(&body); /* the create and patch bodies hold the registry passwords */
    return st;
}

/* Go on with step s; a failure to even send finishes the apply. */
static void next(struct kube_apply *a, enum step s)
{
    enum ecd_status st;

    if (a->canceled) {
        snprintf(a->res.msg, sizeof(a->res.msg), "canceled");
        finish(a, KUBE_APPLY_FAILED, ECD_ECANCELED);
        return;
    }
    st = send_step(a, s);
    if (st) {
        snprintf(a->res.msg, sizeof(a->res.msg), "cannot %s secrets in namespace %s: %s",
                 step_verb[s], a->ns, ecd_strerror(st));
        finish(a, KUBE_APPLY_FAILED, st);
    }
}

/* Act on what the namespace holds (a->seen, just read or from the cache). */
static void act(struct kube_apply *a)
{
    switch (kube_secret_decide(&a->seen, &a->want->w, a->take_over)) {
    case KUBE_SECRET_KEEP:
        a->res.seen = a->seen;
        a->res.seen_valid = 1;
        finish(a, KUBE_APPLY_UNCHANGED, ECD_OK);
        return;
    case KUBE_SECRET_FOREIGN:
        snprintf(a->res.msg, sizeof(a->res.msg), "%s",
                 a->seen.immutable  ? "it is immutable"
                 : !a->seen.type_ok ? "it has another type than " KUBE_DOCKERCONFIG_TYPE
                                    : "it is not labelled " KUBE_MANAGED_BY_LABEL
                                      "=" KUBE_MANAGED_BY_VALUE);
        a->res.seen = a->seen;
        a->res.seen_valid = 1;
        finish(a, KUBE_APPLY_FOREIGN, ECD_OK);
        return;
    case KUBE_SECRET_PATCH:
        next(a, STEP_PATCH);
        return;
    case KUBE_SECRET_REPLACE:
        next(a, STEP_DELETE);
        return;
    }
}

/* Read the secret from a response body into a->seen; 0 when it is unreadable. */
static int decode_seen(struct kube_apply *a, const struct http_response *resp)
{
    struct jsonutil_err e;
    cJSON *obj = NULL;
    char name[128];
    int ok;

    snprintf(name, sizeof(name), "secret %s/%s", a->ns, a->name);
    jsonutil_err_init(&e, name, ECD_EPROTO);
    ok = jsonutil_parse(&e, resp->body.ptr, resp->body.len, &obj) == ECD_OK &&
         jsonutil_expect(&e, obj, "", JSONUTIL_OBJECT) == ECD_OK &&
         kube_secret_seen_decode(&e, obj, "", &a->seen) == ECD_OK;
    jsonutil_delete_wiped(obj);
    if (!ok)
        snprintf(a->res.msg, sizeof(a->res.msg), "%s", e.msg);
    return ok;
}

static void reread(struct kube_apply *a)
{
    if (++a->rounds > MAX_ROUNDS) {
        snprintf(a->res.msg, sizeof(a->res.msg),
                 "secret %s in namespace %s kept changing under us (%d conflicts), giving up "
                 "for now",
                 a->name, a->ns, MAX_ROUNDS);
        finish(a, KUBE_APPLY_FAILED, ECD_EHTTP);
        return;
    }
    next(a, STEP_GET);
}

static void on_reply(enum ecd_status st, const struct http_response *resp, void *ud)
{
    struct kube_apply *a = ud;
    long code = !st && resp ? resp->status : 0;

    a->req = NULL;
    if (st == ECD_ECANCELED || a->canceled) {
        snprintf(a->res.msg, sizeof(a->res.msg), "canceled");
        finish(a, KUBE_APPLY_FAILED, ECD_ECANCELED);
        return;
    }
    switch (a->step) {
    case STEP_GET:
        if (code == 404) {
            next(a, STEP_CREATE);
            return;
        }
        if (code == 200) {
            if (!decode_seen(a, resp)) {
                finish(a, KUBE_APPLY_FAILED, ECD_EPROTO);
                return;
            }
            act(a);
            return;
        }
        break;
    case STEP_CREATE:
        if (code == 200 || code == 201) {
            a->res.seen_valid = a->dry_run ? 0 : decode_seen(a, resp);
            a->res.seen = a->seen;
            finish(a,
                   a->res.outcome == KUBE_APPLY_REPLACED ? KUBE_APPLY_REPLACED : KUBE_APPLY_CREATED,
                   ECD_OK);
            return;
        }
        if (code == 409) { /* AlreadyExists: someone was faster */
            reread(a);
            return;
        }
        if (kube_apierr_terminating(resp)) {
            finish(a, KUBE_APPLY_TERMINATING, ECD_OK);
            return;
        }
        if (code == 404) {
            snprintf(a->res.msg, sizeof(a->res.msg), "namespace %s does not exist", a->ns);
            finish(a, KUBE_APPLY_NO_NAMESPACE, ECD_OK);
            return;
        }
        break;
    case STEP_PATCH:
        if (code == 200 || code == 201) {
            a->res.seen_valid = a->dry_run ? 0 : decode_seen(a, resp);
            a->res.seen = a->seen;
            finish(a, KUBE_APPLY_UPDATED, ECD_OK);
            return;
        }
        if (code == 409) { /* the resourceVersion moved on */
            reread(a);
            return;
        }
        if (code == 404) {
            next(a, STEP_CREATE);
            return;
        }
        break;
    case STEP_DELETE:
        if (code == 200 || code == 202 || code == 404) {
            if (a->dry_run) {
                finish(a, KUBE_APPLY_REPLACED, ECD_OK);
                return;
            }
            a->res.outcome = KUBE_APPLY_REPLACED; /* remembered for the create */
            next(a, STEP_CREATE);
            return;
        }
        if (code == 409) {
            reread(a);
            return;
        }
        break;
    }
    kube_apierr_text(a->res.msg, sizeof(a->res.msg), step_verb[a->step], "secrets", a->ns, st,
                     resp);
    finish(a, KUBE_APPLY_FAILED,
           kube_apierr_status(st, resp) ? kube_apierr_status(st, resp) : ECD_EPROTO);
}

enum ecd_status kube_apply_start(struct kube_client *c, const struct kube_apply_opts *o,
                                 kube_apply_fn *done, void *ud, struct kube_apply **out)
{
    struct kube_apply *a = calloc(1, sizeof(*a));
    enum ecd_status st;
    enum step first = STEP_GET;

    if (!a)
        return ECD_ENOMEM;
    a->client = c;
    a->done = done;
    a->ud = ud;
    a->take_over = o->take_over;
    a->dry_run = o->dry_run;
    a->want = kube_want_ref(o->want);
    if (!(a->ns = strdup(o->ns)) || !(a->name = strdup(o->name))) {
        apply_free(a);
        return ECD_ENOMEM;
    }
    if (o->known && !o->present) {
        first = STEP_CREATE;
    } else if (o->known && o->seen) {
        a->seen = *o->seen;
        switch (kube_secret_decide(&a->seen, &a->want->w, a->take_over)) {
        case KUBE_SECRET_PATCH:
            first = STEP_PATCH;
            break;
        case KUBE_SECRET_REPLACE:
            first = STEP_DELETE;
            break;
        case KUBE_SECRET_KEEP:
        case KUBE_SECRET_FOREIGN:
            first = STEP_GET; /* the caller asked anyway: check what is there */
            break;
        }
    }
    st = send_step(a, first);
    if (st) {
        apply_free(a);
        return st;
    }
    if (out)
        *out = a;
    return ECD_OK;
}

void kube_apply_cancel(struct kube_apply *a)
{
    a->canceled = 1;
    if (a->req)
        kube_cancel(a->req);
}
