/* SPDX-License-Identifier: MIT */
/* A ServiceAccount's imagePullSecrets; see sa.h. */
#include "kube/sa.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/apierr.h"
#include "kube_json.h"
#include "kube_secret.h"

#define MAX_ROUNDS 5

struct kube_sa_op {
    struct kube_client *client; /* borrowed */
    char *ns, *sa, *secret;     /* owned */
    int dry_run, patching, rounds, canceled;
    struct kube_req *req;
    struct kube_sa_result res;
    kube_sa_fn *done;
    void *ud;
};

static void op_free(struct kube_sa_op *op)
{
    free(op->ns);
    free(op->sa);
    free(op->secret);
    free(op);
}

static void finish(struct kube_sa_op *op, enum kube_sa_outcome o, enum ecd_status st)
{
    op->res.outcome = o;
    op->res.st = st;
    op->done(&op->res, op->ud);
    op_free(op);
}

static void on_reply(enum ecd_status st, const struct http_response *resp, void *ud);

static enum ecd_status send_get(struct kube_sa_op *op)
{
    char path[512];
    struct kube_request_opts o = {.method = "GET", .path = path};

    op->patching = 0;
    snprintf(path, sizeof(path), "/api/v1/namespaces/%s/serviceaccounts/%s", op->ns, op->sa);
    return kube_request(op->client, &o, on_reply, op, &op->req);
}

static enum ecd_status send_patch(struct kube_sa_op *op, const struct kube_sa_seen *seen)
{
    char path[600];
    struct buf body;
    struct kube_request_opts o = {
        .method = "PATCH", .path = path, .content_type = "application/json-patch+json"};
    enum ecd_status st;

    op->patching = 1;
    snprintf(path, sizeof(path),
             "/api/v1/namespaces/%s/serviceaccounts/%s?fieldManager=ecr-credd%s", op->ns, op->sa,
             op->dry_run ? "&dryRun=All" : "");
    buf_init(&body, 4096);
    st = kube_sa_patch_body(seen, op->secret, &body);
    if (!st) {
        o.body = body.ptr;
        o.body_len = body.len;
        st = kube_request(op->client, &o, on_reply, op, &op->req);
    }
    buf_free(&body);
    return st;
}

static void on_reply(enum ecd_status st, const struct http_response *resp, void *ud)
{
    struct kube_sa_op *op = ud;
    long code = !st && resp ? resp->status : 0;
    enum ecd_status sst;

    op->req = NULL;
    if (st == ECD_ECANCELED || op->canceled) {
        snprintf(op->res.msg, sizeof(op->res.msg), "canceled");
        finish(op, KUBE_SA_FAILED, ECD_ECANCELED);
        return;
    }
    if (!op->patching && code == 200) {
        struct jsonutil_err e;
        struct kube_sa_seen seen;
        cJSON *obj = NULL;
        char name[160];

        snprintf(name, sizeof(name), "serviceaccount %s/%s", op->ns, op->sa);
        jsonutil_err_init(&e, name, ECD_EPROTO);
        sst = jsonutil_parse(&e, resp->body.ptr, resp->body.len, &obj);
        if (!sst)
            sst = jsonutil_expect(&e, obj, "", JSONUTIL_OBJECT);
        if (!sst)
            sst = kube_sa_decode(&e, obj, op->secret, &seen);
        cJSON_Delete(obj);
        if (sst) {
            snprintf(op->res.msg, sizeof(op->res.msg), "%s", e.msg);
            finish(op, KUBE_SA_FAILED, sst);
            return;
        }
        if (seen.has_secret) {
            finish(op, KUBE_SA_UNCHANGED, ECD_OK);
            return;
        }
        sst = send_patch(op, &seen);
        if (sst) {
            snprintf(op->res.msg, sizeof(op->res.msg),
                     "cannot patch serviceaccounts in namespace %s: %s", op->ns, ecd_strerror(sst));
            finish(op, KUBE_SA_FAILED, sst);
        }
        return;
    }
    if (!op->patching && code == 404) {
        snprintf(op->res.msg, sizeof(op->res.msg), "service account %s not found in namespace %s",
                 op->sa, op->ns);
        finish(op, KUBE_SA_MISSING, ECD_OK);
        return;
    }
    if (op->patching && code == 200) {
        finish(op, KUBE_SA_ADDED, ECD_OK);
        return;
    }
    /* A failed test op is 422 on older servers and 409 on newer ones: read again. */
    if (op->patching && (code == 409 || code == 422) && ++op->rounds <= MAX_ROUNDS) {
        sst = send_get(op);
        if (!sst)
            return;
        st = sst;
    }
    kube_apierr_text(op->res.msg, sizeof(op->res.msg), op->patching ? "patch" : "get",
                     "serviceaccounts", op->ns, st, resp);
    sst = kube_apierr_status(st, resp);
    finish(op, KUBE_SA_FAILED, sst ? sst : ECD_EHTTP);
}

enum ecd_status kube_sa_start(struct kube_client *c, const char *ns, const char *sa,
                              const char *secret, int dry_run, kube_sa_fn *done, void *ud,
                              struct kube_sa_op **out)
{
    struct kube_sa_op *op = calloc(1, sizeof(*op));
    enum ecd_status st;

    if (!op)
        return ECD_ENOMEM;
    op->client = c;
    op->dry_run = dry_run;
    op->done = done;
    op->ud = ud;
    if (!(op->ns = strdup(ns)) || !(op->sa = strdup(sa)) || !(op->secret = strdup(secret))) {
        op_free(op);
        return ECD_ENOMEM;
    }
    st = send_get(op);
    if (st) {
        op_free(op);
        return st;
    }
    if (out)
        *out = op;
    return ECD_OK;
}

void kube_sa_cancel(struct kube_sa_op *op)
{
    op->canceled = 1;
    if (op->req)
        kube_cancel(op->req);
}
