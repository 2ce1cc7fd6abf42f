/* SPDX-License-Identifier: MIT */
/* List + watch of one collection; see watch.h. */
#include "kube/watch.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/apierr.h"
#include "log.h"

#define LIST_LIMIT        500
#define LIST_MAX_BODY     (64u * 1024 * 1024)
#define LINE_MAX_BYTES    (8u * 1024 * 1024)
#define BACKOFF_MIN_MS    500
#define BACKOFF_MAX_MS    30000
#define STREAM_HEALTHY_MS 10000

struct kube_watch {
    struct kube_client *client;                 /* borrowed: outlives the watch */
    uv_loop_t *loop;                            /* borrowed */
    uv_timer_t timer;                           /* backoff; timer.data = this */
    struct kube_req *req;                       /* the list page or watch in flight; NULL: none */
    char *path, *query, *resource, *ns, *label; /* owned copies of the options */
    int once;
    const struct kube_watch_cbs *cbs; /* borrowed */
    void *ud;
    char *rv;                /* owned; newest resourceVersion seen; NULL before a list */
    char *cont;              /* owned; continue token of the list in progress */
    struct kube_lines lines; /* the watch stream's partial line */
    int expired;             /* the stream said 410: list again */
    int bad_event;           /* the stream sent something unreadable */
    int synced;
    int failing; /* failures since the last success (for log levels) */
    long backoff_ms;
    uint64_t stream_start_ms;
    unsigned long stream_events;
    char last_error[512];
    int in_data; /* inside on_stream: the transfer ends by its return value */
    int quiet;   /* canceled under us: no more requests, no more callbacks */
    int stopped, timer_closed, depth;
};

static void list_page(struct kube_watch *w);
static void watch_open(struct kube_watch *w);
static void canceled_under_us(struct kube_watch *w);

static void maybe_free(struct kube_watch *w)
{
    if (!w->stopped || w->req || !w->timer_closed || w->depth)
        return;
    kube_lines_deinit(&w->lines);
    free(w->path);
    free(w->query);
    free(w->resource);
    free(w->ns);
    free(w->label);
    free(w->rv);
    free(w->cont);
    free(w);
}

static void on_timer_closed(uv_handle_t *h)
{
    struct kube_watch *w = h->data;

    w->timer_closed = 1;
    maybe_free(w);
}

void kube_watch_stop(struct kube_watch *w)
{
    if (!w || w->stopped)
        return;
    w->stopped = 1;
    /* Its done comes from the loop and releases.  Inside on_stream, returning
     * ECD_ECANCELED ends the transfer instead (no cancel from within curl's write). */
    if (w->req && !w->in_data)
        kube_cancel(w->req);
    uv_close((uv_handle_t *)&w->timer, on_timer_closed);
}

const char *kube_watch_last_error(const struct kube_watch *w)
{
    return w->last_error;
}

int kube_watch_synced(const struct kube_watch *w)
{
    return w->synced;
}

static char *replace(char **slot, const char *v)
{
    char *copy = v ? strdup(v) : NULL;

    if (v && !copy)
        return NULL;
    free(*slot);
    *slot = copy;
    return copy ? copy : (char *)"";
}

static void on_timer(uv_timer_t *t)
{
    struct kube_watch *w = t->data;

    if (w->stopped || w->quiet)
        return;
    if (w->rv && w->synced)
        watch_open(w);
    else
        list_page(w);
}

/* Try again after the backoff: a watch from the last version, or a new list. */
static void retry_later(struct kube_watch *w)
{
    unsigned char r = 0;
    long delay;

    if (w->backoff_ms < BACKOFF_MIN_MS)
        w->backoff_ms = BACKOFF_MIN_MS;
    /* Jitter of -25%..+25% so replicas do not reconnect in step. */
    (void)RAND_bytes(&r, 1);
    delay = w->backoff_ms * 3 / 4 + (w->backoff_ms / 2) * r / 255;
    w->backoff_ms = w->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : w->backoff_ms * 2;
    (void)uv_timer_start(&w->timer, on_timer, (uint64_t)delay, 0);
}

static void fail(struct kube_watch *w, enum ecd_status st)
{
    /* ECD_ECANCELED: the client or the HTTP layer is shutting down; the watch goes
     * quiet (no retry keeps the loop alive) until kube_watch_stop(). */
    if (st == ECD_ECANCELED) {
        canceled_under_us(w);
        return;
    }
    log_emit(w->failing++ ? LOG_INFO : LOG_WARNING, "%s: %s", w->label, w->last_error);
    w->synced = 0;
    free(w->rv);
    w->rv = NULL;
    w->depth++;
    if (w->cbs->failed)
        w->cbs->failed(st, w->ud);
    w->depth--;
    if (w->stopped)
        return;
    if (w->once) {
        kube_watch_stop(w);
        return;
    }
    retry_later(w);
}

static enum ecd_status start_get(struct kube_watch *w, const char *path, long timeout_ms,
                                 enum ecd_status (*on_data)(const char *, size_t, void *),
                                 kube_done_fn *done)
{
    struct kube_request_opts o = {
        .method = "GET",
        .path = path,
        .timeout_ms = timeout_ms,
        .max_body = LIST_MAX_BODY,
        .on_data = on_data,
    };

    return kube_request(w->client, &o, done, w, &w->req);
}

/* A request ended with ECD_ECANCELED without kube_watch_stop(): the client or the
 * HTTP layer is shutting down.  Tell the owner once (failed with ECD_ECANCELED) and
 * go quiet. */
static void canceled_under_us(struct kube_watch *w)
{
    w->synced = 0;
    if (w->quiet++)
        return;
    w->depth++;
    if (w->cbs->failed)
        w->cbs->failed(ECD_ECANCELED, w->ud);
    w->depth--;
    maybe_free(w);
}

static void on_list(enum ecd_status st, const struct http_response *resp, void *ud)
{
    struct kube_watch *w = ud;
    struct jsonutil_err e;
    struct kube_list l;
    char name[160];
    enum ecd_status rst;
    const cJSON *it;

    w->req = NULL;
    if (w->stopped) {
        maybe_free(w);
        return;
    }
    if (st == ECD_ECANCELED) {
        canceled_under_us(w);
        return;
    }
    if (!st && resp->status == 410 && w->cont) {
        /* The continue token expired: start the list over. */
        free(w->cont);
        w->cont = NULL;
        list_page(w);
        return;
    }
    rst = kube_apierr_status(st, resp);
    if (rst) {
        kube_apierr_text(w->last_error, sizeof(w->last_error), "list", w->resource, w->ns, st,
                         resp);
        free(w->cont);
        w->cont = NULL;
        fail(w, rst);
        return;
    }
    snprintf(name, sizeof(name), "%s: list of %s", w->label, w->resource);
    jsonutil_err_init(&e, name, ECD_EPROTO);
    if (kube_list_parse(&e, resp->body.ptr, resp->body.len, &l)) {
        snprintf(w->last_error, sizeof(w->last_error), "%s", e.msg);
        free(w->cont);
        w->cont = NULL;
        fail(w, ECD_EPROTO);
        return;
    }
    w->depth++;
    if (!w->cont && w->cbs->list_begin)
        w->cbs->list_begin(w->ud);
    cJSON_ArrayForEach(it, l.items)
    {
        if (w->stopped)
            break;
        w->cbs->object(KUBE_EV_ADDED, it, w->ud);
    }
    w->depth--;
    if (w->stopped) {
        kube_list_deinit(&l);
        maybe_free(w);
        return;
    }
    if (l.cont) {
        int ok = replace(&w->cont, l.cont) != NULL;

        kube_list_deinit(&l);
        if (!ok) {
            snprintf(w->last_error, sizeof(w->last_error), "out of memory");
            fail(w, ECD_ENOMEM);
            return;
        }
        list_page(w);
        return;
    }
    free(w->cont);
    w->cont = NULL;
    if (!replace(&w->rv, l.rv)) {
        kube_list_deinit(&l);
        snprintf(w->last_error, sizeof(w->last_error), "out of memory");
        fail(w, ECD_ENOMEM);
        return;
    }
    kube_list_deinit(&l);
    if (w->failing)
        log_info("%s: listing %s works again", w->label, w->resource);
    w->failing = 0;
    w->last_error[0] = '\0';
    w->backoff_ms = 0;
    w->synced = 1;
    w->depth++;
    if (w->cbs->synced)
        w->cbs->synced(w->ud);
    w->depth--;
    if (w->stopped) {
        maybe_free(w);
        return;
    }
    if (w->once) {
        kube_watch_stop(w);
        return;
    }
    watch_open(w);
}

static void list_page(struct kube_watch *w)
{
    struct buf p;
    enum ecd_status st;

    buf_init(&p, 64 * 1024);
    st = buf_printf(&p, "%s?limit=%d", w->path, LIST_LIMIT);
    if (!st && w->query)
        st = buf_printf(&p, "&%s", w->query);
    if (!st && w->cont) {
        st = buf_append_str(&p, "&continue=");
        if (!st)
            st = kube_url_escape(&p, w->cont);
    }
    if (!st)
        st = start_get(w, buf_str(&p), 60000, NULL, on_list);
    buf_free(&p);
    if (st) {
        snprintf(w->last_error, sizeof(w->last_error), "cannot list %s: %s", w->resource,
                 ecd_strerror(st));
        fail(w, st);
    }
}

static enum ecd_status on_line(const char *line, size_t len, void *ud)
{
    struct kube_watch *w = ud;
    struct jsonutil_err e;
    struct kube_event ev;
    char name[160];
    struct kube_status ks;

    snprintf(name, sizeof(name), "%s: watch of %s", w->label, w->resource);
    jsonutil_err_init(&e, name, ECD_EPROTO);
    if (kube_event_parse(&e, line, len, &ev)) {
        log_warn("%s", e.msg);
        w->bad_event = 1;
        return ECD_EPROTO;
    }
    if (ev.type == KUBE_EV_ERROR) {
        kube_status_from_object(ev.object, &ks);
        if (ks.code == 410)
            w->expired = 1;
        else
            log_warn("%s: watch of %s: the server sent an error: %ld %s %s", w->label, w->resource,
                     ks.code, ks.reason, ks.message);
        kube_event_deinit(&ev);
        return ECD_EPROTO; /* ends this stream; on_watch decides what follows */
    }
    if (!replace(&w->rv, ev.rv)) {
        kube_event_deinit(&ev);
        return ECD_ENOMEM;
    }
    w->stream_events++;
    if (ev.type != KUBE_EV_BOOKMARK) {
        w->depth++;
        w->cbs->object(ev.type, ev.object, w->ud);
        w->depth--;
    }
    kube_event_deinit(&ev);
    return w->stopped ? ECD_ECANCELED : ECD_OK;
}

static enum ecd_status on_stream(const char *data, size_t len, void *ud)
{
    struct kube_watch *w = ud;
    enum ecd_status st;

    if (w->stopped)
        return ECD_ECANCELED;
    w->in_data = 1;
    st = kube_lines_feed(&w->lines, data, len, on_line, w);
    w->in_data = 0;
    return st;
}

static void on_watch(enum ecd_status st, const struct http_response *resp, void *ud)
{
    struct kube_watch *w = ud;
    uint64_t lasted = uv_now(w->loop) - w->stream_start_ms;
    char why[512];

    w->req = NULL;
    kube_lines_reset(&w->lines);
    if (w->stopped) {
        maybe_free(w);
        return;
    }
    if (st == ECD_ECANCELED) {
        canceled_under_us(w);
        return;
    }
    if (w->expired || (!st && resp && resp->status == 410)) {
        log_info("%s: watch of %s: resource version too old, listing again", w->label, w->resource);
        w->synced = 0;
        list_page(w);
        return;
    }
    if (w->bad_event) {
        w->synced = 0;
        retry_later(w);
        return;
    }
    if (!st && resp && resp->status >= 200 && resp->status < 300) {
        /* The server ended the stream (its timeout, a restart): resume from the last
         * version at once, unless streams keep ending at once. */
        if (w->stream_events || lasted >= 1000) {
            w->backoff_ms = 0;
            watch_open(w);
        } else {
            retry_later(w);
        }
        return;
    }
    if (w->stream_events || lasted >= STREAM_HEALTHY_MS)
        w->backoff_ms = 0;
    kube_apierr_text(why, sizeof(why), "watch", w->resource, w->ns, st, resp);
    log_info("%s: %s; resuming", w->label, why);
    if (!st && resp && resp->status >= 400 && resp->status != 429 && resp->status < 500)
        w->synced = 0; /* refused, not interrupted: start over with a list */
    retry_later(w);
}

static void watch_open(struct kube_watch *w)
{
    struct buf p;
    enum ecd_status st;
    unsigned char r = 0;

    (void)RAND_bytes(&r, 1);
    w->expired = 0;
    w->bad_event = 0;
    w->stream_events = 0;
    w->stream_start_ms = uv_now(w->loop);
    buf_init(&p, 64 * 1024);
    /* A server-side timeout of 5-6 minutes (client-go picks 5-10), so a silently dead
     * connection is noticed. */
    st = buf_printf(&p, "%s?watch=1&allowWatchBookmarks=true&timeoutSeconds=%d&resourceVersion=",
                    w->path, 300 + r % 60);
    if (!st)
        st = kube_url_escape(&p, w->rv);
    if (!st && w->query)
        st = buf_printf(&p, "&%s", w->query);
    if (!st)
        st = start_get(w, buf_str(&p), -1, on_stream, on_watch);
    buf_free(&p);
    if (st == ECD_ECANCELED) {
        canceled_under_us(w);
        return;
    }
    if (st) {
        log_warn("%s: cannot watch %s: %s", w->label, w->resource, ecd_strerror(st));
        retry_later(w);
    }
}

enum ecd_status kube_watch_start(struct kube_client *c, uv_loop_t *loop,
                                 const struct kube_watch_opts *opts,
                                 const struct kube_watch_cbs *cbs, void *ud,
                                 struct kube_watch **out)
{
    struct kube_watch *w = calloc(1, sizeof(*w));
    enum ecd_status st;

    if (!w)
        return ECD_ENOMEM;
    w->client = c;
    w->loop = loop;
    w->cbs = cbs;
    w->ud = ud;
    w->once = opts->once;
    kube_lines_init(&w->lines, LINE_MAX_BYTES);
    if (!(w->path = strdup(opts->path)) || !(w->resource = strdup(opts->resource)) ||
        !(w->label = strdup(opts->label)) || (opts->query && !(w->query = strdup(opts->query))) ||
        (opts->ns && !(w->ns = strdup(opts->ns)))) {
        w->stopped = w->timer_closed = 1;
        maybe_free(w);
        return ECD_ENOMEM;
    }
    (void)uv_timer_init(loop, &w->timer); /* cannot fail on Linux */
    w->timer.data = w;
    /* The first list goes out from the loop, so no callback runs inside start. */
    (void)uv_timer_start(&w->timer, on_timer, 0, 0);
    st = ECD_OK;
    *out = w;
    return st;
}
