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
} Emit;

static int bitlen(int64_t v) {
    int b = 0;
    while (v > 0) {
        b++;
        v >>= 1;
    }
    return b ? b : 1;
}

/* Cycle in which gate g's value is stable (inputs: 0). */
static int avail(const Emit *E, GateId g) { return E->stage[g] > 0 ? E->stage[g] - 1 : 0; }

/* The name of gate g as seen by logic in stage s (combinational: s = 0). */
static void ref_name(const Emit *E, GateId g, int s, char *buf, size_t len) {
    const Circuit *c = E->c;
    if (g == GATE_CONST0 || g == GATE_CONST1) {
        snprintf(buf, len, "1'b%d", g == GATE_CONST1);
        return;
    }
    int d = E->o->pipeline ? (s - 1) - avail(E, g) : 0;
    const char *base = g < 2 + c->n_inputs ? "x" : "g";
    int id = g < 2 + c->n_inputs ? g - 2 : g;
    if (d > 0) snprintf(buf, len, "%s%d_d%d", base, id, d);
    else snprintf(buf, len, "%s%d", base, id);
}

static void origin_comment(FILE *f, Origin o) {
    int l = origin_layer(o), h = origin_head(o);
    fprintf(f, "    // ");
    if (l >= 0) fprintf(f, "layer %d ", l);
    if (h >= 0) fprintf(f, "head %d ", h);
    fprintf(f, "%s\n", op_name(origin_op(o)));
}

/* Term list of a sum: "{3'd0, g4}", "(g7 ? 4'd0 : 4'd3)", ... */
static void emit_sum_terms(const Emit *E, GateId g, int s, int W, FILE *f) {
    const Gate *G = &E->c->gates[g];
    const Term *t = ir_terms(E->c, g);
    char name[48];
    for (uint32_t k = 0; k < G->n_in; k++) {
        ref_name(E, t[k].src, s, name, sizeof name);
        int64_t a = t[k].w < 0 ? -t[k].w : t[k].w;
        fprintf(f, "%s", k == 0 ? "        " : (k % 6 == 0 ? "\n        + " : " + "));
        if (t[k].w == 1 && W > 1) fprintf(f, "{%d'd0, %s}", W - 1, name);
        else if (t[k].w == 1) fprintf(f, "%s", name);
        else if (t[k].w > 0) fprintf(f, "(%s ? %d'd%lld : %d'd0)", name, W, (long long)a, W);
        else fprintf(f, "(%s ? %d'd0 : %d'd%lld)", name, W, W, (long long)a);
    }
}

/* sum of |w| and the threshold shifted for complemented inputs */
static void unsigned_form(const Circuit *c, GateId g, int64_t *total, int64_t *thr) {
    const Gate *G = &c->gates[g];
    const Term *t = ir_terms(c, g);
    int64_t tot = 0, th = G->thr;
    for (uint32_t k = 0; k < G->n_in; k++) {
        int64_t a = t[k].w < 0 ? -t[k].w : t[k].w;
        tot += a;
        if (t[k].w < 0) th += a;
    }
    *total = tot;
    *thr = th;
}

static void emit_inputs_list(const Emit *E, GateId g, int s, bool negate_neg, FILE *f) {
    const Gate *G = &E->c->gates[g];
    const Term *t = ir_terms(E->c, g);
    char name[48];
    fprintf(f, "{");
    for (int k = (int)G->n_in - 1; k >= 0; k--) { /* MSB first: input 0 at bit 0 */
        ref_name(E, t[k].src, s, name, sizeof name);
        fprintf(f, "%s%s%s", negate_neg && t[k].w < 0 ? "~" : "", name, k ? ", " : "");
    }
    fprintf(f, "}");
}

/* thr style: one sum per group (emitted at its first gate), one compare per gate */
static void emit_thr(Emit *E, GateId g, const GateId *group_first) {
    const Circuit *c = E->c;
    const Gate *G = &c->gates[g];
    int s = E->o->pipeline ? E->stage[g] : 0;
    int64_t total, thr;
    unsigned_form(c, g, &total, &thr);
    int W = bitlen(total);
    FILE *f = E->f;
    if (group_first[G->group] == g) {
        origin_comment(f, G->origin);
        fprintf(f, "    wire [%d:0] s%d =\n", W - 1, G->group);
        emit_sum_terms(E, g, s, W, f);
        fprintf(f, ";\n");
    }
    fprintf(f, "    wire g%d = s%d >= %d'd%lld;\n", g, G->group, W, (long long)thr);
}

/* cells style: one tc0c_mthr (or tc0c_thr) instance per group */
static void emit_cell(Emit *E, GateId first, const GateId *members, int k) {
    const Circuit *c = E->c;
    const Gate *G = &c->gates[first];
    int s = E->o->pipeline ? E->stage[first] : 0;
    const Term *t = ir_terms(c, first);
    int64_t wmax = 1, smax = 0, tmax = 0;
    for (uint32_t i = 0; i < G->n_in; i++) {
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
    fprintf(f, "    %s #(.N(%u), ", k == 1 ? "tc0c_thr" : "tc0c_mthr", G->n_in);
    if (k > 1) fprintf(f, ".K(%d), ", k);
    fprintf(f, ".W(%d), .SW(%d),\n        .WEIGHTS({", W, SW);
    for (int i = (int)G->n_in - 1; i >= 0; i--)
        fprintf(f, "%s%d'sd%lld%s", t[i].w < 0 ? "-" : "", W, (long long)(t[i].w < 0 ? -t[i].w : t[i].w),
                i ? ", " : "");
    fprintf(f, "}),\n        .THRESH({");
    for (int j = k - 1; j >= 0; j--) {
        int64_t th = c->gates[members[j]].thr;
        fprintf(f, "%s%d'sd%lld%s", th < 0 ? "-" : "", SW, (long long)(th < 0 ? -th : th), j ? ", " : "");
    }
    fprintf(f, "})) c%d (\n        .in(", G->group);
    emit_inputs_list(E, first, s, false, f);
    fprintf(f, "),\n        .y(");
    if (k > 1) fprintf(f, "{");
    for (int j = k - 1; j >= 0; j--) fprintf(f, "g%d%s", members[j], j ? ", " : "");
    if (k > 1) fprintf(f, "}");
    fprintf(f, "));\n");
}

/* maj style: a majority of literals and constants per gate */
static bool emit_maj(Emit *E, GateId g) {
    const Circuit *c = E->c;
    Lit *lits = NULL;
    int64_t nl, n1, n0;
    if (!ir_majority(c, g, E->o->maj_max_fanin, &lits, &nl, &n1, &n0)) {
        int64_t total, thr;
        unsigned_form(c, g, &total, &thr);
        fprintf(stderr,
                "tc0c: --gates maj: gate g%d (fan-in %u, weights summing to %lld) needs more than %lld majority "
                "inputs; use --gates thr, or lower p\n",
                g, c->gates[g].n_in, (long long)total, (long long)E->o->maj_max_fanin);
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
    Emit E = {.c = c, .o = o, .f = f};
    int depth = ir_depth(c), K = o->pipeline;
    E.latency = K ? (depth > 0 ? (depth + K - 1) / K : 1) : 0;
    if (latency_out) *latency_out = E.latency;
    E.stage = xcalloc((size_t)c->n_gates, sizeof *E.stage);
    E.delays = xcalloc((size_t)c->n_gates, sizeof *E.delays);
    for (GateId g = 2 + c->n_inputs; g < c->n_gates; g++) E.stage[g] = K ? (c->gates[g].level + K - 1) / K : 0;
    /* used inputs, delays needed */
    uint8_t *used = xcalloc((size_t)c->n_gates, 1);
    for (GateId g = 2 + c->n_inputs; g < c->n_gates; g++) {
        const Term *t = ir_terms(c, g);
        for (uint32_t k = 0; k < c->gates[g].n_in; k++) {
            GateId src = t[k].src;
            used[src] = 1;
            int d = K ? (E.stage[g] - 1) - avail(&E, src) : 0;
            if (d > E.delays[src]) E.delays[src] = d;
        }
    }
    for (int i = 0; i < c->n_outputs; i++) {
        GateId g = c->outputs[i];
        used[g] = 1;
        int d = K ? (E.latency - 1) - avail(&E, g) : 0;
        if (d > E.delays[g]) E.delays[g] = d;
    }
    int NI = c->n_inputs, NO = c->n_outputs;
    int unused_inputs = 0;
    for (int i = 0; i < NI; i++) unused_inputs += !used[2 + i];
    CircuitStats st;
    ir_stats(c, &st);
    static const char *const style_names[] = {"thr", "maj", "cells"};

    fprintf(f, "// %s: generated by tc0c from %s (model %s), inputs of exactly n = %d tokens.\n", module, m->path,
            m->name, cm->n);
    fprintf(f, "// %lld threshold gates, threshold depth %d, %lld edges; gate style %s", (long long)st.gates, depth,
            (long long)st.edges, style_names[o->style]);
    if (K) fprintf(f, "; a register stage every %d levels: latency %d cycle%s", K, E.latency, E.latency > 1 ? "s" : "");
    fprintf(f, ".\n// tokens[i*%d +: %d] is the code of token i (LSB first):", cm->bits_per_token, cm->bits_per_token);
    for (int t = 0; t < m->n_vocab; t++) fprintf(f, " %d='%c'", t, m->vocab[t]);
    if (m->has_bos) fprintf(f, "; BOS '%c' is built in", m->bos);
    if (m->out.kind == OUT_ACCEPT) fprintf(f, ".\n// out[0] = 1: accept.\n");
    else fprintf(f, ".\n// out[i*%d +: %d] is the label index of token i.\n", cm->label_bits, cm->label_bits);
    fprintf(f, "`default_nettype none\n\nmodule %s (\n", module);
    if (K) fprintf(f, "    input  wire clk,\n    input  wire rst,\n    input  wire in_valid,\n");
    if (unused_inputs) {
        fprintf(f, "    // Not every token bit reaches an output (the model ignores %d of them).\n", unused_inputs);
        fprintf(f, "    /* verilator lint_off UNUSEDSIGNAL */\n");
    }
    fprintf(f, "    input  wire [%d:0] tokens,\n", NI > 0 ? NI - 1 : 0);
    if (unused_inputs) fprintf(f, "    /* verilator lint_on UNUSEDSIGNAL */\n");
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
    for (int32_t k = 0; k < c->n_groups; k++) group_first[k] = -1;
    for (GateId g = 2 + NI; g < c->n_gates; g++)
        if (group_first[c->gates[g].group] < 0) group_first[c->gates[g].group] = g;
    GateId *members = xmalloc(sizeof *members * (size_t)(c->n_gates));
    bool ok = true;
    for (GateId g = 2 + NI; g < c->n_gates && ok; g++) {
        if (o->style == GATES_THR) {
            emit_thr(&E, g, group_first);
        } else if (o->style == GATES_MAJ) {
            ok = emit_maj(&E, g);
        } else if (group_first[c->gates[g].group] == g) {
            int k = 0;
            for (GateId h = g; h < c->n_gates; h++)
                if (c->gates[h].group == c->gates[g].group) members[k++] = h;
            emit_cell(&E, g, members, k);
        }
        if (K)
            for (int d = 1; d <= E.delays[g]; d++) {
                fprintf(f, "    reg g%d_d%d;\n", g, d);
                if (d == 1) fprintf(f, "    always @(posedge clk) g%d_d1 <= g%d;\n", g, g);
                else fprintf(f, "    always @(posedge clk) g%d_d%d <= g%d_d%d;\n", g, d, g, d - 1);
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
    free(members);
    free(used);
    free(E.stage);
    free(E.delays);
    if (ok && ferror(f)) {
        fprintf(stderr, "tc0c: error writing the Verilog\n");
        ok = false;
    }
    return ok;
}
