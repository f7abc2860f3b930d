#!/bin/sh
# qshmctl: global options, the command table, exit statuses, and
# create / truncate / unlink in text and JSON, with every bad input.

# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"

broker_start

# Global options and the command table.
rc 0 "-V prints the version" "$Q" -V
grepq "-V says qshmctl" "$tmp/out" '^qshmctl [0-9]'
rc 0 "--help exits 0" "$Q" --help
for c in broker create grant help list map-dump open revoke truncate \
    unlink; do
	grepq "--help lists $c" "$tmp/out" "^  $c "
done
rc 0 "help grant" "$Q" help grant
grepq "help grant shows its usage" "$tmp/out" '^usage: qshmctl grant '
rc 0 "grant -h" "$Q" grant -h
grepq "grant -h lists --pid" "$tmp/out" '--pid PID'
rc 2 "no command is a usage error" "$Q"
rc 2 "an unknown command is a usage error" "$Q" frobnicate
grepq "it names the command" "$tmp/err" '^qshmctl: frobnicate: unknown command'
rc 2 "-j with an unknown command" "$Q" -j frobnicate
jqt "its JSON error names it" '.error.object == "frobnicate" and
    .error.errno == 22 and .schema == 1'
rc 2 "an unknown global option" "$Q" --frob list
rc 2 "an unknown command option" "$Q" create --frob /x
grepq "it names the option" "$tmp/err" 'unknown option: --frob'
rc 2 "a missing option argument" "$Q" create "$pfx-a" --size
rc 2 "too many arguments" "$Q" unlink "$pfx-a" "$pfx-b"
rc 1 "a failed write to stdout fails" sh -c "'$Q' -V >/dev/full"
rc 0 "a unique prefix runs the command" "$Q" -j cr "$pfx-prefix"
jqt "the prefix ran create" '.command == "create"'

# create: text and JSON.
o=$pfx-obj
rc 0 "create a POSIX object" "$Q" create "$o" --size 4K
grepq "text output names it" "$tmp/out" "^object: *$o\$"
grepq "text output has a human size" "$tmp/out" '^size: *4K$'
check "it is in /dev/shm with its size" \
    test "$(stat -c %s "/dev/shm$o")" -eq 4096
rc 0 "create again (no --excl) opens it" "$Q" -j create "$o"
jqt "JSON: created false, size 4096" '.created == false and
    .size == 4096 and .object == "'"$o"'" and .schema == 1'
rc 1 "create --excl on an existing name fails" "$Q" -j create --excl "$o"
jqt "JSON error: EEXIST" '.error.errno == 17 and .error.command == "create"
    and .error.object == "'"$o"'"'
grepq "stderr: command, object, cause" "$tmp/err" \
    "^qshmctl: create: $o: File exists\$"
rc 0 "create --mode 0640" "$Q" -j create "$o-m" --mode 0640 --size 1M
jqt "JSON: mode and size typed" '.mode == "0640" and .size == 1048576'
check "the inode has mode 0640 despite the umask" \
    test "$(stat -c %a "/dev/shm$o-m")" = 640
rc 0 "-q create prints only the name" "$Q" -q create "$o-q"
check "... which is the name" test "$(cat "$tmp/out")" = "$o-q"

# Bad input to create: usage errors, nothing created.
for s in 12Q -1 9223372036854775808 99999999999999999999 "" 1.5K 8E 0x; do
	rc 2 "create --size '$s' is refused" "$Q" create "$o-bad" --size "$s"
	check "... and creates nothing" test ! -e "/dev/shm$o-bad"
done
rc 2 "create -j --size 12Q" "$Q" -j create "$o-bad" --size 12Q
jqt "JSON error names the value" '.error.object == "12Q" and
    .error.errno == 22'
grepq "stderr names the value and cause" "$tmp/err" \
    "^qshmctl: create: 12Q: invalid size for --size"
for m in 999 abc 01000 -1 ""; do
	rc 2 "create --mode '$m' is refused" "$Q" create "$o-bad" --mode "$m"
done
long=$(printf '%0300d' 0)
for name in noslash "/a/b" "/" "/.." "/$long" "@0" "@x"; do
	rc 2 "create '$name' is refused" "$Q" create "$name"
done
check "nothing was created" test ! -e "/dev/shm$o-bad"
rc 2 "create with neither NAME nor --anon" "$Q" create
rc 2 "create with both NAME and --anon" "$Q" create "$o-bad" --anon
rc 2 "--seal without --anon" "$Q" create "$o-bad" --seal
check "still nothing created" test ! -e "/dev/shm$o-bad"
for s in 4096 4K 4KiB 1M 1MiB 0x1000; do
	rc 0 "size '$s' is accepted" "$Q" -j truncate "$o" "$s"
done
for pair in 1G:1073741824 2GiB:2147483648; do
	rc 0 "size ${pair%%:*}" "$Q" -j truncate "$o" "${pair%%:*}"
	jqt "... is ${pair#*:} bytes" ".size == ${pair#*:}"
done

# create --anon: parked in the broker.
rc 0 "create --anon --size 1M" "$Q" -j create --anon --size 1M
jqt "JSON: @N, id, size" '(.object | test("^@[0-9]+$")) and
    (.id | type == "number") and .size == 1048576 and .created'
anon=$(jq -r .object "$tmp/out")
rc 0 "-q create --anon prints @N" "$Q" -q create --anon --seal
grepq "... one line @N" "$tmp/out" '^@[0-9][0-9]*$'
sealed=$(cat "$tmp/out")
rc 0 "truncate @N" "$Q" -j truncate "$anon" 8K
jqt "JSON: truncated to 8K" '.size == 8192'
rc 1 "truncate a sealed @N fails" "$Q" truncate "$sealed" 8K
rc 0 "unlink @N" "$Q" -j unlink "$anon"
jqt "JSON: unlinked" '.unlinked == true and .object == "'"$anon"'"'
rc 1 "unlink @N twice fails" "$Q" unlink "$anon"
grepq "... with ENOENT" "$tmp/err" "^qshmctl: unlink: $anon: "
rc 1 "truncate an unknown @N fails" "$Q" truncate @999999 1K
rc 2 "@ alone is refused" "$Q" unlink @
rc 2 "@N past 2^32 is refused" "$Q" unlink @4294967296

# truncate
rc 0 "truncate /name 1M" "$Q" truncate "$o" 1M
check "the object is 1M" test "$(stat -c %s "/dev/shm$o")" -eq 1048576
grepq "text output" "$tmp/out" '^size: *1M$'
rc 0 "truncate -j" "$Q" -j truncate "$o" 3
jqt "JSON: size 3" '.size == 3 and .object == "'"$o"'"'
rc 1 "truncate a missing object" "$Q" truncate "$pfx-none" 1K
grepq "... names it" "$tmp/err" "^qshmctl: truncate: $pfx-none: No such file"
check "... and does not create it" test ! -e "/dev/shm$pfx-none"
for s in 12Q -1 9223372036854775808 ""; do
	rc 2 "truncate to '$s' is refused" "$Q" truncate "$o" "$s"
done
check "the size did not change" test "$(stat -c %s "/dev/shm$o")" -eq 3
rc 2 "truncate a bad name" "$Q" truncate noslash 1K
rc 2 "truncate with one argument" "$Q" truncate "$o"

# unlink
rc 0 "unlink /name" "$Q" unlink "$o-q"
check "it is gone" test ! -e "/dev/shm$o-q"
rc 1 "unlink it again" "$Q" -j unlink "$o-q"
jqt "JSON error: ENOENT" '.error.errno == 2 and .error.command == "unlink"'
rc 2 "unlink a bad name" "$Q" unlink "a/b"

# -s/--socket reaches the broker named, QSHM_SOCKET otherwise.
rc 1 "-s to a socket with no broker fails" \
    "$Q" -s "$tmp/none.sock" create --anon
rc 0 "-s to the private broker works" \
    "$Q" --socket "$QSHM_SOCKET" -q create --anon
grepq "... and parks @N" "$tmp/out" '^@[0-9]'

# -j and -q work after the command too, and only for that command.
rc 0 "list handles --json" "$Q" list handles --json
jqt "... is the JSON document" '.schema == 1 and (.handles | type) == "array"'
rc 0 "create --anon -q" "$Q" create --anon --size 4K -q
grepq "... prints only @N" "$tmp/out" '^@[0-9][0-9]*$'
rc 1 "unlink --json of a missing object" "$Q" unlink "$o-none" --json
jqt "... reports the error as JSON" '.error.errno == 2'

finish
