/*
 * test_ir.c - the netlist IR (ir.c): linear forms; ir_thr's normal form
 * (constant folding, gcd, [x >= 1] = x, merged terms, structural hashing,
 * levels); sum groups; ir_sweep against a naive evaluation before and
 * after; ir_check on good netlists and on hand-broken ones; ir_stats and
 * ir_dump on a small known circuit; the --max-gates guard; ir_majority,
 * exhaustively on random small gates.
 */
#include "check.h"
#include "tc0c.h"

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static uint64_t rng_state = 0x2545f4914f6cdd1dull;

static uint64_t rnd64(void) { return rng_next(&rng_state); } /* verify.c's xorshift64* */

static int64_t rnd(int64_t n) { return (int64_t)(rnd64() % (uint64_t)n); } /* [0, n) */

/* A form from (gate, weight) pairs, constant c. */
static Form form_of(int64_t c, int n, const GateId *g, const int64_t *w) {
    Form f;
    form_init(&f, c);
    for (int i = 0; i < n; i++) form_add_term(&f, g[i], w[i]);
    return f;
}

/* [sum w_i g_i + c >= t] */
static GateId thr_of(Circuit *c, int64_t k, int n, const GateId *g, const int64_t *w, int64_t t) {
    Form f = form_of(k, n, g, w);
    GateId r = ir_thr(c, &f, t);
    form_free(&f);
    return r;
}

#define THR(c, k, t, ...)                                                                                              \
    thr_of(c, k, (int)(sizeof((GateId[]){__VA_ARGS__}) / sizeof(GateId)), (GateId[]){__VA_ARGS__}, W_, t)

/* Every gate's value on one input assignment (bit i of x: input i). */
static void eval_all(const Circuit *c, uint64_t x, int64_t *v) {
    v[GATE_CONST0] = 0;
    v[GATE_CONST1] = 1;
    for (int i = 0; i < c->n_inputs; i++) v[2 + i] = (x >> (i % 64)) & 1;
    for (GateId g = 2 + c->n_inputs; g < c->n_gates; g++) {
        const Term *t = ir_terms(c, g);
        int64_t s = 0;
        for (uint32_t k = 0; k < c->gates[g].n_in; k++) s += v[t[k].src] * t[k].w;
        const Gate *G = &c->gates[g];
        if (G->kind == G_BIT) v[g] = floor_div(s + G->thr, (int64_t)1 << G->bit) & 1; /* bit of the two's complement */
        else v[g] = G->kind == G_SUM ? s : s >= G->thr; /* a sum node's value is its sum */
    }
}

static int gate_value(const Circuit *c, GateId g, uint64_t x) {
    int64_t *v = xcalloc((size_t)c->n_gates, sizeof *v);
    eval_all(c, x, v);
    int r = v[g];
    free(v);
    return r;
}

static bool has(const char *msg, const char *sub) { return msg && strstr(msg, sub); }

static bool equal_terms(const Circuit *c, GateId a, GateId b) {
    if (c->gates[a].kind != G_THR || c->gates[b].kind != G_THR || c->gates[a].n_in != c->gates[b].n_in) return false;
    for (uint32_t k = 0; k < c->gates[a].n_in; k++)
        if (ir_terms(c, a)[k].src != ir_terms(c, b)[k].src || ir_terms(c, a)[k].w != ir_terms(c, b)[k].w) return false;
    return true;
}

/* Threshold gates equal to an older gate: structural hashing allows none.
 * (ir.c once compared Terms with memcmp, padding bytes included, and made
 * copies of existing gates and sum groups.) */
static int32_t copies(const Circuit *c) {
    int32_t n = 0;
    for (GateId g = 2 + c->n_inputs; g < c->n_gates; g++)
        for (GateId h = 2 + c->n_inputs; h < g; h++)
            if (c->gates[g].thr == c->gates[h].thr && equal_terms(c, g, h)) {
                n++;
                break;
            }
    return n;
}

/* Distinct sum groups by terms (c->n_groups without the bug). */
static int32_t distinct_groups(const Circuit *c) {
    int32_t n = 0;
    for (GateId g = 2 + c->n_inputs; g < c->n_gates; g++) {
        bool seen = false;
        for (GateId h = 2 + c->n_inputs; h < g && !seen; h++) seen = equal_terms(c, g, h);
        n += !seen;
    }
    return n;
}

/* ---- linear forms ---- */

static void test_forms(void) {
    Form f, g;
    form_init(&f, 3);
    form_add_term(&f, 7, 2);
    form_add_term(&f, 5, -1);
    form_add_term(&f, 7, -2); /* cancels */
    form_add_term(&f, GATE_CONST1, 4);
    form_add_term(&f, GATE_CONST0, 9);
    form_add_term(&f, 6, 0);
    form_add_term(&f, 5, 3);
    CHECK(f.c == 7, "constant-1 terms fold into c: %lld", (long long)f.c);
    form_canon(&f);
    CHECK(f.n == 1 && f.t[0].src == 5 && f.t[0].w == 2, "canon: n %d", f.n);
    form_add_term(&f, 9, -4);
    form_add_term(&f, 3, 1);
    int64_t lo, hi;
    form_bounds(&f, &lo, &hi);
    CHECK(lo == 3 && hi == 10, "bounds of 7 + 2 g5 - 4 g9 + g3: [%lld, %lld]", (long long)lo, (long long)hi);
    form_copy(&g, &f);
    form_add(&g, &f, -2); /* g = -f */
    form_canon(&g);
    CHECK(g.n == 3 && g.c == -7 && g.t[0].src == 3 && g.t[0].w == -1 && g.t[2].w == 4, "f - 2f: n %d c %lld", g.n,
          (long long)g.c);
    form_add(&g, &f, 1);
    form_canon(&g);
    CHECK(g.n == 0 && g.c == 0, "-f + f: n %d c %lld", g.n, (long long)g.c);
    form_free(&g);
    form_free(&f);
    CHECK(f.n == 0 && f.t == NULL, "form_free resets");
}

/* ---- ir_thr: normal form ---- */

static void test_normal_form(void) {
    Circuit *c = ir_new(4);
    GateId x = ir_input(0), y = ir_input(1), z = ir_input(2), u = ir_input(3);
    int32_t n0 = c->n_gates;
    CHECK(n0 == 6 && c->gates[0].kind == G_CONST && c->gates[5].kind == G_INPUT, "ir_new: %d gates", n0);

    /* constant folding: threshold <= min is 1, > max is 0 */
    int64_t *W_ = (int64_t[]){1, 1};
    CHECK(THR(c, 0, 0, x, y) == GATE_CONST1, "[x + y >= 0] is 1");
    CHECK(THR(c, 0, -5, x, y) == GATE_CONST1, "[x + y >= -5] is 1");
    CHECK(THR(c, 0, 3, x, y) == GATE_CONST0, "[x + y >= 3] is 0");
    CHECK(THR(c, 1, 1, x, y) == GATE_CONST1 && THR(c, 1, 4, x, y) == GATE_CONST0 && THR(c, -1, 1, x, y) != GATE_CONST0,
          "a constant in the form shifts the range");
    W_ = (int64_t[]){1, -1};
    CHECK(THR(c, 0, -1, x, y) == GATE_CONST1, "[x - y >= -1] is 1");
    CHECK(THR(c, 0, 2, x, y) == GATE_CONST0, "[x - y >= 2] is 0");
    W_ = (int64_t[]){0, 0};
    CHECK(THR(c, 0, 0, x, y) == GATE_CONST1 && THR(c, 0, 1, x, y) == GATE_CONST0, "empty form");
    CHECK(c->n_gates == n0 + 1, "constants make no gates: %d", c->n_gates); /* one from x + y - 1 >= 1 */

    /* [x >= 1] is x, also after the gcd and for threshold gates */
    W_ = (int64_t[]){1};
    CHECK(THR(c, 0, 1, x) == x, "[x >= 1] is x");
    W_ = (int64_t[]){3};
    CHECK(THR(c, 0, 2, x) == x && THR(c, 0, 3, x) == x, "[3x >= 2] and [3x >= 3] are x");
    W_ = (int64_t[]){1, 1, -1};
    CHECK(THR(c, 0, 1, y, x, y) == x, "[y + x - y >= 1] is x");
    GateId a = ir_and(c, x, y);
    W_ = (int64_t[]){1};
    CHECK(THR(c, 0, 1, a) == a, "[g >= 1] is g");
    CHECK(c->n_gates == n0 + 1, "one gate so far: %d", c->n_gates);

    /* gcd: [2x + 2y >= 3] = [x + y >= 2] = ir_and */
    W_ = (int64_t[]){2, 2};
    CHECK(THR(c, 0, 3, x, y) == a, "[2x + 2y >= 3] is [x + y >= 2]");
    W_ = (int64_t[]){-6, -6};
    GateId nor = THR(c, 0, -5, x, y); /* [-x - y >= -5/6] = [-x - y >= 0] */
    CHECK(c->gates[nor].thr == 0 && ir_terms(c, nor)[0].w == -1 && ir_terms(c, nor)[1].w == -1,
          "[-6x - 6y >= -5] is [-x - y >= 0]: thr %lld", (long long)c->gates[nor].thr);
    W_ = (int64_t[]){4, -6, 2};
    GateId g = THR(c, 0, 1, x, y, z);
    const Term *t = ir_terms(c, g);
    CHECK(c->gates[g].n_in == 3 && t[0].w == 2 && t[1].w == -3 && t[2].w == 1 && c->gates[g].thr == 1,
          "[4x - 6y + 2z >= 1] is [2x - 3y + z >= 1]");
    W_ = (int64_t[]){4, -6, 2};
    CHECK(THR(c, 0, 2, x, y, z) == g, "[4x - 6y + 2z >= 2] is the same gate");
    W_ = (int64_t[]){2, -2};
    GateId d = THR(c, 0, -1, x, y);
    CHECK(c->gates[d].thr == 0, "[2x - 2y >= -1] rounds -1/2 up to 0: %lld", (long long)c->gates[d].thr);

    /* merged and sorted terms */
    W_ = (int64_t[]){1, 1, 1, 1};
    GateId m = THR(c, 0, 3, z, x, y, x);
    t = ir_terms(c, m);
    CHECK(c->gates[m].n_in == 3 && t[0].src == x && t[0].w == 2 && t[1].src == y && t[2].src == z,
          "[z + x + y + x >= 3]: merged and sorted");
    W_ = (int64_t[]){1, 2, 1};
    CHECK(THR(c, 0, 3, y, x, z) == m, "the same gate from another order");
    W_ = (int64_t[]){1, 1, 1, -1};
    GateId cancel = THR(c, 0, 2, x, y, u, u);
    CHECK(cancel == a, "cancelled terms disappear: [x + y + u - u >= 2] is AND");
    Form f;
    form_init(&f, 0);
    form_add_term(&f, x, 1);
    form_add_term(&f, GATE_CONST1, 1);
    form_add_term(&f, y, 1);
    CHECK(ir_thr(c, &f, 3) == a, "[x + 1 + y >= 3] is AND");
    form_free(&f);

    /* hashing: the same gate is one gate */
    int32_t before = c->n_gates;
    GateId o1 = ir_or(c, x, y), n1 = ir_not(c, z);
    CHECK(ir_and(c, y, x) == a && ir_or(c, y, x) == o1 && ir_not(c, z) == n1, "ir_and / ir_or / ir_not hash");
    CHECK(c->n_gates == before + 2, "OR and NOT added once: %d -> %d", before, c->n_gates);
    CHECK(copies(c) == 0, "%d copies of existing gates", copies(c));

    /* levels */
    GateId o = ir_or(c, x, y), l2 = ir_and(c, a, z), l3 = ir_or(c, l2, o);
    W_ = (int64_t[]){1, 1, 1};
    GateId l4 = THR(c, 0, 2, l3, x, a);
    CHECK(c->gates[x].level == 0 && c->gates[a].level == 1 && c->gates[o].level == 1 && c->gates[l2].level == 2 &&
              c->gates[l3].level == 3 && c->gates[l4].level == 4,
          "levels: %d %d %d %d", c->gates[a].level, c->gates[l2].level, c->gates[l3].level, c->gates[l4].level);
    ir_add_output(c, l2);
    CHECK(ir_depth(c) == 2, "depth %d", ir_depth(c));
    ir_add_output(c, l4);
    CHECK(ir_depth(c) == 4, "depth %d", ir_depth(c));

    /* semantics of the helpers, exhaustively */
    GateId n = ir_not(c, x), o2 = ir_or(c, x, y);
    for (uint64_t v = 0; v < 4; v++) {
        int vx = v & 1, vy = (v >> 1) & 1;
        CHECK(gate_value(c, a, v) == (vx & vy) && gate_value(c, o2, v) == (vx | vy) && gate_value(c, n, v) == !vx,
              "AND/OR/NOT on %d %d", vx, vy);
    }
    CHECK(ir_check(c) == NULL, "ir_check: %s", ir_check(c));
    ir_free(c);
}

/* Inverters [-x >= 0] are read as 1 - x: they add no level. */
static void test_inverters(void) {
    Circuit *c = ir_new(3);
    GateId x = ir_input(0), y = ir_input(1), z = ir_input(2);
    GateId nx = ir_not(c, x), ny = ir_not(c, y);
    CHECK(c->gates[nx].n_in == 1 && ir_terms(c, nx)[0].w == -1 && c->gates[nx].thr == 0 && c->gates[nx].level == 1,
          "NOT x is [-x >= 0]");
    CHECK(ir_not(c, nx) == x, "NOT NOT x is x");
    GateId a = ir_and(c, nx, y);
    const Term *t = ir_terms(c, a);
    CHECK(c->gates[a].level == 1 && c->gates[a].n_in == 2 && t[0].src == x && t[0].w == -1 && t[1].src == y &&
              t[1].w == 1 && c->gates[a].thr == 1,
          "NOT x AND y is [-x + y >= 1], level 1 (level %d)", c->gates[a].level);
    GateId nor = ir_and(c, nx, ny);
    CHECK(c->gates[nor].level == 1 && c->gates[nor].thr == 0 && c->gates[nor].n_in == 2,
          "NOT x AND NOT y: [-x - y >= 0]");
    GateId o = ir_or(c, ir_not(c, a), z); /* NOT a is an inverter over a level-1 gate */
    CHECK(c->gates[o].level == 2, "reads a's inverter as 1 - a: level %d", c->gates[o].level);
    Form f;
    form_init(&f, 0);
    form_add_term(&f, nx, 2);
    form_add_term(&f, z, 1);
    form_add_term(&f, nx, 1);
    ir_form_prepare(c, &f);
    CHECK(f.c == 3 && f.n == 2 && f.t[0].src == x && f.t[0].w == -3 && f.t[1].src == z && f.t[1].w == 1,
          "ir_form_prepare: 3 NOT x + z = 3 - 3x + z: c %lld n %d", (long long)f.c, f.n);
    form_free(&f);
    for (uint64_t v = 0; v < 8; v++) {
        int vx = v & 1, vy = (v >> 1) & 1, vz = (v >> 2) & 1;
        CHECK(gate_value(c, a, v) == (!vx && vy) && gate_value(c, nor, v) == (!vx && !vy) &&
                  gate_value(c, o, v) == (!(!vx && vy) || vz) && gate_value(c, nx, v) == !vx,
              "inverter gates on %d %d %d", vx, vy, vz);
    }
    CHECK(ir_check(c) == NULL, "%s", ir_check(c));
    ir_free(c);
}

/* form_combine: a f + b g by merging canonical forms. */
static void test_combine(void) {
    for (int round = 0; round < 200; round++) {
        Form f, g, want, got;
        form_init(&f, rnd(9) - 4);
        form_init(&g, rnd(9) - 4);
        for (int k = (int)rnd(8); k > 0; k--) form_add_term(&f, 2 + (GateId)rnd(10), rnd(7) - 3);
        for (int k = (int)rnd(8); k > 0; k--) form_add_term(&g, 2 + (GateId)rnd(10), rnd(7) - 3);
        form_canon(&f);
        form_canon(&g);
        int64_t a = rnd(7) - 3, b = rnd(7) - 3;
        form_init(&want, 0);
        form_add(&want, &f, a);
        form_add(&want, &g, b);
        form_canon(&want);
        form_combine(&got, &f, a, &g, b);
        bool same = got.c == want.c && got.n == want.n;
        for (int k = 0; same && k < got.n; k++) same = got.t[k].src == want.t[k].src && got.t[k].w == want.t[k].w;
        CHECK(same, "round %d: %lld f + %lld g", round, (long long)a, (long long)b);
        form_free(&f);
        form_free(&g);
        form_free(&want);
        form_free(&got);
    }
}

/* Random gates: every gate ir_thr makes is in normal form, and the gate
 * (or the constant or input it returns) computes the form's function. */
static void test_normal_form_random(void) {
    for (int round = 0; round < 300; round++) {
        int n_in = 1 + (int)rnd(5);
        Circuit *c = ir_new(n_in);
        Form f;
        form_init(&f, rnd(5) - 2);
        int n = 1 + (int)rnd(6);
        for (int k = 0; k < n; k++) form_add_term(&f, ir_input((int)rnd(n_in)), (rnd(7) - 3) * (1 + rnd(3)));
        int64_t lo, hi;
        form_bounds(&f, &lo, &hi);
        int64_t t = lo - 1 + rnd(hi - lo + 3);
        GateId g = ir_thr(c, &f, t);
        if (g >= 2 + n_in) {
            const Gate *G = &c->gates[g];
            const Term *tm = ir_terms(c, g);
            int64_t gcd = 0, mn = 0, mx = 0;
            bool sorted = true;
            for (uint32_t k = 0; k < G->n_in; k++) {
                int64_t w = tm[k].w < 0 ? -tm[k].w : tm[k].w, a = gcd;
                while (w) {
                    int64_t r = a % w;
                    a = w;
                    w = r;
                }
                gcd = a;
                const Gate *S = &c->gates[tm[k].src]; /* a gate [0, 1] or a sum node */
                mn += tm[k].w < 0 ? tm[k].w * S->hi : tm[k].w * S->lo;
                mx += tm[k].w < 0 ? tm[k].w * S->lo : tm[k].w * S->hi;
                if (k && tm[k - 1].src >= tm[k].src) sorted = false;
                if (tm[k].w == 0 || tm[k].src < 2) sorted = false;
            }
            bool one_gate = G->n_in == 1 && tm[0].w == 1 && G->thr == 1 && !ir_is_sum(c, tm[0].src);
            CHECK(gcd == 1 && sorted && G->thr > mn && G->thr <= mx && !one_gate && G->n_in < IR_SUM_MIN_TERMS,
                  "round %d: gate not in normal form", round);
        }
        for (uint64_t v = 0; v < (1u << n_in); v++) {
            int64_t s = f.c;
            for (int k = 0; k < f.n; k++) s += ((v >> (f.t[k].src - 2)) & 1) ? f.t[k].w : 0;
            CHECK(gate_value(c, g, v) == (s >= t), "round %d, inputs %llx: gate %d", round, (unsigned long long)v, g);
        }
        CHECK(ir_check(c) == NULL, "round %d: %s", round, ir_check(c));
        form_free(&f);
        ir_free(c);
    }
}

/* ---- sum groups ---- */

static void test_groups(void) {
    Circuit *c = ir_new(3);
    GateId x = ir_input(0), y = ir_input(1), z = ir_input(2);
    int64_t *W_ = (int64_t[]){1, 2, 3};
    GateId t[6];
    for (int k = 0; k < 5; k++) t[k] = THR(c, 0, k + 1, x, y, z);
    W_ = (int64_t[]){2, 4, 6};
    t[5] = THR(c, 0, 11, x, y, z); /* = [x + 2y + 3z >= 6] after the gcd */
    for (int k = 1; k < 6; k++) CHECK(c->gates[t[k]].group == c->gates[t[0]].group, "thermometer gate %d: group", k);
    CHECK(t[5] != t[4] && c->gates[t[5]].thr == 6, "[2x + 4y + 6z >= 11]: thr %lld", (long long)c->gates[t[5]].thr);
    W_ = (int64_t[]){1, 2, -3};
    GateId o = THR(c, 0, 1, x, y, z);
    W_ = (int64_t[]){1, 2};
    GateId p = THR(c, 0, 2, x, y);
    CHECK(c->gates[o].group != c->gates[t[0]].group && c->gates[p].group != c->gates[t[0]].group &&
              c->gates[o].group != c->gates[p].group,
          "other terms, other groups");
    CHECK(distinct_groups(c) == 3 && c->n_groups == 3, "n_groups %d", c->n_groups);
    CircuitStats s;
    ir_stats(c, &s);
    CHECK(s.groups == c->n_groups && s.gates == 8, "stats: %d groups, %lld gates", s.groups, (long long)s.gates);
    /* many groups: the group table grows with the gates */
    for (int k = 0; k < 3000; k++) {
        W_ = (int64_t[]){1 + k, 2, 5};
        GateId a = THR(c, 0, 2, x, y, z), b = THR(c, 0, 3, x, y, z);
        CHECK(a != b && c->gates[a].group == c->gates[b].group, "group %d", k);
        if (a == b || c->gates[a].group != c->gates[b].group) break;
    }
    CHECK(ir_check(c) == NULL, "%s", ir_check(c));
    ir_free(c);
}

/* ---- ir_sweep ---- */

/* About n_gates random gates (fewer when ir_thr keeps finding the same). */
static Circuit *random_circuit(int n_inputs, int n_gates, int n_outputs) {
    Circuit *c = ir_new(n_inputs);
    for (int tries = 0; tries < 4 * n_gates && c->n_gates < 2 + n_inputs + n_gates; tries++) {
        Form f;
        form_init(&f, 0);
        int n = 1 + (int)rnd(6);
        for (int k = 0; k < n; k++)
            form_add_term(&f, 2 + (GateId)rnd(c->n_gates - 2), (rnd(2) ? 1 : -1) * (1 + rnd(3)));
        int64_t lo, hi;
        ir_form_bounds(c, &f, &lo, &hi); /* sources may be sum nodes */
        ir_thr(c, &f, lo + 1 + rnd(hi - lo > 0 ? hi - lo : 1));
        form_free(&f);
    }
    for (int k = 0; k < n_outputs; k++) {
        GateId g;
        do g = (GateId)rnd(c->n_gates);
        while (ir_is_sum(c, g)); /* outputs are 0/1 gates */
        ir_add_output(c, g);
    }
    return c;
}

static void test_sweep(void) {
    for (int round = 0; round < 30; round++) {
        int n_inputs = 2 + (int)rnd(12);
        Circuit *c = random_circuit(n_inputs, 20 + (int)rnd(200), 1 + (int)rnd(6));
        if (round == 0) ir_add_output(c, GATE_CONST1);
        int n_out = c->n_outputs;
        enum { SAMPLES = 64 };
        uint64_t xs[SAMPLES];
        uint8_t *before = xmalloc((size_t)SAMPLES * (size_t)n_out);
        int64_t *v = xmalloc(sizeof *v * (size_t)c->n_gates);
        for (int s = 0; s < SAMPLES; s++) {
            xs[s] = rnd64();
            eval_all(c, xs[s], v);
            for (int k = 0; k < n_out; k++) before[s * n_out + k] = (uint8_t)v[c->outputs[k]];
        }
        /* which gates are live, by hand */
        uint8_t *live = xcalloc((size_t)c->n_gates, 1);
        for (int k = 0; k < n_out; k++) live[c->outputs[k]] = 1;
        for (GateId g = c->n_gates - 1; g >= 2 + n_inputs; g--)
            if (live[g])
                for (uint32_t k = 0; k < c->gates[g].n_in; k++) live[ir_terms(c, g)[k].src] = 1;
        int32_t n_live = 2 + n_inputs;
        for (GateId g = 2 + n_inputs; g < c->n_gates; g++) n_live += live[g];

        ir_sweep(c);
        CHECK(ir_check(c) == NULL, "round %d after sweep: %s", round, ir_check(c));
        CHECK(c->n_gates == n_live && c->n_outputs == n_out && c->n_inputs == n_inputs,
              "round %d: %d gates after sweep, %d live", round, c->n_gates, n_live);
        /* every gate left is an output or read by a gate */
        uint8_t *used = xcalloc((size_t)c->n_gates, 1);
        for (int k = 0; k < n_out; k++) used[c->outputs[k]] = 1;
        for (GateId g = 0; g < c->n_gates; g++)
            for (uint32_t k = 0; k < c->gates[g].n_in; k++) used[ir_terms(c, g)[k].src] = 1;
        int dead = 0;
        for (GateId g = 2 + n_inputs; g < c->n_gates; g++) dead += !used[g];
        CHECK(dead == 0, "round %d: %d dead gates left", round, dead);
        /* the same function */
        v = xrealloc(v, sizeof *v * (size_t)c->n_gates);
        int diff = 0;
        for (int s = 0; s < SAMPLES; s++) {
            eval_all(c, xs[s], v);
            for (int k = 0; k < n_out; k++) diff += before[s * n_out + k] != v[c->outputs[k]];
        }
        CHECK(diff == 0, "round %d: %d output values changed by the sweep", round, diff);
        /* the groups are renumbered densely; hashing finds the gates */
        uint8_t *seen = xcalloc((size_t)c->n_groups + 1, 1);
        for (GateId g = 2 + n_inputs; g < c->n_gates; g++)
            if (!ir_is_sum(c, g)) seen[c->gates[g].group] = 1;
        int n_seen = 0;
        for (int32_t k = 0; k < c->n_groups; k++) n_seen += seen[k];
        CHECK(n_seen == c->n_groups, "round %d: %d of %d groups used", round, n_seen, c->n_groups);
        int32_t n_gates = c->n_gates;
        CHECK(copies(c) == 0, "round %d: %d copies of existing gates", round, copies(c));
        for (GateId g = 2 + n_inputs; g < n_gates; g++) {
            if (ir_is_sum(c, g)) continue;
            Form f;
            form_init(&f, 0);
            for (uint32_t k = 0; k < c->gates[g].n_in; k++)
                form_add_term(&f, ir_terms(c, g)[k].src, ir_terms(c, g)[k].w);
            GateId h = ir_thr(c, &f, c->gates[g].thr);
            form_free(&f);
            CHECK(h == g, "round %d: gate %d is found again as %d after the sweep", round, g, h);
            if (h != g) break;
        }
        CHECK(c->n_gates == n_gates, "round %d: rebuilding gates added %d", round, c->n_gates - n_gates);
        /* a second sweep changes nothing */
        ir_sweep(c);
        CHECK(c->n_gates == n_gates, "round %d: second sweep: %d -> %d gates", round, n_gates, c->n_gates);
        free(seen);
        free(used);
        free(live);
        free(before);
        free(v);
        ir_free(c);
    }
    /* no outputs: everything but constants and inputs goes */
    Circuit *c = random_circuit(4, 50, 0);
    ir_sweep(c);
    CHECK(c->n_gates == 6 && c->n_terms == 0 && c->n_groups == 0, "empty sweep: %d gates", c->n_gates);
    CHECK(ir_check(c) == NULL, "%s", ir_check(c));
    ir_free(c);
}

/* ---- ir_check ---- */

/* x0..x2; g5 = x0 & x1, g6 = g5 | x2, g7 = [2 g5 - g6 + x0 >= 1]; outputs g6, g7 */
static Circuit *small_circuit(void) {
    Circuit *c = ir_new(3);
    GateId x = ir_input(0), y = ir_input(1), z = ir_input(2);
    GateId a = ir_and(c, x, y), o = ir_or(c, a, z);
    int64_t *W_ = (int64_t[]){2, -1, 1};
    GateId g = THR(c, 0, 1, a, o, x);
    ir_add_output(c, o);
    ir_add_output(c, g);
    return c;
}

static void test_check(void) {
    Circuit *c = small_circuit();
    CHECK(c->n_gates == 8 && ir_check(c) == NULL, "small circuit: %d gates, %s", c->n_gates, ir_check(c));
    Circuit *e = ir_new(0);
    CHECK(ir_check(e) == NULL, "empty circuit: %s", ir_check(e));
    ir_free(e);
    Gate *G6 = &c->gates[6];
    Term *t6 = c->terms + G6->term_off, *t7 = c->terms + c->gates[7].term_off;
    CHECK(t6[0].src == 4 && t6[1].src == 5 && t7[0].src == 2 && t7[1].src == 5 && t7[2].src == 6 && t7[1].w == 2,
          "small circuit's terms");
    /* a copy to restore after each corruption */
    Circuit saved = *c;
    Gate *gates = xmalloc(sizeof *gates * (size_t)c->n_gates);
    Term *terms = xmalloc(sizeof *terms * c->n_terms);
    GateId *outputs = xmalloc(sizeof *outputs * (size_t)c->n_outputs);
    memcpy(gates, c->gates, sizeof *gates * (size_t)c->n_gates);
    memcpy(terms, c->terms, sizeof *terms * c->n_terms);
    memcpy(outputs, c->outputs, sizeof *outputs * (size_t)c->n_outputs);
    const char *m;

#define BROKEN(what, sub, corrupt)                                                                                     \
    do {                                                                                                               \
        corrupt;                                                                                                       \
        m = ir_check(c);                                                                                               \
        CHECK(has(m, sub), "%s: got \"%s\", expected \"%s\"", what, m ? m : "(accepted)", sub);                        \
        *c = saved;                                                                                                    \
        memcpy(c->gates, gates, sizeof *gates *(size_t)c->n_gates);                                                    \
        memcpy(c->terms, terms, sizeof *terms * c->n_terms);                                                           \
        memcpy(c->outputs, outputs, sizeof *outputs *(size_t)c->n_outputs);                                            \
        CHECK(ir_check(c) == NULL, "%s: restored: %s", what, ir_check(c));                                             \
    } while (0)

    BROKEN("reads a newer gate", "gate 6: input 0 reads gate 7, not an older gate", t6[0].src = 7);
    BROKEN("reads itself", "not an older gate", t6[1].src = 6);
    BROKEN("dangling source", "gate 7: input 2 reads gate 8, which does not exist", t7[2].src = 8);
    BROKEN("far dangling source", "does not exist", t7[2].src = 1 << 30);
    BROKEN("negative source", "does not exist", t7[0].src = -1);
    BROKEN("wrong level", "gate 6: level 3, expected 2", G6->level = 3);
    BROKEN("level 0 gate", "level 0, expected 2", G6->level = 0);
    BROKEN("wrong level after the gate", "gate 7: level 2, expected 3", c->gates[7].level = 2);
    BROKEN("zero weight", "gate 7: input 1 has weight 0", t7[1].w = 0);
    BROKEN("output past the end", "output 1 reads gate 8", c->outputs[1] = 8);
    BROKEN("negative output", "output 0 reads gate -3", c->outputs[0] = -3);
    BROKEN("input made a gate", "gate 3: kind", c->gates[3].kind = G_THR);
    BROKEN("gate made an input", "gate 6: kind", G6->kind = G_INPUT);
    BROKEN("constant made an input", "gate 0: kind", c->gates[0].kind = G_INPUT);
    BROKEN("constant with a level", "constant or input", c->gates[1].level = 1);
    BROKEN("input with fan-in", "constant or input", c->gates[2].n_in = 1);
    BROKEN("terms past the end", "gate 7: terms out of bounds", c->gates[7].n_in = 4);
    BROKEN("term offset past the end", "terms out of bounds", c->gates[7].term_off = c->n_terms + 1);
    BROKEN("group out of range", "gate 6: sum group", G6->group = c->n_groups);
    BROKEN("no group", "sum group -1", G6->group = -1);
    BROKEN("fewer gates than inputs", "fewer gates", c->n_inputs = 9);
    BROKEN("gate missing", "fewer gates", c->n_gates = 1);
#undef BROKEN
    free(gates);
    free(terms);
    free(outputs);
    ir_free(c);
}

/* ---- ir_stats, ir_dump ---- */

static void test_stats(void) {
    Circuit *c = ir_new(3);
    GateId x = ir_input(0), y = ir_input(1), z = ir_input(2);
    c->cur_origin = origin_make(0, 1, OP_SCORE);
    GateId a = ir_and(c, x, y);
    c->cur_origin = origin_make(0, -1, OP_MIX);
    GateId o = ir_or(c, a, z);
    c->cur_origin = origin_make(-1, -1, OP_OUTPUT);
    int64_t *W_ = (int64_t[]){3, -2, 4};
    GateId g = THR(c, 0, 5, a, o, x);
    ir_add_output(c, g);
    ir_add_output(c, a);
    CircuitStats s;
    ir_stats(c, &s);
    CHECK(s.gates == 3 && s.inputs == 3 && s.outputs == 2 && s.edges == 7 && s.max_fanin == 3 && s.depth == 3 &&
              s.groups == 3 && s.max_weight_bits == 3,
          "stats: gates %lld edges %lld max_fanin %lld depth %d groups %d bits %d", (long long)s.gates,
          (long long)s.edges, (long long)s.max_fanin, s.depth, s.groups, s.max_weight_bits);
    CHECK(s.by_op[OP_SCORE] == 1 && s.by_op[OP_MIX] == 1 && s.by_op[OP_OUTPUT] == 1 && s.by_op[OP_OTHER] == 0,
          "gates by op");
    CHECK(s.edges_by_op[OP_SCORE] == 2 && s.edges_by_op[OP_MIX] == 2 && s.edges_by_op[OP_OUTPUT] == 3, "edges by op");
    CHECK(origin_layer(c->gates[a].origin) == 0 && origin_head(c->gates[a].origin) == 1 &&
              origin_op(c->gates[a].origin) == OP_SCORE && origin_layer(c->gates[g].origin) == -1 &&
              origin_head(c->gates[o].origin) == -1,
          "origins");
    CHECK(strcmp(op_name(OP_SCORE), "score") == 0 && strcmp(op_name(OP__COUNT), "?") == 0, "op names");

    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ir_dump(c, f);
    fclose(f);
    CHECK(has(buf, "circuit: 8 gates (3 inputs), 2 outputs, depth 3"), "dump header:\n%s", buf);
    CHECK(has(buf, "g5 = [g2 + g3 >= 2]  level 1  group 0  L0 H1 score"), "dump of g5:\n%s", buf);
    CHECK(has(buf, "g7 = [4*g2 + 3*g5 - 2*g6 >= 5]  level 3  group 2  L-1 H-1 output"), "dump of g7:\n%s", buf);
    CHECK(has(buf, "out0 = g7") && has(buf, "out1 = g5"), "dump outputs:\n%s", buf);
    free(buf);

    Circuit *e = ir_new(2);
    ir_stats(e, &s);
    CHECK(s.gates == 0 && s.edges == 0 && s.depth == 0 && s.inputs == 2, "empty stats");
    ir_free(e);
    ir_free(c);
}

/* ---- the --max-gates guard: ir_thr exits with EXIT_TOO_BIG ---- */

static void test_max_gates(void) {
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stderr)) _exit(99);
        Circuit *c = ir_new(8);
        c->max_gates = 20;
        for (int k = 0; k < 8; k++) ir_and(c, ir_input(k), ir_input((k + 1) % 8)); /* 18 gates */
        ir_and(c, ir_input(0), ir_input(1));                                       /* existing: allowed */
        ir_or(c, ir_input(0), ir_input(1));                                        /* 19 */
        ir_or(c, ir_input(0), ir_input(2));                                        /* 20 */
        _exit(c->n_gates == 20 ? 0 : 98);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "20 gates within --max-gates 20: status %d", st);
    fflush(NULL);
    pid = fork();
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stderr)) _exit(99);
        Circuit *c = ir_new(8);
        c->max_gates = 20;
        for (int k = 0; k < 8; k++) ir_and(c, ir_input(k), ir_input((k + 1) % 8));
        ir_or(c, ir_input(0), ir_input(1));
        ir_or(c, ir_input(0), ir_input(2));
        ir_or(c, ir_input(0), ir_input(3)); /* the 21st */
        _exit(0);
    }
    waitpid(pid, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == EXIT_TOO_BIG, "the 21st gate: status %d", st);
}

/* ---- shared sums: sum nodes ---- */

/* The value of node g (a gate's 0/1 or a sum node's sum) on inputs x. */
static int64_t node_value(const Circuit *c, GateId g, uint64_t x) {
    int64_t *v = xcalloc((size_t)c->n_gates, sizeof *v);
    eval_all(c, x, v);
    int64_t r = v[g];
    free(v);
    return r;
}

static void test_sum_nodes(void) {
    Circuit *c = ir_new(6);
    GateId x[6];
    for (int i = 0; i < 6; i++) x[i] = ir_input(i);
    int64_t *W_ = (int64_t[]){1, 2, 3, -1, 5};
    /* a form of IR_SUM_MIN_TERMS or more terms: the gate reads one sum node */
    GateId a = THR(c, 0, 4, x[0], x[1], x[2], x[3], x[4]);
    CHECK(c->n_sums == 1 && c->gates[a].n_in == 1 && ir_is_sum(c, ir_terms(c, a)[0].src),
          "[F >= 4]: %d sums, fan-in %u", c->n_sums, c->gates[a].n_in);
    GateId S = ir_terms(c, a)[0].src;
    CHECK(c->gates[S].level == 0 && c->gates[a].level == 1 && c->gates[S].lo == -1 && c->gates[S].hi == 11,
          "sum node: level %d, range [%lld, %lld]", c->gates[S].level, (long long)c->gates[S].lo,
          (long long)c->gates[S].hi);
    /* another threshold, 2F and -F: the same node */
    GateId b = THR(c, 0, 7, x[0], x[1], x[2], x[3], x[4]);
    W_ = (int64_t[]){2, 4, 6, -2, 10};
    GateId b2 = THR(c, 0, 14, x[0], x[1], x[2], x[3], x[4]);
    W_ = (int64_t[]){-1, -2, -3, 1, -5};
    GateId d = THR(c, 0, -3, x[0], x[1], x[2], x[3], x[4]); /* F <= 3 */
    CHECK(c->n_sums == 1 && b == b2 && ir_terms(c, b)[0].src == S && ir_terms(c, d)[0].src == S &&
              ir_terms(c, d)[0].w == -1 && c->gates[a].group == c->gates[b].group,
          "equal sums share one node: %d sums", c->n_sums);
    /* a shallow sum over a deeper gate: the gate reading it is one level up */
    GateId g1 = ir_and(c, x[0], x[5]);
    W_ = (int64_t[]){1, 1, 1, 1};
    GateId e = THR(c, 0, 2, g1, x[1], x[2], x[3]);
    GateId S2 = ir_terms(c, e)[0].src;
    CHECK(c->gates[S2].level == 1 && c->gates[e].level == 2, "levels through a sum: %d, %d", c->gates[S2].level,
          c->gates[e].level);
    /* ir_form_share: a long form becomes g * S (+ its constant), same value */
    Form f;
    form_init(&f, 3);
    for (int i = 0; i < 6; i++) form_add_term(&f, x[i], 2 * (i + 1));
    Form orig;
    form_copy(&orig, &f);
    ir_form_share(c, &f);
    CHECK(f.n == 1 && f.t[0].w == 2 && ir_is_sum(c, f.t[0].src) && f.c == 3, "shared form: %d terms, w %lld", f.n,
          (long long)(f.n ? f.t[0].w : 0));
    GateId S3 = f.t[0].src;
    /* a sum over sums (as affine maps of shared values build) */
    Form g;
    form_init(&g, 0);
    form_add_term(&g, S3, 3);
    form_add_term(&g, S2, -2);
    form_add_term(&g, x[4], 1);
    form_add_term(&g, a, 4);
    int64_t glo, ghi;
    ir_form_bounds(c, &g, &glo, &ghi);
    CHECK(glo == 3 * 0 - 2 * 4 + 0 + 0 && ghi == 3 * 21 + 1 + 4, "bounds over sums: [%lld, %lld]", (long long)glo,
          (long long)ghi);
    GateId h = ir_thr(c, &g, 20);
    GateId S4 = ir_terms(c, h)[0].src;
    CHECK(ir_is_sum(c, S4) && c->gates[S4].level == 1 && c->gates[h].level == 2, "sum of sums: level %d",
          c->gates[h].level);
    /* every node's value, exhaustively */
    for (uint64_t v = 0; v < 64; v++) {
        int64_t fv = orig.c, fs = f.c + f.t[0].w * node_value(c, S3, v);
        for (int k = 0; k < orig.n; k++) fv += ((v >> (orig.t[k].src - 2)) & 1) * orig.t[k].w;
        CHECK(fv == fs, "shared form, inputs %llx: %lld, was %lld", (unsigned long long)v, (long long)fs,
              (long long)fv);
        int64_t F = (v & 1) + 2 * ((v >> 1) & 1) + 3 * ((v >> 2) & 1) - ((v >> 3) & 1) + 5 * ((v >> 4) & 1);
        CHECK(node_value(c, a, v) == (F >= 4) && node_value(c, b, v) == (F >= 7) && node_value(c, d, v) == (F <= 3),
              "thresholds over one sum, inputs %llx", (unsigned long long)v);
        int64_t G = 3 * (fs - 3) / 2 - 2 * node_value(c, S2, v) + ((v >> 4) & 1) + 4 * (F >= 4);
        CHECK(node_value(c, h, v) == (G >= 20), "a gate over a sum of sums, inputs %llx", (unsigned long long)v);
    }
    /* flattening: the sum of sums over 0/1 gates, merged */
    ir_add_output(c, h);
    Term *t;
    uint32_t n;
    CHECK(ir_flatten(c, h, 100, &t, &n), "ir_flatten refused");
    int64_t want[64] = {0};
    for (int i = 0; i < 6; i++) want[x[i]] += 3 * (i + 1); /* 3 S3, S3 = F/2 */
    want[g1] -= 2;
    want[x[1]] -= 2;
    want[x[2]] -= 2;
    want[x[3]] -= 2;
    want[x[4]] += 1;
    want[a] += 4;
    bool same = true;
    int nz = 0;
    for (GateId k = 0; k < 64; k++) nz += want[k] != 0;
    for (uint32_t k = 0; k < n; k++) same &= t[k].w == want[t[k].src] && !ir_is_sum(c, t[k].src);
    CHECK(same && (int)n == nz, "ir_flatten: %u terms, want %d", n, nz);
    free(t);
    CHECK(!ir_flatten(c, h, 5, &t, &n), "ir_flatten past its limit");
    /* stats: wires are stored terms, edges the flattened fan-in */
    CircuitStats st;
    ir_stats(c, &st);
    CHECK(st.sums == c->n_sums && st.wires == (int64_t)c->n_terms && st.edges >= (int64_t)n && st.max_fanin >= n,
          "stats: %lld sums, %lld wires (%zu terms), %lld edges", (long long)st.sums, (long long)st.wires, c->n_terms,
          (long long)st.edges);
    CHECK(ir_check(c) == NULL, "checker: %s", ir_check(c));
    ir_sweep(c);
    CHECK(ir_check(c) == NULL && c->n_outputs == 1, "checker after sweep: %s", ir_check(c));
    form_free(&f);
    form_free(&orig);
    form_free(&g);
    ir_free(c);
}

/* ---- thresholds moved to reachable values of a sum node ---- */
static void test_reach(void) {
    Circuit *c = ir_new(4);
    int64_t *W_ = (int64_t[]){3, 5, 7, 11}; /* subset sums 0 3 5 7 8 10 11 12 14 15 16 18 19 21 23 26 */
    GateId a1 = THR(c, 0, 1, ir_input(0), ir_input(1), ir_input(2), ir_input(3));
    GateId a3 = THR(c, 0, 3, ir_input(0), ir_input(1), ir_input(2), ir_input(3));
    GateId b24 = THR(c, 0, 24, ir_input(0), ir_input(1), ir_input(2), ir_input(3));
    GateId b26 = THR(c, 0, 26, ir_input(0), ir_input(1), ir_input(2), ir_input(3));
    GateId z = THR(c, 0, 27, ir_input(0), ir_input(1), ir_input(2), ir_input(3));
    W_ = (int64_t[]){-3, -5, -7, -11};
    GateId n25 = THR(c, 0, -25, ir_input(0), ir_input(1), ir_input(2), ir_input(3)); /* S <= 25 */
    GateId n23 = THR(c, 0, -23, ir_input(0), ir_input(1), ir_input(2), ir_input(3)); /* S <= 23 */
    CHECK(a1 == a3 && b24 == b26 && z == GATE_CONST0 && n25 == n23 && a1 != b24,
          "reachable thresholds: %d %d, %d %d, %d, %d %d", a1, a3, b24, b26, z, n25, n23);
    CHECK(c->gates[a1].thr == 3 && c->gates[b24].thr == 26, "thresholds moved up to 3 and 26: %lld %lld",
          (long long)c->gates[a1].thr, (long long)c->gates[b24].thr);
    for (uint64_t v = 0; v < 16; v++) {
        int64_t S = 3 * (v & 1) + 5 * ((v >> 1) & 1) + 7 * ((v >> 2) & 1) + 11 * ((v >> 3) & 1);
        CHECK(node_value(c, a1, v) == (S >= 1) && node_value(c, b24, v) == (S >= 24) &&
                  node_value(c, n25, v) == (S <= 25),
              "reachable thresholds, inputs %llx", (unsigned long long)v);
    }
    CHECK(ir_check(c) == NULL, "checker: %s", ir_check(c));
    ir_free(c);
}

/* Random sums of 4 to 6 inputs with small weights (the reachable set as a
 * bit set in ir.c) and large ones (by merging): the set must be exact, so
 * two thresholds with no subset sum in [t1, t2) give one gate, and any
 * two that have one give two different gates; each gate's function is
 * checked on every input. */
static void test_reach_random(void) {
    for (int round = 0; round < 24; round++) {
        int n = 4 + (int)(rnd64() % 3);
        int64_t scale = round % 2 ? 1 : 1000 + (int64_t)(rnd64() % 100000);
        Circuit *c = ir_new(n);
        GateId x[6];
        int64_t w[6];
        for (int i = 0; i < n; i++) {
            x[i] = ir_input(i);
            w[i] = (1 + (int64_t)(rnd64() % 20)) * scale;
            if (round % 4 == 0) w[i] += (int64_t)(rnd64() % 7); /* gcd 1: the merge */
            if (rnd64() % 3 == 0) w[i] = -w[i];
        }
        int64_t sums[64], ts[3 * 64];
        GateId gs[3 * 64];
        int nt = 0;
        for (uint64_t v = 0; v < (1u << n); v++) {
            sums[v] = 0;
            for (int i = 0; i < n; i++) sums[v] += (v >> i) & 1 ? w[i] : 0;
        }
        /* thresholds: every subset sum, and one above and below it */
        for (uint64_t a = 0; a < (1u << n); a++)
            for (int da = -1; da <= 1; da++, nt++) {
                ts[nt] = sums[a] + da;
                gs[nt] = thr_of(c, 0, n, x, w, ts[nt]);
            }
        for (int i = 0; i < nt; i++)
            for (uint64_t b = 0; b < (1u << n); b++) {
                if (sums[b] <= ts[i]) continue;
                bool between = false; /* a subset sum in [t1, t2) */
                for (uint64_t v = 0; v < (1u << n); v++) between |= sums[v] >= ts[i] && sums[v] < sums[b];
                GateId g2 = thr_of(c, 0, n, x, w, sums[b]);
                CHECK((gs[i] == g2) == !between, "round %d: thresholds %lld and %lld: gates %d and %d", round,
                      (long long)ts[i], (long long)sums[b], gs[i], g2);
            }
        int64_t *val = xcalloc((size_t)c->n_gates, sizeof *val);
        for (uint64_t v = 0; v < (1u << n); v++) {
            eval_all(c, v, val);
            for (int i = 0; i < nt; i++)
                CHECK(val[gs[i]] == (sums[v] >= ts[i]), "round %d: [S >= %lld] at %llx", round, (long long)ts[i],
                      (unsigned long long)v);
        }
        free(val);
        CHECK(ir_check(c) == NULL, "checker: %s", ir_check(c));
        ir_free(c);
    }
}

/* Long forms (past the insertion-sort runs): form_canon sorts by source
 * and merges, as a count per source says. */
static void test_canon_long(void) {
    for (int round = 0; round < 50; round++) {
        int n = 1 + (int)(rnd64() % 300), span = 2 + (int)(rnd64() % 200);
        int64_t want[256] = {0};
        Form f;
        form_init(&f, 0);
        for (int i = 0; i < n; i++) {
            GateId g = 2 + (GateId)(rnd64() % (uint64_t)span);
            int64_t wt = (int64_t)(rnd64() % 5) - 2;
            if (round % 3 == 0) g = 2 + (GateId)((i * 7) % span); /* sorted runs */
            form_add_term(&f, g, wt);
            want[g - 2] += wt;
        }
        form_canon(&f);
        int k = 0;
        for (int g = 0; g < span; g++) {
            if (!want[g]) continue;
            CHECK(k < f.n && f.t[k].src == 2 + g && f.t[k].w == want[g], "round %d: term %d", round, k);
            k++;
        }
        CHECK(k == f.n, "round %d: %d terms, expected %d", round, f.n, k);
        form_free(&f);
    }
}

/* ---- exit 4 instead of an abort: --max-mem while building, weights
 * that would overflow ---- */
static void test_refusals(void) {
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stderr)) _exit(99);
        Circuit *c = ir_new(16);
        c->max_mem = 1 << 20;
        for (int k = 0; k < 100000; k++) {
            Form f;
            form_init(&f, 0);
            for (int i = 0; i < 16; i++) form_add_term(&f, ir_input(i), 1 + (k >> i) % 3);
            ir_thr(c, &f, k % 17);
            form_free(&f);
        }
        _exit(0);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == EXIT_TOO_BIG, "--max-mem 1 MiB while building: status %d", st);
    fflush(NULL);
    pid = fork();
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stderr)) _exit(99);
        Circuit *c = ir_new(2); /* the circuit the message names */
        (void)c;
        Form f;
        form_init(&f, 0);
        form_add_term(&f, ir_input(0), (int64_t)1 << 61);
        form_add_term(&f, ir_input(1), (int64_t)1 << 61);
        form_add(&f, &f, 3); /* 4 * 2^61 passes 2^62 */
        _exit(0);
    }
    waitpid(pid, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == EXIT_TOO_BIG, "weight overflow: status %d", st);
}

/* ---- ir_majority ---- */

static void test_majority(void) {
    int checked = 0;
    for (int round = 0; round < 2000; round++) {
        int n_in = 1 + (int)rnd(5);
        Circuit *c = ir_new(n_in);
        Form f;
        form_init(&f, 0);
        for (int k = 0; k < n_in; k++) {
            int64_t w = 1 + rnd(3);
            form_add_term(&f, ir_input(k), rnd(2) ? w : -w);
        }
        int64_t lo, hi;
        form_bounds(&f, &lo, &hi);
        GateId g = ir_thr(c, &f, lo + 1 + rnd(hi - lo));
        form_free(&f);
        if (g < 2 + n_in) {
            ir_free(c);
            continue;
        }
        Lit *lits = NULL;
        int64_t n_lits = 0, n_one = 0, n_zero = 0;
        bool ok = ir_majority(c, g, 1000, &lits, &n_lits, &n_one, &n_zero);
        CHECK(ok, "round %d: refused", round);
        if (!ok) {
            ir_free(c);
            continue;
        }
        int64_t total = n_lits + n_one + n_zero, sum_w = 0;
        Term *t; /* the gate's terms over 0/1 gates (its sum node expanded) */
        uint32_t nt;
        CHECK(ir_flatten(c, g, 1000, &t, &nt), "round %d: ir_flatten refused", round);
        for (uint32_t k = 0; k < nt; k++) sum_w += t[k].w < 0 ? -t[k].w : t[k].w;
        CHECK(total % 2 == 1 && n_one >= 0 && n_zero >= 0 && (n_one == 0 || n_zero == 0), "round %d: %lld inputs",
              round, (long long)total);
        CHECK(n_lits == sum_w, "round %d: %lld literals for sum |w| = %lld", round, (long long)n_lits,
              (long long)sum_w);
        /* each term appears |w| times, complemented iff w < 0 */
        for (uint32_t k = 0; k < nt; k++) {
            int64_t cnt = 0;
            for (int64_t j = 0; j < n_lits; j++) cnt += lits[j].src == t[k].src && lits[j].neg == (t[k].w < 0);
            CHECK(cnt == (t[k].w < 0 ? -t[k].w : t[k].w), "round %d: term %u appears %lld times", round, k,
                  (long long)cnt);
        }
        for (uint64_t v = 0; v < (1u << n_in); v++) {
            int64_t ones = n_one;
            for (int64_t j = 0; j < n_lits; j++) ones += (int)((v >> (lits[j].src - 2)) & 1) != lits[j].neg;
            int maj = 2 * ones > total;
            CHECK(maj == gate_value(c, g, v), "round %d, inputs %llx: MAJ %d, gate %d", round, (unsigned long long)v,
                  maj, gate_value(c, g, v));
        }
        /* too large for a smaller bound */
        Lit *l2 = NULL;
        int64_t a, b, d;
        CHECK(!ir_majority(c, g, total - 1, &l2, &a, &b, &d), "round %d: fan-in %lld accepted under %lld", round,
              (long long)total, (long long)(total - 1));
        free(l2);
        free(lits);
        free(t);
        checked++;
        ir_free(c);
    }
    CHECK(checked > 1000, "only %d majority gates checked", checked);
}

/* lutcost.c: the LUT model of docs/lowering.md "LUT cost model" on small
 * circuits whose figures follow from its rules. */
static LutCost lut_of(Circuit *c, int k) {
    LutCost lc;
    lut_cost(c, k, &lc);
    int64_t by_op = 0; /* the per-operation figures add up to the total */
    for (int op = 0; op < OP__COUNT; op++) by_op += lc.luts_by_op[op];
    CHECK(by_op == lc.luts, "LUT%d by operation: %lld, total %lld", k, (long long)by_op, (long long)lc.luts);
    return lc;
}

static void test_lut_cost(void) {
    /* a 4-input majority (a sum node of 4 terms): one LUT4, one level */
    Circuit *c = ir_new(16);
    GateId in[16];
    int64_t one[16];
    for (int i = 0; i < 16; i++) in[i] = ir_input(i), one[i] = 1;
    Form f = form_of(0, 4, in, one);
    ir_add_output(c, ir_thr(c, &f, 2));
    form_free(&f);
    LutCost l4 = lut_of(c, 4), l6 = lut_of(c, 6);
    CHECK(l4.luts == 1 && l4.depth == 1, "4-input majority: %lld LUT4s, depth %d (1, 1)", (long long)l4.luts, l4.depth);
    CHECK(l6.luts == 1 && l6.depth == 1, "4-input majority: %lld LUT6s, depth %d (1, 1)", (long long)l6.luts, l6.depth);
    /* a 6-input majority: one LUT6; for LUT4 an adder of 6 bits into 3
     * (2 (6 - 3) + 3 = 9) and a comparator (ceil(3 / 3) = 1), levels
     * 2 ceil(log2 6) - 3 = 3 plus the comparator's 1 */
    ir_free(c);
    c = ir_new(16);
    f = form_of(0, 6, in, one);
    ir_add_output(c, ir_thr(c, &f, 3));
    form_free(&f);
    l4 = lut_of(c, 4);
    l6 = lut_of(c, 6);
    CHECK(l6.luts == 1 && l6.depth == 1, "6-input majority: %lld LUT6s, depth %d (1, 1)", (long long)l6.luts, l6.depth);
    /* node by node (lut_node_luts, represent.c's cost) the same totals */
    for (int k = 4; k <= 6; k += 2) {
        int64_t sum = 0;
        for (GateId g = 2 + c->n_inputs; g < c->n_gates; g++) sum += lut_node_luts(c, g, k);
        CHECK(sum == (k == 4 ? 10 : 1), "6-input majority node by node: %lld LUT%ds (%d)", (long long)sum, k,
              k == 4 ? 10 : 1);
    }
    CHECK(l4.luts == 10 && l4.depth == 4, "6-input majority: %lld LUT4s, depth %d (10, 4)", (long long)l4.luts,
          l4.depth);
    /* a second threshold over the same sum adds only its comparator */
    f = form_of(0, 6, in, one);
    ir_add_output(c, ir_thr(c, &f, 5));
    form_free(&f);
    LutCost l4b = lut_of(c, 4);
    CHECK(l4b.luts == l4.luts + 1 && l4b.depth == l4.depth, "two thresholds on one sum: %lld LUT4s (%lld + 1)",
          (long long)l4b.luts, (long long)l4.luts);
    /* a chain of two ANDs: two LUTs, two levels; wider sums cost more */
    ir_free(c);
    c = ir_new(16);
    ir_add_output(c, ir_and(c, ir_and(c, in[0], in[1]), in[2]));
    l4 = lut_of(c, 4);
    CHECK(l4.luts == 2 && l4.depth == 2, "AND chain: %lld LUT4s, depth %d (2, 2)", (long long)l4.luts, l4.depth);
    int64_t prev = 0;
    for (int n = 5; n <= 16; n++) {
        ir_free(c);
        c = ir_new(16);
        f = form_of(0, n, in, one);
        ir_add_output(c, ir_thr(c, &f, (n + 1) / 2));
        form_free(&f);
        l4 = lut_of(c, 4);
        CHECK(l4.luts > prev, "majority of %d: %lld LUT4s, not above %lld", n, (long long)l4.luts, (long long)prev);
        prev = l4.luts;
    }
    /* one gate deeper: a gate over 7 comparators of one 4-input sum (a
     * table's block function of a half code) reads 4 signals through them,
     * one LUT4 one level over the comparators' inputs; over comparators of
     * two disjoint 4-input sums (8 signals) it is an adder of its 7 terms */
    for (int split = 0; split <= 1; split++) {
        ir_free(c);
        c = ir_new(16);
        int64_t bin[4] = {1, 2, 4, 8};
        Form half[2] = {form_of(0, 4, in, bin), form_of(0, 4, in + 4, bin)}, g;
        form_init(&g, 0);
        for (int v = 1; v <= 7; v++) form_add_term(&g, ir_thr(c, &half[split ? v % 2 : 0], v), v % 2 ? 1 : -1);
        ir_add_output(c, ir_thr(c, &g, 1));
        form_free(&g);
        form_free(&half[0]);
        form_free(&half[1]);
        l4 = lut_of(c, 4);
        if (!split) /* 7 comparators, 1 LUT each, and the gate's one */
            CHECK(l4.luts == 8 && l4.depth == 1, "gate over one half's comparators: %lld LUT4s, depth %d (8, 1)",
                  (long long)l4.luts, l4.depth);
        else
            CHECK(l4.luts > 8 + 4 && l4.depth > 2, "gate over two halves' comparators: %lld LUT4s, depth %d",
                  (long long)l4.luts, l4.depth);
    }
    ir_free(c);
}

/* ir_bit (bit taps, docs/lowering.md "Bit taps"): random forms over 6
 * inputs with a nested sum node, every bit from 0 to past the top, against
 * the form's own value on all 64 assignments, through the naive evaluator
 * and eval.c (one lane per assignment); the checker, the level (+2),
 * hashing (the constant counts modulo 2^(j+1)), constant folding, and the
 * LUT model's rules for taps and for binary codes (no adder). */
static void test_taps(void) {
    int checked = 0;
    for (int rep = 0; rep < 300; rep++) {
        Circuit *c = ir_new(6);
        GateId in[6];
        int64_t w[6];
        for (int i = 0; i < 6; i++) in[i] = ir_input(i), w[i] = rnd(41) - 20;
        Form inner = form_of(0, 4, in, w);
        ir_form_share(c, &inner); /* a sum node term, as a requantized accumulator has */
        Form f;
        form_init(&f, rnd(201) - 100);
        form_add(&f, &inner, rnd(2) ? 1 : -3);
        form_add_term(&f, in[4], w[4]);
        form_add_term(&f, in[5], w[5]);
        form_free(&inner);
        GateId taps[12];
        for (int j = 0; j < 12; j++) {
            taps[j] = ir_bit(c, &f, j);
            ir_add_output(c, taps[j]);
            Form g;
            form_copy(&g, &f);
            g.c += (int64_t)1 << (j + 1); /* the same bit */
            CHECK(ir_bit(c, &g, j) == taps[j], "tap rep %d bit %d: c + 2^(j+1) is not the same node", rep, j);
            form_free(&g);
            const Gate *T = &c->gates[taps[j]];
            if (T->kind == G_BIT) {
                int32_t lv = 0;
                const Term *t = ir_terms(c, taps[j]);
                for (uint32_t k = 0; k < T->n_in; k++)
                    lv = c->gates[t[k].src].level > lv ? c->gates[t[k].src].level : lv;
                CHECK(T->level == lv + 2 && T->bit == j, "tap rep %d bit %d: level %d (want %d), bit %d", rep, j,
                      T->level, lv + 2, T->bit);
            }
        }
        CHECK(ir_check(c) == NULL, "taps rep %d: checker: %s", rep, ir_check(c));
        uint64_t in_words[6], out[12];
        for (int i = 0; i < 6; i++) { /* lane x holds assignment x */
            in_words[i] = 0;
            for (uint64_t x = 0; x < 64; x++) in_words[i] |= ((x >> i) & 1) << x;
        }
        Evaluator *e = eval_new(c);
        eval_run(e, in_words, out);
        eval_free(e);
        int64_t *v = xcalloc((size_t)c->n_gates, sizeof *v);
        for (uint64_t x = 0; x < 64; x++) {
            eval_all(c, x, v);
            int64_t val = f.c;
            for (int i = 0; i < f.n; i++) val += f.t[i].w * v[f.t[i].src];
            for (int j = 0; j < 12; j++) {
                int want = (int)(floor_div(val, (int64_t)1 << j) & 1);
                CHECK(v[taps[j]] == want && (int)((out[j] >> x) & 1) == want,
                      "tap rep %d bit %d x %llu: naive %lld, eval.c %d, want %d (value %lld)", rep, j,
                      (unsigned long long)x, (long long)v[taps[j]], (int)((out[j] >> x) & 1), want, (long long)val);
                checked++;
            }
        }
        free(v);
        form_free(&f);
        ir_free(c);
    }
    CHECK(checked == 300 * 64 * 12, "taps: %d checks", checked);
    /* constants: no terms, or one value of x >> j */
    Circuit *c = ir_new(2);
    Form k;
    form_init(&k, 5);
    CHECK(ir_bit(c, &k, 0) == GATE_CONST1 && ir_bit(c, &k, 1) == GATE_CONST0 && ir_bit(c, &k, 2) == GATE_CONST1,
          "taps of the constant 5");
    form_add_term(&k, ir_input(0), 1); /* 5 or 6: bit 2 is 1 either way */
    CHECK(ir_bit(c, &k, 2) == GATE_CONST1 && ir_bit(c, &k, 3) == GATE_CONST0, "taps of 5 + x0");
    GateId b0 = ir_bit(c, &k, 0), b1 = ir_bit(c, &k, 1); /* 5 + x0: bit 0 is NOT x0, bit 1 is x0 */
    CHECK(b1 == ir_input(0) && c->gates[b0].kind == G_THR, "taps of 5 + x0: bit 1 %d (want x0), bit 0 kind %d", b1,
          c->gates[b0].kind);
    form_add_term(&k, ir_input(1), 3); /* two terms: a tap */
    CHECK(c->gates[ir_bit(c, &k, 0)].kind == G_BIT, "bit 0 of 5 + x0 + 3 x1 is not a tap");
    form_free(&k);
    ir_free(c);
    /* LUT model: a tap of an 8-input sum is its adder (materialized once for
     * both taps) and one LUT each; a binary code read by a comparator is
     * no adder, only the comparator (8 bits: ceil(8 / 3) = 3 LUT4s) */
    c = ir_new(16);
    GateId in[16];
    int64_t one[16], pow2[16];
    for (int i = 0; i < 16; i++) in[i] = ir_input(i), one[i] = 1, pow2[i] = (int64_t)1 << i;
    Form f = form_of(0, 8, in, one);
    ir_add_output(c, ir_bit(c, &f, 1));
    LutCost a = lut_of(c, 4);
    ir_add_output(c, ir_bit(c, &f, 2));
    LutCost b = lut_of(c, 4);
    CHECK(b.luts == a.luts + 1 && b.depth == a.depth, "a second tap of one sum: %lld LUT4s (%lld + 1), depth %d (%d)",
          (long long)b.luts, (long long)a.luts, b.depth, a.depth);
    CHECK(a.luts == 2 * (8 - 4) + 4 + 1, "a tap of an 8-input sum: %lld LUT4s (adder 12 + 1)", (long long)a.luts);
    form_free(&f);
    ir_free(c);
    /* the same tap of -S (a form whose first weight is negative reads its
     * sum node with weight -1: complemented wires, no second adder) */
    c = ir_new(16);
    int64_t neg[16];
    for (int i = 0; i < 16; i++) neg[i] = -1;
    f = form_of(0, 8, in, neg);
    GateId tn = ir_bit(c, &f, 1);
    CHECK(c->gates[tn].kind == G_BIT && ir_terms(c, tn)[0].w == -1, "a tap of -S does not read S with weight -1");
    ir_add_output(c, tn);
    b = lut_of(c, 4);
    CHECK(b.luts == a.luts && b.depth == a.depth, "a tap of -S: %lld LUT4s at depth %d, S's %lld at %d",
          (long long)b.luts, b.depth, (long long)a.luts, a.depth);
    form_free(&f);
    ir_free(c);
    /* a binary code of 3 bits (fewer than K) is wires too: only the
     * comparator of a gate that reads it with another signal */
    c = ir_new(16);
    f = form_of(0, 3, in, pow2);
    ir_form_share_min(c, &f, 2);
    form_add_term(&f, in[3], 1);
    form_add_term(&f, in[4], 1);
    ir_add_output(c, ir_thr(c, &f, 6));
    a = lut_of(c, 4);
    /* the gate's adder: 5 bits into 4 (2 (5 - 4) + 4 = 6, 2 ceil(log2 5) - 3
     * = 3 levels), its comparator ceil(4 / 3) = 2 more; the code nothing */
    CHECK(a.luts == 8 && a.depth == 4, "a 3-bit code and two bits compared: %lld LUT4s at depth %d (8, 4)",
          (long long)a.luts, a.depth);
    form_free(&f);
    ir_free(c);
    c = ir_new(16);
    f = form_of(0, 8, in + 8, pow2);
    ir_add_output(c, ir_thr(c, &f, 100));
    a = lut_of(c, 4);
    CHECK(a.luts == 3 && a.depth == 1, "a comparator of an 8-bit code: %lld LUT4s at depth %d (3, 1)",
          (long long)a.luts, a.depth);
    form_free(&f);
    ir_free(c);
}

int main(void) {
    test_forms();
    test_normal_form();
    test_inverters();
    test_combine();
    test_normal_form_random();
    test_groups();
    test_sweep();
    test_check();
    test_stats();
    test_max_gates();
    test_sum_nodes();
    test_reach();
    test_reach_random();
    test_canon_long();
    test_refusals();
    test_majority();
    test_lut_cost();
    test_taps();
    return check_done("test_ir");
}
