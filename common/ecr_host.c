/* SPDX-License-Identifier: MIT */
/* ECR registry hosts, partitions and endpoints; see ecr_host.h.  The host grammar is
 * matched by hand, left to right: the region label cannot contain '.', so the regex of
 * protocols.md 1.7 never needs to backtrack. */
#include "ecr_host.h"

#include <string.h>
#include <strings.h>

#define HOST_MAX 253 /* longest DNS name */

/* protocols.md 1.4.  The two ISO partitions the table there lacks take their DNS suffix
 * from the registry regex of 1.7; their dual-stack suffixes are unknown, so dual-stack
 * is refused there rather than guessed. */
static const struct ecr_partition part_aws = {"aws", "amazonaws.com", "api.aws"};
static const struct ecr_partition part_cn = {"aws-cn", "amazonaws.com.cn",
                                             "api.amazonwebservices.com.cn"};
static const struct ecr_partition part_gov = {"aws-us-gov", "amazonaws.com", "api.aws"};
static const struct ecr_partition part_iso = {"aws-iso", "c2s.ic.gov", "api.aws.ic.gov"};
static const struct ecr_partition part_isob = {"aws-iso-b", "sc2s.sgov.gov", "api.aws.scloud"};
static const struct ecr_partition part_isoe = {"aws-iso-e", "cloud.adc-e.uk", NULL};
static const struct ecr_partition part_isof = {"aws-iso-f", "csp.hci.ic.gov", NULL};
static const struct ecr_partition part_eusc = {"aws-eusc", "amazonaws.eu",
                                               "api.amazonwebservices.eu"};

static const struct {
    const char *prefix;
    const struct ecr_partition *partition;
} region_prefixes[] = {
    {"cn-", &part_cn},        {"us-gov-", &part_gov},   {"us-iso-", &part_iso},
    {"us-isob-", &part_isob}, {"eu-isoe-", &part_isoe}, {"us-isof-", &part_isof},
    {"eusc-", &part_eusc},
};

/* Registry domains of 1.7 and the partitions whose regions may appear under them. */
static const struct {
    const char *suffix;
    int dualstack;
    const struct ecr_partition *p1, *p2;
} registry_suffixes[] = {
    {"amazonaws.com", 0, &part_aws, &part_gov},
    {"amazonaws.com.cn", 0, &part_cn, NULL},
    {"amazonaws.eu", 0, &part_eusc, NULL},
    {"on.aws", 1, &part_aws, &part_gov},
    {"on.amazonwebservices.com.cn", 1, &part_cn, NULL},
    {"sc2s.sgov.gov", 0, &part_isob, NULL},
    {"c2s.ic.gov", 0, &part_iso, NULL},
    {"cloud.adc-e.uk", 0, &part_isoe, NULL},
    {"csp.hci.ic.gov", 0, &part_isof, NULL},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int is_alnum(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static enum ecd_status fail(const char **reason, const char *why)
{
    if (reason)
        *reason = why;
    return ECD_EINVAL;
}

/* If s[0..len) starts with lit, advance past it. */
static int eat(const char **s, const char *end, const char *lit)
{
    size_t n = strlen(lit);

    if ((size_t)(end - *s) < n || memcmp(*s, lit, n) != 0)
        return 0;
    *s += n;
    return 1;
}

static int span_is(const char *s, size_t len, const char *lit)
{
    return strlen(lit) == len && memcmp(s, lit, len) == 0;
}

const struct ecr_partition *ecr_partition_for_region(const char *region)
{
    size_t i;

    for (i = 0; region && i < COUNT(region_prefixes); i++)
        if (strncmp(region, region_prefixes[i].prefix, strlen(region_prefixes[i].prefix)) == 0)
            return region_prefixes[i].partition;
    return &part_aws;
}

int ecr_account_id_valid(const char *s)
{
    size_t i;

    if (!s)
        return 0;
    for (i = 0; i < ECR_ACCOUNT_ID_LEN; i++)
        if (!is_digit(s[i]))
            return 0;
    return s[ECR_ACCOUNT_ID_LEN] == '\0';
}

int ecr_region_valid(const char *s)
{
    size_t len, i, parts = 1;
    int last_digits = 1; /* the current part has only digits so far */

    if (!s)
        return 0;
    len = strlen(s);
    if (len == 0 || len > ECR_REGION_MAX || !(s[0] >= 'a' && s[0] <= 'z'))
        return 0;
    for (i = 0; i < len; i++) {
        char c = s[i];

        if (c == '-') {
            if (s[i + 1] == '-' || s[i + 1] == '\0')
                return 0;
            parts++;
            last_digits = 1;
        } else if (is_digit(c)) {
            /* nothing: digits keep last_digits as it is */
        } else if (c >= 'a' && c <= 'z') {
            last_digits = 0;
        } else {
            return 0;
        }
    }
    return parts >= 2 && last_digits;
}

enum ecd_status ecr_host_parse(const char *input, struct ecr_host *out, const char **reason)
{
    const char *host, *end, *p, *region;
    size_t region_len, i;
    const struct ecr_partition *part;
    int fips = 0;

    if (reason)
        *reason = NULL;
    if (!input || !out)
        return fail(reason, "no registry host given");
    host = input;
    if (strncasecmp(host, "https://", 8) == 0)
        host += 8;
    end = strchr(host, '/');
    if (!end)
        end = host + strlen(host);
    if (end - host >= 3 && memmem(host, (size_t)(end - host), "://", 3))
        return fail(reason, "only https:// URLs can name a registry");
    if (end == host)
        return fail(reason, "empty registry host");
    if (end - host > HOST_MAX)
        return fail(reason, "registry host too long");

    memset(out, 0, sizeof(*out));
    if (span_is(host, (size_t)(end - host), ECR_PUBLIC_HOST) ||
        span_is(host, (size_t)(end - host), ECR_PUBLIC_DUALSTACK_HOST)) {
        out->is_public = 1;
        out->dualstack = span_is(host, (size_t)(end - host), ECR_PUBLIC_DUALSTACK_HOST);
        memcpy(out->region, ECR_PUBLIC_REGION, sizeof(ECR_PUBLIC_REGION));
        out->partition = &part_aws;
        return ECD_OK;
    }

    /* (\d{12})\. */
    p = host;
    for (i = 0; i < ECR_ACCOUNT_ID_LEN; i++)
        if (p + i >= end || !is_digit(p[i]))
            return fail(reason, "not an ECR registry host (expected a 12-digit account id "
                                "followed by .dkr.ecr.<region>.<domain>)");
    p += ECR_ACCOUNT_ID_LEN;
    /* dkr[.-]ecr(-fips)?\. */
    if (!eat(&p, end, ".dkr") || !(eat(&p, end, ".") || eat(&p, end, "-")) || !eat(&p, end, "ecr"))
        return fail(reason, "not an ECR registry host (expected <account>.dkr.ecr.<region>."
                            "<domain>)");
    if (eat(&p, end, "-fips."))
        fips = 1;
    else if (!eat(&p, end, "."))
        return fail(reason, "not an ECR registry host (expected \"ecr.\" or \"ecr-fips.\")");
    /* ([a-zA-Z0-9][a-zA-Z0-9-_]*)\. */
    region = p;
    if (p >= end || !is_alnum(*p))
        return fail(reason, "not an ECR registry host (no region)");
    while (p < end && (is_alnum(*p) || *p == '-' || *p == '_'))
        p++;
    region_len = (size_t)(p - region);
    if (!eat(&p, end, "."))
        return fail(reason, "not an ECR registry host (bad character in region)");
    /* The domain, whole. */
    for (i = 0; i < COUNT(registry_suffixes); i++)
        if (span_is(p, (size_t)(end - p), registry_suffixes[i].suffix))
            break;
    if (i == COUNT(registry_suffixes))
        return fail(reason, "not an ECR registry host (unknown domain)");

    if (region_len > ECR_REGION_MAX)
        return fail(reason, "region name too long");
    memcpy(out->region, region, region_len);
    out->region[region_len] = '\0';
    if (!ecr_region_valid(out->region)) {
        memset(out, 0, sizeof(*out));
        return fail(reason, "not a valid region name");
    }
    part = ecr_partition_for_region(out->region);
    if (part != registry_suffixes[i].p1 && part != registry_suffixes[i].p2) {
        memset(out, 0, sizeof(*out));
        return fail(reason, "region belongs to another partition than the host's domain");
    }
    memcpy(out->account_id, host, ECR_ACCOUNT_ID_LEN);
    out->account_id[ECR_ACCOUNT_ID_LEN] = '\0';
    out->fips = fips;
    out->dualstack = registry_suffixes[i].dualstack;
    out->partition = part;
    return ECD_OK;
}

enum ecd_status ecr_api_endpoint(const char *region, int fips, int dualstack, struct buf *out)
{
    const struct ecr_partition *part;

    if (!ecr_region_valid(region))
        return ECD_EINVAL;
    part = ecr_partition_for_region(region);
    if (dualstack && !part->dualstack_dns_suffix)
        return ECD_ECONFIG;
    /* Dual-stack names have no "api." prefix (1.4). */
    if (dualstack)
        return buf_printf(out, "https://%s.%s.%s", fips ? "ecr-fips" : "ecr", region,
                          part->dualstack_dns_suffix);
    return buf_printf(out, "https://%s.%s.%s", fips ? "api.ecr-fips" : "api.ecr", region,
                      part->dns_suffix);
}

enum ecd_status ecr_registry_host(const char *account_id, const char *region, struct buf *out)
{
    if (!ecr_account_id_valid(account_id) || !ecr_region_valid(region))
        return ECD_EINVAL;
    return buf_printf(out, "%s.dkr.ecr.%s.%s", account_id, region,
                      ecr_partition_for_region(region)->dns_suffix);
}
