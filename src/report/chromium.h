// Rendering a self-contained HTML page to PNG with a headless Chromium found on PATH (for
// `mamori label --format png`). Mamori ships no browser: without one on PATH, PNG is not offered.
//
// Contract: the page is written to a private temporary directory and loaded from a file:// URL;
// the browser is told to resolve no host name and to use a dead loopback proxy, so a page that
// tried to fetch anything would fail (Mamori's pages also forbid fetches by their CSP). The
// browser runs with a 60 s deadline and is killed by its PID after it. Blocking; no exceptions.
#pragma once

#include <string>

#include "core/expected.h"

namespace mamori {

// The first of chromium, chromium-browser, google-chrome, google-chrome-stable on PATH; "" if none.
std::string find_chromium();

// PNG bytes of `html` rendered in a width x height viewport by the browser at `chromium`.
Expected<std::string> render_png(const std::string& chromium, const std::string& html, int width, int height);

}  // namespace mamori
