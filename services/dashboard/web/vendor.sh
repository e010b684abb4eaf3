#!/usr/bin/env bash
# Re-vendor the dashboard page's browser libraries from package-lock.json.
# The page must work offline (no CDN), so the exact files the lockfile pins are copied into
# ../src/dashboard_service/static/vendor/ and committed; node_modules stays out of git.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
vendor="$(cd "$here/../src/dashboard_service/static" && pwd)/vendor"

cd "$here"
npm ci --ignore-scripts --no-audit --no-fund

version="$(node -p "require('./node_modules/chart.js/package.json').version")"
mkdir -p "$vendor"
cp node_modules/chart.js/dist/chart.umd.min.js "$vendor/chart.umd.min.js"
cp node_modules/chart.js/LICENSE.md "$vendor/chart.js.LICENSE.md"
# The UMD bundle inlines @kurkle/color, so its licence travels with it.
cp node_modules/@kurkle/color/LICENSE.md "$vendor/kurkle-color.LICENSE.md"
echo "vendored chart.js $version into $vendor"
