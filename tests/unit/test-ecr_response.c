/* SPDX-License-Identifier: MIT */
/* ecr_response.c: token replies (every expiresAt form, ECR Public, each rejection
 * with its message) and error replies (namespaced codes, header fallback, moto's XML,
 * bodies that are not JSON, classification). */
#include <math.h>
#include <string.h>

#include "ecr_response.h"
#include "tap.h"

#define TOK  "QVdTOnBhc3N3b3Jk"             /* AWS:password */
#define TOK2 "QVdTOnNlY29uZC1wYXNzd29yZA==" /* AWS:second-password */
#define HOST "146325435496.dkr.ecr.us-west-2.amazonaws.com"

static struct token_set *tok_ok(const char *body, int is_public, const char *public_host,
                                const char *what)
{
    struct token_set *ts = NULL;
    char why[256] = "x";
    enum ecd_status st;

    st =
        ecr_response_parse_token(body, strlen(body), is_public, public_host, &ts, why, sizeof(why));
    if (!tap_ok(st == ECD_OK && ts && why[0] == '\0', "%s: parses", what))
        tap_diag("status %d: %s", st, why);
    return st ? NULL : ts;
}

static void tok_bad_len(const char *body, size_t len, int is_public, const char *want)
{
    struct token_set *ts = (struct token_set *)1;
    char why[256];
    enum ecd_status st;

    st = ecr_response_parse_token(body, len, is_public, NULL, &ts, why, sizeof(why));
    tap_ok(st == ECD_EPROTO && ts == NULL, "rejected: %s", want);
    tap_str_eq(why, want, "why: %s", want);
    tap_ok(!strstr(why, TOK) && !strstr(why, "QVdT"), "why quotes no token");
}

static void tok_bad(const char *body, int is_public, const char *want)
{
    tok_bad_len(body, strlen(body), is_public, want);
}

static void expires(const char *num, double want)
{
    char body[512];
    struct token_set *ts;

    snprintf(body, sizeof(body),
             "{\"authorizationData\":[{\"authorizationToken\":\"" TOK "\",\"expiresAt\":%s,"
             "\"proxyEndpoint\":\"https://" HOST "\"}]}",
             num);
    ts = tok_ok(body, 0, NULL, num);
    if (ts)
        tap_ok(ts->items[0].expires_at == want, "expiresAt %s is %.3f", num, want);
    token_set_unref(ts);
}

static void test_tokens(void)
{
    /* The real-world shape quoted in protocols.md 1.2. */
    static const char real[] =
        "{\"authorizationData\":[{\"authorizationToken\":\"" TOK
        "\",\"expiresAt\":1.7385984915E9,\n"
        "  \"proxyEndpoint\":\"https://146325435496.dkr.ecr.us-west-2.amazonaws.com\"}]}";
    struct token_set *ts;
    char why[8];

    ts = tok_ok(real, 0, NULL, "protocols.md 1.2 sample");
    if (ts) {
        tap_ok(ts->n == 1 && ts->refs == 1, "one entry, one reference");
        tap_str_eq(ts->items[0].host, HOST, "host without scheme");
        tap_str_eq(ts->items[0].auth.ptr, TOK, "auth is the token as received");
        tap_ok(ts->items[0].auth.len == strlen(TOK), "auth length");
        tap_ok(ts->items[0].expires_at == 1738598491.5, "expiresAt in scientific notation");
    }
    token_set_unref(ts);

    expires("1420070400", 1420070400.0);
    expires("1.7385984915E9", 1738598491.5);
    expires("1795852899.673", 1795852899.673);
    expires("1.795852899673e+09", 1795852899.673);
    expires("17958528996.73e-1", 1795852899.673);

    ts = tok_ok("{\"authorizationData\":[{\"authorizationToken\":\"" TOK "\",\"expiresAt\":1.7E9,"
                "\"proxyEndpoint\":\"https://123456789012.dkr.ecr.eu-west-1.amazonaws.com\"},"
                "{\"proxyEndpoint\":\"https://210987654321.dkr.ecr.eu-west-1.amazonaws.com/\","
                "\"expiresAt\":1700000001,\"authorizationToken\":\"" TOK2 "\",\"extra\":[1]}],"
                "\"unknown\":{}}",
                0, NULL, "two registries");
    if (ts) {
        tap_ok(ts->n == 2, "two entries");
        tap_str_eq(ts->items[0].host, "123456789012.dkr.ecr.eu-west-1.amazonaws.com", "first host");
        tap_str_eq(ts->items[1].host, "210987654321.dkr.ecr.eu-west-1.amazonaws.com",
                   "second host, trailing slash cut");
        tap_str_eq(ts->items[1].auth.ptr, TOK2, "second token");
        tap_ok(ts->items[0].expires_at == 1.7e9 && ts->items[1].expires_at == 1700000001.0,
               "each entry's expiry");
    }
    token_set_unref(ts);

    ts = tok_ok("{\"authorizationData\":[{\"authorizationToken\":\"" TOK "\",\"expiresAt\":1.7E9,"
                "\"proxyEndpoint\":\"HTTP://localhost:5000/v2/?x#y\"}]}",
                0, NULL, "test server endpoint");
    if (ts)
        tap_str_eq(ts->items[0].host, "localhost:5000", "http scheme and path dropped, port kept");
    token_set_unref(ts);

    /* ECR Public: a single object, no proxyEndpoint (protocols.md 1.6). */
    ts = tok_ok("{\"authorizationData\":{\"authorizationToken\":\"" TOK "\",\"expiresAt\":1.7E9}}",
                1, NULL, "ECR Public");
    if (ts) {
        tap_ok(ts->n == 1, "public: one entry");
        tap_str_eq(ts->items[0].host, "public.ecr.aws", "public: default host");
        tap_str_eq(ts->items[0].auth.ptr, TOK, "public: token");
        tap_ok(ts->items[0].expires_at == 1.7e9, "public: expiry");
    }
    token_set_unref(ts);
    ts = tok_ok("{\"authorizationData\":{\"authorizationToken\":\"" TOK "\",\"expiresAt\":1.7E9,"
                "\"proxyEndpoint\":\"https://ignored.example\"}}",
                1, "ecr-public.aws.com", "ECR Public, dual-stack host");
    if (ts)
        tap_str_eq(ts->items[0].host, "ecr-public.aws.com", "public: given host wins");
    token_set_unref(ts);

    tok_bad("garbage", 0, "body:1:1: invalid JSON");
    tok_bad("{\"authorizationData\":[{\"authorizationToken\":\"QVdT", 0, "body:1:46: invalid JSON");
    tok_bad("", 0, "body: empty document, expected JSON");
    tok_bad("{} {}", 0, "body:1:4: invalid JSON: data after the value");
    tok_bad("[]", 0, "expected a JSON object");
    tok_bad("{}", 0, "authorizationData: missing, expected an array");
    tok_bad("{}", 1, "authorizationData: missing, expected an object");
    tok_bad("{\"authorizationData\":[]}", 0, "authorizationData: expected at least one entry");
    tok_bad("{\"authorizationData\":{\"authorizationToken\":\"" TOK "\",\"expiresAt\":1.7E9}}", 0,
            "authorizationData: expected an array");
    tok_bad("{\"authorizationData\":[{\"authorizationToken\":\"" TOK "\",\"expiresAt\":1.7E9}]}", 1,
            "authorizationData: expected an object");
    tok_bad("{\"authorizationData\":[5]}", 0, "authorizationData[0]: expected an object");
    tok_bad("{\"authorizationData\":[{\"authorizationToken\":\"" TOK "\",\"expiresAt\":\"1.7E9\","
            "\"proxyEndpoint\":\"https://" HOST "\"}]}",
            0, "authorizationData[0].expiresAt: expected a number");
    tok_bad("{\"authorizationData\":[{\"authorizationToken\":\"" TOK "\","
            "\"proxyEndpoint\":\"https://" HOST "\"}]}",
            0, "authorizationData[0].expiresAt: missing, expected a number");
    tok_bad("{\"authorizationData\":[{\"authorizationToken\":\"" TOK "\",\"expiresAt\":1e999,"
            "\"proxyEndpoint\":\"https://" HOST "\"}]}",
            0, "authorizationData[0].expiresAt: expected a positive epoch time, got inf");
    tok_bad("{\"authorizationData\":[{\"authorizationToken\":\"" TOK "\",\"expiresAt\":-5,"
            "\"proxyEndpoint\":\"https://" HOST "\"}]}",
            0, "authorizationData[0].expiresAt: expected a positive epoch time, got -5");
    tok_bad("{\"authorizationData\":[{\"authorizationToken\":null,\"expiresAt\":1.7E9,"
            "\"proxyEndpoint\":\"https://" HOST "\"}]}",
            0, "authorizationData[0].authorizationToken: expected a string");
    tok_bad("{\"authorizationData\":[{\"authorizationToken\":\"\",\"expiresAt\":1.7E9,"
            "\"proxyEndpoint\":\"https://" HOST "\"}]}",
            0, "authorizationData[0].authorizationToken: expected a token, got \"\"");
    tok_bad("{\"authorizationData\":[{\"authorizationToken\":\"QVdT!nBh\",\"expiresAt\":1.7E9,"
            "\"proxyEndpoint\":\"https://" HOST "\"}]}",
            0, "authorizationData[0].authorizationToken: not valid base64");
    tok_bad("{\"authorizationData\":[{\"authorizationToken\":\"QVdTOnBhc3N3b3J\",\"expiresAt\":1,"
            "\"proxyEndpoint\":\"https://" HOST "\"}]}",
            0, "authorizationData[0].authorizationToken: not valid base64");
    tok_bad("{\"authorizationData\":[{\"authorizationToken\":\"QVdTcGFzc3dvcmQ=\",\"expiresAt\":1,"
            "\"proxyEndpoint\":\"https://" HOST "\"}]}",
            0, "authorizationData[0].authorizationToken: does not decode to \"user:password\"");
    tok_bad("{\"authorizationData\":[{\"authorizationToken\":\"QVdTOg==\",\"expiresAt\":1,"
            "\"proxyEndpoint\":\"https://" HOST "\"}]}",
            0, "authorizationData[0].authorizationToken: does not decode to \"user:password\"");
    tok_bad("{\"authorizationData\":[{\"authorizationToken\":\"OnB3\",\"expiresAt\":1,"
            "\"proxyEndpoint\":\"https://" HOST "\"}]}",
            0, "authorizationData[0].authorizationToken: does not decode to \"user:password\"");
    tok_bad("{\"authorizationData\":[{\"authorizationToken\":\"" TOK "\",\"expiresAt\":1.7E9,"
            "\"proxyEndpoint\":\"https://" HOST "\"},{\"authorizationToken\":\"" TOK "\","
            "\"expiresAt\":1.7E9}]}",
            0, "authorizationData[1].proxyEndpoint: missing, expected a string");
    tok_bad("{\"authorizationData\":[{\"authorizationToken\":\"" TOK "\",\"expiresAt\":1.7E9,"
            "\"proxyEndpoint\":\"https://\"}]}",
            0, "authorizationData[0].proxyEndpoint: expected https://<registry host>");
    tok_bad("{\"authorizationData\":[{\"authorizationToken\":\"" TOK "\",\"expiresAt\":1.7E9,"
            "\"proxyEndpoint\":\"https://user@evil.example\"}]}",
            0, "authorizationData[0].proxyEndpoint: expected https://<registry host>");
    tok_bad_len("{\"authorizationData\":[]}\0", 25, 0, "body:1:25: invalid JSON: NUL byte");

    ts = (struct token_set *)1;
    tap_ok(ecr_response_parse_token("[]", 2, 0, NULL, &ts, why, sizeof(why)) == ECD_EPROTO && !ts &&
               !strcmp(why, "expecte"),
           "why is truncated to its buffer");
    tap_ok(ecr_response_parse_token("[]", 2, 0, NULL, &ts, NULL, 0) == ECD_EPROTO,
           "why may be NULL");
    tap_ok(ecr_response_parse_token("{}", 2, 0, NULL, NULL, why, sizeof(why)) == ECD_EINVAL,
           "NULL out is EINVAL");
}

/* --- error replies --- */

static void err_case(const char *body, long status, const char *header, const char *want_code,
                     const char *want_msg, enum ecr_error_kind want_kind, enum ecd_status want_st)
{
    struct ecr_error err;
    char label[48];

    /* A test name is one line. */
    snprintf(label, sizeof(label), "%.40s", body ? body : "(null)");
    for (char *p = label; *p; p++)
        if ((unsigned char)*p < 0x20)
            *p = ' ';
    memset(&err, 0x55, sizeof(err));
    ecr_response_parse_error(body, body ? strlen(body) : 0, status, header, &err);
    tap_str_eq(err.code, want_code, "%ld %s: code %s", status, label, want_code);
    tap_str_eq(err.message, want_msg, "%ld %s: message", status, label);
    if (!tap_ok(err.kind == want_kind && ecr_error_status(&err) == want_st, "%s: kind %s",
                want_code, ecr_error_kind_name(want_kind)))
        tap_diag("got kind %s", ecr_error_kind_name(err.kind));
}

static void test_errors(void)
{
    static const char moto[] =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "  <ErrorResponse>\n"
        "    <Errors>\n"
        "      <Error>\n"
        "        <Code>SignatureDoesNotMatch</Code>\n"
        "        <Message><![CDATA[The request signature we calculated does not match the "
        "signature you provided. Check your AWS Secret Access Key and signing method. Consult "
        "the service documentation for details.]]></Message>\n"
        "        \n"
        "      </Error>\n"
        "    </Errors>\n"
        "  <RequestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestId>\n"
        "</ErrorResponse>\n";
    static const char mismatch[] =
        "The request signature we calculated does not match the signature you provided. Check "
        "your AWS Secret Access Key and signing method. Consult the service documentation for "
        "details.";
    static const char canonical[] =
        "{\"__type\":\"InvalidSignatureException\",\"message\":\"The request signature we "
        "calculated does not match the signature you provided. Check your AWS Secret Access Key "
        "and signing method. Consult the service documentation for details.\\n\\nThe Canonical "
        "String for this request should have been\\n'POST\\n/\\n\\ncontent-type:application/"
        "x-amz-json-1.1\\nx-amz-security-token:SESSIONTOKENSECRET\\n'\"}";
    const char *html = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
                       "<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n";
    char body[2048], want[1024];
    struct ecr_error err;

    err_case("{\"__type\":\"ThrottlingException\",\"message\":\"Rate exceeded\"}", 400, NULL,
             "ThrottlingException", "Rate exceeded", ECR_ERR_THROTTLE, ECD_ETHROTTLE);
    err_case("{\"__type\":\"com.amazon.coral.service#UnrecognizedClientException\","
             "\"message\":\"The security token included in the request is invalid.\"}",
             400, NULL, "UnrecognizedClientException",
             "The security token included in the request is invalid.", ECR_ERR_AUTH, ECD_EAUTH);
    err_case("{\"__type\":\"com.amazon.coral.validate#ValidationException:http://internal.amazon."
             "com/coral/com.amazon.coral.validate/\",\"Message\":\"1 validation error\"}",
             400, NULL, "ValidationException", "1 validation error", ECR_ERR_BAD_REQUEST,
             ECD_EHTTP);
    err_case("{\"__type\":\"InvalidSignatureException\",\"message\":\"Signature expired: "
             "20240115T120000Z is now earlier than 20240115T120501Z (20240115T121001Z - 5 min.)\"}",
             400, NULL, "InvalidSignatureException",
             "Signature expired: 20240115T120000Z is now earlier than 20240115T120501Z "
             "(20240115T121001Z - 5 min.)",
             ECR_ERR_CLOCK_SKEW, ECD_EAUTH);
    err_case("{\"__type\":\"InvalidSignatureException\",\"message\":\"Signature not yet current: "
             "20240115T121000Z is still later than 20240115T120501Z (20240115T120001Z + 5 min.)\"}",
             400, NULL, "InvalidSignatureException",
             "Signature not yet current: 20240115T121000Z is still later than 20240115T120501Z "
             "(20240115T120001Z + 5 min.)",
             ECR_ERR_CLOCK_SKEW, ECD_EAUTH);
    err_case(canonical, 400, NULL, "InvalidSignatureException", mismatch, ECR_ERR_AUTH, ECD_EAUTH);
    ecr_response_parse_error(canonical, strlen(canonical), 400, NULL, &err);
    tap_ok(!strstr(err.message, "SESSIONTOKENSECRET") && !strstr(err.message, "Canonical"),
           "the quoted canonical request (and security token) is cut off");
    err_case("{\"__type\":\"ExpiredTokenException\",\"message\":\"The security token included in "
             "the request is expired\"}",
             400, NULL, "ExpiredTokenException",
             "The security token included in the request is expired", ECR_ERR_EXPIRED_CREDS,
             ECD_EAUTH);
    err_case("{\"__type\":\"AccessDeniedException\",\"Message\":\"User: arn:aws:sts::123456789012:"
             "assumed-role/r/s is not authorized to perform: ecr:GetAuthorizationToken on "
             "resource: * because no identity-based policy allows the action\"}",
             400, NULL, "AccessDeniedException",
             "User: arn:aws:sts::123456789012:assumed-role/r/s is not authorized to perform: "
             "ecr:GetAuthorizationToken on resource: * because no identity-based policy allows "
             "the action",
             ECR_ERR_AUTH, ECD_EAUTH);
    err_case("{\"__type\":\"MissingAuthenticationTokenException\",\"message\":\"Missing "
             "Authentication Token\"}",
             403, NULL, "MissingAuthenticationTokenException", "Missing Authentication Token",
             ECR_ERR_AUTH, ECD_EAUTH);
    err_case("{\"__type\":\"IncompleteSignatureException\",\"message\":\"x\"}", 400, NULL,
             "IncompleteSignatureException", "x", ECR_ERR_AUTH, ECD_EAUTH);
    err_case("{\"__type\":\"InvalidParameterException\",\"message\":\"Invalid parameter at "
             "'registryIds'\"}",
             400, NULL, "InvalidParameterException", "Invalid parameter at 'registryIds'",
             ECR_ERR_BAD_REQUEST, ECD_EHTTP);
    err_case("{\"__type\":\"ServerException\",\"message\":\"Internal error\"}", 500, NULL,
             "ServerException", "Internal error", ECR_ERR_SERVER, ECD_ETHROTTLE);
    err_case("{\"__type\":\"RequestTimeout\"}", 400, NULL, "RequestTimeout", "", ECR_ERR_SERVER,
             ECD_ETHROTTLE);
    err_case("{\"__type\":\"TooManyRequestsException\",\"message\":\"slow\"}", 400, NULL,
             "TooManyRequestsException", "slow", ECR_ERR_THROTTLE, ECD_ETHROTTLE);
    err_case("{\"__type\":\"AccessDeniedException\"}", 500, NULL, "AccessDeniedException", "",
             ECR_ERR_AUTH, ECD_EAUTH);
    err_case("{\"__type\":\"ThrottlingException\",\"message\":\"a\\nb\\tc\\u0007\"}", 400, NULL,
             "ThrottlingException", "a b c", ECR_ERR_THROTTLE, ECD_ETHROTTLE);
    err_case("{\"__type\":\"  weird code\\n\"}", 400, NULL, "weird?code", "", ECR_ERR_BAD_REQUEST,
             ECD_EHTTP);

    /* The header when the body names no code. */
    err_case("", 400, "ThrottlingException:http://internal.amazon.com/coral/com.amazon.coral/",
             "ThrottlingException", "", ECR_ERR_THROTTLE, ECD_ETHROTTLE);
    err_case("{\"message\":\"Rate exceeded\"}", 400, "ThrottlingException", "ThrottlingException",
             "Rate exceeded", ECR_ERR_THROTTLE, ECD_ETHROTTLE);
    err_case("{\"__type\":\"ExpiredTokenException\"}", 400, "ThrottlingException",
             "ExpiredTokenException", "", ECR_ERR_EXPIRED_CREDS, ECD_EAUTH);
    err_case("{\"__type\":5}", 400, NULL, "HTTP 400", "{\"__type\":5}", ECR_ERR_BAD_REQUEST,
             ECD_EHTTP);

    /* moto's XML answer to a bad signature, with and without its header. */
    err_case(moto, 403, NULL, "SignatureDoesNotMatch", mismatch, ECR_ERR_AUTH, ECD_EAUTH);
    err_case(moto, 403, "SignatureDoesNotMatch", "SignatureDoesNotMatch", mismatch, ECR_ERR_AUTH,
             ECD_EAUTH);
    err_case("<ErrorResponse><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code>"
             "<Message>The security token &amp; &lt;x&gt; is &quot;invalid&quot;&#33;</Message>"
             "</Error></ErrorResponse>",
             403, NULL, "InvalidClientTokenId", "The security token & <x> is \"invalid\"&#33;",
             ECR_ERR_AUTH, ECD_EAUTH);
    err_case("<Error><Code>RequestTimeTooSkewed</Code><Message>The difference between the request "
             "time and the current time is too large.</Message></Error>",
             403, NULL, "RequestTimeTooSkewed",
             "The difference between the request time and the current time is too large.",
             ECR_ERR_CLOCK_SKEW, ECD_EAUTH);
    err_case(
        "<Error><Code>SignatureDoesNotMatch</Code><Message>Signature expired: 20240115T120000Z "
        "is now earlier than 20240115T120501Z</Message></Error>",
        403, NULL, "SignatureDoesNotMatch",
        "Signature expired: 20240115T120000Z is now earlier than 20240115T120501Z",
        ECR_ERR_CLOCK_SKEW, ECD_EAUTH);

    /* Bodies that are neither: the status decides. */
    err_case("", 503, NULL, "HTTP 503", "", ECR_ERR_SERVER, ECD_ETHROTTLE);
    err_case(NULL, 502, NULL, "HTTP 502", "", ECR_ERR_SERVER, ECD_ETHROTTLE);
    err_case(html, 502, NULL, "HTTP 502",
             "<html> <head><title>502 Bad Gateway</title></head> <body> <center><h1>502 Bad "
             "Gateway</h1></center> </body> </html>",
             ECR_ERR_SERVER, ECD_ETHROTTLE);
    err_case("Too Many Requests", 429, NULL, "HTTP 429", "Too Many Requests", ECR_ERR_THROTTLE,
             ECD_ETHROTTLE);
    err_case("garbage", 400, NULL, "HTTP 400", "garbage", ECR_ERR_BAD_REQUEST, ECD_EHTTP);
    err_case("{\"__type\":\"Thrott", 400, NULL, "HTTP 400", "{\"__type\":\"Thrott",
             ECR_ERR_BAD_REQUEST, ECD_EHTTP);
    err_case("", 403, NULL, "HTTP 403", "", ECR_ERR_AUTH, ECD_EAUTH);
    err_case("Unauthorized", 401, NULL, "HTTP 401", "Unauthorized", ECR_ERR_AUTH, ECD_EAUTH);
    err_case("", 404, NULL, "HTTP 404", "", ECR_ERR_BAD_REQUEST, ECD_EHTTP);
    err_case("caf\xc3\xa9\x01\x02 ok", 400, NULL, "HTTP 400", "caf?? ok", ECR_ERR_BAD_REQUEST,
             ECD_EHTTP);

    /* Limits: snippet 200 characters, message 511 bytes without a split UTF-8 sequence,
     * code 63. */
    memset(body, 'x', 300);
    body[300] = '\0';
    ecr_response_parse_error(body, 300, 500, NULL, &err);
    tap_ok(strlen(err.message) == 200 && err.message[199] == 'x', "snippet is 200 characters");
    memset(want, 'a', 510);
    snprintf(body, sizeof(body), "{\"__type\":\"X\",\"message\":\"%.510s\xc3\xa9tail\"}", want);
    ecr_response_parse_error(body, strlen(body), 400, NULL, &err);
    tap_ok(strlen(err.message) == 510 && err.message[509] == 'a',
           "message cut before a split UTF-8 character");
    snprintf(body, sizeof(body), "{\"__type\":\"%.100s\"}", want);
    ecr_response_parse_error(body, strlen(body), 400, NULL, &err);
    tap_ok(strlen(err.code) == 63, "code truncated to 63 characters");
    ecr_response_parse_error("{}", 2, 400, NULL, NULL);
    tap_ok(1, "NULL out is ignored");

    tap_str_eq(ecr_error_kind_name(ECR_ERR_BAD_REQUEST), "bad-request", "kind name bad-request");
    tap_str_eq(ecr_error_kind_name(ECR_ERR_EXPIRED_CREDS), "expired-credentials",
               "kind name expired-credentials");
    tap_ok(ecr_error_kind_status(ECR_ERR_SERVER) == ECD_ETHROTTLE &&
               ecr_error_kind_status(ECR_ERR_CLOCK_SKEW) == ECD_EAUTH,
           "kind to status");
}

int main(void)
{
    test_tokens();
    test_errors();
    return tap_done();
}
