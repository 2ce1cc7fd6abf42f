/* SPDX-License-Identifier: MIT */
/* See runconfig.h.  Plan building is synchronous, so the one asynchronous question it
 * may need answered (which region is this instance in?) is asked here, before it, on
 * a private loop: at most one short metadata exchange, and only for instance users
 * who configured no region anywhere. */
#include "runconfig.h"

#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "creds.h"
#include "http.h"
#include "log.h"

static char *instance_region; /* owned; the answer of the first successful lookup */

void runconfig_forget_region(void)
{
    free(instance_region);
    instance_region = NULL;
}

struct lookup {
    enum ecd_status st;
    char *region; /* owned */
};

static void on_region(enum ecd_status st, const char *region, void *ud)
{
    struct lookup *l = ud;

    l->st = st;
    if (!st && !(l->region = strdup(region)))
        l->st = ECD_ENOMEM;
}

/* Whether entry reg depends on a region its identity's configuration may not give. */
static int needs_region(const struct config_registry *reg)
{
    return !reg->region && !reg->n_hosts && !reg->is_public;
}

/* Ask the chain of reg's identity for its configured region; when it has none, ask
 * instance metadata (once per process).  *out stays NULL when neither knows. */
static enum ecd_status find_region(uv_loop_t *loop, const struct config_registry *reg,
                                   const char *(*getenv_fn)(const char *), char **out)
{
    struct creds_options o = {.profile = reg->profile, .getenv_fn = getenv_fn};
    struct creds_chain *chain = NULL;
    struct lookup l = {.st = ECD_OK};
    enum ecd_status st;

    *out = NULL;
    st = creds_chain_new_opts(loop, &o, &chain);
    if (st)
        return st; /* a broken profile: logged, a configuration error */
    st = creds_chain_region(chain, out);
    if (!st && !*out) {
        if (instance_region) {
            *out = strdup(instance_region);
            st = *out ? ECD_OK : ECD_ENOMEM;
        } else if (creds_chain_imds_region(chain, on_region, &l) == ECD_OK) {
            uv_run(loop, UV_RUN_DEFAULT);
            if (!l.st) {
                instance_region = l.region;
                *out = strdup(l.region);
                st = *out ? ECD_OK : ECD_ENOMEM;
            } else {
                log_debug("%s: no region from instance metadata: %s", reg->where,
                          ecd_strerror(l.st));
            }
        }
    }
    creds_chain_free(chain);
    uv_run(loop, UV_RUN_DEFAULT); /* the chain's own HTTP client drains */
    return st;
}

static enum ecd_status fill_regions(struct config *cfg, const char *(*getenv_fn)(const char *))
{
    uv_loop_t loop;
    enum ecd_status st = ECD_OK;
    int need = 0;

    for (size_t i = 0; i < cfg->n_registries; i++)
        need |= needs_region(&cfg->registries[i]);
    if (!need)
        return ECD_OK;
    if (uv_loop_init(&loop) < 0)
        return ECD_EIO;
    for (size_t i = 0; i < cfg->n_registries && !st; i++) {
        struct config_registry *reg = &cfg->registries[i];
        char *region = NULL;

        if (!needs_region(reg))
            continue;
        st = find_region(&loop, reg, getenv_fn, &region);
        /* Only the metadata answer is written in: a configured region is found
         * again by plan_new, which reports where it came from. */
        if (!st && region && instance_region && !strcmp(region, instance_region)) {
            reg->region = region;
            region = NULL;
        }
        free(region);
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    if (uv_loop_close(&loop) < 0)
        log_warn("region lookup: its event loop closed with handles still open");
    return st;
}

enum ecd_status runconfig_load(const char *path, const char *(*getenv_fn)(const char *),
                               struct config **out)
{
    struct config *cfg = NULL;
    enum ecd_status st;

    st = path ? config_load_file(path, &cfg) : config_default(getenv_fn, &cfg);
    if (st)
        return st;
    st = fill_regions(cfg, getenv_fn);
    if (st) {
        config_free(cfg);
        return st;
    }
    *out = cfg;
    return ECD_OK;
}
