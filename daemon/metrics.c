/* SPDX-License-Identifier: MIT */
/* Health and metrics state; see metrics.h.  Everything here is names, host names,
 * times and counts: the token sets are read for their hosts and expiry only. */
#include "metrics.h"

#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "duration.h"
#include "log.h"
#include "plan.h"

/* Kinds of fetch failure, the values of ecr_credd_failures_total{kind}. */
enum fail_kind {
    FAIL_THROTTLED,
    FAIL_AUTH,
    FAIL_TRANSPORT,
    FAIL_OTHER,
    FAIL_KINDS_,
};

static const char *const kind_names[] = {
    [FAIL_THROTTLED] = "throttled",
    [FAIL_AUTH] = "auth",
    [FAIL_TRANSPORT] = "transport",
    [FAIL_OTHER] = "other",
};
_Static_assert(sizeof(kind_names) / sizeof(kind_names[0]) == FAIL_KINDS_, "a name per kind");

struct mhost {
    char *host;        /* owned */
    double expires_at; /* wall seconds */
};

struct mhosts {
    struct mhost *v; /* owned */
    size_t n;
};

struct mgroup {
    char *label;         /* owned; "registries[0]" */
    struct mhosts token; /* the latest good token's hosts */
    int has_token;
    int failing; /* the last fetch failed */
    int kind;    /* of that failure; -1: not known (carried over a reload) */
    uint64_t refreshes;
};

struct msink {
    char *name;          /* owned */
    struct mhosts held;  /* what the sink holds, by host */
    double last_success; /* wall seconds; 0: none yet */
    int failing;         /* the last push failed */
    uint64_t failures;
};

struct metrics {
    struct mgroup *groups; /* owned */
    size_t n_groups;
    struct msink *sinks; /* owned */
    size_t n_sinks;
    uint64_t failures[FAIL_KINDS_];
};

static void hosts_clear(struct mhosts *h)
{
    for (size_t i = 0; i < h->n; i++)
        free(h->v[i].host);
    free(h->v);
    h->v = NULL;
    h->n = 0;
}

static const struct mhost *hosts_find(const struct mhosts *h, const char *host)
{
    for (size_t i = 0; i < h->n; i++)
        if (!strcmp(h->v[i].host, host))
            return &h->v[i];
    return NULL;
}

/* Replace h with the hosts of sets[0..n); a host in two sets keeps the later expiry.
 * On failure h is unchanged. */
static enum ecd_status hosts_set(struct mhosts *h, const struct token_set *const *sets, size_t n)
{
    struct mhosts next = {0};
    size_t total = 0;

    for (size_t i = 0; i < n; i++)
        total += sets[i] ? sets[i]->n : 0;
    next.v = calloc(total + 1, sizeof(*next.v));
    if (!next.v)
        return ECD_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; sets[i] && k < sets[i]->n; k++) {
            const struct registry_auth *ra = &sets[i]->items[k];
            struct mhost *dup = (struct mhost *)hosts_find(&next, ra->host);

            if (dup) {
                if (ra->expires_at > dup->expires_at)
                    dup->expires_at = ra->expires_at;
                continue;
            }
            next.v[next.n].host = strdup(ra->host);
            if (!next.v[next.n].host) {
                hosts_clear(&next);
                return ECD_ENOMEM;
            }
            next.v[next.n++].expires_at = ra->expires_at;
        }
    }
    hosts_clear(h);
    *h = next;
    return ECD_OK;
}

static enum fail_kind kind_of(enum ecd_status st)
{
    switch (st) {
    case ECD_ETHROTTLE:
        return FAIL_THROTTLED;
    case ECD_EAUTH:
        return FAIL_AUTH;
    case ECD_ETRANSPORT:
        return FAIL_TRANSPORT;
    case ECD_OK:
    case ECD_ENOMEM:
    case ECD_EINVAL:
    case ECD_ECONFIG:
    case ECD_EIO:
    case ECD_EHTTP:
    case ECD_EPROTO:
    case ECD_ECANCELED:
    case ECD_STATUS_COUNT_:
        break;
    }
    return FAIL_OTHER;
}

enum ecd_status metrics_new(struct metrics **out)
{
    *out = calloc(1, sizeof(**out));
    return *out ? ECD_OK : ECD_ENOMEM;
}

static void groups_free(struct mgroup *g, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(g[i].label);
        hosts_clear(&g[i].token);
    }
    free(g);
}

static void sinks_free(struct msink *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(s[i].name);
        hosts_clear(&s[i].held);
    }
    free(s);
}

void metrics_free(struct metrics *m)
{
    if (!m)
        return;
    groups_free(m->groups, m->n_groups);
    sinks_free(m->sinks, m->n_sinks);
    free(m);
}

enum ecd_status metrics_set_plan(struct metrics *m, const struct plan *p)
{
    struct mgroup *groups = calloc(p->n_groups + 1, sizeof(*groups));
    struct msink *sinks = calloc(p->n_sinks + 1, sizeof(*sinks));
    int ok = groups && sinks;

    for (size_t i = 0; ok && i < p->n_groups; i++)
        ok = (groups[i].label = strdup(buf_str(&p->groups[i].label))) != NULL;
    for (size_t i = 0; ok && i < p->n_sinks; i++)
        ok = (sinks[i].name = strdup(p->sinks[i]->name)) != NULL;
    if (!ok) {
        if (groups)
            groups_free(groups, p->n_groups);
        if (sinks)
            sinks_free(sinks, p->n_sinks);
        return ECD_ENOMEM;
    }
    /* Counters go on counting under the same label or name (a counter only falls
     * when its series goes away), and a sink keeps what it holds. */
    for (size_t i = 0; i < p->n_groups; i++) {
        groups[i].kind = -1;
        for (size_t k = 0; k < m->n_groups; k++)
            if (!strcmp(m->groups[k].label, groups[i].label))
                groups[i].refreshes = m->groups[k].refreshes;
    }
    for (size_t i = 0; i < p->n_sinks; i++) {
        for (size_t k = 0; k < m->n_sinks; k++) {
            struct msink *old = &m->sinks[k];

            if (!old->name || strcmp(old->name, sinks[i].name))
                continue;
            sinks[i].held = old->held; /* moves */
            old->held = (struct mhosts){0};
            sinks[i].last_success = old->last_success;
            sinks[i].failing = old->failing;
            sinks[i].failures = old->failures;
            break;
        }
    }
    groups_free(m->groups, m->n_groups);
    sinks_free(m->sinks, m->n_sinks);
    m->groups = groups;
    m->n_groups = p->n_groups;
    m->sinks = sinks;
    m->n_sinks = p->n_sinks;
    return ECD_OK;
}

void metrics_group_token(struct metrics *m, size_t group, const struct token_set *ts, int failing)
{
    struct mgroup *g;

    if (!m || group >= m->n_groups || !ts)
        return;
    g = &m->groups[group];
    if (hosts_set(&g->token, &ts, 1)) {
        log_warn("metrics: out of memory; /healthz may report registries[%zu] wrongly", group);
        return;
    }
    g->has_token = 1;
    g->failing = failing;
    g->kind = -1;
}

void metrics_fetched(struct metrics *m, size_t group, enum ecd_status st,
                     const struct token_set *ts, double now)
{
    struct mgroup *g;

    (void)now;
    if (!m || group >= m->n_groups || st == ECD_ECANCELED)
        return;
    g = &m->groups[group];
    if (st) {
        enum fail_kind k = kind_of(st);

        m->failures[k]++;
        g->failing = 1;
        g->kind = (int)k;
        return;
    }
    g->refreshes++;
    g->failing = 0;
    g->kind = -1;
    if (!ts || hosts_set(&g->token, &ts, 1)) {
        log_warn("metrics: out of memory; /healthz may report %s wrongly", g->label);
        return;
    }
    g->has_token = 1;
}

void metrics_pushed(struct metrics *m, size_t sink, enum ecd_status st,
                    struct token_set *const *sets, size_t n, double now)
{
    struct msink *s;

    if (!m || sink >= m->n_sinks || st == ECD_ECANCELED)
        return;
    s = &m->sinks[sink];
    if (st) {
        s->failures++;
        s->failing = 1;
        return;
    }
    s->failing = 0;
    s->last_success = now;
    if (hosts_set(&s->held, (const struct token_set *const *)sets, n))
        log_warn("metrics: out of memory; /healthz may report sink %s wrongly", s->name);
}

/* "4m12s" for a number of seconds (whole seconds; at least 0). */
static void fmt_secs(double seconds, char *dst, size_t n)
{
    if (seconds < 0)
        seconds = 0;
    duration_format((int64_t)(seconds + 0.5) * 1000, dst, n);
}

/* " (refresh failing: throttled)", " (sink update failing)", both, or "". */
static enum ecd_status append_reason(struct buf *out, const struct mgroup *g, const struct msink *s)
{
    enum ecd_status st = ECD_OK;
    const char *sep = " (";

    if (g && g->failing) {
        st = g->kind < 0 ? buf_printf(out, "%srefresh failing", sep)
                         : buf_printf(out, "%srefresh failing: %s", sep, kind_names[g->kind]);
        sep = "; ";
    }
    if (!st && s && s->failing) {
        st = buf_printf(out, "%ssink update failing", sep);
        sep = "; ";
    }
    if (!st && sep[0] == ';')
        st = buf_append_str(out, ")");
    return st;
}

int metrics_health(const struct metrics *m, double now, double stale_before_s, struct buf *out)
{
    char in[DURATION_FORMAT_MAX];
    enum ecd_status st = ECD_OK;
    int healthy = 1;

    for (size_t i = 0; !st && i < m->n_groups; i++) {
        const struct mgroup *g = &m->groups[i];

        if (g->has_token)
            continue;
        healthy = 0;
        st = buf_printf(out, "%s: no credentials yet", g->label);
        if (!st)
            st = append_reason(out, g, NULL);
        if (!st)
            st = buf_append_str(out, "\n");
    }
    for (size_t k = 0; !st && k < m->n_sinks; k++) {
        const struct msink *s = &m->sinks[k];

        for (size_t i = 0; !st && i < m->n_groups; i++) {
            const struct mgroup *g = &m->groups[i];

            for (size_t h = 0; !st && g->has_token && h < g->token.n; h++) {
                const char *host = g->token.v[h].host;
                const struct mhost *held = hosts_find(&s->held, host);
                double left = held ? held->expires_at - now : 0;

                if (held && left > stale_before_s)
                    continue;
                healthy = 0;
                if (!held) {
                    st = buf_printf(out, "sink %s: %s: no credentials yet", s->name, host);
                } else if (left > 0) {
                    fmt_secs(left, in, sizeof(in));
                    st = buf_printf(out, "sink %s: %s expires in %s", s->name, host, in);
                } else {
                    fmt_secs(-left, in, sizeof(in));
                    st = buf_printf(out, "sink %s: %s expired %s ago", s->name, host, in);
                }
                if (!st)
                    st = append_reason(out, g, s);
                if (!st)
                    st = buf_append_str(out, "\n");
            }
        }
    }
    return st ? -1 : healthy;
}

/* A label value with Prometheus' three escapes: backslash, double quote, newline. */
static enum ecd_status put_label(struct buf *out, const char *v)
{
    enum ecd_status st = ECD_OK;

    for (const char *p = v; !st && *p; p++) {
        if (*p == '\\')
            st = buf_append_str(out, "\\\\");
        else if (*p == '"')
            st = buf_append_str(out, "\\\"");
        else if (*p == '\n')
            st = buf_append_str(out, "\\n");
        else
            st = buf_append(out, p, 1);
    }
    return st;
}

static enum ecd_status put_header(struct buf *out, const char *name, const char *type,
                                  const char *help)
{
    return buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{l1="v1"[,l2="v2"]} value; l2 may be NULL.  Values are finite here. */
static enum ecd_status put_sample(struct buf *out, const char *name, const char *l1, const char *v1,
                                  const char *l2, const char *v2, double value)
{
    enum ecd_status st = buf_append_str(out, name);

    if (!st && l1) {
        st = buf_printf(out, "{%s=\"", l1);
        if (!st)
            st = put_label(out, v1);
        if (!st && l2) {
            st = buf_printf(out, "\",%s=\"", l2);
            if (!st)
                st = put_label(out, v2);
        }
        if (!st)
            st = buf_append_str(out, "\"}");
    }
    if (!st)
        st = value == floor(value) && fabs(value) < 1e15 ? buf_printf(out, " %.0f\n", value)
                                                         : buf_printf(out, " %.3f\n", value);
    return st;
}

#define RENDER(expr)                                                                               \
    do {                                                                                           \
        if ((st = (expr)) != ECD_OK)                                                               \
            return st;                                                                             \
    } while (0)

enum ecd_status metrics_render(const struct metrics *m, double now, double stale_before_s,
                               struct buf *out)
{
    struct buf scratch;
    enum ecd_status st;
    int healthy;

    buf_init(&scratch, 1024 * 1024);
    healthy = metrics_health(m, now, stale_before_s, &scratch);
    buf_free(&scratch);
    RENDER(put_header(out, "ecr_credd_build_info", "gauge",
                      "Always 1; the version of the running ecr-credd as a label."));
    RENDER(put_sample(out, "ecr_credd_build_info", "version", ECD_VERSION, NULL, NULL, 1));
    RENDER(put_header(out, "ecr_credd_healthy", "gauge",
                      "1 while /healthz answers 200: every sink holds credentials for every "
                      "registry that expire later than stale_before from now."));
    RENDER(put_sample(out, "ecr_credd_healthy", NULL, NULL, NULL, NULL, healthy == 1));

    RENDER(put_header(out, "ecr_credd_credentials_expiry_seconds", "gauge",
                      "Seconds until the credentials a sink holds for a registry expire "
                      "(negative once expired)."));
    for (size_t k = 0; k < m->n_sinks; k++)
        for (size_t h = 0; h < m->sinks[k].held.n; h++)
            RENDER(put_sample(out, "ecr_credd_credentials_expiry_seconds", "registry",
                              m->sinks[k].held.v[h].host, "sink", m->sinks[k].name,
                              m->sinks[k].held.v[h].expires_at - now));
    RENDER(put_header(out, "ecr_credd_credentials_expiry_timestamp_seconds", "gauge",
                      "When the credentials a sink holds for a registry expire, in seconds "
                      "since the epoch."));
    for (size_t k = 0; k < m->n_sinks; k++)
        for (size_t h = 0; h < m->sinks[k].held.n; h++)
            RENDER(put_sample(out, "ecr_credd_credentials_expiry_timestamp_seconds", "registry",
                              m->sinks[k].held.v[h].host, "sink", m->sinks[k].name,
                              m->sinks[k].held.v[h].expires_at));

    RENDER(put_header(out, "ecr_credd_refreshes_total", "counter",
                      "Successful token fetches, per fetch group (the registries entries "
                      "that share one identity and region)."));
    for (size_t i = 0; i < m->n_groups; i++)
        RENDER(put_sample(out, "ecr_credd_refreshes_total", "group", m->groups[i].label, NULL, NULL,
                          (double)m->groups[i].refreshes));
    RENDER(put_header(out, "ecr_credd_refresh_failing", "gauge",
                      "1 while the last fetch of a fetch group failed."));
    for (size_t i = 0; i < m->n_groups; i++)
        RENDER(put_sample(out, "ecr_credd_refresh_failing", "group", m->groups[i].label, NULL, NULL,
                          m->groups[i].failing));
    RENDER(put_header(out, "ecr_credd_failures_total", "counter",
                      "Failed token fetches by kind: throttled (throttling or a transient "
                      "server error), auth (credentials missing or refused), transport "
                      "(connection, TLS, timeout) or other."));
    for (size_t k = 0; k < FAIL_KINDS_; k++)
        RENDER(put_sample(out, "ecr_credd_failures_total", "kind", kind_names[k], NULL, NULL,
                          (double)m->failures[k]));

    RENDER(
        put_header(out, "ecr_credd_sink_failures_total", "counter", "Failed updates of a sink."));
    for (size_t k = 0; k < m->n_sinks; k++)
        RENDER(put_sample(out, "ecr_credd_sink_failures_total", "sink", m->sinks[k].name, NULL,
                          NULL, (double)m->sinks[k].failures));
    RENDER(put_header(out, "ecr_credd_last_success_timestamp_seconds", "gauge",
                      "When a sink was last updated successfully, in seconds since the epoch "
                      "(absent until the first update)."));
    for (size_t k = 0; k < m->n_sinks; k++)
        if (m->sinks[k].last_success > 0)
            RENDER(put_sample(out, "ecr_credd_last_success_timestamp_seconds", "sink",
                              m->sinks[k].name, NULL, NULL, m->sinks[k].last_success));
    return ECD_OK;
}
