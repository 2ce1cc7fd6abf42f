/* SPDX-License-Identifier: MIT */
/* duration.c: the accepted notation, every rejection reason, numbers as seconds,
 * and formatting that parses back to the same value. */
#include <math.h>
#include <stdint.h>

#include "duration.h"
#include "tap.h"

static void good(const char *s, int64_t want)
{
    int64_t got = -1;
    const char *why = NULL;
    enum ecd_status st = duration_parse(s, &got, &why);

    if (!tap_ok(st == ECD_OK && got == want, "\"%s\" is %lld ms", s, (long long)want))
        tap_diag("status %d, got %lld, why %s", st, (long long)got, why ? why : "-");
}

static void bad(const char *s, const char *want_why)
{
    int64_t got = 12345;
    const char *why = NULL;
    enum ecd_status st = duration_parse(s, &got, &why);

    tap_ok(st == ECD_EINVAL && got == 12345, "\"%s\" rejected, output untouched", s);
    tap_str_eq(why, want_why, "\"%s\": %s", s, want_why);
}

static void seconds(double v, enum ecd_status want_st, int64_t want_ms, const char *want_why)
{
    int64_t got = -1;
    const char *why = NULL;
    enum ecd_status st = duration_from_seconds(v, &got, &why);

    if (want_st == ECD_OK)
        tap_ok(st == ECD_OK && got == want_ms, "number %g is %lld ms", v, (long long)want_ms);
    else
        tap_ok(st == want_st && why && !strcmp(why, want_why), "number %g rejected: %s", v,
               want_why);
}

static void fmt(int64_t ms, const char *want)
{
    char out[DURATION_FORMAT_MAX];
    int64_t back = -1;

    duration_format(ms, out, sizeof(out));
    tap_str_eq(out, want, "%lld ms formats as %s", (long long)ms, want);
    if (ms >= 0)
        tap_ok(duration_parse(out, &back, NULL) == ECD_OK && back == ms, "%s parses back", out);
}

int main(void)
{
    const char *unit = "unknown unit (use ms, s, m, h or d)";
    const char *order = "units repeated or out of order (write 1h30m, not 30m1h)";
    char small[4];

    good("90s", 90000);
    good("5m", 300000);
    good("6h", 21600000);
    good("1h30m", 5400000);
    good("250ms", 250);
    good("2d", 172800000);
    good("1d2h3m4s5ms", 93784005);
    good("0", 0);
    good("000", 0);
    good("0s", 0);
    good("1m0s", 60000);
    good("007s", 7000);
    good("3650d", DURATION_MAX_MS);
    good("87600h", DURATION_MAX_MS);

    bad("", "empty");
    bad("-5s", "negative");
    bad("+5s", "expected a number before each unit");
    bad("s", "expected a number before each unit");
    bad("5", "missing unit (use ms, s, m, h or d)");
    bad("1h30", "missing unit (use ms, s, m, h or d)");
    bad("5x", unit);
    bad("5S", unit);
    bad("5sec", unit);
    bad("5us", unit);
    bad("1.5h", "fractions are not supported (write 1h30m, not 1.5h)");
    bad("5 s", "unexpected character (no spaces or signs)");
    bad(" 5s", "expected a number before each unit");
    bad("5s ", "expected a number before each unit");
    bad("30m1h", order);
    bad("1m1m", order);
    bad("1s1ms1s", order);
    bad("3651d", "too large");
    bad("3650d1ms", "too large");
    bad("87601h", "too large");
    bad("9223372036854775807ms", "too large");
    bad("99999999999999999999999999999s", "too large");
    bad("18446744073709551617s", "too large");
    tap_ok(duration_parse(NULL, &(int64_t){0}, NULL) == ECD_EINVAL, "NULL is rejected");

    seconds(0, ECD_OK, 0, NULL);
    seconds(300, ECD_OK, 300000, NULL);
    seconds(315360000, ECD_OK, DURATION_MAX_MS, NULL);
    seconds(315360001, ECD_EINVAL, 0, "too large");
    seconds(1e300, ECD_EINVAL, 0, "too large");
    seconds(-1, ECD_EINVAL, 0, "negative");
    seconds(0.5, ECD_EINVAL, 0, "not a whole number of seconds");
    seconds(1e-3, ECD_EINVAL, 0, "not a whole number of seconds");
    seconds(HUGE_VAL, ECD_EINVAL, 0, "too large");
    seconds(NAN, ECD_EINVAL, 0, "not a number");

    fmt(0, "0s");
    fmt(250, "250ms");
    fmt(1500, "1s500ms");
    fmt(90000, "1m30s");
    fmt(5400000, "1h30m");
    fmt(172800000, "2d");
    fmt(93784005, "1d2h3m4s5ms");
    fmt(DURATION_MAX_MS, "3650d");
    fmt(-90000, "-1m30s");
    fmt(INT64_MIN, "-106751991167d7h12m55s808ms");
    duration_format(5400000, small, sizeof(small));
    tap_str_eq(small, "1h3", "formatting truncates to the buffer");

    return tap_done();
}
