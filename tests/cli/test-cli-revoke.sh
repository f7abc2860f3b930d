#!/bin/sh
# qshmctl and revocation: create --revocable --seal, the flags the broker
# keeps for a parked object, grant states in list handles, revoke of a
# revocable object's handles, and the broker's --revoke-* options.
# (A live mapping revoked by `qshmctl revoke` is tested in test-revoke.)

# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"

rc 2 "broker --revoke-timeout 0" "$Q" broker --revoke-timeout 0
rc 2 "broker --revoke-timeout abc" "$Q" broker --revoke-timeout abc
rc 2 "broker --revoke-timeout past a day" "$Q" broker \
    --revoke-timeout 86400001
rc 2 "broker --revoke-enforce maybe" "$Q" broker --revoke-enforce maybe
grepq "... names the choices" "$tmp/err" 'report or kill'

broker_start
rc 0 "create --anon --revocable --seal" "$Q" -j create --anon --size 8K \
    --revocable --seal
jqt "JSON: sealed and revocable" '.sealed == true and .revocable == true
    and .size == 8192'
obj=$(jq -r .object "$tmp/out")
rc 0 "list objects after the creator exited" "$Q" -j list objects -o +flags
jqt "... the broker kept its flags" '.objects[] | select(.name == "'"$obj"'")
    | (.flags | split(",") | index("revocable") != null and
    index("seal") != null) and (.seals | test("seal"))'
rc 1 "truncate the sealed object" "$Q" truncate "$obj" 16K
rc 2 "--revocable needs --anon" "$Q" create "$pfx-r" --revocable
grepq "... says so" "$tmp/err" 'revocable needs --anon'
rc 0 "create --anon --revocable alone" "$Q" -q create --anon --revocable
plain=$(cat "$tmp/out")
rc 0 "... stays resizable" "$Q" truncate "$plain" 16K

rc 0 "grant the revocable object to this shell" "$Q" -q grant "$obj" \
    --pid $$
h=$(cat "$tmp/out")
rc 0 "list handles" "$Q" -j list handles --pid $$
jqt "... pending" '.handles[] | select(.handle == "'"$h"'") |
    .state == "pending"'
rc 0 "revoke it" "$Q" -j revoke "$obj" --pid $$
jqt "... one revoked" '.revoked == 1'
rc 0 "list handles after" "$Q" -j list handles --pid $$
jqt "... none left" '.handles | length == 0'
rc 0 "unlink both" "$Q" unlink "$obj"
rc 0 "... and the other" "$Q" unlink "$plain"
finish
