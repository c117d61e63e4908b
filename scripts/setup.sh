#!/usr/bin/env bash
# Installs what toytcp needs on a fresh Debian machine (idempotent; apt-get runs only if something is missing).
# Swift 6.3.1 and libreadline-dev come with the machine; everything else is installed here.
set -euo pipefail
packages=(libpcap-dev libreadline-dev iproute2 iptables ethtool netcat-openbsd tcpdump tshark socat tmux hping3 iperf3 procps time bc chromium tcptrace python3)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "setup: missing Debian packages: ${missing[*]}" >&2
  echo "setup: run as root (or: sudo apt-get install -y ${missing[*]})" >&2
  # libpcap-dev is needed to build at all; the rest only by the lab tests, which skip without root.
  dpkg -s libpcap-dev >/dev/null 2>&1 || exit 1
  exit 0
fi
echo "setup: installing ${missing[*]}"
apt-get update -qq
# tshark asks whether non-root users may capture; answer no without a prompt.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections 2>/dev/null || true
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
