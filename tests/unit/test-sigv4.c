/* SPDX-License-Identifier: MIT */
/* SigV4 and crypto: the worked ECR vector of protocols.md 2.3 stage by stage (with and
 * without a session token), the derived-key vector from the AWS docs, and the
 * canonicalisation rules of 2.2 on inputs the official suite does not cover. */
#include <openssl/crypto.h>
#include <string.h>

#include "crypto.h"
#include "secret.h"
#include "sigv4.h"
#include "tap.h"

#define SECRET_KEY "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define ECR_HOST   "api.ecr.us-east-1.amazonaws.com"
#define ECR_TARGET "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken"
#define ECR_DATE   "20240115T120000Z"
#define TOKEN      "FQoGZXIvYXdzEXAMPLETOKEN"
#define TOKEN_BODY "{\"registryIds\": [\"123456789012\"]}"

static struct secret secret_key;

static struct sigv4_params ecr_params(void)
{
    struct sigv4_params p = {
        .region = "us-east-1",
        .service = "ecr",
        .access_key_id = "AKIDEXAMPLE",
        .secret_key = &secret_key,
        .normalize_path = 1,
    };
    return p;
}

static void test_crypto(void)
{
    unsigned char md[CRYPTO_SHA256_LEN];
    char hex[CRYPTO_SHA256_HEX_LEN + 1];

    tap_ok(crypto_sha256_hex(NULL, 0, hex) == ECD_OK, "sha256 of nothing");
    tap_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
               "sha256 empty");
    tap_ok(crypto_sha256_hex("{}", 2, hex) == ECD_OK, "sha256 of {}");
    tap_str_eq(hex, "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
               "sha256 {} (protocols.md 2.1)");
    tap_ok(crypto_sha256_hex("abc", 3, hex) == ECD_OK, "sha256 of abc");
    tap_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
               "sha256 abc (FIPS 180-2)");
    /* RFC 4231 test case 2 */
    tap_ok(crypto_hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, md) == ECD_OK,
           "hmac runs");
    crypto_hex(md, sizeof(md), hex);
    tap_str_eq(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
               "hmac-sha256 RFC 4231 case 2");
}

static void test_format_date(void)
{
    char d[SIGV4_DATE_LEN + 1];

    tap_ok(sigv4_format_date(1705320000, d) == ECD_OK, "format_date ok");
    tap_str_eq(d, ECR_DATE, "format_date 2024-01-15 12:00:00");
    tap_ok(sigv4_format_date(1440938160, d) == ECD_OK, "format_date ok");
    tap_str_eq(d, "20150830T123600Z", "format_date suite timestamp");
    tap_ok(sigv4_format_date(0, d) == ECD_OK, "format_date epoch");
    tap_str_eq(d, "19700101T000000Z", "format_date epoch value");
}

static void test_ecr_vector(void)
{
    /* Out of order and with an unsigned User-Agent, to show both are handled. */
    const struct sigv4_header hdrs[] = {
        {"X-Amz-Target", ECR_TARGET}, {"User-Agent", "ecr-credd/0.1"},
        {"Host", ECR_HOST},           {"Content-Type", "application/x-amz-json-1.1"},
        {"X-Amz-Date", ECR_DATE},
    };
    struct sigv4_request req = {
        .method = "POST",
        .path = "/",
        .query = NULL,
        .headers = hdrs,
        .n_headers = sizeof(hdrs) / sizeof(hdrs[0]),
        .body = "{}",
        .body_len = 2,
    };
    struct sigv4_params p = ecr_params();
    struct buf b;
    unsigned char key[CRYPTO_SHA256_LEN];
    char hex[CRYPTO_SHA256_HEX_LEN + 1];
    const char *nl;

    buf_init(&b, 65536);
    tap_ok(sigv4_canonical_request(&req, &p, &b) == ECD_OK, "ecr: canonical request built");
    tap_str_eq(buf_str(&b),
               "POST\n/\n\n"
               "content-type:application/x-amz-json-1.1\n"
               "host:" ECR_HOST "\n"
               "x-amz-date:" ECR_DATE "\n"
               "x-amz-target:" ECR_TARGET "\n\n"
               "content-type;host;x-amz-date;x-amz-target\n"
               "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
               "ecr: canonical request");
    buf_reset(&b);
    tap_ok(sigv4_string_to_sign(&req, &p, &b) == ECD_OK, "ecr: string to sign built");
    nl = strrchr(buf_str(&b), '\n');
    tap_str_eq(nl ? nl + 1 : NULL,
               "33b70cb77dfe9ef289fc06fd891d236a28fc788d6d2f2e6af9cf2780c444eb73",
               "ecr: string-to-sign hash line");
    tap_str_eq(buf_str(&b),
               "AWS4-HMAC-SHA256\n" ECR_DATE "\n20240115/us-east-1/ecr/aws4_request\n"
               "33b70cb77dfe9ef289fc06fd891d236a28fc788d6d2f2e6af9cf2780c444eb73",
               "ecr: whole string to sign");
    tap_ok(sigv4_signing_key(&secret_key, "20240115", "us-east-1", "ecr", key) == ECD_OK,
           "ecr: signing key derived");
    crypto_hex(key, sizeof(key), hex);
    OPENSSL_cleanse(key, sizeof(key));
    tap_str_eq(hex, "17db6c3c8936cbb5ddb27a77e8333a6d6cac1db5ef78ec7ed673a699d2e60db9",
               "ecr: signing key");
    tap_ok(sigv4_signature(&req, &p, hex) == ECD_OK, "ecr: signature computed");
    tap_str_eq(hex, "73bab2a80c43a44bc8962835bd46bdae3603dc6a79522be9d7201bb5a995724d",
               "ecr: signature");
    buf_reset(&b);
    tap_ok(sigv4_authorization(&req, &p, &b) == ECD_OK, "ecr: authorization built");
    tap_str_eq(buf_str(&b),
               "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240115/us-east-1/ecr/aws4_request, "
               "SignedHeaders=content-type;host;x-amz-date;x-amz-target, "
               "Signature=73bab2a80c43a44bc8962835bd46bdae3603dc6a79522be9d7201bb5a995724d",
               "ecr: Authorization value");
    buf_wipe(&b);
}

static void test_ecr_token_vector(void)
{
    const struct sigv4_header hdrs[] = {
        {"Content-Type", "application/x-amz-json-1.1"},
        {"Host", ECR_HOST},
        {"X-Amz-Date", ECR_DATE},
        {"X-Amz-Security-Token", TOKEN},
        {"X-Amz-Target", ECR_TARGET},
    };
    struct sigv4_request req = {
        .method = "POST",
        .path = "/",
        .headers = hdrs,
        .n_headers = sizeof(hdrs) / sizeof(hdrs[0]),
        .body = TOKEN_BODY,
        .body_len = sizeof(TOKEN_BODY) - 1,
    };
    struct sigv4_params p = ecr_params();
    struct buf b;
    char hex[CRYPTO_SHA256_HEX_LEN + 1];
    const char *nl;

    buf_init(&b, 65536);
    tap_ok(sigv4_canonical_request(&req, &p, &b) == ECD_OK, "ecr+token: canonical request");
    /* The payload hash was computed independently (Python hashlib) for this body. */
    tap_str_eq(buf_str(&b),
               "POST\n/\n\n"
               "content-type:application/x-amz-json-1.1\n"
               "host:" ECR_HOST "\n"
               "x-amz-date:" ECR_DATE "\n"
               "x-amz-security-token:" TOKEN "\n"
               "x-amz-target:" ECR_TARGET "\n\n"
               "content-type;host;x-amz-date;x-amz-security-token;x-amz-target\n"
               "7868ffc3eb9627a0ed567f49ad77074695b41f68b9c021e5c263f31180f56cbb",
               "ecr+token: canonical request text");
    buf_reset(&b);
    tap_ok(sigv4_string_to_sign(&req, &p, &b) == ECD_OK, "ecr+token: string to sign");
    nl = strrchr(buf_str(&b), '\n');
    tap_str_eq(nl ? nl + 1 : NULL,
               "4da45f2e084f1caa407e6f539be68751249066f7f3cb8b217b61442d8bcd7ef0",
               "ecr+token: string-to-sign hash line");
    tap_ok(sigv4_signature(&req, &p, hex) == ECD_OK, "ecr+token: signature computed");
    tap_str_eq(hex, "ac2762157ae1f9bc2055f552738021f63cdb7cd6da4f2b182071778014460948",
               "ecr+token: signature (protocols.md 2.3)");
    buf_wipe(&b);
    tap_ok(sigv4_authorization(&req, &p, &b) == ECD_OK, "ecr+token: authorization built");
    tap_str_eq(buf_str(&b),
               "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240115/us-east-1/ecr/aws4_request, "
               "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, "
               "Signature=ac2762157ae1f9bc2055f552738021f63cdb7cd6da4f2b182071778014460948",
               "ecr+token: Authorization value");
    buf_wipe(&b);
}

static void test_derived_key(void)
{
    unsigned char key[CRYPTO_SHA256_LEN];
    char hex[CRYPTO_SHA256_HEX_LEN + 1];

    tap_ok(sigv4_signing_key(&secret_key, "20150830", "us-east-1", "iam", key) == ECD_OK,
           "derived key: ok");
    crypto_hex(key, sizeof(key), hex);
    OPENSSL_cleanse(key, sizeof(key));
    tap_str_eq(hex, "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9",
               "derived key: AWS docs sanity vector");
    tap_ok(sigv4_signing_key(&secret_key, "2015083", "us-east-1", "iam", key) == ECD_EINVAL,
           "derived key: short date refused");
    tap_ok(sigv4_signing_key(&secret_key, "2015083x", "us-east-1", "iam", key) == ECD_EINVAL,
           "derived key: non-digit date refused");
    tap_ok(sigv4_signing_key(&secret_key, "20150830", "us/east", "iam", key) == ECD_EINVAL,
           "derived key: '/' in region refused");
    tap_ok(sigv4_signing_key(NULL, "20150830", "us-east-1", "iam", key) == ECD_EINVAL,
           "derived key: no secret refused");
}

/* The canonical request of a GET with the given path/query/extra header. */
static enum ecd_status creq_of(const char *path, const char *query, int normalize,
                               const struct sigv4_header *extra, size_t n_extra, struct buf *out)
{
    struct sigv4_header hdrs[8] = {
        {"Host", "example.amazonaws.com"},
        {"X-Amz-Date", "20150830T123600Z"},
    };
    struct sigv4_request req = {.method = "get", .path = path, .query = query, .headers = hdrs};
    struct sigv4_params p = ecr_params();
    size_t i;

    for (i = 0; i < n_extra && i < 6; i++)
        hdrs[2 + i] = extra[i];
    req.n_headers = 2 + i;
    p.normalize_path = normalize;
    buf_reset(out);
    return sigv4_canonical_request(&req, &p, out);
}

/* The second line (canonical URI) or third line (query) of a canonical request. */
static const char *line_of(const struct buf *b, int n, char *tmp, size_t tmp_len)
{
    const char *s = buf_str(b), *e;

    while (n-- > 0) {
        s = strchr(s, '\n');
        if (!s)
            return NULL;
        s++;
    }
    e = strchr(s, '\n');
    if (!e)
        e = s + strlen(s);
    if ((size_t)(e - s) >= tmp_len)
        return NULL;
    memcpy(tmp, s, (size_t)(e - s));
    tmp[e - s] = '\0';
    return tmp;
}

static void check_uri(const char *path, int normalize, const char *want)
{
    struct buf b;
    char tmp[256];

    buf_init(&b, 65536);
    if (tap_ok(creq_of(path, NULL, normalize, NULL, 0, &b) == ECD_OK, "uri %s (normalize %d)", path,
               normalize))
        tap_str_eq(line_of(&b, 1, tmp, sizeof(tmp)), want, "uri %s -> %s", path, want);
    buf_wipe(&b);
}

static void check_query(const char *query, const char *want)
{
    struct buf b;
    char tmp[256];

    buf_init(&b, 65536);
    if (tap_ok(creq_of("/", query, 1, NULL, 0, &b) == ECD_OK, "query %s", query))
        tap_str_eq(line_of(&b, 2, tmp, sizeof(tmp)), want, "query %s -> %s", query, want);
    buf_wipe(&b);
}

static void test_canonicalisation(void)
{
    const struct sigv4_header extra[] = {
        {"my-header", "  a \t b  "},
        {"Connection", "close"},
        {"X-Amzn-Trace-Id", "Root=1"},
        {"MY-HEADER", "c"},
        {"Authorization", "AWS4-HMAC-SHA256 old"},
        {"x-amz-content-sha256", "UNSIGNED-PAYLOAD"},
    };
    struct buf b;

    check_uri("", 1, "/");
    check_uri("/a/b/../c/./d//", 1, "/a/c/d/");
    check_uri("/a/b/..", 1, "/a/");
    check_uri("/../..", 1, "/");
    check_uri("/a/..b/.c", 1, "/a/..b/.c");
    check_uri("/%2F x", 1, "/%252F%20x");
    check_uri("/%2F x", 0, "/%2F%20x");
    check_uri("/a%zz", 0, "/a%25zz");
    check_uri("/a+b=c:d", 1, "/a%2Bb%3Dc%3Ad");
    check_uri("//a/./b", 0, "//a/./b");

    check_query("b=2&a=3&a=1&c&x=y%20z+w", "a=1&a=3&b=2&c=&x=y%20z%2Bw");
    check_query("a-b=1&a=2", "a=2&a-b=1");
    check_query("&&k=v=w&", "k=v%3Dw");
    check_query("%e1%88%b4=%41", "%E1%88%B4=A");
    check_query("=x", "=x");

    buf_init(&b, 65536);
    tap_ok(creq_of("/", NULL, 1, extra, 6, &b) == ECD_OK, "headers: canonical request");
    tap_str_eq(buf_str(&b),
               "GET\n/\n\n"
               "host:example.amazonaws.com\n"
               "my-header:a b,c\n"
               "x-amz-content-sha256:UNSIGNED-PAYLOAD\n"
               "x-amz-date:20150830T123600Z\n\n"
               "host;my-header;x-amz-content-sha256;x-amz-date\n"
               "UNSIGNED-PAYLOAD",
               "headers: trimmed, joined, sorted, unsigned ones skipped, payload hash taken");
    buf_wipe(&b);
}

static void test_errors(void)
{
    const struct sigv4_header no_host[] = {{"X-Amz-Date", "20150830T123600Z"}};
    const struct sigv4_header no_date[] = {{"Host", "h"}};
    const struct sigv4_header bad_date[] = {{"Host", "h"}, {"X-Amz-Date", "2015-08-30"}};
    const struct sigv4_header two_hosts[] = {
        {"Host", "h"}, {"host", "i"}, {"X-Amz-Date", "20150830T123600Z"}};
    const struct sigv4_header bad_name[] = {
        {"Host", "h"}, {"X-Amz-Date", "20150830T123600Z"}, {"Bad Name", "v"}};
    const struct sigv4_header ok[] = {{"Host", "h"}, {"X-Amz-Date", "20150830T123600Z"}};
    struct sigv4_request req = {.method = "GET", .path = "/"};
    struct sigv4_params p = ecr_params();
    struct secret unset = {NULL, 0};
    struct buf b;
    char hex[CRYPTO_SHA256_HEX_LEN + 1];

    buf_init(&b, 65536);
    tap_ok(buf_append_str(&b, "keep") == ECD_OK, "errors: buffer primed");

    req.headers = no_host;
    req.n_headers = 1;
    tap_ok(sigv4_canonical_request(&req, &p, &b) == ECD_EINVAL, "errors: no host");
    req.headers = no_date;
    tap_ok(sigv4_string_to_sign(&req, &p, &b) == ECD_EINVAL, "errors: no x-amz-date");
    req.headers = bad_date;
    req.n_headers = 2;
    tap_ok(sigv4_authorization(&req, &p, &b) == ECD_EINVAL, "errors: malformed x-amz-date");
    req.headers = two_hosts;
    req.n_headers = 3;
    tap_ok(sigv4_canonical_request(&req, &p, &b) == ECD_EINVAL, "errors: two host headers");
    req.headers = bad_name;
    tap_ok(sigv4_canonical_request(&req, &p, &b) == ECD_EINVAL, "errors: bad header name");
    req.headers = ok;
    req.n_headers = 2;
    req.path = "relative";
    tap_ok(sigv4_canonical_request(&req, &p, &b) == ECD_EINVAL, "errors: relative path");
    req.path = "/";
    req.query = "a=%4";
    tap_ok(sigv4_canonical_request(&req, &p, &b) == ECD_EINVAL, "errors: truncated %%-escape");
    req.query = NULL;
    req.method = "GE T";
    tap_ok(sigv4_canonical_request(&req, &p, &b) == ECD_EINVAL, "errors: bad method");
    req.method = "GET";
    req.body_len = 3;
    tap_ok(sigv4_canonical_request(&req, &p, &b) == ECD_EINVAL, "errors: body_len without body");
    req.body_len = 0;
    p.region = "";
    tap_ok(sigv4_string_to_sign(&req, &p, &b) == ECD_EINVAL, "errors: empty region");
    p = ecr_params();
    p.secret_key = &unset;
    tap_ok(sigv4_signature(&req, &p, hex) == ECD_EINVAL && hex[0] == '\0',
           "errors: unset secret, signature emptied");
    p = ecr_params();
    p.access_key_id = "AKID\r\nX-Evil: 1";
    tap_ok(sigv4_authorization(&req, &p, &b) == ECD_EINVAL, "errors: CRLF in key id");
    tap_str_eq(buf_str(&b), "keep", "errors: out untouched by every failure");

    /* Capped output: the failure leaves the earlier content as it was. */
    b.max = b.len + 10;
    p = ecr_params();
    tap_ok(sigv4_authorization(&req, &p, &b) == ECD_ENOMEM, "errors: out's cap is honoured");
    tap_str_eq(buf_str(&b), "keep", "errors: out rolled back after cap failure");
    b.max = 65536;
    tap_ok(sigv4_authorization(&req, &p, &b) == ECD_OK && b.len > 4 &&
               strncmp(buf_str(&b), "keepAWS4-HMAC-SHA256 ", 21) == 0,
           "errors: stages append to out");
    buf_wipe(&b);
}

int main(void)
{
    if (secret_set(&secret_key, SECRET_KEY, strlen(SECRET_KEY)) != ECD_OK)
        return 1;
    test_crypto();
    test_format_date();
    test_ecr_vector();
    test_ecr_token_vector();
    test_derived_key();
    test_canonicalisation();
    test_errors();
    secret_wipe(&secret_key);
    return tap_done();
}
