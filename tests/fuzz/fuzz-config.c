/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the input is a config file's text for config_parse(), and the
 * same bytes as a duration string.  Besides the sanitizers, it checks what every
 * accepted config promises (at least one registry and sink, unique non-empty names,
 * ordered retry bounds, well-formed ids) and that formatted durations parse back. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "duration.h"
#include "fuzz.h"

static void check_config(const struct config *c)
{
    const struct config_refresh *r = &c->refresh;

    if (!c->path || !c->n_registries || !c->registries || !c->n_sinks || !c->sinks)
        abort();
    if (r->before_expiry_ms < 0 || r->jitter_ms < 0 || r->retry_min_ms <= 0 ||
        r->retry_min_ms > r->retry_max_ms || r->retry_max_ms > DURATION_MAX_MS)
        abort();
    for (size_t i = 0; i < c->n_registries; i++) {
        const struct config_registry *g = &c->registries[i];

        if (!g->where || (g->region && !*g->region) || (g->profile && !*g->profile))
            abort();
        if (g->n_registry_ids > 10 || (g->n_registry_ids && !g->registry_ids))
            abort();
        for (size_t j = 0; j < g->n_registry_ids; j++)
            if (strlen(g->registry_ids[j]) != 12 || strspn(g->registry_ids[j], "0123456789") != 12)
                abort();
    }
    for (size_t i = 0; i < c->n_sinks; i++) {
        const struct config_sink *s = &c->sinks[i];

        if (!s->where || !s->type || !*s->type || !s->name || !*s->name || !cJSON_IsObject(s->node))
            abort();
        for (size_t j = 0; j < i; j++)
            if (!strcmp(s->name, c->sinks[j].name))
                abort();
    }
}

static void check_duration(const uint8_t *data, size_t size)
{
    char text[64], out[DURATION_FORMAT_MAX];
    int64_t ms, back;

    if (size >= sizeof(text))
        return;
    memcpy(text, data, size);
    text[size] = '\0';
    if (duration_parse(text, &ms, NULL) != ECD_OK)
        return;
    if (ms < 0 || ms > DURATION_MAX_MS)
        abort();
    duration_format(ms, out, sizeof(out));
    if (duration_parse(out, &back, NULL) != ECD_OK || back != ms)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct config *c = (struct config *)1;

    if (config_parse((const char *)data, size, "fuzz.json", &c) == ECD_OK)
        check_config(c);
    else if (c)
        abort();
    config_free(c);
    check_duration(data, size);
    return 0;
}
