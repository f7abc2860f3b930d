# qshm: QNX shared-memory handles for Linux.
#
#   make                 build/qshmctl, build/libqshm.{a,so}, build/qshm.pc
#   make demo            a broker, a grant, a second process using it
#   make check           every test suite (SANITIZE=1: under ASan/UBSan,
#                        in build-san/)
#   make valgrind        integration suites with the broker under memcheck
#   make fuzz            each libFuzzer target FUZZ_SECONDS (20) seconds
#   make bench           figures against physical limits (RECORD=1)
#   make coverage        make check instrumented (build-cov/), line coverage
#   make install         PREFIX=/usr/local DESTDIR= (give the same PREFIX
#                        to the build: the library looks for the broker in
#                        PREFIX/bin)
#   make clean

VERSION		= 0.1.0
PREFIX		?= /usr/local
BINDIR		?= $(PREFIX)/bin
LIBDIR		?= $(PREFIX)/lib
INCLUDEDIR	?= $(PREFIX)/include
PKGCONFIGDIR	?= $(LIBDIR)/pkgconfig
MANDIR		?= $(PREFIX)/share/man
DESTDIR		?=

CC		?= cc
CFLAGS		?= -O2 -g
ifeq ($(SANITIZE),1)
B		:= build-san
else
B		:= build
endif

QCFLAGS		:= -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -fPIC \
		   -Ilib -DQSHM_VERSION='"$(VERSION)"' \
		   -DQSHM_BINDIR='"$(BINDIR)"'
QLDFLAGS	:=
ifeq ($(SANITIZE),1)
QCFLAGS		+= -fsanitize=address,undefined -fno-omit-frame-pointer \
		   -fno-sanitize-recover=all
QLDFLAGS	+= -fsanitize=address,undefined
endif

LIB_SRCS	:= $(wildcard lib/*.c)
BROKER_SRCS	:= $(wildcard lib/broker/*.c)
CLI_SRCS	:= $(wildcard cli/*.c)
LIB_OBJS	:= $(LIB_SRCS:%.c=$(B)/obj/%.o)
BROKER_OBJS	:= $(BROKER_SRCS:%.c=$(B)/obj/%.o)
CLI_OBJS	:= $(CLI_SRCS:%.c=$(B)/obj/%.o)

UNIT_SRCS	:= $(wildcard tests/unit/test-*.c)
INTEG_SRCS	:= $(wildcard tests/integration/test-*.c)
UNIT_BINS	:= $(UNIT_SRCS:%.c=$(B)/%)
INTEG_BINS	:= $(INTEG_SRCS:%.c=$(B)/%)
INTEG_COMMON	:= $(wildcard tests/integration/common.c)
DEMO_BINS	:= $(B)/tests/demo/demo-reader $(B)/tests/demo/demo-writer \
		   $(B)/tests/demo/secure-recipe

# Pages that document several functions, and the names that lead to them.
MAN3_ALIASES	:= shm_create_subrange_handle:shm_create_handle \
		   shm_open_handle_pid:shm_open_handle \
		   mmap_handle_pid:mmap_handle \
		   qshm_getrlimit:qshm_shm_open qshm_setrlimit:qshm_shm_open \
		   shm_ctl_special:shm_ctl qshm_state_str:qshm_admin \
		   $(patsubst %,%:qshm_admin,qshm_handle_limit \
		   qshm_list_handles qshm_list_objects qshm_stats qshm_park \
		   qshm_list_uids \
		   qshm_open_parked qshm_unpark qshm_admin_revoke \
		   qshm_socket_path qshm_error_detail qshm_reason_str)

DEPS_PKGS	:= libcmocka-dev libedit-dev libjansson-dev libncurses-dev \
		   libbsd-dev libmd-dev pkg-config jq xxd bsdextrautils mandoc \
		   g++ libgmock-dev

all: $(B)/qshmctl $(B)/libqshm.a $(B)/libqshm.so $(B)/qshm.pc $(SD_UNITS)

$(B)/obj/%.o: %.c $(wildcard lib/*.h lib/broker/*.h cli/*.h) | deps-quiet
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(QCFLAGS) -c -o $@ $<

$(B)/libqshm.a: $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(B)/libqshm.so: $(LIB_OBJS) lib/libqshm.map
	$(CC) $(CFLAGS) $(QLDFLAGS) -shared -Wl,-soname,libqshm.so.0 \
	    -Wl,--version-script=lib/libqshm.map -o $@ $(LIB_OBJS) -lpthread

$(B)/qshm.pc: lib/qshm.pc.in Makefile
	@mkdir -p $(B)
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
	    -e 's|@VERSION@|$(VERSION)|' lib/qshm.pc.in > $@

# qshmctl links jansson and libedit (with libedit's libtinfo, libbsd and
# libmd) from their Debian .a files: the dynamic loader then maps libc
# alone, as for /bin/true.  Loading and relocating those five shared
# libraries was most of what `qshmctl --version` cost: 885 us against
# 650 us static (median of 400 runs, three rounds; lsipc --version 885 us).
# dlopen of libedit for the shell alone would still leave jansson and its
# loader work; -Wl,-O1, --hash-style=gnu and --as-needed changed nothing
# measurable.  The binary grows from 0.74 to 1.1 MB.
QSHMCTL_LIBS	:= -Wl,-Bstatic -ljansson -ledit -ltinfo -lbsd -lmd \
		   -Wl,-Bdynamic -lpthread

$(B)/qshmctl: $(CLI_OBJS) $(BROKER_OBJS) $(B)/libqshm.a Makefile
	$(CC) $(CFLAGS) $(QLDFLAGS) -o $@ $(CLI_OBJS) $(BROKER_OBJS) \
	    $(B)/libqshm.a $(QSHMCTL_LIBS)

# Unit tests may reach into the broker's modules.
$(B)/tests/unit/%: tests/unit/%.c $(BROKER_OBJS) $(B)/libqshm.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(QCFLAGS) -Ilib/broker -o $@ $< $(BROKER_OBJS) \
	    $(B)/libqshm.a -lcmocka -ljansson -lpthread $(QLDFLAGS)

$(B)/tests/integration/%: tests/integration/%.c $(INTEG_COMMON) \
    $(wildcard tests/integration/*.h lib/*.h lib/broker/*.h) $(B)/libqshm.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(QCFLAGS) -Itests/integration -o $@ $< \
	    $(INTEG_COMMON) $(B)/libqshm.a -lcmocka -lpthread $(QLDFLAGS)

# C++ that names the QNX calls as ported code does (gmock), compiled
# against the public header alone.
CXX		?= g++
CXX_BINS	:= $(B)/tests/integration/test-cxx

$(B)/tests/integration/test-cxx: tests/integration/test-cxx.cc lib/qshm.h \
    $(B)/libqshm.a
	@mkdir -p $(dir $@)
	$(CXX) $(CFLAGS) -std=c++17 -Wall -Wextra -Werror -Ilib \
	    $(filter -fsanitize% -fno-%,$(QCFLAGS)) -o $@ $< \
	    $(B)/libqshm.a -lgmock -lgtest -lpthread $(QLDFLAGS)

$(B)/tests/demo/%: tests/demo/%.c $(B)/libqshm.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(QCFLAGS) -o $@ $< $(B)/libqshm.a -lpthread \
	    $(QLDFLAGS)

# The shell, completions and man page suites: a pseudo-terminal driver,
# and the tokenizer's unit test, which links the one cli/ object it tests.
SHELL_TESTS	:= $(wildcard tests/shell/test-*.sh)
SHELL_BINS	:= $(B)/tests/shell/ptydrive
BASHCOMPDIR	?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR	?= $(PREFIX)/share/zsh/site-functions
FISHCOMPDIR	?= $(PREFIX)/share/fish/vendor_completions.d

$(B)/tests/shell/%: tests/shell/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(QCFLAGS) -o $@ $< -lutil $(QLDFLAGS)

$(B)/tests/unit/test-tokenize: tests/unit/test-tokenize.c \
    $(B)/obj/cli/tokenize.o
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(QCFLAGS) -Icli -o $@ $< $(B)/obj/cli/tokenize.o \
	    -lcmocka $(QLDFLAGS)

# The encoder of hostile names: the one cli/ object it tests.
$(B)/tests/unit/test-enc: tests/unit/test-enc.c $(B)/obj/cli/enc.o
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(QCFLAGS) -Icli -o $@ $< $(B)/obj/cli/enc.o \
	    -lcmocka $(QLDFLAGS)

install-completions:
	install -d $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) \
	    $(DESTDIR)$(FISHCOMPDIR)
	install -m 0644 completions/qshmctl.bash \
	    $(DESTDIR)$(BASHCOMPDIR)/qshmctl
	install -m 0644 completions/_qshmctl $(DESTDIR)$(ZSHCOMPDIR)/_qshmctl
	install -m 0644 completions/qshmctl.fish \
	    $(DESTDIR)$(FISHCOMPDIR)/qshmctl.fish

# The system broker's systemd units (lib/broker/systemd), installed
# under $(SYSTEMDUNITDIR); qshm.service names the installed qshmctl.
SYSTEMDUNITDIR	?= $(PREFIX)/lib/systemd/system
SD_UNITS	:= $(B)/systemd/qshm.socket $(B)/systemd/qshm.service

$(B)/systemd/qshm.socket: lib/broker/systemd/qshm.socket
	@mkdir -p $(dir $@)
	cp $< $@

$(B)/systemd/qshm.service: lib/broker/systemd/qshm.service.in Makefile
	@mkdir -p $(dir $@)
	sed -e 's|@BINDIR@|$(BINDIR)|g' $< > $@

install-systemd: $(SD_UNITS)
	install -d $(DESTDIR)$(SYSTEMDUNITDIR)
	install -m 0644 $(SD_UNITS) $(DESTDIR)$(SYSTEMDUNITDIR)/

demo: deps all $(DEMO_BINS)
	@sh tests/demo/demo.sh $(B)

check: deps all $(UNIT_BINS) $(INTEG_BINS) $(CXX_BINS) $(DEMO_BINS) \
    $(SHELL_BINS)
	@sh tests/run.sh $(B) $(UNIT_BINS) $(INTEG_BINS) $(CXX_BINS) \
	    $(wildcard tests/cli/test-*.sh) $(SHELL_TESTS)

# make bench: figures against baselines measured in the same run (not part
# of make check).  RECORD=1 also writes tests/bench/RESULTS.md.
BENCH_SRCS	:= tests/bench/bench.c tests/bench/bench-util.c \
		   tests/bench/bench-cycle.c tests/bench/bench-scale.c \
		   tests/bench/bench-exec.c tests/bench/fdpass.c
BENCH_BINS	:= $(B)/tests/bench/bench $(B)/tests/bench/minibroker
BENCH_ARGS	:= $(if $(filter 1,$(RECORD)),--record tests/bench/RESULTS.md)

$(B)/tests/bench/bench: $(BENCH_SRCS) $(wildcard tests/bench/*.h) \
    $(B)/libqshm.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(QCFLAGS) -o $@ $(BENCH_SRCS) $(B)/libqshm.a \
	    -lpthread $(QLDFLAGS)

$(B)/tests/bench/minibroker: tests/bench/minibroker.c tests/bench/fdpass.c \
    tests/bench/fdpass.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(QCFLAGS) -o $@ tests/bench/minibroker.c \
	    tests/bench/fdpass.c $(QLDFLAGS)

bench: all $(BENCH_BINS)
	$(B)/tests/bench/bench --qshmctl $(B)/qshmctl \
	    --minibroker $(B)/tests/bench/minibroker $(BENCH_ARGS) $(BENCH)

.PHONY: bench

install: all install-completions install-systemd
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) \
	    $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(PKGCONFIGDIR)
	install -m 0755 $(B)/qshmctl $(DESTDIR)$(BINDIR)/qshmctl
	install -m 0644 $(B)/libqshm.a $(DESTDIR)$(LIBDIR)/libqshm.a
	install -m 0755 $(B)/libqshm.so \
	    $(DESTDIR)$(LIBDIR)/libqshm.so.$(VERSION)
	ln -sf libqshm.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libqshm.so.0
	ln -sf libqshm.so.0 $(DESTDIR)$(LIBDIR)/libqshm.so
	install -m 0644 lib/qshm.h $(DESTDIR)$(INCLUDEDIR)/qshm.h
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
	    -e 's|@VERSION@|$(VERSION)|' lib/qshm.pc.in \
	    > $(DESTDIR)$(PKGCONFIGDIR)/qshm.pc
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man3 \
	    $(DESTDIR)$(MANDIR)/man7
	for m in $(wildcard man/*.1); do \
	    install -m 0644 $$m $(DESTDIR)$(MANDIR)/man1/; done
	for m in $(wildcard man/*.3); do \
	    install -m 0644 $$m $(DESTDIR)$(MANDIR)/man3/; done
	for m in $(wildcard man/*.7); do \
	    install -m 0644 $$m $(DESTDIR)$(MANDIR)/man7/; done
	for a in $(MAN3_ALIASES); do \
	    ln -sf $${a#*:}.3 $(DESTDIR)$(MANDIR)/man3/$${a%:*}.3; done

# Install the build dependencies when root; name the apt-get line if not.
deps:
	@missing=; for p in $(DEPS_PKGS); do \
	    dpkg-query -W -f='$${Status}' $$p 2>/dev/null | \
	    grep -q 'ok installed' || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	    if [ "$$(id -u)" = 0 ]; then \
		echo "installing:$$missing"; \
		apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		    $$missing >/dev/null || exit 1; \
	    else \
		echo "missing packages; as root run:"; \
		echo "  apt-get install -y$$missing"; exit 1; \
	    fi; \
	fi

deps-quiet:
	@[ -e /usr/include/jansson.h ] && [ -e /usr/include/cmocka.h ] && \
	    [ -e /usr/include/histedit.h ] || $(MAKE) --no-print-directory deps

clean:
	rm -rf $(B)

.PHONY: all demo check install install-completions install-systemd deps deps-quiet clean

# --- hardening: valgrind, fuzzing, coverage (tests/README.md) ---

# The broker of each integration suite runs under memcheck; the suite fails
# unless the broker exits 0, which it cannot with an error or a leak.
VALGRIND_SUITES	:= test-api test-broker test-admin test-hostile
VALGRIND_CMD	:= valgrind -q --vgdb=no --leak-check=full \
		   --show-leak-kinds=definite,indirect,possible \
		   --errors-for-leak-kinds=definite,indirect,possible \
		   --error-exitcode=99

valgrind: all $(INTEG_BINS)
	@QT_BROKER_WRAPPER="$(VALGRIND_CMD)" sh tests/run.sh $(B) \
	    $(filter $(VALGRIND_SUITES:%=$(B)/tests/integration/%), \
	    $(INTEG_BINS))

FUZZ_CC		?= clang
FUZZ_SECONDS	?= 20
FUZZ_CFLAGS	:= -g -O1 -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror \
		   -fsanitize=fuzzer,address,undefined \
		   -fno-sanitize-recover=all -Ilib -Icli
FUZZ_TARGETS	:= proto_decode parse tokenize
FUZZ_BINS	:= $(FUZZ_TARGETS:%=$(B)/fuzz/fuzz-%)

$(B)/fuzz/fuzz-proto_decode: tests/fuzz/fuzz-proto_decode.c lib/proto.c \
    lib/proto.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $(filter %.c,$^)

$(B)/fuzz/fuzz-parse: tests/fuzz/fuzz-parse.c cli/parse.c cli/cmd.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $(filter %.c,$^)

$(B)/fuzz/fuzz-tokenize: tests/fuzz/fuzz-tokenize.c cli/tokenize.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $(filter %.c,$^)

# New inputs go to $(B)/fuzz/work-T; the seeds in tests/fuzz/corpus stay.
fuzz: $(FUZZ_BINS)
	@for t in $(FUZZ_TARGETS); do \
	    mkdir -p $(B)/fuzz/work-$$t && \
	    echo "fuzz-$$t: $(FUZZ_SECONDS) s" && \
	    $(B)/fuzz/fuzz-$$t -max_total_time=$(FUZZ_SECONDS) \
		-print_final_stats=1 -artifact_prefix=$(B)/fuzz/crash-$$t- \
		$(B)/fuzz/work-$$t tests/fuzz/corpus/$$t \
		>$(B)/fuzz/fuzz-$$t.log 2>&1 || \
		{ tail -n 40 $(B)/fuzz/fuzz-$$t.log; exit 1; }; \
	    grep -E '^stat::number_of_executed_units' \
		$(B)/fuzz/fuzz-$$t.log; \
	done

# An instrumented build in build-cov, its make check, and gcovr's line
# coverage of lib/ (the broker included).
coverage:
	@command -v gcovr >/dev/null || \
	    { echo "coverage needs gcovr: apt-get install gcovr"; exit 1; }
	rm -rf build-cov
	$(MAKE) --no-print-directory B=build-cov \
	    CFLAGS='-O0 -g --coverage -DQT_COVERAGE' check
	gcovr -r . --object-directory build-cov --filter 'lib/' \
	    -o build-cov/coverage.txt --print-summary
	@cat build-cov/coverage.txt

.PHONY: valgrind fuzz coverage
