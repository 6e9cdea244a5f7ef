#!/usr/bin/env bash
# Install spam-detector as systemd services from a built checkout (npm ci && npm run build).
#
#   sudo deploy/systemd/install.sh                 # install, enable and start spam-detector.target
#   sudo deploy/systemd/install.sh --no-start      # install and enable only
#   deploy/systemd/install.sh --root /tmp/r --deps skip   # lay the files out under /tmp/r (tests, packaging)
#
# Layout (docs/operations.md):
#   /opt/spam-detector/releases/<release>/   dist/, models/, package*.json, production node_modules
#   /opt/spam-detector/current -> releases/<release>   (the units run "current": upgrade and
#                                                        rollback are a symlink flip + restart)
#   /etc/spam-detector/spam-detector.env     settings (kept if it already exists)
#   /etc/systemd/system/spam-detector*.{service,target}
#   /etc/sysusers.d/spam-detector.conf       the system user both units run as
#   /var/lib/spam-detector/models/           operator-managed models (MODEL_PATH), see docs
set -euo pipefail

ROOT=""
PREFIX=/opt/spam-detector
RELEASE=""
DEPS=install
START=1

usage() {
  sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'
  echo "options: --root DIR  --prefix DIR  --release NAME  --deps install|copy|skip  --no-start"
}

while (($#)); do
  case "$1" in
    --root) ROOT="${2:?--root needs a directory}"; shift 2 ;;
    --prefix) PREFIX="${2:?--prefix needs a directory}"; shift 2 ;;
    --release) RELEASE="${2:?--release needs a name}"; shift 2 ;;
    --deps) DEPS="${2:?--deps needs install, copy or skip}"; shift 2 ;;
    --no-start) START=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "install.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done
case "$DEPS" in install|copy|skip) ;; *) echo "install.sh: --deps must be install, copy or skip" >&2; exit 2 ;; esac
# The units hard-code /opt/spam-detector/current; another prefix would need edited units.
if [[ "$PREFIX" != /opt/spam-detector ]]; then
  echo "install.sh: the units expect /opt/spam-detector; for another prefix, edit the units' paths too" >&2
fi

SRC="$(cd "$(dirname "$0")/../.." && pwd)"
HERE="$SRC/deploy/systemd"

for f in dist/services/inference/src/main.js dist/services/exporter/src/main.js package.json package-lock.json; do
  [[ -e "$SRC/$f" ]] || { echo "install.sh: $SRC/$f is missing: run 'npm ci && npm run build' first" >&2; exit 1; }
done
if [[ -z "$ROOT" ]]; then
  [[ $EUID -eq 0 ]] || { echo "install.sh: run as root (or use --root DIR)" >&2; exit 1; }
  node_major="$(/usr/bin/node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
  ((node_major >= 20)) || { echo "install.sh: the units run /usr/bin/node, which must be Node.js >= 20" >&2; exit 1; }
fi

if [[ -z "$RELEASE" ]]; then
  version="$(node -p 'require(process.argv[1]).version' "$SRC/package.json")"
  sha="$(git -C "$SRC" rev-parse --short HEAD 2>/dev/null || date -u +%Y%m%d%H%M%S)"
  RELEASE="$version-$sha"
fi

R="$ROOT"
rel_dir="$R$PREFIX/releases/$RELEASE"
echo "install.sh: release $RELEASE -> $rel_dir"

# 1. The system user (sysusers.d keeps it declared; systemd-sysusers creates it now).
install -D -m 0644 "$HERE/sysusers.d/spam-detector.conf" "$R/etc/sysusers.d/spam-detector.conf"
if [[ -n "$ROOT" ]]; then systemd-sysusers --root="$ROOT"; else systemd-sysusers; fi

# 2. The release, read-only for the services (owned by root).
mkdir -p "$rel_dir"
for item in dist models package.json package-lock.json .npmrc docs; do
  if [[ -e "$SRC/$item" ]]; then cp -a "$SRC/$item" "$rel_dir/"; fi
done
case "$DEPS" in
  install) (cd "$rel_dir" && ONNXRUNTIME_NODE_INSTALL=skip npm ci --omit=dev --no-audit --no-fund) ;;
  copy) cp -a "$SRC/node_modules" "$rel_dir/" ;;
  skip) ;;
esac
ln -sfn "releases/$RELEASE" "$R$PREFIX/current.new" && mv -T "$R$PREFIX/current.new" "$R$PREFIX/current"

# 3. Settings (never overwrite an operator's edits) and the models directory.
install -d -m 0755 "$R/etc/spam-detector"
if [[ ! -e "$R/etc/spam-detector/spam-detector.env" ]]; then
  install -m 0644 "$HERE/spam-detector.env" "$R/etc/spam-detector/spam-detector.env"
else
  echo "install.sh: keeping existing /etc/spam-detector/spam-detector.env (new defaults: $HERE/spam-detector.env)"
fi
install -d -m 0750 "$R/var/lib/spam-detector/models"
if [[ -z "$ROOT" ]]; then chgrp spam-detector "$R/var/lib/spam-detector/models"; fi

# 4. The units.
for unit in spam-detector.target spam-detector-exporter.service spam-detector-inference.service 'spam-detector-inference@.service'; do
  install -D -m 0644 "$HERE/$unit" "$R/etc/systemd/system/$unit"
done

if [[ -n "$ROOT" ]]; then
  echo "install.sh: files laid out under $ROOT (no systemctl calls with --root)"
  exit 0
fi

systemctl daemon-reload
systemctl enable spam-detector.target spam-detector-exporter.service spam-detector-inference.service
if ((START)); then
  # restart, not start: on an upgrade the running processes must pick up the new "current".
  systemctl restart spam-detector-exporter.service spam-detector-inference.service
  systemctl start spam-detector.target
  systemctl --no-pager --lines=0 status spam-detector-exporter.service spam-detector-inference.service || true
fi
echo "install.sh: done. Logs: journalctl -u spam-detector-inference -u spam-detector-exporter -f"
