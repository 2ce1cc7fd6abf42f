/* SPDX-License-Identifier: MIT */
/* Plans and group fetches; see plan.h. */
#include "plan.h"

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

struct plan_fetch {
    struct plan *plan; /* borrowed: outlives the fetch */
    size_t group;
    struct plan_fetch_opts opts;
    struct ecr_fetch *ecr; /* borrowed while the ECR call runs */
    int canceled;          /* plan_fetch_cancel() ran while credentials were resolving */
    time_t creds_expiration;
    plan_fetch_done_fn *done;
    void *ud;
};

static const char *str_or_empty(const char *s)
{
    return s ? s : "";
}

static enum ecd_status identity_for(struct plan *r, const char *profile, struct plan_identity **out)
{
    struct plan_identity *grown;
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

static enum ecd_status group_add(struct plan *r, size_t ident_index, const char *region,
                                 const char *where, struct plan_group **out)
{
    struct plan_group *grown = realloc(r->groups, (r->n_groups + 1) * sizeof(*grown));
    struct plan_group *g;
    enum ecd_status st;

    if (!grown)
        return ECD_ENOMEM;
    r->groups = grown;
    g = &grown[r->n_groups];
    memset(g, 0, sizeof(*g));
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
static enum ecd_status plan_registry(struct plan *r, const struct config_registry *reg)
{
    struct plan_identity *ident;
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
        struct plan_group *g = NULL;

        /* Join a group of the same identity and region that has room for more ids. */
        for (size_t k = 0; k < r->n_groups && !g; k++) {
            struct plan_group *c = &r->groups[k];

            if (c->ident == ident_index && !strcmp(c->region, region) &&
                (c->n_ids == 0) == (reg->n_registry_ids == 0) && c->n_ids < PLAN_MAX_IDS_PER_CALL &&
                reg->n_registry_ids) {
                g = c;
                st = buf_printf(&g->label, ", %s", reg->where);
            }
        }
        if (!g)
            st = group_add(r, ident_index, region, reg->where, &g);
        if (st)
            break;
        for (; i < reg->n_registry_ids && g->n_ids < PLAN_MAX_IDS_PER_CALL; i++) {
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

enum ecd_status plan_new(uv_loop_t *loop, struct http_client *http, struct config *cfg,
                         const char *(*getenv_fn)(const char *), struct plan **out)
{
    struct plan *r = calloc(1, sizeof(*r));
    enum ecd_status st = ECD_OK, first = ECD_OK;

    if (!r) {
        config_free(cfg);
        return ECD_ENOMEM;
    }
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
    if (!r->sinks)
        first = ECD_ENOMEM;
    for (size_t i = 0; i < cfg->n_sinks && r->sinks && first != ECD_ENOMEM; i++) {
        st = sink_new(&cfg->sinks[i], &r->env, &r->sinks[r->n_sinks]);
        if (st && !first)
            first = st;
        if (!st)
            r->n_sinks++;
    }
    if (first) {
        plan_free(r);
        return first;
    }
    *out = r;
    return ECD_OK;
}

static void on_token(enum ecd_status st, struct token_set *ts, void *ud)
{
    struct plan_fetch *f = ud;
    struct plan_group *g = &f->plan->groups[f->group];

    f->ecr = NULL;
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
    f->done(st, ts, f->creds_expiration, f->ud);
    free(f);
}

static void on_creds(enum ecd_status st, const struct aws_credentials *c, void *ud)
{
    struct plan_fetch *f = ud;
    struct plan *r = f->plan;
    struct plan_group *g = &r->groups[f->group];

    if (f->canceled)
        st = ECD_ECANCELED;
    if (!st) {
        struct ecr_fetch_opts o = {
            .label = buf_str(&g->label),
            .region = g->region,
            .endpoint = g->endpoint,
            .registry_ids = g->ids,
            .n_registry_ids = g->n_ids,
            .creds = c,
            .ca_bundle = r->getenv_fn("AWS_CA_BUNDLE"),
            .fail_prio = f->opts.fail_prio,
            .max_attempts = f->opts.max_attempts,
        };
        if (o.ca_bundle && !*o.ca_bundle)
            o.ca_bundle = NULL;
        f->creds_expiration = c->expiration;
        st = ecr_fetch_start(r->loop, r->http, &o, on_token, f, &f->ecr);
        if (!st)
            return;
    }
    f->done(st, NULL, 0, f->ud);
    free(f);
}

enum ecd_status plan_fetch_start(struct plan *p, size_t group, const struct plan_fetch_opts *opts,
                                 plan_fetch_done_fn *done, void *ud, struct plan_fetch **out)
{
    struct plan_fetch *f;
    enum ecd_status st;

    if (group >= p->n_groups)
        return ECD_EINVAL;
    f = calloc(1, sizeof(*f));
    if (!f)
        return ECD_ENOMEM;
    f->plan = p;
    f->group = group;
    if (opts)
        f->opts = *opts;
    f->done = done;
    f->ud = ud;
    st = creds_chain_get(p->idents[p->groups[group].ident].chain, on_creds, f);
    if (st) {
        free(f);
        return st;
    }
    if (out)
        *out = f;
    return ECD_OK;
}

void plan_fetch_cancel(struct plan_fetch *f)
{
    /* While credentials resolve on the thread pool there is nothing to stop: on_creds
     * sees the flag and finishes with ECD_ECANCELED. */
    f->canceled = 1;
    if (f->ecr)
        ecr_fetch_cancel(f->ecr);
}

void plan_describe(const struct plan *r)
{
    struct buf line;

    buf_init(&line, 4096);
    for (size_t i = 0; i < r->n_groups; i++) {
        const struct plan_group *g = &r->groups[i];

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

void plan_free(struct plan *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_groups; i++) {
        buf_free(&r->groups[i].label);
        free(r->groups[i].region);
        free(r->groups[i].endpoint);
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
    config_free(r->cfg);
    free(r);
}
