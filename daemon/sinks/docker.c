/* SPDX-License-Identifier: MIT */
/* The docker sink: keeps auths entries in a docker config.json (docker CLI, buildx,
 * compose, nerdctl, skopeo/podman as a fallback, kubelet's /var/lib/kubelet/config.json).
 * The file work (read, merge, atomic replace) is common/dockercfg.c; this file adds the
 * config keys and runs that work on libuv's thread pool so the loop never blocks on
 * disk. */
#include <stdlib.h>
#include <string.h>

#include "dockercfg.h"
#include "jsonutil.h"
#include "log.h"
#include "sink.h"

struct docker_state {
    char *path;                  /* owned; the config.json to keep */
    int warned;                  /* the credsStore/credHelpers warning was shown */
    uv_work_t work;              /* the pending push; work.data = the sink */
    struct registry_auth *items; /* owned array; its strings are borrowed from sets */
    size_t n_items;
    struct dockercfg_result result;
    enum ecd_status result_st;
    sink_done_fn *done;
    void *ud;
};

static enum ecd_status docker_configure(struct sink *s, const struct config_sink *cs)
{
    static const char *const allowed[] = {"type", "name", "path", NULL};
    struct docker_state *ds = s->state;
    struct jsonutil_err e;
    const char *path = NULL;
    char where[JSONUTIL_PATH_MAX];

    jsonutil_err_init(&e, cs->file, ECD_ECONFIG);
    if (jsonutil_check_keys(&e, cs->node, cs->where, allowed) ||
        jsonutil_get_string(&e, cs->node, cs->where, "path", JSONUTIL_OPTIONAL, &path)) {
        log_error("%s", e.msg);
        return ECD_ECONFIG;
    }
    if (path) {
        if (path[0] != '/') {
            jsonutil_path_key(where, sizeof(where), cs->where, "path");
            log_error("%s: %s: expected an absolute file path, got \"%s\"", cs->file, where, path);
            return ECD_ECONFIG;
        }
        ds->path = strdup(path);
        return ds->path ? ECD_OK : ECD_ENOMEM;
    }
    return dockercfg_default_path(s->env->getenv_fn, &ds->path);
}

static void docker_work(uv_work_t *w)
{
    struct sink *s = w->data;
    struct docker_state *ds = s->state;

    ds->result_st = dockercfg_update(ds->path, ds->items, ds->n_items, &ds->result);
}

static void docker_after_work(uv_work_t *w, int status)
{
    struct sink *s = w->data;
    struct docker_state *ds = s->state;
    enum ecd_status st = status == UV_ECANCELED ? ECD_ECANCELED : ds->result_st;

    if (!st) {
        if (!ds->warned && ds->result.n_shadowed) {
            dockercfg_warn(&ds->result);
            ds->warned = 1;
        }
        log_info("sink %s: %s %s (%zu %s)", s->name, ds->result.changed ? "updated" : "unchanged",
                 ds->path, ds->n_items, ds->n_items == 1 ? "registry" : "registries");
    }
    dockercfg_result_deinit(&ds->result);
    free(ds->items);
    ds->items = NULL;
    ds->n_items = 0;
    ds->done(s, st, ds->ud);
}

static enum ecd_status docker_push(struct sink *s, struct token_set *const *sets, size_t n,
                                   sink_done_fn *done, void *ud)
{
    struct docker_state *ds = s->state;
    size_t total = 0, k = 0;
    int rc;

    for (size_t i = 0; i < n; i++)
        total += sets[i]->n;
    ds->items = calloc(total ? total : 1, sizeof(*ds->items));
    if (!ds->items)
        return ECD_ENOMEM;
    /* Shallow copies: the core holds the sets until done runs. */
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < sets[i]->n; j++)
            ds->items[k++] = sets[i]->items[j];
    ds->n_items = total;
    ds->done = done;
    ds->ud = ud;
    ds->work.data = s;
    rc = uv_queue_work(s->env->loop, &ds->work, docker_work, docker_after_work);
    if (rc < 0) {
        log_error("sink %s: cannot queue the file update: %s", s->name, uv_strerror(rc));
        free(ds->items);
        ds->items = NULL;
        return ECD_EIO;
    }
    return ECD_OK;
}

static void docker_cancel(struct sink *s)
{
    struct docker_state *ds = s->state;

    /* Succeeds only while the work is still queued; a write in progress finishes,
     * which is what we want: the file is never left half-written either way. */
    (void)uv_cancel((uv_req_t *)&ds->work);
}

static void docker_describe(const struct sink *s, struct buf *out)
{
    const struct docker_state *ds = s->state;

    /* A description cut short by the buffer's cap is still a description. */
    if (buf_printf(out, "docker config %s", ds->path))
        return;
}

static void docker_deinit(struct sink *s)
{
    struct docker_state *ds = s->state;

    free(ds->path);
    free(ds->items);
}

const struct sink_ops sink_docker_ops = {
    .type = "docker",
    .state_size = sizeof(struct docker_state),
    .configure = docker_configure,
    .push = docker_push,
    .cancel = docker_cancel,
    .describe = docker_describe,
    .deinit = docker_deinit,
};
