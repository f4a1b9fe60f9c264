#!/usr/bin/env bash
# Installs the system packages the tests and the local emulator need: redis-server (with TLS), redis-sentinel,
# redis-tools (redis-cli, redis-benchmark), valkey-server (Debian bookworm-backports: Valkey templates run the
# engine they ask for), memcached, Node.js/npm for the CDK CLI, python3-venv and make.
# Debian/Ubuntu; run as root or with sudo available.
#
# Idempotent and quick: when every command is already present it only prints the versions and never calls
# apt-get (nor sudo). When anything is missing it refreshes the package lists first (apt-get update), then
# installs only what is missing.
set -euo pipefail

packages=()
command -v redis-server   >/dev/null 2>&1 || packages+=(redis-server)
command -v redis-sentinel >/dev/null 2>&1 || packages+=(redis-sentinel)
command -v redis-cli      >/dev/null 2>&1 || packages+=(redis-tools)
command -v memcached      >/dev/null 2>&1 || packages+=(memcached)
command -v node           >/dev/null 2>&1 || packages+=(nodejs)
command -v npm            >/dev/null 2>&1 || packages+=(npm)
if ! command -v python3 >/dev/null 2>&1; then
  packages+=(python3 python3-venv)
elif ! python3 -c "import venv, ensurepip" >/dev/null 2>&1; then
  packages+=(python3-venv)   # Debian's python3 ships venv without ensurepip
fi
command -v make           >/dev/null 2>&1 || packages+=(make)
need_valkey=0
command -v valkey-server  >/dev/null 2>&1 || need_valkey=1

if ((${#packages[@]} == 0 && need_valkey == 0)); then
  echo "system-deps: all present (redis-server, redis-sentinel, redis-cli, valkey-server, memcached, node, npm, python3-venv, make)"
else
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null 2>&1; then
      echo "system-deps: missing ${packages[*]} $( ((need_valkey)) && echo valkey-server); run as root or install sudo" >&2
      exit 1
    fi
    SUDO="sudo"
  fi
  export DEBIAN_FRONTEND=noninteractive
  # valkey-server is packaged in bookworm-backports only (8.0.x); add that suite when the machine is bookworm and
  # lacks it. Backports are never installed unless asked for with -t, so nothing else changes version.
  backports=""
  if ((need_valkey)) && [ -r /etc/os-release ] && (. /etc/os-release && [ "${VERSION_CODENAME:-}" = "bookworm" ]); then
    backports="bookworm-backports"
    if ! grep -rqs "bookworm-backports" /etc/apt/sources.list /etc/apt/sources.list.d/; then
      printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
        | $SUDO tee /etc/apt/sources.list.d/bookworm-backports.sources >/dev/null
    fi
  fi
  echo "system-deps: installing ${packages[*]} $( ((need_valkey)) && echo valkey-server)"
  $SUDO apt-get update -qq
  if ((${#packages[@]})); then
    $SUDO apt-get install -y -qq --no-install-recommends "${packages[@]}"
  fi
  if ((need_valkey)); then
    if [ -n "$backports" ]; then
      $SUDO apt-get install -y -qq --no-install-recommends -t "$backports" valkey-server
    else
      $SUDO apt-get install -y -qq --no-install-recommends valkey-server
    fi
  fi
  # The Debian packages start system services on 6379/11211 where an init system runs; nothing here needs them.
  for svc in redis-server valkey-server memcached; do
    if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$svc" 2>/dev/null; then
      $SUDO systemctl stop "$svc" || true
    fi
  done
fi
echo "system-deps: $(redis-server --version | cut -d' ' -f1-3), $(valkey-server --version | cut -d' ' -f1-3)," \
  "$(memcached -V), node $(node --version), $(python3 --version)"
