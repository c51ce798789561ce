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
            "  verify MODEL -n N [--random K | --exhaustive] [--seed S] [--max-gates G]\n"
            "          [--quiet]         compile, then compare circuit and reference: on K\n"
            "                            seeded random strings with --random K (all strings\n"
            "                            when there are at most K); on all |vocab|^N strings\n"
            "                            with --exhaustive; without either, on all strings\n"
            "                            when at most 2^20, else on 100000 random ones\n"
            "  stats MODEL -n N [--max-gates G]\n"
            "                            compile and print gates, depth, edges, fan-in,\n"
            "                            per operation and per layer\n"
            "  help                      this text\n"
            "\n"
            "--max-depth D keeps the variant with the fewest wires whose threshold\n"
            "depth is at most D (default: the constant-depth lowering, the smallest\n"
            "depth; exit 2 below the smallest reachable); --objective size: fewest\n"
            "wires whatever the depth; --target lut4|lut6: depth and size are the\n"
            "estimated LUT levels and LUTs of a K-input LUT fabric (default thr:\n"
            "threshold levels and wires); --variant threshold|tournament|\n"
            "tournament_values|div_restoring|and_plain|bits_tap|bits_thermo|\n"
            "bits_slack (the last two with --bits auto) builds one\n"
            "variant only (compile, verify, stats, vectors; docs/lowering.md).\n"
            "--max-gates G refuses circuits whose estimate exceeds G gates (default\n"
            "%lld); --max-mem M[K|M|G] refuses circuits whose estimated memory\n"
            "exceeds M bytes, and stops (exit 4) a build whose memory passes it\n"
            "(default 4G; circuit commands); --bits thermo|auto|blocks|tree|tap\n"
            "builds binary codes from thermometers (default), chooses thermometer or\n"
            "binary per requantized value by cost within the depth (auto), builds\n"
            "every code from adders (blocks, tree), or takes every code as bit taps\n"
            "of one adder (tap: a LUT-fabric node, --gates thr only;\n"
            "docs/lowering.md; circuit commands); --dump prints\n"
            "every gate.  Options are\n"
            "matched exactly and given at most once; \"--\" ends the options (tc0c run\n"
            "MODEL -- --x evaluates the string \"--x\").\n"
            "\n"
            "exit codes: 0 success, 1 usage error, 2 invalid model or input,\n"
            "            3 circuit/reference mismatch, 4 circuit too large,\n"
            "            5 cannot write an output file or directory\n"
            "Command line and outputs: docs/cli.md; model format: docs/model-format.md;\n"
            "exact semantics: docs/numerics.md.\n",
            DEFAULT_MAX_GATES);
}

static int usage_error(const char *fmt, const char *arg) {
    fprintf(stderr, "tc0c: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'tc0c help'.\n");
    return EXIT_USAGE;
}

/* Everything a command line can say; the option table below fills it. */
typedef struct {
    const char *pos[2]; /* positional arguments: MODEL [STRING] */
    int n_pos;
    const char *outdir, *gates, *objective, *variant, *bits, *target;
    long long n, max_gates, max_mem, random, seed, pipeline, max_depth;
    bool quiet, dump, exhaustive, emit_ref, trace;
    bool given[24]; /* per OPTIONS entry: seen on the command line */
} Args;

typedef enum { OPT_FLAG, OPT_INT, OPT_BYTES, OPT_STR } OptKind; /* OPT_BYTES: an integer with an optional K, M or G */

/* One row per option.  Adding an option is one row here (name, kind, range
 * or choices, Args field) plus its name in the commands' lists below. */
typedef struct {
    const char *name;
    OptKind kind;
    long long lo, hi;    /* OPT_INT: accepted range */
    const char *choices; /* OPT_STR: "a|b|c", or NULL for any value */
    size_t field;        /* offsetof(Args, ...): bool, long long or const char * */
} OptSpec;

static const OptSpec OPTIONS[] = {
    {"-n", OPT_INT, 1, MAX_LEN, NULL, offsetof(Args, n)},
    {"-o", OPT_STR, 0, 0, NULL, offsetof(Args, outdir)},
    {"--max-gates", OPT_INT, 1, 1LL << 40, NULL, offsetof(Args, max_gates)},
    {"--max-mem", OPT_BYTES, 1, 1LL << 50, NULL, offsetof(Args, max_mem)},
    {"--random", OPT_INT, 1, 1LL << 40, NULL, offsetof(Args, random)},
    {"--seed", OPT_INT, 0, 1LL << 62, NULL, offsetof(Args, seed)},
    {"--pipeline", OPT_INT, 0, 1000, NULL, offsetof(Args, pipeline)},
    {"--gates", OPT_STR, 0, 0, "thr|maj|cells", offsetof(Args, gates)},
    {"--max-depth", OPT_INT, 1, 1000000, NULL, offsetof(Args, max_depth)},
    {"--objective", OPT_STR, 0, 0, "depth|size", offsetof(Args, objective)},
    {"--target", OPT_STR, 0, 0, "thr|lut4|lut6", offsetof(Args, target)},
    {"--variant", OPT_STR, 0, 0,
     "threshold|tournament|tournament_values|div_restoring|and_plain|bits_tap|bits_thermo|bits_slack",
     offsetof(Args, variant)},
    {"--bits", OPT_STR, 0, 0, "thermo|auto|blocks|tree|tap", offsetof(Args, bits)},
    {"--quiet", OPT_FLAG, 0, 0, NULL, offsetof(Args, quiet)},
    {"--dump", OPT_FLAG, 0, 0, NULL, offsetof(Args, dump)},
    {"--exhaustive", OPT_FLAG, 0, 0, NULL, offsetof(Args, exhaustive)},
    {"--emit-ref", OPT_FLAG, 0, 0, NULL, offsetof(Args, emit_ref)},
    {"--trace", OPT_FLAG, 0, 0, NULL, offsetof(Args, trace)},
};
/* The lowering choice's options, accepted by every command that compiles. */
#define CHOICE_OPTS "--max-depth --objective --variant --bits --target"
#define N_OPTIONS ((int)(sizeof OPTIONS / sizeof OPTIONS[0]))
_Static_assert(sizeof OPTIONS / sizeof OPTIONS[0] <= sizeof((Args *)0)->given, "Args.given too small");

/* Whether the space-separated list holds exactly the word w. */
static bool in_list(const char *list, const char *w) {
    size_t len = strlen(w);
    for (const char *s = list; *s;) {
        const char *e = strchr(s, ' ');
        size_t k = e ? (size_t)(e - s) : strlen(s);
        if (k == len && strncmp(s, w, k) == 0) return true;
        if (!e) break;
        s = e + 1;
    }
    return false;
}

static bool parse_num(const char *cmd, const char *opt, const char *s, long long lo, long long hi, long long *v) {
    char *end;
    errno = 0;
    long long x = strtoll(s, &end, 10);
    if (errno || *end || end == s || x < lo || x > hi) {
        fprintf(stderr, "tc0c %s: %s needs a whole number from %lld to %lld, got '%s'\n", cmd, opt, lo, hi, s);
        return false;
    }
    *v = x;
    return true;
}

/* Stores the value of option OPTIONS[k]; false after a usage message. */
static bool set_option(const char *cmd, int k, const char *value, Args *a) {
    const OptSpec *o = &OPTIONS[k];
    char *field = (char *)a + o->field;
    if (o->kind == OPT_FLAG) {
        *(bool *)field = true;
    } else if (o->kind == OPT_INT || o->kind == OPT_BYTES) {
        long long v;
        char num[32];
        size_t len = strlen(value);
        int shift = 0;
        if (o->kind == OPT_BYTES && len && strchr("KMG", value[len - 1]))
            shift = value[len - 1] == 'K' ? 10 : value[len - 1] == 'M' ? 20 : 30;
        snprintf(num, sizeof num, "%.*s", (int)(len - (shift ? 1 : 0)), value);
        if (!parse_num(cmd, o->name, num, o->lo, o->hi >> shift, &v)) return false;
        v = (long long)((unsigned long long)v << shift);
        memcpy(field, &v, sizeof v);
    } else {
        if (o->choices) {
            char buf[256];
            if ((size_t)snprintf(buf, sizeof buf, "%s", o->choices) >= sizeof buf)
                BUG("option %s: choices too long", o->name);
            for (char *c = buf; *c; c++)
                if (*c == '|') *c = ' ';
            if (!in_list(buf, value)) {
                fprintf(stderr, "tc0c %s: %s takes %s, got '%s'\n", cmd, o->name, o->choices, value);
                return false;
            }
        }
        memcpy(field, &value, sizeof value);
    }
    return true;
}

/* Parses a command line: options from `allowed` (exact names, each at most
 * once), "--" ending the options, and exactly `n_pos` positional arguments
 * named by `pos_names` ("MODEL STRING").  Returns false after a message. */
static bool parse_args(const char *cmd, int argc, char **argv, const char *allowed, int n_pos, const char *pos_names,
                       Args *a) {
    memset(a, 0, sizeof *a);
    a->n = -1;
    a->max_gates = DEFAULT_MAX_GATES;
    a->max_mem = DEFAULT_MAX_MEM;
    a->random = 100000;
    a->seed = 1;
    bool options_done = false;
    for (int i = 0; i < argc; i++) {
        const char *o = argv[i];
        if (options_done || o[0] != '-' || !o[1]) {
            if (a->n_pos >= n_pos) {
                fprintf(stderr, "tc0c %s: unexpected argument '%s'\nTry 'tc0c help'.\n", cmd, o);
                return false;
            }
            a->pos[a->n_pos++] = o;
            continue;
        }
        if (!strcmp(o, "--")) {
            options_done = true;
            continue;
        }
        if (!strcmp(o, "--help") || !strcmp(o, "-h")) { /* tc0c compile --help */
            usage(stdout);
            exit(EXIT_OK);
        }
        int k = 0;
        while (k < N_OPTIONS && strcmp(OPTIONS[k].name, o) != 0) k++;
        if (k == N_OPTIONS || !in_list(allowed, o)) {
            fprintf(stderr, "tc0c %s: unknown option '%s'\nTry 'tc0c help'.\n", cmd, o);
            return false;
        }
        if (a->given[k]) {
            fprintf(stderr, "tc0c %s: option %s given twice\n", cmd, o);
            return false;
        }
        a->given[k] = true;
        const char *value = ""; /* flags take none */
        if (OPTIONS[k].kind != OPT_FLAG) {
            if (i + 1 >= argc) {
                fprintf(stderr, "tc0c %s: %s needs a value\n", cmd, o);
                return false;
            }
            value = argv[++i];
        }
        if (!set_option(cmd, k, value, a)) return false;
    }
    if (a->n_pos < n_pos) {
        fprintf(stderr, "tc0c %s: needs %s\nTry 'tc0c help'.\n", cmd, pos_names);
        return false;
    }
    if (in_list(allowed, "-n") && a->n < 0) {
        fprintf(stderr, "tc0c %s: needs MODEL and -n N\nTry 'tc0c help'.\n", cmd);
        return false;
    }
    bug_set_context(a->pos[0]);
    return true;
}

static bool given(const Args *a, const char *name) {
    for (int k = 0; k < N_OPTIONS; k++)
        if (!strcmp(OPTIONS[k].name, name)) return a->given[k];
    return false;
}

static int cmd_check(int argc, char **argv) {
    Args a;
    if (!parse_args("check", argc, argv, "", 1, "MODEL", &a)) return EXIT_USAGE;
    Model *m = model_load(a.pos[0]);
    if (!m) return EXIT_INVALID;
    model_summary(m, stdout);
    model_free(m);
    return EXIT_OK;
}

static int cmd_run(int argc, char **argv) {
    Args a;
    if (!parse_args("run", argc, argv, "--trace", 2, "MODEL and STRING", &a)) return EXIT_USAGE;
    const char *str = a.pos[1];
    Model *m = model_load(a.pos[0]);
    if (!m) return EXIT_INVALID;
    int *tokens = xcalloc(strlen(str) + 1, sizeof *tokens);
    int n = model_tokenize(m, str, tokens);
    int rc = EXIT_INVALID;
    if (n >= 0) {
        int *out = xcalloc((size_t)model_n_outputs(m, n) + 1, sizeof *out);
        ref_run(m, tokens, n, out, a.trace ? stdout : NULL);
        model_print_outputs(m, out, n, stdout);
        putchar('\n');
        free(out);
        rc = EXIT_OK;
    }
    free(tokens);
    model_free(m);
    return rc;
}

/* Loads the model and compiles it; returns an exit code (0: ok). */
static int load_and_compile(const char *cmd, const Args *a, Model **m, Compiled *cm) {
    *m = model_load(a->pos[0]);
    if (!*m) return EXIT_INVALID;
    if (a->n > (*m)->max_len) {
        fprintf(stderr, "tc0c %s: %s: -n %lld exceeds the model's max_len %d\n", cmd, a->pos[0], a->n, (*m)->max_len);
        return EXIT_INVALID;
    }
    CompileOpts o = {.n = (int)a->n,
                     .max_gates = a->max_gates,
                     .max_mem = a->max_mem,
                     .quiet = a->quiet,
                     .max_depth = (int)a->max_depth,
                     .objective = a->objective && !strcmp(a->objective, "size") ? OBJ_SIZE : OBJ_DEPTH,
                     .variant = a->variant,
                     .threshold_only = a->gates && strcmp(a->gates, "thr") != 0,
                     .target = !a->target || !strcmp(a->target, "thr") ? 0
                               : !strcmp(a->target, "lut4")            ? 4
                                                                       : 6};
    if (a->objective && !strcmp(a->objective, "size") && a->max_depth) {
        fprintf(stderr, "tc0c %s: --max-depth and --objective size exclude each other\n", cmd);
        return EXIT_USAGE;
    }
    if (a->bits && !strcmp(a->bits, "tap") && o.threshold_only) {
        fprintf(stderr, "tc0c %s: --bits tap builds bit taps, which --gates %s cannot write; use --gates thr\n", cmd,
                a->gates);
        return EXIT_USAGE;
    }
    if (a->bits && !strcmp(a->bits, "auto")) { /* thermometer or binary per value (represent.c) */
        lower_opts.repr_auto = true;
    } else if (a->bits && strcmp(a->bits, "thermo") != 0) { /* binary codes from adders (binary.c) */
        lower_opts_binary(&lower_opts, !strcmp(a->bits, "tree")  ? BITS_ADDER_TREE
                                       : !strcmp(a->bits, "tap") ? BITS_ADDER_TAP
                                                                 : BITS_ADDER_BLOCKS);
    }
    if (!compile_model(*m, &o, cm)) {
        if (cm->below_min_depth) return EXIT_INVALID;
        fprintf(stderr, "tc0c %s: %s: refused by the size guard (exit %d)\n", cmd, a->pos[0], EXIT_TOO_BIG);
        return EXIT_TOO_BIG;
    }
    if (a->dump) ir_dump(cm->c, stdout);
    return EXIT_OK;
}

/* DIR/<name>_n<N><suffix> */
static char *out_path(const char *dir, const Model *m, long long n, const char *suffix) {
    size_t len = strlen(dir) + strlen(m->name) + strlen(suffix) + 32;
    char *path = xmalloc(len);
    snprintf(path, len, "%s/%s_n%lld%s", dir, m->name, n, suffix);
    return path;
}

/* Removes a partly written output, if it is a regular file and not a
 * link: -o may name a device (/dev/full) or a link to one (/dev/stdout),
 * which must outlive a failed write. */
static void remove_output(const char *path) {
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISREG(st.st_mode)) remove(path);
}

/* Closes f and reports a write error; false on error (the file removed). */
static bool close_output(const char *cmd, FILE *f, const char *path) {
    bool bad = ferror(f) != 0;
    int err = errno;
    if (fclose(f) != 0) {
        bad = true;
        err = errno;
    }
    if (bad) {
        fprintf(stderr, "tc0c %s: cannot write %s: %s\n", cmd, path, err ? strerror(err) : "write error");
        remove_output(path);
    }
    return !bad;
}

/* Writes the Verilog netlist; returns the latency, or -1 when the circuit
 * cannot be written in this style (EXIT_INVALID), or -2 when the file
 * cannot be written (EXIT_OUTPUT). */
static int write_verilog(const Args *a, const Model *m, const Compiled *cm) {
    VerilogOpts vo = {.style = GATES_THR, .pipeline = a->pipeline, .maj_max_fanin = 4096};
    if (a->gates && !strcmp(a->gates, "maj")) vo.style = GATES_MAJ;
    if (a->gates && !strcmp(a->gates, "cells")) vo.style = GATES_CELLS;
    char *path = out_path(a->outdir, m, a->n, ".v");
    char module[96];
    snprintf(module, sizeof module, "%s_n%lld", m->name, a->n);
    int latency = -2;
    FILE *f = fopen(path, "wb");
    if (!f) {
        fprintf(stderr, "tc0c compile: cannot write %s: %s\n", path, strerror(errno));
    } else {
        errno = 0;
        bool ok = verilog_write(m, cm, &vo, module, f, &latency);
        bool io_ok = close_output("compile", f, path);
        if (!io_ok) latency = -2;
        else if (!ok) {
            remove_output(path);
            latency = -1;
        } else if (!a->quiet) {
            fprintf(stderr, "tc0c: wrote %s\n", path);
        }
    }
    free(path);
    return latency;
}

/* Writes DIR/<name>_n<N>_ref.v; returns an exit code after printing why. */
static int write_ref(const Args *a, const Model *m) {
    char *path = out_path(a->outdir, m, a->n, "_ref.v");
    char module[96];
    snprintf(module, sizeof module, "%s_n%lld_ref", m->name, a->n);
    FILE *f = fopen(path, "wb");
    int rc = EXIT_OK;
    if (!f) {
        fprintf(stderr, "tc0c compile: cannot write %s: %s\n", path, strerror(errno));
        rc = EXIT_OUTPUT;
    } else {
        errno = 0;
        bool ok = refrtl_write(m, (int)a->n, module, f);
        if (!close_output("compile", f, path)) rc = EXIT_OUTPUT;
        else if (!ok) {
            remove_output(path);
            rc = EXIT_INVALID;
        } else if (!a->quiet) fprintf(stderr, "tc0c: wrote %s\n", path);
    }
    free(path);
    return rc;
}

/* The lowering choice (docs/lowering.md "Depth budget and the choice"). */
static const char *objective_name(Objective o) { return o == OBJ_SIZE ? "size" : "depth"; }

static const char *target_name(int t) { return t == 4 ? "lut4" : t == 6 ? "lut6" : "thr"; }

static void add_choice_json(cJSON *j, const Compiled *cm) {
    cJSON_AddStringToObject(j, "variant", cm->variant);
    cJSON_AddStringToObject(j, "target", target_name(cm->target));
    cJSON_AddStringToObject(j, "objective", objective_name(cm->objective));
    cJSON_AddNumberToObject(j, "max_depth", cm->max_depth);
    cJSON_AddNumberToObject(j, "min_depth", cm->min_depth);
}

static void print_choice(const Compiled *cm, FILE *f) {
    const char *lut = cm->target ? target_name(cm->target) : NULL;
    if (cm->objective == OBJ_SIZE)
        fprintf(f, "lowering: variant %s, objective size%s%s (smallest %sdepth built %d)\n", cm->variant,
                lut ? ", target " : "", lut ? lut : "", lut ? "estimated LUT " : "", cm->min_depth);
    else if (lut)
        fprintf(f, "lowering: variant %s, target %s, estimated LUT depth budget %d (smallest reachable %d)\n",
                cm->variant, lut, cm->max_depth, cm->min_depth);
    else
        fprintf(f, "lowering: variant %s, depth budget %d (smallest reachable %d)\n", cm->variant, cm->max_depth,
                cm->min_depth);
}

static int cmd_compile(int argc, char **argv) {
    Args a;
    if (!parse_args("compile", argc, argv,
                    "-n -o --max-gates --max-mem --quiet --dump --gates --pipeline --emit-ref " CHOICE_OPTS, 1, "MODEL",
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
            rc = EXIT_OUTPUT;
        } else if ((latency = write_verilog(&a, m, &cm)) < 0) {
            rc = latency == -1 ? EXIT_INVALID : EXIT_OUTPUT;
        } else if (a.emit_ref && (rc = write_ref(&a, m)) != EXIT_OK) {
            /* rc says why */
        } else {
            char *path = out_path(a.outdir, m, a.n, ".stats.json");
            stats_lut_costs(&cm); /* written and printed: computed once */
            cJSON *j = stats_json(m, &cm);
            cJSON_AddStringToObject(j, "gate_style", a.gates ? a.gates : "thr");
            cJSON_AddNumberToObject(j, "pipeline", (double)a.pipeline);
            cJSON_AddNumberToObject(j, "latency", latency);
            add_choice_json(j, &cm);
            char *text = cJSON_Print(j);
            size_t tl = strlen(text);
            text = xrealloc(text, tl + 2);
            memcpy(text + tl, "\n", 2);
            if (!write_text_file(path, text)) rc = EXIT_OUTPUT;
            else if (!a.quiet) fprintf(stderr, "tc0c: wrote %s\n", path);
            free(text);
            cJSON_Delete(j);
            free(path);
            stats_print(m, &cm, stdout);
            print_choice(&cm, stdout);
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
    if (!parse_args("vectors", argc, argv,
                    "-n -o --random --seed --exhaustive --max-gates --max-mem --quiet " CHOICE_OPTS, 1, "MODEL", &a))
        return EXIT_USAGE;
    if (!a.outdir) {
        fprintf(stderr, "tc0c vectors: needs -o FILE\n");
        return EXIT_USAGE;
    }
    if (!given(&a, "--random")) a.random = 1000;
    if (a.exhaustive && given(&a, "--random")) {
        fprintf(stderr, "tc0c vectors: --exhaustive and --random exclude each other\n");
        return EXIT_USAGE;
    }
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
            rc = EXIT_OUTPUT;
        }
        if (f) {
            uint64_t count = a.exhaustive ? (uint64_t)space : (uint64_t)a.random, seed = a.seed;
            int NI = cm.c->n_inputs, NO = cm.c->n_outputs, b = cm.bits_per_token;
            fprintf(f, "# tc0c vectors: model %s n %lld inputs %d outputs %d count %llu\n", m->name, a.n, NI, NO,
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
            if (!close_output("vectors", f, a.outdir)) rc = EXIT_OUTPUT;
        }
    }
    compiled_free(&cm);
    model_free(m);
    return rc;
}

static int cmd_stats(int argc, char **argv) {
    Args a;
    if (!parse_args("stats", argc, argv, "-n --max-gates --max-mem --quiet --dump " CHOICE_OPTS, 1, "MODEL", &a))
        return EXIT_USAGE;
    a.quiet = true;
    Model *m = NULL;
    Compiled cm = {0};
    int rc = load_and_compile("stats", &a, &m, &cm);
    if (rc == EXIT_OK) {
        stats_print(m, &cm, stdout);
        print_choice(&cm, stdout);
    }
    compiled_free(&cm);
    model_free(m);
    return rc;
}

static int cmd_verify(int argc, char **argv) {
    Args a;
    if (!parse_args("verify", argc, argv, "-n --random --seed --exhaustive --max-gates --max-mem --quiet " CHOICE_OPTS,
                    1, "MODEL", &a))
        return EXIT_USAGE;
    if (a.exhaustive && given(&a, "--random")) {
        fprintf(stderr, "tc0c verify: --exhaustive and --random exclude each other\n");
        return EXIT_USAGE;
    }
    Model *m = NULL;
    Compiled cm = {0};
    int rc = load_and_compile("verify", &a, &m, &cm);
    if (rc == EXIT_OK) {
        /* --random K: K strings (all of them when there are at most K);
         * no --random: all strings when at most 2^20, else 100000 random. */
        double space = 1;
        for (int i = 0; i < a.n; i++) space *= m->n_vocab;
        VerifyOpts vo = {.random = a.random, .seed = (uint64_t)a.seed};
        if (a.exhaustive) vo.exhaustive_ok = true, vo.exhaustive_max = (uint64_t)1 << 32;
        else if (given(&a, "--random"))
            vo.exhaustive_ok = space <= (double)a.random, vo.exhaustive_max = (uint64_t)a.random;
        else vo.exhaustive_ok = true, vo.exhaustive_max = (uint64_t)1 << 20;
        if (a.exhaustive && space > (double)vo.exhaustive_max) {
            fprintf(stderr, "tc0c verify: --exhaustive would check %.0f strings (more than 2^32); use --random K\n",
                    space);
            rc = EXIT_USAGE;
        }
        bool exhaustive = false;
        long checked = rc == EXIT_OK ? verify_circuit(m, &cm, &vo, &exhaustive) : 0;
        if (rc != EXIT_OK) {
            /* refused above */
        } else if (checked < 0) {
            rc = EXIT_MISMATCH;
        } else {
            CircuitStats s;
            ir_stats(cm.c, &s);
            printf("%s n=%lld: circuit = reference on %ld %s strings (%lld gates, depth %d)\n", m->name, a.n, checked,
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
