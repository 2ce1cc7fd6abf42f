/* SPDX-License-Identifier: MIT */
/* Token sets: allocation, reference counting (valgrind/ASan check that the last unref
 * frees everything), and decoding docker "auth" values into user and password. */
#include <stdlib.h>
#include <string.h>

#include "secret.h"
#include "tap.h"
#include "token.h"

static enum ecd_status decode(const char *auth, char **user, struct secret *pw)
{
    struct registry_auth ra = {.host = NULL, .auth = {NULL, 0}, .expires_at = 0};
    enum ecd_status st;

    if (secret_set(&ra.auth, auth, strlen(auth)) != ECD_OK)
        return ECD_ENOMEM;
    st = registry_auth_decode(&ra, user, pw);
    secret_wipe(&ra.auth);
    return st;
}

static void test_set(void)
{
    struct token_set *ts = NULL, *again;
    size_t i;

    tap_ok(token_set_new(3, &ts) == ECD_OK && ts, "new set of 3");
    tap_ok(ts->refs == 1 && ts->n == 3, "one reference, three entries");
    tap_ok(ts->items[0].host == NULL && ts->items[2].auth.ptr == NULL &&
               ts->items[1].expires_at == 0,
           "entries start zeroed");
    for (i = 0; i < ts->n; i++) {
        char host[64];

        snprintf(host, sizeof(host), "%012zu.dkr.ecr.eu-west-1.amazonaws.com", i);
        ts->items[i].host = strdup(host);
        if (secret_set(&ts->items[i].auth, "QVdTOnBhc3N3b3Jk", 16) != ECD_OK)
            return;
        ts->items[i].expires_at = 1738598491.5;
    }
    again = token_set_ref(ts);
    tap_ok(again == ts && ts->refs == 2, "ref returns the set and counts");
    token_set_unref(ts);
    tap_ok(again->refs == 1 && again->items[2].host != NULL, "first unref keeps the set");
    token_set_unref(again); /* frees; leaks would show under valgrind */
    token_set_unref(NULL);
    tap_ok(1, "unref NULL is a no-op");
    tap_ok(token_set_ref(NULL) == NULL, "ref NULL is NULL");

    ts = NULL;
    tap_ok(token_set_new(0, &ts) == ECD_OK && ts && ts->n == 0 && ts->refs == 1,
           "empty set allowed");
    token_set_unref(ts);
    ts = (struct token_set *)&ts;
    tap_ok(token_set_new((size_t)-1 / 2, &ts) == ECD_ENOMEM && ts == NULL,
           "absurd size is ENOMEM and *out is NULL");
}

static void test_decode(void)
{
    struct secret pw = {NULL, 0};
    struct registry_auth unset = {NULL, {NULL, 0}, 0};
    char *user = NULL;

    /* base64("AWS:password") */
    tap_ok(decode("QVdTOnBhc3N3b3Jk", &user, &pw) == ECD_OK, "decode AWS:password");
    tap_str_eq(user, "AWS", "user name");
    tap_str_eq(pw.ptr, "password", "password");
    tap_ok(pw.len == 8, "password length");
    free(user);
    user = NULL;

    /* base64("AWS:a:b=c") - split at the first ':' only */
    tap_ok(decode("QVdTOmE6Yj1j", &user, &pw) == ECD_OK, "decode AWS:a:b=c");
    tap_str_eq(user, "AWS", "user before the first colon");
    tap_str_eq(pw.ptr, "a:b=c", "password keeps later colons");
    free(user);
    user = NULL;

    /* base64(":") - empty user and password are still well-formed */
    tap_ok(decode("Og==", &user, &pw) == ECD_OK, "decode \":\"");
    tap_ok(user && user[0] == '\0' && pw.ptr && pw.len == 0, "empty user and password");
    free(user);
    user = NULL;
    secret_wipe(&pw);

    tap_ok(decode("QVdTcGFzc3dvcmQ=", &user, &pw) == ECD_EPROTO && user == NULL && !pw.ptr,
           "no colon is EPROTO"); /* base64("AWSpassword") */
    tap_ok(decode("QVdTOnBhc3N3b3Jk\n", &user, &pw) == ECD_EPROTO && user == NULL,
           "trailing newline is EPROTO");
    tap_ok(decode("not base64!", &user, &pw) == ECD_EPROTO && user == NULL, "garbage is EPROTO");
    tap_ok(decode("QVdTOgBw", &user, &pw) == ECD_EPROTO && user == NULL,
           "embedded NUL is EPROTO"); /* "AWS:\0p" */
    tap_ok(decode("", &user, &pw) == ECD_EPROTO && user == NULL, "empty value is EPROTO");
    tap_ok(registry_auth_decode(&unset, &user, &pw) == ECD_EINVAL, "unset auth is EINVAL");
    secret_wipe(&pw);
}

int main(void)
{
    test_set();
    test_decode();
    return tap_done();
}
