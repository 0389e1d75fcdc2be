#!/usr/bin/env bash
# A Docker engine and compose v2 for the compose test, on a machine with no Docker installed and no
# image registry: Debian's own packages unpacked under .local/docker (nothing is installed on the
# system), compose built from the Go module proxy. Needs root (dockerd does).
#   infra/compose/engine.sh start    install what is missing, start dockerd, print the environment
#   infra/compose/engine.sh stop     stop dockerd and containerd
#   source .local/docker/env         DOCKER_HOST and PATH for `docker` and `docker compose`
set -euo pipefail
cd "$(dirname "$0")/../.."

# Tested together: Debian bookworm's engine and compose from the Go proxy (README, "With Docker").
compose_version=v2.40.3
packages=(docker.io containerd runc tini iptables libip4tc2 libip6tc2 libxtables12
  libnetfilter-conntrack3 libnfnetlink0 libnftnl11 mmdebstrap)

home=$PWD/.local/docker
root=$home/root
bin=$home/bin
sock=$home/docker.sock
log=$home/dockerd.log

fail() {
  echo "engine.sh: $*" >&2
  exit 1
}

install_packages() {
  [ -x "$root/usr/sbin/dockerd" ] && [ -x "$root/usr/bin/mmdebstrap" ] && return
  mkdir -p "$home/debs" "$root"
  echo "engine: downloading ${packages[*]} from Debian"
  (cd "$home/debs" && apt-get download "${packages[@]}" > /dev/null 2>&1) ||
    (apt-get update -q > /dev/null && cd "$home/debs" && apt-get download "${packages[@]}" > /dev/null) ||
    fail "could not download ${packages[*]} with apt-get; this needs Debian's package mirror"
  for deb in "$home"/debs/*.deb; do dpkg-deb -x "$deb" "$root"; done
}

# compose v2's go.mod has exclude directives, so `go install pkg@version` refuses it: it is built
# as the main module from the proxy's copy of its source.
install_compose() {
  [ -x "$bin/docker-compose" ] && return
  command -v go > /dev/null || fail "Go is needed to build compose $compose_version (go install)"
  echo "engine: building compose $compose_version from the Go module proxy (a few minutes, once)"
  local dir src
  dir=$(cd /tmp && GOFLAGS=-mod=mod go mod download -json "github.com/docker/compose/v2@$compose_version" |
    sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  [ -n "$dir" ] || fail "the Go proxy did not give github.com/docker/compose/v2@$compose_version"
  src=$home/compose-src
  rm -rf "$src" && cp -r "$dir" "$src" && chmod -R u+w "$src"
  mkdir -p "$bin"
  (cd "$src" && CGO_ENABLED=0 go build -trimpath \
    -ldflags "-s -w -X github.com/docker/compose/v2/internal.Version=$compose_version" \
    -o "$bin/docker-compose" ./cmd)
  rm -rf "$src"
}

# dockerd finds iptables, docker-proxy, containerd and runc on PATH; Debian sets `iptables` up
# through update-alternatives, which an unpacked package does not run.
write_env() {
  mkdir -p "$bin" "$home/config/cli-plugins"
  for tool in iptables iptables-save iptables-restore ip6tables ip6tables-save ip6tables-restore; do
    ln -sf "$root/usr/sbin/xtables-legacy-multi" "$bin/$tool"
  done
  ln -sf "$bin/docker-compose" "$home/config/cli-plugins/docker-compose"
  cat > "$home/env" << EOF
export PATH="$bin:$root/usr/sbin:$root/usr/bin:\$PATH"
export LD_LIBRARY_PATH="$root/usr/lib/x86_64-linux-gnu:$root/usr/sbin\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"
export XTABLES_LIBDIR="$root/usr/lib/x86_64-linux-gnu/xtables"
export DOCKER_HOST="unix://$sock"
export DOCKER_CONFIG="$home/config"
export DOCKER_BUILDKIT=0
EOF
}

running() { [ -S "$sock" ] && docker version > /dev/null 2>&1; }

start() {
  [ "$(id -u)" -eq 0 ] || fail "dockerd needs root; run as root (CI does)"
  install_packages
  install_compose
  write_env
  # shellcheck source=/dev/null
  . "$home/env"
  if running; then
    echo "engine: already running ($DOCKER_HOST)"
    return
  fi
  mkdir -p "$home/data" "$home/exec"
  dockerd --data-root "$home/data" --exec-root "$home/exec" -H "unix://$sock" \
    --pidfile "$home/dockerd.pid" > "$log" 2>&1 &
  for _ in $(seq 1 60); do
    running && break
    kill -0 $! 2> /dev/null || { tail -20 "$log" >&2; fail "dockerd stopped while starting (log above)"; }
    sleep 0.5
  done
  running || { tail -20 "$log" >&2; fail "dockerd did not answer within 30 s (log: $log)"; }
  echo "engine: $(docker version --format 'Docker {{.Server.Version}}'), $(docker compose version --short 2> /dev/null || echo 'compose missing')"
}

stop() {
  [ -f "$home/dockerd.pid" ] || return 0
  local pid
  pid=$(cat "$home/dockerd.pid")
  kill "$pid" 2> /dev/null || true
  for _ in $(seq 1 60); do
    kill -0 "$pid" 2> /dev/null || break
    sleep 0.5
  done
  rm -f "$home/dockerd.pid"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) fail "usage: engine.sh start|stop" ;;
esac
