#!/bin/sh
# qshmctl map-dump: xxd and canonical output byte for byte against xxd
# and hexdump -C (sizes, windows, squeezed runs), raw and JSON (base64),
# parked objects, handles (fd, NOFD, sub-range), and bad input.

# Recipient scripts are single-quoted: they expand in the recipient.
# shellcheck disable=SC2016
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"

broker_start
o=$pfx-dump
f=/dev/shm$o

# same DESC: compare $tmp/a and $tmp/b byte for byte.
same() {
	if cmp -s "$tmp/a" "$tmp/b"; then ok "$1"; else not_ok "$1"; fi
}

# windows LABEL: every window of $f against xxd and hexdump -C.
windows() {
	for w in "" "0 40" "5 40" "16 16" "17 100" "100 -" "4096 4096" \
	    "3 0" "1 1" "0 33"; do
		# shellcheck disable=SC2086 # split the window on purpose
		set -- $w
		xo='' ho='' mo=''
		if [ $# -ge 1 ]; then
			xo="-s $1"; ho="-s $1"; mo="--offset $1"
		fi
		if [ $# -ge 2 ] && [ "$2" != - ]; then
			xo="$xo -l $2"; ho="$ho -n $2"; mo="$mo --length $2"
		fi
		# shellcheck disable=SC2086 # the options split on purpose
		{
			"$Q" map-dump $mo "$o" >"$tmp/a"
			xxd $xo "$f" >"$tmp/b"
			same "$1: xxd, window '$w'"
			"$Q" map-dump --format canonical $mo "$o" >"$tmp/a"
			hexdump -C $ho "$f" >"$tmp/b"
			same "$1: hexdump -C, window '$w'"
		}
	done
}

for size in 0 1 15 16 17 4096 1048576; do
	head -c "$size" /dev/urandom >"$f"
	windows "random $size"
done
for size in 16 17 4096 100000; do
	head -c "$size" /dev/zero >"$f"
	windows "zeros $size"
done
# Runs of equal lines broken by other lines, and a partial last line.
{
	head -c 100 /dev/zero
	i=0
	while [ $i -lt 8 ]; do printf 'abcdefghijklmnop'; i=$((i + 1)); done
	printf 'x'
	head -c 4000 /dev/zero
	printf 'abcdefghijklmnopabcdefghijklmnopq'
} >"$f"
windows "runs"

# raw and json
head -c 1048576 /dev/urandom >"$f"
"$Q" map-dump --format raw "$o" >"$tmp/a"
cp "$f" "$tmp/b"
same "raw is the object's bytes"
"$Q" map-dump --format raw --offset 4095 --length 70000 "$o" >"$tmp/a"
tail -c +4096 "$f" | head -c 70000 >"$tmp/b"
same "raw window"
rc 0 "-j map-dump is JSON" "$Q" -j map-dump --offset 10 --length 1000 "$o"
jqt "JSON: typed offset and length" '.offset == 10 and .length == 1000 and
    .schema == 1 and .object == "'"$o"'"'
jq -r .base64 "$tmp/out" | base64 -d >"$tmp/a"
tail -c +11 "$f" | head -c 1000 >"$tmp/b"
same "JSON base64 decodes to the window"
rc 0 "--format json of 1 MiB" "$Q" map-dump --format json "$o"
jq -r .base64 "$tmp/out" | base64 -d >"$tmp/a"
cp "$f" "$tmp/b"
same "JSON base64 of the whole object"
: >"$f"
rc 0 "JSON of an empty object" "$Q" -j map-dump "$o"
jqt "JSON: length 0, empty base64" '.length == 0 and .base64 == ""'
rc 0 "-j with --format xxd prints xxd" "$Q" -j map-dump --format xxd "$o"

# A parked object.
rc 0 "create --anon" "$Q" -q create --anon --size 8K
anon=$(cat "$tmp/out")
"$Q" map-dump --format canonical "$anon" >"$tmp/a"
head -c 8192 /dev/zero | hexdump -C >"$tmp/b"
same "map-dump @N"

# Through handles granted to a shell that execs map-dump.
head -c 16384 /dev/urandom >"$f"
recipient 'exec "$Q" map-dump --format canonical --handle "$h"'
"$Q" -q grant "$o" --pid "$rpid" >"$tmp/h"
deliver "$(cat "$tmp/h")"
cp "$tmp/rout" "$tmp/a"
hexdump -C "$f" >"$tmp/b"
same "map-dump --handle (fd handle)"
recipient 'exec "$Q" map-dump --format raw --handle "$h"'
"$Q" -q grant "$o" --pid "$rpid" --nofd >"$tmp/h"
deliver "$(cat "$tmp/h")"
cp "$tmp/rout" "$tmp/a"
cp "$f" "$tmp/b"
same "map-dump --handle (NOFD handle, mapped)"
recipient 'exec "$Q" map-dump --format raw --handle "$h"'
"$Q" -q grant "$o" --pid "$rpid" --offset 4K --length 8K >"$tmp/h"
deliver "$(cat "$tmp/h")"
cp "$tmp/rout" "$tmp/a"
tail -c +4097 "$f" | head -c 8192 >"$tmp/b"
same "map-dump --handle (sub-range handle)"

# Bad input.
rc 2 "an unknown format" "$Q" map-dump --format hex "$o"
rc 2 "a bad offset" "$Q" map-dump --offset 12Q "$o"
rc 2 "a negative length" "$Q" map-dump --length -1 "$o"
rc 2 "neither OBJECT nor --handle" "$Q" map-dump
rc 2 "both OBJECT and --handle" "$Q" map-dump --handle 0x1 "$o"
rc 2 "a bad handle" "$Q" map-dump --handle zz
rc 1 "a missing object" "$Q" -j map-dump "$pfx-none"
jqt "JSON error: ENOENT" '.error.errno == 2 and .error.command == "map-dump"'
rc 1 "a handle not granted to us" "$Q" map-dump --handle 0x1234
grepq "... names the handle" "$tmp/err" '^qshmctl: map-dump: 0x1234: '

finish
