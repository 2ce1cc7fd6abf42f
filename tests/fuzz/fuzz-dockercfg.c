/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the input is a docker config.json's text, merged with two fixed
 * registry auths by dockercfg_merge().  Besides the sanitizers, it checks the promises
 * that hold for every accepted input: the output is an object whose auths carry our
 * values, and merging the output again changes nothing. */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dockercfg.h"
#include "log.h"

#define H1 "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
#define H2 "public.ecr.aws"
#define A1 "QVdTOnRva2VuLW9uZQ=="
#define A2 "QVdTOnRva2VuLXR3bw=="

static struct registry_auth items[2];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    log_open(LOG_CRIT); /* rejected inputs would log an error each */
    items[0].host = (char *)H1;
    items[1].host = (char *)"https://" H2 "/v2/";
    if (secret_set(&items[0].auth, A1, strlen(A1)) || secret_set(&items[1].auth, A2, strlen(A2)))
        abort();
    return 0;
}

static void check_auth(const cJSON *auths, const char *host, const char *want)
{
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(auths, host);
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(e, "auth");

    if (!cJSON_IsString(a) || strcmp(a->valuestring, want) != 0)
        abort();
    if (cJSON_GetObjectItemCaseSensitive(e, "identitytoken") ||
        cJSON_GetObjectItemCaseSensitive(e, "password"))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct dockercfg_result res, res2;
    struct buf out, out2;
    cJSON *root;

    buf_init(&out, DOCKERCFG_MAX_RENDER + 1);
    buf_init(&out2, DOCKERCFG_MAX_RENDER + 1);
    if (dockercfg_merge((const char *)data, size, "fuzz", items, 2, &out, &res) == ECD_OK) {
        root = cJSON_ParseWithLength(out.ptr, out.len);
        if (!cJSON_IsObject(root) || out.ptr[out.len - 1] != '\n')
            abort();
        check_auth(cJSON_GetObjectItemCaseSensitive(root, "auths"), H1, A1);
        check_auth(cJSON_GetObjectItemCaseSensitive(root, "auths"), H2, A2);
        cJSON_Delete(root);
        /* A fixed point: our own output merges to itself and reports no change. */
        if (dockercfg_merge(out.ptr, out.len, "fuzz", items, 2, &out2, &res2) != ECD_OK ||
            res2.changed || out2.len != out.len || memcmp(out.ptr, out2.ptr, out.len) != 0)
            abort();
        if (res2.n_shadowed != res.n_shadowed)
            abort();
        dockercfg_result_deinit(&res2);
        dockercfg_warn(&res);
    } else if (res.changed || res.n_shadowed) {
        abort(); /* a rejected input reports nothing */
    }
    dockercfg_result_deinit(&res);
    buf_wipe(&out);
    buf_wipe(&out2);
    return 0;
}
