/*
 * lutcost.c - what a compiled circuit would cost on a K-input LUT fabric
 * (K = 4: iCE40, K = 6: Xilinx/ECP5), estimated from the netlist without
 * running synthesis: LUTs and LUT levels.  The model (docs/lowering.md,
 * "LUT cost model") mirrors how the Verilog writer's `thr` style maps:
 *
 * - a threshold gate whose support (the distinct 0/1 signals it reads,
 *   through its sum nodes) has at most K signals is one LUT, one level
 *   over its deepest support signal, whatever its weights;
 * - else, one gate deeper: a gate whose terms reach at most K signals when
 *   each gate term whose support fits is read as its support is one LUT
 *   over those (ABC's cut absorbs the terms, which still count their own
 *   LUT: other readers may need them);
 * - otherwise it is an adder of its terms (the sum nodes it reads are
 *   adders too, each charged once however many gates read it) and a
 *   comparator of the sum's W bits with a constant;
 * - an adder of B input bits (a term of weight w over a W'-bit value adds
 *   popcount(|w|) * W' bits) into W output bits costs 2 (B - W) + W LUT4s
 *   or 1.5 (B - W) + 1 LUT6s, and a comparator of its sum with a constant
 *   ceil(W / (K - 1)) more (a bit tap of the sum one more: its bit plus
 *   the carry a constant brings); the sum and one comparator take
 *   2 ceil(log2 B) - 2 LUT4 levels or ceil(1.6 log2 B) - 3 LUT6 levels.
 *   These are fits to the lut4 and lut6 flows on single threshold gates of
 *   8 to 128 inputs (ABC maps the adder into a compressor tree);
 * - a sum whose terms are 0/1 gates with weights sharing no bit (a binary
 *   code) is its wires side by side: no adder.
 *
 * It is an estimate for choosing among lowerings, not a synthesis result;
 * docs/lowering.md lists its error against the lut4 flow.
 */
#include "tc0c.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { SUP_MAX = 6 }; /* the largest K */

typedef struct {
    int8_t n;          /* support size, or -1 when wider than K */
    GateId s[SUP_MAX]; /* the support, in order of first reading */
    int8_t dn;         /* the support one gate deeper (gate terms of at most
                        * K signals read as their support), or -1 */
    GateId ds[SUP_MAX];
    int32_t lev;      /* LUT level at which the node's value is ready */
    int width;        /* bits of the node's value (1 for a gate) */
    bool wide_reader; /* some reader needs this sum node as an adder */
} Node;

static int bits_for(int64_t range) { return range > 1 ? bit_length(range) : 1; }

/* Bits of the range of node g's weighted sum of its terms' ranges. */
static int sum_width(const Circuit *c, GateId g) {
    const Gate *G = &c->gates[g];
    const Term *t = ir_terms(c, g);
    int64_t lo = 0, hi = 0;
    for (uint32_t i = 0; i < G->n_in; i++) {
        const Gate *S = &c->gates[t[i].src];
        int64_t a = t[i].w * S->lo, b = t[i].w * S->hi;
        lo += a < b ? a : b;
        hi += a < b ? b : a;
    }
    return bits_for(hi - lo);
}

/* support(g) := union of its terms' supports; -1 when more than k.
 * is_sum[x]: node x is a sum node (a byte per node: wide gates read
 * their sources all over the gate array).  A term reads as itself, or
 * when a sum node as its support.  With deep (the support one gate
 * deeper), a gate term whose own support fits in k signals reads as that
 * support too (the LUT absorbs it, as ABC's cuts do), and a sum node whose
 * support does not fit as its deeper one.  Into nd[g].n, .s or .dn, .ds. */
static void support_of(const Circuit *c, const uint8_t *is_sum, Node *nd, GateId g, int k, bool deep) {
    const Term *t = ir_terms(c, g);
    GateId u[SUP_MAX] = {0};
    int n = 0;
    int8_t *out_n = deep ? &nd[g].dn : &nd[g].n;
    *out_n = -1;
    for (uint32_t i = 0; i < c->gates[g].n_in; i++) {
        GateId s = t[i].src;
        if (s < 2) continue; /* constants */
        const Node *S = &nd[s];
        GateId one = s;
        const GateId *src = &one;
        int m = 1;
        if (deep && is_sum[s] && S->n < 0) src = S->ds, m = S->dn;
        else if (is_sum[s] || (deep && S->n >= 0 && s >= 2 + c->n_inputs)) src = S->s, m = S->n;
        if (m < 0) return;
        for (int a = 0; a < m; a++) {
            int b = 0;
            while (b < n && u[b] != src[a]) b++;
            if (b == n) {
                if (n == k) return;
                u[n++] = src[a];
            }
        }
    }
    *out_n = (int8_t)n;
    memcpy(deep ? nd[g].ds : nd[g].s, u, sizeof *u * (size_t)n);
}

static int32_t deep_level(const Node *nd, GateId g) {
    int32_t l = 0;
    for (int i = 0; i < nd[g].dn; i++)
        if (nd[nd[g].ds[i]].lev > l) l = nd[nd[g].ds[i]].lev;
    return l;
}

static int32_t support_level(const Node *nd, GateId g) {
    int32_t l = 0;
    for (int i = 0; i < nd[g].n; i++)
        if (nd[nd[g].s[i]].lev > l) l = nd[nd[g].s[i]].lev;
    return l;
}

/* The LUTs of an adder of `bits` input bits into `width` output bits, and
 * of a comparator of `width` bits with a constant (the fits above). */
static int64_t adder_luts(int64_t bits, int width, int k) {
    int64_t fa = bits > width ? bits - width : 0;
    return k <= 4 ? 2 * fa + width : (int64_t)ceil(1.5 * (double)fa) + 1;
}

static int64_t cmp_luts(int width, int k) { return (width + k - 2) / (k - 1); }

/* Node g's terms are 0/1 gates whose |weights| share no bit (a binary
 * code lo + sum 2^k b_k, complemented or not): its sum is those wires
 * side by side, no adder. */
static bool is_bus(const Circuit *c, GateId g) {
    const Term *t = ir_terms(c, g);
    uint64_t seen = 0;
    for (uint32_t i = 0; i < c->gates[g].n_in; i++) {
        if (c->gates[t[i].src].kind == G_SUM) return false;
        uint64_t a = (uint64_t)(t[i].w < 0 ? -t[i].w : t[i].w);
        if (seen & a) return false;
        seen |= a;
    }
    return true;
}

/* An adder over g's terms: adds its LUTs to *luts, returns the level at
 * which its bits are ready (one level before a comparator over them ends). */
static int32_t adder(const Circuit *c, const Node *nd, GateId g, int width, int k, int64_t *luts) {
    const Term *t = ir_terms(c, g);
    int64_t bits = 0;
    int32_t in_lev = 0;
    for (uint32_t i = 0; i < c->gates[g].n_in; i++) {
        GateId s = t[i].src;
        if (s < 2) continue;
        bits += (int64_t)popcount_abs(t[i].w) * nd[s].width;
        if (nd[s].lev > in_lev) in_lev = nd[s].lev;
    }
    if (is_bus(c, g)) return in_lev; /* wires side by side: no adder */
    double lb = bits > 1 ? log2((double)bits) : 0;
    *luts += adder_luts(bits, width, k);
    if (k <= 4) return in_lev + max64(0, (int64_t)(2 * ceil(lb - 1e-9)) - 3);
    return in_lev + max64(0, (int64_t)ceil(1.6 * lb - 1e-9) - 4);
}

/* The LUTs of one node charged alone (represent.c compares two codes of a
 * value by the nodes each adds): a gate of at most k stored gate terms is
 * one LUT; else an adder of its terms' bits (a sum node term brings the
 * bits of its range) and, for a gate, a comparator; a sum node of at most k
 * gate terms is absorbed into its readers. */
int64_t lut_node_luts(const Circuit *c, GateId g, int k) {
    const Gate *G = &c->gates[g];
    const Term *t = ir_terms(c, g);
    int64_t bits = 0;
    bool wide = G->n_in > (uint32_t)k;
    for (uint32_t i = 0; i < G->n_in; i++) {
        const Gate *S = &c->gates[t[i].src];
        int w = S->kind == G_SUM ? bits_for(S->hi - S->lo) : 1;
        if (S->kind == G_SUM) wide = true;
        bits += (int64_t)popcount_abs(t[i].w) * w;
    }
    if (!wide) return G->kind == G_SUM ? 0 : 1;
    int w = sum_width(c, g);
    if (G->kind == G_BIT) return 1 + (G->n_in == 1 && popcount_abs(t[0].w) == 1 ? 0 : adder_luts(bits, w, k));
    if (is_bus(c, g)) return G->kind == G_SUM ? 0 : cmp_luts(w, k);
    if (G->kind == G_SUM) return adder_luts(bits, w, k);
    return (G->n_in == 1 ? 0 : adder_luts(bits, w, k)) + cmp_luts(w, k); /* [S >= t]: the comparator only */
}

/* Pass 2 for node g: sets its level, returns its LUTs. */
static int64_t lut_node(const Circuit *c, Node *nd, GateId g, int k) {
    const Gate *G = &c->gates[g];
    int64_t luts = 0;
    if (G->kind == G_SUM) {
        /* absorbed into its readers' LUTs unless a wide gate reads it */
        if (!nd[g].wide_reader) return 0;
        if (nd[g].n >= 0 && nd[g].n <= k && !is_bus(c, g)) { /* (a bus, however few, is wires: adder()) */
            nd[g].lev = support_level(nd, g) + 1;
            return nd[g].width;
        }
        nd[g].lev = adder(c, nd, g, nd[g].width, k, &luts);
        return luts;
    }
    if (nd[g].n >= 0) {
        nd[g].lev = support_level(nd, g) + 1;
        return 1;
    }
    if (nd[g].dn >= 0) { /* one LUT over its terms' supports */
        nd[g].lev = deep_level(nd, g) + 1;
        return 1;
    }
    const Term *t = ir_terms(c, g);
    int w = sum_width(c, g);
    int32_t ready;
    /* [S >= t]; a tap of 2^m S or -2^m S (shifted or complemented wires) */
    bool one_sum = G->n_in == 1 && c->gates[t[0].src].kind == G_SUM;
    if (one_sum && (G->kind != G_BIT || popcount_abs(t[0].w) == 1)) ready = nd[t[0].src].lev;
    else ready = adder(c, nd, g, w, k, &luts);
    nd[g].lev = ready + 1;
    return luts + (G->kind == G_BIT ? 1 : cmp_luts(w, k)); /* a tap: its bit and the carry of a constant */
}

void lut_cost(const Circuit *c, int k, LutCost *out) {
    if (k < 2 || k > SUP_MAX) BUG("lut_cost: K = %d", k);
    memset(out, 0, sizeof *out);
    out->k = k;
    Node *nd = xcalloc((size_t)c->n_gates, sizeof *nd);
    uint8_t *is_sum = xmalloc((size_t)c->n_gates + 1);
    for (GateId g = 0; g < c->n_gates; g++) {
        nd[g].width = 1;
        is_sum[g] = c->gates[g].kind == G_SUM;
    }
    /* pass 1: supports (a reader sees a gate as one signal, itself; a sum
     * node as its support), widths; which sum nodes a wide gate reads */
    for (GateId g = 2 + c->n_inputs; g < c->n_gates; g++) {
        const Gate *G = &c->gates[g];
        support_of(c, is_sum, nd, g, k, false);
        if (nd[g].n < 0 && G->kind != G_BIT) support_of(c, is_sum, nd, g, k, true);
        else nd[g].dn = -1;
        if (G->kind == G_SUM) {
            nd[g].width = bits_for(G->hi - G->lo);
            continue;
        }
        if (nd[g].n < 0 && nd[g].dn < 0) {
            const Term *t = ir_terms(c, g);
            for (uint32_t i = 0; i < G->n_in; i++)
                if (is_sum[t[i].src]) nd[t[i].src].wide_reader = true;
        }
    }
    /* a materialized sum node's sum-node terms are materialized too */
    for (GateId g = c->n_gates - 1; g >= 2 + c->n_inputs; g--) {
        if (!is_sum[g] || !nd[g].wide_reader) continue;
        const Term *t = ir_terms(c, g);
        for (uint32_t i = 0; i < c->gates[g].n_in; i++)
            if (is_sum[t[i].src]) nd[t[i].src].wide_reader = true;
    }
    /* pass 2: LUTs and levels, in topological (id) order, charged to the
     * operation each node was built for */
    for (GateId g = 2 + c->n_inputs; g < c->n_gates; g++) {
        int64_t luts = lut_node(c, nd, g, k);
        out->luts += luts;
        out->luts_by_op[origin_op(c->gates[g].origin)] += luts;
    }
    for (int i = 0; i < c->n_outputs; i++)
        if (nd[c->outputs[i]].lev > out->depth) out->depth = nd[c->outputs[i]].lev;
    free(is_sum);
    free(nd);
}
