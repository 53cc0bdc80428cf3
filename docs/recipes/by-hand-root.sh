eval "$(bash scripts/quickstart env)"        # rt, conf, bin, email of this clone
spawn-fcgi -s "$rt/by-hand.sock" -P "$rt/by-hand.pid" -- \
    "$bin/account-reset" --config "$conf" --user www-data
code=$("$bin/account-reset-admin" --config "$conf" issue-code "$email")
body="{\"validation_code\":\"$code\",\"password\":\"By-hand-Passw0rd\"}"
printf %s "$body" | REQUEST_METHOD=POST CONTENT_TYPE=application/json \
    CONTENT_LENGTH=${#body} cgi-fcgi -bind -connect "$rt/by-hand.sock"
tail -n 1 "$rt/account-reset.log"            # the log: log_file in $conf
kill "$(cat "$rt/by-hand.pid")"
