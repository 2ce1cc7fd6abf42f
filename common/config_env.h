/* SPDX-License-Identifier: MIT */
/* The configuration from environment variables, used when no configuration file is
 * (no --config and no /etc/ecr-credd/config.json): the variables of the old
 * rancher-ecr-credentials updater keep their meaning, so its deployments can swap
 * the image and keep their settings.
 *
 * The variables are turned into a JSON document of the configuration file's format
 * and that document goes through config_parse(): the result is by construction the
 * same as the equivalent file.  Bad values are reported naming the variable
 * ("AUTO_CREATE: expected true or false, got 'yes please'").  Secrets (API keys,
 * tokens) are never copied into the document: the sinks read those variables
 * themselves.  See ecr-credd(8), ENVIRONMENT. */
#ifndef ECD_CONFIG_ENV_H
#define ECD_CONFIG_ENV_H

#include "buf.h"
#include "config.h"
#include "status.h"

/* What the document is called in messages from config_parse() and the sinks. */
#define CONFIG_ENV_NAME "environment"

/* The JSON document for the environment, appended to out.  getenv_fn NULL: getenv(3).
 * ECD_ECONFIG (logged, naming the variable) for a bad value, ECD_ENOMEM. */
ECD_MUST_CHECK enum ecd_status config_env_json(const char *(*getenv_fn)(const char *),
                                               struct buf *out);

/* config_default() itself is declared in config.h, where its callers look. */

#endif
