/* SPDX-License-Identifier: MIT */
/* ECR names (protocols.md 1.4, 1.6, 1.7): parse a registry host into account, region
 * and flags; map a region to its partition; build API endpoint URLs and registry hosts;
 * check account ids and region names.  Pure string work, nothing is logged: failures
 * come back as a status plus, where offered, a short static reason for the caller's
 * message. */
#ifndef ECD_ECR_HOST_H
#define ECD_ECR_HOST_H

#include <stddef.h>

#include "buf.h"
#include "status.h"

#define ECR_ACCOUNT_ID_LEN 12
#define ECR_REGION_MAX     63 /* one DNS label */

/* ECR Public (1.6): its auth API lives only in us-east-1, whatever the registry. */
#define ECR_PUBLIC_HOST           "public.ecr.aws"
#define ECR_PUBLIC_DUALSTACK_HOST "ecr-public.aws.com"
#define ECR_PUBLIC_API_ENDPOINT   "https://api.ecr-public.us-east-1.amazonaws.com"
#define ECR_PUBLIC_REGION         "us-east-1"
#define ECR_PUBLIC_SIGNING_NAME   "ecr-public"
#define ECR_SIGNING_NAME          "ecr"

/* One AWS partition; every instance is static and lives for the whole program. */
struct ecr_partition {
    const char *name;       /* "aws", "aws-cn", ... */
    const char *dns_suffix; /* "amazonaws.com" */
    /* "api.aws"; NULL where the partition has no dual-stack endpoints we know of */
    const char *dualstack_dns_suffix;
};

/* What a registry host names. */
struct ecr_host {
    int is_public; /* 1 for public.ecr.aws and ecr-public.aws.com */
    int fips;      /* "dkr.ecr-fips." */
    int dualstack; /* the host is under a dual-stack suffix (on.aws, on.amazonwebservices.com.cn)
                    * or is ecr-public.aws.com */
    char account_id[ECR_ACCOUNT_ID_LEN + 1]; /* "" for ECR Public */
    char region[ECR_REGION_MAX + 1];         /* ECR_PUBLIC_REGION for ECR Public */
    const struct ecr_partition *partition;   /* static; never NULL after success */
};

/* Parse a registry host as users write it in image references and docker config keys.
 * An "https://" prefix (any case) and anything from the first '/' on are ignored.  Private
 * registries must match, case-sensitively, the regex of protocols.md 1.7:
 *   ^(\d{12})\.dkr[.-]ecr(-fips)?\.([a-zA-Z0-9][a-zA-Z0-9-_]*)\.(<suffix>)$
 * with suffix one of amazonaws.com, amazonaws.com.cn, amazonaws.eu, on.aws,
 * on.amazonwebservices.com.cn, sc2s.sgov.gov, c2s.ic.gov, cloud.adc-e.uk, csp.hci.ic.gov.
 * Two checks go beyond the regex, since the result picks the API endpoint: the region
 * must pass ecr_region_valid(), and its partition must be the one the suffix belongs to
 * (so "cn-north-1" under "amazonaws.com" is refused).  public.ecr.aws and
 * ecr-public.aws.com are ECR Public.
 * On success fills *out; ECD_EINVAL for anything else, with *reason (if reason is not
 * NULL) set to a static sentence like "not an ECR registry host". */
ECD_MUST_CHECK enum ecd_status ecr_host_parse(const char *input, struct ecr_host *out,
                                              const char **reason);

/* The partition a region belongs to, by prefix: cn- aws-cn, us-gov- aws-us-gov, us-iso-
 * aws-iso, us-isob- aws-iso-b, eusc- aws-eusc, eu-isoe- aws-iso-e, us-isof- aws-iso-f,
 * anything else aws.  Never NULL. */
const struct ecr_partition *ecr_partition_for_region(const char *region);

/* Append the ECR API endpoint URL for region (1.4), e.g.
 * "https://api.ecr.us-east-1.amazonaws.com", "https://ecr-fips.us-east-1.api.aws".
 * ECD_EINVAL when the region is not valid; ECD_ECONFIG for dual-stack in a partition
 * without it; ECD_ENOMEM.  out is unchanged on failure. */
ECD_MUST_CHECK enum ecd_status ecr_api_endpoint(const char *region, int fips, int dualstack,
                                                struct buf *out);

/* Append the private registry host "<account>.dkr.ecr.<region>.<dnsSuffix>".  ECD_EINVAL
 * for a bad account id or region; ECD_ENOMEM.  out is unchanged on failure. */
ECD_MUST_CHECK enum ecd_status ecr_registry_host(const char *account_id, const char *region,
                                                 struct buf *out);

/* 1 when s is exactly 12 ASCII digits. */
int ecr_account_id_valid(const char *s);

/* 1 when s has the shape of an AWS region name: at most 63 characters, lower-case
 * letters and digits in '-'-separated parts (at least two, none empty), the first part
 * starting with a letter, the last all digits: "us-east-1", "eusc-de-east-1". */
int ecr_region_valid(const char *s);

#endif
