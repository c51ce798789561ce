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
 *   Inlined sums.  A sum node of at most INLINE_MAX terms, all gates, is
 *   read by taking its terms (times the reader's weight), so its readers
 *   are AND, OR, SUM or SUM_AGAIN as above (a thermometer over S adds
 *   once); only larger or nested sum nodes get planes.
 *
 *   CMP.  A gate [S >= t] or [-S >= t] over one sum node with planes
 *   compares them with a constant directly.
 *
 *   BIT, BIT_AGAIN (bit taps, G_BIT).  Bit j of the terms' sum plus a
 *   constant: the SUM adder (or, with the last SUM's terms, its planes),
 *   then the constant D (the tap's, the digits' and the offsets', modulo
 *   2^(j+1)) added plane by plane with a rippling carry up to bit j.
 *
 *   PLANES (sum nodes).  A shared sum node S (ir.c) is added once per
 *   batch with the same adder; its K bit-planes are kept as K more words
 *   (after the gates' words), and S = P - M for the K-bit column sum P
 *   and a constant M.  A reader sees w S as the planes with weights
 *   w 2^b and a constant -w M folded into its threshold, so every step
 *   above works unchanged over gate words and plane words alike.
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

enum { S_CONST0, S_CONST1, S_AND, S_OR, S_SUM, S_SUM_AGAIN, S_PLANES, S_CMP, S_BIT, S_BIT_AGAIN };

typedef struct {
    uint8_t kind;
    uint8_t cols;  /* SUM: K, the adder's columns */
    uint8_t bit;   /* BIT: j, the bit tapped */
    uint32_t n;    /* literals */
    size_t first;  /* first literal in Evaluator.lits */
    size_t counts; /* SUM: first of K literal counts (per column) in Evaluator.counts */
    uint64_t thr;  /* SUM, SUM_AGAIN: t'; BIT: D modulo 2^(j+1) */
    size_t plane;  /* PLANES: first plane word in Evaluator.val */
} Step;

struct Evaluator {
    const Circuit *c;
    int32_t n_gates; /* c->n_gates when compiled */
    Step *steps;     /* one per gate from 2 + n_inputs on */
    uint32_t *lits;  /* src << 1 | negated; SUM: column by column */
    size_t n_lits, cap_lits;
    uint32_t *counts; /* SUM: literals per column */
    size_t n_counts, cap_counts;
    uint64_t *val; /* one word per gate, then the sum nodes' planes */
    size_t n_words;
    size_t *plane_of;       /* per node: its first plane word (sum nodes) */
    uint8_t *planes_needed; /* per sum node: some reader reads its planes */
    uint8_t *cols_of;       /* per node: its planes (sum nodes) */
    int64_t *off_of;        /* per node: M, the value is planes - M (sum nodes) */
    uint32_t *xsrc;         /* scratch: one node's terms over words */
    i128 *xw;               /* and their weights */
    size_t n_x, cap_x;
    uint32_t *last_src; /* the terms of the last SUM step */
    i128 *last_w;
    size_t n_last, cap_last;
    uint64_t *planes; /* adder scratch: two rows of max_planes + 1 words */
    size_t max_planes;
    uint64_t sum[64]; /* bit-planes of the last SUM */
};

static int bit_length128(i128 v) { /* v >= 0 */
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

/* Signed digits of the node's expanded weights: w_k = plus[k] - minus[k],
 * in non-adjacent form unless their largest sum would not fit in 64 bits
 * (then in plain binary, whose largest sum is sum |w_k|).  Returns
 * t + sum minus[k]; *total is the largest sum, sum plus[k] + minus[k]. */
static i128 signed_digits(const Evaluator *e, GateId g, i128 t, uint64_t *plus, uint64_t *minus, i128 *total) {
    for (int use_naf = 1; use_naf >= 0; use_naf--) {
        i128 thr = t;
        *total = 0;
        for (size_t k = 0; k < e->n_x; k++) {
            i128 w = e->xw[k];
            i128 a = w < 0 ? -w : w;
            if (a >> 63) BUG("eval: node %d: a weight does not fit in 63 bits", g);
            uint64_t mag = (uint64_t)a, p = mag, m = 0;
            if (use_naf && mag >> 62 == 0) naf(mag, &p, &m);
            plus[k] = w < 0 ? m : p;
            minus[k] = w < 0 ? p : m;
            *total += (i128)plus[k] + minus[k];
            thr += minus[k];
        }
        if (*total < (i128)1 << 64) return thr;
    }
    BUG("eval: node %d: the sum of its |weights| does not fit in 64 bits", g);
}

static void push_x(Evaluator *e, size_t word, i128 w) {
    if (e->n_x == e->cap_x) {
        e->cap_x = e->cap_x ? 2 * e->cap_x : 1024;
        e->xsrc = xrealloc(e->xsrc, sizeof *e->xsrc * e->cap_x);
        e->xw = xrealloc(e->xw, sizeof *e->xw * e->cap_x);
    }
    if (word > UINT32_MAX / 2) BUG("eval: more than 2^31 words");
    e->xsrc[e->n_x] = (uint32_t)word;
    e->xw[e->n_x++] = w;
}

/* Node g's terms over words: gate words as they are, a sum node as its
 * planes (weights w 2^b); returns the constant that the sum nodes' offsets
 * add (sum of -w M). */
/* A sum node of at most INLINE_MAX terms, all gates, is read by taking
 * its terms (AND/OR detection and SUM_AGAIN then work as on a flat gate);
 * a larger or nested one through its planes. */
enum { INLINE_MAX = 128 };

static bool inline_sum(const Circuit *c, GateId s) {
    const Gate *S = &c->gates[s];
    if (S->kind != G_SUM || S->n_in > INLINE_MAX) return false;
    const Term *u = ir_terms(c, s);
    for (uint32_t k = 0; k < S->n_in; k++)
        if (c->gates[u[k].src].kind == G_SUM) return false;
    return true;
}

static i128 expand(Evaluator *e, GateId g) { /* node = sum of the words + k */
    const Circuit *c = e->c;
    const Term *t = ir_terms(c, g);
    i128 k = 0;
    e->n_x = 0;
    for (uint32_t i = 0; i < c->gates[g].n_in; i++) {
        GateId s = t[i].src;
        if (c->gates[s].kind != G_SUM) {
            push_x(e, (size_t)s, t[i].w);
            continue;
        }
        if (inline_sum(c, s)) {
            const Term *u = ir_terms(c, s);
            for (uint32_t j = 0; j < c->gates[s].n_in; j++) push_x(e, (size_t)u[j].src, (i128)u[j].w * t[i].w);
            continue;
        }
        for (int b = 0; b < e->cols_of[s]; b++) push_x(e, e->plane_of[s] + (size_t)b, (i128)t[i].w * ((i128)1 << b));
        k -= (i128)t[i].w * e->off_of[s];
    }
    return k;
}

static void push_lit(Evaluator *e, size_t word, bool neg) {
    if (e->n_lits == e->cap_lits) {
        e->cap_lits = e->cap_lits ? 2 * e->cap_lits : 1024;
        e->lits = xrealloc(e->lits, sizeof *e->lits * e->cap_lits);
    }
    e->lits[e->n_lits++] = (uint32_t)word << 1 | (uint32_t)neg;
}

static void push_count(Evaluator *e, uint32_t n) {
    if (e->n_counts == e->cap_counts) {
        e->cap_counts = e->cap_counts ? 2 * e->cap_counts : 1024;
        e->counts = xrealloc(e->counts, sizeof *e->counts * e->cap_counts);
    }
    e->counts[e->n_counts++] = n;
}

/* The expanded terms equal the last SUM step's (then only compare). */
static bool same_as_last(const Evaluator *e) {
    if (e->n_x != e->n_last) return false;
    for (size_t k = 0; k < e->n_x; k++)
        if (e->xsrc[k] != e->last_src[k] || e->xw[k] != e->last_w[k]) return false;
    return true;
}

static void remember_last(Evaluator *e) {
    if (e->n_x > e->cap_last) {
        e->cap_last = e->n_x;
        e->last_src = xrealloc(e->last_src, sizeof *e->last_src * e->cap_last);
        e->last_w = xrealloc(e->last_w, sizeof *e->last_w * e->cap_last);
    }
    memcpy(e->last_src, e->xsrc, sizeof *e->xsrc * e->n_x);
    memcpy(e->last_w, e->xw, sizeof *e->xw * e->n_x);
    e->n_last = e->n_x;
}

/* The adder's literals of the expanded terms, column by column. */
static void column_lits(Evaluator *e, Step *s, const uint64_t *plus, const uint64_t *minus) {
    s->counts = e->n_counts;
    for (int col = 0; col < s->cols; col++) {
        size_t before = e->n_lits;
        for (size_t k = 0; k < e->n_x; k++)
            if (((plus[k] | minus[k]) >> col) & 1) push_lit(e, e->xsrc[k], (minus[k] >> col) & 1);
        push_count(e, (uint32_t)(e->n_lits - before));
    }
    if (e->n_lits - s->first > UINT32_MAX) BUG("eval: too many weight digits");
    s->n = (uint32_t)(e->n_lits - s->first);
    if (s->n > e->max_planes) e->max_planes = s->n;
}

/* A step that adds its expanded terms (kind), or, when they are the last
 * adding step's, reads that step's sum (again). */
static void adder_step(Evaluator *e, Step *s, int kind, int again, const uint64_t *plus, const uint64_t *minus) {
    if (same_as_last(e)) {
        s->kind = (uint8_t)again;
        return;
    }
    s->kind = (uint8_t)kind;
    remember_last(e);
    column_lits(e, s, plus, minus);
}

/* Compiles node g into *s. */
static void compile_gate(Evaluator *e, GateId g, Step *s) {
    const Circuit *c = e->c;
    const Gate *G = &c->gates[g];
    memset(s, 0, sizeof *s);
    s->first = e->n_lits;
    if (G->kind == G_SUM && !e->planes_needed[g]) { /* every reader inlines it */
        s->kind = S_CONST0;
        return;
    }
    i128 k = expand(e, g);
    uint64_t *plus = xmalloc(sizeof *plus * (e->n_x ? e->n_x : 1));
    uint64_t *minus = xmalloc(sizeof *minus * (e->n_x ? e->n_x : 1));
    i128 total;
    if (G->kind == G_SUM) { /* planes P = S + sum minus - k */
        i128 m = signed_digits(e, g, 0, plus, minus, &total) - k;
        if (m > INT64_MAX / 2 || m < INT64_MIN / 2) BUG("eval: sum node %d: offset out of range", g);
        s->kind = S_PLANES;
        s->cols = (uint8_t)(bit_length128(total) ? bit_length128(total) : 1);
        s->plane = e->n_words;
        e->plane_of[g] = e->n_words;
        e->cols_of[g] = s->cols;
        e->off_of[g] = (int64_t)m;
        e->n_words += s->cols;
        column_lits(e, s, plus, minus);
        e->n_last = (size_t)-1; /* the scratch sum is overwritten */
        free(plus);
        free(minus);
        return;
    }
    if (G->kind == G_BIT) { /* node + thr = P - sum minus + k + thr: bit j of P + D */
        i128 d = (i128)G->thr + k - signed_digits(e, g, 0, plus, minus, &total), mod = (i128)1 << (G->bit + 1);
        s->thr = (uint64_t)(((d % mod) + mod) % mod);
        s->bit = G->bit;
        s->cols = (uint8_t)(bit_length128(total) ? bit_length128(total) : 1);
        adder_step(e, s, S_BIT, S_BIT_AGAIN, plus, minus);
        free(plus);
        free(minus);
        return;
    }
    const Term *t0 = ir_terms(c, g);
    if (G->n_in == 1 && c->gates[t0->src].kind == G_SUM && !inline_sum(c, t0->src) && (t0->w == 1 || t0->w == -1)) {
        /* [P - M >= t] is [P >= t + M]; [-(P - M) >= t] is NOT [P >= M - t + 1] */
        i128 m = e->off_of[t0->src], top = ((i128)1 << e->cols_of[t0->src]) - 1;
        i128 thr = t0->w == 1 ? (i128)G->thr + m : m - G->thr + 1;
        bool neg = t0->w == -1;
        if (thr <= 0 || thr > top) {
            s->kind = (thr <= 0) != neg ? S_CONST1 : S_CONST0;
        } else {
            s->kind = S_CMP;
            s->thr = (uint64_t)thr;
            s->cols = e->cols_of[t0->src];
            s->plane = e->plane_of[t0->src];
            s->n = neg;
        }
        free(plus);
        free(minus);
        return;
    }
    /* literal form: constants, AND, OR */
    i128 thr = (i128)G->thr - k, wmin = 0;
    total = 0;
    for (size_t i = 0; i < e->n_x; i++) {
        i128 w = e->xw[i] < 0 ? -e->xw[i] : e->xw[i];
        total += w;
        if (e->xw[i] < 0) thr += w;
        if (i == 0 || w < wmin) wmin = w;
    }
    if (thr <= 0 || thr > total) {
        s->kind = thr <= 0 ? S_CONST1 : S_CONST0;
    } else if (wmin >= thr || total - wmin < thr) {
        s->kind = wmin >= thr ? S_OR : S_AND;
        for (size_t i = 0; i < e->n_x; i++) push_lit(e, e->xsrc[i], e->xw[i] < 0);
        s->n = (uint32_t)e->n_x;
    } else { /* SUM or SUM_AGAIN */
        thr = signed_digits(e, g, (i128)G->thr - k, plus, minus, &total);
        s->thr = (uint64_t)thr; /* 0 < t' <= total < 2^64: the gate is not constant */
        s->cols = (uint8_t)bit_length128(total);
        adder_step(e, s, S_SUM, S_SUM_AGAIN, plus, minus);
    }
    free(plus);
    free(minus);
}

Evaluator *eval_new(const Circuit *c) {
    Evaluator *e = xcalloc(1, sizeof *e);
    e->c = c;
    e->n_gates = c->n_gates;
    e->n_words = (size_t)c->n_gates;
    e->n_last = (size_t)-1;
    int32_t first = 2 + c->n_inputs;
    size_t n_steps = c->n_gates > first ? (size_t)(c->n_gates - first) : 0;
    e->steps = xcalloc(n_steps ? n_steps : 1, sizeof *e->steps);
    e->plane_of = xcalloc((size_t)c->n_gates, sizeof *e->plane_of);
    e->cols_of = xcalloc((size_t)c->n_gates, sizeof *e->cols_of);
    e->off_of = xcalloc((size_t)c->n_gates, sizeof *e->off_of);
    e->planes_needed = xcalloc((size_t)c->n_gates, 1);
    for (GateId g = first; g < c->n_gates; g++) {
        const Term *t = ir_terms(c, g);
        for (uint32_t k = 0; k < c->gates[g].n_in; k++)
            if (c->gates[t[k].src].kind == G_SUM && !inline_sum(c, t[k].src)) e->planes_needed[t[k].src] = 1;
    }
    for (GateId g = first; g < c->n_gates; g++) compile_gate(e, g, &e->steps[g - first]);
    free(e->planes_needed);
    e->planes_needed = NULL;
    free(e->xsrc);
    free(e->xw);
    free(e->last_src);
    free(e->last_w);
    free(e->plane_of);
    free(e->cols_of);
    free(e->off_of);
    e->xsrc = NULL;
    e->xw = NULL;
    e->last_src = NULL;
    e->last_w = NULL;
    e->plane_of = NULL;
    e->cols_of = NULL;
    e->off_of = NULL;
    e->val = xcalloc(e->n_words, sizeof *e->val);
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

/* [sum >= t'] for every lane, over the bit-planes sum[0..cols-1]. */
static inline uint64_t compare_planes(const uint64_t *sum, const Step *s) {
    uint64_t ge = ~(uint64_t)0;
    for (int k = 0; k < s->cols; k++) ge = (s->thr >> k) & 1 ? sum[k] & ge : sum[k] | ge;
    return ge;
}

static inline uint64_t compare(const Evaluator *e, const Step *s) { return compare_planes(e->sum, s); }

/* Bit j of sum + D for every lane: D's bits added to the planes from bit 0
 * up, a carry plane rippling (planes past the adder's columns are 0). */
static inline uint64_t tap(const Evaluator *e, const Step *s) {
    uint64_t carry = 0, r = 0;
    for (int b = 0; b <= s->bit; b++) {
        uint64_t p = b < s->cols ? e->sum[b] : 0;
        if ((s->thr >> b) & 1) {
            r = ~(p ^ carry);
            carry = p | carry;
        } else {
            r = p ^ carry;
            carry = p & carry;
        }
    }
    return r;
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
        case S_BIT:
            add_columns(e, s);
            v = tap(e, s);
            break;
        case S_BIT_AGAIN: v = tap(e, s); break;
        case S_PLANES:
            add_columns(e, s);
            memcpy(val + s->plane, e->sum, sizeof *val * s->cols);
            break;
        case S_CMP: v = compare_planes(val + s->plane, s) ^ ((uint64_t)0 - s->n); break;
        default: BUG("eval: bad step kind %d", s->kind);
        }
        val[g] = v;
    }
    for (int i = 0; i < c->n_outputs; i++) out[i] = val[c->outputs[i]];
}
