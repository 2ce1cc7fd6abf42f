/* SPDX-License-Identifier: MIT */
/* Running a helper program for what it prints (credential plugins): argv without a shell
 * under uv_spawn, stdin ignored; stdout collected up to a cap into memory that is wiped,
 * since it holds credentials, and never logged; stderr kept up to a cap, its lines logged
 * at a level the caller picks; the program killed (SIGKILL) when it runs past the
 * timeout, writes past the stdout cap or is cancelled.  Nothing is logged here but the
 * stderr lines: the result says how the run ended and the caller words the message.
 *
 * Async contract (STYLE 2.6): childproc_start() either returns an error and `done` is
 * never called, or returns ECD_OK and `done` is called exactly once, from the loop, once
 * every handle is closed (also when the spawn itself failed). */
#ifndef ECD_CHILDPROC_H
#define ECD_CHILDPROC_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "status.h"

struct childproc;

enum childproc_end {
    CHILDPROC_EXITED,    /* it ended by itself: term_signal, or exit_status when that is 0 */
    CHILDPROC_TIMED_OUT, /* killed after timeout_ms */
    CHILDPROC_OVERFLOW,  /* killed: more than stdout_max bytes on stdout */
    CHILDPROC_CANCELED,  /* killed by childproc_cancel() */
    CHILDPROC_NO_SPAWN,  /* uv_spawn failed (uv_error): the program never ran */
    CHILDPROC_NO_IO,     /* reading its pipes or arming the timer failed (uv_error); killed */
};

/* What childproc_result.err holds of stderr. */
enum childproc_err_summary {
    CHILDPROC_ERR_FIRST_LINE, /* the first non-empty line */
    CHILDPROC_ERR_ALL,        /* all that was kept, newlines as spaces */
};

struct childproc_opts {
    const char *file;              /* borrowed for the call; found as uv_spawn finds it */
    char **args;                   /* borrowed for the call; argv with args[0], NULL-ended */
    char **env;                    /* borrowed for the call; NULL: our environment */
    unsigned timeout_ms;           /* must not be 0 */
    size_t stdout_max;             /* more bytes than this is CHILDPROC_OVERFLOW */
    size_t stderr_keep;            /* bytes of stderr kept; the rest is dropped */
    int stderr_log_prio;           /* LOG_* each non-empty stderr line goes to; -1: none */
    const char *stderr_log_prefix; /* copied; lines are logged as "<prefix>: stderr: <line>" */
    enum childproc_err_summary err_summary;
};

/* Borrowed for the call to done. */
struct childproc_result {
    enum childproc_end end;
    int64_t exit_status; /* CHILDPROC_EXITED */
    int term_signal;     /* CHILDPROC_EXITED: the signal that ended it; 0 when none */
    int uv_error;        /* CHILDPROC_NO_SPAWN, CHILDPROC_NO_IO: a libuv error code */
    const char *out;     /* stdout, NUL-terminated, out_len bytes; wiped after done returns */
    size_t out_len;
    /* stderr as err_summary says, control characters made spaces; "(no output on
     * stderr)" when there is nothing to show (always so for NO_SPAWN and NO_IO). */
    const char *err;
};

typedef void childproc_done_fn(const struct childproc_result *res, void *ud);

/* *out (may be NULL) is valid until done is called.  ECD_ENOMEM is the only error. */
ECD_MUST_CHECK enum ecd_status childproc_start(uv_loop_t *loop, const struct childproc_opts *opts,
                                               childproc_done_fn *done, void *ud,
                                               struct childproc **out);
/* Kill the program; done then reports CHILDPROC_CANCELED.  Does nothing once the run has
 * ended and only the handles are closing; calling it after done is a bug. */
void childproc_cancel(struct childproc *c);

#endif
