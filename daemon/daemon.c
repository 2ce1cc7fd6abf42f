/* SPDX-License-Identifier: MIT */
/* The daemon; see daemon.h.
 *
 * Time: token expiry is wall-clock time, libuv timers are monotonic.  Every due time
 * is kept as wall-clock seconds and turned into a monotonic delay only when the one
 * scheduling timer is armed.  A timerfd on CLOCK_REALTIME with TFD_TIMER_CANCEL_ON_SET
 * wakes the loop when the clock is set or the machine resumes from suspend, and every
 * wake-up also compares the realtime−monotonic offset with the last one; either way
 * the schedule is re-evaluated against the wall clock, so whatever became due runs at
 * once. */
#include "daemon.h"

#include <errno.h>
#include <math.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "duration.h"
#include "exitcode.h"
#include "health.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "notify.h"
#include "plan.h"
#include "runconfig.h"
#include "sink.h"
#include "token.h"

#define CLOCK_JUMP_S    2.0  /* an offset change above this is a clock jump */
#define CREDS_MARGIN_S  60.0 /* refresh this long before the AWS credentials lapse */
#define URGENT_FRACTION 0.25 /* failures log as errors in the last quarter of validity */

struct daemon;

struct dgroup {
    struct daemon *d;      /* borrowed: owner */
    size_t index;          /* into plan->groups */
    struct token_set *ts;  /* owned reference: the latest good token */
    double fetched_at;     /* wall seconds when ts arrived */
    double due;            /* wall seconds of the next fetch */
    unsigned failures;     /* consecutive */
    struct plan_fetch *op; /* borrowed while a fetch is in flight */
};

struct dsink {
    struct daemon *d;         /* borrowed: owner */
    size_t index;             /* into plan->sinks */
    unsigned long pushed_gen; /* the token generation this sink holds */
    double due;               /* wall seconds of the next push attempt */
    unsigned failures;
    int busy;                /* a push is in flight */
    struct token_set **sets; /* owned references during a push */
    size_t n_sets;
};

struct daemon {
    uv_loop_t loop;
    struct http_client *http; /* owned */
    const char *config_path;  /* borrowed from argv; NULL: zero-config */
    const char *(*getenv_fn)(const char *);
    struct plan *plan;     /* owned */
    struct dgroup *groups; /* owned; plan->n_groups */
    struct dsink *sinks;   /* owned; plan->n_sinks */
    struct plan *next;     /* owned; a reload waiting for in-flight work to end */
    unsigned long gen;     /* bumped whenever any group gets a new token */
    uv_timer_t timer;      /* the next due group or sink */
    uv_timer_t watchdog;
    uv_signal_t sig_hup, sig_term, sig_int;
    uv_poll_t clock_poll; /* on clock_fd */
    int clock_fd;         /* timerfd that reports clock changes; -1 without */
    double offset;        /* wall − monotonic at the last wake-up */
    size_t inflight;      /* fetches and pushes whose callback is still due */
    int stopping;
    int open_handles; /* closed in teardown; the loop ends when they are gone */

    struct metrics *metrics; /* owned; what the health listener reports */
    struct health *health;   /* owned; NULL: no listener */
};

static double now_wall(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double now_mono(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Uniform in [0, 1).  Jitter needs no cryptographic strength, but OpenSSL's DRBG
 * spreads the daemons of a fleet better than a seeded rand(); rand() only stands in
 * when it fails, scaled by its own range (RAND_MAX is far below 2^32). */
static double random_unit(void)
{
    uint32_t r = 0;

    if (RAND_bytes((unsigned char *)&r, sizeof(r)) == 1)
        return (double)r / 4294967296.0;
    return (double)rand() / ((double)RAND_MAX + 1.0);
}

static const struct config_refresh *refresh_cfg(const struct daemon *d)
{
    return &d->plan->cfg->refresh;
}

/* Full jitter between retry_min and an exponentially growing ceiling (capped at
 * retry_max), so many daemons that failed together do not retry together. */
static double backoff_s(const struct daemon *d, unsigned failures)
{
    double lo = (double)refresh_cfg(d)->retry_min_ms / 1000.0;
    double hi = (double)refresh_cfg(d)->retry_max_ms / 1000.0;
    double cap = lo;

    for (unsigned i = 1; i < failures && cap < hi; i++)
        cap *= 2;
    if (cap > hi)
        cap = hi;
    return lo + random_unit() * (cap - lo);
}

static double token_expiry(const struct token_set *ts)
{
    double exp = 0;

    for (size_t i = 0; i < ts->n; i++)
        if (i == 0 || ts->items[i].expires_at < exp)
            exp = ts->items[i].expires_at;
    return exp;
}

static int group_fresh(const struct dgroup *g, double now)
{
    return g->ts && g->failures == 0 && token_expiry(g->ts) > now;
}

/* Failures are warnings while the sinks hold credentials with plenty of life left,
 * errors once they are in their last quarter (or gone). */
static int failure_prio(const struct dgroup *g, double now)
{
    double exp, life;

    if (!g->ts)
        return LOG_ERR;
    exp = token_expiry(g->ts);
    life = exp - g->fetched_at;
    return exp - now < URGENT_FRACTION * life ? LOG_ERR : LOG_WARNING;
}

static void format_in(double seconds, char *dst, size_t n)
{
    if (seconds <= 0.5)
        snprintf(dst, n, "now");
    else
        duration_format((int64_t)(seconds * 1000.0 + 0.5) / 1000 * 1000, dst, n);
}

/* The next fetch (for STATUS), or with sinks too, the next thing to do (for the timer). */
static double next_due(const struct daemon *d, int with_sinks)
{
    double due = INFINITY;

    for (size_t i = 0; i < d->plan->n_groups; i++)
        if (!d->groups[i].op && d->groups[i].due < due)
            due = d->groups[i].due;
    for (size_t i = 0; with_sinks && i < d->plan->n_sinks; i++)
        if (!d->sinks[i].busy && d->sinks[i].pushed_gen < d->gen && d->sinks[i].due < due)
            due = d->sinks[i].due;
    return due;
}

static void status_line(const struct daemon *d, char *dst, size_t n)
{
    double now = now_wall(), due = next_due(d, 0);
    size_t fresh = 0, failing = 0;
    char in[DURATION_FORMAT_MAX];

    for (size_t i = 0; i < d->plan->n_groups; i++) {
        fresh += group_fresh(&d->groups[i], now);
        failing += d->groups[i].failures > 0;
    }
    for (size_t i = 0; i < d->plan->n_sinks; i++)
        failing += d->sinks[i].failures > 0;
    if (isinf(due))
        snprintf(in, sizeof(in), "(none due)");
    else
        format_in(due - now, in, sizeof(in));
    snprintf(dst, n, "%zu of %zu fresh, %zu failing; next refresh in %s", fresh, d->plan->n_groups,
             failing, in);
}

static void report_status(const struct daemon *d, int always)
{
    char line[256];

    status_line(d, line, sizeof(line));
    notify_status(line, always);
}

static void run_due(struct daemon *d);

static void on_timer(uv_timer_t *t)
{
    run_due(t->data);
}

/* Arm the timer for whatever is due next; `changed`: a fetch or push just ended, so
 * STATUS goes out even if it reads as before. */
static void reschedule(struct daemon *d, int changed)
{
    double due, delay;

    if (d->stopping || d->next)
        return;
    due = next_due(d, 1);
    if (isinf(due)) {
        uv_timer_stop(&d->timer);
        return;
    }
    delay = due - now_wall();
    if (delay < 0)
        delay = 0;
    /* libuv counts a timeout from the loop's cached time, which lags by however long
     * this turn has run (TLS handshakes, file writes): refresh it, or the timer fires
     * that much early and STATUS briefly reads "next refresh in now". */
    uv_update_time(&d->loop);
    /* Timers cannot fail on an open handle. */
    (void)uv_timer_start(&d->timer, on_timer, (uint64_t)ceil(delay * 1000.0), 0);
    report_status(d, changed);
}

/* Whether the wall clock moved against the monotonic one since the last wake-up. */
static int clock_jumped(struct daemon *d)
{
    double offset = now_wall() - now_mono(), moved = offset - d->offset;

    d->offset = offset;
    if (fabs(moved) < CLOCK_JUMP_S)
        return 0;
    log_notice("the wall clock moved by %+.0fs (clock change or suspend): re-checking what is "
               "due",
               moved);
    return 1;
}

static void teardown_if_done(struct daemon *d);
static void swap_if_ready(struct daemon *d);
static void stop(struct daemon *d);

static void schedule_after_success(struct dgroup *g, time_t creds_expiration, double now)
{
    const struct config_refresh *rc = refresh_cfg(g->d);
    double exp = token_expiry(g->ts), life = exp - now;
    double before = (double)rc->before_expiry_ms / 1000.0;
    double min_gap = (double)rc->retry_min_ms / 1000.0;

    if (before <= 0 || before >= life)
        before = life / 2; /* also when before_expiry exceeds what AWS granted */
    g->due = exp - before - random_unit() * ((double)rc->jitter_ms / 1000.0);
    if (creds_expiration > 0 && (double)creds_expiration - CREDS_MARGIN_S < g->due)
        g->due = (double)creds_expiration - CREDS_MARGIN_S;
    /* A token that is already stale (or a clock that disagrees with AWS) must not
     * turn into a tight loop. */
    if (g->due < now + min_gap)
        g->due = now + min_gap;
}

static void on_fetched(enum ecd_status st, struct token_set *ts, time_t creds_expiration, void *ud)
{
    struct dgroup *g = ud;
    struct daemon *d = g->d;
    double now = now_wall();
    char in[DURATION_FORMAT_MAX];

    g->op = NULL;
    d->inflight--;
    if (st == ECD_ECANCELED || d->stopping || d->next) {
        token_set_unref(ts);
        teardown_if_done(d);
        swap_if_ready(d);
        return;
    }
    metrics_fetched(d->metrics, g->index, st, ts, now);
    if (!st) {
        token_set_unref(g->ts);
        g->ts = ts;
        g->fetched_at = now;
        g->failures = 0;
        d->gen++;
        schedule_after_success(g, creds_expiration, now);
        /* New credentials go to every sink at once, even one in backoff. */
        for (size_t i = 0; i < d->plan->n_sinks; i++)
            d->sinks[i].due = now;
    } else {
        const char *label = buf_str(&d->plan->groups[g->index].label);

        g->failures++;
        /* Refused credentials, bad requests and configuration problems will not go
         * away in seconds: try again on the slow schedule. */
        if (st == ECD_EAUTH || st == ECD_EHTTP || st == ECD_ECONFIG)
            g->due = now + (double)refresh_cfg(d)->retry_max_ms / 1000.0;
        else
            g->due = now + backoff_s(d, g->failures);
        format_in(g->due - now, in, sizeof(in));
        log_emit(failure_prio(g, now), "%s: attempt %u failed (%s); next attempt in %s%s", label,
                 g->failures, ecd_strerror(st), in,
                 g->ts ? ", the sinks keep the last good credentials" : "");
    }
    reschedule(d, 1);
}

static void start_fetch(struct dgroup *g, double now)
{
    struct daemon *d = g->d;
    struct plan_fetch_opts o = {.fail_prio = failure_prio(g, now)};
    enum ecd_status st;

    st = plan_fetch_start(d->plan, g->index, &o, on_fetched, g, &g->op);
    if (st) {
        metrics_fetched(d->metrics, g->index, st, NULL, now);
        g->failures++;
        g->due = now + backoff_s(d, g->failures);
        log_error("%s: cannot start a refresh: %s", buf_str(&d->plan->groups[g->index].label),
                  ecd_strerror(st));
        return;
    }
    d->inflight++;
}

static void release_sets(struct dsink *s)
{
    for (size_t i = 0; i < s->n_sets; i++)
        token_set_unref(s->sets[i]);
    free(s->sets);
    s->sets = NULL;
    s->n_sets = 0;
}

static void on_pushed(struct sink *sk, enum ecd_status st, void *ud)
{
    struct dsink *s = ud;
    struct daemon *d = s->d;
    double now = now_wall();
    char in[DURATION_FORMAT_MAX];

    s->busy = 0;
    d->inflight--;
    metrics_pushed(d->metrics, s->index, st, s->sets, s->n_sets, now);
    release_sets(s);
    if (st == ECD_ECANCELED || d->stopping || d->next) {
        /* A push that did not complete must not count as holding the tokens when a
         * reload carries state over. */
        if (st)
            s->pushed_gen = 0;
        teardown_if_done(d);
        swap_if_ready(d);
        return;
    }
    if (!st) {
        s->failures = 0;
    } else {
        s->failures++;
        s->pushed_gen = 0; /* push again, whatever arrives meanwhile */
        s->due = now + backoff_s(d, s->failures);
        format_in(s->due - now, in, sizeof(in));
        log_warn("sink %s: attempt %u failed; next attempt in %s", sk->name, s->failures, in);
    }
    reschedule(d, 1);
}

static void start_push(struct dsink *s, double now)
{
    struct daemon *d = s->d;
    struct sink *sk = d->plan->sinks[s->index];
    enum ecd_status st;
    unsigned long gen = d->gen;

    s->sets = calloc(d->plan->n_groups + 1, sizeof(*s->sets));
    if (!s->sets) {
        s->due = now + backoff_s(d, ++s->failures);
        return;
    }
    for (size_t i = 0; i < d->plan->n_groups; i++)
        if (d->groups[i].ts)
            s->sets[s->n_sets++] = token_set_ref(d->groups[i].ts);
    /* What this push carries; a token arriving during the push bumps d->gen again. */
    s->pushed_gen = gen;
    if (!s->n_sets) {
        release_sets(s);
        return;
    }
    st = sk->ops->push(sk, s->sets, s->n_sets, on_pushed, s);
    if (st) {
        metrics_pushed(d->metrics, s->index, st, NULL, 0, now);
        release_sets(s);
        s->pushed_gen = 0;
        s->failures++;
        s->due = now + backoff_s(d, s->failures);
        log_warn("sink %s: cannot start an update: %s", sk->name, ecd_strerror(st));
        return;
    }
    s->busy = 1;
    d->inflight++;
}

static void run_due(struct daemon *d)
{
    double now;

    if (d->stopping || d->next)
        return;
    (void)clock_jumped(d); /* the loop below compares against the wall clock anyway */
    now = now_wall();
    for (size_t i = 0; i < d->plan->n_groups; i++)
        if (!d->groups[i].op && d->groups[i].due <= now)
            start_fetch(&d->groups[i], now);
    for (size_t i = 0; i < d->plan->n_sinks; i++) {
        struct dsink *s = &d->sinks[i];

        if (!s->busy && s->pushed_gen < d->gen && s->due <= now)
            start_push(s, now);
    }
    reschedule(d, 0);
}

static void cancel_all(struct daemon *d)
{
    uv_timer_stop(&d->timer);
    for (size_t i = 0; i < d->plan->n_groups; i++)
        if (d->groups[i].op)
            plan_fetch_cancel(d->groups[i].op);
    for (size_t i = 0; i < d->plan->n_sinks; i++) {
        struct sink *sk = d->plan->sinks[i];

        if (d->sinks[i].busy && sk->ops->cancel)
            sk->ops->cancel(sk);
    }
}

static void state_free(struct daemon *d)
{
    if (d->groups)
        for (size_t i = 0; i < d->plan->n_groups; i++)
            token_set_unref(d->groups[i].ts);
    free(d->groups);
    free(d->sinks);
    d->groups = NULL;
    d->sinks = NULL;
}

/* Per-plan state: every group due now, every sink waiting for tokens. */
static enum ecd_status state_new(struct daemon *d)
{
    double now = now_wall();

    d->groups = calloc(d->plan->n_groups + 1, sizeof(*d->groups));
    d->sinks = calloc(d->plan->n_sinks + 1, sizeof(*d->sinks));
    if (!d->groups || !d->sinks) {
        state_free(d);
        return ECD_ENOMEM;
    }
    for (size_t i = 0; i < d->plan->n_groups; i++)
        d->groups[i] = (struct dgroup){.d = d, .index = i, .due = now};
    for (size_t i = 0; i < d->plan->n_sinks; i++)
        d->sinks[i] = (struct dsink){.d = d, .index = i, .due = now};
    d->gen = 0;
    return ECD_OK;
}

/* Whether two groups (of two plans) fetch the same token: same identity, region,
 * endpoint and registry ids. */
static int same_group(const struct plan *pa, const struct plan_group *a, const struct plan *pb,
                      const struct plan_group *b)
{
    if (!plan_identity_same(&pa->idents[a->ident], &pb->idents[b->ident]) ||
        strcmp(a->region, b->region) || strcmp(a->endpoint, b->endpoint) ||
        a->is_public != b->is_public || a->n_ids != b->n_ids ||
        a->n_extra_hosts != b->n_extra_hosts)
        return 0;
    for (size_t i = 0; i < a->n_ids; i++)
        if (strcmp(a->ids[i], b->ids[i]))
            return 0;
    for (size_t i = 0; i < a->n_extra_hosts; i++)
        if (strcmp(a->extra_hosts[i], b->extra_hosts[i]))
            return 0;
    return 1;
}

static int same_sink(const struct sink *a, const struct sink *b)
{
    struct buf da, db;
    int same;

    buf_init(&da, 4096);
    buf_init(&db, 4096);
    a->ops->describe(a, &da);
    b->ops->describe(b, &db);
    same = a->ops == b->ops && !strcmp(a->name, b->name) && !strcmp(buf_str(&da), buf_str(&db));
    buf_free(&da);
    buf_free(&db);
    return same;
}

/* A reload keeps what still applies: the tokens (and schedules) of unchanged groups,
 * and the fact that unchanged sinks already hold them.  Only what is new is fetched
 * or written at once. */
static void carry_over(struct daemon *d, const struct plan *old_plan, struct dgroup *old_groups,
                       const struct dsink *old_sinks, unsigned long old_gen)
{
    int carried = 0;

    for (size_t i = 0; i < d->plan->n_groups; i++) {
        for (size_t k = 0; k < old_plan->n_groups; k++) {
            struct dgroup *og = &old_groups[k];

            if (!og->ts ||
                !same_group(d->plan, &d->plan->groups[i], old_plan, &old_plan->groups[k]))
                continue;
            d->groups[i].ts = og->ts; /* the reference moves */
            og->ts = NULL;
            d->groups[i].fetched_at = og->fetched_at;
            d->groups[i].due = og->due;
            d->groups[i].failures = og->failures;
            carried = 1;
            break;
        }
    }
    if (!carried)
        return;
    d->gen = 1;
    for (size_t i = 0; i < d->plan->n_sinks; i++)
        for (size_t k = 0; k < old_plan->n_sinks; k++)
            if (old_sinks[k].pushed_gen == old_gen && old_sinks[k].failures == 0 &&
                same_sink(d->plan->sinks[i], old_plan->sinks[k]))
                d->sinks[i].pushed_gen = 1;
}

/* The metrics and the health listener follow the plan in use (start, reload). */
static enum ecd_status observe_plan(struct daemon *d)
{
    enum ecd_status st = metrics_set_plan(d->metrics, d->plan);

    for (size_t i = 0; !st && i < d->plan->n_groups; i++)
        metrics_group_token(d->metrics, i, d->groups[i].ts, d->groups[i].failures > 0);
    if (!st)
        st = health_apply(&d->health, &d->loop, d->metrics, &d->plan->cfg->health);
    return st;
}

static void swap_if_ready(struct daemon *d)
{
    struct plan *old_plan = d->plan;
    struct dgroup *old_groups = d->groups;
    struct dsink *old_sinks = d->sinks;
    unsigned long old_gen = d->gen;
    char line[256];

    if (!d->next || d->inflight || d->stopping)
        return;
    d->plan = d->next;
    d->next = NULL;
    d->groups = NULL;
    d->sinks = NULL;
    if (state_new(d)) {
        log_error("reload: out of memory; stopping");
        d->groups = old_groups;
        d->sinks = old_sinks;
        plan_free(d->plan);
        d->plan = old_plan;
        stop(d);
        return;
    }
    carry_over(d, old_plan, old_groups, old_sinks, old_gen);
    if (observe_plan(d))
        log_warn("reload: /healthz and /metrics keep their previous settings (see above)");
    for (size_t i = 0; i < old_plan->n_groups; i++)
        token_set_unref(old_groups[i].ts);
    free(old_groups);
    free(old_sinks);
    plan_free(old_plan);
    log_info("reload: new configuration in use (%zu fetch group%s, %zu sink%s)", d->plan->n_groups,
             d->plan->n_groups == 1 ? "" : "s", d->plan->n_sinks, d->plan->n_sinks == 1 ? "" : "s");
    status_line(d, line, sizeof(line));
    notify_ready(line);
    run_due(d);
}

static void reload(struct daemon *d)
{
    struct config *cfg = NULL;
    struct plan *p = NULL;
    enum ecd_status st;
    char line[256];

    if (d->stopping)
        return;
    notify_reloading();
    log_info("reload: reading %s", d->config_path ? d->config_path : "the default configuration");
    st = runconfig_load(d->config_path, d->getenv_fn, &cfg);
    if (!st)
        st = plan_new(&d->loop, d->http, cfg, d->getenv_fn, SINK_MODE_DAEMON, &p);
    if (st) {
        log_error("reload: %s: %s (see above); keeping the running configuration",
                  d->config_path ? d->config_path : "default configuration", ecd_strerror(st));
        status_line(d, line, sizeof(line));
        notify_ready(line);
        return;
    }
    /* Built aside and valid: stop the old plan's work, then swap once it has ended. */
    plan_free(d->next);
    d->next = p;
    cancel_all(d);
    swap_if_ready(d);
}

static void on_handle_closed(uv_handle_t *h)
{
    struct daemon *d = h->data;

    d->open_handles--;
}

static void close_handle(struct daemon *d, uv_handle_t *h)
{
    if (uv_is_closing(h))
        return;
    h->data = d;
    uv_close(h, on_handle_closed);
}

static void teardown_if_done(struct daemon *d)
{
    if (!d->stopping || d->inflight)
        return;
    close_handle(d, (uv_handle_t *)&d->timer);
    close_handle(d, (uv_handle_t *)&d->watchdog);
    close_handle(d, (uv_handle_t *)&d->sig_hup);
    close_handle(d, (uv_handle_t *)&d->sig_term);
    close_handle(d, (uv_handle_t *)&d->sig_int);
    if (d->clock_fd >= 0)
        close_handle(d, (uv_handle_t *)&d->clock_poll);
    health_close(d->health);
    d->health = NULL;
    if (d->http) {
        http_client_close(d->http);
        d->http = NULL;
    }
}

static void on_sink_stopped(struct sink *sk, enum ecd_status st, void *ud)
{
    struct daemon *d = ud;

    (void)sk;
    (void)st;
    d->inflight--;
    teardown_if_done(d);
}

/* Sinks with something to finish (a Lease to give back) get to do it before the
 * HTTP client closes; teardown waits for them like for any request. */
static void stop_sinks(struct daemon *d)
{
    for (size_t i = 0; i < d->plan->n_sinks; i++) {
        struct sink *sk = d->plan->sinks[i];

        if (sk->ops->stop && sk->ops->stop(sk, on_sink_stopped, d) == ECD_OK)
            d->inflight++;
    }
}

static void stop(struct daemon *d)
{
    if (d->stopping)
        return;
    d->stopping = 1;
    notify_stopping();
    log_info("stopping");
    cancel_all(d);
    stop_sinks(d);
    plan_free(d->next); /* a pending reload: nothing of it runs yet */
    d->next = NULL;
    teardown_if_done(d);
}

static void on_signal(uv_signal_t *h, int signum)
{
    struct daemon *d = h->data;

    if (signum == SIGHUP)
        reload(d);
    else
        stop(d);
}

static void on_watchdog(uv_timer_t *t)
{
    struct daemon *d = t->data;

    notify_watchdog();
    if (clock_jumped(d))
        run_due(d);
}

/* Arm the timerfd far in the future: it is only there to be cancelled by a clock
 * change (settimeofday, NTP step, resume from suspend). */
static int arm_clock_fd(int fd)
{
    struct itimerspec its = {0};

    clock_gettime(CLOCK_REALTIME, &its.it_value);
    its.it_value.tv_sec += 365L * 24 * 3600;
    return timerfd_settime(fd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &its, NULL);
}

static void on_clock_fd(uv_poll_t *p, int status, int events)
{
    struct daemon *d = p->data;
    uint64_t expirations;

    (void)status;
    (void)events;
    /* ECANCELED is the point: the clock was set.  Anything else (a year passed) just
     * needs re-arming. */
    if (read(d->clock_fd, &expirations, sizeof(expirations)) < 0 && errno != ECANCELED &&
        errno != EAGAIN)
        log_debug("clock watch: %s", strerror(errno));
    if (arm_clock_fd(d->clock_fd) < 0)
        log_warn("clock watch: cannot re-arm: %s", strerror(errno));
    if (!clock_jumped(d))
        log_info("the system clock was set; re-checking what is due");
    run_due(d);
}

void daemon_hold_stop_signals(int hold)
{
    sigset_t set;

    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    /* Cannot fail with a valid `how` and set. */
    (void)sigprocmask(hold ? SIG_BLOCK : SIG_UNBLOCK, &set, NULL);
}

static int setup_handles(struct daemon *d)
{
    uint64_t usec = 0;
    int rc = 0;

    if ((rc = uv_timer_init(&d->loop, &d->timer)) < 0 ||
        (rc = uv_timer_init(&d->loop, &d->watchdog)) < 0 ||
        (rc = uv_signal_init(&d->loop, &d->sig_hup)) < 0 ||
        (rc = uv_signal_init(&d->loop, &d->sig_term)) < 0 ||
        (rc = uv_signal_init(&d->loop, &d->sig_int)) < 0)
        return rc;
    d->open_handles = 5;
    d->timer.data = d->watchdog.data = d;
    d->sig_hup.data = d->sig_term.data = d->sig_int.data = d;
    if ((rc = uv_signal_start(&d->sig_hup, on_signal, SIGHUP)) < 0 ||
        (rc = uv_signal_start(&d->sig_term, on_signal, SIGTERM)) < 0 ||
        (rc = uv_signal_start(&d->sig_int, on_signal, SIGINT)) < 0)
        return rc;
    daemon_hold_stop_signals(0);
    if (notify_watchdog_usec(&usec) && usec >= 2000) {
        rc = uv_timer_start(&d->watchdog, on_watchdog, usec / 2000, usec / 2000);
        if (rc < 0)
            return rc;
    }
    d->clock_fd = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK | TFD_CLOEXEC);
    if (d->clock_fd >= 0 && arm_clock_fd(d->clock_fd) == 0 &&
        uv_poll_init(&d->loop, &d->clock_poll, d->clock_fd) == 0) {
        d->open_handles++;
        d->clock_poll.data = d;
        if (uv_poll_start(&d->clock_poll, UV_READABLE, on_clock_fd) < 0)
            log_warn("clock watch: cannot poll the timerfd; clock changes are noticed at the "
                     "next wake-up only");
    } else {
        log_warn("clock watch unavailable (%s); clock changes are noticed at the next wake-up "
                 "only",
                 strerror(errno));
        if (d->clock_fd >= 0)
            close(d->clock_fd);
        d->clock_fd = -1;
    }
    return 0;
}

int daemon_run(struct config *cfg, const char *config_path, const char *(*getenv_fn)(const char *))
{
    struct daemon d = {.config_path = config_path, .getenv_fn = getenv_fn, .clock_fd = -1};
    enum ecd_status st;
    int rc, exit_code = ECD_EXIT_OK;
    char line[256];

    rc = uv_loop_init(&d.loop);
    if (rc < 0) {
        log_error("cannot create the event loop: %s", uv_strerror(rc));
        config_free(cfg);
        return ECD_EXIT_NONE;
    }
    st = http_client_new(&d.loop, &d.http);
    if (st) {
        config_free(cfg);
        uv_loop_close(&d.loop);
        return ECD_EXIT_NONE;
    }
    st = plan_new(&d.loop, d.http, cfg, getenv_fn, SINK_MODE_DAEMON, &d.plan);
    if (!st)
        st = state_new(&d);
    if (!st)
        st = metrics_new(&d.metrics);
    if (st) {
        exit_code = st == ECD_ECONFIG ? ECD_EXIT_USAGE : ECD_EXIT_NONE;
        goto out;
    }
    rc = setup_handles(&d);
    if (rc < 0) {
        log_error("cannot set up the event loop: %s", uv_strerror(rc));
        exit_code = ECD_EXIT_NONE;
        d.stopping = 1;
        teardown_if_done(&d);
        uv_run(&d.loop, UV_RUN_DEFAULT);
        goto out;
    }
    st = observe_plan(&d);
    if (st) {
        exit_code = st == ECD_ECONFIG ? ECD_EXIT_USAGE : ECD_EXIT_NONE;
        d.stopping = 1;
        teardown_if_done(&d);
        uv_run(&d.loop, UV_RUN_DEFAULT);
        goto out;
    }
    d.offset = now_wall() - now_mono();
    log_info("running: %zu fetch group%s, %zu sink%s", d.plan->n_groups,
             d.plan->n_groups == 1 ? "" : "s", d.plan->n_sinks, d.plan->n_sinks == 1 ? "" : "s");
    status_line(&d, line, sizeof(line));
    notify_ready(line);
    run_due(&d);
    uv_run(&d.loop, UV_RUN_DEFAULT);
out:
    state_free(&d);
    plan_free(d.plan);
    plan_free(d.next);
    http_client_close(d.http);
    health_close(d.health);
    uv_run(&d.loop, UV_RUN_DEFAULT); /* close callbacks */
    metrics_free(d.metrics);
    if (d.clock_fd >= 0)
        close(d.clock_fd);
    rc = uv_loop_close(&d.loop);
    if (rc < 0)
        log_warn("event loop closed with handles still open: %s", uv_strerror(rc));
    return exit_code;
}
