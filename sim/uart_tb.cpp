// uart_tb.cpp - Verilator harness for the tc0c board wrapper at the UART
// bit level (tests/board.sh builds it against a generated
// tc0c_board_top).
//
// A host model drives uart_rx with real 8N1 frames (start bit, 8 data bits
// LSB first, stop bit) at the host's own baud rate, which may differ from
// the design's by +host_ppm, and decodes uart_tx by sampling the middle of
// every bit at the nominal CLK_HZ/BAUD bit time, checking start and stop
// bits.  The cases file has one line per case (boards/board_wrapper.py
// cases):  REQUEST REPLY # note   with REQUEST in hex ('Z' before a byte:
// send it with a stop bit of 0) and REPLY the expected reply in hex, or
// '-' when no reply may come.
//
// plusargs: +cases=FILE (required)  +clk_hz=N +baud=N (the values the
// design was built with)  +host_ppm=N  +stream=1 (send every request back
// to back without waiting for replies, then compare the whole reply
// stream)  +leds=1 (check led[2:0] after each reply of an accept/reject
// model)  +gap=N (up to N idle bit times between bytes, random)  +seed=N
// +max=N (only the first N cases)  +verbose=1
// Prints "uart: P passed, F failed" last; exits 1 on a failure.
#include "Vtc0c_board_top.h"
#include "verilated.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace {

struct Case {
    std::vector<std::pair<uint8_t, bool>> req;  // byte, framing error
    bool no_reply = false;
    std::string reply;
    std::string note;
    int line = 0;
};

int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool parse_hex(const std::string &s, std::vector<std::pair<uint8_t, bool>> &out) {
    for (size_t i = 0; i < s.size();) {
        bool z = false;
        if (s[i] == 'Z') {
            z = true;
            i++;
        }
        if (i + 1 >= s.size() || hexval(s[i]) < 0 || hexval(s[i + 1]) < 0) return false;
        out.push_back({static_cast<uint8_t>(hexval(s[i]) * 16 + hexval(s[i + 1])), z});
        i += 2;
    }
    return true;
}

std::string printable(const std::string &s) {
    std::string r;
    char buf[8];
    for (unsigned char c : s) {
        if (c == '\n') r += "\\n";
        else if (c == '\r') r += "\\r";
        else if (c >= 0x20 && c < 0x7f) r += static_cast<char>(c);
        else {
            snprintf(buf, sizeof buf, "\\x%02x", c);
            r += buf;
        }
    }
    return r;
}

std::string req_string(const Case &c) {
    std::string r;
    for (auto &b : c.req) {
        if (b.second) r += "<ferr>";
        r += printable(std::string(1, static_cast<char>(b.first)));
    }
    return r;
}

// The host's transmitter: frames on uart_rx at a (possibly off) baud rate.
struct HostTx {
    double bit = 16;  // clocks per host bit
    std::deque<std::pair<uint8_t, bool>> q;
    bool active = false;
    uint64_t start = 0, next_free = 0;
    uint8_t byte = 0;
    bool ferr = false;
    int max_gap = 0;
    uint32_t rng = 1;

    uint32_t rand() {
        rng = rng * 1103515245u + 12345u;
        return (rng >> 16) & 0x7fff;
    }
    bool idle() const { return !active && q.empty(); }
    int level(uint64_t t) {
        if (!active && !q.empty() && t >= next_free) {
            active = true;
            start = t;
            byte = q.front().first;
            ferr = q.front().second;
            q.pop_front();
        }
        if (!active) return 1;
        int k = static_cast<int>(std::floor(static_cast<double>(t - start) / bit));
        if (k == 0) return 0;
        if (k <= 8) return (byte >> (k - 1)) & 1;
        if (k == 9) return ferr ? 0 : 1;
        // frame over; after a framing error the line idles two bit times
        int gap = (ferr ? 2 : 0) + (max_gap ? static_cast<int>(rand() % (max_gap + 1)) : 0);
        active = false;
        next_free = start + static_cast<uint64_t>(std::ceil((10 + gap) * bit));
        return 1;
    }
};

// The host's receiver: decodes uart_tx at the nominal bit time.
struct HostRx {
    double bit = 16;
    bool busy = false;
    uint64_t start = 0;
    int k = 0;
    uint8_t byte = 0;
    std::string got;
    int frame_errors = 0;

    void step(uint64_t t, int line) {
        if (!busy) {
            if (!line) {
                busy = true;
                start = t;
                k = 0;
                byte = 0;
            }
            return;
        }
        // sample bit k at its middle
        uint64_t at = start + static_cast<uint64_t>(std::llround((k + 0.5) * bit));
        if (t < at) return;
        if (k == 0 && line) frame_errors++;  // start bit not low
        if (k >= 1 && k <= 8) byte |= static_cast<uint8_t>(line << (k - 1));
        if (k == 9) {
            if (!line) frame_errors++;
            got += static_cast<char>(byte);
            busy = false;
            return;
        }
        k++;
    }
};

}  // namespace

int main(int argc, char **argv) {
    auto ctx = std::make_unique<VerilatedContext>();
    ctx->commandArgs(argc, argv);
    auto arg = [&](const char *name, long def) {
        const char *s = ctx->commandArgsPlusMatch(name);
        if (!s || !*s) return def;
        const char *eq = strchr(s, '=');
        return eq ? strtol(eq + 1, nullptr, 0) : 1L;
    };
    const char *cs = ctx->commandArgsPlusMatch("cases=");
    if (!cs || !*cs) {
        fprintf(stderr, "uart_tb: +cases=FILE is required\n");
        return 2;
    }
    std::string cases_path = strchr(cs, '=') + 1;
    long clk_hz = arg("clk_hz=", 12000000), baud = arg("baud=", 115200);
    long ppm = arg("host_ppm=", 0), stream = arg("stream=", 0), leds = arg("leds=", 0);
    long max_cases = arg("max=", 0), verbose = arg("verbose=", 0);

    std::vector<Case> cases;
    std::ifstream in(cases_path);
    if (!in) {
        fprintf(stderr, "uart_tb: cannot read %s\n", cases_path.c_str());
        return 2;
    }
    std::string line;
    for (int ln = 1; std::getline(in, line); ln++) {
        if (line.empty() || line[0] == '#') continue;
        Case c;
        c.line = ln;
        std::istringstream ss(line);
        std::string rq, rp;
        ss >> rq >> rp;
        size_t h = line.find('#');
        c.note = h == std::string::npos ? "" : line.substr(h + 2);
        std::vector<std::pair<uint8_t, bool>> rb;
        if (!parse_hex(rq, c.req) || rp.empty() || (rp != "-" && !parse_hex(rp, rb))) {
            fprintf(stderr, "%s:%d: bad case line\n", cases_path.c_str(), ln);
            return 2;
        }
        c.no_reply = rp == "-";
        for (auto &b : rb) c.reply += static_cast<char>(b.first);
        cases.push_back(c);
        if (max_cases && static_cast<long>(cases.size()) >= max_cases) break;
    }

    auto top = std::make_unique<Vtc0c_board_top>(ctx.get());
    const double dut_bit = static_cast<double>(clk_hz) / static_cast<double>(baud);
    HostTx htx;
    htx.bit = dut_bit / (1.0 + static_cast<double>(ppm) * 1e-6);
    htx.max_gap = static_cast<int>(arg("gap=", 0));
    htx.rng = static_cast<uint32_t>(arg("seed=", 1));
    HostRx hrx;
    hrx.bit = dut_bit;
    uint64_t t = 0;
    top->clk = 0;
    top->uart_rx = 1;
    top->eval();
    auto tick = [&]() {
        top->uart_rx = static_cast<uint8_t>(htx.level(t));
        top->clk = 1;
        top->eval();
        top->clk = 0;
        top->eval();
        hrx.step(t, top->uart_tx);
        t++;
    };
    // reset and settle
    for (int i = 0; i < 64; i++) tick();

    const uint64_t byte_t = static_cast<uint64_t>(std::ceil(12 * dut_bit));
    int passed = 0, failed = 0;
    auto fail = [&](const Case &c, const std::string &why) {
        failed++;
        if (failed <= 20)
            printf("FAIL %s:%d (%s): sent \"%s\": %s\n", cases_path.c_str(), c.line, c.note.c_str(),
                   req_string(c).c_str(), why.c_str());
    };

    if (!stream) {
        for (auto &c : cases) {
            hrx.got.clear();
            int ferr0 = hrx.frame_errors;
            for (auto &b : c.req) htx.q.push_back(b);
            uint64_t limit = t + (c.req.size() + c.reply.size() + 8) * byte_t * 2;
            if (c.no_reply) {
                while (!htx.idle()) tick();
                for (uint64_t i = 0; i < 4 * byte_t; i++) tick();
            } else {
                while (t < limit && (hrx.got.empty() || hrx.got.back() != '\n')) tick();
                for (int i = 0; i < 4; i++) tick();  // LEDs follow the reply
            }
            std::string want = c.no_reply ? "" : c.reply;
            if (hrx.got != want) {
                fail(c, "expected \"" + printable(want) + "\", got \"" + printable(hrx.got) + "\"" +
                            (t >= limit ? " (timeout)" : ""));
            } else if (hrx.frame_errors != ferr0) {
                fail(c, "framing error on uart_tx");
            } else if (leds && !c.no_reply) {
                int want_led = c.reply == "1\n" ? 1 : c.reply == "0\n" ? 2 : 4;
                int got_led = top->led & 7;
                if (got_led != want_led) {
                    char buf[64];
                    snprintf(buf, sizeof buf, "led[2:0] = %d, expected %d", got_led, want_led);
                    fail(c, buf);
                } else passed++;
            } else {
                passed++;
            }
            if (verbose) printf("case %d: \"%s\" -> \"%s\"\n", c.line, req_string(c).c_str(), printable(hrx.got).c_str());
        }
        // nothing more may arrive
        hrx.got.clear();
        for (uint64_t i = 0; i < 8 * byte_t; i++) tick();
        if (!hrx.got.empty()) {
            failed++;
            printf("FAIL: stray bytes after the last case: \"%s\"\n", printable(hrx.got).c_str());
        }
    } else {
        std::string want;
        size_t bytes = 0;
        for (auto &c : cases) {
            for (auto &b : c.req) htx.q.push_back(b);
            bytes += c.req.size() + c.reply.size();
            if (!c.no_reply) want += c.reply;
        }
        uint64_t limit = t + (bytes + 16) * byte_t * 2;
        while (t < limit && hrx.got.size() < want.size()) tick();
        for (uint64_t i = 0; i < 8 * byte_t; i++) tick();
        // compare reply by reply
        size_t at = 0;
        for (auto &c : cases) {
            if (c.no_reply) {
                passed++;
                continue;
            }
            std::string got = at < hrx.got.size() ? hrx.got.substr(at, c.reply.size()) : "";
            if (got == c.reply) passed++;
            else fail(c, "expected \"" + printable(c.reply) + "\", got \"" + printable(got) + "\" (stream)");
            at += c.reply.size();
        }
        if (hrx.got.size() != want.size()) {
            failed++;
            printf("FAIL: stream: %zu reply bytes, expected %zu\n", hrx.got.size(), want.size());
        }
        if (hrx.frame_errors) {
            failed++;
            printf("FAIL: %d framing errors on uart_tx\n", hrx.frame_errors);
        }
        if (leds && (top->led & 4)) {
            failed++;
            printf("FAIL: stream: the error LED is on (a reply was dropped?)\n");
        }
    }
    top->final();
    printf("%llu clocks, %.0f clocks per bit, host %+ld ppm%s\n", static_cast<unsigned long long>(t), dut_bit, ppm,
           stream ? ", streamed" : "");
    printf("uart: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
