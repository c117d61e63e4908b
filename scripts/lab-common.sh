# Shared by lab-up.sh and lab-down.sh (sourced, not run): the lab's names, derived from --prefix.
#
#   host1 (10.0.0.1/24) h1-r ==== r-h1 (10.0.0.254) router (10.0.1.254) r-h2 ==== h2-r (10.0.1.1/24) host2
#
# Interface names live inside the namespaces (veths are created directly in them), so several labs with
# different prefixes can coexist without name clashes in the root namespace.

lab_prefix=""

# Sets lab_host1, lab_router, lab_host2 from lab_prefix ("" gives the classic host1/router/host2).
lab_names() {
  local p="${lab_prefix:+$lab_prefix-}"
  lab_host1="${p}host1"
  lab_router="${p}router"
  lab_host2="${p}host2"
}

lab_die() {
  echo "$(basename "$0"): $*" >&2
  exit 2
}

lab_require_root() {
  [ "$(id -u)" -eq 0 ] || lab_die "must run as root (network namespaces need CAP_SYS_ADMIN): sudo $0 $*"
  for tool in ip iptables ip6tables ethtool; do
    command -v "$tool" >/dev/null 2>&1 || lab_die "'$tool' is not installed: run scripts/setup.sh as root"
  done
}

lab_validate_prefix() {
  # A namespace name is a file name under /var/run/netns; interface names never carry the prefix.
  [[ "$lab_prefix" =~ ^[A-Za-z0-9_.]{0,40}$ ]] ||
    lab_die "--prefix '$lab_prefix': use up to 40 letters, digits, '_' or '.'"
}

lab_netns_exists() { [ -e "/var/run/netns/$1" ]; }
