/* SPDX-License-Identifier: MIT */
/* common/buf.c: appends, the cap, printf, steal, wipe. */
#include <string.h>

#include "buf.h"
#include "tap.h"

int main(void)
{
    struct buf b;
    char *s = NULL;

    buf_init(&b, 16);
    tap_str_eq(buf_str(&b), "", "empty buffer reads as \"\"");
    tap_ok(buf_append_str(&b, "hello") == ECD_OK && b.len == 5, "append within the cap");
    tap_ok(buf_printf(&b, " %d%s", 42, "!") == ECD_OK, "printf appends");
    tap_str_eq(buf_str(&b), "hello 42!", "content after printf");
    tap_ok(buf_append_str(&b, "1234567") == ECD_OK && b.len == 16, "append up to exactly the cap");
    tap_ok(buf_append(&b, "x", 1) == ECD_ENOMEM, "one byte past the cap is refused");
    tap_ok(b.len == 16 && b.ptr[16] == '\0', "a refused append leaves the content as it was");
    tap_ok(buf_printf(&b, "%s", "y") == ECD_ENOMEM, "printf past the cap is refused");
    buf_reset(&b);
    tap_ok(b.len == 0 && !strcmp(buf_str(&b), ""), "reset empties the buffer");
    tap_ok(buf_append(&b, "a\0b", 3) == ECD_OK && b.len == 3 && b.ptr[1] == '\0',
           "binary data with NUL bytes is kept");
    tap_ok(buf_steal(&b, &s) == ECD_OK && s && !memcmp(s, "a\0b", 4),
           "steal hands over the storage");
    tap_ok(b.ptr == NULL && b.len == 0, "steal leaves the buffer empty");
    free(s);
    tap_ok(buf_steal(&b, &s) == ECD_OK && s && !strcmp(s, ""),
           "steal of an empty buffer gives \"\"");
    free(s);
    buf_free(&b);

    /* Growth across many reallocations keeps the content. */
    buf_init(&b, 1 << 20);
    for (int i = 0; i < 1000; i++)
        if (buf_printf(&b, "%03d,", i % 1000))
            break;
    tap_ok(b.len == 4000 && !strncmp(b.ptr + 3996, "999,", 4), "growth keeps every byte");
    buf_wipe(&b);
    tap_ok(b.ptr == NULL && b.len == 0 && b.cap == 0, "wipe frees and resets");
    tap_ok(buf_append_str(&b, "again") == ECD_OK && !strcmp(buf_str(&b), "again"),
           "a wiped buffer is reusable");
    buf_free(&b);

    buf_init(&b, 0);
    tap_ok(buf_append(&b, "", 0) == ECD_OK, "empty append to a zero-cap buffer succeeds");
    tap_ok(buf_append(&b, "z", 1) == ECD_ENOMEM, "zero-cap buffer refuses data");
    buf_free(&b);
    return tap_done();
}
