// vl_pch.h - the headers every harness build parses (Verilator's run time
// and the C++ library parts sim/tb.cpp uses), precompiled once into
// build/sim/vlib/vl_pch.h.gch by sim/verilator.mk; every harness build
// includes it first, which halves a small design's compile time.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include "verilated.h"
#include "verilated_vcd_c.h"
