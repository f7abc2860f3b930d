#!/bin/sh
# run.sh BUILD_DIR TEST...: run each test program or script, keep its log,
# and end with one line counting the test cases that passed and failed.
# cmocka programs report "[       OK ]" / "[  FAILED  ]" per case; shell
# suites report "ok N - ..." / "not ok N - ..." (TAP).

build=$1
shift
logs=$build/tests/logs
mkdir -p "$logs"
passed=0
failed=0
broken=""

for t in "$@"; do
	name=$(basename "$t")
	log=$logs/$name.log
	case $t in
	*.sh)	QSHMCTL=$build/qshmctl BUILD=$build sh "$t" >"$log" 2>&1 ;;
	*)	QSHMCTL=$build/qshmctl BUILD=$build "$t" >"$log" 2>&1 ;;
	esac
	rc=$?
	p=$(grep -c -e '^\[       OK \]' -e '^ok ' "$log")
	# cmocka names a failed case twice: when it fails and in its summary.
	f=$(grep -e '^\[  FAILED  \] [^0-9]' -e '^not ok ' "$log" | sort -u |
	    wc -l)
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1	# it died before it could say which case failed
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$rc" -eq 0 ] && [ "$f" -eq 0 ]; then
		printf 'PASS %-32s %4d cases\n' "$name" "$p"
	else
		printf 'FAIL %-32s %4d passed, %d failed (exit %d)\n' \
		    "$name" "$p" "$f" "$rc"
		grep -e '^\[  FAILED  \]' -e '^not ok' -e 'ERROR' -e 'error:' \
		    "$log" | head -n 20 | sed 's/^/    /'
		broken="$broken $name"
	fi
done

echo "logs: $logs"
[ -n "$broken" ] && echo "failed suites:$broken"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
