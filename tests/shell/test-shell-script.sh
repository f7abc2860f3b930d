#!/bin/sh
# qshmctl shell running scripts: -f FILE and a stdin that is not a
# terminal, # comments, quoting, $_ / $? / $$, stopping at the first
# failure with its exit status unless --keep-going, exit N, --json inside,
# `open $_ -- prog` running a child, and "self" as a pid on the command
# line too.

# Scripts are single-quoted: their $ is for qshmctl's shell.
# shellcheck disable=SC2016
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/../cli/lib.sh"

# jqs DESC FILTER: the JSON documents in $tmp/out, slurped, make it true.
jqs() {
	if jq -e -s "$2" "$tmp/out" >/dev/null 2>&1; then
		ok "$1"
	else
		not_ok "$1"
	fi
}

broker_start
o=$pfx-s
"$Q" create "$o" --size 4K >/dev/null

# A script: comments, blank lines, quotes, $_ from grant, open through it.
cat >"$tmp/s1" <<SCRIPT
# a comment line

truncate '$o' "8K"   # a trailing comment
grant $o --pid self --access rw
open \$_ --access rw
SCRIPT
rc 0 "-f FILE runs every line" "$Q" shell -f "$tmp/s1"
grepq "... truncate ran" "$tmp/out" '^size: *8K$'
grepq "... grant printed a handle" "$tmp/out" '^handle: *0x[0-9a-f]\{16\}$'
grepq "... open \$_ opened that handle" "$tmp/out" "^path: */dev/shm$o\$"
check "... the object has the new size" [ "$(stat -c %s /dev/shm"$o")" = 8192 ]

# The same through stdin.
rc 0 "a script on stdin" sh -c '"$1" shell <"$2"' sh "$Q" "$tmp/s1"
grepq "... open ran" "$tmp/out" "^path: */dev/shm$o\$"
rc 0 "-f - reads stdin" sh -c '"$1" shell -f - <"$2"' sh "$Q" "$tmp/s1"
grepq "... open ran" "$tmp/out" "^path: */dev/shm$o\$"

# Stop at the first failure, with its status.
printf 'truncate %s 4K\nopen 0x1\ntruncate %s 12K\n' "$o" "$o" >"$tmp/s2"
rc 1 "a failure stops the script with status 1" "$Q" shell -f "$tmp/s2"
grepq "... the failure is reported" "$tmp/err" '^qshmctl: open: 0x1: '
check "... the line after it did not run" \
    [ "$(stat -c %s /dev/shm"$o")" = 4096 ]
printf 'truncate %s 4K\nlist --bogus\ntruncate %s 12K\n' "$o" "$o" >"$tmp/s3"
rc 2 "a usage error stops the script with status 2" "$Q" shell -f "$tmp/s3"
rc 1 "--keep-going goes on, exits with the failure" \
    "$Q" shell --keep-going -f "$tmp/s2"
check "... the line after it ran" [ "$(stat -c %s /dev/shm"$o")" = 12288 ]

# Syntax errors name the file and line.
printf 'truncate %s 4K\nopen "0x1\n' "$o" >"$tmp/s4"
rc 2 "an unterminated quote is a usage error" "$Q" shell -f "$tmp/s4"
grepq "... naming FILE:LINE" "$tmp/err" \
    "^qshmctl: shell: $tmp/s4:2: unterminated quote\$"
printf 'open $_\n' >"$tmp/s5"
rc 2 "\$_ before anything made one" "$Q" shell -f "$tmp/s5"
grepq "... says it is not set" "$tmp/err" '\$_: variable not set'
rc 1 "a missing script file" "$Q" shell -f "$tmp/nonexistent"
grepq "... named in the error" "$tmp/err" "^qshmctl: shell: $tmp/nonexistent: "

# exit, $?, $$.
printf 'exit 7\ntruncate %s 16K\n' "$o" >"$tmp/s6"
rc 7 "exit N ends the script with N" "$Q" shell -f "$tmp/s6"
check "... nothing after it ran" [ "$(stat -c %s /dev/shm"$o")" != 16384 ]
printf 'open 0x1\ncreate /%s\n' '$?' >"$tmp/s7"
rc 1 "\$? holds the last status" "$Q" shell --keep-going -f "$tmp/s7"
check "... it made an object named /1" [ -e /dev/shm/1 ]
rm -f /dev/shm/1
printf 'grant %s --pid $$\n' "$o" >"$tmp/s8"
rc 0 "\$\$ is the shell's pid" "$Q" -j shell -f "$tmp/s8"
jqt "... the grant went to it" '.pid | type == "number"'

# --json: one document per command, errors included.
printf 'truncate %s 4K\ngrant %s --pid self\nopen $_\nopen 0x1\n' \
    "$o" "$o" >"$tmp/s9"
rc 1 "--json applies inside the shell" "$Q" --json shell -f "$tmp/s9"
jqs "... four documents" 'length == 4'
jqs "... typed results, then the error" '.[0].size == 4096 and
    (.[1].handle | test("^0x")) and .[2].handle == .[1].handle and
    .[3].error.command == "open" and .[3].error.errno == 3'
rc 0 "-q applies inside the shell" "$Q" -q shell -f "$tmp/s1"
check "... the handle is alone on its line" grep -q '^0x[0-9a-f]\{16\}$' \
    "$tmp/out"

# open with a command runs it as a child; the shell goes on.
child='test "$QSHM_SIZE" = 4096 && cat <&$QSHM_FD >/dev/null && echo child-ran'
{
	echo "truncate $o 4K"
	echo "grant $o --pid self"
	echo "open \$_ -- sh -c '$child'"
	echo "truncate $o 8K"
} >"$tmp/s10"
rc 0 "open \$_ -- COMMAND runs a child and the shell goes on" \
    "$Q" shell -f "$tmp/s10"
grepq "... the child had the fd and size" "$tmp/out" '^child-ran$'
check "... the next line ran" [ "$(stat -c %s /dev/shm"$o")" = 8192 ]
printf 'grant %s --pid self\nopen $_ -- false\n' "$o" >"$tmp/s11"
rc 1 "a child that fails fails the open" "$Q" shell -f "$tmp/s11"
grepq "... with its status" "$tmp/err" '^qshmctl: open: false: exit status 1$'

# The shell refuses what makes no sense inside it.
printf 'broker --socket %s/x\n' "$tmp" >"$tmp/s12"
rc 1 "no broker inside the shell" "$Q" shell -f "$tmp/s12"
printf 'shell\n' >"$tmp/s13"
rc 1 "no shell inside the shell" "$Q" shell -f "$tmp/s13"

# self on the command line: the pid of qshmctl itself.
rc 0 "grant --pid self on the command line" "$Q" -j grant "$o" --pid self
jqt "... a positive pid" '.pid > 0'
rc 2 "--pid selfish is refused" "$Q" grant "$o" --pid selfish

finish
