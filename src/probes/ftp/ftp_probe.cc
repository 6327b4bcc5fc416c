#include "probes/ftp/ftp_probe.h"

#include <algorithm>
#include <cctype>
#include <chrono>

namespace mamori::probes {
namespace {

constexpr size_t kMaxReply = 8 * 1024;   // bytes read for one reply
constexpr size_t kMaxParse = 64 * 1024;
constexpr size_t kMaxFeatures = 32;
constexpr Millis kReplyWait{3000};
constexpr Millis kQuitWait{500};

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool has_code(std::string_view line) {
  return line.size() >= 3 && is_digit(line[0]) && is_digit(line[1]) && is_digit(line[2]);
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// A version-like token at the start of `s`: digits and dots, then letters/digits (1.3.5e).
std::string version_at(std::string_view s) {
  size_t n = 0;
  while (n < s.size() && n < 32 && (is_digit(s[n]) || s[n] == '.' || std::isalnum(static_cast<unsigned char>(s[n])))) ++n;
  std::string_view v = s.substr(0, n);
  if (v.empty() || !is_digit(v[0])) return "";
  while (!v.empty() && v.back() == '.') v.remove_suffix(1);
  return std::string(v);
}

}  // namespace

std::optional<FtpReply> parse_ftp_reply(std::string_view bytes) {
  bytes = bytes.substr(0, kMaxParse);
  if (!has_code(bytes) || (bytes.size() > 3 && bytes[3] != ' ' && bytes[3] != '-' && bytes[3] != '\r' &&
                           bytes[3] != '\n')) {
    return std::nullopt;
  }
  FtpReply r;
  r.code = (bytes[0] - '0') * 100 + (bytes[1] - '0') * 10 + (bytes[2] - '0');
  const bool multi = bytes.size() > 3 && bytes[3] == '-';
  const std::string_view code = bytes.substr(0, 3);
  size_t pos = 0;
  bool first = true;
  while (pos < bytes.size()) {
    size_t eol = bytes.find('\n', pos);
    std::string_view line = bytes.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (r.lines.size() < FtpReply::kMaxLines) r.lines.emplace_back(line.substr(0, FtpReply::kMaxLine));
    if (eol == std::string_view::npos) break;  // an unterminated last line
    pos = eol + 1;
    // A single-line reply ends with its line; a multi-line one with a later line that carries
    // the same code followed by a space (or nothing).
    if (!multi || (!first && line.starts_with(code) && (line.size() == 3 || line[3] == ' '))) {
      r.complete = true;
      break;
    }
    first = false;
  }
  return r;
}

bool looks_like_ftp(std::string_view greeting) {
  if (!greeting.starts_with("220") || greeting.size() < 4 || (greeting[3] != ' ' && greeting[3] != '-')) {
    return false;
  }
  std::string first = lower(greeting.substr(0, std::min(greeting.find('\n'), size_t{512})));
  return first.find("smtp") == std::string::npos;
}

void ftp_product(std::string_view greeting, std::string& product, std::string& version) {
  product.clear();
  version.clear();
  std::string_view g = greeting.substr(0, std::min(greeting.size(), size_t{4096}));
  if (size_t p = g.find("(vsFTPd "); p != std::string_view::npos) {
    product = "vsftpd";
    version = version_at(g.substr(p + 8));
  } else if (size_t p = g.find("ProFTPD"); p != std::string_view::npos) {
    product = "ProFTPD";
    if (p + 8 <= g.size() && g[p + 7] == ' ') version = version_at(g.substr(p + 8));
  } else if (g.find("Pure-FTPd") != std::string_view::npos) {
    product = "Pure-FTPd";
  } else if (size_t p = g.find("FileZilla Server"); p != std::string_view::npos) {
    product = "FileZilla Server";
    std::string_view rest = g.substr(p + 16);
    if (rest.starts_with(" version")) rest.remove_prefix(8);
    if (rest.starts_with(" ")) version = version_at(rest.substr(1));
  }
}

std::vector<std::string> ftp_features(const FtpReply& feat) {
  std::vector<std::string> out;
  if (feat.code != 211 || feat.lines.size() < 3) return out;
  for (size_t i = 1; i + 1 < feat.lines.size() && out.size() < kMaxFeatures; ++i) {
    std::string_view f = trim(feat.lines[i]);
    if (f.empty()) continue;
    out.push_back(net::printable(f, 64));
  }
  return out;
}

namespace {

// Reads one complete reply into `buf` (bounded by kMaxReply and `wait`).
Task<std::optional<FtpReply>> read_reply(net::Conn& conn, std::string& buf, Millis wait) {
  using clock = std::chrono::steady_clock;
  const auto deadline = clock::now() + wait;
  for (;;) {
    auto r = parse_ftp_reply(buf);
    if (r && r->complete) co_return r;
    if ((!r && buf.size() >= 4) || buf.size() >= kMaxReply || conn.eof() || conn.budget_exhausted()) co_return r;
    auto left = std::chrono::duration_cast<Millis>(deadline - clock::now());
    if (left.count() <= 0) co_return r;
    co_await conn.read_some(buf, left, kMaxReply - buf.size());
  }
}

std::string join_lines(const std::vector<std::string>& lines, size_t max) {
  std::string out;
  for (const auto& l : lines) {
    if (!out.empty()) out += '\n';
    out += net::printable(l, 512);
    if (out.size() >= max) break;
  }
  if (out.size() > max) out.resize(max);
  return out;
}

class FtpProbe : public TcpProbe {
 public:
  const ProbeInfo& info() const override {
    static const ProbeInfo i{"ftp", "FTP greeting and FEAT list (no login)", Proto::tcp, {21, 2121},
                             Safety::safe};
    return i;
  }
  bool claims_banner(std::string_view banner) const override { return looks_like_ftp(banner); }
  int affinity(uint16_t) const override { return -1; }  // speak-first only

  Task<std::optional<ServiceObservation>> run(net::Conn& conn, std::string banner,
                                              const ProbeContext& ctx) const override {
    if (banner.size() > kMaxReply) banner.resize(kMaxReply);
    auto greeting = co_await read_reply(conn, banner, kReplyWait);
    if (!greeting || greeting->code != 220) co_return std::nullopt;
    ServiceObservation obs = make_service(ctx, "ftp");
    obs.fields["ftp.greeting"] = join_lines(greeting->lines, 1024);
    ftp_product(obs.fields["ftp.greeting"], obs.product, obs.version);
    if (!greeting->complete) {
      obs.behaviour = conn.eof() ? "closed" : "stalled";
      co_return obs;
    }
    // Anything sent after the greeting's end belongs to the next reply.
    if (auto w = co_await conn.write("FEAT\r\n"); w) {
      std::string buf;
      if (auto feat = co_await read_reply(conn, buf, kReplyWait)) {
        obs.fields["ftp.feat_status"] = std::to_string(feat->code);
        if (auto f = ftp_features(*feat); !f.empty()) {
          std::string joined;
          for (const auto& x : f) joined += (joined.empty() ? "" : ",") + x;
          obs.fields["ftp.feat"] = joined;
        }
      }
      if (co_await conn.write("QUIT\r\n", kQuitWait)) {
        std::string bye;
        co_await read_reply(conn, bye, kQuitWait);
      }
    }
    co_return obs;
  }
};

}  // namespace

const TcpProbe& ftp_probe() {
  static const FtpProbe p;
  return p;
}

}  // namespace mamori::probes
