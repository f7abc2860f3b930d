# qshm: QNX shared-memory handles for Linux.
#
#   make                 build/qshmctl, build/libqshm.{a,so}, build/qshm.pc
#   make demo            a broker, a grant, a second process using it
#   make check           every test suite (SANITIZE=1: under ASan/UBSan)
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
B		:= build

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

DEPS_PKGS	:= libcmocka-dev libedit-dev libjansson-dev pkg-config jq \
		   xxd bsdextrautils mandoc

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

$(B)/qshmctl: $(CLI_OBJS) $(BROKER_OBJS) $(B)/libqshm.a
	$(CC) $(CFLAGS) $(QLDFLAGS) -o $@ $(CLI_OBJS) $(BROKER_OBJS) \
	    $(B)/libqshm.a -ljansson -ledit -lpthread

# Unit tests may reach into the broker's modules.
$(B)/tests/unit/%: tests/unit/%.c $(BROKER_OBJS) $(B)/libqshm.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(QCFLAGS) -Ilib/broker -o $@ $< $(BROKER_OBJS) \
	    $(B)/libqshm.a -lcmocka -ljansson -lpthread $(QLDFLAGS)

$(B)/tests/integration/%: tests/integration/%.c $(INTEG_COMMON) \
    $(wildcard tests/integration/*.h) $(B)/libqshm.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(QCFLAGS) -Itests/integration -o $@ $< \
	    $(INTEG_COMMON) $(B)/libqshm.a -lcmocka -lpthread $(QLDFLAGS)

$(B)/tests/demo/%: tests/demo/%.c $(B)/libqshm.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(QCFLAGS) -o $@ $< $(B)/libqshm.a -lpthread \
	    $(QLDFLAGS)

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

check: deps all $(UNIT_BINS) $(INTEG_BINS) $(DEMO_BINS)
	@sh tests/run.sh $(B) $(UNIT_BINS) $(INTEG_BINS) \
	    $(wildcard tests/cli/test-*.sh)

install: all install-systemd
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

.PHONY: all demo check install install-systemd deps deps-quiet clean
