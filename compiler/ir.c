/*
 * ir.c - the threshold-circuit netlist: creation with normalization and
 * structural hashing, linear forms, dead-gate removal, the checker, stats,
 * dump, and the majority-gate rewrite.
 *
 * Normal form of a gate [sum w_i x_i + c >= t] (ir_thr):
 *   1. terms sorted by source, duplicates merged, zero weights dropped,
 *      constant gates folded into c;
 *   2. a gate whose threshold lies outside [min, max] of its sum is the
 *      constant 0 or 1;
 *   3. weights divided by their gcd g, threshold rounded up: t' = ceil(t/g);
 *   4. [x >= 1] is x itself;
 *   5. a gate [S >= t] or [-S >= t] over a sum node whose reachable values
 *      are known (IR_REACH_MAX) has t moved to a reachable value, or is a
 *      constant when all or none pass, so thresholds that no reachable
 *      value tells apart are one gate;
 *   6. the (terms, t') pair is hashed: an equal gate is reused.
 * Before all that, an input that is an inverter [-x >= 0] is replaced by
 * 1 - x, so inverters never add a level.  A gate whose normalized sum has
 * IR_SUM_MIN_TERMS or more terms reads it through a shared sum node
 * (G_SUM): [S >= t] or [-S >= t], one stored term; every gate and form
 * over the same sum reads the same node, so the netlist's size (wires)
 * grows with the distinct sums, not with their readers.  A sum node has no
 * threshold and costs no level.
 */
#define _DEFAULT_SOURCE 1 /* madvise(MADV_HUGEPAGE) */
#include "tc0c.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

const char *op_name(Op op) {
    static const char *const names[OP__COUNT] = {"input",    "embed",      "qkv",     "score",  "select", "mix",  "div",
                                                 "attn_out", "ffn_hidden", "ffn_out", "output", "binary", "other"};
    return op < OP__COUNT ? names[op] : "?";
}

/* ---- overflow-checked arithmetic: a weight past 2^62 refuses the
 * circuit (exit 4, naming the operation being built), never wraps ---- */

static const Circuit *active; /* the circuit being built, for messages */

_Noreturn void ir_refuse(const Circuit *c, const char *why) {
    if (!c) c = active;
    fprintf(stderr, "tc0c: ");
    if (c && c->what) fprintf(stderr, "%s: ", c->what);
    if (c) {
        Origin o = c->cur_origin;
        if (origin_layer(o) >= 0) fprintf(stderr, "layer %d ", origin_layer(o));
        if (origin_head(o) >= 0) fprintf(stderr, "head %d ", origin_head(o));
        fprintf(stderr, "%s: ", op_name(origin_op(o)));
    }
    fprintf(stderr, "%s\n", why);
    exit(EXIT_TOO_BIG);
}

static _Noreturn void overflow(int64_t a, char op, int64_t b) {
    char msg[256];
    snprintf(msg, sizeof msg,
             "weight arithmetic would overflow (%lld %c %lld): the value ranges are too wide for exact threshold "
             "gates; lower p, the weights or n",
             (long long)a, op, (long long)b);
    ir_refuse(NULL, msg);
}

static void alloc_failed(size_t bytes) {
    char msg[200];
    snprintf(msg, sizeof msg, "out of memory allocating %zu bytes while building; lower n, p or width, or --max-mem",
             bytes);
    ir_refuse(NULL, msg);
}

/* Resident memory of this process in bytes (Linux; 0 when unknown). */
static int64_t resident_bytes(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    long long pages = 0, rss = 0;
    if (!f) return 0;
    if (fscanf(f, "%lld %lld", &pages, &rss) != 2) rss = 0;
    fclose(f);
    return (int64_t)rss * 4096;
}

static int64_t add_ck(int64_t a, int64_t b) {
    int64_t r;
    if (__builtin_add_overflow(a, b, &r) || r > ((int64_t)1 << 62) || r < -((int64_t)1 << 62)) overflow(a, '+', b);
    return r;
}

static int64_t mul_ck(int64_t a, int64_t b) {
    int64_t r;
    if (__builtin_mul_overflow(a, b, &r) || r > ((int64_t)1 << 62) || r < -((int64_t)1 << 62)) overflow(a, '*', b);
    return r;
}

/* ---- linear forms ---- */

void form_init(Form *f, int64_t c) {
    f->c = c;
    f->n = 0;
    f->cap = 0;
    f->t = NULL;
}

void form_free(Form *f) {
    free(f->t);
    form_init(f, 0);
}

void form_copy(Form *dst, const Form *src) {
    form_init(dst, src->c);
    if (src->n) {
        dst->cap = src->n;
        dst->t = xmalloc(sizeof *dst->t * (size_t)src->n);
        memcpy(dst->t, src->t, sizeof *dst->t * (size_t)src->n);
        dst->n = src->n;
    }
}

void form_add_term(Form *f, GateId g, int64_t w) {
    if (w == 0) return;
    if (g == GATE_CONST0) return;
    if (g == GATE_CONST1) {
        f->c = add_ck(f->c, w);
        return;
    }
    if (f->n == f->cap) {
        f->cap = f->cap ? 2 * f->cap : 8;
        f->t = xrealloc(f->t, sizeof *f->t * (size_t)f->cap);
    }
    f->t[f->n].src = g;
    f->t[f->n].w = w;
    f->n++;
}

void form_add(Form *f, const Form *g, int64_t scale) {
    if (scale == 0) return;
    f->c = add_ck(f->c, mul_ck(g->c, scale));
    for (int i = 0; i < g->n; i++) form_add_term(f, g->t[i].src, mul_ck(g->t[i].w, scale));
}

/* Sorts terms by source, stably (equal sources keep their order: their
 * weights are summed in that order, which decides where the checked
 * arithmetic refuses): insertion sort on runs of 16, then merges of runs
 * through a buffer.  Forms are mostly a few sorted runs. */
enum { SORT_RUN = 16 };

static void insertion_sort_terms(Term *t, int n) {
    for (int i = 1; i < n; i++) {
        Term x = t[i];
        int j = i;
        for (; j > 0 && t[j - 1].src > x.src; j--) t[j] = t[j - 1];
        t[j] = x;
    }
}

static void sort_terms(Term *t, int n) {
    for (int a = 0; a < n; a += SORT_RUN) insertion_sort_terms(t + a, n - a < SORT_RUN ? n - a : SORT_RUN);
    if (n <= SORT_RUN) return;
    Term *buf = xmalloc(sizeof *t * (size_t)n), *src = t, *dst = buf;
    for (int w = SORT_RUN; w < n; w *= 2) {
        for (int a = 0; a < n; a += 2 * w) { /* merge src[a, a+w) and src[a+w, a+2w) into dst */
            int m = a + w < n ? a + w : n, e = a + 2 * w < n ? a + 2 * w : n, i = a, j = m, k = a;
            if (m < e && src[m - 1].src <= src[m].src) { /* already in order */
                memcpy(dst + a, src + a, sizeof *t * (size_t)(e - a));
                continue;
            }
            while (i < m && j < e) dst[k++] = src[j].src < src[i].src ? src[j++] : src[i++];
            while (i < m) dst[k++] = src[i++];
            while (j < e) dst[k++] = src[j++];
        }
        Term *tmp = src;
        src = dst;
        dst = tmp;
    }
    if (src != t) memcpy(t, src, sizeof *t * (size_t)n);
    free(buf);
}

void form_canon(Form *f) {
    sort_terms(f->t, f->n);
    int k = 0;
    for (int i = 0; i < f->n; i++) {
        if (f->t[i].src == GATE_CONST0) continue;
        if (f->t[i].src == GATE_CONST1) {
            f->c = add_ck(f->c, f->t[i].w);
            continue;
        }
        if (k > 0 && f->t[k - 1].src == f->t[i].src) f->t[k - 1].w = add_ck(f->t[k - 1].w, f->t[i].w);
        else f->t[k++] = f->t[i];
        if (f->t[k - 1].w == 0) k--;
    }
    f->n = k;
}

void form_bounds(const Form *f, int64_t *lo, int64_t *hi) {
    int64_t l = f->c;
    int64_t h = l;
    for (int i = 0; i < f->n; i++) {
        if (f->t[i].w < 0) l = add_ck(l, f->t[i].w);
        else h = add_ck(h, f->t[i].w);
    }
    *lo = l;
    *hi = h;
}

/* ---- the circuit ---- */

static void add_gate_raw(Circuit *c, GateKind kind, int64_t thr) {
    if (c->n_gates == c->cap_gates) {
        c->cap_gates = c->cap_gates ? 2 * c->cap_gates : 1024;
        c->gates = xrealloc(c->gates, sizeof *c->gates * (size_t)c->cap_gates);
        c->reach_of = xrealloc(c->reach_of, sizeof *c->reach_of * (size_t)c->cap_gates);
    }
    c->reach_of[c->n_gates] = -1;
    Gate *g = &c->gates[c->n_gates++];
    memset(g, 0, sizeof *g);
    g->kind = (uint8_t)kind;
    g->thr = thr;
    g->lo = 0;
    g->hi = 1;
    g->term_off = c->n_terms;
    g->group = -1;
    g->origin = origin_make(-1, -1, OP_INPUT);
}

Circuit *ir_new(int n_inputs) {
    Circuit *c = xcalloc(1, sizeof *c);
    add_gate_raw(c, G_CONST, 1); /* constant 0: [0 >= 1] */
    add_gate_raw(c, G_CONST, 0); /* constant 1: [0 >= 0] */
    c->gates[GATE_CONST0].hi = 0;
    c->gates[GATE_CONST1].lo = 1;
    active = c;
    alloc_failed_hook = alloc_failed;
    for (int i = 0; i < n_inputs; i++) add_gate_raw(c, G_INPUT, 0);
    c->n_inputs = n_inputs;
    c->cur_origin = origin_make(-1, -1, OP_OTHER);
    return c;
}

void ir_free(Circuit *c) {
    if (!c) return;
    if (active == c) {
        active = NULL;
        alloc_failed_hook = NULL;
    }
    free(c->gates);
    free(c->terms);
    free(c->outputs);
    free(c->hash);
    free(c->group_hash);
    free(c->scratch);
    free(c->reach_of);
    free(c->reach_pool);
    free(c);
}

static uint64_t hash_terms(const Term *t, uint32_t n) {
    uint64_t h = 1469598103934665603ull;
    for (uint32_t i = 0; i < n; i++) {
        h = (h ^ (uint64_t)(uint32_t)t[i].src) * 1099511628211ull;
        h = (h ^ (uint64_t)t[i].w) * 1099511628211ull;
    }
    return h ^ (h >> 29);
}

/* A sum node is hashed as a gate with this threshold (never a real one). */
#define SUM_THR INT64_MIN

/* Mixed to the low bits (the table index): thresholds are often
 * multiples of 2^s, which a plain product would leave in a few slots. */
static uint64_t hash_gate(uint64_t terms_hash, int64_t thr) {
    uint64_t h = (terms_hash ^ (uint64_t)thr * 0x9e3779b97f4a7c15ull) * 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    return h ^ (h >> 33);
}

/* A bit tap is hashed as a gate whose threshold is its constant, the key
 * then mixed with its bit index (never equal to a threshold gate's key
 * but by a hash collision, which the kind check rejects). */
static uint64_t hash_bit(uint64_t terms_hash, int64_t k, int j) {
    return hash_gate(terms_hash, k) ^ ((uint64_t)(j + 1) * 0xd6e8feb86659fd93ull);
}

/* What of a tap's constant k matters to bit j: k mod 2^(j+1) (k itself
 * at j = 62, where 2^63 does not fit). */
static int64_t bit_const(int64_t k, int j) {
    if (j >= 62) return k;
    int64_t span = (int64_t)1 << (j + 1);
    return k - floor_div(k, span) * span;
}

static uint64_t gate_key(const Gate *G) {
    if (G->kind == G_SUM) return hash_gate(G->hgroup, SUM_THR);
    if (G->kind == G_BIT) return hash_bit(G->hgroup, bit_const(G->thr, G->bit), G->bit);
    return hash_gate(G->hgroup, G->thr);
}

/* A slot of c->hash: the gate id in the low 32 bits, the high half of
 * its key above, so that a probe rejects most other gates without
 * reading them (the gate array is the cache miss). */
#define HASH_EMPTY UINT64_MAX
static inline uint64_t slot_make(GateId g, uint64_t hkey) { return (hkey & 0xffffffff00000000ull) | (uint32_t)g; }
static inline bool slot_tag_is(uint64_t slot, uint64_t hkey) { return (slot >> 32) == (hkey >> 32); }
static inline GateId slot_gate(uint64_t slot) { return (GateId)(uint32_t)slot; }

/* Field by field: a Term has padding bytes that memcmp would compare. */
static bool same_terms(const Circuit *c, GateId g, const Term *t, uint32_t n) {
    const Gate *G = &c->gates[g];
    if (G->n_in != n) return false;
    const Term *u = c->terms + G->term_off;
    for (uint32_t i = 0; i < n; i++)
        if (u[i].src != t[i].src || u[i].w != t[i].w) return false;
    return true;
}

/* A hash table of `bytes`, every byte 0xff (empty).  Its probes land
 * anywhere in it: on 2 MiB pages (a hint the kernel may refuse) they miss
 * the TLB far less often. */
static void *hash_table(size_t bytes) {
    void *p = xmalloc(bytes);
#ifdef MADV_HUGEPAGE
    const uintptr_t huge = (uintptr_t)2 << 20;
    uintptr_t lo = ((uintptr_t)p + huge - 1) & ~(huge - 1), hi = ((uintptr_t)p + bytes) & ~(huge - 1);
    if (hi > lo) (void)madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
#endif
    memset(p, 0xff, bytes);
    return p;
}

/* Inserts every threshold gate into the two hash tables (a group once, by
 * its first gate: gates of one group have equal terms, of two groups not,
 * so no terms are compared); with recompute (after renumbering) first
 * recomputes each gate's stored hashes.  The slots are fetched a few gates
 * ahead: each insertion lands at a random place in a large table. */
enum { REHASH_AHEAD = 16 };

static void rehash_full(Circuit *c, size_t cap, bool recompute) {
    free(c->hash);
    free(c->group_hash);
    c->hash_cap = cap;
    c->hash = hash_table(sizeof *c->hash * cap); /* HASH_EMPTY */
    c->group_hash_cap = cap;
    c->group_hash = hash_table(sizeof *c->group_hash * cap);
    if (recompute)
        for (GateId g = 0; g < c->n_gates; g++) {
            Gate *G = &c->gates[g];
            if (G->kind < G_THR) continue;
            G->hgroup = hash_terms(c->terms + G->term_off, G->n_in);
            G->hkey = gate_key(G);
        }
    uint8_t *seen = xcalloc((size_t)c->n_groups + 1, 1); /* groups inserted */
    for (GateId g = 0; g < c->n_gates; g++) {
        if (g + REHASH_AHEAD < c->n_gates) {
            const Gate *A = &c->gates[g + REHASH_AHEAD];
            __builtin_prefetch(&c->hash[A->hkey & (cap - 1)], 1);
            __builtin_prefetch(&c->group_hash[A->hgroup & (cap - 1)], 1);
        }
        const Gate *G = &c->gates[g];
        if (G->kind < G_THR) continue;
        size_t i = G->hkey & (cap - 1);
        while (c->hash[i] != HASH_EMPTY) i = (i + 1) & (cap - 1);
        c->hash[i] = slot_make(g, G->hkey);
        if (G->kind == G_SUM || seen[G->group]) continue;
        seen[G->group] = 1;
        size_t j = G->hgroup & (cap - 1);
        while (c->group_hash[j] != HASH_EMPTY) j = (j + 1) & (cap - 1);
        c->group_hash[j] = slot_make(g, G->hgroup);
    }
    free(seen);
}

static void rehash(Circuit *c, size_t cap) { rehash_full(c, cap, false); }

static _Noreturn void too_big(const Circuit *c) {
    fprintf(stderr,
            "tc0c: the circuit grew past --max-gates %lld while being built; "
            "raise --max-gates or lower n, p, heads or width\n",
            (long long)c->max_gates);
    exit(EXIT_TOO_BIG);
}

/* ceil(a / b) for b > 0 */
static int64_t ceil_div(int64_t a, int64_t b) { return -floor_div(-a, b); }

/* An inverter [-x >= 0] read with weight w is w (1 - x): readers absorb
 * it, so inverters cost no level (they remain only as outputs). */
static bool is_inverter(const Circuit *c, GateId g) {
    const Gate *G = &c->gates[g];
    return G->kind == G_THR && G->n_in == 1 && G->thr == 0 && c->terms[G->term_off].w == -1 &&
           c->gates[c->terms[G->term_off].src].kind != G_SUM;
}

static void absorb_inverters(const Circuit *c, Form *f) {
    for (int i = 0; i < f->n; i++) {
        if (!is_inverter(c, f->t[i].src)) continue;
        f->c = add_ck(f->c, f->t[i].w);
        f->t[i].w = -f->t[i].w;
        f->t[i].src = c->terms[c->gates[f->t[i].src].term_off].src;
    }
}

void ir_form_prepare(const Circuit *c, Form *f) {
    absorb_inverters(c, f);
    form_canon(f);
}

void form_combine(Form *dst, const Form *f, int64_t a, const Form *g, int64_t b) {
    form_init(dst, add_ck(mul_ck(f->c, a), mul_ck(g->c, b)));
    dst->cap = f->n + g->n;
    dst->t = xmalloc(sizeof *dst->t * (size_t)(dst->cap ? dst->cap : 1));
    int i = 0, j = 0;
    while (i < f->n || j < g->n) {
        Term t;
        if (j >= g->n || (i < f->n && f->t[i].src < g->t[j].src)) {
            t = (Term){f->t[i].src, mul_ck(f->t[i].w, a)};
            i++;
        } else if (i >= f->n || g->t[j].src < f->t[i].src) {
            t = (Term){g->t[j].src, mul_ck(g->t[j].w, b)};
            j++;
        } else {
            t = (Term){f->t[i].src, add_ck(mul_ck(f->t[i].w, a), mul_ck(g->t[j].w, b))};
            i++;
            j++;
        }
        if (t.w) dst->t[dst->n++] = t;
    }
}

/* True when step 1 has nothing to do: sources strictly increasing, no zero
 * weight, no constant or inverter source. */
static bool is_canon(const Circuit *c, const Form *f) {
    for (int i = 0; i < f->n; i++) {
        GateId s = f->t[i].src;
        if (s < 2 || f->t[i].w == 0 || (i && f->t[i - 1].src >= s) || is_inverter(c, s)) return false;
    }
    return true;
}

void ir_form_bounds(const Circuit *c, const Form *f, int64_t *lo, int64_t *hi) {
    int64_t l = f->c, h = l;
    for (int i = 0; i < f->n; i++) {
        const Gate *G = &c->gates[f->t[i].src];
        int64_t w = f->t[i].w, a = mul_ck(w, G->lo), b = mul_ck(w, G->hi);
        l = add_ck(l, min64(a, b));
        h = add_ck(h, max64(a, b));
    }
    *lo = l;
    *hi = h;
}

/* Bytes the netlist holds (what --max-mem bounds while building). */
static size_t ir_bytes(const Circuit *c) {
    return sizeof *c->gates * (size_t)c->cap_gates + sizeof *c->terms * c->cap_terms +
           (sizeof *c->hash + sizeof *c->group_hash) * c->hash_cap + sizeof *c->scratch * c->cap_scratch;
}

/* Room for nin more terms and one more node, within max_mem. */
static void reserve(Circuit *c, uint32_t nin) {
    bool grow = c->n_terms + nin > c->cap_terms || c->n_gates == c->cap_gates;
    if (c->hash_stale) { /* after ir_sweep: most circuits are never extended, so it waits until here */
        size_t cap = 4096;
        while (cap < 2 * ((size_t)c->n_gates + 1)) cap *= 2;
        rehash_full(c, cap, true);
        c->hash_stale = false;
    }
    if (2 * ((size_t)c->n_gates + 1) > c->hash_cap) rehash(c, c->hash_cap ? 2 * c->hash_cap : 4096);
    if (c->n_terms + nin > c->cap_terms) {
        while (c->n_terms + nin > c->cap_terms) c->cap_terms = c->cap_terms ? 2 * c->cap_terms : 4096;
        c->terms = xrealloc(c->terms, sizeof *c->terms * c->cap_terms);
    }
    /* the netlist at every growth, the whole process every 2^14 nodes */
    if (c->max_mem &&
        ((grow && (int64_t)ir_bytes(c) > c->max_mem) || (c->n_gates % 16384 == 0 && resident_bytes() > c->max_mem))) {
        char msg[256];
        snprintf(msg, sizeof msg,
                 "the build passed --max-mem %lld MiB (%d nodes, %zu wires so far); raise --max-mem or lower n, p, "
                 "heads or width",
                 (long long)(c->max_mem >> 20), c->n_gates, c->n_terms);
        ir_refuse(c, msg);
    }
}

/* ---- reachable values of sum nodes ---- */

/* The sorted reachable set of node g in *vals (n values); false when not
 * known.  A gate reaches {0, 1}. */
static bool reach_get(const Circuit *c, GateId g, const int64_t **vals, int64_t *n) {
    static const int64_t bits[2] = {0, 1};
    if (c->gates[g].kind != G_SUM) {
        *vals = bits;
        *n = 2;
        return true;
    }
    if (!c->reach_of || c->reach_of[g] < 0) return false;
    *n = c->reach_pool[c->reach_of[g]];
    *vals = c->reach_pool + c->reach_of[g] + 1;
    return true;
}

/* Computes and stores the reachable set of the new sum node id when its
 * flattened form (ir_flatten) reads at most REACH_GATES distinct gates:
 * the sums over all their 0/1 assignments (a superset of what the circuit
 * reaches), kept when there are at most IR_REACH_MAX distinct values and
 * the sets take less than 256 MiB.  Embedding-derived sums (a few token
 * bits) are the common case. */
enum { REACH_GATES = 10, REACH_RAW = 64 };

/* The sorted distinct subset sums of the n weights t[].w in vals[] (room
 * for 2 IR_REACH_MAX), and their number; past IR_REACH_MAX, some number
 * above it (vals then unspecified).  The set only grows with each weight,
 * so stopping once it passes IR_REACH_MAX decides the same.
 *
 * subset_sums_bits: with the weights' gcd g and their negative part lo,
 * the sums are lo + g * (subset sums of |w| / g), kept as a bit set over
 * [0, sum |w| / g]; -1 when that range passes REACH_BITS. */
enum { REACH_BITS = 4096 };

static int64_t subset_sums_bits(const Term *t, uint32_t n, int64_t *vals) {
    int64_t g = 0, lo = 0, span = 0;
    for (uint32_t k = 0; k < n; k++) g = gcd64(g, t[k].w);
    if (g == 0) g = 1;
    for (uint32_t k = 0; k < n; k++) {
        int64_t a = t[k].w < 0 ? -t[k].w : t[k].w;
        if (t[k].w < 0 && __builtin_add_overflow(lo, t[k].w, &lo)) return -1;
        span += a / g;
        if (span >= REACH_BITS) return -1;
    }
    enum { WORDS = REACH_BITS / 64 };
    uint64_t set[WORDS] = {1}; /* bit v: v reachable (v in units of g, over lo) */
    int words = (int)(span / 64) + 1;
    for (uint32_t k = 0; k < n; k++) { /* set |= set << (|w| / g) */
        int64_t s = (t[k].w < 0 ? -t[k].w : t[k].w) / g;
        int q = (int)(s / 64), r = (int)(s % 64);
        for (int i = words - 1; i >= q; i--) {
            uint64_t x = set[i - q] << r;
            if (r && i - q > 0) x |= set[i - q - 1] >> (64 - r);
            set[i] |= x;
        }
    }
    int64_t ns = 0;
    for (int i = 0; i < words; i++) ns += __builtin_popcountll(set[i]);
    if (ns > IR_REACH_MAX) return ns;
    ns = 0;
    for (int i = 0; i < words; i++)
        for (uint64_t b = set[i]; b; b &= b - 1) vals[ns++] = lo + g * (64 * (int64_t)i + __builtin_ctzll(b));
    return ns;
}

/* The same by merging the sorted set with itself shifted by each weight
 * (any range); the result in *vals, one of buf's two halves. */
static int64_t subset_sums_merge(const Term *t, uint32_t n, int64_t buf[2][2 * IR_REACH_MAX], int64_t **out) {
    int64_t *vals = buf[0], *next = buf[1];
    int64_t ns = 1;
    vals[0] = 0;
    for (uint32_t k = 0; k < n && ns <= IR_REACH_MAX; k++) {
        int64_t w = t[k].w, i = 0, j = 0, m = 0;
        while ((i < ns || j < ns) && m <= IR_REACH_MAX) {
            int64_t x = j >= ns || (i < ns && vals[i] <= vals[j] + w) ? vals[i++] : vals[j++] + w;
            if (m == 0 || next[m - 1] != x) next[m++] = x;
        }
        int64_t *tmp = vals;
        vals = next;
        next = tmp;
        ns = m;
    }
    *out = vals;
    return ns;
}

static void reach_compute(Circuit *c, GateId id) {
    if (c->n_reach_pool * sizeof(int64_t) > ((size_t)256 << 20)) return;
    Term *t;
    uint32_t n;
    if (!ir_flatten(c, id, REACH_RAW, &t, &n)) return;
    if (n > REACH_GATES) {
        free(t);
        return;
    }
    int64_t buf[2][2 * IR_REACH_MAX], *vals = buf[0];
    int64_t ns = subset_sums_bits(t, n, vals);
    if (ns < 0) ns = subset_sums_merge(t, n, buf, &vals);
    free(t);
    if (ns > IR_REACH_MAX) return;
    if (c->n_reach_pool + (size_t)ns + 1 > c->cap_reach_pool) {
        while (c->n_reach_pool + (size_t)ns + 1 > c->cap_reach_pool)
            c->cap_reach_pool = c->cap_reach_pool ? 2 * c->cap_reach_pool : 4096;
        c->reach_pool = xrealloc(c->reach_pool, sizeof *c->reach_pool * c->cap_reach_pool);
    }
    c->reach_of[id] = (int32_t)c->n_reach_pool;
    c->reach_pool[c->n_reach_pool++] = ns;
    memcpy(c->reach_pool + c->n_reach_pool, vals, sizeof *vals * (size_t)ns);
    c->n_reach_pool += (size_t)ns;
}

/* [w S >= t] for w = +-1 over a sum node with a known reachable set: the
 * threshold raised (w = 1) or lowered (w = -1) to a reachable value; a
 * constant gate when every or no reachable value passes.  Returns -1 when
 * S's set is unknown, else the constant (0, 1) or 2 with *t updated. */
static int reach_threshold(const Circuit *c, GateId s, int64_t w, int64_t *t) {
    const int64_t *v;
    int64_t n;
    if (!reach_get(c, s, &v, &n) || n == 0) return -1;
    int64_t lo = 0, hi = n; /* i = lo: the first value >= t (w = 1) or > -t (w = -1) */
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (w == 1 ? v[mid] < *t : v[mid] <= -*t) lo = mid + 1;
        else hi = mid;
    }
    if (w == 1) { /* smallest reachable >= t */
        int64_t i = lo;
        if (i == n) return 0;
        if (i == 0) return 1;
        *t = v[i];
    } else { /* S <= -t: largest reachable <= -t */
        int64_t i = lo - 1;
        if (i < 0) return 0;
        if (i == n - 1) return 1;
        *t = -v[i];
    }
    return 2;
}

/* Appends a node of kind G_THR (threshold t), G_BIT (constant t) or G_SUM
 * over canonical terms, at hash slot i (found empty by the caller's
 * probe). */
static GateId new_node(Circuit *c, GateKind kind, const Term *terms, uint32_t nin, int64_t t, uint64_t ht, uint64_t hg,
                       size_t i) {
    GateId id = c->n_gates;
    add_gate_raw(c, kind, kind == G_SUM ? 0 : t);
    Gate *G = &c->gates[id];
    G->n_in = nin;
    G->origin = c->cur_origin;
    G->hkey = hg;
    G->hgroup = ht;
    if (nin) memcpy(c->terms + c->n_terms, terms, sizeof *terms * nin);
    c->n_terms += nin;
    int32_t level = 0;
    int64_t lo = 0, hi = 0;
    for (uint32_t k = 0; k < nin; k++) {
        const Gate *S = &c->gates[terms[k].src];
        if (S->level > level) level = S->level;
        if (kind == G_SUM) {
            int64_t a = mul_ck(terms[k].w, S->lo), b = mul_ck(terms[k].w, S->hi);
            lo = add_ck(lo, min64(a, b));
            hi = add_ck(hi, max64(a, b));
        }
    }
    c->hash[i] = slot_make(id, hg);
    if (c->reach_of) c->reach_of[id] = -1;
    if (kind == G_SUM) {
        G->level = level;
        G->lo = lo;
        G->hi = hi;
        c->n_sums++;
        reach_compute(c, id);
        return id;
    }
    G->level = level + (kind == G_BIT ? 2 : 1);
    size_t j = ht & (c->group_hash_cap - 1);
    for (; c->group_hash[j] != HASH_EMPTY; j = (j + 1) & (c->group_hash_cap - 1)) {
        if (!slot_tag_is(c->group_hash[j], ht)) continue;
        GateId h = slot_gate(c->group_hash[j]);
        if (c->gates[h].hgroup == ht && same_terms(c, h, terms, nin)) {
            G->group = c->gates[h].group;
            return id;
        }
    }
    c->group_hash[j] = slot_make(id, ht);
    G->group = c->n_groups++;
    return id;
}

/* The node of this kind, threshold or constant t, bit and canonical terms
 * under key hg, or -1 with *slot the empty slot where it goes. */
static GateId find_node(const Circuit *c, uint64_t hg, GateKind kind, int64_t t, int bit, const Term *terms,
                        uint32_t nin, size_t *slot) {
    size_t i = hg & (c->hash_cap - 1);
    for (; c->hash[i] != HASH_EMPTY; i = (i + 1) & (c->hash_cap - 1)) {
        if (!slot_tag_is(c->hash[i], hg)) continue;
        GateId h = slot_gate(c->hash[i]);
        const Gate *H = &c->gates[h];
        if (H->hkey == hg && H->kind == kind &&
            (kind == G_SUM || (kind == G_BIT ? bit_const(H->thr, bit) : H->thr) == t) &&
            (kind != G_BIT || H->bit == bit) && same_terms(c, h, terms, nin))
            return h;
    }
    *slot = i;
    return -1;
}

/* The sum node of canonical terms (gcd 1, first weight positive). */
static GateId sum_node(Circuit *c, const Term *terms, uint32_t nin) {
    reserve(c, nin);
    uint64_t ht = hash_terms(terms, nin), hg = hash_gate(ht, SUM_THR);
    size_t i;
    GateId h = find_node(c, hg, G_SUM, 0, 0, terms, nin, &i);
    return h >= 0 ? h : new_node(c, G_SUM, terms, nin, 0, ht, hg, i);
}

/* Divides canonical terms by their gcd and makes the first weight
 * positive: terms = g * out (out in c->scratch). */
static const Term *normalize_terms(Circuit *c, const Term *t, uint32_t n, int64_t *gout) {
    int64_t g = 0;
    for (uint32_t i = 0; i < n && g != 1; i++) g = gcd64(g, t[i].w);
    if (n && t[0].w < 0) g = -g;
    *gout = g ? g : 1;
    if (g == 1 || g == 0) return t; /* 0: no terms or all weights 0 */
    if (c->cap_scratch < n) {
        c->cap_scratch = n * 2;
        c->scratch = xrealloc(c->scratch, sizeof *c->scratch * c->cap_scratch);
    }
    for (uint32_t i = 0; i < n; i++) c->scratch[i] = (Term){t[i].src, t[i].w / g};
    return c->scratch;
}

void ir_form_share(Circuit *c, Form *f) { ir_form_share_min(c, f, IR_SUM_MIN_TERMS); }

void ir_form_share_min(Circuit *c, Form *f, int min_terms) {
    ir_form_prepare(c, f);
    if (f->n < min_terms || f->n < 2) return;
    int64_t g;
    const Term *t = normalize_terms(c, f->t, (uint32_t)f->n, &g);
    GateId s = sum_node(c, t, (uint32_t)f->n);
    f->n = 1;
    f->t[0] = (Term){s, g};
    if (f->cap > 8) { /* a long form's array is not kept by the Val that holds it */
        f->t = xrealloc(f->t, sizeof *f->t);
        f->cap = 1;
    }
}

/* Step 1 on a copy of f (on the stack when short), then ir_thr on it:
 * inverters absorbed, then constants folded in term order, then sorted
 * and merged (form_canon). */
static GateId thr_canon(Circuit *c, const Form *f, int64_t t) {
    Term local[32];
    Form m = {.c = f->c, .n = f->n, .cap = f->n, .t = f->n <= 32 ? local : xmalloc(sizeof *f->t * (size_t)f->n)};
    if (f->n) memcpy(m.t, f->t, sizeof *f->t * (size_t)f->n);
    absorb_inverters(c, &m);
    int k = 0;
    for (int i = 0; i < m.n; i++) { /* as form_add_term */
        if (m.t[i].w == 0 || m.t[i].src == GATE_CONST0) continue;
        if (m.t[i].src == GATE_CONST1) m.c = add_ck(m.c, m.t[i].w);
        else m.t[k++] = m.t[i];
    }
    m.n = k;
    form_canon(&m);
    GateId g = ir_thr(c, &m, t);
    if (m.t != local) free(m.t);
    return g;
}

GateId ir_thr(Circuit *c, const Form *f, int64_t t) {
    if (!is_canon(c, f)) return thr_canon(c, f, t); /* step 1, then the fast path */
    t = add_ck(t, -f->c);
    int64_t lo, hi;
    Form z = *f;
    z.c = 0;
    ir_form_bounds(c, &z, &lo, &hi);
    if (t <= lo) return GATE_CONST1;
    if (t > hi) return GATE_CONST0;
    int64_t g = 0;
    for (int i = 0; i < f->n && g != 1; i++) g = gcd64(g, f->t[i].w);
    const Term *terms = f->t;
    uint32_t nin = (uint32_t)f->n;
    Term one;
    if (nin >= IR_SUM_MIN_TERMS) { /* [g' S >= t], S the shared sum */
        int64_t gs;
        const Term *u = normalize_terms(c, terms, nin, &gs);
        one = (Term){sum_node(c, u, nin), gs < 0 ? -1 : 1};
        t = ceil_div(t, gs < 0 ? -gs : gs);
        terms = &one;
        nin = 1;
    } else if (g > 1) {
        if (c->cap_scratch < nin) {
            c->cap_scratch = nin * 2;
            c->scratch = xrealloc(c->scratch, sizeof *c->scratch * c->cap_scratch);
        }
        for (uint32_t i = 0; i < nin; i++) c->scratch[i] = (Term){f->t[i].src, f->t[i].w / g};
        terms = c->scratch;
        t = ceil_div(t, g);
    }
    if (nin == 1 && c->gates[terms[0].src].kind == G_SUM) { /* 6. a reachable threshold */
        int r = reach_threshold(c, terms[0].src, terms[0].w, &t);
        if (r == 0) return GATE_CONST0;
        if (r == 1) return GATE_CONST1;
    }
    if (nin == 1 && terms[0].w == 1 && t == 1 && c->gates[terms[0].src].kind != G_SUM) return terms[0].src;
    reserve(c, nin);
    uint64_t ht = hash_terms(terms, nin), hg = hash_gate(ht, t);
    /* nearly every lookup misses and new_node() probes the group table
     * next: its slot is fetched while this probe waits for its own */
    __builtin_prefetch(&c->group_hash[ht & (c->group_hash_cap - 1)]);
    size_t i;
    GateId h = find_node(c, hg, G_THR, t, 0, terms, nin, &i);
    if (h >= 0) return h;
    if (c->max_gates && c->n_gates - c->n_sums >= c->max_gates) too_big(c);
    return new_node(c, G_THR, terms, nin, t, ht, hg, i);
}

GateId ir_bit(Circuit *c, const Form *f, int j) {
    if (j < 0 || j > 62) BUG("ir_bit: bit %d", j);
    Form m;
    form_copy(&m, f);
    ir_form_share_min(c, &m, 2);                                          /* every tap of the value reads one adder */
    int64_t lo, hi, span = (int64_t)((uint64_t)1 << ((unsigned)j % 63u)); /* 2^j (j <= 62) */
    ir_form_bounds(c, &m, &lo, &hi);
    if (floor_div(lo, span) == floor_div(hi, span)) { /* one value of x >> j: a constant bit */
        form_free(&m);
        return floor_div(lo, span) & 1 ? GATE_CONST1 : GATE_CONST0;
    }
    /* only the constant modulo 2^(j+1) matters: the hash and the match
     * read that; the node keeps the whole constant, so that the taps of one
     * value share one adder in Verilog (verilog.c) */
    int64_t k = bit_const(m.c, j);
    if (m.n == 1 && c->gates[m.t[0].src].kind != G_SUM) { /* w x + k: the constant, x or NOT x */
        GateId x = m.t[0].src;
        int64_t w = m.t[0].w;
        bool b0 = floor_div(m.c, span) & 1, b1 = floor_div(m.c + w, span) & 1; /* bounds: no overflow */
        form_free(&m);
        return b0 == b1 ? (b0 ? GATE_CONST1 : GATE_CONST0) : b1 ? x : ir_not(c, x);
    }
    uint32_t nin = (uint32_t)m.n;
    reserve(c, nin);
    uint64_t ht = hash_terms(m.t, nin), hg = hash_bit(ht, k, j);
    size_t i;
    GateId g = find_node(c, hg, G_BIT, k, j, m.t, nin, &i);
    if (g < 0) {
        if (c->max_gates && c->n_gates - c->n_sums >= c->max_gates) too_big(c);
        g = new_node(c, G_BIT, m.t, nin, m.c, ht, hg, i);
        c->gates[g].bit = (uint8_t)j;
    }
    form_free(&m);
    return g;
}

GateId ir_thr2(Circuit *c, GateId a, int64_t wa, GateId b, int64_t wb, int64_t t) {
    Form f;
    form_init(&f, 0);
    form_add_term(&f, a, wa);
    form_add_term(&f, b, wb);
    GateId g = ir_thr(c, &f, t);
    form_free(&f);
    return g;
}

GateId ir_and(Circuit *c, GateId a, GateId b) { return ir_thr2(c, a, 1, b, 1, 2); }
GateId ir_or(Circuit *c, GateId a, GateId b) { return ir_thr2(c, a, 1, b, 1, 1); }
GateId ir_not(Circuit *c, GateId a) { return ir_thr2(c, a, -1, GATE_CONST0, 0, 0); }

void ir_add_output(Circuit *c, GateId g) {
    if (g < 0 || g >= c->n_gates) BUG("output %d does not exist", g);
    if (c->n_outputs == c->cap_outputs) {
        c->cap_outputs = c->cap_outputs ? 2 * c->cap_outputs : 16;
        c->outputs = xrealloc(c->outputs, sizeof *c->outputs * (size_t)c->cap_outputs);
    }
    c->outputs[c->n_outputs++] = g;
}

void ir_sweep(Circuit *c) {
    uint8_t *live = xcalloc((size_t)c->n_gates, 1);
    for (int i = 0; i < c->n_outputs; i++) live[c->outputs[i]] = 1;
    for (GateId g = 0; g < 2 + c->n_inputs; g++) live[g] = 1;
    for (GateId g = c->n_gates - 1; g >= 0; g--) {
        if (!live[g]) continue;
        const Term *t = ir_terms(c, g);
        for (uint32_t k = 0; k < c->gates[g].n_in; k++) live[t[k].src] = 1;
    }
    GateId *map = xmalloc(sizeof *map * (size_t)c->n_gates);
    int32_t *group_map = xmalloc(sizeof *group_map * (size_t)(c->n_groups ? c->n_groups : 1));
    for (int32_t k = 0; k < c->n_groups; k++) group_map[k] = -1;
    GateId n = 0;
    size_t nt = 0;
    int32_t ng = 0, ns = 0;
    for (GateId g = 0; g < c->n_gates; g++) {
        if (!live[g]) {
            map[g] = -1;
            continue;
        }
        Gate G = c->gates[g];
        ns += G.kind == G_SUM;
        size_t off = nt;
        for (uint32_t k = 0; k < G.n_in; k++) {
            Term tm = c->terms[G.term_off + k];
            tm.src = map[tm.src];
            c->terms[nt++] = tm;
        }
        G.term_off = off;
        if (G.group >= 0) {
            if (group_map[G.group] < 0) group_map[G.group] = ng++;
            G.group = group_map[G.group];
        }
        map[g] = n;
        c->gates[n++] = G;
    }
    for (int i = 0; i < c->n_outputs; i++) c->outputs[i] = map[c->outputs[i]];
    c->n_gates = n;
    c->n_terms = nt;
    c->n_groups = ng;
    c->n_sums = ns;
    for (GateId g = 0; g < n; g++) c->reach_of[g] = -1; /* sets are not renumbered */
    c->n_reach_pool = 0;
    free(c->hash); /* rebuilt by the next reserve() */
    free(c->group_hash);
    c->hash = NULL;
    c->group_hash = NULL;
    c->hash_cap = c->group_hash_cap = 0;
    c->hash_stale = true;
    free(map);
    free(group_map);
    free(live);
}

const char *ir_check(const Circuit *c) {
    static char msg[256];
    if (c->n_gates < 2 + c->n_inputs) return "fewer gates than constants and inputs";
    for (GateId g = 0; g < c->n_gates; g++) {
        const Gate *G = &c->gates[g];
        GateKind want = g < 2 ? G_CONST : g < 2 + c->n_inputs ? G_INPUT : G_THR;
        if (G->kind != want && !(want == G_THR && (G->kind == G_SUM || G->kind == G_BIT))) {
            snprintf(msg, sizeof msg, "gate %d: kind %d, expected %d", g, G->kind, want);
            return msg;
        }
        if (G->kind == G_CONST || G->kind == G_INPUT) {
            if (G->n_in || G->level) {
                snprintf(msg, sizeof msg, "gate %d: a constant or input with fan-in or level", g);
                return msg;
            }
            continue;
        }
        if (G->term_off > c->n_terms || G->n_in > c->n_terms - G->term_off) {
            snprintf(msg, sizeof msg, "gate %d: terms out of bounds", g);
            return msg;
        }
        int32_t level = 0;
        const Term *t = ir_terms(c, g);
        for (uint32_t k = 0; k < G->n_in; k++) {
            if (t[k].src < 0 || t[k].src >= c->n_gates) {
                snprintf(msg, sizeof msg, "gate %d: input %u reads gate %d, which does not exist", g, k, t[k].src);
                return msg;
            }
            if (t[k].src >= g) {
                snprintf(msg, sizeof msg, "gate %d: input %u reads gate %d, not an older gate (cycle or order)", g, k,
                         t[k].src);
                return msg;
            }
            if (t[k].w == 0) {
                snprintf(msg, sizeof msg, "gate %d: input %u has weight 0", g, k);
                return msg;
            }
            if (c->gates[t[k].src].level > level) level = c->gates[t[k].src].level;
        }
        if (G->kind == G_SUM) {
            int64_t lo = 0, hi = 0;
            for (uint32_t k = 0; k < G->n_in; k++) {
                const Gate *S = &c->gates[t[k].src];
                lo += min64(t[k].w * S->lo, t[k].w * S->hi);
                hi += max64(t[k].w * S->lo, t[k].w * S->hi);
            }
            if (G->level != level || G->group != -1 || G->lo != lo || G->hi != hi || G->n_in == 0) {
                snprintf(msg, sizeof msg, "sum node %d: level %d (expected %d), group %d, range [%lld, %lld]", g,
                         G->level, level, G->group, (long long)G->lo, (long long)G->hi);
                return msg;
            }
            continue;
        }
        int32_t want_level = level + (G->kind == G_BIT ? 2 : 1);
        if (G->level != want_level) {
            snprintf(msg, sizeof msg, "gate %d: level %d, expected %d", g, G->level, want_level);
            return msg;
        }
        if (G->kind == G_BIT && G->bit > 62) {
            snprintf(msg, sizeof msg, "bit tap %d: bit %d", g, G->bit);
            return msg;
        }
        if (G->lo != 0 || G->hi != 1) {
            snprintf(msg, sizeof msg, "gate %d: range [%lld, %lld], expected [0, 1]", g, (long long)G->lo,
                     (long long)G->hi);
            return msg;
        }
        if (G->group < 0 || G->group >= c->n_groups) {
            snprintf(msg, sizeof msg, "gate %d: sum group %d out of range", g, G->group);
            return msg;
        }
    }
    for (int i = 0; i < c->n_outputs; i++) {
        if (c->outputs[i] < 0 || c->outputs[i] >= c->n_gates) {
            snprintf(msg, sizeof msg, "output %d reads gate %d, which does not exist", i, c->outputs[i]);
            return msg;
        }
        if (c->gates[c->outputs[i]].kind == G_SUM) {
            snprintf(msg, sizeof msg, "output %d reads sum node %d, not a 0/1 gate", i, c->outputs[i]);
            return msg;
        }
    }
    return NULL;
}

int32_t ir_depth(const Circuit *c) {
    int32_t d = 0;
    for (int i = 0; i < c->n_outputs; i++)
        if (c->gates[c->outputs[i]].level > d) d = c->gates[c->outputs[i]].level;
    return d;
}

static int bits_of(int64_t v) { return bit_length(v < 0 ? -v : v); }

/* A gate reads 1 wire per gate term, flat[s] per sum-node term: the sum
 * nodes' flat[] is negated while counting, so that a term's source is
 * told apart without reading the gate array (wide gates read it all
 * over), then made positive again. */
int64_t *ir_flat_fanin(const Circuit *c) {
    int64_t *flat = xcalloc((size_t)c->n_gates, sizeof *flat);
    for (GateId g = 2 + c->n_inputs; g < c->n_gates; g++) {
        const Term *t = ir_terms(c, g);
        int64_t n = 0;
        for (uint32_t k = 0; k < c->gates[g].n_in; k++) {
            int64_t f = flat[t[k].src];
            n = min64(n + (f < 0 ? -f : 1), INT64_MAX / 4);
        }
        flat[g] = c->gates[g].kind == G_SUM ? -n : n;
    }
    for (GateId g = 2 + c->n_inputs; g < c->n_gates; g++)
        if (flat[g] < 0) flat[g] = -flat[g];
    return flat;
}

void ir_stats(const Circuit *c, CircuitStats *s) {
    memset(s, 0, sizeof *s);
    s->inputs = c->n_inputs;
    s->outputs = c->n_outputs;
    s->depth = ir_depth(c);
    s->groups = c->n_groups;
    s->bytes = (int64_t)(sizeof *c->gates * (size_t)c->n_gates + sizeof *c->terms * c->n_terms);
    int64_t *flat = ir_flat_fanin(c), wmax = 0; /* the largest |weight| or |threshold| */
    for (GateId g = 2 + c->n_inputs; g < c->n_gates; g++) {
        const Gate *G = &c->gates[g];
        Op op = origin_op(G->origin);
        s->wires += G->n_in;
        s->wires_by_op[op] += G->n_in;
        const Term *t = ir_terms(c, g);
        for (uint32_t k = 0; k < G->n_in; k++) wmax = max64(wmax, t[k].w < 0 ? -t[k].w : t[k].w);
        if (G->kind == G_SUM) {
            s->sums++;
            continue;
        }
        s->gates++;
        s->taps += G->kind == G_BIT;
        s->edges = min64(s->edges + flat[g], INT64_MAX / 4);
        s->by_op[op]++;
        s->edges_by_op[op] = min64(s->edges_by_op[op] + flat[g], INT64_MAX / 4);
        if (flat[g] > s->max_fanin) s->max_fanin = flat[g];
        int64_t k = G->kind == G_BIT ? bit_const(G->thr, G->bit) : G->thr; /* what of a tap's constant counts */
        wmax = max64(wmax, k < 0 ? -k : k);
    }
    s->max_weight_bits = bits_of(wmax); /* bits grow with |v|: the bits of the largest */
    free(flat);
}

/* Appends w * (node g) to *out, expanding sum nodes; false past max. */
static bool flatten_into(const Circuit *c, GateId g, int64_t w, int64_t max, Term **out, uint32_t *n, uint32_t *cap) {
    if (c->gates[g].kind != G_SUM) {
        if (*n >= max) return false;
        if (*n == *cap) {
            *cap = *cap ? 2 * *cap : 16;
            *out = xrealloc(*out, sizeof **out * *cap);
        }
        (*out)[(*n)++] = (Term){g, w};
        return true;
    }
    const Term *t = ir_terms(c, g);
    for (uint32_t k = 0; k < c->gates[g].n_in; k++) {
        int64_t v;
        if (__builtin_mul_overflow(w, t[k].w, &v) || v > ((int64_t)1 << 62) || v < -((int64_t)1 << 62)) return false;
        if (!flatten_into(c, t[k].src, v, max, out, n, cap)) return false;
    }
    return true;
}

bool ir_form_flatten(const Circuit *c, const Form *in, int64_t max_terms, Form *out) {
    Term *t = NULL;
    uint32_t k = 0, cap = 0;
    int64_t cst = in->c;
    for (int i = 0; i < in->n; i++) {
        GateId g = in->t[i].src;
        if (g == GATE_CONST0) continue;
        if (g == GATE_CONST1) {
            cst = add_ck(cst, in->t[i].w);
            continue;
        }
        if (!flatten_into(c, g, in->t[i].w, min64(max_terms, UINT32_MAX / 2), &t, &k, &cap)) {
            free(t);
            return false;
        }
    }
    *out = (Form){.c = cst, .n = (int)k, .cap = (int)cap, .t = t};
    form_canon(out);
    return true;
}

bool ir_flatten(const Circuit *c, GateId g, int64_t max_terms, Term **terms, uint32_t *n) {
    /* a gate's terms as a form (their sources are never constants) */
    Form in = {.c = 0, .n = (int)c->gates[g].n_in, .cap = (int)c->gates[g].n_in, .t = c->terms + c->gates[g].term_off};
    Form out;
    if (!ir_form_flatten(c, &in, max_terms, &out)) return false;
    *terms = out.t;
    *n = (uint32_t)out.n;
    return true;
}

void ir_dump(const Circuit *c, FILE *f) {
    fprintf(f, "circuit: %d gates (%d inputs), %d outputs, depth %d\n", c->n_gates, c->n_inputs, c->n_outputs,
            ir_depth(c));
    for (GateId g = 2 + c->n_inputs; g < c->n_gates; g++) {
        const Gate *G = &c->gates[g];
        fprintf(f, G->kind == G_SUM ? "g%d = (" : "g%d = [", g);
        const Term *t = ir_terms(c, g);
        for (uint32_t k = 0; k < G->n_in; k++) {
            int64_t w = t[k].w;
            if (k) fprintf(f, " %c ", w < 0 ? '-' : '+');
            else if (w < 0) fputc('-', f);
            if (w != 1 && w != -1) fprintf(f, "%lld*", (long long)(w < 0 ? -w : w));
            fprintf(f, "g%d", t[k].src);
        }
        if (G->kind == G_SUM) fprintf(f, ")  sum in [%lld, %lld]", (long long)G->lo, (long long)G->hi);
        else if (G->kind == G_BIT) fprintf(f, " + %lld] bit %d", (long long)G->thr, G->bit);
        else fprintf(f, " >= %lld]", (long long)G->thr);
        fprintf(f, "  level %d  group %d  L%d H%d %s\n", G->level, G->group, origin_layer(G->origin),
                origin_head(G->origin), op_name(origin_op(G->origin)));
    }
    for (int i = 0; i < c->n_outputs; i++) fprintf(f, "out%d = g%d\n", i, c->outputs[i]);
}

/* [sum w_i x_i >= t]: with negative weights written as w x = |w| (1 - x) - |w|
 * over complemented literals, the gate is [sum |w_i| l_i >= t'] with
 * t' = t + sum_(w_i<0) |w_i|.  A sum of m literals compared with t' is a
 * majority of 2m+1-2t' inputs with m+1-2t' constant ones (t' <= (m+1)/2),
 * or of 2t'-1 inputs with 2t'-m-1 constant zeros (otherwise). */
bool ir_majority(const Circuit *c, GateId g, int64_t max_fanin, Lit **lits, int64_t *n_lits, int64_t *n_one,
                 int64_t *n_zero) {
    const Gate *G = &c->gates[g];
    if (G->kind != G_THR) BUG("ir_majority on gate %d, not a threshold gate", g);
    Term *t;
    uint32_t nin;
    if (!ir_flatten(c, g, max_fanin, &t, &nin)) return false;
    int64_t m = 0, tp = G->thr;
    for (uint32_t k = 0; k < nin; k++) {
        int64_t w = t[k].w < 0 ? -t[k].w : t[k].w;
        if (w > max_fanin || m + w > max_fanin) {
            free(t);
            return false;
        }
        m += w;
        if (t[k].w < 0) tp += w;
    }
    int64_t ones = 0, zeros = 0;
    if (2 * tp <= m + 1) ones = m + 1 - 2 * tp;
    else zeros = 2 * tp - m - 1;
    if (m + ones + zeros > max_fanin) {
        free(t);
        return false;
    }
    Lit *l = xmalloc(sizeof *l * (size_t)(m ? m : 1));
    int64_t n = 0;
    for (uint32_t k = 0; k < nin; k++) {
        int64_t w = t[k].w < 0 ? -t[k].w : t[k].w;
        for (int64_t r = 0; r < w; r++) l[n++] = (Lit){t[k].src, t[k].w < 0};
    }
    free(t);
    *lits = l;
    *n_lits = n;
    *n_one = ones;
    *n_zero = zeros;
    return true;
}
