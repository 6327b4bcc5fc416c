#include "checks/creds/http/html_form.h"

#include <cctype>
#include <charconv>

#include "checks/creds/http/http_auth.h"
#include "net/conn.h"

namespace mamori::creds::http {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f'; }
bool is_name_char(char c) { return !is_space(c) && c != '>' && c != '/' && c != '=' && c != '<'; }

// Decodes the common named and numeric character references (ASCII results only; anything
// else is kept as written). Output cut to kMaxAttr.
std::string decode_entities(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size() && out.size() < kMaxAttr; ++i) {
    if (s[i] != '&') {
      out.push_back(s[i]);
      continue;
    }
    size_t semi = s.find(';', i);
    if (semi == std::string_view::npos || semi - i > 10) {
      out.push_back('&');
      continue;
    }
    std::string_view ent = s.substr(i + 1, semi - i - 1);
    char c = 0;
    if (ent == "amp") c = '&';
    else if (ent == "lt") c = '<';
    else if (ent == "gt") c = '>';
    else if (ent == "quot") c = '"';
    else if (ent == "apos") c = '\'';
    else if (ent.starts_with("#")) {
      unsigned v = 0;
      bool hexa = ent.size() > 1 && (ent[1] == 'x' || ent[1] == 'X');
      std::string_view digits = ent.substr(hexa ? 2 : 1);
      auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v, hexa ? 16 : 10);
      if (ec == std::errc() && p == digits.data() + digits.size() && v > 0 && v < 0x80) c = static_cast<char>(v);
    }
    if (c == 0) {
      out.push_back('&');
      continue;
    }
    out.push_back(c);
    i = semi;
  }
  return out;
}

struct Tag {
  std::string name;  // lower case, "/form" for an end tag
  std::vector<std::pair<std::string, std::string>> attrs;  // lower-case names, raw values
  std::string attr(std::string_view n) const {
    for (const auto& [k, v] : attrs) {
      if (k == n) return decode_entities(v);
    }
    return "";
  }
  bool has(std::string_view n) const {
    for (const auto& [k, v] : attrs) {
      if (k == n) return true;
    }
    return false;
  }
};

// Walks the tags of a bounded page. `low` is the lower-case copy used for matching; values are
// taken from `html` (original case).
class TagScanner {
 public:
  explicit TagScanner(std::string_view html) : html_(html.substr(0, kMaxHtml)), low_(lower(html_)) {}

  // The next tag, or nullopt at the end.
  std::optional<Tag> next() {
    for (;;) {
      size_t lt = low_.find('<', i_);
      if (lt == std::string::npos) return std::nullopt;
      i_ = lt + 1;
      if (low_.compare(lt, 4, "<!--") == 0) {
        size_t end = low_.find("-->", lt + 4);
        i_ = end == std::string::npos ? low_.size() : end + 3;
        continue;
      }
      size_t b = i_;
      if (i_ < low_.size() && low_[i_] == '/') ++i_;
      while (i_ < low_.size() && (std::isalnum(static_cast<unsigned char>(low_[i_])) || low_[i_] == '-')) ++i_;
      if (i_ == b || (i_ == b + 1 && low_[b] == '/')) continue;  // "<" in text, "</ "
      Tag t;
      t.name = low_.substr(b, i_ - b);
      read_attrs(t);
      if (t.name == "script" || t.name == "style" || t.name == "textarea" || t.name == "title") {
        // Raw text: what looks like tags inside it is not markup.
        size_t end = low_.find("</" + t.name, i_);
        raw_text_ = html_.substr(i_, end == std::string::npos ? std::string::npos : end - i_);
        i_ = end == std::string::npos ? low_.size() : end;
      }
      return t;
    }
  }
  std::string_view raw_text() const { return raw_text_; }

 private:
  void read_attrs(Tag& t) {
    while (i_ < low_.size()) {
      while (i_ < low_.size() && (is_space(low_[i_]) || low_[i_] == '/')) ++i_;
      if (i_ >= low_.size()) return;
      if (low_[i_] == '>') {
        ++i_;
        return;
      }
      if (low_[i_] == '<') return;  // a broken tag: the next one starts here
      size_t b = i_;
      while (i_ < low_.size() && is_name_char(low_[i_])) ++i_;
      if (i_ == b) {  // a stray '=': skip it
        ++i_;
        continue;
      }
      std::string name = low_.substr(b, std::min(i_ - b, size_t{64}));
      while (i_ < low_.size() && is_space(low_[i_])) ++i_;
      std::string_view value;
      if (i_ < low_.size() && low_[i_] == '=') {
        ++i_;
        while (i_ < low_.size() && is_space(low_[i_])) ++i_;
        if (i_ < low_.size() && (low_[i_] == '"' || low_[i_] == '\'')) {
          char q = low_[i_++];
          size_t end = low_.find(q, i_);
          if (end == std::string::npos) end = low_.size();
          value = html_.substr(i_, end - i_);
          i_ = std::min(end + 1, low_.size());
        } else {
          size_t vb = i_;
          while (i_ < low_.size() && !is_space(low_[i_]) && low_[i_] != '>') ++i_;
          value = html_.substr(vb, i_ - vb);
        }
      }
      if (t.attrs.size() < 64) t.attrs.emplace_back(std::move(name), std::string(value.substr(0, kMaxAttr)));
    }
  }

  std::string_view html_;
  std::string low_;
  size_t i_ = 0;
  std::string_view raw_text_;
};

bool text_like(std::string_view type) {
  return type.empty() || type == "text" || type == "email" || type == "tel" || type == "number";
}

bool contains(std::string_view hay, std::string_view needle) { return hay.find(needle) != std::string_view::npos; }

}  // namespace

std::vector<HtmlForm> parse_forms(std::string_view html) {
  std::vector<HtmlForm> forms;
  TagScanner sc(html);
  bool in_form = false;
  while (auto t = sc.next()) {
    if (t->name == "form") {
      if (forms.size() >= kMaxForms) break;
      forms.push_back(HtmlForm{t->attr("action"), lower(t->attr("method")), {}});
      in_form = true;
    } else if (t->name == "/form") {
      in_form = false;
    } else if (in_form && forms.back().inputs.size() < kMaxInputs) {
      if (t->name == "input") {
        forms.back().inputs.push_back(HtmlInput{lower(t->attr("type")), t->attr("name"), t->attr("value")});
      } else if ((t->name == "button" || t->name == "select") && t->has("name")) {
        std::string type = t->name == "select" ? "select" : lower(t->attr("type"));
        if (type.empty()) type = "submit";  // a <button> submits by default
        forms.back().inputs.push_back(HtmlInput{type, t->attr("name"), t->attr("value")});
      }
    }
  }
  return forms;
}

std::optional<LoginForm> find_login_form(std::string_view html) {
  for (const auto& f : parse_forms(html)) {
    size_t passwords = 0;
    for (const auto& in : f.inputs) passwords += in.type == "password";
    if (passwords != 1) continue;
    LoginForm lf;
    lf.action = f.action;
    lf.method = f.method == "post" ? "post" : "get";
    bool seen_password = false;
    bool submit_kept = false;
    for (const auto& in : f.inputs) {
      if (in.type == "password") {
        lf.password_field = in.name;
        seen_password = true;
      } else if (!seen_password && text_like(in.type) && !in.name.empty()) {
        lf.user_field = in.name;
      } else if (in.type == "hidden" && !in.name.empty()) {
        lf.hidden.emplace_back(in.name, in.value);
      } else if (in.type == "submit" && !in.name.empty() && !submit_kept) {
        lf.hidden.emplace_back(in.name, in.value);  // some devices check which button was used
        submit_kept = true;
      }
    }
    if (lf.password_field.empty()) continue;
    return lf;
  }
  return std::nullopt;
}

bool has_password_input(std::string_view html) {
  TagScanner sc(html);
  while (auto t = sc.next()) {
    if (t->name == "input" && lower(t->attr("type")) == "password") return true;
  }
  return false;
}

std::string html_title(std::string_view html) {
  TagScanner sc(html);
  while (auto t = sc.next()) {
    if (t->name != "title") continue;
    std::string text = decode_entities(sc.raw_text().substr(0, 4 * 256));
    std::string out;
    bool space = false;
    for (char c : text) {
      if (is_space(c)) {
        space = !out.empty();
        continue;
      }
      if (space) out.push_back(' ');
      space = false;
      out.push_back(c);
      if (out.size() >= 256) break;
    }
    return net::printable(out);
  }
  return "";
}

bool looks_like_admin_page(std::string_view title, std::string_view html, std::string* why) {
  if (has_password_input(html)) return false;
  static constexpr std::string_view kTitleWords[] = {
      "admin", "setup", "settings", "configuration", "config", "router", "camera", "status",
      "wireless", "management", "control panel", "dashboard", "gateway", "modem", "access point",
      "nvr", "dvr", "web ui", "webui"};
  std::string t = lower(title);
  for (auto w : kTitleWords) {
    if (contains(t, w)) {
      if (why) *why = "title: " + std::string(w);
      return true;
    }
  }
  // Each row is one kind of control; two distinct kinds are needed.
  static const std::vector<std::vector<std::string_view>> kControls = {
      {"reboot", "restart device", "restart the device"},
      {"factory reset", "factory default", "restore default"},
      {"firmware upgrade", "upgrade firmware", "update firmware", "firmware update"},
      {"change password", "new password", "admin password"},
      {"ssid"},
      {"port forwarding", "port forward", "virtual server"},
      {"dhcp"},
      {"wan setting", "lan setting", "internet setting"},
      {"backup configuration", "restore configuration", "backup settings", "export configuration"},
      {"save settings", "apply settings", "save &amp; apply", "save & apply", "save and apply"},
      {"user management", "user accounts"},
      {"network settings", "wireless settings", "system settings"}};
  std::string body = lower(html.substr(0, kMaxHtml));
  std::vector<std::string_view> hits;
  for (const auto& row : kControls) {
    for (auto w : row) {
      if (contains(body, w)) {
        hits.push_back(w);
        break;
      }
    }
  }
  if (hits.size() < 2) return false;
  if (why) *why = "controls: " + std::string(hits[0]) + ", " + std::string(hits[1]);
  return true;
}

std::string form_urlencode(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '*') {
      out.push_back(static_cast<char>(c));
    } else if (c == ' ') {
      out.push_back('+');
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

std::string form_body(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  for (const auto& [k, v] : fields) {
    if (!out.empty()) out.push_back('&');
    out += form_urlencode(k) + "=" + form_urlencode(v);
  }
  return out;
}

std::optional<std::string> resolve_relative(std::string_view action, std::string_view page_path) {
  action = action.substr(0, action.find('#'));
  while (!action.empty() && is_space(action.front())) action.remove_prefix(1);
  while (!action.empty() && is_space(action.back())) action.remove_suffix(1);
  std::string_view page = page_path.substr(0, page_path.find('?'));
  if (page.empty() || page.front() != '/') page = "/";
  std::string out;
  if (action.empty()) {
    out = std::string(page_path.empty() ? "/" : page_path);
  } else if (action.starts_with("/")) {
    out = std::string(action);
  } else if (action.starts_with("?")) {
    out = std::string(page) + std::string(action);
  } else {
    while (action.starts_with("./")) action.remove_prefix(2);
    out = std::string(page.substr(0, page.rfind('/') + 1)) + std::string(action);
  }
  // A request target may not hold spaces or control bytes.
  std::string clean;
  for (unsigned char c : out) {
    if (c == ' ') clean += "%20";
    else if (c < 0x20 || c == 0x7f) return std::nullopt;
    else clean.push_back(static_cast<char>(c));
  }
  if (clean.size() > 2048) return std::nullopt;
  return clean;
}

}  // namespace mamori::creds::http
