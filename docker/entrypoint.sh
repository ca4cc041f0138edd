#!/bin/sh
# Container start: bring the schema to head, then serve. `exec` so that signals reach uvicorn.
set -eu
examhall db upgrade
if [ "${EXAMHALL_LOAD_BANKS:-1}" = "1" ] && [ -d "${EXAMHALL_BANKS_DIR:-question_banks}" ] \
   && examhall banks --help >/dev/null 2>&1; then
  examhall banks load "${EXAMHALL_BANKS_DIR:-question_banks}"
fi
exec examhall serve --host 0.0.0.0 --port "${PORT:-8000}" --workers "${WORKERS:-1}"
