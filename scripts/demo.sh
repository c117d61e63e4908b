#!/usr/bin/env bash
# The main job: builds toytcp, then runs the handshake-by-hand example in toytcp-shell.
#   - as root: brings up the lab (host1 10.0.0.1 — router — host2 10.0.1.1) and runs
#     examples/lab-handshake.ttcp from host1 against the kernel's TCP (the script starts `nc -l` in host2
#     itself and checks what it received);
#   - otherwise: runs examples/sim-handshake.ttcp on the simulated network (no root needed).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release --product toytcp-shell
bin=.build/release/toytcp-shell
if [ "$(id -u)" -eq 0 ] && [ -z "${TOYTCP_SIM:-}" ]; then
  scripts/lab-up.sh
  "$bin" run --netns host1 examples/lab-handshake.ttcp
else
  echo "(not root: running on the simulated network; run as root for the real lab)"
  "$bin" run --sim examples/sim-handshake.ttcp
fi
