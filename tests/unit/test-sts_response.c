/* SPDX-License-Identifier: MIT */
/* sts_response.c: AssumeRole, AssumeRoleWithWebIdentity and GetCallerIdentity replies
 * as AWS and moto send them, both error shapes, and each rejection with its reason. */
#include <string.h>

#include "sts_response.h"
#include "tap.h"

#define NS "xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\""
#define CREDS                                                                                      \
    "<Credentials><AccessKeyId>ASIATESTKEY</AccessKeyId>"                                          \
    "<SecretAccessKey>sec/ret+key</SecretAccessKey>"                                               \
    "<SessionToken>\n  FQoGZXIvYXdzEBYa&amp;tok\n</SessionToken>"                                  \
    "<Expiration>2024-01-15T13:00:00Z</Expiration></Credentials>"

static void bad(const char *body, const char *want, const char *what)
{
    struct sts_response r;
    const char *why = NULL;
    enum ecd_status st = sts_response_parse(body, strlen(body), &r, &why);

    tap_ok(st == ECD_EPROTO && r.creds.access_key_id == NULL && r.arn == NULL, "rejected: %s",
           what);
    tap_str_eq(why, want, "reason: %s", what);
}

static void test_credentials(void)
{
    static const char assume[] = "<AssumeRoleResponse " NS "><AssumeRoleResult>" CREDS
                                 "<AssumedRoleUser><AssumedRoleId>AROA:s</AssumedRoleId>"
                                 "<Arn>arn:aws:sts::210987654321:assumed-role/r/s</Arn>"
                                 "</AssumedRoleUser><PackedPolicySize>6</PackedPolicySize>"
                                 "</AssumeRoleResult><ResponseMetadata><RequestId>x</RequestId>"
                                 "</ResponseMetadata></AssumeRoleResponse>";
    static const char web[] =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<AssumeRoleWithWebIdentityResponse " NS
        ">\n  <AssumeRoleWithWebIdentityResult>\n    <Credentials>\n"
        "      <AccessKeyId>ASIAWEB</AccessKeyId>\n      <SecretAccessKey>s</SecretAccessKey>\n"
        "      <SessionToken>t</SessionToken>\n"
        "      <Expiration>2026-11-27T20:38:30.457992Z</Expiration>\n    </Credentials>\n"
        "    <SubjectFromWebIdentityToken>sub</SubjectFromWebIdentityToken>\n"
        "  </AssumeRoleWithWebIdentityResult>\n</AssumeRoleWithWebIdentityResponse>\n";
    static const char prefixed[] =
        "<x:R xmlns:x='u'><x:Credentials><x:AccessKeyId>A</x:AccessKeyId>"
        "<x:SecretAccessKey>S</x:SecretAccessKey><x:SessionToken>T</x:SessionToken>"
        "<x:Expiration>2030-01-01T00:00:00+01:00</x:Expiration></x:Credentials></x:R>";
    struct sts_response r;
    const char *why = "x";
    enum ecd_status st;

    st = sts_response_parse(assume, strlen(assume), &r, &why);
    tap_ok(st == ECD_OK && why == NULL && r.kind == STS_RESPONSE_CREDENTIALS, "AssumeRole parses");
    tap_str_eq(r.creds.access_key_id, "ASIATESTKEY", "key id");
    tap_str_eq(r.creds.secret_key.ptr, "sec/ret+key", "secret");
    tap_str_eq(r.creds.session_token.ptr, "FQoGZXIvYXdzEBYa&tok", "token: entity decoded, trimmed");
    tap_ok(r.creds.expiration == 1705323600, "expiration 2024-01-15T13:00:00Z");
    tap_str_eq(r.arn, "arn:aws:sts::210987654321:assumed-role/r/s", "assumed role arn");
    tap_ok(r.creds.provider == NULL && r.error_code == NULL, "no provider, no error");
    sts_response_clear(&r);
    tap_ok(r.creds.access_key_id == NULL && r.arn == NULL, "clear empties");

    st = sts_response_parse(web, strlen(web), &r, NULL);
    tap_ok(st == ECD_OK && r.kind == STS_RESPONSE_CREDENTIALS, "web identity (moto layout)");
    tap_ok(r.creds.expiration == 1795811910, "fractional seconds ignored");
    tap_ok(r.arn == NULL, "no AssumedRoleUser: arn NULL");
    sts_response_clear(&r);

    st = sts_response_parse(prefixed, strlen(prefixed), &r, NULL);
    tap_ok(st == ECD_OK && r.creds.expiration == 1893452400, "namespace prefixes, zone offset");
    sts_response_clear(&r);
}

static void test_other(void)
{
    static const char ident[] =
        "<GetCallerIdentityResponse " NS "><GetCallerIdentityResult>"
        "<Arn>arn:aws:iam::123456789012:user/u</Arn><UserId>AIDA</UserId>"
        "<Account>123456789012</Account></GetCallerIdentityResult></GetCallerIdentityResponse>";
    static const char aws_err[] = "<ErrorResponse " NS "><Error><Type>Sender</Type>"
                                  "<Code>AccessDenied</Code><Message>not authorized to perform: "
                                  "sts:AssumeRole</Message></Error><RequestId>r</RequestId>"
                                  "</ErrorResponse>";
    static const char moto_err[] = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<ErrorResponse>"
                                   "<Errors><Error><Code>InvalidClientTokenId</Code><Message>"
                                   "The security token included in the request is invalid."
                                   "</Message><Type>Sender</Type></Error></Errors></ErrorResponse>";
    struct sts_response r;
    enum ecd_status st;

    st = sts_response_parse(ident, strlen(ident), &r, NULL);
    tap_ok(st == ECD_OK && r.kind == STS_RESPONSE_IDENTITY, "GetCallerIdentity parses");
    tap_str_eq(r.arn, "arn:aws:iam::123456789012:user/u", "identity arn");
    tap_str_eq(r.account, "123456789012", "identity account");
    sts_response_clear(&r);

    st = sts_response_parse(aws_err, strlen(aws_err), &r, NULL);
    tap_ok(st == ECD_OK && r.kind == STS_RESPONSE_ERROR, "AWS error reply");
    tap_str_eq(r.error_code, "AccessDenied", "error code");
    tap_str_eq(r.error_message, "not authorized to perform: sts:AssumeRole", "error message");
    sts_response_clear(&r);

    st = sts_response_parse(moto_err, strlen(moto_err), &r, NULL);
    tap_ok(st == ECD_OK && r.kind == STS_RESPONSE_ERROR, "moto error reply");
    tap_str_eq(r.error_code, "InvalidClientTokenId", "moto error code");
    sts_response_clear(&r);
}

static void test_rejects(void)
{
    char deep[STS_RESPONSE_MAX_DEPTH * 8 + 64] = "";

    bad("", "the STS reply is not well-formed XML", "empty");
    bad("<a><b></a>", "the STS reply is not well-formed XML", "mismatched tags");
    bad("<html>502 Bad Gateway</html>",
        "the STS reply has no Credentials, caller identity or Error", "an HTML page");
    bad("<!DOCTYPE r [<!ENTITY e 'x'>]><r>&e;</r>",
        "the STS reply has a DOCTYPE, which STS never sends", "DOCTYPE with an entity");
    bad("<ErrorResponse><Error><Message>m</Message></Error></ErrorResponse>",
        "the STS error reply has no Code", "error without a code");
    bad("<R><Credentials><SecretAccessKey>s</SecretAccessKey><SessionToken>t</SessionToken>"
        "<Expiration>2030-01-01T00:00:00Z</Expiration></Credentials></R>",
        "the STS reply's Credentials have no AccessKeyId", "no key id");
    bad("<R><Credentials><AccessKeyId>A</AccessKeyId><SessionToken>t</SessionToken>"
        "<Expiration>2030-01-01T00:00:00Z</Expiration></Credentials></R>",
        "the STS reply's Credentials have no SecretAccessKey", "no secret");
    bad("<R><Credentials><AccessKeyId>A</AccessKeyId><SecretAccessKey>s</SecretAccessKey>"
        "<Expiration>2030-01-01T00:00:00Z</Expiration></Credentials></R>",
        "the STS reply's Credentials have no SessionToken", "no token");
    bad("<R><Credentials><AccessKeyId>A</AccessKeyId><SecretAccessKey>s</SecretAccessKey>"
        "<SessionToken>t</SessionToken><Expiration>tomorrow</Expiration></Credentials></R>",
        "the STS reply's Credentials have no valid Expiration (ISO 8601)", "bad expiration");
    for (int i = 0; i <= STS_RESPONSE_MAX_DEPTH; i++)
        strcat(deep, "<a>");
    bad(deep, "the STS reply nests too deeply", "too deep");
}

int main(void)
{
    test_credentials();
    test_other();
    test_rejects();
    return tap_done();
}
