/* SPDX-License-Identifier: MIT */
/* The sink interface: a sink stores registry credentials somewhere a container
 * runtime reads them (docker config.json, a Kubernetes secret, Rancher).  Each sink
 * is one file in sinks/ exporting one const struct sink_ops; meson generates the
 * table of built sinks (sink-list.h), so adding a sink touches only its own file,
 * one `choices` entry in meson_options.txt, and its tests.
 *
 * push() follows the async contract (STYLE 2.6): an error return means done is never
 * called; ECD_OK means done is called exactly once, later, from the loop.  The core
 * keeps the token sets referenced until done runs.  A sink logs its own failures
 * (once, with its name and what went wrong); the core only counts them. */
#ifndef ECD_SINK_H
#define ECD_SINK_H

#include <stddef.h>
#include <uv.h>

#include "buf.h"
#include "config.h"
#include "status.h"
#include "token.h"

struct http_client;
struct sink;

/* How the program runs: a sink with background work (watches, leases) starts it
 * only in the daemon; --once pushes and ends; --check pushes nothing. */
enum sink_mode {
    SINK_MODE_DAEMON,
    SINK_MODE_ONCE,
    SINK_MODE_CHECK,
};

/* What sinks may use; borrowed from the daemon, outlives every sink. */
struct sink_env {
    uv_loop_t *loop;
    struct http_client *http;
    const char *(*getenv_fn)(const char *name);
    enum sink_mode mode;
};

typedef void sink_done_fn(struct sink *s, enum ecd_status st, void *ud);

struct sink_ops {
    const char *type;  /* the config "type" */
    size_t state_size; /* the core allocates and zeroes s->state */
    /* Validate and copy this instance's settings; log problems with cs->where. */
    enum ecd_status (*configure)(struct sink *s, const struct config_sink *cs);
    /* Store every entry of sets[0..n) (one write per push where the medium allows). */
    enum ecd_status (*push)(struct sink *s, struct token_set *const *sets, size_t n,
                            sink_done_fn *done, void *ud);
    /* Optional: end a pending push early; done still runs once (ECD_ECANCELED). */
    void (*cancel)(struct sink *s);
    /* One line for --check and logs: "docker config /root/.docker/config.json". */
    void (*describe)(const struct sink *s, struct buf *out);
    /* Release what configure/push left in s->state (never called while a push runs). */
    void (*deinit)(struct sink *s);
    /* Optional: the daemon is stopping; finish what must still go out (a Lease
     * release, so another replica takes over at once) and call done once, from the
     * loop, within a few seconds.  The core keeps the loop and HTTP client until then.
     * An error return (nothing to finish) means done is never called. */
    enum ecd_status (*stop)(struct sink *s, sink_done_fn *done, void *ud);
    /* 1: in SINK_MODE_CHECK, push() with no sets is a dry run that proves the sink can
     * reach and write its destination (server-side dryRun, read-only look-ups) and
     * writes nothing; --check runs it.  0: --check only describes the sink. */
    int dry_run;
};

struct sink {
    const struct sink_ops *ops; /* borrowed: static table */
    char *name;                 /* owned */
    const struct sink_env *env; /* borrowed */
    void *state;                /* owned by the core, contents by the sink */
};

/* Look up cs->type among the built sinks and configure an instance. */
ECD_MUST_CHECK enum ecd_status sink_new(const struct config_sink *cs, const struct sink_env *env,
                                        struct sink **out);
void sink_free(struct sink *s); /* NULL is fine; not while a push is pending */
/* Comma-separated names of the built sink types, for messages and --version. */
const char *sink_types(void);

#endif
