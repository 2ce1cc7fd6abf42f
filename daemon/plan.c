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
#include "ecr_host.h"
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

static int same_str(const char *a, const char *b)
{
    return !strcmp(str_or_empty(a), str_or_empty(b));
}

static int identity_is(const struct plan_identity *id, const char *profile, const char *role_arn,
                       const char *external_id, const char *role_session_name)
{
    return same_str(id->profile, profile) && same_str(id->role_arn, role_arn) &&
           same_str(id->external_id, external_id) &&
           same_str(id->role_session_name, role_session_name);
}

int plan_identity_same(const struct plan_identity *a, const struct plan_identity *b)
{
    return identity_is(a, b->profile, b->role_arn, b->external_id, b->role_session_name);
}

/* Registries that name the same profile and role share one identity (one credential
 * chain, one cache of temporary credentials). */
static enum ecd_status identity_for(struct plan *r, const struct config_registry *reg,
                                    const char *region, size_t *out)
{
    struct plan_identity *grown, *id;
    enum ecd_status st;

    for (size_t i = 0; i < r->n_idents; i++) {
        id = &r->idents[i];
        if (identity_is(id, reg->profile, reg->role_arn, reg->external_id,
                        reg->role_session_name)) {
            *out = i;
            return ECD_OK;
        }
    }
    grown = realloc(r->idents, (r->n_idents + 1) * sizeof(*grown));
    if (!grown)
        return ECD_ENOMEM;
    r->idents = grown;
    id = &grown[r->n_idents];
    memset(id, 0, sizeof(*id));
    if ((reg->profile && !(id->profile = strdup(reg->profile))) ||
        (reg->role_arn && !(id->role_arn = strdup(reg->role_arn))) ||
        (reg->external_id && !(id->external_id = strdup(reg->external_id))) ||
        (reg->role_session_name && !(id->role_session_name = strdup(reg->role_session_name)))) {
        st = ECD_ENOMEM;
    } else {
        struct creds_options o = {
            .profile = reg->profile,
            .getenv_fn = r->getenv_fn,
            .role_arn = reg->role_arn,
            .external_id = reg->external_id,
            .role_session_name = reg->role_session_name,
            .region = region,
            .http = r->http,
        };
        st = creds_chain_new_opts(r->loop, &o, &id->chain);
    }
    if (st) {
        free(id->profile);
        free(id->role_arn);
        free(id->external_id);
        free(id->role_session_name);
        return st;
    }
    *out = r->n_idents++;
    return ECD_OK;
}

/* What one registry entry asks for, before grouping. */
struct target {
    const char *region;
    const char *id; /* NULL: the caller's own registry */
    char *host;     /* owned; a spelling to write besides ECR's own, or NULL */
    int is_public, fips, dualstack;
};

static enum ecd_status group_add(struct plan *r, size_t ident, const struct target *t,
                                 const char *where, struct plan_group **out)
{
    struct plan_group *grown = realloc(r->groups, (r->n_groups + 1) * sizeof(*grown));
    struct plan_group *g;

    if (!grown)
        return ECD_ENOMEM;
    r->groups = grown;
    g = &grown[r->n_groups];
    memset(g, 0, sizeof(*g));
    g->ident = ident;
    g->is_public = t->is_public;
    g->fips = t->fips;
    g->dualstack = t->dualstack;
    buf_init(&g->label, 4096);
    g->region = strdup(t->region);
    if (!g->region)
        return ECD_ENOMEM;
    r->n_groups++;
    *out = g;
    if (buf_append_str(&g->label, where))
        return ECD_ENOMEM;
    /* The identity's profile decides configured endpoints and FIPS / dual-stack. */
    return ecr_endpoint(creds_chain_config(r->idents[ident].chain), t->region, t->is_public,
                        t->fips, t->dualstack, &g->endpoint);
}

/* Targets that share an identity, a region and an endpoint share one token (ECR
 * tokens are regional and cover every registry the identity may pull from), so they
 * become one GetAuthorizationToken call listing all their ids, up to 10 per call. */
static enum ecd_status place_target(struct plan *r, size_t ident, struct target *t,
                                    const char *where)
{
    struct plan_group *g = NULL;
    enum ecd_status st = ECD_OK;

    for (size_t k = 0; k < r->n_groups && !g; k++) {
        struct plan_group *c = &r->groups[k];
        if (c->ident != ident || strcmp(c->region, t->region) || c->is_public != t->is_public ||
            c->fips != t->fips || c->dualstack != t->dualstack)
            continue;
        if (t->is_public || (!t->id && c->n_ids == 0)) {
            g = c; /* one ECR Public call, or one call for the caller's own registry */
        } else if (t->id && c->n_ids > 0) {
            int present = 0;

            for (size_t i = 0; i < c->n_ids; i++)
                present |= !strcmp(c->ids[i], t->id);
            if (present || c->n_ids < PLAN_MAX_IDS_PER_CALL)
                g = c;
        }
        if (g && !strstr(buf_str(&g->label), where))
            st = buf_printf(&g->label, ", %s", where);
    }
    if (!g)
        st = group_add(r, ident, t, where, &g);
    if (st)
        return st;
    if (t->id) {
        int dup = 0;

        for (size_t k = 0; k < g->n_ids; k++)
            dup |= !strcmp(g->ids[k], t->id);
        if (!dup)
            g->ids[g->n_ids++] = t->id;
    }
    if (t->host && g->n_extra_hosts < PLAN_MAX_IDS_PER_CALL) {
        g->extra_hosts[g->n_extra_hosts++] = t->host;
        t->host = NULL;
    }
    return ECD_OK;
}

/* The host name a registry entry was configured with, when ECR's proxyEndpoint spells
 * it differently (FIPS, dual-stack); NULL otherwise. */
static enum ecd_status host_spelling(const struct ecr_host *h, char **out)
{
    struct buf b;
    enum ecd_status st = ECD_OK;

    *out = NULL;
    if (!h->fips && !h->dualstack)
        return ECD_OK;
    buf_init(&b, 512);
    if (h->dualstack)
        st = buf_printf(&b, "%s.dkr-ecr%s.%s.%s", h->account_id, h->fips ? "-fips" : "", h->region,
                        !strcmp(h->partition->name, "aws-cn") ? "on.amazonwebservices.com.cn"
                                                              : "on.aws");
    else
        st = buf_printf(&b, "%s.dkr.ecr-fips.%s.%s", h->account_id, h->region,
                        h->partition->dns_suffix);
    if (!st)
        st = buf_steal(&b, out);
    buf_free(&b);
    return st;
}

static enum ecd_status plan_registry(struct plan *r, const struct config_registry *reg)
{
    char *region = NULL;
    const char *sts_region;
    enum ecd_status st;
    size_t ident;

    sts_region = reg->region ? reg->region : (reg->n_hosts ? reg->hosts[0].region : NULL);
    st = identity_for(r, reg, sts_region, &ident);
    if (st)
        return st;
    if (reg->is_public) {
        struct target t = {.region = ECR_PUBLIC_REGION, .is_public = 1};

        return place_target(r, ident, &t, reg->where);
    }
    for (size_t i = 0; i < reg->n_hosts; i++) {
        const struct ecr_host *h = &reg->hosts[i];
        struct target t = {.region = reg->region ? reg->region : h->region,
                           .id = h->account_id,
                           .fips = h->fips,
                           .dualstack = h->dualstack};

        st = host_spelling(h, &t.host);
        if (!st)
            st = place_target(r, ident, &t, reg->where);
        free(t.host);
        if (st)
            return st;
    }
    if (reg->n_hosts)
        return ECD_OK;
    if (reg->region) {
        region = strdup(reg->region);
        if (!region)
            return ECD_ENOMEM;
    } else {
        st = creds_chain_region(r->idents[ident].chain, &region);
        if (st)
            return st;
        if (!region) {
            log_error("%s: no AWS region: set \"region\" in the config, AWS_REGION or "
                      "AWS_DEFAULT_REGION, or region in the profile (instance metadata, "
                      "the last place looked, gave none)",
                      reg->where);
            return ECD_ECONFIG;
        }
    }
    if (reg->n_registry_ids == 0) {
        struct target t = {.region = region};

        st = place_target(r, ident, &t, reg->where);
    }
    for (size_t i = 0; i < reg->n_registry_ids && !st; i++) {
        struct target t = {.region = region, .id = reg->registry_ids[i]};

        st = place_target(r, ident, &t, reg->where);
    }
    free(region);
    return st;
}

enum ecd_status plan_new(uv_loop_t *loop, struct http_client *http, struct config *cfg,
                         const char *(*getenv_fn)(const char *), enum sink_mode mode,
                         struct plan **out)
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
    r->env = (struct sink_env){.loop = loop, .http = http, .getenv_fn = getenv_fn, .mode = mode};
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

/* Give each extra host spelling of the group the auth of its account's entry (or the
 * first entry), in a new token set that replaces *ts. */
static enum ecd_status add_spellings(const struct plan_group *g, struct token_set **ts)
{
    struct token_set *old = *ts, *ns = NULL;
    size_t n = old->n;
    enum ecd_status st;

    st = token_set_new(old->n + g->n_extra_hosts, &ns);
    for (size_t i = 0; !st && i < old->n + g->n_extra_hosts; i++) {
        const struct registry_auth *src = &old->items[0];
        const char *host;

        if (i < old->n) {
            src = &old->items[i];
            host = src->host;
        } else {
            host = g->extra_hosts[i - old->n];
            for (size_t k = 0; k < old->n; k++)
                if (!strncmp(old->items[k].host, host, 12))
                    src = &old->items[k];
        }
        if (!(ns->items[i].host = strdup(host)) || secret_copy(&ns->items[i].auth, &src->auth))
            st = ECD_ENOMEM;
        ns->items[i].expires_at = src->expires_at;
    }
    (void)n;
    token_set_unref(old);
    *ts = st ? NULL : ns;
    if (st)
        token_set_unref(ns);
    return st;
}

static void on_token(enum ecd_status st, struct token_set *ts, void *ud)
{
    struct plan_fetch *f = ud;
    struct plan_group *g = &f->plan->groups[f->group];

    f->ecr = NULL;
    if (!st && g->n_extra_hosts)
        st = add_spellings(g, &ts);
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
            .is_public = g->is_public,
            .public_host = ECR_PUBLIC_HOST,
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

        const struct plan_identity *id = &r->idents[g->ident];

        printf(
            "fetch %s: profile %s%s%s, region %s, endpoint %s, registry ids: ", buf_str(&g->label),
            id->profile ? id->profile : "(default)", id->role_arn ? ", role " : "",
            id->role_arn ? id->role_arn : "", g->region, g->endpoint);
        if (g->is_public)
            printf("(ECR Public: %s)", ECR_PUBLIC_HOST);
        else if (!g->n_ids)
            printf("(the caller's own)");
        for (size_t k = 0; k < g->n_ids; k++)
            printf("%s%s", k ? ", " : "", g->ids[k]);
        for (size_t k = 0; k < g->n_extra_hosts; k++)
            printf("%s%s", k ? ", " : "; also written as ", g->extra_hosts[k]);
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
        for (size_t k = 0; k < r->groups[i].n_extra_hosts; k++)
            free(r->groups[i].extra_hosts[k]);
    }
    free(r->groups);
    for (size_t i = 0; i < r->n_idents; i++) {
        creds_chain_free(r->idents[i].chain);
        free(r->idents[i].profile);
        free(r->idents[i].role_arn);
        free(r->idents[i].external_id);
        free(r->idents[i].role_session_name);
    }
    free(r->idents);
    for (size_t i = 0; i < r->n_sinks; i++)
        sink_free(r->sinks[i]);
    free(r->sinks);
    config_free(r->cfg);
    free(r);
}
