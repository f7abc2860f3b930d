#!/bin/sh
# qshmctl grant / open / revoke / list, in text and JSON: the script
# hand-off pattern (grant to a shell that then runs
# `exec qshmctl open "$h" -- prog`), listings, and bad input.

# Recipient scripts are single-quoted: they expand in the recipient.
# shellcheck disable=SC2016
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"

broker_start
o=$pfx-h
f=/dev/shm$o
"$Q" create "$o" --size 8K >/dev/null
printf 'hello, handle' | dd of="$f" conv=notrunc 2>/dev/null

# grant to this shell (alive for the whole suite).
rc 0 "grant in text" "$Q" grant "$o" --pid $$
grepq "text: the handle" "$tmp/out" '^handle: *0x[0-9a-f]\{16\}$'
grepq "text: its enforcement" "$tmp/out" '^enforcement: *\(kernel\|advisory\)$'
rc 0 "grant in JSON" "$Q" -j grant "$o" --pid $$ --access rw
jqt "JSON: handle string, typed fields" '(.handle | test("^0x[0-9a-f]{16}$"))
    and .pid == '$$' and .access == "rw" and .nofd == false and
    (.enforcement == "kernel" or .enforcement == "advisory") and
    (.reason | type == "string") and .schema == 1'
h1=$(jq -r .handle "$tmp/out")
rc 0 "-q grant prints only the handle" "$Q" -q grant "$o" --pid $$ \
    --access wo --nofd
grepq "... one line, the handle" "$tmp/out" '^0x[0-9a-f]\{16\}$'
rc 0 "a sub-range grant" "$Q" -j grant "$o" --pid $$ --offset 4K \
    --length 4K
jqt "JSON: offset, length, advisory" '.offset == 4096 and .length == 4096
    and .enforcement == "advisory"'

# list handles
rc 0 "list handles (text)" "$Q" list handles
grepq "text heading" "$tmp/out" '^HANDLE *OBJECT *CREATOR *RECIPIENT'
grepq "text row of the rw grant" "$tmp/out" "^$h1 *$o "
rc 0 "list handles (JSON)" "$Q" -j list handles --pid $$
jqt "JSON: 4 pending handles for this shell" \
    '[.handles[] | select(.recipient == '$$')] | length == 4'
jqt "JSON: the rw grant, typed" '.handles[] | select(.handle == "'"$h1"'")
    | .access == "rw" and .state == "pending" and
    (.age_ms | type == "number") and .object == "'"$o"'"'
rc 0 "list handles -o handle,access --noheadings" \
    "$Q" list h -o handle,access --noheadings
grepq "no heading, two columns" "$tmp/out" "^$h1 rw\$"
rc 0 "list handles --name filter" "$Q" -j list handles --name "$pfx-none"
jqt "... filters all out" '.handles | length == 0'
rc 0 "list objects" "$Q" -j list objects --name "$o"
jqt "JSON: the object with 4 pending handles" '.objects | length == 1 and
    .[0].pending == 4 and .[0].size == 8192 and .[0].mode == "0600"'
rc 0 "list objects --bytes (text)" "$Q" list --bytes --name "$o"
grepq "text: size in bytes" "$tmp/out" "^$o  *8192 "
rc 0 "list objects -o name,size" "$Q" list objects -o name,size
grepq "... two columns" "$tmp/out" "^NAME *SIZE\$"
rc 2 "list with an unknown column" "$Q" list -o name,bogus
rc 2 "list something else" "$Q" list frobs
rc 2 "list --pid 0" "$Q" list --pid 0
rc 2 "list --uid nosuchuser" "$Q" list --uid nosuchuser-qshm

# revoke
rc 0 "revoke this shell's handles" "$Q" -j revoke "$o" --pid $$
jqt "JSON: 4 revoked" '.revoked == 4 and .pid == '$$
rc 0 "list handles after revoke" "$Q" -j list handles --pid $$
jqt "... none left" '.handles | length == 0'
rc 0 "revoke again (text)" "$Q" revoke "$o" --pid $$
grepq "... revoked 0" "$tmp/out" '^revoked: *0$'
rc 2 "revoke without --pid" "$Q" revoke "$o"
rc 2 "revoke with --pid and --all" "$Q" revoke "$o" --pid $$ --all
rc 2 "revoke --pid abc" "$Q" revoke "$o" --pid abc
rc 1 "revoke for a pid that does not exist" "$Q" revoke "$o" --pid 999999999
rc 1 "revoke on a missing object" "$Q" -j revoke "$pfx-none" --pid $$
jqt "JSON error names it" '.error.object == "'"$pfx-none"'" and
    .error.command == "revoke"'
rc 0 "revoke --all" "$Q" -q revoke "$o" --all

# grant: bad input changes nothing.
rc 2 "grant without --pid" "$Q" grant "$o"
for p in 0 -1 abc 99999999999 ""; do
	rc 2 "grant --pid '$p'" "$Q" grant "$o" --pid "$p"
done
rc 1 "grant to a pid that does not exist" "$Q" -j grant "$o" \
    --pid 999999999
jqt "JSON error: ESRCH" '.error.errno == 3 and .error.command == "grant"'
rc 2 "grant --access xx" "$Q" grant "$o" --pid $$ --access xx
rc 2 "grant --offset without --length" "$Q" grant "$o" --pid $$ --offset 0
rc 1 "grant an unaligned sub-range" "$Q" grant "$o" --pid $$ --offset 1 \
    --length 4K
rc 1 "grant a sub-range past the end" "$Q" grant "$o" --pid $$ \
    --offset 8K --length 4K
rc 1 "grant a missing object" "$Q" grant "$pfx-none" --pid $$
rc 2 "grant a bad name" "$Q" grant "x" --pid $$
rc 0 "no handle was made by the failures" "$Q" -j list handles --pid $$
jqt "... none pending" '.handles | length == 0'

# The hand-off: a shell gets a handle and execs qshmctl open -- prog.
recipient 'exec "$Q" open "$h" -- sh -c '\''echo "$QSHM_FD $QSHM_SIZE";
    head -c 13 "/proc/self/fd/$QSHM_FD"'\'''
"$Q" -q grant "$o" --pid "$rpid" >"$tmp/h"
deliver "$(cat "$tmp/h")"
check "hand-off: the program ran" test "$rrc" -eq 0
grepq "hand-off: QSHM_FD and QSHM_SIZE" "$tmp/rout" '^[0-9][0-9]* 8192$'
grepq "hand-off: the program read the object" "$tmp/rout" 'hello, handle'

recipient 'exec "$Q" -j open "$h" --access rw'
"$Q" -q grant "$o" --pid "$rpid" --access rw >"$tmp/h"
deliver "$(cat "$tmp/h")"
cp "$tmp/rout" "$tmp/out"
jqt "open (JSON): size, access, path" '.size == 8192 and .access == "rw"
    and .path == "'"$f"'"'

recipient 'exec "$Q" open "$h" --dump'
"$Q" -q grant "$o" --pid "$rpid" >"$tmp/h"
deliver "$(cat "$tmp/h")"
xxd "$f" >"$tmp/b"
check "open --dump is xxd's output" cmp -s "$tmp/rout" "$tmp/b"

# A failed open does not consume the handle.
recipient 'set -- $h; "$Q" open "$1" --creator 1; echo "rc=$?";
    exec "$Q" open "$1" --creator "$2"'
"$Q" -q grant "$o" --pid "$rpid" >"$tmp/h"
"$Q" -j list handles >"$tmp/out"
creator=$(jq -r '.handles[] | select(.handle == "'"$(cat "$tmp/h")"'")
    | .creator' "$tmp/out")
deliver "$(cat "$tmp/h") $creator"
grepq "open --creator of another pid fails" "$tmp/rout" '^rc=1$'
grepq "... with ESRCH" "$tmp/rerr" 'No such process'
check "... then --creator of the granter opens it" test "$rrc" -eq 0

recipient '"$Q" open "$h" --access wo; echo "rc=$?"; exec "$Q" open "$h"'
"$Q" -q grant "$o" --pid "$rpid" >"$tmp/h"
deliver "$(cat "$tmp/h")"
grepq "open --access wo is a usage error" "$tmp/rout" '^rc=2$'
check "... and the handle still opens" test "$rrc" -eq 0

recipient 'exec "$Q" open "$h" --access rw'
"$Q" -q grant "$o" --pid "$rpid" --access ro >"$tmp/h"
deliver "$(cat "$tmp/h")"
check "open rw of an ro handle fails" test "$rrc" -eq 1
grepq "... with EACCES" "$tmp/rerr" 'Permission denied'

rc 1 "open a handle granted to another process" "$Q" -j open "$h1"
jqt "JSON error: ESRCH" '.error.errno == 3 and .error.command == "open"'
for bad in zz 0 0x 0x12345678901234567 -5; do
	rc 2 "open '$bad' is refused" "$Q" open "$bad"
done
rc 2 "open --dump with a command" "$Q" open 0x1 --dump -- true

# list mappings: a recipient maps an NOFD handle and blocks writing
# its dump into a pipe no one reads, so the mapping stays.
rc 0 "grow the object to 1M" "$Q" truncate "$o" 1M
mkfifo "$tmp/pipe"
recipient 'set -- $h; exec 3<>"$2"; exec "$Q" map-dump --handle "$1" >&3'
"$Q" -q grant "$o" --pid "$rpid" --nofd >"$tmp/h"
echo "$(cat "$tmp/h") $tmp/pipe" >"$tmp/fifo"
i=0
while [ $i -lt 100 ]; do
	"$Q" -j list mappings --pid "$rpid" >"$tmp/out" 2>"$tmp/err"
	jq -e '.mappings | length > 0' "$tmp/out" >/dev/null 2>&1 && break
	sleep 0.05
	i=$((i + 1))
done
jqt "list mappings (JSON) finds the mapper" '.mappings[0] |
    .pid == '"$rpid"' and .object == "'"$o"'" and .size == 1048576 and
    .command == "qshmctl" and (.start | test("^0x[0-9a-f]+$")) and
    (.prot | startswith("r"))'
rc 0 "list mappings (text)" "$Q" list mappings --name "$o"
grepq "text row: pid, command, object" "$tmp/out" \
    "^ *$rpid qshmctl *$o "
rc 0 "list objects counts the mapper" "$Q" -j list objects --name "$o"
jqt "... mappers 1" '.objects[0].mappers == 1'
rc 0 "list objects --pid of the mapper" "$Q" -j list objects --pid "$rpid"
jqt "... shows the object" '[.objects[].name] | index("'"$o"'") != null'
kill "$rbg" 2>/dev/null
wait "$rbg" 2>/dev/null

finish
