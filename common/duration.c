/* SPDX-License-Identifier: MIT */
/* Duration strings to milliseconds and back; see duration.h. */
#include "duration.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

struct unit {
    const char *name;
    int64_t ms;
};

/* Largest first: a string's units must appear in this order. */
static const struct unit units[] = {
    {"d", 24 * 60 * 60 * 1000}, {"h", 60 * 60 * 1000}, {"m", 60 * 1000}, {"s", 1000}, {"ms", 1},
};

#define N_UNITS (sizeof(units) / sizeof(units[0]))

static enum ecd_status reject(const char **why, const char *text)
{
    if (why)
        *why = text;
    return ECD_EINVAL;
}

enum ecd_status duration_parse(const char *s, int64_t *out_ms, const char **why)
{
    const char *p = s;
    int64_t total = 0;
    size_t next_unit = 0; /* units before this index are used up */

    if (!s || !*s)
        return reject(why, "empty");
    if (*p == '-')
        return reject(why, "negative");
    while (*p) {
        const char *name;
        size_t name_len, u;
        uint64_t n = 0;

        if (*p < '0' || *p > '9')
            return reject(why, "expected a number before each unit");
        for (; *p >= '0' && *p <= '9'; p++) {
            n = n * 10 + (uint64_t)(*p - '0');
            /* Checked per digit: n stays below DURATION_MAX_MS * 10 + 9, far from
             * wrapping, however many digits follow. */
            if (n > (uint64_t)DURATION_MAX_MS)
                return reject(why, "too large");
        }
        name = p;
        while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))
            p++;
        name_len = (size_t)(p - name);
        if (!name_len) {
            if (*p == '.')
                return reject(why, "fractions are not supported (write 1h30m, not 1.5h)");
            if (name == s + strspn(s, "0") && !*p && n == 0)
                break; /* "0" */
            if (*p)
                return reject(why, "unexpected character (no spaces or signs)");
            return reject(why, "missing unit (use ms, s, m, h or d)");
        }
        for (u = 0; u < N_UNITS; u++)
            if (strlen(units[u].name) == name_len && !memcmp(units[u].name, name, name_len))
                break;
        if (u == N_UNITS)
            return reject(why, "unknown unit (use ms, s, m, h or d)");
        if (u < next_unit)
            return reject(why, "units repeated or out of order (write 1h30m, not 30m1h)");
        next_unit = u + 1;
        if (n > (uint64_t)((DURATION_MAX_MS - total) / units[u].ms))
            return reject(why, "too large");
        total += (int64_t)n * units[u].ms;
    }
    *out_ms = total;
    return ECD_OK;
}

enum ecd_status duration_from_seconds(double seconds, int64_t *out_ms, const char **why)
{
    if (isnan(seconds))
        return reject(why, "not a number");
    if (seconds < 0)
        return reject(why, "negative");
    if (seconds != floor(seconds))
        return reject(why, "not a whole number of seconds");
    if (seconds > (double)(DURATION_MAX_MS / 1000))
        return reject(why, "too large");
    *out_ms = (int64_t)seconds * 1000;
    return ECD_OK;
}

void duration_format(int64_t ms, char *dst, size_t n)
{
    uint64_t left;
    size_t used = 0;

    if (!n)
        return;
    dst[0] = '\0';
    if (ms < 0) {
        snprintf(dst, n, "-");
        used = 1;
        left = (uint64_t)0 - (uint64_t)ms; /* well defined for INT64_MIN too */
    } else {
        left = (uint64_t)ms;
    }
    if (!left) {
        snprintf(dst + used, n - used, "0s");
        return;
    }
    for (size_t u = 0; u < N_UNITS && used < n - 1; u++) {
        uint64_t q = left / (uint64_t)units[u].ms;
        int w;

        if (!q)
            continue;
        left -= q * (uint64_t)units[u].ms;
        w = snprintf(dst + used, n - used, "%llu%s", (unsigned long long)q, units[u].name);
        if (w < 0)
            return;
        used += (size_t)w < n - used ? (size_t)w : n - used - 1;
    }
}
