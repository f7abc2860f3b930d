#!/bin/sh
# demo.sh BUILD_DIR: the main job of qshm, for real.  A private broker on
# a temporary socket; a writer process makes a revocable anonymous object
# and grants a read-only handle to a reader process, which maps it, reads
# it, and has its writes refused by the kernel; then the writer revokes
# the reader's access: its unused handle fails and its next read of the
# live mapping raises SIGSEGV.  Then QNX's secure recipe runs, and the
# broker shuts down.
set -eu

build=${1:-build}
dir=$(mktemp -d /tmp/qshm-demo.XXXXXX)
QSHM_SOCKET=$dir/broker.sock
QSHM_AUTOSTART=0
export QSHM_SOCKET QSHM_AUTOSTART
broker=

finish() {
	if [ -n "$broker" ] && kill -0 "$broker" 2>/dev/null; then
		kill "$broker" 2>/dev/null || true
	fi
	rm -rf "$dir"
}
trap finish EXIT INT TERM

echo "== starting a private broker on $QSHM_SOCKET"
"$build/qshmctl" broker --socket "$QSHM_SOCKET" --audit "$dir/audit.log" &
broker=$!
i=0
until [ -S "$QSHM_SOCKET" ]; do
	i=$((i + 1))
	if [ "$i" -gt 100 ] || ! kill -0 "$broker" 2>/dev/null; then
		echo "demo: the broker did not start" >&2
		exit 1
	fi
	sleep 0.05
done

echo "== a writer grants a read-only handle to a reader"
"$build/tests/demo/demo-writer" "$build/tests/demo/demo-reader"

echo "== QNX's secure recipe: SHM_ANON, REVOCABLE|SEAL, NOFD, mmap_handle"
"$build/tests/demo/secure-recipe"

echo "== what the broker recorded (audit log)"
cat "$dir/audit.log"

echo "== stopping the broker"
kill -TERM "$broker"
status=0
wait "$broker" || status=$?
broker=
if [ "$status" -ne 0 ] || [ -e "$QSHM_SOCKET" ]; then
	echo "demo: the broker exited with status $status" >&2
	exit 1
fi
echo "broker exited cleanly and removed its socket"
