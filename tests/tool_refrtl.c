/*
 * tool_refrtl.c - test driver for compiler/refrtl.c (built and run by
 * tests/refrtl.sh, not by the generic C test runner).
 *
 * usage: tool_refrtl MODEL N OUT.v VECTORS [MODULE]
 *
 * Writes the arithmetic RTL of MODEL for n = N tokens to OUT.v (module
 * MODULE, default <name>_ref_n<N>) and a vector file: one line per input
 * string, "tokens[NI-1:0] out[NO-1:0] string", both in binary MSB first,
 * with the reference evaluator's outputs.  All |V|^N strings when there are
 * at most 4096, else 1000 seeded random strings.  Prints
 * "module=M ni=NI no=NO count=C" on stdout.
 */
#include "refrtl.h"

#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    if (argc < 5 || argc > 6) {
        fprintf(stderr, "usage: tool_refrtl MODEL N OUT.v VECTORS [MODULE]\n");
        return 1;
    }
    Model *m = model_load(argv[1]);
    if (!m) return 2;
    int n = atoi(argv[2]);
    char modname[256];
    if (argc == 6) snprintf(modname, sizeof modname, "%s", argv[5]);
    else snprintf(modname, sizeof modname, "%s_ref_n%d", m->name, n);

    FILE *f = fopen(argv[3], "w");
    if (!f) {
        perror(argv[3]);
        model_free(m);
        return 1;
    }
    bool ok = refrtl_write(m, n, modname, f);
    if (fclose(f) != 0) ok = false;
    if (!ok) {
        fprintf(stderr, "tool_refrtl: refrtl_write failed\n");
        model_free(m);
        return 1;
    }

    int b = model_token_bits(m), lb = 0;
    if (m->out.kind == OUT_LABEL)
        while ((1 << lb) < m->out.n_labels) lb++;
    int NI = n * b > 0 ? n * b : 1, NO = m->out.kind == OUT_ACCEPT ? 1 : n * lb;
    double space = 1;
    for (int i = 0; i < n; i++) space *= m->n_vocab;
    bool exhaustive = space <= 4096;
    long count = exhaustive ? (long)space : 1000;

    FILE *v = fopen(argv[4], "w");
    if (!v) {
        perror(argv[4]);
        model_free(m);
        return 1;
    }
    int *tok = xcalloc((size_t)n + 1, sizeof *tok), *out = xcalloc((size_t)n + 1, sizeof *out);
    char *ib = xmalloc((size_t)NI + 1), *ob = xmalloc((size_t)NO + 1), *str = xmalloc((size_t)n + 1);
    uint64_t seed = 12345;
    for (long k = 0; k < count; k++) {
        if (exhaustive) tokens_from_index(m, (uint64_t)k, n, tok);
        else
            for (int i = 0; i < n; i++) tok[i] = (int)(rng_next(&seed) % (uint64_t)m->n_vocab);
        ref_run(m, tok, n, out, NULL);
        memset(ib, '0', (size_t)NI);
        ib[NI] = '\0';
        for (int i = 0; i < n * b; i++) ib[NI - 1 - i] = (char)('0' + ((tok[i / b] >> (i % b)) & 1));
        memset(ob, '0', (size_t)NO);
        ob[NO] = '\0';
        if (m->out.kind == OUT_ACCEPT) ob[0] = (char)('0' + out[0]);
        else
            for (int i = 0; i < n * lb; i++) ob[NO - 1 - i] = (char)('0' + ((out[i / lb] >> (i % lb)) & 1));
        tokens_to_string(m, tok, n, str);
        fprintf(v, "%s %s %s\n", ib, ob, str);
    }
    ok = fclose(v) == 0;
    printf("module=%s ni=%d no=%d count=%ld\n", modname, NI, NO, count);
    free(tok);
    free(out);
    free(ib);
    free(ob);
    free(str);
    model_free(m);
    return ok ? 0 : 1;
}
