# shellcheck shell=sh
# lib.sh: shared by the qshmctl suites (sourced, POSIX sh).  Starts a
# private broker on a temporary socket, prints TAP lines, cleans up at
# exit.  Needs QSHMCTL (the binary) in the environment, as tests/run.sh
# sets it; falls back to build/qshmctl.

Q=${QSHMCTL:-build/qshmctl}
case $Q in
/*)	;;
*)	Q=$(pwd)/$Q ;;
esac
export Q
tmp=$(mktemp -d "${TMPDIR:-/tmp}/qshm-cli.XXXXXX") || exit 1
QSHM_SOCKET=$tmp/broker.sock
QSHM_BROKER=$Q
QSHM_AUTOSTART=0
export QSHM_SOCKET QSHM_BROKER QSHM_AUTOSTART
# Names of the POSIX objects this suite makes: /qshmtest-PID-...
pfx=/qshmtest-$$
n=0
failed=0
bpid=

cleanup() {
	if [ -n "$bpid" ]; then
		kill "$bpid" 2>/dev/null
		wait "$bpid" 2>/dev/null
	fi
	rm -f /dev/shm"$pfx"-*
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

ok() {
	n=$((n + 1))
	echo "ok $n - $1"
}

not_ok() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $1"
}

# check DESC CMD...: the command succeeds.
check() {
	d=$1
	shift
	if "$@"; then ok "$d"; else not_ok "$d"; fi
}

# rc WANT DESC CMD...: the command exits with WANT, stdout in $tmp/out,
# stderr in $tmp/err.
rc() {
	want=$1
	d=$2
	shift 2
	"$@" >"$tmp/out" 2>"$tmp/err"
	got=$?
	if [ "$got" -eq "$want" ]; then
		ok "$d"
	else
		not_ok "$d (exit $got, wanted $want)"
		sed 's/^/#   /' "$tmp/err"
	fi
}

# jqt DESC FILTER: the JSON in $tmp/out makes FILTER true.  "input"
# makes an empty file fail: jq 1.6's -e alone passes it.
jqt() {
	if jq -e -n "input | ($2)" "$tmp/out" >/dev/null 2>&1; then
		ok "$1"
	else
		not_ok "$1"
		sed 's/^/#   /' "$tmp/out"
	fi
}

# grepq DESC FILE REGEX: FILE has a line matching REGEX.
grepq() {
	if grep -q -e "$3" "$2"; then ok "$1"; else not_ok "$1"; fi
}

# Start the private broker and wait for its socket.
broker_start() {
	"$Q" broker --socket "$QSHM_SOCKET" 2>"$tmp/broker.err" &
	bpid=$!
	i=0
	while [ ! -S "$QSHM_SOCKET" ] && [ "$i" -lt 200 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	if [ -S "$QSHM_SOCKET" ]; then
		ok "private broker listens"
	else
		not_ok "private broker listens"
		cat "$tmp/broker.err"
		exit 1
	fi
}

# recipient SCRIPT: start a shell that writes its pid to $rpid, reads a
# handle into $h from a FIFO, then evals SCRIPT (which usually execs
# qshmctl, keeping the pid the handle was made for).  Output goes to
# $tmp/rout and $tmp/rerr.  deliver HANDLE hands it over and waits.
recipient() {
	rm -f "$tmp/rpid" "$tmp/rpid.tmp" "$tmp/fifo"
	mkfifo "$tmp/fifo"
	# shellcheck disable=SC2016
	sh -c 'echo "$$" >"$1.tmp"; mv "$1.tmp" "$1"; read -r h <"$2";
	    export h; eval "$3"' sh "$tmp/rpid" "$tmp/fifo" "$1" \
	    >"$tmp/rout" 2>"$tmp/rerr" &
	rbg=$!
	while [ ! -s "$tmp/rpid" ]; do
		sleep 0.01
	done
	# shellcheck disable=SC2034 # used by the suites
	rpid=$(cat "$tmp/rpid")
}

deliver() {
	echo "$1" >"$tmp/fifo"
	wait "$rbg"
	# shellcheck disable=SC2034 # used by the suites
	rrc=$?
}

# Print the plan and exit with the suite's status.
finish() {
	echo "1..$n"
	[ "$failed" -eq 0 ]
	exit
}
