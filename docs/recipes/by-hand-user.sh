. /run/account-reset-demo-ID/users/$USER/env  # the path "quickstart allow" printed
spawn-fcgi -s "$d/by-hand.sock" -P "$d/by-hand.pid" -- \
    "$bin/account-reset" --config "$d/account-reset.conf"
code=$("$bin/account-reset-admin" --config "$d/account-reset.conf" issue-code "$email")
body="{\"validation_code\":\"$code\",\"password\":\"By-hand-Passw0rd\"}"
printf %s "$body" | REQUEST_METHOD=POST CONTENT_TYPE=application/json \
    CONTENT_LENGTH=${#body} cgi-fcgi -bind -connect "$d/by-hand.sock"
tail -n 1 "$d/account-reset.log"             # the log: log_file in your config
kill "$(cat "$d/by-hand.pid")"
