/*
 * stats.c - what a compiled circuit costs: gates, threshold depth, edges,
 * fan-in, weight bits, sum groups, estimated LUTs (lutcost.c), per layer and
 * per operation; as text
 * (`tc0c stats`) and as the JSON written next to the netlist.
 */
#include "tc0c.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int64_t gates, edges, wires;
    int32_t min_level, max_level;
} Part;

/* Per-layer parts: index 0 is the embedding and the output head (layer -1),
 * index l+1 layer l. */
static Part *layer_parts(const Model *m, const Circuit *c) {
    Part *p = xcalloc((size_t)m->n_layers + 1, sizeof *p);
    for (int l = 0; l <= m->n_layers; l++) p[l].min_level = INT32_MAX;
    int64_t *flat = ir_flat_fanin(c);
    for (GateId g = 2 + c->n_inputs; g < c->n_gates; g++) {
        const Gate *G = &c->gates[g];
        Part *q = &p[origin_layer(G->origin) + 1];
        q->wires += G->n_in;
        if (G->kind == G_SUM) continue;
        q->gates++;
        q->edges = min64(q->edges + flat[g], INT64_MAX / 4);
        if (G->level < q->min_level) q->min_level = G->level;
        if (G->level > q->max_level) q->max_level = G->level;
    }
    free(flat);
    return p;
}

/* The paper's bound 3 + (9 + 2 d_add) d for d layers; d_add, the depth of
 * iterated addition, is taken as 1 (one threshold gate sums n numbers of
 * O(log n) bits when the weights may be polynomial, as here). */
static int paper_bound(int layers) { return 3 + (9 + 2 * 1) * layers; }

void stats_lut_costs(Compiled *cm) {
    lut_cost(cm->c, 4, &cm->lut[0]);
    lut_cost(cm->c, 6, &cm->lut[1]);
    cm->lut_known = true;
}

/* The LUT4 and LUT6 estimates: cm's, or computed here. */
static void lut_costs(const Compiled *cm, LutCost out[2]) {
    if (cm->lut_known) {
        out[0] = cm->lut[0];
        out[1] = cm->lut[1];
        return;
    }
    lut_cost(cm->c, 4, &out[0]);
    lut_cost(cm->c, 6, &out[1]);
}

cJSON *stats_json(const Model *m, const Compiled *cm) {
    CircuitStats s;
    ir_stats(cm->c, &s);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "model", m->name);
    cJSON_AddNumberToObject(j, "n", cm->n);
    cJSON_AddNumberToObject(j, "p", m->p);
    cJSON_AddNumberToObject(j, "layers", m->n_layers);
    cJSON_AddNumberToObject(j, "gates", (double)s.gates);
    cJSON_AddNumberToObject(j, "bit_taps", (double)s.taps); /* among the gates (docs/lowering.md "Bit taps") */
    cJSON_AddNumberToObject(j, "depth", s.depth);
    cJSON_AddNumberToObject(j, "inputs", (double)s.inputs);
    cJSON_AddNumberToObject(j, "outputs", (double)s.outputs);
    cJSON_AddNumberToObject(j, "wires", (double)s.wires);
    cJSON_AddNumberToObject(j, "sum_nodes", (double)s.sums);
    cJSON_AddNumberToObject(j, "edges", (double)s.edges);
    cJSON_AddNumberToObject(j, "netlist_bytes", (double)s.bytes);
    cJSON_AddNumberToObject(j, "max_fanin", (double)s.max_fanin);
    cJSON_AddNumberToObject(j, "max_weight_bits", s.max_weight_bits);
    cJSON_AddNumberToObject(j, "sum_groups", s.groups);
    cJSON_AddNumberToObject(j, "estimate", (double)cm->estimate);
    cJSON_AddNumberToObject(j, "estimate_wires", (double)cm->est.wires);
    cJSON_AddNumberToObject(j, "estimate_bytes", (double)cm->est.bytes);
    cJSON_AddNumberToObject(j, "bits_per_token", cm->bits_per_token);
    cJSON_AddNumberToObject(j, "paper_depth_bound", paper_bound(m->n_layers));
    LutCost lc[2];
    lut_costs(cm, lc);
    for (int i = 0; i < 2; i++) { /* lut4_estimate, lut6_estimate */
        char key[32];
        snprintf(key, sizeof key, "lut%d_estimate", lc[i].k);
        cJSON *o = cJSON_AddObjectToObject(j, key);
        cJSON_AddNumberToObject(o, "luts", (double)lc[i].luts);
        cJSON_AddNumberToObject(o, "depth", lc[i].depth);
    }
    for (int r = 0; r < REPR__COUNT; r++) { /* repr_form, repr_thermo, repr_binary */
        char key[32];
        snprintf(key, sizeof key, "repr_%s", repr_name[r]);
        cJSON_AddNumberToObject(j, key, (double)cm->repr[r]);
    }
    cJSON *ops = cJSON_AddObjectToObject(j, "by_op");
    for (int op = 0; op < OP__COUNT; op++) {
        if (!s.by_op[op] && !s.wires_by_op[op]) continue;
        cJSON *o = cJSON_AddObjectToObject(ops, op_name((Op)op));
        cJSON_AddNumberToObject(o, "gates", (double)s.by_op[op]);
        cJSON_AddNumberToObject(o, "edges", (double)s.edges_by_op[op]);
        cJSON_AddNumberToObject(o, "wires", (double)s.wires_by_op[op]);
        cJSON_AddNumberToObject(o, "lut4_estimate", (double)lc[0].luts_by_op[op]);
    }
    Part *parts = layer_parts(m, cm->c);
    cJSON *layers = cJSON_AddArrayToObject(j, "by_layer");
    for (int l = 0; l <= m->n_layers; l++) {
        cJSON *o = cJSON_CreateObject();
        if (l == 0) cJSON_AddStringToObject(o, "layer", "embed+output");
        else cJSON_AddNumberToObject(o, "layer", l - 1);
        cJSON_AddNumberToObject(o, "gates", (double)parts[l].gates);
        cJSON_AddNumberToObject(o, "edges", (double)parts[l].edges);
        cJSON_AddNumberToObject(o, "wires", (double)parts[l].wires);
        cJSON_AddNumberToObject(o, "first_level", parts[l].gates ? parts[l].min_level : 0);
        cJSON_AddNumberToObject(o, "last_level", parts[l].gates ? parts[l].max_level : 0);
        cJSON_AddItemToArray(layers, o);
    }
    free(parts);
    return j;
}

void stats_print(const Model *m, const Compiled *cm, FILE *f) {
    CircuitStats s;
    ir_stats(cm->c, &s);
    fprintf(f, "%s n=%d: %lld gates", m->name, cm->n, (long long)s.gates);
    if (s.taps) fprintf(f, " (%lld of them bit taps)", (long long)s.taps);
    fprintf(f, ", depth %d (paper bound %d), %lld inputs, %lld outputs\n", s.depth, paper_bound(m->n_layers),
            (long long)s.inputs, (long long)s.outputs);
    fprintf(f, "  edges %lld, max fan-in %lld, max weight %d bits, %d distinct sums, estimate was %lld\n",
            (long long)s.edges, (long long)s.max_fanin, s.max_weight_bits, s.groups, (long long)cm->estimate);
    fprintf(f, "  wires %lld (%lld sum nodes), netlist %lld bytes; estimate was %lld wires, %lld bytes\n",
            (long long)s.wires, (long long)s.sums, (long long)s.bytes, (long long)cm->est.wires,
            (long long)cm->est.bytes);
    LutCost lc[2];
    lut_costs(cm, lc);
    fprintf(f, "  LUT estimate (docs/lowering.md): %lld LUT4s at LUT depth %d, %lld LUT6s at depth %d\n",
            (long long)lc[0].luts, lc[0].depth, (long long)lc[1].luts, lc[1].depth);
    fprintf(f, "  requantized values: %lld forms, %lld thermometers, %lld binary (represent.c)\n",
            (long long)cm->repr[REPR_FORM], (long long)cm->repr[REPR_THERMO], (long long)cm->repr[REPR_BINARY]);
    fprintf(f, "  by operation:\n");
    for (int op = 0; op < OP__COUNT; op++)
        if (s.by_op[op] || s.wires_by_op[op])
            fprintf(f, "    %-11s %10lld gates %12lld edges %12lld wires %12lld LUT4s (estimate)\n", op_name((Op)op),
                    (long long)s.by_op[op], (long long)s.edges_by_op[op], (long long)s.wires_by_op[op],
                    (long long)lc[0].luts_by_op[op]);
    Part *parts = layer_parts(m, cm->c);
    fprintf(f, "  by layer:\n");
    for (int l = 0; l <= m->n_layers; l++) {
        if (l == 0) fprintf(f, "    embed+output");
        else fprintf(f, "    layer %-6d", l - 1);
        fprintf(f, " %10lld gates %12lld edges %12lld wires  levels %d..%d\n", (long long)parts[l].gates,
                (long long)parts[l].edges, (long long)parts[l].wires, parts[l].gates ? parts[l].min_level : 0,
                parts[l].gates ? parts[l].max_level : 0);
    }
    free(parts);
}

bool write_text_file(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    if (!f) {
        fprintf(stderr, "tc0c: cannot write %s: %s\n", path, strerror(errno));
        return false;
    }
    size_t len = strlen(text);
    bool ok = fwrite(text, 1, len, f) == len;
    ok &= fclose(f) == 0;
    if (!ok) fprintf(stderr, "tc0c: error writing %s\n", path);
    return ok;
}
