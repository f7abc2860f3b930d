#!/bin/sh
# qshmctl with hostile object names: bytes that are not UTF-8, terminal
# escapes, a newline, a tab, a backslash, a space, a C1 control, a
# bidirectional override, and valid UTF-8.  --json must parse and show
# U+FFFD for the bad bytes; text must hold no raw control byte and one
# line per row; argv naming such an object must work or fail cleanly.  Objects are /qshmtest-PID-...;
# lib.sh's trap removes them whatever happens.

# jq filters are single-quoted: $p is jq's, given with --arg.
# shellcheck disable=SC2016
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"

broker_start

bad=$(printf '\377\376')
esc=$(printf '\033[31mred')
nl=$(printf 'a\nb')
tab=$(printf 'a\tb')
bs='a\b'
utf='日本é'
sp='sp ace'
c1=$(printf '\302\233c1')
rlo=$(printf '\342\200\256rlo')
k=0
for x in "$bad" "$esc" "$nl" "$tab" "$bs" "$utf" "$sp" "$c1" "$rlo"; do
	: >"/dev/shm$pfx-$x"
	k=$((k + 1))
done
truncate -s 4096 "/dev/shm$pfx-$bad"
chmod 0640 "/dev/shm$pfx-$bad"

# jqa DESC FILTER [JQ ARGS...]: the JSON in $tmp/out makes FILTER true,
# with $p the prefix.  "input" makes an empty file fail, as jq 1.6's -e
# does not.
jqa() {
	d=$1
	f=$2
	shift 2
	if jq -e -n --arg p "$pfx" "$@" "input | ($f)" "$tmp/out" \
	    >/dev/null 2>&1; then
		ok "$d"
	else
		not_ok "$d"
		sed 's/^/#   /' "$tmp/out"
	fi
}

# clean DESC FILE: FILE holds no raw control byte (but newlines), no
# C1 control and no bidirectional formatting character.
raw_c0c1='[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]'
raw_bidi='\xd8\x9c|\xe2\x80[\x8e\x8f\xaa-\xae]|\xe2\x81[\xa6-\xa9]'
clean() {
	if LC_ALL=C grep -q -P "$raw_c0c1|$raw_bidi" "$2"; then
		not_ok "$1"
		od -c "$2" | sed 's/^/#   /'
	else
		ok "$1"
	fi
}

# has DESC FILE STRING: FILE holds STRING, as it is.
has() {
	if grep -q -F -e "$3" "$2"; then ok "$1"; else not_ok "$1"; fi
}

# list --json: it parses, the names are there, U+FFFD for bad bytes.
rc 0 "list --json with hostile names" "$Q" --json list --name "$pfx-*" \
    -o +dev,ino
jqa "... parses and has every object" ".objects | length == $k"
jqa "... \\xff\\xfe becomes U+FFFD twice" \
    '[.objects[].name] | index($p + "-\ufffd\ufffd") != null'
jqa "... ESC, newline, tab, backslash as JSON escapes" '[.objects[].name] |
    (index($p + "-\u001b[31mred") != null) and
    (index($p + "-a\nb") != null) and (index($p + "-a\tb") != null) and
    (index($p + "-a\\b") != null)'
jqa "... valid UTF-8 and spaces unchanged" '[.objects[].name] |
    (index($p + "-日本é") != null) and (index($p + "-sp ace") != null) and
    (index($p + "-\u009bc1") != null) and
    (index($p + "-\u202erlo") != null)'
ino=$(stat -c %i "/dev/shm$pfx-$bad")
dev=$(stat -c %d "/dev/shm$pfx-$bad")
jqa "... its other fields are untouched" '.objects[] |
    select(.ino == $ino and .dev == $dev) | .size == 4096 and
    .mode == "0640" and .name == $p + "-\ufffd\ufffd"' \
    --argjson ino "$ino" --argjson dev "$dev"

# list in text: escaped, one line a row, one field a column.
rc 0 "list in text" "$Q" list --name "$pfx-*" --noheadings
clean "... no raw control byte" "$tmp/out"
check "... one line a row" test "$(wc -l <"$tmp/out")" -eq "$k"
check "... the same number of fields in every row" \
    test "$(awk '{ print NF }' "$tmp/out" | sort -u | wc -l)" -eq 1
has "... \\xff\\xfe escaped" "$tmp/out" "$pfx-\\xff\\xfe "
has "... ESC escaped" "$tmp/out" "$pfx-\\x1b[31mred "
has "... newline escaped" "$tmp/out" "$pfx-a\\x0ab "
has "... tab escaped" "$tmp/out" "$pfx-a\\x09b "
has "... backslash escaped" "$tmp/out" "$pfx-a\\x5cb "
has "... space escaped in a cell" "$tmp/out" "$pfx-sp\\x20ace "
has "... C1 control escaped" "$tmp/out" "$pfx-\\xc2\\x9bc1 "
has "... bidirectional override escaped" "$tmp/out" \
    "$pfx-\\xe2\\x80\\xaerlo "
has "... valid UTF-8 unchanged" "$tmp/out" "$pfx-$utf "

# Errors quoting a name from argv.
rc 1 "unlink a missing ESC name" "$Q" unlink "$pfx-$esc-none"
clean "... stderr has no raw control byte" "$tmp/err"
has "... and names it escaped" "$tmp/err" \
    "qshmctl: unlink: $pfx-\\x1b[31mred-none: No such file"
rc 1 "-j unlink a missing name that is not UTF-8" \
    "$Q" -j unlink "$pfx-$bad-none"
jqa "... the JSON error parses, U+FFFD in its object" \
    '.error.object == $p + "-\ufffd\ufffd-none" and .error.errno == 2 and
    .error.command == "unlink"'
clean "... stderr has no raw control byte" "$tmp/err"
rc 2 "-j an unknown command that is not UTF-8" "$Q" -j "$(printf 'fr\377')"
jqa "... the JSON error parses" '.error.object == "fr\ufffd" and
    .error.command == "fr\ufffd" and .error.errno == 22'
rc 2 "an unknown option with ESC" "$Q" "--$esc"
clean "... stderr has no raw control byte" "$tmp/err"
has "... and names it escaped" "$tmp/err" "qshmctl: --\\x1b[31mred: unknown"

# Commands naming such objects by argv work.
rc 0 "create a name with a newline" "$Q" -j create "$pfx-$nl-new" --size 1K
jqa "... JSON names it" '.object == $p + "-a\nb-new" and .size == 1024'
check "... it exists" test -e "/dev/shm$pfx-$nl-new"
rc 0 "-q create an ESC name" "$Q" -q create "$pfx-$esc-q"
clean "... -q output has no raw control byte" "$tmp/out"
has "... and is the name escaped" "$tmp/out" "$pfx-\\x1b[31mred-q"
rc 0 "map-dump a name that is not UTF-8" "$Q" map-dump "$pfx-$bad" \
    --length 16
grepq "... dumps it" "$tmp/out" '^00000000: 0000'
rc 0 "unlink a name with a space (text)" "$Q" unlink "$pfx-$sp"
grepq "... a record keeps the space" "$tmp/out" "^object: *$pfx-sp ace\$"

# Names the broker reports (handles) and /proc/PID/maps (mappings).
rc 0 "grant a name that is not UTF-8" "$Q" -j grant "$pfx-$bad" --pid $$
jqa "... JSON names it with U+FFFD" '.object == $p + "-\ufffd\ufffd"'
rc 0 "list handles --json" "$Q" -j list handles --pid $$ -o +path
jqa "... the broker's path shows U+FFFD" '.handles[0] |
    .object == $p + "-\ufffd\ufffd" and
    .path == "/dev/shm" + $p + "-\ufffd\ufffd"'
rc 0 "list handles in text" "$Q" list handles --pid $$ --noheadings
clean "... no raw control byte" "$tmp/out"
has "... the name escaped" "$tmp/out" "$pfx-\\xff\\xfe "
rc 0 "list objects --json, broker's included" "$Q" -j list \
    --name "$pfx-*" -o name,broker,ino
jqa "... one row for the object, U+FFFD" '.objects |
    map(select(.ino == $ino)) | length == 1 and .[0].broker and
    .[0].name == $p + "-\ufffd\ufffd"' --argjson ino "$ino"

# A path cut at the broker's record size inside a character: the tail
# byte becomes U+FFFD.  "/dev/shm" + the name ends at byte 255, the 256th
# holds the NUL: pad the name so its last character starts at byte 253
# and loses its third byte.
pad=$(printf '%*s' $((253 - 8 - ${#pfx} - 2)) '' | tr ' ' x)
long=$pfx-$pad-日
: >"/dev/shm$long"
rc 0 "grant a long name" "$Q" grant "$long" --pid $$
rc 0 "list handles --json with a cut path" "$Q" -j list handles -o +path
jqa "... a cut character becomes U+FFFD" '[.handles[].path |
    select(startswith("/dev/shm" + $p + "-x"))] | length == 1 and
    (.[0] | endswith("-\ufffd\ufffd"))'

# /proc/PID/maps: a recipient maps the object that is not UTF-8 by an
# NOFD handle and blocks writing its dump into a pipe no one reads, so
# the mapping stays (as in test-cli-handles.sh).
truncate -s 1M "/dev/shm$pfx-$bad"
mkfifo "$tmp/pipe"
# shellcheck disable=SC2016 # expands in the recipient
recipient 'set -- $h; exec 3<>"$2"; exec "$Q" map-dump --handle "$1" >&3'
mpid=$rpid
"$Q" -q grant "$pfx-$bad" --pid "$mpid" --nofd >"$tmp/h"
echo "$(cat "$tmp/h") $tmp/pipe" >"$tmp/fifo"
i=0
while [ $i -lt 100 ]; do
	"$Q" -j list mappings --pid "$mpid" >"$tmp/out" 2>"$tmp/err"
	jq -e '.mappings | length > 0' "$tmp/out" >/dev/null 2>&1 && break
	sleep 0.05
	i=$((i + 1))
done
jqa "list mappings --json shows U+FFFD" '.mappings[0].object ==
    $p + "-\ufffd\ufffd"'
rc 0 "list mappings in text" "$Q" list mappings --pid "$mpid" --noheadings
clean "... no raw control byte" "$tmp/out"
has "... the name escaped" "$tmp/out" "$pfx-\\xff\\xfe "
kill "$rbg" 2>/dev/null
wait "$rbg" 2>/dev/null

# Completion offers the names it can print as they are, and no other.
rc 0 "complete object names" "$Q" __complete -- unlink "$pfx-"
clean "... no raw control byte" "$tmp/out"
has "... offers the UTF-8 name" "$tmp/out" "$pfx-$utf"
check "... and none that text escapes" test "$(grep -c -v \
    -e "^$pfx-$utf\$" -e "^$pfx-sp ace\$" -e "^$pfx-x*-" "$tmp/out")" -eq 0

# Every hostile name can be unlinked by argv.
for x in "$bad" "$esc" "$nl" "$tab" "$bs" "$utf" "$c1" "$nl-new" \
    "$esc-q"; do
	"$Q" unlink "$pfx-$x" >/dev/null 2>"$tmp/err" &&
	    test ! -e "/dev/shm$pfx-$x"
	check "unlink by argv: $(printf "%s" "$x" | od -An -tx1 | tr -s " ")" \
	    test $? -eq 0
done

finish
