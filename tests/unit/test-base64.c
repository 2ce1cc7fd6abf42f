/* SPDX-License-Identifier: MIT */
/* base64: RFC 4648 section 10 vectors both ways, every byte value round trip, long
 * input across the internal chunk size, and every way decoding must refuse input. */
#include <string.h>

#include "base64.h"
#include "tap.h"

static void check_vector(const char *plain, const char *enc)
{
    struct buf b;

    buf_init(&b, 4096);
    tap_ok(base64_encode(plain, strlen(plain), &b) == ECD_OK, "encode \"%s\"", plain);
    tap_str_eq(buf_str(&b), enc, "encode \"%s\" -> \"%s\"", plain, enc);
    tap_ok(base64_encoded_len(strlen(plain)) == strlen(enc), "encoded_len(%zu)", strlen(plain));
    buf_reset(&b);
    tap_ok(base64_decode(enc, strlen(enc), &b) == ECD_OK, "decode \"%s\"", enc);
    tap_ok(b.len == strlen(plain) && strcmp(buf_str(&b), plain) == 0, "decode \"%s\" -> \"%s\"",
           enc, plain);
    buf_free(&b);
}

static void check_bad(const char *enc, const char *why)
{
    struct buf b;
    char shown[64];
    size_t i;

    /* Keep TAP lines on one line: show control and high bytes as '?'. */
    for (i = 0; enc[i] && i < sizeof(shown) - 1; i++)
        shown[i] = enc[i] >= ' ' && enc[i] < 0x7f ? enc[i] : '?';
    shown[i] = '\0';

    buf_init(&b, 4096);
    tap_ok(buf_append_str(&b, "x") == ECD_OK, "primed");
    tap_ok(base64_decode(enc, strlen(enc), &b) == ECD_EINVAL && b.len == 1 &&
               strcmp(buf_str(&b), "x") == 0,
           "refuse \"%s\" (%s), out untouched", shown, why);
    buf_free(&b);
}

int main(void)
{
    unsigned char all[256];
    unsigned char big[1000];
    struct buf enc, dec;
    size_t i;

    check_vector("", "");
    check_vector("f", "Zg==");
    check_vector("fo", "Zm8=");
    check_vector("foo", "Zm9v");
    check_vector("foob", "Zm9vYg==");
    check_vector("fooba", "Zm9vYmE=");
    check_vector("foobar", "Zm9vYmFy");
    /* The docker auth value for AWS:password. */
    check_vector("AWS:password", "QVdTOnBhc3N3b3Jk");

    for (i = 0; i < sizeof(all); i++)
        all[i] = (unsigned char)i;
    buf_init(&enc, 4096);
    buf_init(&dec, 4096);
    tap_ok(base64_encode(all, sizeof(all), &enc) == ECD_OK, "encode bytes 0..255");
    tap_ok(enc.len == base64_encoded_len(sizeof(all)), "length of bytes 0..255");
    tap_ok(strncmp(buf_str(&enc), "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g", 44) == 0,
           "start of bytes 0..255");
    tap_str_eq(buf_str(&enc) + enc.len - 8, "/P3+/w==", "end of bytes 0..255");
    tap_ok(base64_decode(enc.ptr, enc.len, &dec) == ECD_OK && dec.len == sizeof(all) &&
               memcmp(dec.ptr, all, sizeof(all)) == 0,
           "round trip bytes 0..255 (NUL and high bytes kept)");

    /* More than one internal chunk, with each tail length. */
    for (i = 0; i < sizeof(big); i++)
        big[i] = (unsigned char)(i * 7 + 3);
    for (i = 997; i <= 1000; i++) {
        buf_reset(&enc);
        buf_reset(&dec);
        tap_ok(base64_encode(big, i, &enc) == ECD_OK && enc.len == base64_encoded_len(i) &&
                   base64_decode(enc.ptr, enc.len, &dec) == ECD_OK && dec.len == i &&
                   memcmp(dec.ptr, big, i) == 0,
               "round trip %zu bytes", i);
    }

    /* Appends rather than replaces. */
    buf_reset(&dec);
    tap_ok(buf_append_str(&dec, "pre:") == ECD_OK && base64_decode("Zm9v", 4, &dec) == ECD_OK,
           "decode appends");
    tap_str_eq(buf_str(&dec), "pre:foo", "decode appends after existing content");

    /* The cap: nothing half-written stays behind. */
    buf_free(&dec);
    buf_init(&dec, 2);
    tap_ok(base64_decode("Zm9v", 4, &dec) == ECD_ENOMEM && dec.len == 0,
           "decode over the cap is ENOMEM, out empty");
    buf_free(&enc);
    buf_init(&enc, 7);
    tap_ok(base64_encode("foobar", 6, &enc) == ECD_ENOMEM && enc.len == 0,
           "encode over the cap is ENOMEM, out empty");
    buf_free(&enc);
    buf_free(&dec);
    tap_ok(base64_encoded_len((size_t)-1) == (size_t)-1, "encoded_len overflow is SIZE_MAX");

    check_bad("Zg", "not a multiple of 4");
    check_bad("Zg=", "not a multiple of 4");
    check_bad("Zm9vY", "not a multiple of 4");
    check_bad("Zg=a", "data after padding");
    check_bad("Z===", "three pad characters");
    check_bad("====", "only padding");
    check_bad("Zg==Zm9v", "padding before the end");
    check_bad("Zm9=Zm9v", "padding before the end");
    check_bad("Zm 9", "space");
    check_bad("Zm9v\n", "line break");
    check_bad("Zm9-", "URL-safe alphabet");
    check_bad("Zm9_", "URL-safe alphabet");
    check_bad("Zm*v", "invalid character");
    check_bad("Zm\x80v", "high byte");
    {
        struct buf b;

        buf_init(&b, 16);
        tap_ok(base64_decode("Zm\0v", 4, &b) == ECD_EINVAL && b.len == 0, "refuse an embedded NUL");
        buf_free(&b);
    }
    return tap_done();
}
