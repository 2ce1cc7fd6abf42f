/* SPDX-License-Identifier: MIT */
/* One refresh cycle; see refresh.h. */
#include "refresh.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "creds.h"
#include "ecr.h"
#include "http.h"
#include "log.h"
#include "sink.h"
#include "token.h"

#define ECR_MAX_IDS_PER_CALL 10 /* the API's limit on registryIds */

struct identity {
    char *profile;             /* owned; NULL: AWS_PROFILE/default */
    struct creds_chain *chain; /* owned */
};

struct fetch_group {
    struct refresh *r; /* borrowed: owner */
    size_t ident;      /* index into r->idents (which may move while planning) */
    struct buf label;  /* owned: "registries[0]" or "registries[0,2]" */
    char *region;      /* owned */
    char *endpoint;    /* owned */
    const char *ids[ECR_MAX_IDS_PER_CALL]; /* borrowed from the config */
    size_t n_ids;
    struct token_set *ts; /* owned reference: this cycle's result */
    enum ecd_status st;
};

struct refresh {
    uv_loop_t *loop;          /* borrowed */
    struct http_client *http; /* borrowed */
    const struct config *cfg; /* borrowed */
    const char *(*getenv_fn)(const char *);
    struct sink_env env;
    struct identity *idents; /* owned */
    size_t n_idents;
    struct fetch_group *groups; /* owned */
    size_t n_groups;
    struct sink **sinks; /* owned */
    size_t n_sinks;
    struct token_set **good; /* owned refs during a push */
    size_t n_good;
    size_t pending;
    struct refresh_result res;
    refresh_done_fn *done;
    void *ud;
};

static const char *str_or_empty(const char *s)
{
    return s ? s : "";
}

static enum ecd_status identity_for(struct refresh *r, const char *profile, struct identity **out)
{
    struct identity *grown;
    enum ecd_status st;

    for (size_t i = 0; i < r->n_idents; i++) {
        if (!strcmp(str_or_empty(r->idents[i].profile), str_or_empty(profile))) {
            *out = &r->idents[i];
            return ECD_OK;
        }
    }
    grown = realloc(r->idents, (r->n_idents + 1) * sizeof(*grown));
    if (!grown)
        return ECD_ENOMEM;
    r->idents = grown;
    memset(&grown[r->n_idents], 0, sizeof(grown[0]));
    if (profile && !(grown[r->n_idents].profile = strdup(profile)))
        return ECD_ENOMEM;
    st = creds_chain_new(r->loop, profile, r->getenv_fn, &grown[r->n_idents].chain);
    if (st) {
        free(grown[r->n_idents].profile);
        return st;
    }
    *out = &grown[r->n_idents++];
    return ECD_OK;
}

static enum ecd_status group_add(struct refresh *r, size_t ident_index, const char *region,
                                 const char *where, struct fetch_group **out)
{
    struct fetch_group *grown = realloc(r->groups, (r->n_groups + 1) * sizeof(*grown));
    struct fetch_group *g;
    enum ecd_status st;

    if (!grown)
        return ECD_ENOMEM;
    r->groups = grown;
    g = &grown[r->n_groups];
    memset(g, 0, sizeof(*g));
    g->r = r;
    g->ident = ident_index;
    buf_init(&g->label, 4096);
    g->region = strdup(region);
    if (!g->region)
        return ECD_ENOMEM;
    r->n_groups++;
    st = buf_append_str(&g->label, where);
    if (!st)
        st = ecr_endpoint(r->getenv_fn, region, 0, &g->endpoint);
    *out = g;
    return st;
}

/* Registries that share an identity and a region share one token (ECR tokens are
 * regional and cover every registry the identity may pull from), so they become one
 * GetAuthorizationToken call listing all their ids, up to the API's 10 per call. */
static enum ecd_status plan_registry(struct refresh *r, const struct config_registry *reg)
{
    struct identity *ident;
    char *region = NULL;
    enum ecd_status st;
    size_t ident_index;

    st = identity_for(r, reg->profile, &ident);
    if (st)
        return st;
    ident_index = (size_t)(ident - r->idents);
    if (reg->region) {
        region = strdup(reg->region);
        if (!region)
            return ECD_ENOMEM;
    } else {
        st = creds_chain_region(ident->chain, &region);
        if (st)
            return st;
        if (!region) {
            log_error("%s: no AWS region: set \"region\" in the config, AWS_REGION or "
                      "AWS_DEFAULT_REGION, or region in the profile",
                      reg->where);
            return ECD_ECONFIG;
        }
    }

    size_t i = 0;
    do {
        struct fetch_group *g = NULL;

        /* Join a group of the same identity and region that has room for more ids. */
        for (size_t k = 0; k < r->n_groups && !g; k++) {
            struct fetch_group *c = &r->groups[k];

            if (c->ident == ident_index && !strcmp(c->region, region) &&
                (c->n_ids == 0) == (reg->n_registry_ids == 0) && c->n_ids < ECR_MAX_IDS_PER_CALL &&
                reg->n_registry_ids) {
                g = c;
                st = buf_printf(&g->label, ", %s", reg->where);
            }
        }
        if (!g)
            st = group_add(r, ident_index, region, reg->where, &g);
        if (st)
            break;
        for (; i < reg->n_registry_ids && g->n_ids < ECR_MAX_IDS_PER_CALL; i++) {
            int dup = 0;

            for (size_t k = 0; k < g->n_ids; k++)
                dup |= !strcmp(g->ids[k], reg->registry_ids[i]);
            if (!dup)
                g->ids[g->n_ids++] = reg->registry_ids[i];
        }
    } while (i < reg->n_registry_ids);
    free(region);
    return st;
}

enum ecd_status refresh_new(uv_loop_t *loop, struct http_client *http, const struct config *cfg,
                            const char *(*getenv_fn)(const char *), struct refresh **out)
{
    struct refresh *r = calloc(1, sizeof(*r));
    enum ecd_status st = ECD_OK, first = ECD_OK;

    if (!r)
        return ECD_ENOMEM;
    r->loop = loop;
    r->http = http;
    r->cfg = cfg;
    r->getenv_fn = getenv_fn;
    r->env = (struct sink_env){.loop = loop, .http = http, .getenv_fn = getenv_fn};
    /* Check everything and report every problem, not just the first. */
    for (size_t i = 0; i < cfg->n_registries && first != ECD_ENOMEM; i++) {
        st = plan_registry(r, &cfg->registries[i]);
        if (st && !first)
            first = st;
    }
    r->sinks = calloc(cfg->n_sinks ? cfg->n_sinks : 1, sizeof(*r->sinks));
    r->good = calloc(r->n_groups ? r->n_groups : 1, sizeof(*r->good));
    if (!r->sinks || !r->good)
        first = ECD_ENOMEM;
    for (size_t i = 0; i < cfg->n_sinks && r->sinks && first != ECD_ENOMEM; i++) {
        st = sink_new(&cfg->sinks[i], &r->env, &r->sinks[r->n_sinks]);
        if (st && !first)
            first = st;
        if (!st)
            r->n_sinks++;
    }
    if (first) {
        refresh_free(r);
        return first;
    }
    *out = r;
    return ECD_OK;
}

static void cycle_finish(struct refresh *r)
{
    for (size_t i = 0; i < r->n_good; i++)
        token_set_unref(r->good[i]);
    r->n_good = 0;
    r->done(&r->res, r->ud);
}

static void on_sink_done(struct sink *s, enum ecd_status st, void *ud)
{
    struct refresh *r = ud;

    (void)s;
    if (st)
        r->res.sinks_failed++;
    else
        r->res.sinks_ok++;
    if (--r->pending == 0)
        cycle_finish(r);
}

static void push_all(struct refresh *r)
{
    r->n_good = 0;
    for (size_t i = 0; i < r->n_groups; i++) {
        if (r->groups[i].ts) {
            r->good[r->n_good++] = r->groups[i].ts; /* the reference moves here */
            r->groups[i].ts = NULL;
        }
    }
    if (r->n_good == 0) {
        cycle_finish(r);
        return;
    }
    r->pending = 1; /* held while starting, so a fast sink cannot finish the cycle early */
    for (size_t i = 0; i < r->n_sinks; i++) {
        struct sink *s = r->sinks[i];
        enum ecd_status st = s->ops->push(s, r->good, r->n_good, on_sink_done, r);

        if (st) {
            log_error("sink %s: %s", s->name, ecd_strerror(st));
            r->res.sinks_failed++;
        } else {
            r->pending++;
        }
    }
    if (--r->pending == 0)
        cycle_finish(r);
}

static void group_done(struct fetch_group *g)
{
    struct refresh *r = g->r;

    if (g->st)
        r->res.groups_failed++;
    else
        r->res.groups_ok++;
    if (--r->pending == 0)
        push_all(r);
}

static void on_token(enum ecd_status st, struct token_set *ts, void *ud)
{
    struct fetch_group *g = ud;

    g->st = st;
    g->ts = ts;
    if (!st) {
        char until[32] = "?";
        time_t exp = ts->n ? (time_t)ts->items[0].expires_at : 0;
        struct tm tm;

        if (exp > 0 && gmtime_r(&exp, &tm))
            strftime(until, sizeof(until), "%Y-%m-%dT%H:%M:%SZ", &tm);
        if (exp <= time(NULL))
            log_warn("%s: the token from %s expired already (%s): check this host's clock "
                     "and the endpoint",
                     buf_str(&g->label), g->endpoint, until);
        log_info("%s: got a token for %zu registr%s in %s, valid until %s", buf_str(&g->label),
                 ts->n, ts->n == 1 ? "y" : "ies", g->region, until);
    }
    group_done(g);
}

static void on_creds(enum ecd_status st, const struct aws_credentials *c, void *ud)
{
    struct fetch_group *g = ud;
    struct refresh *r = g->r;

    if (!st) {
        struct ecr_fetch_opts o = {
            .label = buf_str(&g->label),
            .region = g->region,
            .endpoint = g->endpoint,
            .registry_ids = g->ids,
            .n_registry_ids = g->n_ids,
            .creds = c,
            .ca_bundle = r->getenv_fn("AWS_CA_BUNDLE"),
        };
        if (o.ca_bundle && !*o.ca_bundle)
            o.ca_bundle = NULL;
        st = ecr_fetch_start(r->loop, r->http, &o, on_token, g, NULL);
        if (!st)
            return;
    }
    g->st = st;
    group_done(g);
}

enum ecd_status refresh_run(struct refresh *r, refresh_done_fn *done, void *ud)
{
    memset(&r->res, 0, sizeof(r->res));
    r->done = done;
    r->ud = ud;
    if (r->n_groups == 0)
        return ECD_EINVAL;
    r->pending = 0;
    for (size_t i = 0; i < r->n_groups; i++) {
        struct fetch_group *g = &r->groups[i];
        enum ecd_status st;

        g->st = ECD_OK;
        token_set_unref(g->ts);
        g->ts = NULL;
        st = creds_chain_get(r->idents[g->ident].chain, on_creds, g);
        if (st) {
            /* No callback will come for this group: count it as failed now, but
             * finish from the loop through the other groups, or report it directly
             * when none started. */
            g->st = st;
            r->res.groups_failed++;
            continue;
        }
        r->pending++;
    }
    return r->pending ? ECD_OK : ECD_EAUTH;
}

void refresh_describe(const struct refresh *r)
{
    struct buf line;

    buf_init(&line, 4096);
    for (size_t i = 0; i < r->n_groups; i++) {
        const struct fetch_group *g = &r->groups[i];

        printf("fetch %s: profile %s, region %s, endpoint %s, registry ids: ", buf_str(&g->label),
               r->idents[g->ident].profile ? r->idents[g->ident].profile : "(default)", g->region,
               g->endpoint);
        if (!g->n_ids)
            printf("(the caller's own)");
        for (size_t k = 0; k < g->n_ids; k++)
            printf("%s%s", k ? ", " : "", g->ids[k]);
        printf("\n");
    }
    for (size_t i = 0; i < r->n_sinks; i++) {
        buf_reset(&line);
        r->sinks[i]->ops->describe(r->sinks[i], &line);
        printf("sink %s: %s\n", r->sinks[i]->name, buf_str(&line));
    }
    buf_free(&line);
}

void refresh_free(struct refresh *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_groups; i++) {
        buf_free(&r->groups[i].label);
        free(r->groups[i].region);
        free(r->groups[i].endpoint);
        token_set_unref(r->groups[i].ts);
    }
    free(r->groups);
    for (size_t i = 0; i < r->n_idents; i++) {
        creds_chain_free(r->idents[i].chain);
        free(r->idents[i].profile);
    }
    free(r->idents);
    for (size_t i = 0; i < r->n_sinks; i++)
        sink_free(r->sinks[i]);
    free(r->sinks);
    free(r->good);
    free(r);
}
