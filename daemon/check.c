/* SPDX-License-Identifier: MIT */
/* --check; see check.h. */
#include "check.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "creds.h"
#include "sink.h"

struct check {
    struct plan *plan; /* borrowed */
    size_t pending, failed;
    check_done_fn *done;
    void *ud;
};

struct check_ident {
    struct check *c; /* borrowed */
    size_t index;
};

/* One identity or sink done: the last one reports. */
static void check_step_done(struct check *c)
{
    if (--c->pending == 0) {
        c->done(c->failed, c->ud);
        free(c);
    }
}

static void on_identity(enum ecd_status st, const struct creds_identity *id, void *ud)
{
    struct check_ident *ci = ud;
    struct check *c = ci->c;
    const struct plan_identity *pi = &c->plan->idents[ci->index];
    const char *profile = pi->profile ? pi->profile : "(default)";

    if (st) {
        printf("identity %s%s%s: not usable: %s (see the messages above)\n", profile,
               pi->role_arn ? ", role " : "", pi->role_arn ? pi->role_arn : "", ecd_strerror(st));
        c->failed++;
    } else {
        char exp[32] = "does not expire";
        struct tm tm;

        if (id->expiration > 0 && gmtime_r(&id->expiration, &tm))
            strftime(exp, sizeof(exp), "expires %Y-%m-%dT%H:%M:%SZ", &tm);
        printf("identity %s: credentials from %s, access key %s, %s; caller %s\n", profile,
               id->provider ? id->provider : "?", id->access_key_id, exp,
               id->arn ? id->arn : "(unknown)");
    }
    free(ci);
    check_step_done(c);
}

static void on_sink_checked(struct sink *sk, enum ecd_status st, void *ud)
{
    struct check *c = ud;

    if (st) {
        printf("sink %s: not usable: %s (see the messages above)\n", sk->name, ecd_strerror(st));
        c->failed++;
    } else {
        printf("sink %s: reachable, and a dry-run write was accepted\n", sk->name);
    }
    check_step_done(c);
}

enum ecd_status check_start(struct plan *p, check_done_fn *done, void *ud)
{
    struct check *c = calloc(1, sizeof(*c));

    if (!c)
        return ECD_ENOMEM;
    c->plan = p;
    c->done = done;
    c->ud = ud;
    plan_describe(p);
    for (size_t i = 0; i < p->n_idents; i++) {
        struct check_ident *ci = calloc(1, sizeof(*ci));

        if (ci) {
            ci->c = c;
            ci->index = i;
        }
        if (!ci || creds_chain_describe(p->idents[i].chain, on_identity, ci)) {
            printf("identity %s: cannot start the lookup\n",
                   p->idents[i].profile ? p->idents[i].profile : "(default)");
            free(ci);
            c->failed++;
            continue;
        }
        c->pending++;
    }
    for (size_t i = 0; i < p->n_sinks; i++) {
        struct sink *sk = p->sinks[i];

        if (!sk->ops->dry_run || sk->env->mode != SINK_MODE_CHECK)
            continue;
        if (sk->ops->push(sk, NULL, 0, on_sink_checked, c)) {
            printf("sink %s: cannot start the dry run (see the messages above)\n", sk->name);
            c->failed++;
            continue;
        }
        c->pending++;
    }
    if (c->pending == 0) {
        free(c);
        return ECD_EAUTH;
    }
    return ECD_OK;
}
