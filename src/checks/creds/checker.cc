#include "checks/creds/checker.h"

namespace mamori::creds {

const char* outcome_name(Outcome o) {
  switch (o) {
    case Outcome::accepted: return "accepted";
    case Outcome::rejected: return "rejected";
    case Outcome::error: return "error";
    case Outcome::lockout: return "lockout";
    case Outcome::unsupported: return "unsupported";
  }
  return "error";
}

}  // namespace mamori::creds
