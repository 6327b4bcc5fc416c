// The credential checkers built into Mamori, in order of preference.
#pragma once

#include <vector>

#include "checks/creds/checker.h"

namespace mamori::creds {

const std::vector<const Checker*>& checkers();
// The first checker that applies to `s`, or null.
const Checker* checker_for(const ServiceObservation& s);

}  // namespace mamori::creds
