/*
 * bench_binops.c - the primitives over binary codes (compiler/binary.c,
 * docs/lowering.md "Primitives over binary codes") against the thermometer
 * route on the same operands, side by side:
 *
 *   bin      the operands are binary (val_requant_bits: bits, no
 *            thermometer), so lower.c sends the operation to binary.c
 *   thermo   what the code before binary.c's primitives built on the same
 *            binary operands: the operands' thermometers (counted here)
 *            and the thermometer route for table, step, max3 and argmax3;
 *            the thermometer quotient for div.  (ge and product: the same
 *            circuit both ways at these p, so only bin is printed.)
 *
 * Operand i = sat_p(round(x_i / 2^s_i)) of a p-bit input, p = 8, 12, 16.
 * Operations: ge ([x0 >= x1]), product (x0 x1), table (a GELU-like table,
 * a change at almost every value), step (a table with 2 changes), max3 and
 * argmax3 (leftmost maximum of three, index and ties), div (floor(4 x0 /
 * z), z = x1 - pmin, quotient clamped to 8 bits; bin returns it in
 * binary).  For each it prints "binops_pP_OP_WAY_{gates,wires,edges,
 * depth}: value unit" lines (bench/run.sh collects them): the gates, wires
 * and edges the operation adds (with the thermometers for thermo) and its
 * depth over the operands' bits, after checking the result on 256 random
 * inputs against integer arithmetic.
 */
#include "tc0c.h"

#include <stdlib.h>
#include <string.h>

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

enum { B_GE, B_PRODUCT, B_TABLE, B_STEP, B_MAX3, B_ARGMAX3, B_DIV, N_BOPS };
static const char *const op_names[N_BOPS] = {"ge", "product", "table", "step", "max3", "argmax3", "div"};
static const int op_k[N_BOPS] = {2, 2, 1, 1, 3, 3, 2};

static int64_t table_fn(int64_t v, int p) { return sat_p(p, v > 0 ? v : v / 3 - (v % 5 == 0)); }
static int64_t step_fn(int64_t v, int p) { return v < -1 ? -1 : v < 2 ? 0 : pmax(p); }
static int64_t qlo_of(int p) { return pmin(p < 8 ? p : 8); }
static int64_t qhi_of(int p) { return pmax(p < 8 ? p : 8); }

static Val build(Circuit *c, int op, Val *x, int p, bool bin) {
    switch (op) {
    case B_GE: {
        Form f;
        form_init(&f, 0);
        form_add_term(&f, val_ge_val(c, &x[0], &x[1]), 1);
        return val_form_in(c, &f, 0, 1);
    }
    case B_PRODUCT: return val_mul(c, &x[0], &x[1]);
    case B_TABLE:
    case B_STEP: {
        int64_t *t = xmalloc(sizeof *t << p);
        for (int64_t v = pmin(p); v <= pmax(p); v++) t[v - pmin(p)] = op == B_TABLE ? table_fn(v, p) : step_fn(v, p);
        Val y = val_table(c, &x[0], t, p);
        free(t);
        return y;
    }
    case B_MAX3: return val_max(c, x, 3);
    case B_ARGMAX3: {
        GateId flags[3], ties[3];
        Val m = {0};
        if (!val_is_binary(&x[0])) m = val_max(c, x, 3); /* the thermometer route needs the max */
        val_argmax(c, x, 3, &m, flags, ties);
        val_free(&m);
        Form f;
        form_init(&f, 0);
        for (int j = 0; j < 3; j++) {
            form_add_term(&f, flags[j], j);
            form_add_term(&f, ties[j], 4 << j);
        }
        return val_form_in(c, &f, 0, 30);
    }
    default: {
        Val n = val_lin(&x[0], 4, NULL, 0, 0), z = val_lin(&x[1], 1, NULL, 0, -pmin(p));
        Val q = bin ? val_div_bits(c, &n, &z, qlo_of(p), qhi_of(p)) : val_div(c, &n, &z, qlo_of(p), qhi_of(p));
        val_free(&n);
        val_free(&z);
        return q;
    }
    }
}

/* the reference; false outside the domain (z = 0 with n != 0) */
static bool ref(int op, const int64_t *y, int p, int64_t *out) {
    switch (op) {
    case B_GE: *out = y[0] >= y[1]; return true;
    case B_PRODUCT: *out = y[0] * y[1]; return true;
    case B_TABLE: *out = table_fn(y[0], p); return true;
    case B_STEP: *out = step_fn(y[0], p); return true;
    case B_MAX3: *out = max64(y[0], max64(y[1], y[2])); return true;
    case B_ARGMAX3: {
        int best = 0;
        for (int j = 1; j < 3; j++)
            if (y[j] > y[best]) best = j;
        *out = best;
        for (int j = 0; j < 3; j++) *out += (y[j] == y[best]) * (4 << j);
        return true;
    }
    default: {
        int64_t n = 4 * y[0], z = y[1] - pmin(p);
        if (z == 0 && n != 0) return false;
        *out = z ? min64(max64(floor_div(n, z), qlo_of(p)), qhi_of(p)) : 0;
        return true;
    }
    }
}

static void measure(int op, int p, bool bin, CircuitStats *d, int *depth) {
    int k = op_k[op];
    static const int shift[3] = {0, 1, 0};
    Circuit *c = ir_new(k * p);
    Val x[3];
    int base = 0;
    for (int i = 0; i < k; i++) {
        GateId bits[16];
        for (int b = 0; b < p; b++) bits[b] = ir_input(i * p + b);
        Val t = val_from_twos(bits, p);
        if (!val_requant_bits(c, &t, NULL, op == B_MAX3 || op == B_DIV ? 0 : shift[i], p, &x[i])) {
            fprintf(stderr, "bench_binops: no binary operand\n");
            exit(1);
        }
        val_free(&t);
        for (int b = 0; b < x[i].nbits; b++) base = max64(base, c->gates[x[i].bits[b]].level);
    }
    CircuitStats s0, s1;
    ir_stats(c, &s0);
    if (!bin && op != B_DIV)
        for (int i = 0; i < k; i++) val_thermo(c, &x[i]);
    Val r = build(c, op, x, p, bin);
    ir_stats(c, &s1);
    d->gates = s1.gates - s0.gates;
    d->wires = s1.wires - s0.wires;
    d->edges = s1.edges - s0.edges;
    *depth = 0;
    for (int i = 0; i < r.form.n; i++) *depth = max64(*depth, c->gates[r.form.t[i].src].level - base);
    /* read the result through its flattened form, on 256 random inputs */
    Form rd;
    if (!ir_form_flatten(c, &r.form, INT64_MAX, &rd)) {
        fprintf(stderr, "bench_binops: the result's form does not flatten\n");
        exit(1);
    }
    for (int i = 0; i < rd.n; i++) ir_add_output(c, rd.t[i].src);
    Evaluator *e = eval_new(c);
    uint64_t in[48], *out = xcalloc((size_t)c->n_outputs + 1, sizeof *out);
    for (int round = 0; round < 4; round++) {
        int64_t ys[64][3];
        memset(in, 0, sizeof in);
        for (int l = 0; l < 64; l++)
            for (int i = 0; i < k; i++) {
                uint64_t u = rng_next(&rng_state) & (((uint64_t)1 << p) - 1);
                int64_t v = (int64_t)u - ((u >> (p - 1)) ? ((int64_t)1 << p) : 0);
                ys[l][i] = requant(p, v, op == B_MAX3 || op == B_DIV ? 0 : shift[i]);
                for (int b = 0; b < p; b++) in[i * p + b] |= ((u >> b) & 1) << l;
            }
        eval_run(e, in, out);
        for (int l = 0; l < 64; l++) {
            int64_t want, got = rd.c;
            if (!ref(op, ys[l], p, &want)) continue;
            for (int i = 0; i < rd.n; i++) got += rd.t[i].w * (int64_t)((out[i] >> l) & 1);
            if (got != want) {
                fprintf(stderr, "bench_binops: %s p=%d %s: %lld, want %lld\n", op_names[op], p, bin ? "bin" : "thermo",
                        (long long)got, (long long)want);
                exit(1);
            }
        }
    }
    free(out);
    eval_free(e);
    form_free(&rd);
    val_free(&r);
    for (int i = 0; i < k; i++) val_free(&x[i]);
    ir_free(c);
}

int main(void) {
    static const int ps[] = {8, 12, 16};
    printf("%-4s %-8s %-7s %10s %10s %12s %6s\n", "p", "op", "way", "gates", "wires", "edges", "depth");
    for (int a = 0; a < 3; a++)
        for (int op = 0; op < N_BOPS; op++)
            for (int way = 0; way < (op == B_GE || op == B_PRODUCT ? 1 : 2); way++) {
                int p = ps[a], depth;
                CircuitStats d;
                measure(op, p, way == 0, &d, &depth);
                const char *wn = way == 0 ? "bin" : "thermo";
                printf("%-4d %-8s %-7s %10lld %10lld %12lld %6d\n", p, op_names[op], wn, (long long)d.gates,
                       (long long)d.wires, (long long)d.edges, depth);
                const char *key[4] = {"gates", "wires", "edges", "depth"};
                int64_t val[4] = {d.gates, d.wires, d.edges, depth};
                for (int q = 0; q < 4; q++)
                    printf("binops_p%d_%s_%s_%s: %lld %s\n", p, op_names[op], wn, key[q], (long long)val[q],
                           q == 3 ? "levels" : key[q]);
            }
    return 0;
}
