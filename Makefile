# tc0c - top-level build.  `make` builds build/tc0c; `make test` runs every
# test (also under AddressSanitizer + UBSan); `make demo` runs the main job
# on the default model.  See README.md.

CC      ?= cc
PYTHON  ?= /usr/bin/python3
CJSON_CFLAGS := $(shell pkg-config --cflags libcjson 2>/dev/null)
CJSON_LIBS   := $(shell pkg-config --libs libcjson 2>/dev/null || echo -lcjson)
WARN    := -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
CFLAGS  ?= -O2 -g
ALL_CFLAGS = $(WARN) $(CFLAGS) $(CJSON_CFLAGS) -D_POSIX_C_SOURCE=200809L
SAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
# The same tests built by clang too (when installed): clang's UBSan sees
# more (pointer-overflow, nullability); build/clang-asan/.
CLANG   ?= $(shell command -v clang 2>/dev/null)
CLANG_SAN_FLAGS := -O1 -g -fsanitize=address,undefined,pointer-overflow,nullability -fno-sanitize-recover=all \
  -fno-omit-frame-pointer
AFL_CC  ?= afl-clang-fast
LDLIBS  := $(CJSON_LIBS) -lm

MODEL   ?= models/majority.json
N       ?= 8

LIB_SRC := $(filter-out compiler/main.c,$(wildcard compiler/*.c))
HDR     := $(wildcard compiler/*.h)
TEST_SRC := $(wildcard tests/test_*.c)

OBJ     := $(patsubst compiler/%.c,build/obj/%.o,$(LIB_SRC))
SAN_OBJ := $(patsubst compiler/%.c,build/asan/obj/%.o,$(LIB_SRC))
TESTS     := $(patsubst tests/%.c,build/tests/%,$(TEST_SRC))
SAN_TESTS := $(patsubst tests/%.c,build/asan/tests/%,$(TEST_SRC))
CSAN_OBJ := $(patsubst compiler/%.c,build/clang-asan/obj/%.o,$(LIB_SRC))
CSAN_TESTS := $(patsubst tests/%.c,build/clang-asan/tests/%,$(TEST_SRC))
AFL_OBJ := $(patsubst compiler/%.c,build/afl/obj/%.o,$(LIB_SRC))
# Built for `make test` when clang is installed (tests/run.sh runs what exists).
CLANG_BUILD := $(if $(CLANG),build/clang-asan/tc0c build/clang-asan/fuzz_harness $(CSAN_TESTS))

.PHONY: all deps demo test test-c lint format clean bench fuzz difftest
all: build/tc0c

build/obj/%.o: compiler/%.c $(HDR) | deps-check
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@
build/asan/obj/%.o: compiler/%.c $(HDR) | deps-check
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(SAN_FLAGS) $(CJSON_CFLAGS) -D_POSIX_C_SOURCE=200809L -c $< -o $@

build/clang-asan/obj/%.o: compiler/%.c $(HDR) | deps-check
	@mkdir -p $(dir $@)
	$(CLANG) $(WARN) $(CLANG_SAN_FLAGS) $(CJSON_CFLAGS) -D_POSIX_C_SOURCE=200809L -c $< -o $@
build/afl/obj/%.o: compiler/%.c $(HDR) | deps-check
	@mkdir -p $(dir $@)
	$(AFL_CC) $(WARN) -O2 -g $(CJSON_CFLAGS) -D_POSIX_C_SOURCE=200809L -c $< -o $@

build/tc0c: build/obj/main.o $(OBJ)
	$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS)
build/asan/tc0c: build/asan/obj/main.o $(SAN_OBJ)
	$(CC) $(SAN_FLAGS) $^ -o $@ $(LDLIBS)
build/clang-asan/tc0c: build/clang-asan/obj/main.o $(CSAN_OBJ)
	$(CLANG) $(CLANG_SAN_FLAGS) $^ -o $@ $(LDLIBS)

# The fuzzing harness (tests/fuzz/harness.c): plain, sanitized, and AFL++.
build/fuzz_harness: tests/fuzz/harness.c $(OBJ) $(HDR)
	$(CC) $(ALL_CFLAGS) -Icompiler $< $(OBJ) -o $@ $(LDLIBS)
build/asan/fuzz_harness: tests/fuzz/harness.c $(SAN_OBJ) $(HDR)
	$(CC) $(WARN) $(SAN_FLAGS) $(CJSON_CFLAGS) -D_POSIX_C_SOURCE=200809L -Icompiler $< $(SAN_OBJ) -o $@ $(LDLIBS)
build/clang-asan/fuzz_harness: tests/fuzz/harness.c $(CSAN_OBJ) $(HDR)
	$(CLANG) $(WARN) $(CLANG_SAN_FLAGS) $(CJSON_CFLAGS) -D_POSIX_C_SOURCE=200809L -Icompiler $< $(CSAN_OBJ) -o $@ \
	  $(LDLIBS)
build/afl/fuzz_harness: tests/fuzz/harness.c $(AFL_OBJ) $(HDR)
	$(AFL_CC) $(WARN) -O2 -g $(CJSON_CFLAGS) -D_POSIX_C_SOURCE=200809L -Icompiler $< $(AFL_OBJ) -o $@ $(LDLIBS)

build/tests/%: tests/%.c tests/check.h $(OBJ) $(HDR)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Icompiler $< $(OBJ) -o $@ $(LDLIBS)
build/asan/tests/%: tests/%.c tests/check.h $(SAN_OBJ) $(HDR)
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(SAN_FLAGS) $(CJSON_CFLAGS) -D_POSIX_C_SOURCE=200809L -Icompiler $< $(SAN_OBJ) -o $@ $(LDLIBS)
build/clang-asan/tests/%: tests/%.c tests/check.h $(CSAN_OBJ) $(HDR)
	@mkdir -p $(dir $@)
	$(CLANG) $(WARN) $(CLANG_SAN_FLAGS) $(CJSON_CFLAGS) -D_POSIX_C_SOURCE=200809L -Icompiler $< $(CSAN_OBJ) -o $@ \
	  $(LDLIBS)

# Installs missing Debian packages (only when something is missing).
deps:
	@scripts/install-deps.sh --if-missing
deps-check:
	@pkg-config --exists libcjson 2>/dev/null || test -f /usr/include/cjson/cJSON.h || \
	  { echo "libcjson-dev is missing: run 'make deps'"; exit 1; }

demo: deps build/tc0c
	@scripts/demo.sh $(MODEL) $(N)

# Every test, normal build and sanitizer build; ends with "N passed, N failed".
# The builds and the suites (tests/run.sh) run TEST_JOBS at a time (default:
# one per CPU; TEST_JOBS=1: one after another); a `make -jN test` keeps its
# own job count for the builds.
TEST_JOBS ?= $(shell nproc 2>/dev/null || echo 1)
TEST_BUILD := build/tc0c build/asan/tc0c $(TESTS) $(SAN_TESTS) build/fuzz_harness build/asan/fuzz_harness \
  $(CLANG_BUILD)
.PHONY: test-build
test:
	@$(MAKE) --no-print-directory $(if $(findstring jobserver,$(MAKEFLAGS)),,-j$(TEST_JOBS)) test-build
	@TEST_JOBS=$(TEST_JOBS) tests/run.sh
test-build: $(TEST_BUILD)

# AFL++ campaigns on the three harnesses (check, run, compile), FUZZ_TIME
# seconds each, run side by side under nice; seeds: models/, tests/bad/,
# tests/json/, tests/fuzz/; dictionary tests/fuzz/tc0c.dict.  Crashes and
# hangs land in build/fuzz/<harness>/default/{crashes,hangs}; copy them to
# tests/fuzz/<harness>/ so that `make test` replays them (docs/testing.md).
FUZZ_TIME ?= 1800
fuzz: build/afl/fuzz_harness
	@tests/fuzz/fuzz.sh $(FUZZ_TIME)

# Differential testing of random models (docs/testing.md): DIFF_MODELS
# models from seed DIFF_SEED, run against verify, Verilog in the simulators
# on a sample.
DIFF_MODELS ?= 2000
DIFF_SEED   ?= 1
difftest: build/tc0c
	$(PYTHON) tests/difftest.py --models $(DIFF_MODELS) --seed $(DIFF_SEED) --tc0c build/tc0c

# Every benchmark in bench/: one "name: value unit" line per figure, and
# build/bench/results.json.
bench: build/tc0c
	@bench/run.sh

# Rewrites tests/baselines.json (gates, wires, edges, depth of every model in
# models/ and models/typical/ at n = 8 and 16) after a deliberate change;
# make test fails when depth grows or a size grows by more than 5%.
.PHONY: baselines
baselines: build/tc0c
	$(PYTHON) scripts/baselines.py --write

lint:
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
	  --std=c11 --inline-suppr --suppress=missingIncludeSystem compiler tests
	clang-tidy --quiet $(LIB_SRC) compiler/main.c -- $(WARN) $(CJSON_CFLAGS) -D_POSIX_C_SOURCE=200809L
	clang-format --dry-run --Werror compiler/*.c compiler/*.h tests/*.c tests/*.h
	$(PYTHON) scripts/check_paths.py

format:
	clang-format -i compiler/*.c compiler/*.h tests/*.c tests/*.h

clean:
	rm -rf build

# FPGA board build: the model compiled for N tokens, the UART wrapper,
# synthesis, and for iCE40 boards place and route and a bitstream, under
# build/board/BOARD/.  Boards: boards/*.mk; see docs/boards.md.
#   make board BOARD=icebreaker MODEL=models/majority.json N=8
BOARD   ?= icebreaker
.PHONY: board
board: build/tc0c
	@boards/board.sh $(BOARD) $(MODEL) $(N)

# Simulation of one compiled netlist against the reference model, in
# Verilator or Icarus (sim/sim.sh; docs/simulation.md):
#   make sim MODEL=models/dyck1.json N=8 PIPELINE=2 SIM=icarus GATES=maj
PIPELINE ?= 0
SIM      ?= verilator
GATES    ?= thr
.PHONY: sim
sim: build/tc0c
	@sim/sim.sh $(MODEL) $(N) $(PIPELINE) $(SIM) $(GATES)

# Hardware measurements (docs/reports.md).  `make report MODEL=... N=...`:
# compiler stats and Yosys figures (threshold netlist and, with --emit-ref,
# the arithmetic reference RTL) in build/report/<name>_n<N>.{json,md};
# `make scaling`: docs/scaling.md table and docs/scaling.png; `make
# tradeoff`: docs/tradeoff.md and docs/tradeoff.png, depth against size for
# each depth budget (synth/tradeoff.py, TRADEOFF_FLAGS=); `make equiv
# MODEL=... N=...`: formal equivalence proofs (Yosys SAT; EQUIV_FLAGS=
# --method both adds ABC).  Every Yosys run has a timeout; figures skipped
# for size or timed out are said in the output.
# Sweeps (make scaling) run as a list of jobs (scripts/sweep.py,
# docs/cluster.md): RUNNER=local runs JOBS at a time here (default: one per
# CPU), RUNNER=slurm submits a Slurm job array (a real cluster, or the
# private one of scripts/cluster.sh start).
RUNNER ?= local
JOBS   ?=
.PHONY: report scaling tradeoff equiv
report: build/tc0c
	$(PYTHON) synth/report.py $(MODEL) $(N) $(REPORT_FLAGS)
scaling: build/tc0c
	$(PYTHON) synth/scaling.py --runner $(RUNNER) $(if $(JOBS),-j $(JOBS)) $(SCALING_FLAGS)
tradeoff: build/tc0c
	$(PYTHON) synth/tradeoff.py $(TRADEOFF_FLAGS)
equiv: build/tc0c
	$(PYTHON) synth/equiv.py $(MODEL) $(N) $(EQUIV_FLAGS)

# Trained models (docs/training.md): `make train` trains, quantizes and
# exports models/trained/*.{pt,json} and writes models/trained/REPORT.md;
# `make train-test` tests the exporter and the integer mirror against tc0c.
# Both need Debian's python3-torch (CPU); `make test` covers the committed
# models without it (tests/trained.sh).
TORCH_PYTHON ?= /usr/bin/python3
TRAIN_TASKS  ?= majority dyck1 dyck1_softmax dyck1_preln
TORCH_CHECK   = @$(TORCH_PYTHON) -c 'import torch, numpy' 2>/dev/null || { echo "$(TORCH_PYTHON) lacks torch/numpy: \
  apt-get install python3-torch python3-numpy (or TORCH_PYTHON=/path/to/python3)"; exit 1; }
.PHONY: train train-test
train: build/tc0c
	$(TORCH_CHECK)
	@for t in $(TRAIN_TASKS); do echo "== train/train.py $$t"; $(TORCH_PYTHON) train/train.py $$t || exit 1; done
	$(TORCH_PYTHON) train/report_trained.py
train-test: build/tc0c
	$(TORCH_CHECK)
	$(TORCH_PYTHON) train/test_quantize.py build/tc0c
	bash tests/trained.sh build/tc0c
