#!/bin/sh
# test-systemd.sh: the system broker's systemd units install under
# PREFIX/lib/systemd/system, pass `systemd-analyze verify` (skipped, and
# said so, where systemd-analyze is missing), and `qshmctl list broker`
# shows the counters as a table and as JSON.
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"

top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-build}
case $build in
/*)	;;
*)	build=$top/$build ;;
esac
dest=$tmp/dest
units=$dest/usr/lib/systemd/system

check "make install-systemd into a DESTDIR" \
    make -s -C "$top" B="$build" install-systemd DESTDIR="$dest" PREFIX=/usr
check "qshm.socket installed" test -f "$units/qshm.socket"
check "qshm.service installed" test -f "$units/qshm.service"
check "qshm.service runs the installed qshmctl" \
    grep -qx 'ExecStart=/usr/bin/qshmctl broker --system' \
    "$units/qshm.service"
check "qshm.socket listens where the library looks" \
    grep -qx 'ListenSequentialPacket=/run/qshm/broker.sock' \
    "$units/qshm.socket"

if command -v systemd-analyze >/dev/null 2>&1; then
	# Verified against this build's qshmctl: /usr/bin has none here.
	mkdir -p "$tmp/v"
	cp "$units/qshm.socket" "$tmp/v/"
	sed "s|/usr/bin/qshmctl|$Q|" "$units/qshm.service" \
	    >"$tmp/v/qshm.service"
	systemd-analyze verify --man=no "$tmp/v/qshm.socket" \
	    "$tmp/v/qshm.service" >"$tmp/verify" 2>&1
	vrc=$?
	check "systemd-analyze verify passes" test "$vrc" -eq 0
	# Only complaints about this host (no sysinit.target, no /bin/kill).
	if grep -v -e 'sysinit.target' -e '/bin/kill' "$tmp/verify" |
	    grep -q 'qshm'; then
		sed 's/^/# /' "$tmp/verify"
		not_ok "systemd-analyze has nothing to say about the units"
	else
		ok "systemd-analyze has nothing to say about the units"
	fi
else
	ok "# SKIP systemd-analyze verify: systemd-analyze is not installed"
fi

broker_start
"$Q" create --anon --size 4K >/dev/null
rc 0 "list broker" "$Q" list broker
grepq "the table counts the object" "$tmp/out" '^objects  *- *1 *65536$'
rc 0 "list broker --json" "$Q" -j list broker
jqt "one row per counter, typed" \
    '[.broker[] | select(.name == "objects")][0].value == 1'
jqt "and a row of our uid's usage" \
    "[.broker[] | select(.name == \"uid_parked\" and .uid == $(id -u))][0].value == 1"
finish
