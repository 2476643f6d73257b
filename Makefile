# targetprop.h: build the examples, run the tests, fetch data, train.
#   make            every example, into build/
#   make test       the test suite and the compile matrix (C99, C++, OpenMP or not, static)
#   make mnist      fetch MNIST if needed, then train the paper's MNIST FC net with DTP
#   make cifar      fetch CIFAR-10 if needed, then train the paper's CIFAR LC net with BP
#   make bench      training throughput of the nets and rules bench runs by default (and the PyTorch peer)
#   make figures    the paper's Figures 4 to 8 (search, aux sweep, autoencoder, curves) and every rule's
#                   alignment with BP, ~25 minutes
#   make sanitize   the tests under AddressSanitizer and UndefinedBehaviorSanitizer
#   make fuzz       libFuzzer on every parser (IDX, CIFAR-10, checkpoint, spec)
#   make valgrind   a short training of every rule under valgrind
#   make train-mpi  train built with Open MPI for data-parallel runs over many processes (mpicc)
#   NO_OMP=1        build without OpenMP
CC      ?= cc
CXX     ?= c++
CFLAGS  ?= -O3 -Wall -Wextra
BUILD   ?= build

probe    = $(shell printf 'int main(void){return 0;}\n' | $(CC) $(1) -x c - -o /dev/null 2>/dev/null && echo "$(1)")
ifeq ($(NO_OMP),)
OMPFLAG := $(call probe,-fopenmp)
endif
ARCHFLAGS := $(call probe,-march=native) $(call probe,-mprefer-vector-width=512) $(call probe,-ffp-contract=fast) \
             $(call probe,-fno-math-errno)
ALL_CFLAGS = $(CFLAGS) $(ARCHFLAGS) $(OMPFLAG) -I.
LDLIBS  = -lm

EXAMPLES = train minimal bench plot search autoencoder aux_sweep inspect
BINS     = $(addprefix $(BUILD)/,$(EXAMPLES))

.PHONY: all test sanitize valgrind cross fuzz check-compile data data-cifar data-fashion mnist cifar bench figures clean playground train-mpi
all: $(BINS)

$(BUILD)/%: examples/%.c $(wildcard examples/*.h) targetprop.h | $(BUILD)
	$(CC) $(ALL_CFLAGS) $< -o $@ $(LDLIBS)

# train for data-parallel runs: one process per node or socket, OpenMP threads inside (examples/train.c's top).
MPICC ?= mpicc
train-mpi: $(BUILD)/train-mpi
$(BUILD)/train-mpi: examples/train.c $(wildcard examples/*.h) targetprop.h | $(BUILD)
	$(MPICC) -DTP_MPI $(ALL_CFLAGS) $< -o $@ $(LDLIBS)

$(BUILD)/test: tests/test.c targetprop.h | $(BUILD)
	$(CC) $(ALL_CFLAGS) tests/test.c -o $@ $(LDLIBS)

# The collapse watch (examples/run.h) on a constructed collapse and on every log in results/, where
# only the runs results/README.md reports as fallen to chance may raise it.
COLLAPSED = results/mnist-fc-sdtp-parallel-table5.csv,results/mnist-fc-sdtp-parallel-table5-diagnostics.csv
$(BUILD)/collapse: tests/collapse.c $(wildcard examples/*.h) targetprop.h | $(BUILD)
	$(CC) $(ALL_CFLAGS) tests/collapse.c -o $@ $(LDLIBS)

$(BUILD)/pictures: tests/pictures.c $(wildcard examples/*.h) targetprop.h | $(BUILD)
	$(CC) $(ALL_CFLAGS) tests/pictures.c -o $@ $(LDLIBS)

$(BUILD):
	mkdir -p $(BUILD)

test: $(BUILD)/test $(BUILD)/train $(BUILD)/fuzz-regress $(BUILD)/alloc-fail $(BUILD)/search $(BUILD)/plot $(BUILD)/bench \
      $(BUILD)/autoencoder $(BUILD)/aux_sweep $(BUILD)/inspect \
      $(BUILD)/pictures $(BUILD)/extra-rule $(BUILD)/misuse $(BUILD)/collapse check-compile
	MAKE="$(MAKE)" COLLAPSED="$(COLLAPSED)" tests/run.sh $(BUILD)

# A rule added from outside the header through TP_EXTRA_RULES, as the header's HOW TO ADD A RULE says.
$(BUILD)/extra-rule: tests/extra-rule.c targetprop.h | $(BUILD)
	$(CC) $(ALL_CFLAGS) tests/extra-rule.c -o $@ $(LDLIBS)

# Every public function called as a careless or hostile caller might (NULL, zero, huge, destroyed nets).
$(BUILD)/misuse: tests/misuse.c targetprop.h | $(BUILD)
	$(CC) -O1 -g -Wall -Wextra -I. tests/misuse.c -o $@ $(LDLIBS)

$(BUILD)/alloc-fail: tests/alloc-fail.c targetprop.h | $(BUILD)
	$(CC) -O1 -g -Wall -Wextra -I. tests/alloc-fail.c -o $@ $(LDLIBS)

# Past fuzzer findings and a small corpus, replayed through every parser without libFuzzer.
$(BUILD)/fuzz-regress: tests/fuzz/regress.c tests/fuzz/*.h tests/fuzz/fuzz_*.c targetprop.h | $(BUILD)
	$(CC) -O1 -g -Wall -Wextra -I. tests/fuzz/regress.c -o $@ $(LDLIBS)

# A short training of every rule kind under valgrind: no invalid access, no leak.
valgrind: | $(BUILD)
	$(CC) -O1 -g -Wall -Wextra -I. examples/train.c -o $(BUILD)/train-vg $(LDLIBS)
	for r in $$(./$(BUILD)/train-vg --list-rules); do \
		valgrind --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite -q \
			./$(BUILD)/train-vg --dataset synthetic --synthetic-n 256 --arch "8x8x1 lc3x3/12/s2 lc3x3/4 conv3x3/4 fc16 fc10" \
			--rule $$r --aux 8 --epochs 2 --batch 32 --quiet --checkpoint $(BUILD)/vg.ckpt --save $(BUILD)/vg-final.ckpt \
			|| exit 1; \
	done
	@echo "valgrind: clean"

# The test suite for AArch64 (NEON tile), i386 and ARM32 under qemu-user, where their cross
# compilers are installed (tests/cross.sh says which and how); CI installs them.
cross:
	tests/cross.sh

# libFuzzer (clang) on every parser: FUZZ_SECONDS each (default 600).
fuzz:
	tests/fuzz/run.sh $(or $(FUZZ_SECONDS),600)

# The test suite under AddressSanitizer and UndefinedBehaviorSanitizer.
sanitize: | $(BUILD)
	$(CC) -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all \
		-Wall -Wextra -I. tests/test.c -o $(BUILD)/test-asan $(LDLIBS)
	$(CC) -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all \
		-Wall -Wextra -I. tests/fuzz/regress.c -o $(BUILD)/fuzz-regress-asan $(LDLIBS)
	$(CC) -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all \
		-Wall -Wextra -I. tests/alloc-fail.c -o $(BUILD)/alloc-fail-asan $(LDLIBS)
	$(CC) -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all \
		-Wall -Wextra -I. tests/misuse.c -o $(BUILD)/misuse-asan $(LDLIBS)
	mkdir -p $(BUILD)/asan
	for p in examples/train.c examples/search.c examples/plot.c examples/bench.c examples/autoencoder.c examples/aux_sweep.c examples/inspect.c \
		tests/pictures.c; do \
		$(CC) -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all \
			-Wall -Wextra -I. $$p -o $(BUILD)/asan/$$(basename $$p .c) $(LDLIBS) || exit 1; \
	done
	$(CC) -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all \
		-Wall -Wextra -I. tests/extra-rule.c -o $(BUILD)/extra-rule-asan $(LDLIBS)
	./$(BUILD)/alloc-fail-asan
	./$(BUILD)/misuse-asan
	./$(BUILD)/extra-rule-asan
	tests/examples.sh $(BUILD)/asan
	./$(BUILD)/test-asan
	./$(BUILD)/fuzz-regress-asan tests/fuzz/crashes tests/fuzz/corpus-min
	tests/kill-resume.sh $(BUILD)/asan/train

# The header compiles cleanly as C99 and C++, with and without OpenMP, and static.
check-compile: | $(BUILD)
	@printf '#define TARGETPROP_IMPLEMENTATION\n#include "targetprop.h"\nint main(void){ return tp_result_string(TP_OK) == 0; }\n' > $(BUILD)/cc.c
	@printf '#define TARGETPROP_STATIC\n#define TARGETPROP_IMPLEMENTATION\n#include "targetprop.h"\nint main(void){ return 0; }\n' > $(BUILD)/cs.c
	$(CC) -std=c99 -pedantic -Wall -Wextra -Werror -I. -c $(BUILD)/cc.c -o $(BUILD)/cc.o
	$(CC) -std=c99 -Wall -Wextra -Werror $(OMPFLAG) -I. -c $(BUILD)/cc.c -o $(BUILD)/cc.o
	$(CC) -std=c99 -Wall -Wextra -Werror -I. -c $(BUILD)/cs.c -o $(BUILD)/cs.o
	$(CXX) -x c++ -std=c++11 -Wall -Wextra -Werror -I. -c $(BUILD)/cc.c -o $(BUILD)/cc.o
	$(CXX) -x c++ -std=c++11 -Wall -Wextra -Werror $(OMPFLAG) -I. -c $(BUILD)/cc.c -o $(BUILD)/cc.o
	@echo "compile matrix: ok"

data:
	tools/fetch-mnist.sh data/mnist

data-cifar:
	tools/fetch-cifar10.sh data/cifar10

data-fashion:
	tools/fetch-fashion-mnist.sh data/fashion

mnist: $(BUILD)/train data
	./$(BUILD)/train --dataset mnist --arch mnist-fc --rule dtp --schedule alternating --epochs 10 \
		--log $(BUILD)/mnist-fc-dtp.csv

cifar: $(BUILD)/train data-cifar
	./$(BUILD)/train --dataset cifar10 --arch cifar-lc --rule bp --epochs 5 --log $(BUILD)/cifar-lc-bp.csv

figures: all data
	tools/figures.sh

bench: $(BUILD)/bench
	./$(BUILD)/bench

# The browser playground (examples/playground/README.md): targetprop.h built for wasm32 by clang with
# Debian's wasi-libc, and the page, into $(BUILD)/playground (open its index.html); the same training
# loop natively, to time it.
# Compiled, then linked without -O: clang's wasm32 driver runs whatever wasm-opt is on PATH when it
# links with -O, and binaryen's (which comes with emscripten) rejects the SIMD it was not told of.
WASM_CC    ?= clang
WASM_FLAGS ?= --target=wasm32-wasi --sysroot=/usr -O2 -msimd128 -std=c99 -Wall -Wextra
WASM_LINK  ?= --target=wasm32-wasi --sysroot=/usr
PG          = $(BUILD)/playground
playground: $(PG)/index.html $(PG)/playground.js $(PG)/targetprop-wasm.js $(BUILD)/playground-native

$(PG)/playground.o: examples/playground/playground.c targetprop.h | $(PG)
	$(WASM_CC) $(WASM_FLAGS) -I. -c $< -o $@

$(PG)/targetprop.wasm: $(PG)/playground.o
	$(WASM_CC) $(WASM_LINK) -mexec-model=reactor -Wl,-z,stack-size=1048576 -Wl,--strip-all $< -o $@

$(PG)/targetprop-wasm.js: $(PG)/targetprop.wasm
	{ printf 'window.TP_WASM = "'; base64 -w0 $<; printf '";\n'; } > $@

$(PG)/index.html $(PG)/playground.js: $(PG)/%: examples/playground/% | $(PG)
	cp $< $@

$(BUILD)/playground-native: examples/playground/playground.c targetprop.h | $(BUILD)
	$(CC) $(ALL_CFLAGS) $< -o $@ $(LDLIBS)

$(PG):
	mkdir -p $@

clean:
	rm -rf $(BUILD)
