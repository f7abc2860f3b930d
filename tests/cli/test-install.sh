#!/bin/sh
# test-install.sh: `make install` puts the contract's files in place, the
# shared library exports the public API only, and programs build against
# the installed header and pkg-config file, and against build/.
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"

top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-build}
case $build in
/*)	;;
*)	build=$top/$build ;;
esac
dest=$tmp/dest

check "make install into a DESTDIR" \
    make -s -C "$top" B="$build" install DESTDIR="$dest" PREFIX=/usr
for f in bin/qshmctl include/qshm.h lib/libqshm.a lib/libqshm.so \
    lib/libqshm.so.0 lib/pkgconfig/qshm.pc share/man/man7/qshm.7 \
    share/man/man3/shm_create_handle.3 share/man/man3/mmap_handle_pid.3; do
	check "installed $f" test -e "$dest/usr/$f"
done

soname=$(readelf -d "$build/libqshm.so" | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')
check "SONAME is libqshm.so.0 (got $soname)" test "$soname" = libqshm.so.0

nm -D --defined-only "$build/libqshm.so" | awk '$2 == "T" { print $3 }' \
    | sed 's/@.*//' >"$tmp/syms"
check "libqshm.so exports the QNX calls" \
    grep -qx 'shm_open_handle_pid' "$tmp/syms"
bad=$(grep -v -e '^shm_' -e '^mmap_handle' -e '^qshm_' "$tmp/syms" |
    tr '\n' ' ')
check "libqshm.so exports nothing else (extra: $bad)" test -z "$bad"

# An instrumented build (make check SANITIZE=1, make coverage) links its
# users the same way.
san=
nm "$build/libqshm.a" 2>/dev/null >"$tmp/libsyms"
if grep -q __asan_ "$tmp/libsyms"; then
	san=-fsanitize=address,undefined
elif grep -q __gcov_ "$tmp/libsyms"; then
	san=--coverage
fi

broker_start
pc="env PKG_CONFIG_SYSROOT_DIR=$dest PKG_CONFIG_PATH=$dest/usr/lib/pkgconfig"
flags=$($pc pkg-config --cflags --libs qshm)
check "a program builds with pkg-config against the installed files" \
    cc -std=c11 -D_GNU_SOURCE -Wall -Werror $san -o "$tmp/consumer-so" \
    "$top/tests/install/consumer.c" $flags
rc 0 "it runs against the installed libqshm.so" \
    env LD_LIBRARY_PATH="$dest/usr/lib" "$tmp/consumer-so"
check "it loaded the installed library" \
    sh -c "LD_LIBRARY_PATH=$dest/usr/lib ldd $tmp/consumer-so |
    grep -q '$dest/usr/lib/libqshm.so.0'"
check "a program builds with -I lib build/libqshm.a -lpthread" \
    cc -std=c11 -D_GNU_SOURCE -Wall -Werror $san -I "$top/lib" \
    -o "$tmp/consumer-a" "$top/tests/install/consumer.c" \
    "$build/libqshm.a" -lpthread
rc 0 "the static build runs" "$tmp/consumer-a"
finish
