#!/usr/bin/env bash
# Checks the deployment files with the tools that read them, where those tools are installed:
# systemd-analyze verify on the units, nginx -t on the reverse proxy example (with a throwaway
# certificate). A missing tool prints "skipped: ..." and is not a failure; a tool that finds
# anything to say (a warning included) is. Run by .ci/run; runnable by hand from anywhere.
set -euo pipefail
cd "$(dirname "$0")"
status=0

if command -v systemd-analyze >/dev/null 2>&1; then
  # verify prints warnings (unknown keys, a missing executable) without always failing: any output fails.
  out=$(systemd-analyze verify systemd/laas.service systemd/laas-worker.service 2>&1) || status=1
  if [ -n "$out" ]; then echo "$out"; status=1; fi
  [ "$status" -eq 0 ] && echo "ok: systemd-analyze verify systemd/laas.service systemd/laas-worker.service"
else
  echo "skipped: no systemd-analyze (the systemd units were not verified)"
fi

if command -v nginx >/dev/null 2>&1 && command -v openssl >/dev/null 2>&1; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=loyalty.example.com \
    -keyout "$tmp/key.pem" -out "$tmp/cert.pem" >/dev/null 2>&1
  sed -e "s|/etc/letsencrypt/live/loyalty.example.com/fullchain.pem|$tmp/cert.pem|" \
      -e "s|/etc/letsencrypt/live/loyalty.example.com/privkey.pem|$tmp/key.pem|" nginx/laas.conf >"$tmp/site.conf"
  printf 'pid %s/nginx.pid;\nerror_log %s/error.log;\nevents {}\nhttp { access_log off; include %s/site.conf; }\n' \
    "$tmp" "$tmp" "$tmp" >"$tmp/nginx.conf"
  if nginx -t -q -c "$tmp/nginx.conf"; then echo "ok: nginx -t nginx/laas.conf"; else status=1; fi
else
  echo "skipped: no nginx (the reverse proxy example was not checked)"
fi
exit "$status"
