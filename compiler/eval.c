/*
 * eval.c - gate-level evaluation of a circuit on 64 input vectors at once.
 *
 * Bit-slicing: the value of a gate is one 64-bit word whose bit l belongs
 * to input vector l, so one word operation does one Boolean operation for
 * all 64 vectors.  Gates run in index order, which is topological.
 *
 * eval_new compiles every threshold gate [sum_i w_i x_i >= t] once into
 * the cheapest of these forms (a Step):
 *
 *   Literal form.  With w x = |w| (1 - x) - |w| for w < 0, the gate is
 *   [sum_i |w_i| l_i >= t'] over literals l_i = x_i, or ~x_i where w_i < 0,
 *   and t' = t + sum_(w_i<0) |w_i|.  A literal is stored as src << 1 | neg.
 *   t' <= 0 makes the gate constant 1, t' > sum |w_i| constant 0.
 *
 *   AND / OR.  When every literal alone reaches t' (min |w_i| >= t') the
 *   gate is the OR of its literals; when every literal is needed
 *   (sum |w_i| - min |w_i| < t') it is their AND.  That covers [x >= 1],
 *   NOT and the AND / OR gates: n_in - 1 word operations.
 *
 *   SUM (all other gates).  Each weight is recoded in signed digits,
 *   w = sum_k d_k 2^k with d_k in {-1, 0, 1}, in non-adjacent form: no two
 *   adjacent digits nonzero, a third of them on average (a weight +-1 is
 *   one digit).  A digit +1 puts the bit-plane x into column k of an adder;
 *   a digit -1 puts ~x there and adds 2^k to the threshold, since
 *   -2^k x = 2^k (1 - x) - 2^k.  Everything added is then non-negative,
 *   and the gate is [sum >= t'] with t' = t + sum of the -1 digits' 2^k.
 *
 *   SUM_AGAIN.  A SUM gate with the same terms as the last SUM gate (the
 *   thermometer gates [L >= v] over one form L, DESIGN.md's
 *   multi-threshold) reuses that gate's sum: only the comparison runs.
 *
 * The adder works column by column from bit 0 up: column k holds the
 * carries from column k-1 and the planes of the digits 2^k.  A chain of
 * full adders (5 word operations, each taking two more planes) reduces
 * them to one plane, bit k of the sum in every lane, and hands one carry
 * per full adder to column k+1.  A full adder removes one plane in all, so
 * n planes cost about n full adders whatever the fan-in, in one pass with
 * no per-lane work.  The adder has K columns, K the bit length of the
 * largest possible sum (it must be below 2^64: the digits fall back to
 * plain binary when non-adjacent form would pass it); carries out of
 * column K-1 are 0 in every lane (the sum never reaches 2^K) and are
 * dropped.  The bits are then compared with the constant t' from the
 * lowest up: "low bits >= low bits of t'" is
 * ge = t'_k ? sum_k & ge : sum_k | ge.
 */
#include "tc0c.h"

#include <stdlib.h>
#include <string.h>

__extension__ typedef __int128 i128;

enum { S_CONST0, S_CONST1, S_AND, S_OR, S_SUM, S_SUM_AGAIN };

typedef struct {
    uint8_t kind;
    uint8_t cols;  /* SUM: K, the adder's columns */
    uint32_t n;    /* literals */
    size_t first;  /* first literal in Evaluator.lits */
    size_t counts; /* SUM: first of K literal counts (per column) in Evaluator.counts */
    uint64_t thr;  /* SUM, SUM_AGAIN: t' */
} Step;

struct Evaluator {
    const Circuit *c;
    int32_t n_gates; /* c->n_gates when compiled */
    Step *steps;     /* one per gate from 2 + n_inputs on */
    uint32_t *lits;  /* src << 1 | negated; SUM: column by column */
    size_t n_lits, cap_lits;
    uint32_t *counts; /* SUM: literals per column */
    size_t n_counts, cap_counts;
    uint64_t *val;    /* one word per gate */
    uint64_t *planes; /* adder scratch: two rows of max_planes + 1 words */
    size_t max_planes;
    uint64_t sum[64]; /* bit-planes of the last SUM */
};

static int bit_length(i128 v) { /* v >= 0 */
    int b = 0;
    while (v > 0) {
        b++;
        v >>= 1;
    }
    return b;
}

/* Non-adjacent form of v < 2^62: v = plus - minus, no two adjacent bits. */
static void naf(uint64_t v, uint64_t *plus, uint64_t *minus) {
    uint64_t h = v >> 1, t = v + h, c = h ^ t;
    *plus = t & c;
    *minus = h & c;
}

/* Signed digits of g's weights: w_k = plus[k] - minus[k], in non-adjacent
 * form unless their largest sum would not fit in 64 bits (then in plain
 * binary, whose largest sum is sum |w_k|).  Returns t' = t + sum minus[k];
 * *total is the largest sum, sum plus[k] + minus[k]. */
static i128 signed_digits(const Circuit *c, GateId g, uint64_t *plus, uint64_t *minus, i128 *total) {
    const Gate *G = &c->gates[g];
    const Term *t = ir_terms(c, g);
    for (int use_naf = 1; use_naf >= 0; use_naf--) {
        i128 thr = G->thr;
        *total = 0;
        for (uint32_t k = 0; k < G->n_in; k++) {
            int64_t w = t[k].w;
            uint64_t mag = w < 0 ? (uint64_t)0 - (uint64_t)w : (uint64_t)w, p = mag, m = 0;
            if (use_naf && mag >> 62 == 0) naf(mag, &p, &m);
            plus[k] = w < 0 ? m : p;
            minus[k] = w < 0 ? p : m;
            *total += (i128)plus[k] + minus[k];
            thr += minus[k];
        }
        if (*total < (i128)1 << 64) return thr;
    }
    BUG("eval: gate %d: the sum of its |weights| does not fit in 64 bits", g);
}

static void push_lit(Evaluator *e, GateId src, bool neg) {
    if (e->n_lits == e->cap_lits) {
        e->cap_lits = e->cap_lits ? 2 * e->cap_lits : 1024;
        e->lits = xrealloc(e->lits, sizeof *e->lits * e->cap_lits);
    }
    e->lits[e->n_lits++] = (uint32_t)src << 1 | (uint32_t)neg;
}

static void push_count(Evaluator *e, uint32_t n) {
    if (e->n_counts == e->cap_counts) {
        e->cap_counts = e->cap_counts ? 2 * e->cap_counts : 1024;
        e->counts = xrealloc(e->counts, sizeof *e->counts * e->cap_counts);
    }
    e->counts[e->n_counts++] = n;
}

static bool same_terms(const Circuit *c, GateId a, GateId b) {
    const Term *ta = ir_terms(c, a), *tb = ir_terms(c, b);
    if (c->gates[a].n_in != c->gates[b].n_in) return false;
    for (uint32_t k = 0; k < c->gates[a].n_in; k++)
        if (ta[k].src != tb[k].src || ta[k].w != tb[k].w) return false;
    return true;
}

/* Compiles gate g into *s; *last_sum is the last gate compiled to SUM. */
static void compile_gate(Evaluator *e, GateId g, Step *s, GateId *last_sum) {
    const Circuit *c = e->c;
    const Gate *G = &c->gates[g];
    const Term *t = ir_terms(c, g);
    memset(s, 0, sizeof *s);
    s->first = e->n_lits;

    /* literal form: constants, AND, OR */
    i128 total = 0, thr = G->thr, wmin = 0;
    for (uint32_t k = 0; k < G->n_in; k++) {
        i128 w = t[k].w < 0 ? -(i128)t[k].w : t[k].w;
        total += w;
        if (t[k].w < 0) thr += w;
        if (k == 0 || w < wmin) wmin = w;
    }
    if (thr <= 0 || thr > total) {
        s->kind = thr <= 0 ? S_CONST1 : S_CONST0;
        return;
    }
    if (wmin >= thr || total - wmin < thr) {
        s->kind = wmin >= thr ? S_OR : S_AND;
        for (uint32_t k = 0; k < G->n_in; k++) push_lit(e, t[k].src, t[k].w < 0);
        s->n = G->n_in;
        return;
    }

    /* SUM: the digits' literals column by column, or SUM_AGAIN */
    uint64_t *plus = xmalloc(sizeof *plus * G->n_in), *minus = xmalloc(sizeof *minus * G->n_in);
    thr = signed_digits(c, g, plus, minus, &total);
    s->thr = (uint64_t)thr; /* 0 < t' <= total < 2^64: the gate is not constant */
    s->cols = (uint8_t)bit_length(total);
    if (*last_sum >= 0 && same_terms(c, g, *last_sum)) {
        s->kind = S_SUM_AGAIN;
    } else {
        s->kind = S_SUM;
        *last_sum = g;
        s->counts = e->n_counts;
        for (int col = 0; col < s->cols; col++) {
            size_t before = e->n_lits;
            for (uint32_t k = 0; k < G->n_in; k++)
                if (((plus[k] | minus[k]) >> col) & 1) push_lit(e, t[k].src, (minus[k] >> col) & 1);
            push_count(e, (uint32_t)(e->n_lits - before));
        }
        if (e->n_lits - s->first > UINT32_MAX) BUG("eval: gate %d: too many weight digits", g);
        s->n = (uint32_t)(e->n_lits - s->first);
        if (s->n > e->max_planes) e->max_planes = s->n;
    }
    free(plus);
    free(minus);
}

Evaluator *eval_new(const Circuit *c) {
    Evaluator *e = xcalloc(1, sizeof *e);
    e->c = c;
    e->n_gates = c->n_gates;
    int32_t first = 2 + c->n_inputs;
    size_t n_steps = c->n_gates > first ? (size_t)(c->n_gates - first) : 0;
    e->steps = xcalloc(n_steps ? n_steps : 1, sizeof *e->steps);
    GateId last_sum = -1;
    for (GateId g = first; g < c->n_gates; g++) compile_gate(e, g, &e->steps[g - first], &last_sum);
    e->val = xcalloc((size_t)c->n_gates, sizeof *e->val);
    e->planes = xcalloc(2 * (e->max_planes + 1), sizeof *e->planes);
    return e;
}

void eval_free(Evaluator *e) {
    if (!e) return;
    free(e->steps);
    free(e->lits);
    free(e->counts);
    free(e->val);
    free(e->planes);
    free(e);
}

static inline uint64_t lit(const uint64_t *val, uint32_t l) { return val[l >> 1] ^ ((uint64_t)0 - (l & 1)); }

/* The adder: the bit-planes of a SUM step's sum into e->sum. */
static void add_columns(Evaluator *e, const Step *s) {
    const uint64_t *val = e->val;
    const uint32_t *l = e->lits + s->first, *count = e->counts + s->counts;
    uint64_t *cur = e->planes, *next = e->planes + e->max_planes + 1;
    size_t n_cur = 0; /* planes in this column: carries, then literals */
    for (int k = 0; k < s->cols; k++) {
        for (uint32_t j = 0; j < count[k]; j++) cur[n_cur++] = lit(val, *l++);
        /* full adders along the column: bit k stays in acc, the carries
         * go to column k + 1; a lone last plane meets 0 (a half adder) */
        uint64_t acc = n_cur ? cur[0] : 0;
        size_t n_next = 0;
        cur[n_cur] = 0;
        for (size_t i = 1; i < n_cur; i += 2) {
            uint64_t x = cur[i], y = cur[i + 1], p = acc ^ x;
            next[n_next++] = (acc & x) | (p & y);
            acc = p ^ y;
        }
        e->sum[k] = acc;
        uint64_t *tmp = cur;
        cur = next;
        next = tmp;
        n_cur = n_next;
    }
}

/* [sum >= t'] for every lane, over the bits in e->sum. */
static inline uint64_t compare(const Evaluator *e, const Step *s) {
    uint64_t ge = ~(uint64_t)0;
    for (int k = 0; k < s->cols; k++) ge = (s->thr >> k) & 1 ? e->sum[k] & ge : e->sum[k] | ge;
    return ge;
}

void eval_run(Evaluator *e, const uint64_t *in, uint64_t *out) {
    const Circuit *c = e->c;
    if (c->n_gates != e->n_gates)
        BUG("eval: the circuit changed after eval_new (%d gates, was %d)", c->n_gates, e->n_gates);
    uint64_t *val = e->val;
    val[GATE_CONST0] = 0;
    val[GATE_CONST1] = ~(uint64_t)0;
    if (c->n_inputs) memcpy(val + 2, in, sizeof *in * (size_t)c->n_inputs);
    int32_t first = 2 + c->n_inputs;
    for (GateId g = first; g < c->n_gates; g++) {
        const Step *s = &e->steps[g - first];
        const uint32_t *l = e->lits + s->first;
        uint64_t v = 0;
        switch (s->kind) {
        case S_CONST0: v = 0; break;
        case S_CONST1: v = ~(uint64_t)0; break;
        case S_AND:
            v = ~(uint64_t)0;
            for (uint32_t k = 0; k < s->n; k++) v &= lit(val, l[k]);
            break;
        case S_OR:
            for (uint32_t k = 0; k < s->n; k++) v |= lit(val, l[k]);
            break;
        case S_SUM:
            add_columns(e, s);
            v = compare(e, s);
            break;
        case S_SUM_AGAIN: v = compare(e, s); break;
        default: BUG("eval: bad step kind %d", s->kind);
        }
        val[g] = v;
    }
    for (int i = 0; i < c->n_outputs; i++) out[i] = val[c->outputs[i]];
}
