/* SPDX-License-Identifier: MIT */
/* RawConfigParser-compatible reader for the AWS shared files; see ini.h.  The comments
 * name the Python behaviour each step reproduces (configparser.RawConfigParser._read(),
 * botocore.configloader.raw_config_parse() and _parse_nested(), posixpath). */
#include "ini.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <pwd.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"

/* Keys of the duplicate-detection set: sections use SEEN_SECTION, [DEFAULT] options
 * SEEN_DEFAULT, other options their section's index. */
#define SEEN_SECTION ((size_t)-1)
#define SEEN_DEFAULT ((size_t)-2)

static void wipe_str(char *s)
{
    if (s) {
        OPENSSL_cleanse(s, strlen(s));
        free(s);
    }
}

static char *memdup_str(const void *p, size_t len)
{
    char *s = malloc(len + 1);

    if (s) {
        memcpy(s, p, len);
        s[len] = '\0';
    }
    return s;
}

/* ---- Python's idea of text ------------------------------------------------------ */

/* Length of the valid UTF-8 sequence at p, 0 when invalid (Python's strict decoder:
 * no overlong forms, no surrogates, nothing above U+10FFFF). */
static size_t utf8_len(const unsigned char *p, const unsigned char *end)
{
    size_t n = (size_t)(end - p);
    unsigned char c = p[0];

    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        return n >= 2 && (p[1] & 0xc0) == 0x80 ? 2 : 0;
    if (c >= 0xe0 && c <= 0xef) {
        if (n < 3 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80)
            return 0;
        if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] >= 0xa0))
            return 0;
        return 3;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        if (n < 4 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 || (p[3] & 0xc0) != 0x80)
            return 0;
        if ((c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] >= 0x90))
            return 0;
        return 4;
    }
    return 0;
}

/* Bytes of the whitespace character at p as str.isspace() and the regex \s see it
 * (ASCII \t..\r, \x1c..\x1f, space; U+0085, U+00A0, U+1680, U+2000..U+200A, U+2028,
 * U+2029, U+202F, U+205F, U+3000), or 0.  The text is valid UTF-8 here. */
static size_t ws_at(const unsigned char *p, const unsigned char *end)
{
    size_t n = (size_t)(end - p);

    if (n == 0)
        return 0;
    if ((p[0] >= 0x09 && p[0] <= 0x0d) || (p[0] >= 0x1c && p[0] <= 0x20))
        return 1;
    if (n >= 2 && p[0] == 0xc2 && (p[1] == 0x85 || p[1] == 0xa0))
        return 2;
    if (n >= 3) {
        if (p[0] == 0xe1 && p[1] == 0x9a && p[2] == 0x80)
            return 3;
        if (p[0] == 0xe2 && p[1] == 0x80 &&
            (p[2] <= 0x8a || p[2] == 0xa8 || p[2] == 0xa9 || p[2] == 0xaf))
            return 3;
        if (p[0] == 0xe2 && p[1] == 0x81 && p[2] == 0x9f)
            return 3;
        if (p[0] == 0xe3 && p[1] == 0x80 && p[2] == 0x80)
            return 3;
    }
    return 0;
}

/* Bytes of the whitespace character that ends just before `end`, or 0. */
static size_t ws_before(const unsigned char *start, const unsigned char *end)
{
    size_t n = (size_t)(end - start);

    for (size_t k = 1; k <= 3 && k <= n; k++)
        if (ws_at(end - k, end) == k)
            return k;
    return 0;
}

/* str.strip() on [*b, *e). */
static void strip(const unsigned char **b, const unsigned char **e)
{
    size_t k;

    while (*b < *e && (k = ws_at(*b, *e)) > 0)
        *b += k;
    while (*e > *b && (k = ws_before(*b, *e)) > 0)
        *e -= k;
}

/* Bytes of a line boundary that str.splitlines() knows besides \n and \r (which cannot
 * occur inside one line): \v, \f, \x1c..\x1e, U+0085, U+2028, U+2029; or 0. */
static size_t extra_linebreak_at(const unsigned char *p, const unsigned char *end)
{
    size_t n = (size_t)(end - p);

    if (p[0] == 0x0b || p[0] == 0x0c || (p[0] >= 0x1c && p[0] <= 0x1e))
        return 1;
    if (n >= 2 && p[0] == 0xc2 && p[1] == 0x85)
        return 2;
    if (n >= 3 && p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9))
        return 3;
    return 0;
}

/* optionxform(): str.lower().  ASCII letters, plus U+212A KELVIN SIGN, whose lower case
 * is an ASCII 'k' (so Python accepts it in "aws_access_key_id"); other non-ASCII text
 * is kept as is. */
static char *lower_key(const unsigned char *b, const unsigned char *e)
{
    char *s = malloc((size_t)(e - b) + 1), *o = s;

    if (!s)
        return NULL;
    while (b < e) {
        if (e - b >= 3 && b[0] == 0xe2 && b[1] == 0x84 && b[2] == 0xaa) {
            *o++ = 'k';
            b += 3;
        } else {
            *o++ = (char)(*b >= 'A' && *b <= 'Z' ? *b + ('a' - 'A') : *b);
            b++;
        }
    }
    *o = '\0';
    return s;
}

/* Make room for element n of an array that holds n elements.  The capacity is
 * implicit: the array grows to the next power of two whenever n reaches one, so a
 * file with many keys costs linear copying, not one realloc per key. */
static void *grow_for(void *arr, size_t n, size_t elem)
{
    size_t cap;

    if (n != 0 && (n < 4 || (n & (n - 1)) != 0))
        return arr; /* room left: capacity is 4, then the next power of two */
    cap = n == 0 ? 4 : n * 2;
    if (cap > SIZE_MAX / elem)
        return NULL;
    return realloc(arr, cap * elem);
}

/* ---- duplicate detection --------------------------------------------------------- */

/* strict=True makes a repeated section, or a repeated key within a section, an error.
 * A hash set keeps that linear for the largest accepted file. */
struct seen_slot {
    const char *key; /* borrowed from the tree; NULL: free slot */
    size_t owner;    /* section index, SEEN_SECTION or SEEN_DEFAULT */
    unsigned line;
};

struct seen {
    struct seen_slot *slots; /* owned */
    size_t cap;              /* a power of two, or 0 */
    size_t n;
};

static uint64_t seen_hash(const char *key, size_t owner)
{
    uint64_t h = 14695981039346656037ULL ^ (uint64_t)owner;

    for (; *key; key++) {
        h ^= (unsigned char)*key;
        h *= 1099511628211ULL;
    }
    return h;
}

static struct seen_slot *seen_find(struct seen_slot *slots, size_t cap, const char *key,
                                   size_t owner)
{
    size_t i = (size_t)seen_hash(key, owner) & (cap - 1);

    while (slots[i].key && (slots[i].owner != owner || strcmp(slots[i].key, key) != 0))
        i = (i + 1) & (cap - 1);
    return &slots[i];
}

/* Record (key, owner) from `line`; *first is the line of an earlier record, else 0. */
static enum ecd_status seen_add(struct seen *s, const char *key, size_t owner, unsigned line,
                                unsigned *first)
{
    struct seen_slot *slot;

    if ((s->n + 1) * 2 > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        struct seen_slot *slots = calloc(cap, sizeof(*slots));

        if (!slots)
            return ECD_ENOMEM;
        for (size_t i = 0; i < s->cap; i++)
            if (s->slots[i].key)
                *seen_find(slots, cap, s->slots[i].key, s->slots[i].owner) = s->slots[i];
        free(s->slots);
        s->slots = slots;
        s->cap = cap;
    }
    slot = seen_find(s->slots, s->cap, key, owner);
    if (slot->key) {
        *first = slot->line;
        return ECD_OK;
    }
    slot->key = key;
    slot->owner = owner;
    slot->line = line;
    s->n++;
    *first = 0;
    return ECD_OK;
}

/* ---- the tree -------------------------------------------------------------------- */

static void option_clear(struct ini_option *o)
{
    wipe_str(o->key);
    wipe_str(o->value);
    for (size_t i = 0; i < o->n_sub; i++) {
        wipe_str(o->sub[i].key);
        wipe_str(o->sub[i].value);
    }
    free(o->sub);
}

static void section_clear(struct ini_section *s)
{
    free(s->name);
    for (size_t i = 0; i < s->n_opts; i++)
        option_clear(&s->opts[i]);
    free(s->opts);
}

void ini_free(struct ini *ini)
{
    if (!ini)
        return;
    for (size_t i = 0; i < ini->n_sections; i++)
        section_clear(&ini->sections[i]);
    free(ini->sections);
    section_clear(&ini->defaults);
    free(ini->name);
    free(ini);
}

const struct ini_section *ini_find_section(const struct ini *ini, const char *name)
{
    for (size_t i = 0; ini && i < ini->n_sections; i++)
        if (strcmp(ini->sections[i].name, name) == 0)
            return &ini->sections[i];
    return NULL;
}

static const struct ini_option *section_lookup(const struct ini_section *s, const char *key)
{
    for (size_t i = 0; i < s->n_opts; i++)
        if (strcmp(s->opts[i].key, key) == 0)
            return &s->opts[i];
    return NULL;
}

const struct ini_option *ini_lookup(const struct ini *ini, const struct ini_section *sec,
                                    const char *key)
{
    const struct ini_option *o;

    /* Like RawConfigParser, [DEFAULT] is only reachable through a section. */
    if (!sec)
        return NULL;
    o = section_lookup(sec, key);
    return o ? o : section_lookup(&ini->defaults, key);
}

const char *ini_sub_get(const struct ini_option *opt, const char *key)
{
    for (size_t i = 0; i < opt->n_sub; i++)
        if (strcmp(opt->sub[i].key, key) == 0)
            return opt->sub[i].value;
    return NULL;
}

/* ---- the parser ------------------------------------------------------------------ */

struct parser {
    struct ini *ini;
    struct ini_section *cur; /* where keys go (a section or &ini->defaults); NULL before any */
    size_t cur_owner;        /* its key in `seen` */
    struct ini_option *opt;  /* the key continuation lines extend, or NULL */
    size_t indent_level;     /* indentation of the last key or header line, in characters */
    struct buf val;          /* opt's value so far: its lines joined with '\n' */
    unsigned *piece_line;    /* owned; the line of each of those lines */
    size_t n_pieces, cap_pieces;
    struct seen seen;
    /* botocore parses nested blocks only after RawConfigParser has read the whole file,
     * so their errors come second.  A bad block in [DEFAULT] only counts when a section
     * lacks that key, as only then does botocore see the [DEFAULT] value. */
    unsigned nested_err_line; /* first bad block in a section; 0: none */
    const char *nested_err_key;
    struct seen bad_defaults; /* keys of bad [DEFAULT] blocks; `line` holds their line */
};

static enum ecd_status piece_push(struct parser *p, unsigned line)
{
    if (p->n_pieces == p->cap_pieces) {
        size_t cap = p->cap_pieces ? p->cap_pieces * 2 : 8;
        unsigned *n = realloc(p->piece_line, cap * sizeof(*n));

        if (!n)
            return ECD_ENOMEM;
        p->piece_line = n;
        p->cap_pieces = cap;
    }
    p->piece_line[p->n_pieces++] = line;
    return ECD_OK;
}

/* Add key = value to a nested block; a repeated key replaces the value (a dict).
 * `index` maps keys to their position (stored as `line`, plus one). */
static enum ecd_status sub_set(struct ini_option *o, struct seen *index, const unsigned char *kb,
                               const unsigned char *ke, const unsigned char *vb,
                               const unsigned char *ve, unsigned line)
{
    char *key = memdup_str(kb, (size_t)(ke - kb)), *value = memdup_str(vb, (size_t)(ve - vb));
    struct ini_pair *n;
    enum ecd_status st;
    unsigned at;

    if (!key || !value)
        goto nomem;
    n = grow_for(o->sub, o->n_sub, sizeof(*n));
    if (!n)
        goto nomem;
    o->sub = n;
    st = seen_add(index, key, 0, (unsigned)o->n_sub + 1, &at);
    if (st) {
        wipe_str(key);
        wipe_str(value);
        return st;
    }
    if (at) {
        wipe_str(o->sub[at - 1].value);
        o->sub[at - 1].value = value;
        wipe_str(key);
        return ECD_OK;
    }
    o->sub[o->n_sub++] = (struct ini_pair){.key = key, .value = value, .line = line};
    return ECD_OK;
nomem:
    wipe_str(key);
    wipe_str(value);
    return ECD_ENOMEM;
}

/* botocore's _parse_nested(): every non-blank line of the value after the first is
 * "key = value", split at the first '=' (':' does not count here), both sides stripped.
 * str.splitlines() also breaks at \v, \f and a few others, so one source line can hold
 * several pairs. */
static enum ecd_status nested_pairs(struct parser *p, struct ini_option *o, int in_default,
                                    struct seen *index)
{
    const unsigned char *s = (const unsigned char *)buf_str(&p->val), *end = s + p->val.len;
    size_t piece = 0;

    while (s < end) {
        const unsigned char *pe = memchr(s, '\n', (size_t)(end - s));
        unsigned line = p->piece_line[piece];

        if (!pe)
            pe = end;
        for (const unsigned char *b = s; b < pe;) {
            const unsigned char *e = b, *lb, *le, *eq;
            size_t k = 0;
            enum ecd_status st;

            while (e < pe && (k = extra_linebreak_at(e, pe)) == 0)
                e++;
            lb = b;
            le = e;
            b = e < pe ? e + k : pe;
            strip(&lb, &le);
            if (lb == le)
                continue;
            eq = memchr(lb, '=', (size_t)(le - lb));
            if (!eq) {
                unsigned first;

                if (in_default) {
                    /* Kept as raw text: no section may reach it (else the file fails). */
                    for (size_t i = 0; i < o->n_sub; i++) {
                        wipe_str(o->sub[i].key);
                        wipe_str(o->sub[i].value);
                    }
                    free(o->sub);
                    o->sub = NULL;
                    o->n_sub = 0;
                    return seen_add(&p->bad_defaults, o->key, SEEN_DEFAULT, line, &first);
                }
                if (!p->nested_err_line) {
                    p->nested_err_line = line;
                    p->nested_err_key = o->key;
                }
                return ECD_OK;
            }
            {
                const unsigned char *kb = lb, *ke = eq, *vb = eq + 1, *ve = le;

                strip(&kb, &ke);
                strip(&vb, &ve);
                st = sub_set(o, index, kb, ke, vb, ve, line);
                if (st)
                    return st;
            }
        }
        if (pe == end)
            break;
        s = pe + 1;
        piece++;
    }
    return ECD_OK;
}

static enum ecd_status parse_nested(struct parser *p, struct ini_option *o, int in_default)
{
    struct seen index = {0};
    enum ecd_status st = nested_pairs(p, o, in_default, &index);

    free(index.slots);
    return st;
}

/* The current key is complete: join (RawConfigParser._join_multiline_values(): rstrip),
 * parse a nested block, store. */
static enum ecd_status option_finish(struct parser *p)
{
    struct ini_option *o = p->opt;
    size_t len = p->val.len;
    const char *v = buf_str(&p->val);
    enum ecd_status st = ECD_OK;

    if (!o)
        return ECD_OK;
    p->opt = NULL;
    /* Each line was stripped, so only the '\n's of trailing blank lines can trail. */
    while (len > 0 && v[len - 1] == '\n')
        len--;
    p->val.len = len;
    if (p->val.ptr)
        p->val.ptr[len] = '\0';
    if (len > 0 && v[0] == '\n')
        st = parse_nested(p, o, p->cur == &p->ini->defaults);
    if (!st && !(o->value = memdup_str(v, len)))
        st = ECD_ENOMEM;
    buf_reset(&p->val);
    p->n_pieces = 0;
    return st;
}

static enum ecd_status syntax_error(struct parser *p, unsigned line, const char *what)
{
    log_error("%s:%u: %s", p->ini->name, line, what);
    return ECD_ECONFIG;
}

static enum ecd_status on_header(struct parser *p, const unsigned char *b, size_t len,
                                 unsigned line)
{
    struct ini_section *s;
    enum ecd_status st;
    unsigned first;
    char *name;

    if (len == 7 && memcmp(b, "DEFAULT", 7) == 0) {
        /* [DEFAULT] is not a section: its keys back every section, and it may repeat. */
        p->cur = &p->ini->defaults;
        p->cur_owner = SEEN_DEFAULT;
        if (!p->cur->name) {
            if (!(p->cur->name = strdup("DEFAULT")))
                return ECD_ENOMEM;
            p->cur->line = line;
        }
        return ECD_OK;
    }
    if (!(name = memdup_str(b, len)))
        return ECD_ENOMEM;
    s = grow_for(p->ini->sections, p->ini->n_sections, sizeof(*s));
    if (!s) {
        free(name);
        return ECD_ENOMEM;
    }
    p->ini->sections = s;
    s = &p->ini->sections[p->ini->n_sections++];
    *s = (struct ini_section){.name = name, .line = line};
    p->cur = s;
    p->cur_owner = p->ini->n_sections - 1;
    st = seen_add(&p->seen, name, SEEN_SECTION, line, &first);
    if (st)
        return st;
    if (first) {
        log_error("%s:%u: duplicate section [%s] (first at line %u)", p->ini->name, line, name,
                  first);
        return ECD_ECONFIG;
    }
    return ECD_OK;
}

/* A "key = value" line: the key ends at the first '=' or ':' (OPTCRE's lazy match). */
static enum ecd_status on_option(struct parser *p, const unsigned char *b, const unsigned char *e,
                                 unsigned line)
{
    const unsigned char *d = b, *kb = b, *ke, *vb, *ve = e;
    struct ini_option *o;
    enum ecd_status st;
    unsigned first;
    char *key;

    while (d < e && *d != '=' && *d != ':')
        d++;
    if (d == e)
        return syntax_error(p, line, "expected 'key = value' or '[section]'");
    ke = d;
    vb = d + 1;
    strip(&kb, &ke);
    strip(&vb, &ve);
    if (kb == ke)
        return syntax_error(p, line, "expected a key before the '=' or ':'");
    if (!(key = lower_key(kb, ke)))
        return ECD_ENOMEM;
    o = grow_for(p->cur->opts, p->cur->n_opts, sizeof(*o));
    if (!o) {
        free(key);
        return ECD_ENOMEM;
    }
    p->cur->opts = o;
    o = &p->cur->opts[p->cur->n_opts++];
    *o = (struct ini_option){.key = key, .line = line};
    st = seen_add(&p->seen, key, p->cur_owner, line, &first);
    if (st)
        return st;
    if (first) {
        log_error("%s:%u: duplicate key '%s' in [%s] (first at line %u)", p->ini->name, line, key,
                  p->cur->name, first);
        return ECD_ECONFIG;
    }
    p->opt = o;
    st = buf_append(&p->val, vb, (size_t)(ve - vb));
    return st ? st : piece_push(p, line);
}

/* One line of RawConfigParser._read(), without its line break. */
static enum ecd_status on_line(struct parser *p, const unsigned char *b, const unsigned char *e,
                               unsigned line)
{
    const unsigned char *vb = b, *ve = e, *close;
    size_t indent = 0, k;
    enum ecd_status st;

    strip(&vb, &ve);
    /* Whole-line comments are skipped without ending a value; a blank line adds an
     * empty line to the value being read (empty_lines_in_values). */
    if (vb < ve && (*vb == '#' || *vb == ';'))
        return ECD_OK;
    if (vb == ve) {
        if (!p->opt)
            return ECD_OK;
        st = buf_append(&p->val, "\n", 1);
        return st ? st : piece_push(p, line);
    }
    for (const unsigned char *q = b; q < e && (k = ws_at(q, e)) > 0; q += k)
        indent++;
    if (p->opt && indent > p->indent_level) {
        st = buf_append(&p->val, "\n", 1);
        if (!st)
            st = buf_append(&p->val, vb, (size_t)(ve - vb));
        return st ? st : piece_push(p, line);
    }
    p->indent_level = indent;
    st = option_finish(p);
    if (st)
        return st;
    /* SECTCRE: '[', at least one character, then the last ']' of the line; anything
     * after that ']' is ignored. */
    close = NULL;
    for (const unsigned char *q = vb + 1; q < ve; q++)
        if (*q == ']')
            close = q;
    if (*vb == '[' && close && close > vb + 1)
        return on_header(p, vb + 1, (size_t)(close - vb - 1), line);
    if (!p->cur)
        return syntax_error(p, line, "expected a '[section]' header before the first key");
    return on_option(p, vb, ve, line);
}

/* Report the first bad nested block botocore would trip over, if any. */
static enum ecd_status nested_errors(struct parser *p)
{
    unsigned line = p->nested_err_line;
    const char *key = p->nested_err_key;

    if (p->bad_defaults.n && p->ini->n_sections) {
        /* Count, for each bad [DEFAULT] key, the sections that have their own value;
         * fewer than all sections means one of them falls back to the bad block. */
        size_t *have = calloc(p->bad_defaults.cap, sizeof(*have));

        if (!have)
            return ECD_ENOMEM;
        for (size_t i = 0; i < p->ini->n_sections; i++) {
            const struct ini_section *s = &p->ini->sections[i];

            for (size_t j = 0; j < s->n_opts; j++) {
                struct seen_slot *slot = seen_find(p->bad_defaults.slots, p->bad_defaults.cap,
                                                   s->opts[j].key, SEEN_DEFAULT);

                if (slot->key)
                    have[slot - p->bad_defaults.slots]++;
            }
        }
        for (size_t i = 0; i < p->bad_defaults.cap; i++) {
            const struct seen_slot *slot = &p->bad_defaults.slots[i];

            if (slot->key && have[i] < p->ini->n_sections && (!line || slot->line < line)) {
                line = slot->line;
                key = slot->key;
            }
        }
        free(have);
    }
    if (!line)
        return ECD_OK;
    log_error("%s:%u: '%s' starts a nested block (its first line is empty), so expected 'key "
              "= value' here",
              p->ini->name, line, key);
    return ECD_ECONFIG;
}

/* The file must decode as UTF-8 (Python reads it as text) and, for C strings, hold
 * no NUL. */
static enum ecd_status check_text(const char *name, const unsigned char *s, size_t len)
{
    unsigned line = 1;

    for (size_t i = 0; i < len;) {
        size_t k;

        if (s[i] == '\n' || (s[i] == '\r' && (i + 1 >= len || s[i + 1] != '\n')))
            line++;
        if (s[i] == '\0') {
            log_error("%s:%u: NUL byte; expected text", name, line);
            return ECD_ECONFIG;
        }
        k = utf8_len(s + i, s + len);
        if (k == 0) {
            log_error("%s:%u: invalid UTF-8", name, line);
            return ECD_ECONFIG;
        }
        i += k;
    }
    return ECD_OK;
}

enum ecd_status ini_parse(const char *text, size_t len, const char *name, struct ini **out)
{
    const unsigned char *s = (const unsigned char *)text, *end = s + len;
    struct parser p = {0};
    enum ecd_status st;
    unsigned line = 0;

    *out = NULL;
    if (len > INI_MAX_SIZE) {
        log_error("%s: larger than %d bytes", name, INI_MAX_SIZE);
        return ECD_ECONFIG;
    }
    st = check_text(name, s, len);
    if (st)
        return st;
    p.ini = calloc(1, sizeof(*p.ini));
    if (!p.ini || !(p.ini->name = strdup(name))) {
        st = ECD_ENOMEM;
        goto out;
    }
    buf_init(&p.val, INI_MAX_SIZE);
    /* Universal newlines: \n, \r\n and a lone \r each end a line. */
    while (s < end && !st) {
        const unsigned char *e = s;

        while (e < end && *e != '\n' && *e != '\r')
            e++;
        st = on_line(&p, s, e, ++line);
        if (e < end && *e == '\r' && e + 1 < end && e[1] == '\n')
            e++;
        s = e < end ? e + 1 : end;
    }
    if (!st)
        st = option_finish(&p);
    if (!st)
        st = nested_errors(&p);
out:
    buf_wipe(&p.val);
    free(p.piece_line);
    free(p.seen.slots);
    free(p.bad_defaults.slots);
    if (st) {
        ini_free(p.ini);
        return st;
    }
    *out = p.ini;
    return ECD_OK;
}

enum ecd_status ini_load(const char *path, struct ini **out)
{
    struct stat sb;
    struct buf b;
    enum ecd_status st = ECD_OK;
    int fd;

    *out = NULL;
    /* os.path.isfile(): a missing path, a directory or a device is "no file". */
    if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        log_debug("%s: not a regular file, no profiles from it", path);
        return ECD_OK;
    }
    /* O_NONBLOCK: should the path turn into a FIFO meanwhile, open must not hang. */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        log_warn("%s: cannot open (%s), ignoring it as botocore does", path, strerror(errno));
        return ECD_OK;
    }
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return ECD_OK;
    }
    buf_init(&b, INI_MAX_SIZE);
    for (;;) {
        char chunk[4096];
        ssize_t n = read(fd, chunk, sizeof(chunk));

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            log_warn("%s: cannot read (%s), ignoring it as botocore does", path, strerror(errno));
            buf_wipe(&b);
            OPENSSL_cleanse(chunk, sizeof(chunk));
            close(fd);
            return ECD_OK;
        }
        if (n == 0)
            break;
        st = buf_append(&b, chunk, (size_t)n);
        OPENSSL_cleanse(chunk, (size_t)n);
        if (st) {
            /* The cap is the only way a capped append fails short of memory. */
            if (b.len + (size_t)n > INI_MAX_SIZE) {
                log_error("%s: larger than %d bytes", path, INI_MAX_SIZE);
                st = ECD_ECONFIG;
            }
            break;
        }
    }
    close(fd);
    if (!st)
        st = ini_parse(buf_str(&b), b.len, path, out);
    buf_wipe(&b);
    return st;
}

/* ---- path expansion -------------------------------------------------------------- */

/* The home directory of a uid or user name from the password database, malloc'ed;
 * NULL when unknown (ENOMEM in *st). */
static char *pw_home(const char *user, enum ecd_status *st)
{
    size_t size = 4096;
    char *home = NULL;

    *st = ECD_OK;
    for (;;) {
        struct passwd pw, *res = NULL;
        char *mem = malloc(size);
        int rc;

        if (!mem) {
            *st = ECD_ENOMEM;
            return NULL;
        }
        rc = user ? getpwnam_r(user, &pw, mem, size, &res)
                  : getpwuid_r(getuid(), &pw, mem, size, &res);
        if (rc == ERANGE && size < 1024 * 1024) {
            free(mem);
            size *= 2;
            continue;
        }
        if (rc == 0 && res && res->pw_dir && !(home = strdup(res->pw_dir)))
            *st = ECD_ENOMEM;
        free(mem);
        return home;
    }
}

/* posixpath.expandvars(): $NAME (ASCII letters, digits, '_') or ${ANYTHING}; a variable
 * that is not set stays as written, and substituted text is not scanned again. */
static enum ecd_status expand_vars(const char *path, const char *(*getenv_fn)(const char *),
                                   struct buf *b)
{
    const char *p = path;
    enum ecd_status st = ECD_OK;

    while (*p && !st) {
        const char *name_b, *name_e, *next, *val;
        char *name;

        if (*p != '$') {
            st = buf_append(b, p++, 1);
            continue;
        }
        if (p[1] == '{' && strchr(p + 2, '}')) {
            name_b = p + 2;
            name_e = strchr(p + 2, '}');
            next = name_e + 1;
        } else {
            name_b = name_e = p + 1;
            while ((*name_e >= 'A' && *name_e <= 'Z') || (*name_e >= 'a' && *name_e <= 'z') ||
                   (*name_e >= '0' && *name_e <= '9') || *name_e == '_')
                name_e++;
            next = name_e;
            if (name_e == name_b) {
                st = buf_append(b, p++, 1);
                continue;
            }
        }
        if (!(name = memdup_str(name_b, (size_t)(name_e - name_b))))
            return ECD_ENOMEM;
        val = getenv_fn(name);
        free(name);
        st = val ? buf_append_str(b, val) : buf_append(b, p, (size_t)(next - p));
        p = next;
    }
    return st;
}

enum ecd_status ini_expand_path(const char *path, const char *(*getenv_fn)(const char *),
                                char **out)
{
    struct buf b, r;
    enum ecd_status st;
    const char *s, *slash, *home_env = NULL;
    char *home = NULL;
    size_t hlen;

    *out = NULL;
    buf_init(&b, 64 * 1024);
    buf_init(&r, 64 * 1024);
    st = expand_vars(path, getenv_fn, &b);
    if (st)
        goto out;
    s = buf_str(&b);
    /* posixpath.expanduser(): "~" or "~/..." uses HOME, else the password database;
     * "~user/..." uses the password database; unknown: unchanged. */
    if (s[0] != '~') {
        st = buf_steal(&b, out);
        goto out;
    }
    slash = strchr(s + 1, '/');
    if (!slash)
        slash = s + strlen(s);
    if (slash == s + 1 && (home_env = getenv_fn("HOME")) != NULL) {
        /* HOME as given, even empty. */
    } else if (slash == s + 1) {
        home = pw_home(NULL, &st);
    } else {
        char *user = memdup_str(s + 1, (size_t)(slash - s - 1));

        if (!user) {
            st = ECD_ENOMEM;
            goto out;
        }
        home = pw_home(user, &st);
        free(user);
    }
    if (st)
        goto out;
    if (!home_env && !home) {
        st = buf_steal(&b, out);
        goto out;
    }
    if (!home_env)
        home_env = home;
    hlen = strlen(home_env);
    while (hlen > 0 && home_env[hlen - 1] == '/')
        hlen--;
    st = buf_append(&r, home_env, hlen);
    if (!st)
        st = buf_append_str(&r, slash);
    if (!st && r.len == 0)
        st = buf_append_str(&r, "/");
    if (!st)
        st = buf_steal(&r, out);
out:
    free(home);
    buf_free(&b);
    buf_free(&r);
    return st;
}
