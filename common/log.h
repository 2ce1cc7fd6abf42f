/* SPDX-License-Identifier: MIT */
/* Logging: one line per message on stderr.  When stderr is connected to the journal
 * (JOURNAL_STREAM names stderr's device and inode) each line starts with a "<N>"
 * priority prefix that journald turns into the entry's PRIORITY; otherwise it starts
 * with the level name, for containers and cron mail.  Never pass a secret: the
 * secret type (secret.h) cannot be formatted with %s. */
#ifndef ECD_LOG_H
#define ECD_LOG_H

#include <syslog.h>

/* Set the threshold (LOG_ERR..LOG_DEBUG) and decide between journal and plain
 * output.  Safe to call again (e.g. after --log-level). */
void log_open(int max_prio);
void log_set_level(int max_prio);
int log_get_level(void);
/* Parse "error", "warning", "notice", "info", "debug"; -1 when unknown. */
int log_level_from_name(const char *name);

void log_emit(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...)  log_emit(LOG_ERR, __VA_ARGS__)
#define log_warn(...)   log_emit(LOG_WARNING, __VA_ARGS__)
#define log_notice(...) log_emit(LOG_NOTICE, __VA_ARGS__)
#define log_info(...)   log_emit(LOG_INFO, __VA_ARGS__)
#define log_debug(...)  log_emit(LOG_DEBUG, __VA_ARGS__)

#endif
