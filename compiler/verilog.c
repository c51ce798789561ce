/*
 * verilog.c - writes a compiled circuit as Verilog-2005.
 *
 * Three gate styles (docs/verilog.md):
 *   thr   (default) every sum group is one inline weighted sum
 *         `wire [W-1:0] s5 = ...;` and each gate of the group one comparison
 *         `wire g12 = s5 >= W'd7;`.  Negative weights become complemented
 *         inputs with the threshold raised, so the sum is unsigned.  One
 *         adder tree per group, the multi-threshold of DESIGN.md; inline
 *         assigns are what Yosys and Verilator handle best (TOOLCHAIN.md).
 *   cells every sum group is one instance of rtl/tc0c_mthr.v (tc0c_thr.v
 *         for a single gate): the structure Yosys `ltp` counts as threshold
 *         depth when the cells are black boxes.
 *   maj   every gate is an instance of rtl/tc0c_maj.v, a majority of
 *         duplicated and complemented inputs and constants.
 * A shared sum node (ir.c) is one wire `wire [K-1:0] aN = ...;` holding
 * P = S + M (unsigned, M a constant offset), written once whatever reads
 * it; a reader takes w S as w P (or |w| ~P for w < 0) and folds the
 * offsets into its threshold.  The cells and maj styles expand sum nodes
 * into their gates (ir_flatten).
 * With pipeline K > 0 a register stage follows every K threshold levels;
 * signals that skip stages travel through delay registers; outputs are
 * registered; in_valid travels beside the data (latency in cycles).
 */
#include "tc0c.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    const Circuit *c;
    const VerilogOpts *o;
    FILE *f;
    int latency;
    int32_t *stage;  /* per gate: stage whose logic computes it (0: input) */
    int32_t *delays; /* per gate: longest delay any reader needs */
    int8_t *width;   /* per node: bits of its wire (1 for gates, K for sum nodes) */
    int64_t *off;    /* per sum node: M, its value is the wire's P - M */
    GateId *tap_of;  /* per group: the tap whose adder wire tN its taps read */
} Emit;

/* bits of a wire that holds 0..v (at least one) */
static int bitlen(int64_t v) { return v > 1 ? bit_length(v) : 1; }

/* Cycle in which gate g's value is stable (inputs: 0). */
static int avail(const Emit *E, GateId g) { return E->stage[g] > 0 ? E->stage[g] - 1 : 0; }

/* Plain text output for the per-gate lines, the bulk of a large netlist
 * (fprintf's format parsing was most of the writer's time): a string, a
 * decimal integer. */
static char *fmt_d(char *p, int64_t v) { /* writes v at p (no NUL), returns its end */
    char tmp[24], *q = tmp + sizeof tmp;
    uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;
    do *--q = (char)('0' + u % 10);
    while ((u /= 10) != 0);
    if (v < 0) *--q = '-';
    size_t n = (size_t)(tmp + sizeof tmp - q);
    memcpy(p, q, n);
    return p + n;
}

/* putc_unlocked (POSIX) writes into the stream's buffer without taking its
 * lock per call; verilog_write holds the lock (flockfile) throughout. */
static void put_s(FILE *f, const char *s) {
    for (; *s; s++) putc_unlocked(*s, f);
}

static void put_d(FILE *f, int64_t v) {
    char buf[24];
    const char *end = fmt_d(buf, v);
    for (const char *p = buf; p < end; p++) putc_unlocked(*p, f);
}

/* The name of gate g as seen by logic in stage s (combinational: s = 0). */
static void ref_name(const Emit *E, GateId g, int s, char *buf, size_t len) {
    const Circuit *c = E->c;
    if (g == GATE_CONST0 || g == GATE_CONST1) {
        snprintf(buf, len, "1'b%d", g == GATE_CONST1);
        return;
    }
    if (len < 48) BUG("ref_name: a buffer of %zu bytes", len);
    int d = E->o->pipeline ? (s - 1) - avail(E, g) : 0;
    char *p = buf;
    *p++ = g < 2 + c->n_inputs ? 'x' : c->gates[g].kind == G_SUM ? 'a' : 'g';
    p = fmt_d(p, g < 2 + c->n_inputs ? g - 2 : g);
    if (d > 0) {
        *p++ = '_';
        *p++ = 'd';
        p = fmt_d(p, d);
    }
    *p = 0;
}

static void origin_comment(FILE *f, Origin o) {
    int l = origin_layer(o), h = origin_head(o);
    put_s(f, "    // ");
    if (l >= 0) {
        put_s(f, "layer ");
        put_d(f, l);
        put_s(f, " ");
    }
    if (h >= 0) {
        put_s(f, "head ");
        put_d(f, h);
        put_s(f, " ");
    }
    put_s(f, op_name(origin_op(o)));
    put_s(f, "\n");
}

/* "W'dV" */
static void put_const(FILE *f, int W, int64_t v) {
    put_d(f, W);
    put_s(f, "'d");
    put_d(f, v);
}

/* "    wire [W-1:0] PREFIXid =\n" */
static void put_wire_head(FILE *f, int W, char prefix, int64_t id) {
    put_s(f, "    wire [");
    put_d(f, W - 1);
    put_s(f, ":0] ");
    putc_unlocked(prefix, f);
    put_d(f, id);
    put_s(f, " =\n");
}

/* The unsigned view of node g: U = sum |w| l over literals l = x or ~x
 * (x a gate or a sum node's wire, ~ for w < 0); g's value is U - M with
 * M = sum_(w<0) |w| (2^k - 1) + sum w M_x over its terms.  *total is the
 * largest U.  Returns false when a figure does not fit in 62 bits. */
static bool unsigned_view(const Emit *E, GateId g, int64_t *total, int64_t *m) {
    const Circuit *c = E->c;
    const Gate *G = &c->gates[g];
    const Term *t = ir_terms(c, g);
    __extension__ __int128 tot = 0, off = 0;
    for (uint32_t k = 0; k < G->n_in; k++) {
        __extension__ __int128 a = t[k].w < 0 ? -(__int128)t[k].w : t[k].w;
        int w = E->width[t[k].src];
        __extension__ __int128 top = a * ((((__int128)1) << w) - 1);
        tot += top;
        if (t[k].w < 0) off += top;
        off += (__int128)t[k].w * E->off[t[k].src];
        if (tot > (__int128)1 << 62 || off > (__int128)1 << 62 || off < -((__int128)1 << 62)) return false;
    }
    *total = (int64_t)tot;
    *m = (int64_t)off;
    return true;
}

/* Term list of node g's unsigned sum U in W bits: "{3'd0, g4}",
 * "(g7 ? 4'd0 : 4'd3)", "({2'd0, ~a9} * 4'd3)", ... */
static void emit_sum_terms(const Emit *E, GateId g, int s, int W, FILE *f) {
    const Gate *G = &E->c->gates[g];
    const Term *t = ir_terms(E->c, g);
    char name[48];
    for (uint32_t k = 0; k < G->n_in; k++) {
        ref_name(E, t[k].src, s, name, sizeof name);
        int64_t a = t[k].w < 0 ? -t[k].w : t[k].w;
        int w = E->width[t[k].src];
        put_s(f, k == 0 ? "        " : (k % 6 == 0 ? "\n        + " : " + "));
        if (w > 1) { /* a sum node's wire: (({0s, ~}name) * W'da) */
            if (a != 1) put_s(f, "(");
            if (W > w) {
                put_s(f, "{");
                put_const(f, W - w, 0);
                put_s(f, ", ");
            }
            if (t[k].w < 0) put_s(f, "~");
            put_s(f, name);
            if (W > w) put_s(f, "}");
            if (a != 1) {
                put_s(f, " * ");
                put_const(f, W, a);
                put_s(f, ")");
            }
        } else if (t[k].w == 1 && W > 1) { /* {0s, name} */
            put_s(f, "{");
            put_const(f, W - 1, 0);
            put_s(f, ", ");
            put_s(f, name);
            put_s(f, "}");
        } else if (t[k].w == 1) {
            put_s(f, name);
        } else { /* (name ? W'da : W'd0), or the two swapped for w < 0 */
            put_s(f, "(");
            put_s(f, name);
            put_s(f, " ? ");
            put_const(f, W, t[k].w > 0 ? a : 0);
            put_s(f, " : ");
            put_const(f, W, t[k].w > 0 ? 0 : a);
            put_s(f, ")");
        }
    }
}

static void emit_inputs_list(const Emit *E, const Term *t, uint32_t n, int s, bool negate_neg, FILE *f) {
    char name[48];
    fprintf(f, "{");
    for (int k = (int)n - 1; k >= 0; k--) { /* MSB first: input 0 at bit 0 */
        ref_name(E, t[k].src, s, name, sizeof name);
        fprintf(f, "%s%s%s", negate_neg && t[k].w < 0 ? "~" : "", name, k ? ", " : "");
    }
    fprintf(f, "}");
}

/* A sum node: its unsigned wire, once. */
static bool emit_sum_node(Emit *E, GateId g) {
    const Circuit *c = E->c;
    int s = E->o->pipeline ? E->stage[g] : 0;
    int64_t total, m;
    if (!unsigned_view(E, g, &total, &m)) {
        fprintf(stderr, "tc0c: sum node a%d: its width passes 62 bits; lower p or the weights\n", g);
        return false;
    }
    int W = bitlen(total);
    E->width[g] = (int8_t)W;
    E->off[g] = m;
    origin_comment(E->f, c->gates[g].origin);
    put_wire_head(E->f, W, 'a', g);
    emit_sum_terms(E, g, s, W, E->f);
    put_s(E->f, ";\n");
    return true;
}

/* A bit tap g: with U = value + M its unsigned sum in W bits, bit j of
 * value + k is bit j of U + K modulo 2^X, K = (k - M) mod 2^X, X = max(W,
 * j + 1); its own X-bit wire tN, whose other bits go unused (a waiver),
 * then gN = tN[j] (Yosys keeps the carry chain up to bit j). */
static bool emit_bit(Emit *E, GateId g) {
    const Gate *G = &E->c->gates[g];
    int s = E->o->pipeline ? E->stage[g] : 0;
    int64_t total, m;
    if (!unsigned_view(E, g, &total, &m)) {
        fprintf(stderr, "tc0c: bit tap g%d: its sum passes 62 bits; lower p or the weights\n", g);
        return false;
    }
    int W = bitlen(total), X = W > G->bit + 1 ? W : G->bit + 1;
    uint64_t mask = X >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << X) - 1;
    int64_t K = (int64_t)(((uint64_t)G->thr - (uint64_t)m) & mask);
    FILE *f = E->f;
    /* the taps of one value (one group, one constant) read one adder */
    GateId a = E->tap_of[G->group];
    if (a >= 0 && E->c->gates[a].thr == G->thr && (!E->o->pipeline || E->stage[a] == s) &&
        (W > E->c->gates[a].bit + 1 ? W : E->c->gates[a].bit + 1) >= G->bit + 1) {
        fprintf(f, "    wire g%d = t%d[%d];\n", g, a, G->bit);
        return true;
    }
    E->tap_of[G->group] = g;
    origin_comment(f, G->origin);
    put_s(f, "    /* verilator lint_off UNUSEDSIGNAL */\n");
    put_wire_head(f, X, 't', g);
    emit_sum_terms(E, g, s, X, f);
    put_s(f, " + ");
    put_const(f, X, K);
    put_s(f, ";\n    /* verilator lint_on UNUSEDSIGNAL */\n    wire g");
    put_d(f, g);
    put_s(f, " = t");
    put_d(f, g);
    putc_unlocked('[', f);
    put_d(f, G->bit);
    put_s(f, "];\n");
    return true;
}

/* thr style: one sum per group (emitted at its first gate), one compare per gate */
static bool emit_thr(Emit *E, GateId g, const GateId *group_first) {
    const Circuit *c = E->c;
    const Gate *G = &c->gates[g];
    if (G->kind == G_SUM) return emit_sum_node(E, g);
    if (G->kind == G_BIT) return emit_bit(E, g);
    int s = E->o->pipeline ? E->stage[g] : 0;
    int64_t total, m;
    if (!unsigned_view(E, g, &total, &m)) {
        fprintf(stderr, "tc0c: gate g%d: its sum passes 62 bits; lower p or the weights\n", g);
        return false;
    }
    int64_t thr = G->thr + m;
    int W = bitlen(total);
    FILE *f = E->f;
    if (group_first[G->group] == g) {
        origin_comment(f, G->origin);
        put_wire_head(f, W, 's', G->group);
        emit_sum_terms(E, g, s, W, f);
        put_s(f, ";\n");
    }
    put_s(f, "    wire g"); /* wire gN = 1'b1; / 1'b0; / sK >= W'dT; */
    put_d(f, g);
    if (thr <= 0) {
        put_s(f, " = 1'b1;\n");
    } else if (thr > total) {
        put_s(f, " = 1'b0;\n");
    } else {
        put_s(f, " = s");
        put_d(f, G->group);
        put_s(f, " >= ");
        put_const(f, W, thr);
        put_s(f, ";\n");
    }
    return true;
}

/* cells style: one tc0c_mthr (or tc0c_thr) instance per group */
static bool emit_cell(Emit *E, GateId first, const GateId *members, int k) {
    const Circuit *c = E->c;
    const Gate *G = &c->gates[first];
    int s = E->o->pipeline ? E->stage[first] : 0;
    Term *t;
    uint32_t nin;
    if (!ir_flatten(c, first, (int64_t)1 << 20, &t, &nin)) {
        fprintf(stderr, "tc0c: --gates cells: gate g%d reads more than 2^20 gates through its sums; use --gates thr\n",
                first);
        return false;
    }
    int64_t wmax = 1, smax = 0, tmax = 0;
    for (uint32_t i = 0; i < nin; i++) {
        int64_t a = t[i].w < 0 ? -t[i].w : t[i].w;
        if (a > wmax) wmax = a;
        smax += a;
    }
    for (int j = 0; j < k; j++) {
        int64_t a = c->gates[members[j]].thr < 0 ? -c->gates[members[j]].thr : c->gates[members[j]].thr;
        if (a > tmax) tmax = a;
    }
    int W = bitlen(wmax) + 1, SW = bitlen(smax > tmax ? smax : tmax) + 1;
    FILE *f = E->f;
    origin_comment(f, G->origin);
    for (int j = 0; j < k; j++) fprintf(f, "    wire g%d;\n", members[j]);
    fprintf(f, "    %s #(.N(%u), ", k == 1 ? "tc0c_thr" : "tc0c_mthr", nin);
    if (k > 1) fprintf(f, ".K(%d), ", k);
    fprintf(f, ".W(%d), .SW(%d),\n        .WEIGHTS({", W, SW);
    for (int i = (int)nin - 1; i >= 0; i--)
        fprintf(f, "%s%d'sd%lld%s", t[i].w < 0 ? "-" : "", W, (long long)(t[i].w < 0 ? -t[i].w : t[i].w),
                i ? ", " : "");
    fprintf(f, "}),\n        .THRESH({");
    for (int j = k - 1; j >= 0; j--) {
        int64_t th = c->gates[members[j]].thr;
        fprintf(f, "%s%d'sd%lld%s", th < 0 ? "-" : "", SW, (long long)(th < 0 ? -th : th), j ? ", " : "");
    }
    fprintf(f, "})) c%d (\n        .in(", G->group);
    emit_inputs_list(E, t, nin, s, false, f);
    fprintf(f, "),\n        .y(");
    if (k > 1) fprintf(f, "{");
    for (int j = k - 1; j >= 0; j--) fprintf(f, "g%d%s", members[j], j ? ", " : "");
    if (k > 1) fprintf(f, "}");
    fprintf(f, "));\n");
    free(t);
    return true;
}

/* maj style: a majority of literals and constants per gate */
static bool emit_maj(Emit *E, GateId g) {
    const Circuit *c = E->c;
    Lit *lits = NULL;
    int64_t nl, n1, n0;
    if (!ir_majority(c, g, E->o->maj_max_fanin, &lits, &nl, &n1, &n0)) {
        fprintf(stderr,
                "tc0c: --gates maj: gate g%d needs more than %lld majority inputs; use --gates thr, or lower p\n", g,
                (long long)E->o->maj_max_fanin);
        return false;
    }
    int s = E->o->pipeline ? E->stage[g] : 0;
    FILE *f = E->f;
    char name[48];
    origin_comment(f, c->gates[g].origin);
    fprintf(f, "    wire g%d;\n    tc0c_maj #(.N(%lld)) m%d (.in({", g, (long long)(nl + n1 + n0), g);
    int64_t col = 0;
    for (int64_t i = nl - 1; i >= 0; i--) {
        ref_name(E, lits[i].src, s, name, sizeof name);
        fprintf(f, "%s%s%s", lits[i].neg ? "~" : "", name, (i || n1 || n0) ? ", " : "");
        if (++col % 8 == 0) fprintf(f, "\n        ");
    }
    if (n1) fprintf(f, "{%lld{1'b1}}%s", (long long)n1, n0 ? ", " : "");
    if (n0) fprintf(f, "{%lld{1'b0}}", (long long)n0);
    fprintf(f, "}), .y(g%d));\n", g);
    free(lits);
    return true;
}

bool verilog_write(const Model *m, const Compiled *cm, const VerilogOpts *o, const char *module, FILE *f,
                   int *latency_out) {
    const Circuit *c = cm->c;
    CircuitStats st;
    ir_stats(c, &st);
    if (o->style != GATES_THR && st.taps) {
        fprintf(stderr,
                "tc0c: the circuit has bit taps (--bits tap or the LUT choice), which have no %s form; use "
                "--gates thr, or --bits thermo without --target\n",
                o->style == GATES_MAJ ? "majority-gate" : "cell");
        return false;
    }
    Emit E = {.c = c, .o = o, .f = f};
    flockfile(f);
    int depth = ir_depth(c), K = o->pipeline;
    E.latency = K ? (depth > 0 ? (depth + K - 1) / K : 1) : 0;
    if (latency_out) *latency_out = E.latency;
    E.stage = xcalloc((size_t)c->n_gates, sizeof *E.stage);
    E.delays = xcalloc((size_t)c->n_gates, sizeof *E.delays);
    E.width = xcalloc((size_t)c->n_gates, sizeof *E.width);
    E.off = xcalloc((size_t)c->n_gates, sizeof *E.off);
    bool flat = o->style != GATES_THR; /* sum nodes expanded into their readers */
    for (GateId g = 0; g < c->n_gates; g++) E.width[g] = 1;
    for (GateId g = 2 + c->n_inputs; g < c->n_gates; g++) {
        if (c->gates[g].kind != G_SUM) {
            E.stage[g] = K ? (c->gates[g].level + K - 1) / K : 0;
            continue;
        }
        int sg = K ? 1 : 0; /* a sum node: in the stage of its latest input */
        const Term *t = ir_terms(c, g);
        for (uint32_t k = 0; K && k < c->gates[g].n_in; k++)
            if (E.stage[t[k].src] > sg) sg = E.stage[t[k].src];
        E.stage[g] = sg;
    }
    /* the stage each node's inputs are read in: its own, or, for a sum node
     * that the flat styles expand, the latest stage of a gate reading it */
    int32_t *reader = xcalloc((size_t)c->n_gates, sizeof *reader);
    for (GateId g = c->n_gates - 1; g >= 2 + c->n_inputs; g--) {
        if (!flat || c->gates[g].kind != G_SUM) reader[g] = E.stage[g];
        const Term *t = ir_terms(c, g);
        for (uint32_t k = 0; flat && k < c->gates[g].n_in; k++)
            if (c->gates[t[k].src].kind == G_SUM && reader[g] > reader[t[k].src]) reader[t[k].src] = reader[g];
    }
    /* used inputs, delays needed */
    uint8_t *used = xcalloc((size_t)c->n_gates, 1);
    for (GateId g = 2 + c->n_inputs; g < c->n_gates; g++) {
        const Term *t = ir_terms(c, g);
        for (uint32_t k = 0; k < c->gates[g].n_in; k++) {
            GateId src = t[k].src;
            used[src] = 1;
            if (flat && c->gates[src].kind == G_SUM) continue;
            int d = K ? (reader[g] - 1) - avail(&E, src) : 0;
            if (d > E.delays[src]) E.delays[src] = d;
        }
    }
    free(reader);
    for (int i = 0; i < c->n_outputs; i++) {
        GateId g = c->outputs[i];
        used[g] = 1;
        int d = K ? (E.latency - 1) - avail(&E, g) : 0;
        if (d > E.delays[g]) E.delays[g] = d;
    }
    int NI = c->n_inputs, NO = c->n_outputs;
    int unused_inputs = 0;
    for (int i = 0; i < NI; i++) unused_inputs += !used[2 + i];
    static const char *const style_names[] = {"thr", "maj", "cells"};

    fprintf(f, "// %s: generated by tc0c from %s (model %s), inputs of exactly n = %d tokens.\n", module, m->path,
            m->name, cm->n);
    fprintf(f, "// %lld threshold gates", (long long)st.gates);
    if (st.taps) fprintf(f, " (%lld of them bit taps of adders)", (long long)st.taps);
    fprintf(f, ", threshold depth %d, %lld edges; gate style %s", depth, (long long)st.edges, style_names[o->style]);
    if (K) fprintf(f, "; a register stage every %d levels: latency %d cycle%s", K, E.latency, E.latency > 1 ? "s" : "");
    fprintf(f, ".\n// tokens[i*%d +: %d] is the code of token i (LSB first):", cm->bits_per_token, cm->bits_per_token);
    for (int t = 0; t < m->n_vocab; t++) fprintf(f, " %d='%c'", t, m->vocab[t]);
    if (m->has_bos) fprintf(f, "; BOS '%c' is built in", m->bos);
    if (m->out.kind == OUT_ACCEPT) fprintf(f, ".\n// out[0] = 1: accept.\n");
    else fprintf(f, ".\n// out[i*%d +: %d] is the label index of token i.\n", cm->label_bits, cm->label_bits);
    fprintf(f, "`default_nettype none\n\nmodule %s (\n", module);
    if (K) fprintf(f, "    input  wire clk,\n    input  wire rst,\n    input  wire in_valid,\n");
    if (NI == 0) /* Verilog has no 0-bit port */
        fprintf(f, "    // A one-symbol vocabulary needs no token bits: this 1-bit port is a placeholder.\n");
    else if (unused_inputs)
        fprintf(f, "    // Not every token bit reaches an output (the model ignores %d of them).\n", unused_inputs);
    if (NI == 0 || unused_inputs) fprintf(f, "    /* verilator lint_off UNUSEDSIGNAL */\n");
    fprintf(f, "    input  wire [%d:0] tokens,\n", NI > 0 ? NI - 1 : 0);
    if (NI == 0 || unused_inputs) fprintf(f, "    /* verilator lint_on UNUSEDSIGNAL */\n");
    if (K) fprintf(f, "    output wire out_valid,\n");
    fprintf(f, "    output wire [%d:0] out\n);\n", NO - 1);
    for (int i = 0; i < NI; i++)
        if (used[2 + i]) fprintf(f, "    wire x%d = tokens[%d];\n", i, i);

    /* delay registers of the inputs (stage 0) */
    if (K) {
        for (int i = 0; i < NI; i++)
            for (int d = 1; d <= E.delays[2 + i]; d++) {
                fprintf(f, "    reg x%d_d%d;\n", i, d);
                if (d == 1) fprintf(f, "    always @(posedge clk) x%d_d1 <= x%d;\n", i, i);
                else fprintf(f, "    always @(posedge clk) x%d_d%d <= x%d_d%d;\n", i, d, i, d - 1);
            }
    }
    GateId *group_first = xmalloc(sizeof *group_first * (size_t)(c->n_groups ? c->n_groups : 1));
    E.tap_of = xmalloc(sizeof *E.tap_of * (size_t)(c->n_groups ? c->n_groups : 1));
    for (int32_t k = 0; k < c->n_groups; k++) group_first[k] = E.tap_of[k] = -1;
    for (GateId g = 2 + NI; g < c->n_gates;
         g++) /* a group's sum wire is its first threshold gate's (taps add their own) */
        if (c->gates[g].kind == G_THR && group_first[c->gates[g].group] < 0) group_first[c->gates[g].group] = g;
    GateId *members = xmalloc(sizeof *members * (size_t)(c->n_gates));
    bool ok = true;
    for (GateId g = 2 + NI; g < c->n_gates && ok; g++) {
        if (o->style == GATES_THR) {
            ok = emit_thr(&E, g, group_first);
        } else if (c->gates[g].kind == G_SUM) {
            continue; /* expanded into its readers */
        } else if (o->style == GATES_MAJ) {
            ok = emit_maj(&E, g);
        } else if (group_first[c->gates[g].group] == g) {
            int k = 0;
            for (GateId h = g; h < c->n_gates; h++)
                if (c->gates[h].kind != G_SUM && c->gates[h].group == c->gates[g].group) members[k++] = h;
            ok = emit_cell(&E, g, members, k);
        }
        if (K) {
            char b = c->gates[g].kind == G_SUM ? 'a' : 'g';
            for (int d = 1; d <= E.delays[g]; d++) {
                if (E.width[g] > 1) fprintf(f, "    reg [%d:0] %c%d_d%d;\n", E.width[g] - 1, b, g, d);
                else fprintf(f, "    reg %c%d_d%d;\n", b, g, d);
                if (d == 1) fprintf(f, "    always @(posedge clk) %c%d_d1 <= %c%d;\n", b, g, b, g);
                else fprintf(f, "    always @(posedge clk) %c%d_d%d <= %c%d_d%d;\n", b, g, d, b, g, d - 1);
            }
        }
    }
    if (ok) {
        char name[48];
        if (K) {
            fprintf(f, "    reg [%d:0] out_r;\n    always @(posedge clk) out_r <= {", NO - 1);
            for (int i = NO - 1; i >= 0; i--) {
                ref_name(&E, c->outputs[i], E.latency, name, sizeof name);
                fprintf(f, "%s%s", name, i ? ", " : "");
            }
            fprintf(f, "};\n    assign out = out_r;\n");
            fprintf(f, "    reg [%d:0] valid_r;\n", E.latency - 1);
            if (E.latency == 1) fprintf(f, "    always @(posedge clk) valid_r <= rst ? 1'b0 : in_valid;\n");
            else
                fprintf(f, "    always @(posedge clk) valid_r <= rst ? %d'd0 : {valid_r[%d:0], in_valid};\n", E.latency,
                        E.latency - 2);
            fprintf(f, "    assign out_valid = valid_r[%d];\n", E.latency - 1);
        } else {
            for (int i = 0; i < NO; i++) {
                ref_name(&E, c->outputs[i], 0, name, sizeof name);
                fprintf(f, "    assign out[%d] = %s;\n", i, name);
            }
        }
        fprintf(f, "endmodule\n\n`default_nettype wire\n");
    }
    free(group_first);
    free(E.tap_of);
    free(members);
    free(used);
    free(E.stage);
    free(E.delays);
    free(E.width);
    free(E.off);
    funlockfile(f);
    if (ok && ferror(f)) {
        fprintf(stderr, "tc0c: error writing the Verilog\n");
        ok = false;
    }
    return ok;
}
