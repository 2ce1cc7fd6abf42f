/* SPDX-License-Identifier: MIT */
/* The kubernetes sink: one kubernetes.io/dockerconfigjson secret per selected
 * namespace holding every registry pushed to it, optionally listed in named
 * ServiceAccounts' imagePullSecrets.  This file is the glue: the config keys, the
 * namespace and secret caches fed by kube/watch.c, a queue that applies
 * (kube/secrets.c, kube/sa.c) with bounded concurrency, push bookkeeping and leader
 * election (kube/lease.c).
 *
 * Modes: in the daemon, namespaces and our secrets are watched, so a new namespace
 * or a deleted or edited secret is dealt with within seconds, from the latest token
 * sets; --once lists, applies and ends; a push in --check mode lists and applies
 * with dryRun=All (nothing is stored).
 * With only literal namespace names (no globs, no selector) nothing cluster-wide
 * is listed: each namespace's secret is read or watched on its own. */
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "duration.h"
#include "jsonutil.h"
#include "kube/client.h"
#include "kube/lease.h"
#include "kube/sa.h"
#include "kube/secrets.h"
#include "kube/watch.h"
#include "kube_json.h"
#include "kube_select.h"
#include "log.h"
#include "sink.h"

#define NS_BUCKETS          1024
#define DEFAULT_SECRET      "ecr-pull"
#define DEFAULT_CONCURRENCY 16
#define MAX_CONCURRENCY     256
#define RETRY_MIN_MS        5000
#define RETRY_MAX_MS        300000
#define FAIL_LOG_MAX        5    /* per push: failures logged in full; the rest in the summary */
#define SA_RETRIES          12   /* a missing service account: looked for again ... */
#define SA_RETRY_MS         5000 /* ... every 5 s, for a minute */

struct ksink;
struct kpush;
struct kns;

/* One ServiceAccount patch in flight for a namespace. */
struct kslot {
    struct kns *ns;        /* borrowed */
    struct kube_sa_op *op; /* NULL when none */
};

/* One namespace as far as the sink knows it. */
struct kns {
    struct kns *next;  /* hash chain */
    struct kns *qnext; /* work queue */
    struct ksink *k;   /* borrowed */
    char *name;        /* owned */
    int ns_seen;       /* listed or watched as a namespace (literal names: always) */
    int selected;      /* the filter takes it */
    int terminating;   /* status.phase Terminating */
    unsigned ns_gen, sec_gen;
    int sec_known, sec_present; /* what the secret cache says */
    int sec_listed;             /* literal names: seen in the current list */
    struct kube_secret_seen seen;
    char foreign_rv[128];         /* the version last reported as foreign */
    struct kube_watch *sec_watch; /* literal names in the daemon: this namespace's secret */
    /* Work. */
    int queued, running, dirty, gone;
    struct kpush *push;       /* the push waiting for this namespace; NULL: background */
    struct kube_apply *apply; /* in flight */
    struct kslot *sa;         /* owned array of k->n_sa slots */
    size_t sa_pending;
    int failed;
    enum ecd_status fail_st;
    char fail_msg[640];
    enum kube_apply_outcome outcome;
    unsigned sa_tries; /* looks for a missing service account (see on_sa) */
    int sa_retry;      /* ... and one is due */
};

struct kpush {
    sink_done_fn *done;
    void *ud;
    size_t pending; /* namespaces still to finish (+1 while starting) */
    size_t n_ns, created, updated, unchanged, foreign, skipped, failed;
    enum ecd_status first_st;
    struct buf failed_names; /* "a, b, c" (capped) */
    int waiting_sync;        /* waiting for the watches' first lists */
    int finish_now;          /* complete at the kick with finish_st */
    enum ecd_status finish_st;
    int canceled;
};

struct ksink {
    struct sink *s; /* borrowed; NULL once the core let go (deinit) */
    char *name;     /* owned copy of the sink's name, for messages after deinit */
    char label[160];
    const struct sink_env *env; /* borrowed */
    /* Configuration. */
    char *secret;
    struct kube_nsfilter filter;
    char *selector_text;
    char **sa_names;
    size_t n_sa;
    int take_over;
    unsigned concurrency;
    int literal;
    int lease_on;
    char *lease_ns, *lease_name;
    int64_t lease_ms;
    /* Connection and background work. */
    struct kube_client *client;
    struct kube_watch *ns_watch, *sec_watch;
    struct kube_watch *push_list; /* daemon: the secrets list each push starts from */
    int push_listed;              /* ... and it completed for the current push */
    enum ecd_status list_st;      /* a list the push needs failed ... */
    char list_err[512];           /* ... and why */
    struct kube_lease *lease;
    int leading;     /* 1 without leader election */
    int told_follow; /* the "not the leader" line was logged */
    unsigned ns_gen, sec_gen;
    int ns_synced, sec_synced;
    struct kns *buckets[NS_BUCKETS];
    size_t n_entries;
    struct kns *qhead, *qtail;
    unsigned running;
    /* Pushes. */
    struct token_set **sets; /* owned references: the latest pushed sets */
    size_t n_sets;
    struct kube_want *want; /* a reference: what the latest sets render to */
    struct kpush *push;     /* the push in progress */
    uv_timer_t kick;        /* defers push starts and completions to the loop */
    uv_timer_t retry;       /* background re-apply after failures */
    uv_timer_t pumper;      /* starts queued work from the loop: watch events arrive
                             * inside curl's write callback, where no request may start */
    int64_t retry_ms;
    int bg_failed;
    /* Teardown: the struct outlives the sink until callbacks and handles drain. */
    int dying;
    unsigned handles_open;
    unsigned ops; /* applies and SA patches in flight */
};

/* The core allocates s->state; it holds only the pointer, so the real state can
 * outlive deinit while cancellations drain. */
struct kube_state {
    struct ksink *k;
};

static void pump(struct ksink *k);
static void pump_soon(struct ksink *k);
static void on_retry(uv_timer_t *t);
static void ns_finish(struct kns *ns);
static void reconcile(struct ksink *k, struct kpush *p);

/* ---- lifetime -------------------------------------------------------------------- */

static void strv_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static void drop_sets(struct ksink *k)
{
    for (size_t i = 0; i < k->n_sets; i++)
        token_set_unref(k->sets[i]);
    free(k->sets);
    k->sets = NULL;
    k->n_sets = 0;
}

static void ns_free(struct kns *ns)
{
    free(ns->sa);
    free(ns->name);
    free(ns);
}

static void ksink_release(struct ksink *k)
{
    for (size_t b = 0; b < NS_BUCKETS; b++) {
        while (k->buckets[b]) {
            struct kns *ns = k->buckets[b];

            k->buckets[b] = ns->next;
            ns_free(ns);
        }
    }
    drop_sets(k);
    kube_want_unref(k->want);
    kube_nsfilter_deinit(&k->filter);
    strv_free(k->sa_names, k->n_sa);
    free(k->selector_text);
    free(k->secret);
    free(k->lease_ns);
    free(k->lease_name);
    free(k->name);
    free(k);
}

static void maybe_release(struct ksink *k)
{
    if (k->dying && !k->handles_open && !k->ops)
        ksink_release(k);
}

static void on_handle_closed(uv_handle_t *h)
{
    struct ksink *k = h->data;

    k->handles_open--;
    maybe_release(k);
}

/* ---- namespace table ---------------------------------------------------------------- */

static size_t ns_hash(const char *name)
{
    size_t h = 5381;

    for (; *name; name++)
        h = h * 33 + (unsigned char)*name;
    return h % NS_BUCKETS;
}

static struct kns *ns_find(struct ksink *k, const char *name)
{
    for (struct kns *ns = k->buckets[ns_hash(name)]; ns; ns = ns->next)
        if (!strcmp(ns->name, name))
            return ns;
    return NULL;
}

static struct kns *ns_get(struct ksink *k, const char *name)
{
    struct kns *ns = ns_find(k, name);
    size_t b;

    if (ns)
        return ns;
    ns = calloc(1, sizeof(*ns));
    if (!ns)
        return NULL;
    ns->k = k;
    ns->name = strdup(name);
    ns->sa = calloc(k->n_sa ? k->n_sa : 1, sizeof(*ns->sa));
    if (!ns->name || !ns->sa) {
        ns_free(ns);
        return NULL;
    }
    /* A complete secret list (or the watch that follows it) would have named this
     * namespace if it held our secret. */
    if (k->sec_synced && !k->literal)
        ns->sec_known = 1;
    b = ns_hash(name);
    ns->next = k->buckets[b];
    k->buckets[b] = ns;
    k->n_entries++;
    return ns;
}

/* Forget a namespace that is gone, unless work on it is still under way. */
static void ns_forget(struct kns *ns)
{
    struct ksink *k = ns->k;
    struct kns **pp;

    ns->gone = 1;
    ns->selected = 0;
    if (ns->running || ns->queued || ns->sec_watch)
        return;
    for (pp = &k->buckets[ns_hash(ns->name)]; *pp; pp = &(*pp)->next) {
        if (*pp == ns) {
            *pp = ns->next;
            break;
        }
    }
    k->n_entries--;
    ns_free(ns);
}

/* ---- pushes ------------------------------------------------------------------------- */

static void push_complete(struct ksink *k)
{
    struct kpush *p = k->push;
    enum ecd_status st = p->finish_now ? p->finish_st : ECD_OK;
    struct sink *s = k->s;

    if (!p->finish_now) {
        if (p->canceled)
            st = ECD_ECANCELED;
        else if (p->failed)
            st = p->first_st ? p->first_st : ECD_EHTTP;
        if (p->failed && !p->canceled) {
            log_error("%s: %zu of %zu namespaces failed: %s%s", k->label, p->failed, p->n_ns,
                      buf_str(&p->failed_names),
                      p->failed > FAIL_LOG_MAX ? " (first messages above)" : "");
        } else if (!p->canceled) {
            char extra[128] = "";

            if (p->foreign || p->skipped)
                snprintf(extra, sizeof(extra), ", %zu left alone, %zu skipped (terminating)",
                         p->foreign, p->skipped);
            log_info("%s: %zu namespace%s: %zu created, %zu updated, %zu unchanged%s%s", k->label,
                     p->n_ns, p->n_ns == 1 ? "" : "s", p->created, p->updated, p->unchanged, extra,
                     k->env->mode == SINK_MODE_CHECK ? " (dry run: nothing written)" : "");
        }
    }
    k->push = NULL;
    buf_free(&p->failed_names);
    p->done(s, st, p->ud);
    free(p);
}

static void push_note_failure(struct kpush *p, struct kns *ns)
{
    if (p->failed++ < FAIL_LOG_MAX)
        log_error("%s: %s", ns->k->label, ns->fail_msg);
    if (!p->first_st)
        p->first_st = ns->fail_st;
    /* A compact list for the summary: the first 20 names, then "..." (the summary
     * line has the count).  A name lost to the buffer's cap only shortens it. */
    if (p->failed <= 20) {
        if (buf_printf(&p->failed_names, "%s%s", p->failed > 1 ? ", " : "", ns->name))
            return;
    } else if (p->failed == 21) {
        if (buf_append_str(&p->failed_names, ", ..."))
            return;
    }
}

static void push_release(struct ksink *k, struct kpush *p)
{
    if (--p->pending == 0 && k->push == p)
        push_complete(k);
}

/* Whether a push can go on: literal names need no list; otherwise both caches must
 * be complete and, in the daemon, refreshed by this push's own list of secrets (a
 * cache kept by a watch that may be reconnecting is not trusted for a push). */
static int push_ready(const struct ksink *k)
{
    if (k->literal)
        return 1;
    return k->ns_synced && k->sec_synced && (k->env->mode != SINK_MODE_DAEMON || k->push_listed);
}

static void on_kick(uv_timer_t *t)
{
    struct ksink *k = t->data;
    struct kpush *p = k->push;

    if (!p)
        return;
    if (p->finish_now) {
        push_complete(k);
        return;
    }
    if (k->list_st) {
        log_error("%s: %s", k->label, k->list_err);
        p->finish_now = 1;
        p->finish_st = k->list_st;
        push_complete(k);
        return;
    }
    if (!push_ready(k)) {
        p->waiting_sync = 1; /* the lists decide (on_caches_synced / on_list_failed) */
        return;
    }
    reconcile(k, p);
}

/* ---- the work queue ----------------------------------------------------------------- */

static int may_write(const struct ksink *k)
{
    return !k->dying && k->leading && k->want;
}

static void enqueue(struct kns *ns, struct kpush *p)
{
    struct ksink *k = ns->k;

    if (p && !ns->push) {
        ns->push = p;
        p->pending++;
        p->n_ns++;
    }
    if (ns->running) {
        ns->dirty = 1; /* looked at again when the running work ends */
        return;
    }
    if (ns->queued)
        return;
    ns->queued = 1;
    ns->qnext = NULL;
    if (k->qtail)
        k->qtail->qnext = ns;
    else
        k->qhead = ns;
    k->qtail = ns;
}

static void report_foreign(struct kns *ns, const char *why)
{
    struct ksink *k = ns->k;

    if (!strcmp(ns->foreign_rv, ns->seen.rv))
        return; /* this version was reported already */
    snprintf(ns->foreign_rv, sizeof(ns->foreign_rv), "%s", ns->seen.rv);
    log_warn("%s: namespace %s: secret %s left alone: %s (set \"take_over\": true to manage it)",
             k->label, ns->name, k->secret, why);
}

static void ns_fail(struct kns *ns, enum ecd_status st, const char *msg)
{
    ns->failed = 1;
    ns->fail_st = st;
    snprintf(ns->fail_msg, sizeof(ns->fail_msg), "%s", msg);
}

static void on_sa(const struct kube_sa_result *r, void *ud)
{
    struct kslot *slot = ud;
    struct kns *ns = slot->ns;
    struct ksink *k = ns->k;

    slot->op = NULL;
    k->ops--;
    switch (r->outcome) {
    case KUBE_SA_ADDED:
        log_info("%s: namespace %s: secret %s added to a service account's imagePullSecrets%s",
                 k->label, ns->name, k->secret,
                 k->env->mode == SINK_MODE_CHECK ? " (dry run)" : "");
        ns->sa_tries = 0;
        break;
    case KUBE_SA_UNCHANGED:
        ns->sa_tries = 0;
        break;
    case KUBE_SA_MISSING:
        /* Not a failure: a glob may select namespaces without that account.  A new
         * namespace gets its "default" account from a controller a moment later, so
         * the daemon looks again for a minute. */
        if (!ns->sa_tries)
            log_info("%s: %s", k->label, r->msg);
        if (k->env->mode == SINK_MODE_DAEMON && !k->dying && ns->sa_tries < SA_RETRIES) {
            ns->sa_tries++;
            ns->sa_retry = 1;
            if (!uv_is_active((uv_handle_t *)&k->retry))
                (void)uv_timer_start(&k->retry, on_retry, SA_RETRY_MS, 0);
        }
        break;
    case KUBE_SA_FAILED:
        if (r->st != ECD_ECANCELED && !ns->failed)
            ns_fail(ns, r->st, r->msg);
        else if (r->st == ECD_ECANCELED)
            ns_fail(ns, ECD_ECANCELED, "canceled");
        break;
    }
    if (--ns->sa_pending == 0)
        ns_finish(ns);
    maybe_release(k);
}

/* The secret is right: now the service accounts, if any. */
static void ns_service_accounts(struct kns *ns)
{
    struct ksink *k = ns->k;

    if (!k->n_sa || k->dying) {
        ns_finish(ns);
        return;
    }
    ns->sa_pending = 1; /* held while starting */
    for (size_t i = 0; i < k->n_sa; i++) {
        enum ecd_status st;

        ns->sa[i].ns = ns;
        st = kube_sa_start(k->client, ns->name, k->sa_names[i], k->secret,
                           k->env->mode == SINK_MODE_CHECK, on_sa, &ns->sa[i], &ns->sa[i].op);

        if (st) {
            char msg[256];

            snprintf(msg, sizeof(msg), "cannot patch serviceaccounts in namespace %s: %s", ns->name,
                     ecd_strerror(st));
            if (!ns->failed)
                ns_fail(ns, st, msg);
            continue;
        }
        ns->sa_pending++;
        k->ops++;
    }
    if (--ns->sa_pending == 0)
        ns_finish(ns);
}

static void on_apply(const struct kube_apply_result *r, void *ud)
{
    struct kns *ns = ud;
    struct ksink *k = ns->k;

    ns->apply = NULL;
    k->ops--;
    if (r->seen_valid && !k->dying) {
        ns->seen = r->seen;
        ns->sec_known = 1;
        ns->sec_present = 1;
    }
    ns->outcome = r->outcome;
    switch (r->outcome) {
    case KUBE_APPLY_CREATED:
    case KUBE_APPLY_UPDATED:
    case KUBE_APPLY_REPLACED:
        log_debug("%s: namespace %s: secret %s %s%s", k->label, ns->name, k->secret,
                  r->outcome == KUBE_APPLY_CREATED   ? "created"
                  : r->outcome == KUBE_APPLY_UPDATED ? "updated"
                                                     : "taken over (deleted and created)",
                  k->env->mode == SINK_MODE_CHECK ? " (dry run)" : "");
        ns->foreign_rv[0] = '\0';
        ns_service_accounts(ns);
        break;
    case KUBE_APPLY_UNCHANGED:
        ns_service_accounts(ns);
        break;
    case KUBE_APPLY_FOREIGN:
        report_foreign(ns, r->msg);
        ns_finish(ns);
        break;
    case KUBE_APPLY_TERMINATING:
        log_debug("%s: namespace %s is being deleted: skipped", k->label, ns->name);
        ns->terminating = 1;
        ns_finish(ns);
        break;
    case KUBE_APPLY_NO_NAMESPACE:
        /* Listed namespaces vanish in races (skipped); a configured one is missing. */
        if (k->literal)
            ns_fail(ns, ECD_EHTTP, r->msg);
        else
            ns->outcome = KUBE_APPLY_TERMINATING;
        ns_finish(ns);
        break;
    case KUBE_APPLY_FAILED:
        ns_fail(ns, r->st, r->msg);
        ns_finish(ns);
        break;
    }
    maybe_release(k);
}

static void ns_start(struct kns *ns)
{
    struct ksink *k = ns->k;
    struct kube_apply_opts o = {0};
    enum ecd_status st;

    ns->running = 1;
    ns->dirty = 0;
    ns->failed = 0;
    ns->fail_msg[0] = '\0';
    ns->outcome = KUBE_APPLY_UNCHANGED;
    k->running++;
    if (!may_write(k) || ns->gone || !ns->selected || !ns->ns_seen || ns->terminating) {
        ns->outcome = ns->terminating ? KUBE_APPLY_TERMINATING : KUBE_APPLY_UNCHANGED;
        ns_finish(ns);
        return;
    }
    if (ns->sec_known && ns->sec_present) {
        switch (kube_secret_decide(&ns->seen, &k->want->w, k->take_over)) {
        case KUBE_SECRET_KEEP:
            ns_service_accounts(ns);
            return;
        case KUBE_SECRET_FOREIGN:
            ns->outcome = KUBE_APPLY_FOREIGN;
            report_foreign(ns, ns->seen.immutable ? "it is immutable"
                               : !ns->seen.type_ok
                                   ? "it has another type than " KUBE_DOCKERCONFIG_TYPE
                                   : "it is not labelled " KUBE_MANAGED_BY_LABEL
                                     "=" KUBE_MANAGED_BY_VALUE);
            ns_finish(ns);
            return;
        case KUBE_SECRET_PATCH:
        case KUBE_SECRET_REPLACE:
            break;
        }
    }
    o.ns = ns->name;
    o.name = k->secret;
    o.want = k->want;
    o.known = ns->sec_known;
    o.present = ns->sec_present;
    o.seen = ns->sec_present ? &ns->seen : NULL;
    o.take_over = k->take_over;
    o.dry_run = k->env->mode == SINK_MODE_CHECK;
    st = kube_apply_start(k->client, &o, on_apply, ns, &ns->apply);
    if (st) {
        char msg[256];

        snprintf(msg, sizeof(msg), "cannot write secrets in namespace %s: %s", ns->name,
                 ecd_strerror(st));
        ns_fail(ns, st, msg);
        ns_finish(ns);
        return;
    }
    k->ops++;
}

static void on_retry(uv_timer_t *t)
{
    struct ksink *k = t->data;

    if (k->bg_failed) {
        reconcile(k, NULL);
        return;
    }
    /* Only namespaces waiting for a service account. */
    if (!may_write(k))
        return;
    for (size_t b = 0; b < NS_BUCKETS; b++)
        for (struct kns *ns = k->buckets[b]; ns; ns = ns->next)
            if (ns->sa_retry && ns->selected && !ns->gone) {
                ns->sa_retry = 0;
                enqueue(ns, NULL);
            }
    pump_soon(k);
}

static void ns_finish(struct kns *ns)
{
    struct ksink *k = ns->k;
    struct kpush *p = ns->push;

    ns->running = 0;
    k->running--;
    ns->push = NULL;
    if (p) {
        if (ns->failed && ns->fail_st != ECD_ECANCELED)
            push_note_failure(p, ns);
        else if (ns->failed)
            p->canceled = 1;
        else if (ns->outcome == KUBE_APPLY_CREATED || ns->outcome == KUBE_APPLY_REPLACED)
            p->created++;
        else if (ns->outcome == KUBE_APPLY_UPDATED)
            p->updated++;
        else if (ns->outcome == KUBE_APPLY_FOREIGN)
            p->foreign++;
        else if (ns->outcome == KUBE_APPLY_TERMINATING)
            p->skipped++;
        else
            p->unchanged++;
    } else if (ns->failed && ns->fail_st != ECD_ECANCELED && !k->dying) {
        log_warn("%s: %s", k->label, ns->fail_msg);
        k->bg_failed = 1;
        if (!uv_is_active((uv_handle_t *)&k->retry)) {
            k->retry_ms = k->retry_ms ? k->retry_ms * 2 : RETRY_MIN_MS;
            if (k->retry_ms > RETRY_MAX_MS)
                k->retry_ms = RETRY_MAX_MS;
            (void)uv_timer_start(&k->retry, on_retry, (uint64_t)k->retry_ms, 0);
        }
    }
    if (ns->dirty && !k->dying)
        enqueue(ns, NULL);
    else if (ns->gone)
        ns_forget(ns);
    if (p)
        push_release(k, p);
    pump(k);
}

static void pump(struct ksink *k)
{
    while (!k->dying && k->qhead && k->running < k->concurrency) {
        struct kns *ns = k->qhead;

        k->qhead = ns->qnext;
        if (!k->qhead)
            k->qtail = NULL;
        ns->queued = 0;
        ns_start(ns);
    }
}

static void on_pumper(uv_timer_t *t)
{
    pump(t->data);
}

static void pump_soon(struct ksink *k)
{
    if (!k->dying)
        (void)uv_timer_start(&k->pumper, on_pumper, 0, 0);
}

/* Queue every selected namespace (for push p, or in the background). */
static void reconcile(struct ksink *k, struct kpush *p)
{
    if (p) {
        p->waiting_sync = 0;
        p->pending++; /* held while queueing */
    } else if (!may_write(k)) {
        return;
    }
    for (size_t b = 0; b < NS_BUCKETS; b++)
        for (struct kns *ns = k->buckets[b]; ns; ns = ns->next)
            if (ns->selected && ns->ns_seen && !ns->gone)
                enqueue(ns, p);
    if (!p) {
        k->bg_failed = 0;
        pump_soon(k); /* callers include watch events and the lease */
        return;
    }
    pump(k);
    if (p)
        push_release(k, p);
}

/* ---- watches ------------------------------------------------------------------------ */

static void on_ns_list_begin(void *ud)
{
    struct ksink *k = ud;

    k->ns_gen++;
}

static void on_ns_object(enum kube_event_type type, const cJSON *obj, void *ud)
{
    struct ksink *k = ud;
    struct jsonutil_err e;
    struct kube_meta m;
    struct kns *ns;
    int was;

    jsonutil_err_init(&e, k->label, ECD_EPROTO);
    if (kube_meta_get(&e, obj, "namespace", &m)) {
        log_warn("%s", e.msg);
        return;
    }
    if (!kube_name_valid(m.name))
        return;
    ns = type == KUBE_EV_DELETED ? ns_find(k, m.name) : ns_get(k, m.name);
    if (!ns)
        return;
    if (type == KUBE_EV_DELETED) {
        ns->ns_seen = 0;
        ns_forget(ns);
        return;
    }
    was = ns->selected && ns->ns_seen && !ns->terminating;
    ns->gone = 0;
    ns->ns_seen = 1;
    ns->ns_gen = k->ns_gen;
    ns->terminating = !strcmp(kube_namespace_phase(obj), "Terminating");
    ns->selected = kube_nsfilter_match(&k->filter, m.name, m.labels);
    /* A namespace that just became selected gets its secret now (daemon only: the
     * first list is followed by a push or a reconcile anyway). */
    if (!was && ns->selected && !ns->terminating && k->ns_synced && k->sec_synced &&
        k->env->mode == SINK_MODE_DAEMON && may_write(k)) {
        log_info("%s: namespace %s selected", k->label, ns->name);
        enqueue(ns, NULL);
        pump_soon(k);
    }
}

static void sweep_namespaces(struct ksink *k)
{
    for (size_t b = 0; b < NS_BUCKETS; b++) {
        struct kns *ns = k->buckets[b];

        while (ns) {
            struct kns *next = ns->next;

            if (ns->ns_seen && ns->ns_gen != k->ns_gen) {
                ns->ns_seen = 0;
                ns_forget(ns);
            }
            ns = next;
        }
    }
}

static void sweep_secrets(struct ksink *k)
{
    for (size_t b = 0; b < NS_BUCKETS; b++)
        for (struct kns *ns = k->buckets[b]; ns; ns = ns->next) {
            ns->sec_known = 1;
            if (ns->sec_gen != k->sec_gen)
                ns->sec_present = 0;
        }
}

/* Both caches are complete: a waiting push goes on; in the daemon, a later re-list
 * (after a 410 or a reconnect) re-applies whatever drifted meanwhile. */
static void on_caches_synced(struct ksink *k)
{
    if (!k->ns_synced || !k->sec_synced)
        return;
    if (k->push && k->push->waiting_sync) {
        if (push_ready(k))
            reconcile(k, k->push);
    } else if (k->env->mode == SINK_MODE_DAEMON)
        reconcile(k, NULL);
}

static void on_ns_synced(void *ud)
{
    struct ksink *k = ud;

    sweep_namespaces(k);
    k->ns_synced = 1;
    if (k->env->mode != SINK_MODE_DAEMON)
        k->ns_watch = NULL; /* a one-time list: it stops itself */
    on_caches_synced(k);
}

static void quiesce(struct ksink *k)
{
    kube_lease_stop(k->lease);
    k->lease = NULL;
    (void)uv_timer_stop(&k->retry);
}

static void on_list_failed(struct ksink *k, struct kube_watch *w, enum ecd_status st)
{
    struct kpush *p = k->push;

    if (st == ECD_ECANCELED) {
        /* The HTTP layer is shutting down (the daemon stops, or reloads): end the
         * background work so the loop can drain before the sink is freed. */
        quiesce(k);
        if (p && p->waiting_sync) {
            p->waiting_sync = 0;
            p->finish_now = 1;
            p->finish_st = ECD_ECANCELED;
            push_complete(k);
        }
        return;
    }
    snprintf(k->list_err, sizeof(k->list_err), "%s", kube_watch_last_error(w));
    if (w == k->push_list) {
        k->push_list = NULL; /* a one-time list: it stops itself */
        k->list_st = st;
    } else if (w == k->ns_watch)
        k->ns_synced = 0;
    else
        k->sec_synced = 0;
    if (k->env->mode != SINK_MODE_DAEMON) {
        k->list_st = st;
        /* One list each, and it failed: nothing more will come from them. */
        if (w == k->ns_watch)
            k->ns_watch = NULL;
        else
            k->sec_watch = NULL;
    }
    if (p && p->waiting_sync) {
        log_error("%s: %s", k->label, k->list_err);
        p->waiting_sync = 0;
        p->finish_now = 1;
        p->finish_st = st;
        push_complete(k);
    }
}

static void on_ns_failed(enum ecd_status st, void *ud)
{
    struct ksink *k = ud;

    on_list_failed(k, k->ns_watch, st);
}

static void on_sec_list_begin(void *ud)
{
    struct ksink *k = ud;

    k->sec_gen++;
}

/* A secret event: the cache follows it, and in the daemon a selected namespace
 * whose secret was deleted or changed by someone else gets it back. */
static void secret_seen(struct ksink *k, enum kube_event_type type, const cJSON *obj)
{
    struct jsonutil_err e;
    struct kube_meta m;
    struct kns *ns;

    jsonutil_err_init(&e, k->label, ECD_EPROTO);
    if (kube_meta_get(&e, obj, "secret", &m)) {
        log_warn("%s", e.msg);
        return;
    }
    /* The field selector should have done this; a server that ignores it is fine. */
    if (strcmp(m.name, k->secret) || !m.namespace_ || !kube_name_valid(m.namespace_))
        return;
    ns = k->literal ? ns_find(k, m.namespace_) : ns_get(k, m.namespace_);
    if (!ns)
        return;
    ns->sec_gen = k->sec_gen;
    ns->sec_listed = 1;
    ns->sec_known = 1;
    if (type == KUBE_EV_DELETED) {
        ns->sec_present = 0;
    } else {
        if (kube_secret_seen_decode(&e, obj, "secret", &ns->seen)) {
            log_warn("%s", e.msg);
            ns->sec_known = 0;
            return;
        }
        ns->sec_present = 1;
    }
    if (k->env->mode != SINK_MODE_DAEMON || !may_write(k) || !ns->selected || !ns->ns_seen ||
        ns->terminating || !k->ns_synced || !k->sec_synced)
        return;
    if (ns->sec_present &&
        kube_secret_decide(&ns->seen, &k->want->w, k->take_over) == KUBE_SECRET_KEEP)
        return; /* our own write coming back, or someone else's identical one */
    if (ns->sec_present &&
        kube_secret_decide(&ns->seen, &k->want->w, k->take_over) == KUBE_SECRET_FOREIGN) {
        ns->outcome = KUBE_APPLY_FOREIGN;
        report_foreign(ns, "it was replaced by a secret that is not ours");
        return;
    }
    log_info("%s: namespace %s: secret %s was %s: restoring it", k->label, ns->name, k->secret,
             ns->sec_present ? "changed" : "deleted");
    enqueue(ns, NULL);
    pump_soon(k);
}

static void on_sec_object(enum kube_event_type type, const cJSON *obj, void *ud)
{
    secret_seen(ud, type, obj);
}

static void on_sec_synced(void *ud)
{
    struct ksink *k = ud;

    sweep_secrets(k);
    k->sec_synced = 1;
    if (k->env->mode != SINK_MODE_DAEMON)
        k->sec_watch = NULL;
    on_caches_synced(k);
}

static void on_sec_failed(enum ecd_status st, void *ud)
{
    struct ksink *k = ud;

    on_list_failed(k, k->sec_watch, st);
}

static void on_push_list_synced(void *ud)
{
    struct ksink *k = ud;

    sweep_secrets(k);
    k->push_list = NULL;
    k->push_listed = 1;
    on_caches_synced(k);
}

static void on_push_list_failed(enum ecd_status st, void *ud)
{
    struct ksink *k = ud;

    on_list_failed(k, k->push_list, st);
}

static const struct kube_watch_cbs push_list_cbs = {
    .list_begin = on_sec_list_begin,
    .object = on_sec_object,
    .synced = on_push_list_synced,
    .failed = on_push_list_failed,
};

static const struct kube_watch_cbs ns_cbs = {
    .list_begin = on_ns_list_begin,
    .object = on_ns_object,
    .synced = on_ns_synced,
    .failed = on_ns_failed,
};

static const struct kube_watch_cbs sec_cbs = {
    .list_begin = on_sec_list_begin,
    .object = on_sec_object,
    .synced = on_sec_synced,
    .failed = on_sec_failed,
};

/* Literal names: one namespace's secret watch (daemon only). */
static void on_nsec_object(enum kube_event_type type, const cJSON *obj, void *ud)
{
    struct kns *ns = ud;

    secret_seen(ns->k, type, obj);
}

static void on_nsec_list_begin(void *ud)
{
    struct kns *ns = ud;

    ns->sec_listed = 0;
}

static void on_nsec_synced(void *ud)
{
    struct kns *ns = ud;

    ns->sec_known = 1;
    if (!ns->sec_listed)
        ns->sec_present = 0;
}

static void on_nsec_failed(enum ecd_status st, void *ud)
{
    struct kns *ns = ud;

    if (st == ECD_ECANCELED)
        quiesce(ns->k);
}

static const struct kube_watch_cbs nsec_cbs = {
    .list_begin = on_nsec_list_begin,
    .object = on_nsec_object,
    .synced = on_nsec_synced,
    .failed = on_nsec_failed,
};

static enum ecd_status start_watches(struct ksink *k, int once)
{
    char query[400];
    struct kube_watch_opts o = {.label = k->label, .once = once, .query = query};
    enum ecd_status st;

    snprintf(query, sizeof(query), "fieldSelector=metadata.name%%3D%s", k->secret);
    if (k->literal) {
        /* The per-namespace watches keep the cache of literal names fresh; a push
         * reads what it does not know. */
        k->ns_synced = k->sec_synced = 1;
        if (once)
            return ECD_OK;
        for (size_t b = 0; b < NS_BUCKETS; b++)
            for (struct kns *ns = k->buckets[b]; ns; ns = ns->next) {
                char path[300];

                snprintf(path, sizeof(path), "/api/v1/namespaces/%s/secrets", ns->name);
                o.path = path;
                o.resource = "secrets";
                o.ns = ns->name;
                st = kube_watch_start(k->client, k->env->loop, &o, &nsec_cbs, ns, &ns->sec_watch);
                if (st)
                    return st;
            }
        return ECD_OK;
    }
    k->ns_synced = k->sec_synced = 0;
    o.path = "/api/v1/namespaces";
    o.resource = "namespaces";
    o.query = NULL;
    st = kube_watch_start(k->client, k->env->loop, &o, &ns_cbs, k, &k->ns_watch);
    if (st)
        return st;
    o.path = "/api/v1/secrets";
    o.resource = "secrets";
    o.query = query;
    return kube_watch_start(k->client, k->env->loop, &o, &sec_cbs, k, &k->sec_watch);
}

static enum ecd_status start_push_list(struct ksink *k)
{
    char query[400];
    struct kube_watch_opts o = {.label = k->label,
                                .once = 1,
                                .query = query,
                                .path = "/api/v1/secrets",
                                .resource = "secrets"};

    k->push_listed = 0;
    kube_watch_stop(k->push_list);
    snprintf(query, sizeof(query), "fieldSelector=metadata.name%%3D%s", k->secret);
    return kube_watch_start(k->client, k->env->loop, &o, &push_list_cbs, k, &k->push_list);
}

/* ---- leader election ---------------------------------------------------------------- */

static void on_leading(int leading, void *ud)
{
    struct ksink *k = ud;

    k->leading = leading;
    if (leading) {
        k->told_follow = 0;
        log_notice("%s: this replica leads (lease %s/%s): writing%s", k->label, k->lease_ns,
                   k->lease_name, k->want ? " the latest credentials now" : "");
        if (k->ns_synced && k->sec_synced)
            reconcile(k, NULL);
    } else {
        log_notice("%s: this replica no longer leads (lease %s/%s): not writing", k->label,
                   k->lease_ns, k->lease_name);
    }
}

static enum ecd_status start_lease(struct ksink *k)
{
    char host[128] = "ecr-credd", identity[200];
    unsigned char r[4] = {0};
    struct kube_lease_opts o = {0};

    (void)gethostname(host, sizeof(host) - 1);
    host[sizeof(host) - 1] = '\0';
    (void)RAND_bytes(r, sizeof(r));
    snprintf(identity, sizeof(identity), "%s_%02x%02x%02x%02x", host, r[0], r[1], r[2], r[3]);
    o.namespace_ = k->lease_ns;
    o.name = k->lease_name;
    o.identity = identity;
    o.duration_s = (int)(k->lease_ms / 1000);
    o.renew_deadline_s = o.duration_s * 2 / 3 > 1 ? o.duration_s * 2 / 3 : 1;
    o.retry_period_s = o.duration_s / 7 > 1 ? o.duration_s / 7 : 1;
    log_info("%s: campaigning for lease %s/%s as %s", k->label, k->lease_ns, k->lease_name,
             identity);
    return kube_lease_start(k->client, &o, on_leading, k, &k->lease);
}

/* ---- sink_ops ----------------------------------------------------------------------- */

static int dns_subdomain_valid(const char *s)
{
    size_t len = strlen(s), start = 0;

    if (len == 0 || len > 253)
        return 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || s[i] == '.') {
            if (i == start || s[start] == '-' || s[i - 1] == '-')
                return 0;
            start = i + 1;
        } else if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-')) {
            return 0;
        }
    }
    return 1;
}

static enum ecd_status cfg_fail(struct jsonutil_err *e, const char *where, const char *key,
                                const char *what)
{
    char path[JSONUTIL_PATH_MAX];

    jsonutil_path_key(path, sizeof(path), where, key);
    return jsonutil_fail(e, path, "%s", what);
}

static enum ecd_status parse_names(struct jsonutil_err *e, const cJSON *node, const char *where,
                                   const char *key, char ***out, size_t *n_out)
{
    const cJSON *arr = NULL, *it;
    char path[JSONUTIL_PATH_MAX], elem[JSONUTIL_PATH_MAX];
    size_t i = 0;
    enum ecd_status st;

    st = jsonutil_get_array(e, node, where, key, JSONUTIL_OPTIONAL, &arr);
    if (st || !arr)
        return st;
    jsonutil_path_key(path, sizeof(path), where, key);
    *out = calloc((size_t)cJSON_GetArraySize(arr) + 1, sizeof(**out));
    if (!*out)
        return ECD_ENOMEM;
    cJSON_ArrayForEach(it, arr)
    {
        jsonutil_path_index(elem, sizeof(elem), path, i);
        st = jsonutil_expect(e, it, elem, JSONUTIL_STRING);
        if (!st && !dns_subdomain_valid(it->valuestring))
            st = jsonutil_fail(e, elem, "expected a service account name (a-z 0-9 - .), got \"%s\"",
                               it->valuestring);
        if (!st && !((*out)[i] = strdup(it->valuestring)))
            st = ECD_ENOMEM;
        if (st)
            return st;
        *n_out = ++i;
    }
    return ECD_OK;
}

static enum ecd_status parse_lease(struct jsonutil_err *e, struct ksink *k, const cJSON *node,
                                   const char *where)
{
    static const char *const allowed[] = {"namespace", "name", "lease_duration", NULL};
    const cJSON *le = cJSON_GetObjectItemCaseSensitive(node, "leader_election");
    const char *ns = NULL, *name = "ecr-credd", *dur = NULL;
    char path[JSONUTIL_PATH_MAX];
    const char *why = NULL;
    enum ecd_status st;

    if (!le || cJSON_IsFalse(le))
        return ECD_OK;
    jsonutil_path_key(path, sizeof(path), where, "leader_election");
    if (!cJSON_IsObject(le) && !cJSON_IsTrue(le))
        return jsonutil_fail(e, path,
                             "expected false or an object {namespace, name, "
                             "lease_duration}");
    k->lease_ms = 15000;
    if (cJSON_IsObject(le)) {
        st = jsonutil_check_keys(e, le, path, allowed);
        if (!st)
            st = jsonutil_get_string(e, le, path, "namespace", JSONUTIL_OPTIONAL, &ns);
        if (!st)
            st = jsonutil_get_string(e, le, path, "name", JSONUTIL_OPTIONAL, &name);
        if (!st)
            st = jsonutil_get_string(e, le, path, "lease_duration", JSONUTIL_OPTIONAL, &dur);
        if (st)
            return st;
        if (ns && !kube_name_valid(ns))
            return cfg_fail(e, path, "namespace", "expected a namespace name (a-z 0-9 -)");
        if (!dns_subdomain_valid(name))
            return cfg_fail(e, path, "name", "expected a lease name (a-z 0-9 - .)");
        if (dur && duration_parse(dur, &k->lease_ms, &why))
            return cfg_fail(e, path, "lease_duration", why ? why : "expected a duration");
        if (k->lease_ms < 3000 || k->lease_ms > 3600000)
            return cfg_fail(e, path, "lease_duration", "expected a duration from 3s to 1h");
    }
    k->lease_on = 1;
    k->lease_ns = strdup(ns ? ns : kube_client_namespace(k->client));
    k->lease_name = strdup(name);
    return k->lease_ns && k->lease_name ? ECD_OK : ECD_ENOMEM;
}

static enum ecd_status kube_configure_inner(struct sink *s, const struct config_sink *cs,
                                            struct ksink *k, struct jsonutil_err *e)
{
    static const char *const allowed[] = {"type",
                                          "name",
                                          "kubeconfig",
                                          "context",
                                          "in_cluster",
                                          "secret",
                                          "namespaces",
                                          "exclude",
                                          "namespace_selector",
                                          "service_accounts",
                                          "take_over",
                                          "concurrency",
                                          "leader_election",
                                          NULL};
    const char *kubeconfig = NULL, *context = NULL, *secret = DEFAULT_SECRET;
    const char *selector = NULL;
    int in_cluster = 0;
    double conc = DEFAULT_CONCURRENCY;
    char where[JSONUTIL_PATH_MAX + 300];
    struct kube_client_opts co = {0};
    enum ecd_status st;

    st = jsonutil_check_keys(e, cs->node, cs->where, allowed);
    if (!st)
        st = jsonutil_get_string(e, cs->node, cs->where, "kubeconfig", JSONUTIL_OPTIONAL,
                                 &kubeconfig);
    if (!st)
        st = jsonutil_get_string(e, cs->node, cs->where, "context", JSONUTIL_OPTIONAL, &context);
    if (!st)
        st =
            jsonutil_get_bool(e, cs->node, cs->where, "in_cluster", JSONUTIL_OPTIONAL, &in_cluster);
    if (!st)
        st = jsonutil_get_string(e, cs->node, cs->where, "secret", JSONUTIL_OPTIONAL, &secret);
    if (!st)
        st = jsonutil_get_string(e, cs->node, cs->where, "namespace_selector", JSONUTIL_OPTIONAL,
                                 &selector);
    if (!st)
        st = jsonutil_get_bool(e, cs->node, cs->where, "take_over", JSONUTIL_OPTIONAL,
                               &k->take_over);
    if (!st)
        st = jsonutil_get_number(e, cs->node, cs->where, "concurrency", JSONUTIL_OPTIONAL, &conc);
    if (st)
        return st;
    if (kubeconfig && !*kubeconfig)
        return cfg_fail(e, cs->where, "kubeconfig", "expected a file path");
    if (context && !*context)
        return cfg_fail(e, cs->where, "context", "expected a context name");
    if (in_cluster && (kubeconfig || context))
        return cfg_fail(e, cs->where, "in_cluster",
                        "true excludes \"kubeconfig\" and \"context\" (the pod's service "
                        "account is used)");
    if (!dns_subdomain_valid(secret))
        return cfg_fail(e, cs->where, "secret",
                        "expected a secret name (a-z 0-9 - ., at most 253)");
    if (!(conc >= 1 && conc <= MAX_CONCURRENCY && conc == (double)(unsigned)conc))
        return cfg_fail(e, cs->where, "concurrency", "expected a whole number from 1 to 256");
    k->concurrency = (unsigned)conc;
    if (!(k->secret = strdup(secret)) || (selector && !(k->selector_text = strdup(selector))))
        return ECD_ENOMEM;
    st = parse_names(e, cs->node, cs->where, "service_accounts", &k->sa_names, &k->n_sa);
    if (st)
        return st;

    /* The connection (reads the kubeconfig now: its errors are config errors). */
    snprintf(where, sizeof(where), "%s: %s", cs->file, cs->where);
    co.kubeconfig = kubeconfig;
    co.context = context;
    co.in_cluster = in_cluster;
    co.where = where;
    co.getenv_fn = s->env->getenv_fn;
    st = kube_client_new(s->env->loop, s->env->http, &co, &k->client);
    if (st)
        return st; /* logged by the client (e.msg stays empty) */
    st = kube_nsfilter_parse(e, cs->node, cs->where, kube_client_namespace(k->client), &k->filter);
    if (!st)
        st = parse_lease(e, k, cs->node, cs->where);
    if (st)
        return st;
    k->literal = kube_nsfilter_is_literal(&k->filter);
    if (k->literal)
        for (size_t i = 0; i < k->filter.n_include; i++) {
            struct kns *ns = ns_get(k, k->filter.include[i]);

            if (!ns)
                return ECD_ENOMEM;
            ns->ns_seen = 1;
            ns->selected = kube_nsfilter_match(&k->filter, ns->name, NULL);
        }
    return ECD_OK;
}

static void kube_deinit(struct sink *s);

static enum ecd_status kube_configure(struct sink *s, const struct config_sink *cs)
{
    struct kube_state *ks = s->state;
    struct ksink *k = calloc(1, sizeof(*k));
    struct jsonutil_err e;
    enum ecd_status st;

    if (!k)
        return ECD_ENOMEM;
    ks->k = k;
    k->s = s;
    k->env = s->env;
    k->leading = 1;
    k->name = strdup(s->name);
    if (!k->name)
        return ECD_ENOMEM; /* deinit releases k */
    snprintf(k->label, sizeof(k->label), "sink %s", s->name);
    (void)uv_timer_init(s->env->loop, &k->kick); /* cannot fail on Linux */
    (void)uv_timer_init(s->env->loop, &k->retry);
    (void)uv_timer_init(s->env->loop, &k->pumper);
    k->kick.data = k->retry.data = k->pumper.data = k;
    k->handles_open = 3;
    jsonutil_err_init(&e, cs->file, ECD_ECONFIG);
    st = kube_configure_inner(s, cs, k, &e);
    if (st) {
        if (e.msg[0]) /* empty when the client logged its own problem */
            log_error("%s", e.msg);
        return st == ECD_ENOMEM ? st : ECD_ECONFIG;
    }
    if (s->env->mode == SINK_MODE_DAEMON) {
        st = start_watches(k, 0);
        if (!st && k->lease_on) {
            k->leading = 0;
            st = start_lease(k);
        }
        if (st) {
            log_error("%s: cannot start watching: %s", k->label, ecd_strerror(st));
            return st;
        }
    }
    return ECD_OK;
}

static enum ecd_status kube_push(struct sink *s, struct token_set *const *sets, size_t n,
                                 sink_done_fn *done, void *ud)
{
    struct kube_state *ks = s->state;
    struct ksink *k = ks->k;
    struct kube_want *want = NULL;
    struct token_set **copy;
    struct kpush *p;
    enum ecd_status st;

    if (k->push)
        return ECD_EINVAL; /* the core never overlaps pushes to one sink */
    st = kube_want_new(sets, n, &want);
    if (st) {
        log_error("%s: cannot build the secret: %s", k->label, ecd_strerror(st));
        return st;
    }
    p = calloc(1, sizeof(*p));
    copy = calloc(n ? n : 1, sizeof(*copy));
    if (!p || !copy) {
        free(p);
        free(copy);
        kube_want_unref(want);
        return ECD_ENOMEM;
    }
    /* Keep the latest sets (and what they render to) for namespaces that appear and
     * secrets that need restoring between pushes. */
    drop_sets(k);
    for (size_t i = 0; i < n; i++)
        copy[i] = token_set_ref(sets[i]);
    k->sets = copy;
    k->n_sets = n;
    kube_want_unref(k->want);
    k->want = want;
    k->retry_ms = 0;
    k->list_st = ECD_OK;
    p->done = done;
    p->ud = ud;
    buf_init(&p->failed_names, 2048);
    k->push = p;
    if (!k->leading) {
        if (!k->told_follow)
            log_info("%s: not the leader (lease %s/%s is held by another replica): this "
                     "replica does not write",
                     k->label, k->lease_ns, k->lease_name);
        k->told_follow = 1;
        p->finish_now = 1;
        p->finish_st = ECD_OK;
    } else if (k->literal) {
        /* Read each namespace's secret afresh: the per-namespace watches may be
         * reconnecting, and a push must not succeed on a stale cache. */
        for (size_t b = 0; b < NS_BUCKETS; b++)
            for (struct kns *ns = k->buckets[b]; ns; ns = ns->next)
                ns->sec_known = 0;
    } else {
        /* --once and --check: list namespaces and secrets once; the daemon lists
         * its secrets once per push (namespaces come from the watch). */
        st = k->env->mode == SINK_MODE_DAEMON ? start_push_list(k) : start_watches(k, 1);
        if (st) {
            k->push = NULL;
            buf_free(&p->failed_names);
            free(p);
            return st;
        }
    }
    (void)uv_timer_start(&k->kick, on_kick, 0, 0);
    return ECD_OK;
}

static void kube_cancel_push(struct sink *s)
{
    struct kube_state *ks = s->state;
    struct ksink *k = ks->k;
    struct kpush *p = k->push;

    if (!p)
        return;
    p->canceled = 1;
    if (p->waiting_sync || !p->pending) {
        p->waiting_sync = 0;
        p->finish_now = 1;
        p->finish_st = ECD_ECANCELED;
        (void)uv_timer_start(&k->kick, on_kick, 0, 0);
        return;
    }
    /* Queued namespaces are dropped; running ones end with ECD_ECANCELED. */
    while (k->qhead) {
        struct kns *ns = k->qhead;

        k->qhead = ns->qnext;
        ns->queued = 0;
        if (ns->push == p) {
            ns->push = NULL;
            p->pending--;
        }
    }
    k->qtail = NULL;
    for (size_t b = 0; b < NS_BUCKETS; b++)
        for (struct kns *ns = k->buckets[b]; ns; ns = ns->next) {
            if (ns->apply)
                kube_apply_cancel(ns->apply);
            for (size_t i = 0; i < k->n_sa; i++)
                if (ns->sa[i].op)
                    kube_sa_cancel(ns->sa[i].op);
        }
    if (!p->pending) {
        p->finish_now = 1;
        p->finish_st = ECD_ECANCELED;
        (void)uv_timer_start(&k->kick, on_kick, 0, 0);
    }
}

static void kube_describe(const struct sink *s, struct buf *out)
{
    const struct kube_state *ks = s->state;
    const struct ksink *k = ks->k;
    enum ecd_status st;

    st = buf_printf(out, "kubernetes secret %s in namespace%s ", k->secret,
                    k->filter.n_include == 1 ? "" : "s");
    for (size_t i = 0; !st && i < k->filter.n_include; i++)
        st = buf_printf(out, "%s%s", i ? ", " : "", k->filter.include[i]);
    for (size_t i = 0; !st && i < k->filter.n_exclude; i++)
        st = buf_printf(out, "%s%s", i ? ", " : " except ", k->filter.exclude[i]);
    if (!st && k->selector_text)
        st = buf_printf(out, " with labels %s", k->selector_text);
    for (size_t i = 0; !st && i < k->n_sa; i++)
        st = buf_printf(out, "%s%s", i ? ", " : ", service accounts ", k->sa_names[i]);
    if (!st && k->lease_on)
        st = buf_printf(out, ", leader election on lease %s/%s", k->lease_ns, k->lease_name);
    if (!st && k->client)
        st = buf_printf(out, ", API %s", kube_client_describe(k->client));
    /* A description cut short by the buffer's cap is still a description. */
    (void)st;
}

struct kube_stopping {
    struct sink *s;
    sink_done_fn *done;
    void *ud;
};

static void on_lease_released(void *ud)
{
    struct kube_stopping *ks = ud;

    ks->done(ks->s, ECD_OK, ks->ud);
    free(ks);
}

/* The daemon stops: give the Lease back (holder cleared) before the HTTP client goes,
 * so that another replica leads at once instead of after leaseDurationSeconds. */
static enum ecd_status kube_stop(struct sink *s, sink_done_fn *done, void *ud)
{
    struct kube_state *kst = s->state;
    struct ksink *k = kst->k;
    struct kube_stopping *ks;

    if (!k || !k->lease)
        return ECD_EINVAL;
    ks = calloc(1, sizeof(*ks));
    if (!ks)
        return ECD_ENOMEM;
    *ks = (struct kube_stopping){.s = s, .done = done, .ud = ud};
    kube_lease_stop_notify(k->lease, on_lease_released, ks);
    k->lease = NULL;
    return ECD_OK;
}

static void kube_deinit(struct sink *s)
{
    struct kube_state *ks = s->state;
    struct ksink *k = ks->k;

    if (!k)
        return;
    ks->k = NULL;
    k->s = NULL;
    k->dying = 1;
    kube_lease_stop(k->lease);
    kube_watch_stop(k->ns_watch);
    kube_watch_stop(k->sec_watch);
    kube_watch_stop(k->push_list);
    k->qhead = k->qtail = NULL;
    for (size_t b = 0; b < NS_BUCKETS; b++)
        for (struct kns *ns = k->buckets[b]; ns; ns = ns->next) {
            ns->queued = 0;
            kube_watch_stop(ns->sec_watch);
            ns->sec_watch = NULL;
            if (ns->apply)
                kube_apply_cancel(ns->apply);
            for (size_t i = 0; i < k->n_sa; i++)
                if (ns->sa[i].op)
                    kube_sa_cancel(ns->sa[i].op);
        }
    /* The client ends what is left; its callbacks find k dying and release it. */
    kube_client_free(k->client);
    k->client = NULL;
    if (k->handles_open) {
        uv_close((uv_handle_t *)&k->kick, on_handle_closed);
        uv_close((uv_handle_t *)&k->retry, on_handle_closed);
        uv_close((uv_handle_t *)&k->pumper, on_handle_closed);
    } else {
        maybe_release(k);
    }
}

const struct sink_ops sink_kubernetes_ops = {
    .type = "kubernetes",
    .state_size = sizeof(struct kube_state),
    .configure = kube_configure,
    .push = kube_push,
    .cancel = kube_cancel_push,
    .describe = kube_describe,
    .deinit = kube_deinit,
    .stop = kube_stop,
    .dry_run = 1,
};
