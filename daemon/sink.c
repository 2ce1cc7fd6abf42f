/* SPDX-License-Identifier: MIT */
/* The table of built sinks and instance creation; see sink.h. */
#include "sink.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"

#define SINK(x) extern const struct sink_ops sink_##x##_ops;
#include "sink-list.h"
#undef SINK

static const struct sink_ops *const sink_table[] = {
#define SINK(x) &sink_##x##_ops,
#include "sink-list.h"
#undef SINK
    NULL,
};

const char *sink_types(void)
{
    static char names[256];

    if (!names[0]) {
        for (size_t i = 0; sink_table[i]; i++) {
            if (i)
                strncat(names, ", ", sizeof(names) - strlen(names) - 1);
            strncat(names, sink_table[i]->type, sizeof(names) - strlen(names) - 1);
        }
    }
    return names;
}

enum ecd_status sink_new(const struct config_sink *cs, const struct sink_env *env,
                         struct sink **out)
{
    const struct sink_ops *ops = NULL;
    struct sink *s;
    enum ecd_status st;

    for (size_t i = 0; sink_table[i]; i++)
        if (!strcmp(sink_table[i]->type, cs->type))
            ops = sink_table[i];
    if (!ops) {
        log_error("%s: %s.type: unknown sink type \"%s\" (this build has: %s)", cs->file, cs->where,
                  cs->type, sink_types());
        return ECD_ECONFIG;
    }
    s = calloc(1, sizeof(*s));
    if (!s)
        return ECD_ENOMEM;
    s->ops = ops;
    s->env = env;
    s->name = strdup(cs->name);
    s->state = calloc(1, ops->state_size ? ops->state_size : 1);
    if (!s->name || !s->state) {
        free(s->name);
        free(s->state);
        free(s);
        return ECD_ENOMEM;
    }
    st = ops->configure(s, cs);
    if (st) {
        sink_free(s);
        return st;
    }
    *out = s;
    return ECD_OK;
}

void sink_free(struct sink *s)
{
    if (!s)
        return;
    if (s->ops->deinit)
        s->ops->deinit(s);
    free(s->state);
    free(s->name);
    free(s);
}
