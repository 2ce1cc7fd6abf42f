/* SPDX-License-Identifier: MIT */
/* Plain or journald-prefixed lines on stderr; see log.h. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int log_max_prio = LOG_INFO;
static int log_to_journal;

static const char *const level_names[] = {
    [LOG_EMERG] = "emergency", [LOG_ALERT] = "alert",     [LOG_CRIT] = "critical",
    [LOG_ERR] = "error",       [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
    [LOG_INFO] = "info",       [LOG_DEBUG] = "debug",
};

/* systemd sets JOURNAL_STREAM=<dev>:<ino> for the stream it connects; a child
 * that inherited the variable but writes elsewhere must not emit prefixes. */
static int stderr_is_journal(void)
{
    const char *js = getenv("JOURNAL_STREAM");
    unsigned long long dev, ino;
    struct stat st;

    if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2)
        return 0;
    if (fstat(STDERR_FILENO, &st) < 0)
        return 0;
    return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void log_open(int max_prio)
{
    log_max_prio = max_prio;
    log_to_journal = stderr_is_journal();
}

void log_set_level(int max_prio)
{
    log_max_prio = max_prio;
}

int log_get_level(void)
{
    return log_max_prio;
}

int log_level_from_name(const char *name)
{
    if (!strcmp(name, "warn"))
        return LOG_WARNING;
    if (!strcmp(name, "err"))
        return LOG_ERR;
    for (int i = LOG_ERR; i <= LOG_DEBUG; i++)
        if (!strcmp(name, level_names[i]))
            return i;
    return -1;
}

void log_emit(int prio, const char *fmt, ...)
{
    char line[2048];
    va_list ap;
    int n;

    if (prio > log_max_prio)
        return;
    va_start(ap, fmt);
    n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    /* One message is one line: a newline inside (say, from a server's error text)
     * would forge a second entry, so it becomes a space. */
    for (char *p = line; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    if (log_to_journal)
        fprintf(stderr, "<%d>%s\n", prio, line);
    else
        fprintf(stderr, "ecr-credd: %s: %s\n", level_names[prio & 7], line);
}
