#!/usr/bin/env bash
# Re-vendor Swagger UI and ReDoc for the services' /docs and /redoc from package-lock.json.
# The pages must work offline (no CDN), so the exact files the lockfile pins are copied into
# ../src/eventing/http/static/ and committed (eventing.http.api_docs serves them); node_modules
# stays out of git.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
static="$here/../src/eventing/http/static"

cd "$here"
npm ci --ignore-scripts --no-audit --no-fund

mkdir -p "$static"
swagger=node_modules/swagger-ui-dist
cp "$swagger/swagger-ui-bundle.js" "$swagger/swagger-ui.css" "$swagger/favicon-32x32.png" "$static/"
cp "$swagger/LICENSE" "$static/swagger-ui.LICENSE"
cp "$swagger/swagger-ui-bundle.js.LICENSE.txt" "$static/"
# ReDoc's menu footer loads Redocly's logo from their CDN (an air-gapped page would request
# it and fail); it shows the favicon served beside it instead.
cdn_logo='src:"https://cdn.redoc.ly/redoc/logo-mini.svg"'
grep -qF "$cdn_logo" node_modules/redoc/bundles/redoc.standalone.js \
  || { echo "vendor.sh: ReDoc's CDN logo reference moved; update the rewrite" >&2; exit 1; }
sed "s#${cdn_logo}#src:\"/docs/assets/favicon-32x32.png\"#" \
  node_modules/redoc/bundles/redoc.standalone.js > "$static/redoc.standalone.js"
cp node_modules/redoc/LICENSE "$static/redoc.LICENSE"
# Both bundles inline their dependencies; the bundles' notices ship with them.
cp node_modules/redoc/bundles/redoc.standalone.js.LICENSE.txt "$static/"
for package in swagger-ui-dist redoc; do
  echo "vendored $package $(node -p "require('./node_modules/$package/package.json').version")"
done
