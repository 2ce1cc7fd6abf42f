/* SPDX-License-Identifier: MIT */
/* Leader election over a Lease; see lease.h.  One request at a time, one timer.
 *
 * Follower: GET the Lease every retry period (jittered up to +20 %, as client-go); 404
 * -> create it (POST; 409 means another replica won the race).  A Lease held by
 * someone else is taken over (PUT with the observed resourceVersion) only when its
 * holder record has not changed for leaseDurationSeconds as measured by our own
 * monotonic clock from the moment we saw it change: the other replica's clock is
 * never trusted.  A 409 on the PUT means another replica wrote first.
 *
 * Leader: renew by PUT every retry period with the resourceVersion of its last
 * write (no GET while nothing conflicts).  Each renewal's timeout ends at the renew
 * deadline (last successful renewal + renew_deadline), and at that deadline, without
 * a successful renewal, the leader steps down (callback 0) and campaigns again. */
#include "kube/lease.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kubelease.h"
#include "log.h"

enum lease_op {
    OP_NONE,
    OP_GET,
    OP_CREATE,
    OP_UPDATE,
    OP_RELEASE,
};

struct kube_lease {
    struct kube_client *c;      /* borrowed: must outlive the lease (stop it first) */
    char *ns, *name, *identity; /* owned */
    char *path;                 /* owned: the Lease's URL path */
    char *coll;                 /* owned: the leases collection path (POST) */
    int duration_s, renew_deadline_s, retry_period_s;
    kube_lease_fn *cb;
    void *ud;
    uv_timer_t timer;     /* data = this */
    struct kube_req *req; /* in flight; NULL otherwise */
    enum lease_op op;
    int leading, stopped, release_wanted, need_get;
    struct kubelease_rec obs; /* the record last seen (or written) */
    cJSON *obs_obj;           /* owned; the object it came in, for the next PUT */
    int have_obs;
    uint64_t obs_ms;              /* uv_now when the holder record last changed */
    uint64_t renewed_ms;          /* uv_now of the last successful write as holder */
    long last_err;                /* last failure logged (HTTP status or -status): no repeats */
    void (*on_stopped)(void *ud); /* kube_lease_stop_notify(): told when all is done */
    void *on_stopped_ud;
};

static uint64_t now_ms(struct kube_lease *l)
{
    return uv_now(l->timer.loop);
}

static void attempt(struct kube_lease *l);

static void on_timer_closed(uv_handle_t *h)
{
    struct kube_lease *l = h->data;

    if (l->on_stopped)
        l->on_stopped(l->on_stopped_ud);
    kubelease_rec_clear(&l->obs);
    cJSON_Delete(l->obs_obj);
    free(l->ns);
    free(l->name);
    free(l->identity);
    free(l->path);
    free(l->coll);
    free(l);
}

static void finish_stop(struct kube_lease *l)
{
    uv_close((uv_handle_t *)&l->timer, on_timer_closed);
}

static void on_timer(uv_timer_t *t)
{
    attempt(t->data);
}

static void schedule(struct kube_lease *l, int jitter)
{
    uint64_t ms = (uint64_t)l->retry_period_s * 1000;

    if (jitter)
        ms += (uint64_t)(rand() % (int)(ms / 5 + 1));
    (void)uv_timer_start(&l->timer, on_timer, ms, 0); /* cannot fail for an open timer */
}

static void set_leading(struct kube_lease *l, int leading)
{
    if (l->leading == leading)
        return;
    l->leading = leading;
    if (leading)
        log_notice("lease %s/%s: this replica (%s) is the leader now", l->ns, l->name, l->identity);
    else
        log_warn("lease %s/%s: this replica (%s) is no longer the leader", l->ns, l->name,
                 l->identity);
    l->cb(leading, l->ud);
}

/* "<message>" of a Status body, for the log (control characters replaced). */
static void status_message(const struct http_response *resp, char *out, size_t n)
{
    cJSON *root = cJSON_ParseWithLength(buf_str(&resp->body), resp->body.len);
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(root, "message");

    snprintf(out, n, "%s", cJSON_IsString(m) ? m->valuestring : "(no message)");
    for (char *p = out; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
    cJSON_Delete(root);
}

/* A request failed: log (once per kind of failure), step down at the deadline, and
 * try again after the retry period. */
static void failed(struct kube_lease *l, const char *verb, enum ecd_status st,
                   const struct http_response *resp)
{
    long key = st ? -(long)st : resp->status;
    char msg[400];

    if (key != l->last_err) {
        l->last_err = key;
        if (st) {
            log_warn("lease %s/%s: %s failed: %s: %s", l->ns, l->name, verb, ecd_strerror(st),
                     resp && resp->errmsg[0] ? resp->errmsg : "(no detail)");
        } else {
            status_message(resp, msg, sizeof(msg));
            if (resp->status == 403)
                log_error("lease %s/%s: %s answered 403 Forbidden: the service account needs "
                          "get, create and update on leases (coordination.k8s.io) in namespace "
                          "%s: %s",
                          l->ns, l->name, verb, l->ns, msg);
            else
                log_warn("lease %s/%s: %s answered HTTP %ld: %s", l->ns, l->name, verb,
                         resp->status, msg);
        }
    }
    if (l->leading && now_ms(l) - l->renewed_ms >= (uint64_t)l->renew_deadline_s * 1000)
        set_leading(l, 0);
    schedule(l, !l->leading);
}

/* Keep what the server returned; the holder record changing restarts the expiry
 * clock (client-go compares the record, not the resourceVersion). */
static void observe(struct kube_lease *l, struct kubelease_rec *rec, cJSON *obj)
{
    int changed = !l->have_obs || strcmp(rec->holder, l->obs.holder) ||
                  strcmp(rec->renew_time, l->obs.renew_time) ||
                  strcmp(rec->acquire_time, l->obs.acquire_time) ||
                  rec->duration_s != l->obs.duration_s || rec->transitions != l->obs.transitions;

    if (changed)
        l->obs_ms = now_ms(l);
    kubelease_rec_clear(&l->obs);
    l->obs = *rec;
    memset(rec, 0, sizeof(*rec));
    cJSON_Delete(l->obs_obj);
    l->obs_obj = obj;
    l->have_obs = 1;
}

static void on_done(enum ecd_status st, const struct http_response *resp, void *ud);

static enum ecd_status lease_send(struct kube_lease *l, enum lease_op op, const char *method,
                                  const char *path, const struct kubelease_rec *rec,
                                  long timeout_ms)
{
    struct kube_request_opts o = {0};
    char *body = NULL;
    enum ecd_status st;

    if (rec &&
        (st = kubelease_body(op == OP_CREATE ? NULL : l->obs_obj, l->ns, l->name, rec, &body)))
        return st;
    o.method = method;
    o.path = path;
    o.content_type = body ? "application/json" : NULL;
    o.body = body;
    o.body_len = body ? strlen(body) : 0;
    o.timeout_ms = timeout_ms < 1000 ? 1000 : timeout_ms;
    o.max_body = 1024 * 1024;
    st = kube_request(l->c, &o, on_done, l, &l->req);
    free(body);
    if (!st)
        l->op = op;
    return st;
}

static void now_micro(char out[32])
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    kubelease_microtime(&ts, out);
}

/* Write ourselves as the holder: a renewal keeps acquireTime and leaseTransitions, a
 * takeover sets acquireTime and counts a transition (client-go's rules). */
static void write_record(struct kube_lease *l, enum lease_op op)
{
    struct kubelease_rec rec = {0};
    char now[32];
    int ours = l->have_obs && !strcmp(l->obs.holder, l->identity);
    long timeout_ms = (long)l->renew_deadline_s * 1000;
    enum ecd_status st;

    now_micro(now);
    rec.resource_version = op == OP_CREATE ? "" : l->obs.resource_version;
    rec.holder = op == OP_RELEASE ? "" : l->identity;
    rec.duration_s = op == OP_RELEASE ? 1 : l->duration_s;
    rec.renew_time = now;
    rec.acquire_time = ours || op == OP_RELEASE ? l->obs.acquire_time : now;
    rec.transitions = op == OP_CREATE ? 0 : l->obs.transitions + (ours || op == OP_RELEASE ? 0 : 1);
    if (op == OP_RELEASE)
        timeout_ms = 2000; /* best effort: shutdown does not wait for long */
    else if (l->leading)
        timeout_ms = (long)(l->renewed_ms + (uint64_t)l->renew_deadline_s * 1000 - now_ms(l));
    st = lease_send(l, op, op == OP_CREATE ? "POST" : "PUT", op == OP_CREATE ? l->coll : l->path,
                    &rec, timeout_ms);
    /* A release that cannot start is simply skipped: the callers see l->req NULL. */
    if (st && op != OP_RELEASE)
        failed(l, op == OP_CREATE ? "create" : "update", st, NULL);
}

static void attempt(struct kube_lease *l)
{
    enum ecd_status st;

    if (l->stopped || l->req)
        return;
    if (l->leading && l->have_obs && !l->need_get) {
        write_record(l, OP_UPDATE);
        return;
    }
    st = lease_send(l, OP_GET, "GET", l->path, NULL, (long)l->renew_deadline_s * 1000);
    if (st)
        failed(l, "get", st, NULL);
}

static void after_get(struct kube_lease *l, const struct http_response *resp)
{
    struct kubelease_rec rec = {0};
    cJSON *obj = NULL;
    char why[256];
    int duration;

    if (resp->status == 404) {
        write_record(l, OP_CREATE);
        return;
    }
    if (resp->status != 200) {
        failed(l, "get", ECD_OK, resp);
        return;
    }
    if (kubelease_parse(buf_str(&resp->body), resp->body.len, &rec, &obj, why, sizeof(why))) {
        log_warn("lease %s/%s: unexpected answer to get: %s", l->ns, l->name, why);
        schedule(l, 1);
        return;
    }
    observe(l, &rec, obj);
    l->need_get = 0;
    l->last_err = 0;
    if (!strcmp(l->obs.holder, l->identity) || !*l->obs.holder) {
        write_record(l, OP_UPDATE); /* ours (say, from before a restart) or released */
        return;
    }
    duration = l->obs.duration_s > 0 ? l->obs.duration_s : l->duration_s;
    if (now_ms(l) - l->obs_ms < (uint64_t)duration * 1000) {
        set_leading(l, 0); /* someone else holds it and renews it */
        schedule(l, 1);
        return;
    }
    log_info("lease %s/%s: holder %s has not renewed for %d s: taking over", l->ns, l->name,
             l->obs.holder, duration);
    write_record(l, OP_UPDATE);
}

static void after_write(struct kube_lease *l, enum lease_op op, const struct http_response *resp)
{
    struct kubelease_rec rec = {0};
    cJSON *obj = NULL;
    char why[256];

    if (resp->status == 409) {
        /* Another replica wrote first (or created it first): look again next time. */
        log_debug("lease %s/%s: %s conflicted (409): another replica wrote first", l->ns, l->name,
                  op == OP_CREATE ? "create" : "update");
        l->need_get = 1;
        if (l->leading && now_ms(l) - l->renewed_ms >= (uint64_t)l->renew_deadline_s * 1000)
            set_leading(l, 0);
        schedule(l, 0);
        return;
    }
    if (resp->status != 200 && resp->status != 201) {
        l->need_get = 1;
        failed(l, op == OP_CREATE ? "create" : "update", ECD_OK, resp);
        return;
    }
    if (kubelease_parse(buf_str(&resp->body), resp->body.len, &rec, &obj, why, sizeof(why))) {
        log_warn("lease %s/%s: unexpected answer to %s: %s", l->ns, l->name,
                 op == OP_CREATE ? "create" : "update", why);
        l->need_get = 1;
        schedule(l, 1);
        return;
    }
    observe(l, &rec, obj);
    l->last_err = 0;
    l->renewed_ms = now_ms(l);
    set_leading(l, 1);
    if (!l->stopped)
        schedule(l, 0);
}

static void on_done(enum ecd_status st, const struct http_response *resp, void *ud)
{
    struct kube_lease *l = ud;
    enum lease_op op = l->op;

    l->req = NULL;
    l->op = OP_NONE;
    if (l->stopped) {
        /* A request that ended after kube_lease_stop() (then release if we held the
         * lease), or the release itself. */
        if (op != OP_RELEASE && l->release_wanted && l->have_obs) {
            l->release_wanted = 0;
            write_record(l, OP_RELEASE);
        }
        if (!l->req)
            finish_stop(l);
        return;
    }
    if (st == ECD_ECANCELED)
        return; /* the client is going away; kube_lease_stop() follows */
    if (st) {
        failed(l, op == OP_GET ? "get" : op == OP_CREATE ? "create" : "update", st, resp);
        return;
    }
    if (op == OP_GET)
        after_get(l, resp);
    else
        after_write(l, op, resp);
}

enum ecd_status kube_lease_start(struct kube_client *c, const struct kube_lease_opts *opts,
                                 kube_lease_fn *cb, void *ud, struct kube_lease **out)
{
    struct kube_lease *l;

    if (!opts->namespace_ || !opts->name || !opts->identity || !*opts->identity || !cb)
        return ECD_EINVAL;
    l = calloc(1, sizeof(*l));
    if (!l)
        return ECD_ENOMEM;
    l->c = c;
    l->cb = cb;
    l->ud = ud;
    l->duration_s = opts->duration_s > 0 ? opts->duration_s : 15;
    l->renew_deadline_s = opts->renew_deadline_s > 0 ? opts->renew_deadline_s : 10;
    l->retry_period_s = opts->retry_period_s > 0 ? opts->retry_period_s : 2;
    if (!(l->ns = strdup(opts->namespace_)) || !(l->name = strdup(opts->name)) ||
        !(l->identity = strdup(opts->identity)) ||
        asprintf(&l->coll, "/apis/coordination.k8s.io/v1/namespaces/%s/leases", l->ns) < 0) {
        l->coll = NULL;
        goto nomem;
    }
    if (asprintf(&l->path, "%s/%s", l->coll, l->name) < 0) {
        l->path = NULL;
        goto nomem;
    }
    (void)uv_timer_init(kube_client_loop(c), &l->timer); /* cannot fail on Linux */
    l->timer.data = l;
    (void)uv_timer_start(&l->timer, on_timer, 0, 0); /* the first attempt, from the loop */
    *out = l;
    return ECD_OK;
nomem:
    free(l->ns);
    free(l->name);
    free(l->identity);
    free(l->coll);
    free(l);
    return ECD_ENOMEM;
}

int kube_lease_leading(const struct kube_lease *l)
{
    return l->leading;
}

void kube_lease_stop_notify(struct kube_lease *l, void (*stopped)(void *ud), void *ud)
{
    if (!l || l->stopped)
        return;
    l->on_stopped = stopped;
    l->on_stopped_ud = ud;
    kube_lease_stop(l);
}

void kube_lease_stop(struct kube_lease *l)
{
    if (!l || l->stopped)
        return;
    l->stopped = 1;
    l->release_wanted = l->leading;
    (void)uv_timer_stop(&l->timer);
    if (l->req) {
        kube_cancel(l->req); /* on_done releases, then frees */
        return;
    }
    if (l->release_wanted && l->have_obs) {
        l->release_wanted = 0;
        write_record(l, OP_RELEASE);
        if (l->req)
            return;
    }
    finish_stop(l);
}
