/* SPDX-License-Identifier: MIT */
/* AWS credential sets; see awscreds.h. */
#include "awscreds.h"

#include <stdlib.h>
#include <string.h>

void aws_credentials_clear(struct aws_credentials *c)
{
    free(c->access_key_id);
    c->access_key_id = NULL;
    secret_wipe(&c->secret_key);
    secret_wipe(&c->session_token);
    c->expiration = 0;
    free(c->provider);
    c->provider = NULL;
}

enum ecd_status aws_credentials_copy(struct aws_credentials *dst, const struct aws_credentials *src)
{
    struct aws_credentials tmp = {0};

    tmp.expiration = src->expiration;
    if ((src->access_key_id && !(tmp.access_key_id = strdup(src->access_key_id))) ||
        (src->provider && !(tmp.provider = strdup(src->provider))) ||
        secret_copy(&tmp.secret_key, &src->secret_key) ||
        secret_copy(&tmp.session_token, &src->session_token)) {
        aws_credentials_clear(&tmp);
        return ECD_ENOMEM;
    }
    aws_credentials_clear(dst);
    *dst = tmp;
    return ECD_OK;
}
