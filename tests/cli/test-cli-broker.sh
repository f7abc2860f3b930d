#!/bin/sh
# qshmctl broker: start-up failures and how they are reported (also by a
# --daemon's parent), the descriptor limit it takes, a relative --socket,
# --audit - (stderr), and audit files another uid planted (as root).

# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"

# A path that exists but is no socket is not replaced.
: >"$tmp/file"
rc 1 "a socket path that is a plain file" "$Q" broker --socket "$tmp/file"
grepq "  says it is not a socket" "$tmp/err" \
    "broker: $tmp/file: exists and is not a socket"
check "  the file is left alone" test -f "$tmp/file"

# The lock file cannot be opened.
mkdir "$tmp/locked.sock.lock"
rc 1 "a lock path that is a directory" "$Q" broker --socket \
    "$tmp/locked.sock"
grepq "  names the lock file" "$tmp/err" \
    "broker: $tmp/locked.sock.lock: Is a directory"

# The socket's directory is a plain file.
rc 1 "a socket under a plain file" "$Q" broker --socket "$tmp/file/b.sock"
grepq "  says why" "$tmp/err" \
    "broker: $tmp/file/b.sock.lock: Not a directory"

# Longer than sockaddr_un holds.
long=$tmp/$(printf '%0120d' 0).sock
rc 1 "a socket path too long to bind" "$Q" broker --socket "$long"
grepq "  says so" "$tmp/err" "broker: $long: File name too long"

# Longer than any path, or relative to a working directory that is gone.
huge=/$(printf '%05000d' 0)
rc 1 "a socket path longer than PATH_MAX" "$Q" broker --socket "$huge"
grepq "  says so" "$tmp/err" "broker: socket path: File name too long"
mkdir "$tmp/gone"
(cd "$tmp/gone" && rmdir "$tmp/gone" && exec "$Q" broker --socket \
    rel.sock) >"$tmp/out" 2>"$tmp/err"
check "a relative socket path in a removed directory: exit 1" \
    test $? -eq 1
grepq "  says why" "$tmp/err" \
    "broker: socket path: No such file or directory"

# The socket's directory cannot be made.
rc 1 "a socket directory under a plain file" "$Q" broker --socket \
    "$tmp/file/sub/b.sock"
grepq "  names it" "$tmp/err" "broker: $tmp/file/sub: Not a directory"

# An audit file that cannot be opened: no broker, and a clear message,
# from the --daemon's parent too (the child reports before it detaches).
rc 1 "an audit file in a missing directory" "$Q" broker --socket \
    "$tmp/a.sock" --audit "$tmp/none/audit.log"
grepq "  names the audit file" "$tmp/err" \
    "broker: $tmp/none/audit.log: No such file or directory"
check "  no socket is left" test ! -e "$tmp/a.sock"
rc 1 "the same with --daemon" "$Q" broker --daemon --socket \
    "$tmp/a.sock" --audit "$tmp/none/audit.log"
grepq "  the parent prints the child's error" "$tmp/err" \
    "broker: $tmp/none/audit.log: No such file or directory"
check "  no socket is left" test ! -e "$tmp/a.sock"

# audit_refused DESC PATH WHY: the broker will not log to PATH, saying
# WHY; bounded, since an old broker blocked opening a FIFO.
audit_refused() {
	rc 1 "$1" timeout 10 "$Q" broker --socket "$tmp/a.sock" --audit "$2"
	grepq "  says why" "$tmp/err" "broker: $2: $3\$"
	check "  no socket is left" test ! -e "$tmp/a.sock"
}

# Files another uid (nobody) planted where the broker is told to log.
# Run as root, the attack's case: the broker must not follow them.
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	chmod 755 "$tmp"
	echo "root's own" >"$tmp/target"
	cp "$tmp/target" "$tmp/target.orig"
	mkdir "$tmp/evil"
	chown 65534:65534 "$tmp/evil"
	nobody="setpriv --reuid 65534 --regid 65534 --clear-groups"
	$nobody ln -s "$tmp/target" "$tmp/evil/audit.log"
	audit_refused "a symlink in a directory nobody owns" \
	    "$tmp/evil/audit.log" "$tmp/evil: owned by uid 65534, not by root"
	$nobody mkfifo "$tmp/evil/fifo"
	audit_refused "a FIFO in a directory nobody owns" "$tmp/evil/fifo" \
	    "$tmp/evil: owned by uid 65534, not by root"
	# In a sticky directory, each name is its owner's.
	mkdir -m 1777 "$tmp/sticky"
	$nobody ln -s "$tmp/target" "$tmp/sticky/audit.log"
	audit_refused "a symlink nobody planted in a sticky directory" \
	    "$tmp/sticky/audit.log" "a symbolic link, not a regular file"
	$nobody mkfifo "$tmp/sticky/fifo"
	audit_refused "a FIFO nobody planted in a sticky directory" \
	    "$tmp/sticky/fifo" "a FIFO, not a regular file"
	$nobody touch "$tmp/sticky/file"
	audit_refused "a file nobody planted in a sticky directory" \
	    "$tmp/sticky/file" "owned by uid 65534, not by root"
	check "  the symlinks' target is untouched" \
	    cmp -s "$tmp/target" "$tmp/target.orig"
	# Root's own, but not safe to append to.
	ln "$tmp/target" "$tmp/hard"
	audit_refused "a second name of another file" "$tmp/hard" \
	    "a file with 2 names (hard links)"
	rm "$tmp/hard"
	: >"$tmp/gw"
	chmod 664 "$tmp/gw"
	audit_refused "a file its group may write" "$tmp/gw" \
	    "writable by its group or others"
	ln -s "$tmp" "$tmp/dirlink"
	audit_refused "a path through a symlinked directory" \
	    "$tmp/dirlink/new.log" "$tmp/dirlink: a symbolic link"
	audit_refused "a device" /dev/null "a device, not a regular file"
	check "  the symlinks' target is still untouched" \
	    cmp -s "$tmp/target" "$tmp/target.orig"
	rm -rf "$tmp/evil" "$tmp/sticky" "$tmp/dirlink" "$tmp/gw"
	chmod 700 "$tmp"
fi

# The broker raises its soft descriptor limit to the hard one.
hard=$(prlimit --nofile --output=HARD --noheadings)
[ "$hard" = unlimited ] && hard=4096
prlimit --nofile=100:"$hard" "$Q" broker --socket "$tmp/nofile.sock" &
bpid=$!
i=0
while [ ! -S "$tmp/nofile.sock" ] && [ "$i" -lt 200 ]; do
	sleep 0.05
	i=$((i + 1))
done
check "a broker started with 100 of $hard descriptors" \
    test -S "$tmp/nofile.sock"
check "  takes all $hard" grep -Eq "^Max open files +$hard +$hard " \
    "/proc/$bpid/limits"
kill "$bpid"
wait "$bpid"
brc=$?
bpid=
check "  SIGTERM: exit 0" test "$brc" -eq 0

# A relative --socket is made absolute against the working directory;
# --audit - logs to stderr.
mkdir "$tmp/cwd"
(cd "$tmp/cwd" && exec "$Q" broker --socket rel.sock --audit - \
    2>"$tmp/audit.err") &
bpid=$!
i=0
while [ ! -S "$tmp/cwd/rel.sock" ] && [ "$i" -lt 200 ]; do
	sleep 0.05
	i=$((i + 1))
done
check "a relative --socket listens in the working directory" \
    test -S "$tmp/cwd/rel.sock"
rc 0 "  and serves" "$Q" -s "$tmp/cwd/rel.sock" create --anon --size 4096
check "  the creation is audited on stderr" \
    grep -q '"event":"park"' "$tmp/audit.err"
kill "$bpid"
wait "$bpid"
brc=$?
bpid=
check "  SIGTERM: exit 0" test "$brc" -eq 0
check "  the socket is removed" test ! -e "$tmp/cwd/rel.sock"

finish
