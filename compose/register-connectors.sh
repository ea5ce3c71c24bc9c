#!/bin/sh
# The compose stack's one-shot `register` service (curlimages/curl: POSIX sh and curl only):
# PUT each $CONNECTORS_DIR/NAME.json (a flat connector config) to $CONNECT_URL/connectors/NAME/config,
# as the tutorials' curl calls do. PUT creates or updates, so running it twice is harmless.
# A worker that is not listening yet, still joining its group or rebalancing (409) or failing (5xx)
# is asked again every 2 s, up to $REGISTER_ATTEMPTS times; any other answer (400: the config is
# refused) is printed and makes the exit status 1.
set -u
CONNECT_URL="${CONNECT_URL:-http://connect-1:8083}"
CONNECTORS_DIR="${CONNECTORS_DIR:-/connectors}"
REGISTER_ATTEMPTS="${REGISTER_ATTEMPTS:-60}"
body="${TMPDIR:-/tmp}/register-connectors.$$"
status=0
for file in "$CONNECTORS_DIR"/*.json; do
  name=$(basename "$file" .json)
  attempt=1
  while :; do
    code=$(curl -sS -o "$body" -w '%{http_code}' --max-time 30 -X PUT \
      -H 'Content-Type: application/json' --data @"$file" "$CONNECT_URL/connectors/$name/config") || code=000
    case "$code" in
      2??) echo "$name: $code"; break ;;
      000|409|5??)
        if [ "$attempt" -ge "$REGISTER_ATTEMPTS" ]; then
          echo "$name: gave up after $attempt attempts (last answer $code): $(cat "$body" 2>/dev/null)" >&2
          status=1; break
        fi
        attempt=$((attempt + 1)); sleep 2 ;;
      *) echo "$name: $code $(cat "$body")" >&2; status=1; break ;;
    esac
  done
done
rm -f "$body"
exit $status
