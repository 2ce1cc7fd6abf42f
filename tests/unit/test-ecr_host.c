/* SPDX-License-Identifier: MIT */
/* ECR names: every row of the endpoint table (protocols.md 1.4), every registry host
 * form of 1.7, ECR Public (1.6), partitions, validators, and inputs that must fail. */
#include <string.h>

#include "ecr_host.h"
#include "tap.h"

struct endpoint_row {
    const char *region, *partition, *plain, *fips, *dual, *fips_dual;
};

/* protocols.md 1.4, verbatim. */
static const struct endpoint_row endpoint_rows[] = {
    {"us-east-1", "aws", "https://api.ecr.us-east-1.amazonaws.com",
     "https://api.ecr-fips.us-east-1.amazonaws.com", "https://ecr.us-east-1.api.aws",
     "https://ecr-fips.us-east-1.api.aws"},
    {"cn-north-1", "aws-cn", "https://api.ecr.cn-north-1.amazonaws.com.cn",
     "https://api.ecr-fips.cn-north-1.amazonaws.com.cn",
     "https://ecr.cn-north-1.api.amazonwebservices.com.cn",
     "https://ecr-fips.cn-north-1.api.amazonwebservices.com.cn"},
    {"us-gov-west-1", "aws-us-gov", "https://api.ecr.us-gov-west-1.amazonaws.com",
     "https://api.ecr-fips.us-gov-west-1.amazonaws.com", "https://ecr.us-gov-west-1.api.aws",
     "https://ecr-fips.us-gov-west-1.api.aws"},
    {"us-iso-east-1", "aws-iso", "https://api.ecr.us-iso-east-1.c2s.ic.gov",
     "https://api.ecr-fips.us-iso-east-1.c2s.ic.gov", "https://ecr.us-iso-east-1.api.aws.ic.gov",
     "https://ecr-fips.us-iso-east-1.api.aws.ic.gov"},
    {"us-isob-east-1", "aws-iso-b", "https://api.ecr.us-isob-east-1.sc2s.sgov.gov",
     "https://api.ecr-fips.us-isob-east-1.sc2s.sgov.gov",
     "https://ecr.us-isob-east-1.api.aws.scloud", "https://ecr-fips.us-isob-east-1.api.aws.scloud"},
    {"eusc-de-east-1", "aws-eusc", "https://api.ecr.eusc-de-east-1.amazonaws.eu",
     "https://api.ecr-fips.eusc-de-east-1.amazonaws.eu",
     "https://ecr.eusc-de-east-1.api.amazonwebservices.eu",
     "https://ecr-fips.eusc-de-east-1.api.amazonwebservices.eu"},
};

static void check_endpoint(const char *region, int fips, int dual, const char *want)
{
    struct buf b;

    buf_init(&b, 256);
    tap_ok(ecr_api_endpoint(region, fips, dual, &b) == ECD_OK, "endpoint %s fips=%d dual=%d",
           region, fips, dual);
    tap_str_eq(buf_str(&b), want, "endpoint %s fips=%d dual=%d", region, fips, dual);
    buf_free(&b);
}

static void test_endpoints(void)
{
    struct buf b;
    size_t i;

    for (i = 0; i < sizeof(endpoint_rows) / sizeof(endpoint_rows[0]); i++) {
        const struct endpoint_row *r = &endpoint_rows[i];

        tap_str_eq(ecr_partition_for_region(r->region)->name, r->partition, "partition of %s",
                   r->region);
        check_endpoint(r->region, 0, 0, r->plain);
        check_endpoint(r->region, 1, 0, r->fips);
        check_endpoint(r->region, 0, 1, r->dual);
        check_endpoint(r->region, 1, 1, r->fips_dual);
    }
    /* Other regions of the same partitions, and the prefix rules. */
    tap_str_eq(ecr_partition_for_region("cn-northwest-1")->name, "aws-cn", "cn-northwest-1");
    tap_str_eq(ecr_partition_for_region("us-gov-east-1")->name, "aws-us-gov", "us-gov-east-1");
    tap_str_eq(ecr_partition_for_region("us-iso-west-1")->name, "aws-iso", "us-iso-west-1");
    tap_str_eq(ecr_partition_for_region("us-isob-west-1")->name, "aws-iso-b", "us-isob-west-1");
    tap_str_eq(ecr_partition_for_region("eu-isoe-west-1")->name, "aws-iso-e", "eu-isoe-west-1");
    tap_str_eq(ecr_partition_for_region("us-isof-south-1")->name, "aws-iso-f", "us-isof-south-1");
    tap_str_eq(ecr_partition_for_region("eu-west-1")->name, "aws", "eu-west-1");
    tap_str_eq(ecr_partition_for_region("ap-southeast-5")->name, "aws", "ap-southeast-5");
    tap_str_eq(ecr_partition_for_region("made-up-9")->name, "aws", "unknown region is aws");
    tap_str_eq(ecr_partition_for_region("us-east-1")->dns_suffix, "amazonaws.com",
               "aws dns suffix");
    tap_str_eq(ecr_partition_for_region("cn-north-1")->dualstack_dns_suffix,
               "api.amazonwebservices.com.cn", "aws-cn dual-stack suffix");
    check_endpoint("eu-west-1", 0, 0, "https://api.ecr.eu-west-1.amazonaws.com");
    check_endpoint("eu-isoe-west-1", 1, 0, "https://api.ecr-fips.eu-isoe-west-1.cloud.adc-e.uk");

    buf_init(&b, 256);
    tap_ok(ecr_api_endpoint("eu-isoe-west-1", 0, 1, &b) == ECD_ECONFIG && b.len == 0,
           "dual-stack where unknown is ECONFIG");
    tap_ok(ecr_api_endpoint("", 0, 0, &b) == ECD_EINVAL && b.len == 0, "empty region");
    tap_ok(ecr_api_endpoint(NULL, 0, 0, &b) == ECD_EINVAL, "no region");
    tap_ok(ecr_api_endpoint("us-east-1/x", 0, 0, &b) == ECD_EINVAL && b.len == 0,
           "slash in region");

    tap_ok(ecr_registry_host("123456789012", "eu-west-1", &b) == ECD_OK, "registry host");
    tap_str_eq(buf_str(&b), "123456789012.dkr.ecr.eu-west-1.amazonaws.com", "registry host aws");
    buf_reset(&b);
    tap_ok(ecr_registry_host("123456789012", "cn-north-1", &b) == ECD_OK, "registry host cn");
    tap_str_eq(buf_str(&b), "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn",
               "registry host aws-cn");
    buf_reset(&b);
    tap_ok(ecr_registry_host("123456789012", "us-isob-east-1", &b) == ECD_OK,
           "registry host iso-b");
    tap_str_eq(buf_str(&b), "123456789012.dkr.ecr.us-isob-east-1.sc2s.sgov.gov",
               "registry host aws-iso-b");
    buf_reset(&b);
    tap_ok(ecr_registry_host("12345678901", "eu-west-1", &b) == ECD_EINVAL && b.len == 0,
           "registry host: 11-digit account refused");
    tap_ok(ecr_registry_host("123456789012", "EU-WEST-1", &b) == ECD_EINVAL && b.len == 0,
           "registry host: bad region refused");
    buf_free(&b);
}

struct host_case {
    const char *input, *account, *region, *partition;
    int fips, dual, is_public;
};

static const struct host_case good_hosts[] = {
    {"123456789012.dkr.ecr.us-east-1.amazonaws.com", "123456789012", "us-east-1", "aws", 0, 0, 0},
    {"123456789012.dkr.ecr-fips.us-east-1.amazonaws.com", "123456789012", "us-east-1", "aws", 1, 0,
     0},
    {"123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn", "123456789012", "cn-north-1", "aws-cn", 0,
     0, 0},
    {"123456789012.dkr-ecr.us-east-1.on.aws", "123456789012", "us-east-1", "aws", 0, 1, 0},
    {"123456789012.dkr-ecr-fips.us-east-1.on.aws", "123456789012", "us-east-1", "aws", 1, 1, 0},
    {"123456789012.dkr-ecr.cn-north-1.on.amazonwebservices.com.cn", "123456789012", "cn-north-1",
     "aws-cn", 0, 1, 0},
    {"123456789012.dkr.ecr.us-iso-east-1.c2s.ic.gov", "123456789012", "us-iso-east-1", "aws-iso", 0,
     0, 0},
    {"123456789012.dkr.ecr.us-isob-east-1.sc2s.sgov.gov", "123456789012", "us-isob-east-1",
     "aws-iso-b", 0, 0, 0},
    {"123456789012.dkr.ecr.eu-isoe-west-1.cloud.adc-e.uk", "123456789012", "eu-isoe-west-1",
     "aws-iso-e", 0, 0, 0},
    {"123456789012.dkr.ecr.us-isof-south-1.csp.hci.ic.gov", "123456789012", "us-isof-south-1",
     "aws-iso-f", 0, 0, 0},
    {"123456789012.dkr.ecr.eusc-de-east-1.amazonaws.eu", "123456789012", "eusc-de-east-1",
     "aws-eusc", 0, 0, 0},
    {"123456789012.dkr.ecr.us-gov-west-1.amazonaws.com", "123456789012", "us-gov-west-1",
     "aws-us-gov", 0, 0, 0},
    {"123456789012.dkr.ecr-fips.us-gov-east-1.amazonaws.com", "123456789012", "us-gov-east-1",
     "aws-us-gov", 1, 0, 0},
    /* Scheme and path are ignored (1.7), e.g. a proxyEndpoint or a pull-through path. */
    {"https://146325435496.dkr.ecr.us-west-2.amazonaws.com", "146325435496", "us-west-2", "aws", 0,
     0, 0},
    {"HTTPS://146325435496.dkr.ecr.us-west-2.amazonaws.com/", "146325435496", "us-west-2", "aws", 0,
     0, 0},
    {"000000000000.dkr.ecr.eu-west-1.amazonaws.com/docker-hub/library/nginx", "000000000000",
     "eu-west-1", "aws", 0, 0, 0},
    {"public.ecr.aws", "", "us-east-1", "aws", 0, 0, 1},
    {"https://public.ecr.aws/docker/library/alpine", "", "us-east-1", "aws", 0, 0, 1},
    {"ecr-public.aws.com", "", "us-east-1", "aws", 0, 1, 1},
};

static const struct {
    const char *input, *why;
} bad_hosts[] = {
    {"", "empty"},
    {"https://", "empty after scheme"},
    {"/path/only", "empty host"},
    {"docker.io", "other registry"},
    {"index.docker.io/v1/", "other registry with path"},
    {"http://123456789012.dkr.ecr.us-east-1.amazonaws.com", "plain http"},
    {"ftp://public.ecr.aws", "other scheme"},
    {"12345678901.dkr.ecr.us-east-1.amazonaws.com", "11-digit account"},
    {"1234567890123.dkr.ecr.us-east-1.amazonaws.com", "13-digit account"},
    {"12345678901a.dkr.ecr.us-east-1.amazonaws.com", "letter in account"},
    {"123456789012.dkr.ecr.us-east-1.amazonaws.com.", "trailing dot"},
    {"123456789012.dkr.ecr.us-east-1.amazonaws.com:443", "port"},
    {"123456789012.dkr.ecr.us-east-1.amazonaws.org", "unknown domain"},
    {"123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.example", "suffix continues"},
    {"123456789012.dkr.ecr.us-east-1.evil.amazonaws.com", "extra label"},
    {"123456789012.dkr.ecr..amazonaws.com", "empty region"},
    {"123456789012.dkr.ecr.-us-east-1.amazonaws.com", "region starts with '-'"},
    {"123456789012.dkr.ecr.us_east_1.amazonaws.com", "underscore region (regex yes, shape no)"},
    {"123456789012.dkr.ecr.US-EAST-1.amazonaws.com", "upper-case region"},
    {"123456789012.dkr.ecr.amazonaws.com", "no region"},
    {"123456789012.dkr.ecr-fipsx.us-east-1.amazonaws.com", "bad fips marker"},
    {"123456789012.dkr_ecr.us-east-1.amazonaws.com", "bad separator"},
    {"123456789012.dkr.ecrx.us-east-1.amazonaws.com", "ecrx"},
    {"123456789012.ecr.us-east-1.amazonaws.com", "no dkr"},
    {"123456789012.DKR.ECR.us-east-1.amazonaws.com", "upper-case dkr.ecr"},
    {"user@123456789012.dkr.ecr.us-east-1.amazonaws.com", "user info"},
    {"123456789012.dkr.ecr.cn-north-1.amazonaws.com", "china region, global domain"},
    {"123456789012.dkr.ecr.us-east-1.amazonaws.com.cn", "global region, china domain"},
    {"123456789012.dkr.ecr.us-iso-east-1.sc2s.sgov.gov", "iso region, iso-b domain"},
    {"123456789012.dkr-ecr.us-iso-east-1.on.aws", "iso region, dual-stack aws domain"},
    {"api.ecr.us-east-1.amazonaws.com", "the API endpoint, not a registry"},
    {"public.ecr.aws.evil.example", "public prefix"},
    {"xpublic.ecr.aws", "public lookalike"},
    {"123456789012.dkr.ecr.us-east-1-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-"
     "1.amazonaws.com",
     "region over 63 characters"},
};

static void test_hosts(void)
{
    struct ecr_host h;
    const char *why;
    size_t i;

    for (i = 0; i < sizeof(good_hosts) / sizeof(good_hosts[0]); i++) {
        const struct host_case *c = &good_hosts[i];

        why = "unset";
        memset(&h, 0x5a, sizeof(h));
        if (!tap_ok(ecr_host_parse(c->input, &h, &why) == ECD_OK && why == NULL, "parse %s",
                    c->input)) {
            tap_diag("reason: %s", why ? why : "(none)");
            continue;
        }
        tap_ok(strcmp(h.account_id, c->account) == 0 && strcmp(h.region, c->region) == 0 &&
                   h.partition && strcmp(h.partition->name, c->partition) == 0 &&
                   h.fips == c->fips && h.dualstack == c->dual && h.is_public == c->is_public,
               "%s: account '%s' region %s partition %s fips %d dual %d public %d", c->input,
               h.account_id, h.region, h.partition ? h.partition->name : "?", h.fips, h.dualstack,
               h.is_public);
    }
    for (i = 0; i < sizeof(bad_hosts) / sizeof(bad_hosts[0]); i++) {
        why = NULL;
        tap_ok(ecr_host_parse(bad_hosts[i].input, &h, &why) == ECD_EINVAL && why && *why,
               "refuse %s (%s): %s", bad_hosts[i].input, bad_hosts[i].why, why ? why : "?");
    }
    tap_ok(ecr_host_parse(NULL, &h, NULL) == ECD_EINVAL, "NULL input, NULL reason");
    tap_ok(ecr_host_parse("docker.io", &h, NULL) == ECD_EINVAL, "reason is optional");
}

static void test_validators(void)
{
    static const char *const good_regions[] = {"us-east-1",      "eu-central-2", "ap-southeast-5",
                                               "us-gov-west-1",  "cn-north-1",   "eusc-de-east-1",
                                               "us-isob-east-1", "il-central-1", "a-1"};
    static const char *const bad_regions[] = {
        "",           "us",         "useast1",    "us-east",   "US-EAST-1",
        "us-east-1-", "-us-east-1", "us--east-1", "us_east-1", "1us-east-1",
        "us-east-1 ", "us.east-1",  "us-east-1a",
    };
    size_t i;

    for (i = 0; i < sizeof(good_regions) / sizeof(good_regions[0]); i++)
        tap_ok(ecr_region_valid(good_regions[i]), "region %s valid", good_regions[i]);
    for (i = 0; i < sizeof(bad_regions) / sizeof(bad_regions[0]); i++)
        tap_ok(!ecr_region_valid(bad_regions[i]), "region '%s' invalid", bad_regions[i]);
    tap_ok(!ecr_region_valid(NULL), "region NULL invalid");
    tap_ok(ecr_account_id_valid("123456789012"), "account 123456789012 valid");
    tap_ok(ecr_account_id_valid("000000000000"), "account 000000000000 valid");
    tap_ok(!ecr_account_id_valid("12345678901"), "11 digits invalid");
    tap_ok(!ecr_account_id_valid("1234567890123"), "13 digits invalid");
    tap_ok(!ecr_account_id_valid("12345678901a"), "letter invalid");
    tap_ok(!ecr_account_id_valid(" 23456789012"), "space invalid");
    tap_ok(!ecr_account_id_valid(""), "empty invalid");
    tap_ok(!ecr_account_id_valid(NULL), "NULL invalid");
}

int main(void)
{
    test_endpoints();
    test_hosts();
    test_validators();
    return tap_done();
}
