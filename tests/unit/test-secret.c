/* SPDX-License-Identifier: MIT */
/* common/secret.c: set, copy, adopt, compare, wipe. */
#include <stdlib.h>
#include <string.h>

#include "secret.h"
#include "tap.h"

int main(void)
{
    struct secret a = {0}, b = {0};
    char *raw;

    tap_ok(!secret_is_set(&a), "a zeroed secret is unset");
    tap_ok(secret_set(&a, "topsecretXXX", 9) == ECD_OK, "set from a prefix");
    tap_ok(a.len == 9 && !strcmp(a.ptr, "topsecret"), "value is the prefix, NUL-terminated");
    tap_ok(secret_copy(&b, &a) == ECD_OK && b.ptr != a.ptr && secret_equal(&a, &b),
           "copy is equal and separate");
    tap_ok(secret_set(&b, "topsecreT", 9) == ECD_OK && !secret_equal(&a, &b),
           "same length, different content: not equal");
    tap_ok(secret_set(&b, "topsecre", 8) == ECD_OK && !secret_equal(&a, &b),
           "different length: not equal");
    raw = strdup("adopted");
    secret_adopt(&b, raw, strlen(raw));
    tap_ok(b.ptr == raw && b.len == 7, "adopt takes the pointer");
    secret_wipe(&b);
    tap_ok(!secret_is_set(&b) && b.len == 0, "wipe unsets");
    tap_ok(!secret_equal(&a, &b), "set and unset are not equal");
    secret_wipe(&a);
    tap_ok(secret_equal(&a, &b), "two unset secrets are equal");
    tap_ok(secret_copy(&a, &b) == ECD_OK && !secret_is_set(&a), "copying an unset secret unsets");
    tap_ok(secret_set(&a, "", 0) == ECD_OK && secret_is_set(&a) && a.len == 0,
           "an empty secret is set");
    secret_wipe(&a);
    secret_wipe(&a);
    tap_ok(1, "wipe twice is harmless");
    return tap_done();
}
