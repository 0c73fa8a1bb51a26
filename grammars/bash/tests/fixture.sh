#!/usr/bin/env bash
# Backs up a folder to a dated archive.
set -euo pipefail

source "$(dirname "$0")/lib/log.sh"
. ./config.sh

BACKUP_DIR="${BACKUP_DIR:-/var/backups}"
readonly KEEP=7

# Prints the archive name for today.
archive_name() {
  local base="$1"
  echo "${base}-$(date +%Y%m%d).tar.gz"
}

# Removes archives older than KEEP days.
function prune {
  find "$BACKUP_DIR" -name '*.tar.gz' -mtime "+$KEEP" -delete
}

main() {
  local target
  target="$BACKUP_DIR/$(archive_name "$(basename "$1")")"
  log_info "writing $target"
  tar -czf "$target" "$1"
  prune
}

main "$@"
