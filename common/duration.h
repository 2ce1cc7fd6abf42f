/* SPDX-License-Identifier: MIT */
/* Durations as people write them in the config: "90s", "5m", "6h", "2d", "250ms",
 * "1h30m", converted to milliseconds.
 *
 * Grammar: one or more <digits><unit> groups with no spaces or signs, units
 * ms, s, m, h, d (lower case), each unit at most once and from the largest down
 * ("1h30m", not "30m1h" or "1m1m"), so a typo is an error rather than a surprise.
 * Fractions ("1.5h") are not accepted: write "1h30m".  "0" alone needs no unit.
 * Values above DURATION_MAX_MS are rejected, which also keeps sums of a few
 * durations and an epoch time in milliseconds far from int64 overflow. */
#ifndef ECD_DURATION_H
#define ECD_DURATION_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

#define DURATION_MAX_MS ((int64_t)3650 * 24 * 60 * 60 * 1000) /* 3650 days */

/* Parse the NUL-terminated s.  On failure returns ECD_EINVAL and, when why is not
 * NULL, points it at a static phrase for the message ("unknown unit", "negative",
 * "too large", ...); *out_ms is then untouched. */
ECD_MUST_CHECK enum ecd_status duration_parse(const char *s, int64_t *out_ms, const char **why);

/* A JSON number in a duration's place counts as whole seconds (5 means "5s"):
 * seconds is the unit every duration ends in, and the number must be a
 * non-negative integer, so "0.5" or 1e-3 cannot be read as milliseconds by
 * mistake.  Failures as for duration_parse ("not a whole number of seconds"). */
ECD_MUST_CHECK enum ecd_status duration_from_seconds(double seconds, int64_t *out_ms,
                                                     const char **why);

/* Write ms in the same notation ("1h30m", "250ms", "0s"; a leading '-' when
 * negative) into dst (n bytes, truncated to fit; DURATION_FORMAT_MAX is enough).
 * For any ms in [0, DURATION_MAX_MS], duration_parse() reads the result back
 * unchanged. */
#define DURATION_FORMAT_MAX 48
void duration_format(int64_t ms, char *dst, size_t n);

#endif
