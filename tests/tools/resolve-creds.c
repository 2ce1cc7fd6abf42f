/* SPDX-License-Identifier: MIT */
/* resolve-creds: resolve AWS credentials and region from the real environment and the
 * shared files with common/awsconfig, and print one line for the botocore oracle test
 * (tests/integration/test_awsconfig_oracle.py):
 *
 *   provider=<name> access_key_id=<id> secret_sha256=<hex> token_sha256=<hex|none>
 *       region=<region|none>                                   (one line; exit 0)
 *   error=<ECD_...> <the logged message>                       (exit 1)
 *
 *   endpoint=<url|none> fips=<0|1> dualstack=<0|1>             (--endpoint; exit 0)
 *
 * Secrets are printed only as SHA-256 digests.  Options: --profile NAME (a profile
 * override, as from the daemon's configuration), --region (print only region=...),
 * --endpoint SERVICE_ID (print only the configured endpoint of "sts", "ecr" or
 * "ecr_public" and the FIPS / dual-stack flags: awsconfig_endpoint()). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "awsconfig.h"
#include "toolutil.h"

/* The library logs its errors to stderr; they are captured around each call so that
 * the error line can carry the message, and passed on to the real stderr. */
static FILE *capture_file;
static int saved_fd = -1;
static char last_error[2048];

static void capture_begin(void)
{
    fflush(stderr);
    capture_file = tmpfile();
    if (!capture_file)
        return;
    saved_fd = dup(STDERR_FILENO);
    if (saved_fd < 0 || dup2(fileno(capture_file), STDERR_FILENO) < 0) {
        fclose(capture_file);
        capture_file = NULL;
    }
}

static void capture_end(void)
{
    static const char prefix[] = "ecr-credd: error: ";
    char line[2048];

    if (!capture_file)
        return;
    fflush(stderr);
    dup2(saved_fd, STDERR_FILENO);
    close(saved_fd);
    rewind(capture_file);
    while (fgets(line, sizeof(line), capture_file)) {
        fputs(line, stderr);
        if (strncmp(line, prefix, sizeof(prefix) - 1) == 0) {
            line[strcspn(line, "\n")] = '\0';
            snprintf(last_error, sizeof(last_error), "%s", line + sizeof(prefix) - 1);
        }
    }
    fclose(capture_file);
    capture_file = NULL;
}

static int fail(enum ecd_status st)
{
    printf("error=%s %s\n", tool_status_name(st), last_error[0] ? last_error : ecd_strerror(st));
    return 1;
}

int main(int argc, char **argv)
{
    struct aws_credentials creds = {0};
    const char *profile = NULL;
    struct awsconfig *cfg = NULL;
    char *region = NULL;
    const char *endpoint_of = NULL;
    struct awsconfig_endpoint ep = {0};
    int region_only = 0, rc;
    enum ecd_status st;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--profile") == 0 && i + 1 < argc) {
            profile = argv[++i];
        } else if (strcmp(argv[i], "--region") == 0) {
            region_only = 1;
        } else if (strcmp(argv[i], "--endpoint") == 0 && i + 1 < argc) {
            endpoint_of = argv[++i];
        } else {
            fprintf(stderr, "usage: resolve-creds [--profile NAME] [--region] "
                            "[--endpoint SERVICE_ID]\n");
            return 2;
        }
    }
    capture_begin();
    st = awsconfig_load(NULL, profile, &cfg);
    if (!st && endpoint_of) {
        st = awsconfig_endpoint(cfg, endpoint_of, &ep);
        capture_end();
        if (st)
            rc = fail(st);
        else
            rc = printf("endpoint=%s fips=%d dualstack=%d\n", ep.url ? ep.url : "none", ep.fips,
                        ep.dualstack) < 0;
        awsconfig_endpoint_clear(&ep);
        awsconfig_free(cfg);
        return rc;
    }
    if (!st && !region_only)
        st = awsconfig_static_credentials(cfg, &creds);
    if (!st)
        st = awsconfig_region(cfg, &region);
    capture_end();
    if (st) {
        rc = fail(st);
    } else if (region_only) {
        printf("region=%s\n", region ? region : "none");
        rc = 0;
    } else {
        char secret_hex[65], token_hex[65] = "none";

        tool_sha256_hex(creds.secret_key.ptr, creds.secret_key.len, secret_hex);
        if (secret_is_set(&creds.session_token))
            tool_sha256_hex(creds.session_token.ptr, creds.session_token.len, token_hex);
        printf("provider=%s access_key_id=%s secret_sha256=%s token_sha256=%s region=%s\n",
               creds.provider, creds.access_key_id, secret_hex, token_hex,
               region ? region : "none");
        rc = 0;
    }
    free(region);
    aws_credentials_clear(&creds);
    awsconfig_free(cfg);
    return rc;
}
