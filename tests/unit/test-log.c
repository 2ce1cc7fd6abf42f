/* SPDX-License-Identifier: MIT */
/* common/log.c: level filter, level names, one line per message, journald prefixes
 * only when JOURNAL_STREAM names stderr. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "capture.h"
#include "tap.h"

static void emit_levels(void)
{
    log_open(LOG_WARNING);
    log_error("first %d", 1);
    log_warn("second");
    log_info("hidden");
    log_debug("hidden too");
}

static void emit_newlines(void)
{
    log_open(LOG_INFO);
    log_error("server said: %s", "line one\nerror: forged\r");
}

static void emit_journal(void)
{
    struct stat st;
    char v[64];

    fstat(STDERR_FILENO, &st);
    snprintf(v, sizeof(v), "%llu:%llu", (unsigned long long)st.st_dev,
             (unsigned long long)st.st_ino);
    setenv("JOURNAL_STREAM", v, 1);
    log_open(LOG_INFO);
    log_warn("to the journal");
    setenv("JOURNAL_STREAM", "1:2", 1);
    log_open(LOG_INFO);
    log_warn("not the journal");
    unsetenv("JOURNAL_STREAM");
}

int main(void)
{
    tap_str_eq(capture(emit_levels), "ecr-credd: error: first 1\necr-credd: warning: second\n",
               "messages above the threshold only, with level names");
    tap_str_eq(capture(emit_newlines), "ecr-credd: error: server said: line one error: forged \n",
               "newlines inside a message cannot forge a second line");
    tap_str_eq(capture(emit_journal), "<4>to the journal\necr-credd: warning: not the journal\n",
               "journald prefix only when JOURNAL_STREAM matches stderr");
    tap_ok(log_level_from_name("debug") == LOG_DEBUG, "debug level name");
    tap_ok(log_level_from_name("warning") == LOG_WARNING, "warning level name");
    tap_ok(log_level_from_name("warn") == LOG_WARNING, "warn alias");
    tap_ok(log_level_from_name("loud") == -1, "unknown level name");
    return tap_done();
}
