#!/bin/sh
# qshmctl's interactive shell, driven through a real pseudo-terminal by
# ptydrive: the prompt, typing, tab completion of a command and of an
# object name, history recall (up arrow) across sessions, an error
# followed by a working command, control-C, grant to self then open $_,
# and qshmctl with no command on a terminal.

# Steps are single-quoted: $_ is for the shell under test.
# shellcheck disable=SC2016
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/../cli/lib.sh"

D=${BUILD:-build}/tests/shell/ptydrive
case $D in
/*)	;;
*)	D=$(pwd)/$D ;;
esac
HOME=$tmp
QSHM_HISTORY=$tmp/history
TERM=xterm
export HOME QSHM_HISTORY TERM

# pty DESC [-x STATUS] STEP... -- COMMAND: drive COMMAND through the
# steps (key= waits for the line editor to have the terminal, send=
# does not); its transcript goes to the log on failure.
pty() {
	d=$1
	shift
	if "$D" -t 20 "$@" >"$tmp/pty.out" 2>&1; then
		ok "$d"
	else
		not_ok "$d"
		sed 's/^/#   /' "$tmp/pty.out"
	fi
}

broker_start
o=$pfx-obj
"$Q" create "$o" --size 4K >/dev/null
printf 'hello, shell' | dd of=/dev/shm"$o" conv=notrunc 2>/dev/null
"$Q" create "$pfx-zz-completeme" --size 4K >/dev/null
printf 'completed' | dd of=/dev/shm"$pfx-zz-completeme" conv=notrunc \
    2>/dev/null

pty "the prompt names the broker socket; exit ends with status 0" \
    "expect=qshm $QSHM_SOCKET> " 'key=exit\r' -- "$Q" shell

pty "typing a command runs it" \
    'expect=> ' "key=truncate $o 8K\\r" 'expect=size:   8K' \
    'expect=> ' 'key=exit\r' -- "$Q" shell
check "... and the object changed" [ "$(stat -c %s /dev/shm"$o")" = 8192 ]

pty "tab completes a command name" \
    'expect=> ' "key=trun\\t$o 12K\\r" 'expect=size:   12K' \
    'expect=> ' 'key=exit\r' -- "$Q" shell
check "... the completed truncate ran" \
    [ "$(stat -c %s /dev/shm"$o")" = 12288 ]

pty "tab completes an object name from /dev/shm" \
    'expect=> ' "key=map-dump $pfx-zz-comp\\t--length 9\\r" \
    'expect=00000000: 636f 6d70 6c65 7465 64' \
    'expect=> ' 'key=exit\r' -- "$Q" shell

pty "tab completes an option" \
    'expect=> ' "key=list objects --noh\\t--name $o -o name,size\\r" \
    "expect=$o 12K" 'expect=> ' 'key=exit\r' -- "$Q" shell

pty "an error does not end the shell; the next command works" \
    'expect=> ' 'key=open 0x1\r' 'expect=qshmctl: open: 0x1: ' \
    'expect=> ' 'key=frobnicate\r' 'expect=unknown command' \
    'expect=> ' 'key=open "unterminated\r' 'expect=unterminated quote' \
    'expect=> ' "key=truncate $o 4K\\r" 'expect=size:   4K' \
    'expect=> ' 'key=exit\r' -- "$Q" shell

pty "control-C drops the line, not the shell" -x 5 \
    'expect=> ' 'key=unlink /never-run\x03' 'expect=^C' \
    'expect=> ' 'key=exit 5\r' -- "$Q" shell

pty "control-C stops a command open runs, not the shell" -x 7 \
    'expect=> ' "key=grant $o --pid self\\r" 'expect=handle:' \
    'expect=> ' "key=open \$_ -- sh -c 'echo child-\$((6 * 7)); read x'\\r" \
    'expect=child-42' 'send=\x03' 'expect=killed by signal 2' \
    'expect=> ' 'key=exit 7\r' -- "$Q" shell

pty "grant to self, then open \$_" \
    'expect=> ' "key=grant $o --pid self\\r" 'expect=handle:' \
    'expect=> ' 'key=open $_\r' "expect=path:   /dev/shm$o" \
    'expect=> ' 'key=exit\r' -- "$Q" shell

grepq "history is saved to \$QSHM_HISTORY" "$tmp/history" \
    'grant\\040.*--pid\\040self'

# A new session: two steps up is the grant above (then open $_, exit).
pty "up arrow recalls history from the last session" \
    'expect=> ' 'key=\e[A\e[A\e[A\r' 'expect=handle:' \
    'expect=> ' 'key=\x04' -- "$Q" shell

pty "qshmctl with no command on a terminal is the shell" -x 3 \
    "expect=qshm $QSHM_SOCKET> " 'key=exit 3\r' -- "$Q"

pty "-j applies to the commands the shell runs" \
    'expect=> ' "key=truncate $o 4K\\r" 'expect="size": 4096' \
    'expect=> ' 'key=exit\r' -- "$Q" -j shell

finish
