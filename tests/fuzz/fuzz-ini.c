/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the input is an AWS shared config/credentials file for ini_parse(),
 * and the same bytes (up to the first NUL) as a path for ini_expand_path().  Besides the
 * sanitizers, it checks what every accepted file promises: unique section names and
 * keys, lower-case keys, stripped values, nested blocks exactly for values whose first
 * line is empty, and lookups that find each key. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ini.h"
#include "fuzz.h"

static int is_space(unsigned char c)
{
    return (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20);
}

static void check_section(const struct ini *ini, const struct ini_section *s)
{
    if (!s->name || !s->line || (s->n_opts && !s->opts))
        abort();
    for (size_t i = 0; i < s->n_opts; i++) {
        const struct ini_option *o = &s->opts[i];
        size_t vlen;

        if (!o->key || !o->value || !*o->key || !o->line)
            abort();
        for (const char *k = o->key; *k; k++)
            if (*k >= 'A' && *k <= 'Z')
                abort();
        vlen = strlen(o->value);
        if (vlen && (is_space((unsigned char)o->value[vlen - 1]) ||
                     (o->value[0] != '\n' && is_space((unsigned char)o->value[0]))))
            abort();
        if ((o->sub && (!o->n_sub || o->value[0] != '\n')) ||
            (!o->sub && vlen > 0 && o->value[0] == '\n' && s != &ini->defaults))
            abort();
        for (size_t j = 0; j < o->n_sub; j++)
            if (!o->sub[j].key || !o->sub[j].value ||
                ini_sub_get(o, o->sub[j].key) != o->sub[j].value)
                abort();
        /* Keys are unique, so a lookup finds this very option (the section's own first). */
        if (i < 64 && s != &ini->defaults && ini_lookup(ini, s, o->key) != o)
            abort();
    }
}

static const char *fake_getenv(const char *name)
{
    if (!strcmp(name, "HOME"))
        return "/home/fuzz";
    if (!strcmp(name, "A"))
        return "$A~";
    return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ini *ini = NULL;
    char *path, *out = NULL;

    if (ini_parse((const char *)data, size, "fuzz", &ini) == ECD_OK) {
        if (!ini || !ini->name)
            abort();
        for (size_t i = 0; i < ini->n_sections; i++) {
            check_section(ini, &ini->sections[i]);
            if (i < 64 && ini_find_section(ini, ini->sections[i].name) != &ini->sections[i])
                abort();
        }
        if (ini->defaults.name)
            check_section(ini, &ini->defaults);
        ini_free(ini);
    } else if (ini) {
        abort();
    }

    path = malloc(size + 1);
    if (!path)
        return 0;
    memcpy(path, data, size);
    path[size] = '\0';
    if (ini_expand_path(path, fake_getenv, &out) == ECD_OK && !out)
        abort();
    free(out);
    free(path);
    return 0;
}
