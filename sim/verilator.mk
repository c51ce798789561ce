# verilator.mk - builds the Verilator harness (sim/tb.cpp) for designs that
# sim/sim.sh and tests/sim.sh prepare.  A design directory D holds the
# netlist D/$(TOP).v and D/design.cfg (shell lines TOP=, LATENCY=, GATES=);
# `make -f sim/verilator.mk -j2 D1/vtb D2/vtb ...` builds D/vtb for each.
#
# Cost control (TOOLCHAIN.md: Verilator builds dominate simulation time):
# the run-time library (verilated*.cpp, ~20 s of compiling) is built once
# into build/sim/vlib/, as is a precompiled header of its headers; a small
# design is then one translation unit (the generated C++ and the harness,
# "unity" build, ~2 s); a big one (UNITY=0) is split by --output-split and
# compiled file by file, $(JOBS) at a time.  C++ at -O1 (TOOLCHAIN.md: the
# sweet spot up to 10^4 gates).  TRACE=1 (default) adds --trace so that
# +vcd=FILE works; the regression and the benchmark build with TRACE=0.

VERILATOR ?= verilator
CXX       ?= g++
OPT       ?= -O1
TRACE     ?= 1
UNITY     ?= 1
JOBS      ?= 2
SPLIT     ?= 20000
VROOT     := $(shell $(VERILATOR) --getenv VERILATOR_ROOT)
VLIB      := build/sim/vlib

# The same flags for the library, the precompiled header and every design
# (a precompiled header is only used with the flags it was built with).
VLFLAGS := -std=gnu++17 -I$(VLIB) -I$(VROOT)/include -I$(VROOT)/include/vltstd \
  -DVM_COVERAGE=0 -DVM_SC=0 -DVM_TRACE=1 -DVM_TRACE_FST=0 -DVM_TRACE_VCD=1 \
  -faligned-new -fcf-protection=none -Wno-bool-operation -Wno-sign-compare \
  -Wno-uninitialized -Wno-unused-but-set-variable -Wno-unused-parameter \
  -Wno-unused-variable -Wno-shadow -Winvalid-pch $(OPT)
VERILATE := --cc -Wall --x-assign fast --x-initial unique -O3
VLIB_OBJ := $(VLIB)/verilated.o $(VLIB)/verilated_threads.o $(VLIB)/verilated_vcd_c.o

.PHONY: vlib
.SECONDARY:
vlib: $(VLIB_OBJ) $(VLIB)/vl_pch.h.gch

$(VLIB)/%.o: $(VROOT)/include/%.cpp
	@mkdir -p $(VLIB)
	$(CXX) $(VLFLAGS) -c $< -o $@

$(VLIB)/vl_pch.h.gch: sim/vl_pch.h
	@mkdir -p $(VLIB)
	cp sim/vl_pch.h $(VLIB)/vl_pch.h
	$(CXX) $(VLFLAGS) -x c++-header $(VLIB)/vl_pch.h -o $@

# D/vtb: verilate D/$(TOP).v (with rtl/*.v for the cells and maj styles),
# then compile the generated C++ with the harness and link.  A TRACE= line
# in D/design.cfg overrides TRACE for that design; VFLAGS= adds Verilator
# options (tests/sim.sh waives a lint warning on a corrupted netlist).
.SECONDEXPANSION:
%/vtb: %/design.cfg $$(wildcard $$*/*.v) sim/tb.cpp sim/verilator.mk $(VLIB_OBJ) $(VLIB)/vl_pch.h.gch
	@set -e; TRACE=$(TRACE); VFLAGS=; . $*/design.cfg; rtl=; [ "$$GATES" = thr ] || rtl="rtl/tc0c_thr.v rtl/tc0c_mthr.v rtl/tc0c_maj.v"; \
	tr=; [ "$$TRACE" = 1 ] && tr=--trace; \
	split=; [ "$(UNITY)" = 1 ] || split="--output-split $(SPLIT)"; \
	rm -rf $*/obj; \
	echo "verilator $$TOP (latency $$LATENCY, $$GATES)"; \
	$(VERILATOR) $(VERILATE) $$VFLAGS $$tr $$split --Mdir $*/obj --prefix V$$TOP --top-module $$TOP $*/$$TOP.v $$rtl; \
	hdr="#include \"vl_pch.h\"\n#define VTOP V$$TOP\n#define LATENCY $$LATENCY\n#define TRACE $$TRACE\n"; \
	if [ "$(UNITY)" = 1 ]; then \
	  { printf "$$hdr"; for f in $*/obj/V*.cpp; do echo "#include \"$$(basename $$f)\""; done; \
	    echo "#include \"$(CURDIR)/sim/tb.cpp\""; } > $*/obj/unity.cpp; \
	  $(CXX) $(VLFLAGS) -I$*/obj -c $*/obj/unity.cpp -o $*/obj/unity.o; \
	else \
	  { printf "$$hdr"; echo "#include \"$(CURDIR)/sim/tb.cpp\""; } > $*/obj/tb_main.cpp; \
	  ls $*/obj/V*.cpp $*/obj/tb_main.cpp | xargs -P $(JOBS) -I{} sh -c \
	    'printf "#include \"vl_pch.h\"\n#include \"$$(basename {})\"\n" > {}.pch.cpp && $(CXX) $(VLFLAGS) -I$*/obj -c {}.pch.cpp -o {}.o'; \
	fi; \
	$(CXX) $*/obj/*.o $(VLIB_OBJ) -pthread -latomic -o $@
