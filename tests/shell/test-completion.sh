#!/bin/sh
# Completion and documentation: `qshmctl __complete` (commands, options,
# option values, /dev/shm names, parked @N, handles; never starting a
# broker), the bash completion called with COMP_WORDS/COMP_CWORD, the zsh
# and fish files parsed and run by their shells where installed, `make
# install` putting them where each shell looks, mandoc lint of every
# page, and qshmctl(1) documenting every command and option of the table.

# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/../cli/lib.sh"

root=$(cd "$(dirname "$0")/../.." && pwd)
man=$root/man/qshmctl.1

# comp WORD...: the candidates for the last word, in $tmp/out.
comp() {
	"$Q" __complete -- "$@" >"$tmp/out" 2>"$tmp/err"
}

# has DESC LINE: $tmp/out has exactly this line.
has() {
	if grep -qxF -e "$2" "$tmp/out"; then
		ok "$1"
	else
		not_ok "$1"
		sed 's/^/#   /' "$tmp/out"
	fi
}

hasnt() {
	if grep -qxF -e "$2" "$tmp/out"; then
		not_ok "$1"
	else
		ok "$1"
	fi
}

skip() {
	n=$((n + 1))
	echo "ok $n - $1 # SKIP $2"
}

# No broker yet: completion must not start one.
comp grant ''
check "__complete starts no broker" [ ! -e "$QSHM_SOCKET" ]

broker_start
o=$pfx-comp
"$Q" create "$o" --size 4K >/dev/null
anon=$("$Q" -q create --anon --size 4K)
h=$("$Q" -q grant "$o" --pid $$)

comp gr
has "a command from its prefix" grant
comp ''
has "every command: list" list
has "every command: shell" shell
hasnt "hidden commands are not offered" __complete
comp -
has "global options" --json
comp -j -s "$QSHM_SOCKET" tr
has "after global options, commands" truncate
comp grant "$o" --p
has "an option from its prefix" --pid
comp grant "$o" --
has "every option: --nofd" --nofd
has "every option: --help" --help
comp grant "$o" --access ''
has "option values: ro" ro
has "option values: wo" wo
comp grant "$o" --pid ''
has "a pid may be self" self
comp map-dump --format c
has "map-dump formats" canonical
comp list ''
has "list kinds" mappings
comp grant "$pfx-co"
has "object names from /dev/shm" "$o"
comp unlink @
has "parked objects as @N" "$anon"
comp open 0x
has "handles" "$h"
comp map-dump --handle ''
has "handles for --handle" "$h"
comp help tr
has "help takes a command" truncate
comp shell -f ''
has "a file name is wanted" ":files"
comp open "$h" -- ''
has "after --, a file name" ":files"
comp truncate "$o" ''
check "a size is not completed" [ ! -s "$tmp/out" ]
comp nosuchcommand ''
check "nothing for an unknown command" [ ! -s "$tmp/out" ]

# bash: the function, called as bash calls it.
cat >"$tmp/bash-comp" <<'SCRIPT'
. "$1"
shift
COMP_WORDS=("$@")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
_qshmctl
printf '%s\n' "${COMPREPLY[@]}"
complete -p qshmctl >/dev/null || echo "not registered"
SCRIPT
bcomp() {
	bash "$tmp/bash-comp" "$root/completions/qshmctl.bash" "$Q" "$@" \
	    >"$tmp/out" 2>"$tmp/err"
}
bcomp gra
has "bash: a command" grant
hasnt "bash: registered for qshmctl" "not registered"
bcomp grant "$o" --acc
has "bash: an option" --access
bcomp grant "$pfx-co"
has "bash: an object name" "$o"
bcomp open 0x
has "bash: a handle" "$h"
bcomp grant "$o" --access r
has "bash: option values" rw
bcomp list --name x ''
has "bash: a positional after an option's value" objects
bcomp shell -f "$root/completions/qshmctl.b"
has "bash: file names" "$root/completions/qshmctl.bash"

# zsh: parse, then run the function with compadd and _files stubbed.
if command -v zsh >/dev/null 2>&1; then
	check "zsh -n parses _qshmctl" zsh -n "$root/completions/_qshmctl"
	# shellcheck disable=SC2016
	zsh -c 'compadd() { print -l -- "${(@P)2}"; }
	    _files() { print FILES; }
	    words=("$1" open 0x); CURRENT=3
	    source "$2"
	    words=("$1" shell -f ""); CURRENT=4
	    _qshmctl' zsh "$Q" "$root/completions/_qshmctl" >"$tmp/out" 2>&1
	has "zsh: a handle" "$h"
	has "zsh: file names through _files" FILES
else
	skip "zsh -n parses _qshmctl" "zsh not installed"
fi

# fish: parse, then ask it to complete.
if command -v fish >/dev/null 2>&1; then
	check "fish -n parses qshmctl.fish" fish -n \
	    "$root/completions/qshmctl.fish"
	PATH=$(dirname "$Q"):$PATH fish -c 'source $argv[1]
	    complete -C "qshmctl gra"; complete -C "qshmctl grant $argv[2]"' \
	    "$root/completions/qshmctl.fish" "$pfx-co" >"$tmp/out" 2>&1
	has "fish: a command" grant
	has "fish: an object name" "$o"
else
	skip "fish -n parses qshmctl.fish" "fish not installed"
fi

# make install puts them where the shells look, and the manual.
if make -s --no-print-directory -C "$root" install B="${BUILD:-build}" \
    DESTDIR="$tmp/inst" PREFIX=/usr >"$tmp/err" 2>&1; then
	ok "make install into a DESTDIR"
else
	not_ok "make install into a DESTDIR"
	sed 's/^/#   /' "$tmp/err"
fi
for f in share/bash-completion/completions/qshmctl \
    share/zsh/site-functions/_qshmctl \
    share/fish/vendor_completions.d/qshmctl.fish share/man/man1/qshmctl.1
do
	check "installed: /usr/$f" [ -s "$tmp/inst/usr/$f" ]
done

# The manual pages.
if command -v mandoc >/dev/null 2>&1; then
	check "mandoc -Tlint -Wwarning man/*" mandoc -Tlint -Wwarning \
	    "$root"/man/*
else
	skip "mandoc lint" "mandoc not installed"
fi
"$Q" help --list >"$tmp/cmds"
check "help --list names the commands" grep -qx shell "$tmp/cmds"
missing=
while read -r c; do
	grep -q "^\.It Cm $c\( \|$\)\|^\.Cm $c\$" "$man" ||
	    missing="$missing $c"
	# Every long option the command's help lists: "Fl -NAME" in the page.
	for opt in $("$Q" help "$c" |
	    sed -n 's/^ *\(-., \)\{0,1\}--\([a-z-]*\).*/\2/p'); do
		grep -q "Fl -$opt\( \|$\)" "$man" ||
		    missing="$missing $c:--$opt"
	done
done <"$tmp/cmds"
if [ -z "$missing" ]; then
	ok "qshmctl(1) documents every command and option in the table"
else
	not_ok "qshmctl(1) lacks:$missing"
fi
for v in QSHM_SOCKET QSHM_AUTOSTART QSHM_BROKER QSHM_HISTORY QSHM_FD \
    QSHM_SIZE; do
	grepq "qshmctl(1) documents $v" "$man" "^\.It Ev $v\$"
done

finish
