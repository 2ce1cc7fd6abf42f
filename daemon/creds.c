/* SPDX-License-Identifier: MIT */
/* Credentials for one identity; see creds.h.  Today the chain is the part botocore
 * resolves from the environment and the shared files (common/awsconfig.c); the
 * providers that need the network (assume role, web identity, container, instance
 * metadata) slot in behind creds_chain_get() with the same callback. */
#include "creds.h"

#include <stdlib.h>
#include <string.h>

#include "awsconfig.h"
#include "log.h"

struct creds_chain {
    uv_loop_t *loop;                        /* borrowed */
    char *profile;                          /* owned; NULL: the environment decides */
    const char *(*getenv_fn)(const char *); /* borrowed */
    struct awsconfig *cfg;                  /* owned; as read at start-up */
};

/* One creds_chain_get() call. */
struct creds_get {
    uv_work_t work;               /* data = this */
    struct creds_chain *chain;    /* borrowed */
    struct aws_credentials creds; /* owned; wiped */
    enum ecd_status st;
    creds_done_fn *done;
    void *ud;
};

enum ecd_status creds_chain_new(uv_loop_t *loop, const char *profile,
                                const char *(*getenv_fn)(const char *), struct creds_chain **out)
{
    struct creds_chain *c = calloc(1, sizeof(*c));
    enum ecd_status st;

    if (!c)
        return ECD_ENOMEM;
    c->loop = loop;
    c->getenv_fn = getenv_fn;
    if (profile && !(c->profile = strdup(profile))) {
        free(c);
        return ECD_ENOMEM;
    }
    st = awsconfig_load(getenv_fn, profile, &c->cfg);
    if (st) {
        creds_chain_free(c);
        return st;
    }
    *out = c;
    return ECD_OK;
}

enum ecd_status creds_chain_region(struct creds_chain *c, char **out)
{
    return awsconfig_region(c->cfg, out);
}

/* On the thread pool: read the files again, so keys rotated on disk are used. */
static void get_work(uv_work_t *w)
{
    struct creds_get *g = w->data;
    struct awsconfig *cfg = NULL;

    g->st = awsconfig_load(g->chain->getenv_fn, g->chain->profile, &cfg);
    if (!g->st)
        g->st = awsconfig_static_credentials(cfg, &g->creds);
    awsconfig_free(cfg);
}

static void get_after(uv_work_t *w, int status)
{
    struct creds_get *g = w->data;
    enum ecd_status st = status == UV_ECANCELED ? ECD_ECANCELED : g->st;

    if (!st)
        log_debug("credentials: access key %s from %s", g->creds.access_key_id,
                  g->creds.provider ? g->creds.provider : "?");
    g->done(st, st ? NULL : &g->creds, g->ud);
    aws_credentials_clear(&g->creds);
    free(g);
}

enum ecd_status creds_chain_get(struct creds_chain *c, creds_done_fn *done, void *ud)
{
    struct creds_get *g = calloc(1, sizeof(*g));
    int rc;

    if (!g)
        return ECD_ENOMEM;
    g->chain = c;
    g->done = done;
    g->ud = ud;
    g->work.data = g;
    rc = uv_queue_work(c->loop, &g->work, get_work, get_after);
    if (rc < 0) {
        log_error("credentials: cannot queue the lookup: %s", uv_strerror(rc));
        free(g);
        return ECD_EIO;
    }
    return ECD_OK;
}

void creds_chain_free(struct creds_chain *c)
{
    if (!c)
        return;
    awsconfig_free(c->cfg);
    free(c->profile);
    free(c);
}
