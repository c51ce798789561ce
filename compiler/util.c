/*
 * util.c - arena allocation, internal errors and the exact integer helpers
 * that docs/numerics.md defines once for the whole project.
 */
#include "tc0c.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

struct ArenaBlock {
    ArenaBlock *next;
    size_t used, cap;
    _Alignas(16) unsigned char data[];
};

void (*alloc_failed_hook)(size_t bytes);

void *xmalloc(size_t size) {
    void *p = malloc(size ? size : 1);
    if (!p && alloc_failed_hook) alloc_failed_hook(size);
    if (!p) BUG("out of memory allocating %zu bytes", size);
    return p;
}

void *xcalloc(size_t n, size_t size) {
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p && alloc_failed_hook) alloc_failed_hook(n * size);
    if (!p) BUG("out of memory allocating %zu x %zu bytes", n, size);
    return p;
}

void *xrealloc(void *p, size_t size) {
    void *q = realloc(p, size ? size : 1);
    if (!q && alloc_failed_hook) alloc_failed_hook(size);
    if (!q) BUG("out of memory reallocating %zu bytes", size);
    return q;
}

void *arena_alloc(Arena *a, size_t size) {
    size = (size + 15) & ~(size_t)15;
    ArenaBlock *b = a->head;
    if (!b || b->cap - b->used < size) {
        size_t cap = size > 65536 ? size : 65536;
        b = xmalloc(sizeof *b + cap);
        b->next = a->head;
        b->used = 0;
        b->cap = cap;
        a->head = b;
    }
    void *p = b->data + b->used;
    b->used += size;
    a->bytes += size;
    memset(p, 0, size);
    return p;
}

char *arena_strdup(Arena *a, const char *s) {
    size_t n = strlen(s) + 1;
    char *d = arena_alloc(a, n);
    memcpy(d, s, n);
    return d;
}

void arena_free(Arena *a) {
    ArenaBlock *b = a->head;
    while (b) {
        ArenaBlock *next = b->next;
        free(b);
        b = next;
    }
    a->head = NULL;
    a->bytes = 0;
}

static const char *bug_context;

void bug_set_context(const char *what) { bug_context = what; }

void fputs_safe(const char *s, FILE *f) {
    for (const unsigned char *u = (const unsigned char *)s; *u; u++) {
        bool c1 = u[0] == 0xC2 && u[1] >= 0x80 && u[1] <= 0x9F; /* U+0080..U+009F */
        if (*u < 0x20 || *u == 0x7F) fprintf(f, "\\x%02x", *u);
        else if (c1) fprintf(f, "\\u%04x", *++u);
        else fputc(*u, f);
    }
}

_Noreturn void bug_at(const char *file, int line, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "tc0c: ");
    if (bug_context) {
        fputs_safe(bug_context, stderr);
        fputs(": ", stderr);
    }
    fprintf(stderr, "internal error at %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    abort();
}

int64_t gcd64(int64_t a, int64_t b) {
    if (a < 0) a = -a;
    if (b < 0) b = -b;
    while (b) {
        int64_t r = a % b;
        a = b;
        b = r;
    }
    return a;
}

int bit_length(int64_t v) {
    int b = 0;
    while (v > 0) {
        b++;
        v >>= 1;
    }
    return b;
}

int64_t floor_div(int64_t a, int64_t b) {
    if (b <= 0) BUG("floor_div by %lld", (long long)b);
    int64_t q = a / b;
    if ((a % b != 0) && (a < 0)) q--;
    return q;
}

int64_t sat_p(int p, int64_t v) {
    if (v < pmin(p)) return pmin(p);
    if (v > pmax(p)) return pmax(p);
    return v;
}

/* Rounding offset of a right shift by s: round half up (numerics 1.2). */
int64_t round_off(int shift) { return shift > 0 ? (int64_t)1 << (shift - 1) : 0; }

int64_t requant(int p, int64_t acc, int shift) {
    return sat_p(p, floor_div(acc + round_off(shift), (int64_t)1 << shift));
}

int64_t requant_res(int p, int64_t x, int64_t acc, int shift) {
    return sat_p(p, x + floor_div(acc + round_off(shift), (int64_t)1 << shift));
}
