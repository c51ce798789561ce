// tb.cpp - Verilator harness for the netlists `tc0c compile` writes.
//
// Reads a vector file (`tc0c vectors`), drives every vector through the
// design and compares each output with the reference.  One harness for
// every design; the design is chosen when it is built:
//   -DVTOP=V<top>    the Verilated class (the header V<top>.h is included)
//   -DLATENCY=L      0: combinational (ports tokens, out; one vector per
//                    eval); L > 0: pipelined (clk, rst, in_valid,
//                    out_valid; one vector per clock, result L clocks later)
//   -DTRACE=1        build with waveform support (verilator --trace)
// Run-time options (plusargs, as in olofk/serv's bench):
//   +vectors=FILE    the vector file (required)
//   +vcd=FILE        dump a VCD waveform (needs TRACE=1)
//   +bubbles=PCT     pipelined: percentage of cycles with in_valid low (25)
//   +resets=R        pipelined: synchronous resets in mid-stream (1)
//   +seed=S          seed of the bubble pattern and the junk inputs (1)
//   +repeat=R        combinational: evaluate the file R times (benchmarks;
//                    every pass is checked, vectors count once)
//   +verilator+rand+reset+2  start every register random (the scripts
//                    pass it, so rst has to clear out_valid itself)
// Pipelined mode checks the valid handshake as well as the data: a model of
// the valid shift register predicts, every cycle, whether out_valid is high
// and which vector it carries; out_valid must be high exactly LATENCY
// clocks after in_valid and low otherwise (bubbles and reset included).
// Bubble cycles drive random junk on tokens.  A reset drops the vectors in
// flight; they are sent again, so every vector is checked.
//
// Prints the first mismatch in full, then one line
//   result: PASS|FAIL  N vectors checked, M mismatches [verilator TOP ...]
// (the same line as tb_icarus.v), then "sim_seconds: S s" (CPU time of the
// simulation loop) and "sim_evaluations: E vectors" (pipelined: E clocks)
// for benchmarks; exits 1
// on any mismatch, or when no vector was checked.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <ctime>
#include <vector>

#include "verilated.h"
#if TRACE
#include "verilated_vcd_c.h"
#endif

#define TB_STR_(x) #x
#define TB_STR(x) TB_STR_(x)
#include TB_STR(VTOP.h)

#ifndef LATENCY
#define LATENCY 0
#endif
#ifndef TRACE
#define TRACE 0
#endif

namespace {

struct Vec {
    std::string in, out, text;  // bit strings MSB first; the input string
    int line;
};

// Ports up to 64 bits are integers; wider ones are VlWide (32-bit words).
template <typename T>
void put(T &port, const std::string &bits) {
    uint64_t v = 0;
    for (char c : bits) v = (v << 1) | (c == '1');
    port = static_cast<T>(v);
}
template <std::size_t W>
void put(VlWide<W> &port, const std::string &bits) {
    const size_t n = bits.size();
    for (size_t i = 0; i < W; i++) port.at(i) = 0;
    for (size_t k = 0; k < n; k++)
        if (bits[n - 1 - k] == '1') port.at(k / 32) |= 1u << (k % 32);
}
template <typename T>
std::string get(const T &port, size_t n) {
    std::string s(n, '0');
    for (size_t k = 0; k < n && k < 64; k++)
        if ((static_cast<uint64_t>(port) >> k) & 1) s[n - 1 - k] = '1';
    return s;
}
template <std::size_t W>
std::string get(const VlWide<W> &port, size_t n) {
    std::string s(n, '0');
    for (size_t k = 0; k < n; k++)
        if ((port.at(k / 32) >> (k % 32)) & 1) s[n - 1 - k] = '1';
    return s;
}

bool is_bits(const std::string &s) { return !s.empty() && s.find_first_not_of("01") == std::string::npos; }

// Reads FILE; returns false (with a message) on a malformed file.  C stdio
// rather than iostreams: this file is compiled once per design.
bool read_vectors(const char *path, std::vector<Vec> &v, int &ni, int &no) {
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "tb: cannot open %s\n", path);
        return false;
    }
    char *buf = nullptr;
    size_t cap = 0;
    ssize_t len;
    int ln = 0;
    bool ok = true;
    ni = no = -1;
    while (ok && (len = getline(&buf, &cap, f)) >= 0) {
        ln++;
        while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r')) buf[--len] = 0;
        if (len == 0) continue;
        if (buf[0] == '#') {
            const char *p = strstr(buf, " inputs "), *q = strstr(buf, " outputs ");
            if (p && q) {
                ni = atoi(p + 8);
                if (ni == 0) ni = 1; // a one-symbol vocabulary: vectors carry the 1-bit placeholder port
                no = atoi(q + 9);
            }
            continue;
        }
        std::string line(buf);
        size_t a = line.find(' '), b = a == std::string::npos ? a : line.find(' ', a + 1);
        Vec x;
        x.line = ln;
        x.in = line.substr(0, a);
        x.out = a == std::string::npos ? "" : line.substr(a + 1, b == std::string::npos ? b : b - a - 1);
        x.text = b == std::string::npos ? "" : line.substr(b + 1);
        ok = is_bits(x.in) && is_bits(x.out);
        if (ok && ni >= 0) ok = (int)x.in.size() == ni && (int)x.out.size() == no;
        if (!ok) {
            fprintf(stderr, "%s:%d: malformed vector (expected %d input bits, %d output bits): %s\n", path, ln, ni,
                    no, buf);
            break;
        }
        ni = (int)x.in.size();
        no = (int)x.out.size();
        v.push_back(x);
    }
    free(buf);
    fclose(f);
    return ok;
}

uint64_t rng_state = 1;
uint32_t rnd() {  // xorshift64*
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return static_cast<uint32_t>((rng_state * 0x2545F4914F6CDD1DULL) >> 32);
}

const char *plusarg(int argc, char **argv, const char *name) {
    size_t n = strlen(name);
    for (int i = 1; i < argc; i++)
        if (argv[i][0] == '+' && !strncmp(argv[i] + 1, name, n) && argv[i][1 + n] == '=') return argv[i] + 2 + n;
    return nullptr;
}

}  // namespace

int main(int argc, char **argv) {
    const char *top_name = TB_STR(VTOP) + 1;  // drop the V
    const char *vpath = plusarg(argc, argv, "vectors");
    const char *vcd = plusarg(argc, argv, "vcd");
    const char *s;
    int bubble_pct = (s = plusarg(argc, argv, "bubbles")) ? atoi(s) : 25;
    int resets = (s = plusarg(argc, argv, "resets")) ? atoi(s) : 1;
    int repeat = (s = plusarg(argc, argv, "repeat")) ? atoi(s) : 1;
    // the same generator, seeding and call order as tb_icarus.v: both
    // simulators run the same schedule of bubbles, junk and resets
    rng_state = ((s = plusarg(argc, argv, "seed")) ? strtoull(s, nullptr, 10) : 1) * 2654435761ull + 1;
    if (!vpath) {
        fprintf(stderr, "usage: %s +vectors=FILE [+vcd=FILE] [+bubbles=PCT] [+resets=R] [+seed=S]\n", argv[0]);
        return 2;
    }
    std::vector<Vec> vec;
    int ni, no;
    if (!read_vectors(vpath, vec, ni, no)) return 2;

    auto ctx = std::make_unique<VerilatedContext>();
    ctx->commandArgs(argc, argv);
    auto top = std::make_unique<VTOP>(ctx.get());
#if TRACE
    std::unique_ptr<VerilatedVcdC> tfp;
    if (vcd) {
        ctx->traceEverOn(true);
        tfp = std::make_unique<VerilatedVcdC>();
        top->trace(tfp.get(), 99);
        tfp->open(vcd);
    }
#define DUMP(t) \
    do { \
        if (tfp) tfp->dump(static_cast<uint64_t>(t)); \
    } while (0)
#else
    if (vcd) {
        fprintf(stderr, "tb: +vcd needs a build with TRACE=1 (verilator --trace)\n");
        return 2;
    }
#define DUMP(t) \
    do { \
    } while (0)
#endif

    long checked = 0, mismatches = 0;
    std::string first;  // the first mismatch, in full
    auto mismatch = [&](const std::string &msg) {
        if (mismatches++ == 0) first = msg;
    };
    auto describe = [&](const Vec &x, const std::string &got, long cycle) {
        char buf[160];
        snprintf(buf, sizeof buf, "vector %ld (%s line %d)", (long)(&x - &vec[0]), vpath, x.line);
        std::string m = std::string(buf);
        if (cycle >= 0) m += ", cycle " + std::to_string(cycle);
        m += ": string \"" + x.text + "\"\n  tokens   " + x.in + "\n  expected " + x.out + "\n  got      " + got;
        return m;
    };
    const int nv = (int)vec.size();
    char extra[160];

    long evaluations = 0;
    const std::clock_t c0 = std::clock();
#if LATENCY == 0
    for (int r = 0; r < (repeat > 0 ? repeat : 1); r++)
        for (int i = 0; i < nv; i++) {
            put(top->tokens, vec[i].in);
            top->eval();
            DUMP(evaluations);
            evaluations++;
            std::string got = get(top->out, vec[i].out.size());
            if (r == 0) checked++;
            if (r == 0 && got != vec[i].out) mismatch(describe(vec[i], got, -1));
        }
    snprintf(extra, sizeof extra, "combinational");
#else
    // pipe[k]: the vector index in valid_r[k] (-1: none), as the design
    // should have it after the last clock edge.
    const int L = LATENCY;
    std::vector<int> pipe(L, -1);
    long cycle = 0, bubbles = 0, did_resets = 0;
    int next = 0;
    std::string junk(vec.empty() ? ni : vec[0].in.size(), '0');
    auto clock = [&](bool rst, bool valid, const std::string &tokens, int idx) {
        top->rst = rst;
        top->in_valid = valid;
        put(top->tokens, tokens);
        top->clk = 0;
        top->eval();
        DUMP(2 * cycle);
        top->clk = 1;
        top->eval();
        DUMP(2 * cycle + 1);
        cycle++;
        for (int k = L - 1; k > 0; k--) pipe[k] = rst ? -1 : pipe[k - 1];
        pipe[0] = rst || !valid ? -1 : idx;
        const int due = pipe[L - 1];
        if (top->out_valid != (due >= 0)) {
            char buf[200];
            snprintf(buf, sizeof buf,
                     "cycle %ld: out_valid is %d, expected %d (latency %d; in_valid %d clocks ago was %d%s)", cycle,
                     (int)top->out_valid, due >= 0, L, L, due >= 0, rst ? "; rst this clock" : "");
            mismatch(buf);
        }
        if (due >= 0) {
            if (due != checked) mismatch("internal: vectors out of order");
            checked++;
            std::string got = get(top->out, vec[due].out.size());
            if (got != vec[due].out) mismatch(describe(vec[due], got, cycle));
        }
    };
    auto randomize = [&]() {
        for (char &c : junk) c = (rnd() & 1) ? '1' : '0';
    };
    // two reset clocks with junk on tokens; registers start random
    for (int r = 0; r < 2; r++) {
        randomize();
        clock(true, (rnd() & 1) != 0, junk, -1);
    }
    // reset points: spread over the stream
    std::vector<int> reset_at;
    for (int r = 1; r <= resets && nv >= 4; r++) reset_at.push_back((int)((long)nv * r / (resets + 1)));
    size_t ri = 0;
    while (checked < nv) {
        if (ri < reset_at.size() && next >= reset_at[ri] && next < nv) {
            // reset with a valid vector on the inputs: it is dropped too
            clock(true, true, vec[next].in, next);
            did_resets++;
            ri++;
            next = (int)checked;  // resend what was in flight
            continue;
        }
        // at least one bubble (after the first vector), then at random
        bool bubble;
        if (next >= nv) bubble = true;
        else if (next == 0) bubble = false;
        else if (bubbles == 0) bubble = true;
        else bubble = (long)(rnd() % 100) < bubble_pct;
        if (bubble) {
            randomize();
            clock(false, false, junk, -1);
            if (next < nv) bubbles++;
        } else {
            clock(false, true, vec[next].in, next);
            next++;
        }
    }
    // drain: out_valid must stay low
    for (int k = 0; k < L + 2; k++) {
        randomize();
        clock(false, false, junk, -1);
    }
    snprintf(extra, sizeof extra, "latency %d, %ld cycles, %ld bubbles, %ld reset%s", L, cycle, bubbles, did_resets,
             did_resets == 1 ? "" : "s");
    evaluations = cycle;
    (void)repeat;
#endif
    const double secs = static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
    top->final();
#if TRACE
    if (tfp) tfp->close();
#endif
    if (mismatches) printf("first mismatch: %s\n", first.c_str());
    bool pass = mismatches == 0 && checked > 0;
    printf("result: %s  %ld vectors checked, %ld mismatches [verilator %s, %s]\n", pass ? "PASS" : "FAIL", checked,
           mismatches, top_name, extra);
    if (checked == 0) printf("no vectors were checked\n");
    printf("sim_seconds: %.6f s\nsim_evaluations: %ld %s\n", secs, evaluations, LATENCY ? "clocks" : "vectors");
    return pass ? 0 : 1;
}
