#!/usr/bin/env bash
# What the test suite needs from Debian, on a fresh machine (run as root or with sudo):
# PostgreSQL server binaries (the tests start a throwaway cluster with initdb/pg_ctl),
# wrk (the load generator of `npm run bench`), and for test/guest a QEMU guest with Debian's
# kernel (kernel ESP: qemu-system-x86 linux-image-amd64 busybox-static kmod cpio).
# strongSwan for the IKE tests in network namespaces (charon-systemd, swanctl, pki; the standard
# plugins carry openssl, gcm and pkcs12, which --no-install-recommends would leave out) and
# openssl (the tests write PKCS#12 containers with it); tcpdump (the VEN reads NFLOG with it);
# chromium for the console's browser tests (Playwright drives Debian's Chromium).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || ! command -v wrk >/dev/null || ! command -v nft >/dev/null || ! command -v ip >/dev/null || ! command -v tcpdump >/dev/null || ! command -v chromium >/dev/null || ! dpkg -s qemu-system-x86 linux-image-amd64 busybox-static kmod cpio >/dev/null 2>&1 \
  || ! dpkg -s strongswan-swanctl charon-systemd strongswan-pki libcharon-extra-plugins libstrongswan-extra-plugins libstrongswan-standard-plugins openssl >/dev/null 2>&1; then
  $SUDO apt-get update -qq
  $SUDO apt-get install -y --no-install-recommends postgresql wrk nftables iproute2 tcpdump qemu-system-x86 linux-image-amd64 busybox-static kmod cpio \
    strongswan-swanctl charon-systemd strongswan-pki libcharon-extra-plugins libstrongswan-extra-plugins libstrongswan-standard-plugins openssl chromium >/dev/null
fi
echo "test dependencies present: $(ls -d /usr/lib/postgresql/*/bin | head -1)"
