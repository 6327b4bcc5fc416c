// Where Mamori's data files (port sets; later fingerprints, credential lists, catalogs) live:
// $MAMORI_DATA_DIR, else <prefix>/share/mamori next to an installed binary, else the source
// tree's data/ (a build-tree binary).
#pragma once

#include <string>

namespace mamori {
std::string data_dir();
}
