#!/usr/bin/env bash
# Builds, on the engine of engine.sh, local stand-ins for the images the compose files and the
# Dockerfiles name, since no image registry can be reached here. Each is tagged with the name it
# stands for, so the compose files and Dockerfiles run unchanged:
#   debian:bookworm-slim, debian:trixie-slim   Debian's minbase root file systems (mmdebstrap)
#   node:20.20-bookworm-slim                   this machine's Node.js 20.20 and npm 10.8.2
#   apache/kafka:4.1.1                         Kafka's jars from Maven Central (infra:install)
#   fsouza/fake-gcs-server:1.56.1              built from the Go proxy (infra:install)
#   prom/prometheus:v3.7.3                     built from the Go proxy
# The Debian bases carry this machine's CA bundle as /etc/ssl/machine-ca.crt, named by the usual
# variables, so npm, pip and apt inside a build reach the registries through this network. Images
# that exist are kept; `--rebuild` builds them again.
#   stand-ins.sh [--rebuild] [node kafka fake-gcs-server prometheus]   (default: all; the bases always)
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=/dev/null
. .local/docker/env

here=infra/compose/stand-ins
contexts=.local/docker/contexts
rebuild=false
if [ "${1:-}" = "--rebuild" ]; then
  rebuild=true
  shift
fi
wanted=" ${*:-node kafka fake-gcs-server prometheus} "

have() { ! $rebuild && docker image inspect "$1" > /dev/null 2>&1; }

debian_base() {
  local suite=$1 tag=debian:$1-slim tar=.local/docker/$1.tar
  have "$tag" && return
  echo "stand-ins: $tag from Debian's packages (mmdebstrap)"
  mmdebstrap --quiet --variant=minbase --mode=root \
    --customize-hook='mkdir -p "$1/etc/ssl" && cp /etc/ssl/certs/ca-certificates.crt "$1/etc/ssl/machine-ca.crt"' \
    "$suite" "$tar" http://deb.debian.org/debian
  local ca=/etc/ssl/machine-ca.crt
  docker import --change 'CMD ["bash"]' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change "ENV SSL_CERT_FILE=$ca CURL_CA_BUNDLE=$ca PIP_CERT=$ca REQUESTS_CA_BUNDLE=$ca NODE_EXTRA_CA_CERTS=$ca" \
    "$tar" "$tag" > /dev/null
  rm -f "$tar"
}

# build <tag> <stand-in folder>: the folder's files plus whatever the caller put in the context.
build() {
  local tag=$1 name=$2
  echo "stand-ins: $tag"
  cp -r "$here/$name/." "$contexts/$name/"
  docker build --quiet --tag "$tag" "$contexts/$name" > /dev/null
  rm -rf "${contexts:?}/$name"
}

node_image() {
  local tag=node:20.20-bookworm-slim
  have "$tag" && return
  case "$(node --version)" in
    v20.20.*) ;;
    *) echo "stand-ins: $tag needs Node.js 20.20 on this machine; found $(node --version)" >&2 && exit 1 ;;
  esac
  mkdir -p "$contexts/node"
  cp "$(command -v node)" "$contexts/node/node"
  # The npm that Node.js 20.20 ships with, from the npm registry.
  (cd "$contexts/node" && npm pack --silent npm@10.8.2 > /dev/null && mkdir npm &&
    tar -xzf npm-10.8.2.tgz -C npm --strip-components 1 && rm npm-10.8.2.tgz)
  build "$tag" node
}

kafka_image() {
  local tag=apache/kafka:4.1.1
  have "$tag" && return
  [ -d .local/kafka-4.1.1/lib ] || { echo "stand-ins: run npm run infra:install first (Kafka's jars)" >&2 && exit 1; }
  mkdir -p "$contexts/kafka"
  cp -r .local/kafka-4.1.1/lib "$contexts/kafka/libs"
  cp infra/kafka/log4j2.yaml "$contexts/kafka/log4j2.yaml"
  build "$tag" kafka
}

fake_gcs_server_image() {
  local tag=fsouza/fake-gcs-server:1.56.1 binary=.local/fake-gcs-server/v1.56.1/fake-gcs-server
  have "$tag" && return
  [ -x "$binary" ] || { echo "stand-ins: run npm run infra:install first (fake-gcs-server)" >&2 && exit 1; }
  mkdir -p "$contexts/fake-gcs-server"
  cp "$binary" "$contexts/fake-gcs-server/"
  build "$tag" fake-gcs-server
}

# Go modules whose go.mod holds exclude directives cannot be `go install`ed: built as the main module.
go_build() {
  local module=$1 version=$2 package=$3 out=$4 ldflags=$5 dir src
  dir=$(cd /tmp && GOFLAGS=-mod=mod go mod download -json "$module@$version" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  [ -n "$dir" ] || { echo "stand-ins: the Go proxy did not give $module@$version" >&2 && exit 1; }
  src=$(mktemp -d)
  cp -r "$dir/." "$src" && chmod -R u+w "$src"
  (cd "$src" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w $ldflags" -o "$out" "$package")
  rm -rf "$src"
}

prometheus_image() {
  local tag=prom/prometheus:v3.7.3 binary=.local/docker/prometheus-v3.7.3
  have "$tag" && return
  if [ ! -x "$binary" ]; then
    echo "stand-ins: building Prometheus 3.7.3 from the Go module proxy (a few minutes, once)"
    go_build github.com/prometheus/prometheus v0.307.3 ./cmd/prometheus "$PWD/$binary" \
      "-X github.com/prometheus/common/version.Version=3.7.3"
  fi
  mkdir -p "$contexts/prometheus"
  cp "$binary" "$contexts/prometheus/prometheus"
  build "$tag" prometheus
}

mkdir -p "$contexts"
# Every stand-in starts from one of the two.
debian_base bookworm &
bookworm=$!
debian_base trixie
wait $bookworm
for image in node kafka fake-gcs-server prometheus; do
  if [[ $wanted == *" $image "* ]]; then "${image//-/_}_image"; fi
done
docker image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep -v '<none>' | sort
