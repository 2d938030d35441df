# Sourced by scripts/test.sh (and deploy/local scripts): installs, starts and stops the AWS
# emulators the adapter tests run against, on 127.0.0.1 only:
#   kinesis-mock (npm kinesis-local) for Kinesis, moto single-threaded for DynamoDB and S3.
# `emulators_start` exports the AWS_* variables the SDK reads; `emulators_stop` kills only the
# processes it started (their PIDs are remembered here, nothing is killed by name).

EMU_CACHE="${CLICKSTREAM_CACHE:-$HOME/.cache/clickstream}"
EMU_NPM="$EMU_CACHE/npm"
EMU_LOGS="$EMU_CACHE/emulator-logs"
EMU_PIDS=()

emulators_install() {
  local venv="$1"
  if [ ! -f "$EMU_NPM/node_modules/kinesis-local/main.js" ]; then
    echo "== installing kinesis-mock (npm kinesis-local) into $EMU_NPM"
    mkdir -p "$EMU_NPM"
    (cd "$EMU_NPM" && npm install --silent --no-audit --no-fund kinesis-local@0.6.2 >/dev/null)
  fi
  if ! "$venv/bin/python" -c "import moto.server, werkzeug" 2>/dev/null; then
    echo "== installing moto[server] from PyPI"
    "$venv/bin/pip" install --quiet --disable-pip-version-check 'moto[server]>=5.1,<6'
  fi
}

# A free TCP port on 127.0.0.1 (bound and released; the tiny race is acceptable in tests).
emu_free_port() {
  "$1" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

emu_wait_port() {
  local port="$1" name="$2" pid="$3"
  for _ in $(seq 1 300); do
    if (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "$name died during start; log:" >&2; cat "$EMU_LOGS/$name.log" >&2; return 1
    fi
    sleep 0.1
  done
  echo "$name did not listen on $port within 30 s" >&2
  return 1
}

emulators_start() {
  local venv="$1"
  mkdir -p "$EMU_LOGS"
  local kport mport
  kport=$(emu_free_port "$venv/bin/python")
  mport=$(emu_free_port "$venv/bin/python")
  local kdir="$EMU_NPM/node_modules/kinesis-local"
  KINESIS_MOCK_PLAIN_PORT="$kport" KINESIS_MOCK_TLS_PORT="$(emu_free_port "$venv/bin/python")" \
    KINESIS_MOCK_CERT_PATH="$kdir/server.json" \
    CREATE_STREAM_DURATION=0ms DELETE_STREAM_DURATION=0ms SPLIT_SHARD_DURATION=0ms \
    MERGE_SHARDS_DURATION=0ms UPDATE_SHARD_COUNT_DURATION=0ms \
    node -r "$PWD/scripts/listen-localhost.js" "$kdir/main.js" >"$EMU_LOGS/kinesis-mock.log" 2>&1 &
  EMU_PIDS+=($!)
  emu_wait_port "$kport" kinesis-mock "$!"
  "$venv/bin/python" scripts/moto_server.py "$mport" >"$EMU_LOGS/moto.log" 2>&1 &
  EMU_PIDS+=($!)
  emu_wait_port "$mport" moto "$!"
  export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1
  export AWS_EC2_METADATA_DISABLED=true
  export AWS_ENDPOINT_URL_KINESIS="http://127.0.0.1:$kport"
  export AWS_ENDPOINT_URL_DYNAMODB="http://127.0.0.1:$mport"
  export AWS_ENDPOINT_URL_S3="http://127.0.0.1:$mport"
  export CLICKSTREAM_EMULATORS=1
  echo "== emulators: kinesis-mock on $kport, moto on $mport (logs in $EMU_LOGS)"
}

emulators_stop() {
  local pid
  for pid in "${EMU_PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${EMU_PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  EMU_PIDS=()
}
