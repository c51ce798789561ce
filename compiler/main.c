/*
 * main.c - the tc0c command line: one function per subcommand, each a few
 * calls into the library (load, evaluate, compile, verify, emit).
 */
#include "refrtl.h"
#include "tc0c.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define TC0C_VERSION "0.1.0"

#define DEFAULT_MAX_GATES 100000000LL
#define DEFAULT_MAX_MEM (4LL << 30) /* --max-mem: 4 GiB */

static void usage(FILE *f) {
    fprintf(f,
            "usage: tc0c COMMAND [ARGS]\n"
            "\n"
            "Compiles small quantized transformers into constant-depth threshold circuits.\n"
            "\n"
            "commands:\n"
            "  check MODEL               validate a model and print a summary\n"
            "  run MODEL STRING [--trace]\n"
            "                            evaluate the reference model on STRING (one\n"
            "                            character per token); prints accept/reject or\n"
            "                            one label per position\n"
            "  compile MODEL -n N -o DIR [--gates thr|maj|cells] [--pipeline K]\n"
            "          [--emit-ref] [--max-gates G] [--quiet] [--dump]\n"
            "                            build the threshold circuit for inputs of exactly\n"
            "                            N tokens; writes DIR/<name>_n<N>.v (Verilog) and\n"
            "                            DIR/<name>_n<N>.stats.json.  --gates: inline\n"
            "                            weighted sums (thr, default), majority gates\n"
            "                            (maj), or rtl/ cells (cells); --pipeline K: a\n"
            "                            register stage every K threshold levels;\n"
            "                            --emit-ref: also DIR/<name>_n<N>_ref.v, the model\n"
            "                            as plain arithmetic RTL (golden model, baseline)\n"
            "  vectors MODEL -n N -o FILE [--random K] [--seed S] [--exhaustive]\n"
            "                            write input vectors and the reference outputs\n"
            "                            for the simulators (default 1000 random)\n"
            "  verify MODEL -n N [--random K] [--seed S] [--max-gates G] [--quiet]\n"
            "                            compile, then compare circuit and reference on all\n"
            "                            |vocab|^N strings when at most 2^20, else on K\n"
            "                            seeded random strings (default 100000)\n"
            "  stats MODEL -n N [--max-gates G]\n"
            "                            compile and print gates, depth, edges, fan-in,\n"
            "                            per operation and per layer\n"
            "  help                      this text\n"
            "\n"
            "--max-gates G refuses circuits whose estimate exceeds G gates (default\n"
            "%lld); --max-mem M[K|M|G] refuses circuits whose estimated memory\n"
            "exceeds M bytes, and stops (exit 4) a build whose memory passes it\n"
            "(default 4G; circuit commands); --dump prints every gate.\n"
            "\n"
            "exit codes: 0 success, 1 usage error, 2 invalid model or input,\n"
            "            3 circuit/reference mismatch, 4 circuit too large\n"
            "Model format: docs/model-format.md; exact semantics: docs/numerics.md.\n",
            DEFAULT_MAX_GATES);
}

static int usage_error(const char *fmt, const char *arg) {
    fprintf(stderr, "tc0c: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'tc0c help'.\n");
    return EXIT_USAGE;
}

static int cmd_check(int argc, char **argv) {
    if (argc != 1) return usage_error("check takes one MODEL argument%s", "");
    Model *m = model_load(argv[0]);
    if (!m) return EXIT_INVALID;
    model_summary(m, stdout);
    model_free(m);
    return EXIT_OK;
}

static int cmd_run(int argc, char **argv) {
    const char *model = NULL, *str = NULL;
    bool trace = false;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--trace") == 0) trace = true;
        else if (argv[i][0] == '-' && argv[i][1] == '-') return usage_error("run: unknown option '%s'", argv[i]);
        else if (!model) model = argv[i];
        else if (!str) str = argv[i];
        else return usage_error("run: unexpected argument '%s'", argv[i]);
    }
    if (!model || !str) return usage_error("run needs MODEL and STRING%s", "");
    Model *m = model_load(model);
    if (!m) return EXIT_INVALID;
    int *tokens = xcalloc(strlen(str) + 1, sizeof *tokens);
    int n = model_tokenize(m, str, tokens);
    int rc = EXIT_INVALID;
    if (n >= 0) {
        int *out = xcalloc((size_t)model_n_outputs(m, n) + 1, sizeof *out);
        ref_run(m, tokens, n, out, trace ? stdout : NULL);
        model_print_outputs(m, out, n, stdout);
        putchar('\n');
        free(out);
        rc = EXIT_OK;
    }
    free(tokens);
    model_free(m);
    return rc;
}

/* Options shared by the circuit commands. */
typedef struct {
    const char *model, *outdir;
    int n;
    long long max_gates, random, max_mem;
    unsigned long long seed;
    const char *gates;
    int pipeline;
    bool quiet, dump, exhaustive, random_set, emit_ref;
} Args;

static bool parse_num(const char *cmd, const char *opt, const char *s, long long lo, long long hi, long long *v) {
    char *end;
    errno = 0;
    long long x = s ? strtoll(s, &end, 10) : 0;
    if (!s || errno || *end || end == s || x < lo || x > hi) {
        fprintf(stderr, "tc0c %s: %s needs a whole number from %lld to %lld, got '%s'\n", cmd, opt, lo, hi, s ? s : "");
        return false;
    }
    *v = x;
    return true;
}

/* Parses MODEL -n N and the options; "allowed" lists the options the
 * command takes.  Returns false after printing a usage error. */
static bool parse_args(const char *cmd, int argc, char **argv, const char *allowed, Args *a) {
    memset(a, 0, sizeof *a);
    a->n = -1;
    a->max_gates = DEFAULT_MAX_GATES;
    a->max_mem = DEFAULT_MAX_MEM;
    a->random = 100000;
    a->seed = 1;
    for (int i = 0; i < argc; i++) {
        const char *o = argv[i];
        long long v;
        if (o[0] != '-' || !o[1]) {
            if (a->model) {
                fprintf(stderr, "tc0c %s: unexpected argument '%s'\n", cmd, o);
                return false;
            }
            a->model = o;
            continue;
        }
        if (!strstr(allowed, o)) {
            fprintf(stderr, "tc0c %s: unknown option '%s'\nTry 'tc0c help'.\n", cmd, o);
            return false;
        }
        if (!strcmp(o, "--quiet")) a->quiet = true;
        else if (!strcmp(o, "--dump")) a->dump = true;
        else if (!strcmp(o, "--exhaustive")) a->exhaustive = true;
        else if (!strcmp(o, "--emit-ref")) a->emit_ref = true;
        else if (i + 1 >= argc) {
            fprintf(stderr, "tc0c %s: %s needs a value\n", cmd, o);
            return false;
        } else if (!strcmp(o, "-o")) a->outdir = argv[++i];
        else if (!strcmp(o, "-n")) {
            if (!parse_num(cmd, o, argv[++i], 1, MAX_LEN, &v)) return false;
            a->n = (int)v;
        } else if (!strcmp(o, "--max-gates")) {
            if (!parse_num(cmd, o, argv[++i], 1, 1LL << 40, &a->max_gates)) return false;
        } else if (!strcmp(o, "--max-mem")) { /* bytes, or with a K, M or G suffix */
            char num[32];
            const char *s = argv[++i];
            size_t len = strlen(s);
            int shift = len && strchr("KMG", s[len - 1]) ? (s[len - 1] == 'K' ? 10 : s[len - 1] == 'M' ? 20 : 30) : 0;
            snprintf(num, sizeof num, "%.*s", (int)(len - (shift ? 1 : 0)), s);
            if (!parse_num(cmd, o, num, 1, 1LL << (50 - shift), &a->max_mem)) return false;
            a->max_mem <<= shift;
        } else if (!strcmp(o, "--random")) {
            if (!parse_num(cmd, o, argv[++i], 1, 1LL << 40, &a->random)) return false;
            a->random_set = true;
        } else if (!strcmp(o, "--pipeline")) {
            if (!parse_num(cmd, o, argv[++i], 0, 1000, &v)) return false;
            a->pipeline = (int)v;
        } else if (!strcmp(o, "--gates")) {
            a->gates = argv[++i];
            if (strcmp(a->gates, "thr") && strcmp(a->gates, "maj") && strcmp(a->gates, "cells")) {
                fprintf(stderr, "tc0c %s: --gates takes thr, maj or cells, got '%s'\n", cmd, a->gates);
                return false;
            }
        } else if (!strcmp(o, "--seed")) {
            if (!parse_num(cmd, o, argv[++i], 0, 1LL << 62, &v)) return false;
            a->seed = (unsigned long long)v;
        }
    }
    if (!a->model || a->n < 0) {
        fprintf(stderr, "tc0c %s: needs MODEL and -n N\nTry 'tc0c help'.\n", cmd);
        return false;
    }
    return true;
}

/* Loads the model and compiles it; returns an exit code (0: ok). */
static int load_and_compile(const char *cmd, const Args *a, Model **m, Compiled *cm) {
    *m = model_load(a->model);
    if (!*m) return EXIT_INVALID;
    if (a->n > (*m)->max_len) {
        fprintf(stderr, "tc0c %s: -n %d exceeds the model's max_len %d\n", cmd, a->n, (*m)->max_len);
        return EXIT_INVALID;
    }
    CompileOpts o = {.n = a->n, .max_gates = a->max_gates, .max_mem = a->max_mem, .quiet = a->quiet};
    if (!compile_model(*m, &o, cm)) return EXIT_TOO_BIG;
    if (a->dump) ir_dump(cm->c, stdout);
    return EXIT_OK;
}

/* DIR/<name>_n<N><suffix> */
static char *out_path(const char *dir, const Model *m, int n, const char *suffix) {
    size_t len = strlen(dir) + strlen(m->name) + strlen(suffix) + 32;
    char *path = xmalloc(len);
    snprintf(path, len, "%s/%s_n%d%s", dir, m->name, n, suffix);
    return path;
}

/* Writes the Verilog netlist; returns the latency or -1 on error. */
static int write_verilog(const Args *a, const Model *m, const Compiled *cm) {
    VerilogOpts vo = {.style = GATES_THR, .pipeline = a->pipeline, .maj_max_fanin = 4096};
    if (a->gates && !strcmp(a->gates, "maj")) vo.style = GATES_MAJ;
    if (a->gates && !strcmp(a->gates, "cells")) vo.style = GATES_CELLS;
    char *path = out_path(a->outdir, m, a->n, ".v");
    char module[96];
    snprintf(module, sizeof module, "%s_n%d", m->name, a->n);
    int latency = -1;
    FILE *f = fopen(path, "wb");
    if (!f) {
        fprintf(stderr, "tc0c compile: cannot write %s: %s\n", path, strerror(errno));
    } else {
        bool ok = verilog_write(m, cm, &vo, module, f, &latency);
        ok &= fclose(f) == 0;
        if (!ok) {
            remove(path);
            latency = -1;
        } else if (!a->quiet) {
            fprintf(stderr, "tc0c: wrote %s\n", path);
        }
    }
    free(path);
    return latency;
}

/* Writes DIR/<name>_n<N>_ref.v; returns false after printing why. */
static bool write_ref(const Args *a, const Model *m) {
    char *path = out_path(a->outdir, m, a->n, "_ref.v");
    char module[96];
    snprintf(module, sizeof module, "%s_n%d_ref", m->name, a->n);
    FILE *f = fopen(path, "wb");
    bool ok = f != NULL;
    if (!f) fprintf(stderr, "tc0c compile: cannot write %s: %s\n", path, strerror(errno));
    else {
        ok = refrtl_write(m, a->n, module, f);
        ok &= fclose(f) == 0;
        if (!ok) remove(path);
        else if (!a->quiet) fprintf(stderr, "tc0c: wrote %s\n", path);
    }
    free(path);
    return ok;
}

static int cmd_compile(int argc, char **argv) {
    Args a;
    if (!parse_args("compile", argc, argv, "-n -o --max-gates --max-mem --quiet --dump --gates --pipeline --emit-ref",
                    &a))
        return EXIT_USAGE;
    if (!a.outdir) {
        fprintf(stderr, "tc0c compile: needs -o DIR\n");
        return EXIT_USAGE;
    }
    Model *m = NULL;
    Compiled cm = {0};
    int latency = 0;
    int rc = load_and_compile("compile", &a, &m, &cm);
    if (rc == EXIT_OK) {
        if (mkdir(a.outdir, 0777) != 0 && errno != EEXIST) {
            fprintf(stderr, "tc0c compile: cannot create %s: %s\n", a.outdir, strerror(errno));
            rc = EXIT_USAGE;
        } else if ((latency = write_verilog(&a, m, &cm)) < 0) {
            rc = EXIT_INVALID;
        } else if (a.emit_ref && !write_ref(&a, m)) {
            rc = EXIT_INVALID;
        } else {
            char *path = out_path(a.outdir, m, a.n, ".stats.json");
            cJSON *j = stats_json(m, &cm);
            cJSON_AddStringToObject(j, "gate_style", a.gates ? a.gates : "thr");
            cJSON_AddNumberToObject(j, "pipeline", a.pipeline);
            cJSON_AddNumberToObject(j, "latency", latency);
            char *text = cJSON_Print(j);
            size_t tl = strlen(text);
            text = xrealloc(text, tl + 2);
            memcpy(text + tl, "\n", 2);
            if (!write_text_file(path, text)) rc = EXIT_USAGE;
            else if (!a.quiet) fprintf(stderr, "tc0c: wrote %s\n", path);
            free(text);
            cJSON_Delete(j);
            free(path);
            stats_print(m, &cm, stdout);
        }
    }
    compiled_free(&cm);
    model_free(m);
    return rc;
}

/* The outputs of one string as the Verilog `out` vector, MSB first. */
static void outputs_bits(const Model *m, const Compiled *cm, const int *out, int n, char *buf) {
    int no = cm->c->n_outputs, k = 0;
    for (int i = no - 1; i >= 0; i--) {
        int bit = m->out.kind == OUT_ACCEPT ? out[0] : (out[i / cm->label_bits] >> (i % cm->label_bits)) & 1;
        buf[k++] = (char)('0' + bit);
    }
    buf[k] = '\0';
    (void)n;
}

static int cmd_vectors(int argc, char **argv) {
    Args a;
    if (!parse_args("vectors", argc, argv, "-n -o --random --seed --exhaustive --max-gates --max-mem --quiet", &a))
        return EXIT_USAGE;
    if (!a.outdir) {
        fprintf(stderr, "tc0c vectors: needs -o FILE\n");
        return EXIT_USAGE;
    }
    if (!a.random_set) a.random = 1000;
    a.quiet = true;
    Model *m = NULL;
    Compiled cm = {0};
    int rc = load_and_compile("vectors", &a, &m, &cm);
    if (rc == EXIT_OK) {
        double space = 1;
        for (int i = 0; i < a.n; i++) space *= m->n_vocab;
        if (a.exhaustive && space > (double)(1 << 24)) {
            fprintf(stderr, "tc0c vectors: --exhaustive would write %.0f vectors (more than 2^24); use --random K\n",
                    space);
            rc = EXIT_USAGE;
        }
        FILE *f = rc == EXIT_OK ? fopen(a.outdir, "wb") : NULL;
        if (rc == EXIT_OK && !f) {
            fprintf(stderr, "tc0c vectors: cannot write %s: %s\n", a.outdir, strerror(errno));
            rc = EXIT_USAGE;
        }
        if (f) {
            uint64_t count = a.exhaustive ? (uint64_t)space : (uint64_t)a.random, seed = a.seed;
            int NI = cm.c->n_inputs, NO = cm.c->n_outputs, b = cm.bits_per_token;
            fprintf(f, "# tc0c vectors: model %s n %d inputs %d outputs %d count %llu\n", m->name, a.n, NI, NO,
                    (unsigned long long)count);
            fprintf(f, "# each line: tokens[%d:0] out[%d:0] (binary, MSB first); string: reference\n",
                    NI > 0 ? NI - 1 : 0, NO - 1);
            int *tok = xcalloc((size_t)a.n + 1, sizeof *tok);
            int *out = xcalloc((size_t)model_n_outputs(m, a.n) + 1, sizeof *out);
            char *in_bits = xmalloc((size_t)NI + 2), *out_bits = xmalloc((size_t)NO + 2),
                 *str = xmalloc((size_t)a.n + 1);
            for (uint64_t k = 0; k < count; k++) {
                if (a.exhaustive) tokens_from_index(m, k, a.n, tok);
                else
                    for (int i = 0; i < a.n; i++) tok[i] = (int)(rng_next(&seed) % (uint64_t)m->n_vocab);
                ref_run(m, tok, a.n, out, NULL);
                for (int i = 0; i < NI; i++) in_bits[NI - 1 - i] = (char)('0' + ((tok[i / b] >> (i % b)) & 1));
                in_bits[NI] = '\0';
                if (NI == 0) memcpy(in_bits, "0", 2);
                outputs_bits(m, &cm, out, a.n, out_bits);
                tokens_to_string(m, tok, a.n, str);
                fprintf(f, "%s %s %s\n", in_bits, out_bits, str);
            }
            free(tok);
            free(out);
            free(in_bits);
            free(out_bits);
            free(str);
            if (fclose(f) != 0) {
                fprintf(stderr, "tc0c vectors: error writing %s\n", a.outdir);
                rc = EXIT_USAGE;
            }
        }
    }
    compiled_free(&cm);
    model_free(m);
    return rc;
}

static int cmd_stats(int argc, char **argv) {
    Args a;
    if (!parse_args("stats", argc, argv, "-n --max-gates --max-mem --quiet --dump", &a)) return EXIT_USAGE;
    a.quiet = true;
    Model *m = NULL;
    Compiled cm = {0};
    int rc = load_and_compile("stats", &a, &m, &cm);
    if (rc == EXIT_OK) stats_print(m, &cm, stdout);
    compiled_free(&cm);
    model_free(m);
    return rc;
}

static int cmd_verify(int argc, char **argv) {
    Args a;
    if (!parse_args("verify", argc, argv, "-n --random --seed --max-gates --max-mem --quiet", &a)) return EXIT_USAGE;
    Model *m = NULL;
    Compiled cm = {0};
    int rc = load_and_compile("verify", &a, &m, &cm);
    if (rc == EXIT_OK) {
        VerifyOpts vo = {.random = a.random, .seed = a.seed, .exhaustive_ok = true};
        bool exhaustive;
        long checked = verify_circuit(m, &cm, &vo, &exhaustive);
        if (checked < 0) {
            rc = EXIT_MISMATCH;
        } else {
            CircuitStats s;
            ir_stats(cm.c, &s);
            printf("%s n=%d: circuit = reference on %ld %s strings (%lld gates, depth %d)\n", m->name, a.n, checked,
                   exhaustive ? "(all)" : "random", (long long)s.gates, s.depth);
        }
    }
    compiled_free(&cm);
    model_free(m);
    return rc;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
        usage(stdout);
        return EXIT_OK;
    }
    if (!strcmp(cmd, "--version")) {
        printf("tc0c %s\n", TC0C_VERSION);
        return EXIT_OK;
    }
    if (!strcmp(cmd, "check")) return cmd_check(argc - 2, argv + 2);
    if (!strcmp(cmd, "run")) return cmd_run(argc - 2, argv + 2);
    if (!strcmp(cmd, "compile")) return cmd_compile(argc - 2, argv + 2);
    if (!strcmp(cmd, "verify")) return cmd_verify(argc - 2, argv + 2);
    if (!strcmp(cmd, "stats")) return cmd_stats(argc - 2, argv + 2);
    if (!strcmp(cmd, "vectors")) return cmd_vectors(argc - 2, argv + 2);
    return usage_error("unknown command '%s'", cmd);
}
