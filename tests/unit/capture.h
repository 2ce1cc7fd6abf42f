/* SPDX-License-Identifier: MIT */
/* stderr capture for the C unit tests: log.c writes one line per message to fd 2, so
 * a test redirects fd 2 to an unnamed temp file around a call and compares what was
 * written.  Either bracket the call:
 *     capture_begin();
 *     st = config_load_file(path, &c);
 *     err = capture_end();
 * or hand over a function: out = capture(emit).  One capture at a time: they do not
 * nest.  Like tap.h, include it from one test file only (the state is file-static). */
#ifndef ECD_CAPTURE_H
#define ECD_CAPTURE_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char capture_text[8192]; /* what the last capture_end() read */
static int capture_saved_fd = -1;
static FILE *capture_file;

/* Send fd 2 to a fresh temp file (what stdio buffered so far goes out first).  A test
 * that cannot capture cannot run: it bails out. */
static inline void capture_begin(void)
{
    fflush(stderr);
    capture_file = tmpfile();
    capture_saved_fd = capture_file ? dup(STDERR_FILENO) : -1;
    if (capture_saved_fd < 0 || dup2(fileno(capture_file), STDERR_FILENO) < 0) {
        printf("Bail out! cannot capture stderr: %s\n", strerror(errno));
        exit(2);
    }
}

/* Put fd 2 back and return what was written since capture_begin(), as a string in a
 * static buffer (cut at 8191 bytes) that the next capture_end() overwrites. */
static inline const char *capture_end(void)
{
    size_t n;

    fflush(stderr);
    dup2(capture_saved_fd, STDERR_FILENO);
    close(capture_saved_fd);
    capture_saved_fd = -1;
    rewind(capture_file);
    n = fread(capture_text, 1, sizeof(capture_text) - 1, capture_file);
    capture_text[n] = '\0';
    fclose(capture_file);
    capture_file = NULL;
    return capture_text;
}

/* Run fn with stderr captured; what it wrote, as capture_end() returns it. */
static inline const char *capture(void (*fn)(void))
{
    capture_begin();
    fn();
    return capture_end();
}

#endif
