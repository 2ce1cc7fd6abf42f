/* SPDX-License-Identifier: MIT */
/* The --once cycle; see once.h. */
#include "once.h"

#include <stdlib.h>

#include "log.h"
#include "sink.h"
#include "token.h"

struct once {
    struct plan *plan;       /* borrowed */
    struct token_set **sets; /* owned references, one slot per group */
    struct token_set **good; /* borrowed from sets: what the sinks get */
    size_t n_good;
    size_t pending;
    struct once_result res;
    once_done_fn *done;
    void *ud;
};

struct once_group {
    struct once *o; /* borrowed */
    size_t index;
};

static void cycle_finish(struct once *o)
{
    o->done(&o->res, o->ud);
}

static void on_sink_done(struct sink *s, enum ecd_status st, void *ud)
{
    struct once *o = ud;

    (void)s;
    if (st)
        o->res.sinks_failed++;
    else
        o->res.sinks_ok++;
    if (--o->pending == 0)
        cycle_finish(o);
}

static void push_all(struct once *o)
{
    struct plan *p = o->plan;

    for (size_t i = 0; i < p->n_groups; i++)
        if (o->sets[i])
            o->good[o->n_good++] = o->sets[i];
    if (o->n_good == 0) {
        cycle_finish(o);
        return;
    }
    o->pending = 1; /* held while starting, so a fast sink cannot finish the cycle early */
    for (size_t i = 0; i < p->n_sinks; i++) {
        struct sink *s = p->sinks[i];
        enum ecd_status st = s->ops->push(s, o->good, o->n_good, on_sink_done, o);

        if (st) {
            log_error("sink %s: %s", s->name, ecd_strerror(st));
            o->res.sinks_failed++;
        } else {
            o->pending++;
        }
    }
    if (--o->pending == 0)
        cycle_finish(o);
}

static void on_fetched(enum ecd_status st, struct token_set *ts, time_t creds_expiration, void *ud)
{
    struct once_group *g = ud;
    struct once *o = g->o;

    (void)creds_expiration;
    o->sets[g->index] = ts;
    if (st)
        o->res.groups_failed++;
    else
        o->res.groups_ok++;
    free(g);
    if (--o->pending == 0)
        push_all(o);
}

enum ecd_status once_start(struct plan *p, once_done_fn *done, void *ud, struct once **out)
{
    struct once *o = calloc(1, sizeof(*o));

    if (!o)
        return ECD_ENOMEM;
    o->plan = p;
    o->done = done;
    o->ud = ud;
    o->sets = calloc(p->n_groups + 1, sizeof(*o->sets));
    o->good = calloc(p->n_groups + 1, sizeof(*o->good));
    if (!o->sets || !o->good) {
        once_free(o);
        return ECD_ENOMEM;
    }
    for (size_t i = 0; i < p->n_groups; i++) {
        struct once_group *g = calloc(1, sizeof(*g));
        enum ecd_status st = g ? ECD_OK : ECD_ENOMEM;

        if (g) {
            g->o = o;
            g->index = i;
            st = plan_fetch_start(p, i, NULL, on_fetched, g, NULL);
        }
        if (st) {
            /* No callback comes for this group: count it now. */
            free(g);
            o->res.groups_failed++;
            continue;
        }
        o->pending++;
    }
    if (o->pending == 0) {
        once_free(o);
        return ECD_EAUTH;
    }
    *out = o;
    return ECD_OK;
}

void once_free(struct once *o)
{
    if (!o)
        return;
    if (o->sets)
        for (size_t i = 0; i < o->plan->n_groups; i++)
            token_set_unref(o->sets[i]);
    free(o->sets);
    free(o->good);
    free(o);
}
