# Shared by the .ci scripts that try a running instance from outside: a fresh instance on a
# database of the caller's choosing, its owner signed in, and keys made through the user API.
# Source it from the repository's root with $work set to a scratch directory.

# Builds the debug binary and serves a fresh instance on DATABASE_URL (the owner set up with
# the password "instance test password"); sets $base and $server (the process id).
start_instance() {
  RUSTFLAGS="--cfg erase_components" cargo build -q -p server --bin keyward
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  base="http://127.0.0.1:$port"
  export KEYWARD_SECRET_FILE="$work/secret" KEYWARD_LOG="${KEYWARD_LOG:-warn}"
  printf 'instance test password\n' |
    target/debug/keyward setup --workspace Instance --email owner@example.com >/dev/null
  KEYWARD_ADDR="127.0.0.1:$port" target/debug/keyward serve >"$work/server.log" 2>&1 &
  server=$!
  for _ in $(seq 100); do curl -fs "$base/healthz" >/dev/null && break; sleep 0.1; done
  # Signed in as a browser without JavaScript would: the login form posts to its server function.
  jar="$work/cookies"
  local login
  login=$(curl -fs "$base/login" | grep -o 'action="/api/login[^"]*"' | head -1 | cut -d'"' -f2)
  curl -fs -c "$jar" -b "$jar" -o /dev/null -H "Origin: $base" \
    --data-urlencode email=owner@example.com --data-urlencode password='instance test password' \
    "$base$login"
  token=$(curl -fs -b "$jar" -X POST -H "Origin: $base" "$base/api/v1/auth/token" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
}

# Creates a key with every permission named $1 through the user API; prints the HTTP status
# and, on success, the secret (as "STATUS SECRET").
create_key() {
  local out
  out=$(curl -s -o "$work/created.json" -w '%{http_code}' -X POST \
    -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d "{\"name\":\"$1\",\"purpose\":\"\",\"principal\":\"service\",\"application_id\":\"\",\"agent_id\":\"\",\"preset\":\"full\",\"permissions\":[],\"expiration\":\"7\",\"expires_on\":\"\"}" \
    "$base/api/v1/user/keys")
  if [ "$out" = 201 ]; then
    echo "$out $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["secret"])' "$work/created.json")"
  else
    echo "$out"
  fi
}
