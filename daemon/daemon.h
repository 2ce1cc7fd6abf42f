/* SPDX-License-Identifier: MIT */
/* The long-running daemon: one libuv loop that refreshes every fetch group shortly
 * before its token expires, pushes new tokens to every sink, retries failures with
 * backoff without ever touching the credentials already in the sinks, reloads on
 * SIGHUP, stops cleanly on SIGTERM/SIGINT, and reports to systemd (notify.h). */
#ifndef ECD_DAEMON_H
#define ECD_DAEMON_H

#include "config.h"

/* Run until SIGTERM/SIGINT; returns the process exit code (exitcode.h).  cfg is taken.
 * config_path (borrowed) is what SIGHUP re-reads; NULL means the zero-config default. */
int daemon_run(struct config *cfg, const char *config_path, const char *(*getenv_fn)(const char *));

/* hold 1: block SIGTERM, SIGINT and SIGHUP (main() does so first thing: as a container's
 * PID 1 the daemon would otherwise lose a SIGTERM sent before its handlers exist, since
 * the kernel drops signals that PID 1 does not handle); hold 0: unblock them, which
 * delivers any that arrived meanwhile (daemon_run once its handlers are in place, or
 * --once and --check, which keep the default actions). */
void daemon_hold_stop_signals(int hold);

#endif
