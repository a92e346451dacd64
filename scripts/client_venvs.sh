#!/usr/bin/env bash
# The clients that tests/clients/ drive against `bte serve`, each in its own venv under
# build/venvs/ (the SDK's v2 and v3 cannot share one):
#   sdk2    the SageMaker Python SDK v2  (sagemaker==2.257.7)
#   sdk3    the SageMaker Python SDK v3  (sagemaker==3.27.0 with sagemaker-core; its lock leaves out
#           sagemaker-train/-serve/-mlops and mlflow, which nothing on the transform path imports)
#   awscli  the AWS CLI v1               (awscli==1.46.3)
# Each venv installs its lock file, scripts/client-venvs/NAME.txt (every package pinned,
# installed with --no-deps by uv when .venv has it, else pip: no resolver run, the same
# versions on every machine). A venv
# whose .lock-hash matches its lock file is left alone, so a second run costs nothing.
# To move a pin: install the new top-level version into a scratch venv, `pip freeze` it
# into the lock file, rerun this script.
set -euo pipefail
cd "$(dirname "$0")/.."
log() { printf '[client_venvs] %s\n' "$*" >&2; }
PY=${PYTHON:-python3}
mkdir -p build/venvs

make_venv() {  # name lock hash: one venv, logged to build/venvs/NAME.log
  local name=$1 lock=$2 hash=$3 dir=build/venvs/$1 start=$SECONDS
  rm -rf "$dir"
  if [ -x .venv/bin/uv ]; then  # uv (a test extra) fetches in parallel: ~15 s a venv where pip takes minutes
    "$PY" -m venv --without-pip "$dir"
    .venv/bin/uv pip install --quiet --python "$dir/bin/python" --no-deps -r "$lock" >"build/venvs/$name.log" 2>&1
  else
    "$PY" -m venv "$dir"
    "$dir/bin/pip" install -q --disable-pip-version-check --no-deps -r "$lock" >"build/venvs/$name.log" 2>&1
  fi || { log "install failed for $name; last lines of build/venvs/$name.log:"; tail -20 "build/venvs/$name.log" >&2; return 1; }
  printf '%s' "$hash" >"$dir/.lock-hash"
  log "$dir ready in $((SECONDS - start)) s"
}

# The venvs install side by side: pip spends most of its time waiting on the index.
pids=()
for lock in scripts/client-venvs/*.txt; do
  name=$(basename "$lock" .txt)
  hash=$(sha256sum "$lock" | cut -c1-16)
  if [ -x "build/venvs/$name/bin/python" ] && [ "$(cat "build/venvs/$name/.lock-hash" 2>/dev/null)" = "$hash" ]; then
    continue
  fi
  log "creating build/venvs/$name from $lock"
  make_venv "$name" "$lock" "$hash" &
  pids+=($!)
done
failed=0
for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
exit $failed
