#include "checks/creds/http/html_form.h"

#include <gtest/gtest.h>

#include "checks/creds/http/http_checker.h"

namespace mamori::creds::http {
namespace {

// The lab's form login page (src/lab/services/http.cc), as served.
const char* kLabLogin =
    "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>NETGEAR Router R7000</title>"
    "<link rel=\"icon\" href=\"/favicon.ico\"></head>\n<body>\n<h1>NETGEAR Router R7000</h1>\n"
    "<form method=\"post\" action=\"/login\">\nUser name <input type=\"text\" name=\"username\">\n"
    "Password <input type=\"password\" name=\"password\">\n<input type=\"submit\" value=\"Login\">\n</form>\n"
    "</body></html>\n";

TEST(Forms, LabLoginForm) {
  auto lf = find_login_form(kLabLogin);
  ASSERT_TRUE(lf);
  EXPECT_EQ(lf->action, "/login");
  EXPECT_EQ(lf->method, "post");
  EXPECT_EQ(lf->user_field, "username");
  EXPECT_EQ(lf->password_field, "password");
  EXPECT_TRUE(lf->hidden.empty());
  EXPECT_EQ(html_title(kLabLogin), "NETGEAR Router R7000");
  EXPECT_TRUE(has_password_input(kLabLogin));
}

TEST(Forms, VendorStyleFormWithHiddenFieldsEntitiesAndUnquotedAttributes) {
  const char* html =
      "<html><head><TITLE> Web&nbsp;Login &amp; Setup </TITLE>"
      "<script>var s = '<form action=/evil><input type=password name=x>';</script></head>"
      "<!-- <form action=/old><input type=password name=old></form> -->"
      "<FORM NAME=f METHOD=POST ACTION='/cgi-bin/luci?a=1&amp;b=2'>"
      "<input type=hidden name=token value=\"abc&quot;d\">"
      "<INPUT TYPE=TEXT NAME=lang value=en>"
      "<input class=x name=luci_username>"
      "<input type=\"password\" name=luci_password autocomplete=off>"
      "<input type=checkbox name=remember value=1>"
      "<button name=login value=go>Login</button>"
      "</form>";
  auto lf = find_login_form(html);
  ASSERT_TRUE(lf);
  EXPECT_EQ(lf->action, "/cgi-bin/luci?a=1&b=2");
  EXPECT_EQ(lf->method, "post");
  EXPECT_EQ(lf->user_field, "luci_username");
  EXPECT_EQ(lf->password_field, "luci_password");
  ASSERT_EQ(lf->hidden.size(), 2u);
  EXPECT_EQ(lf->hidden[0], (std::pair<std::string, std::string>{"token", "abc\"d"}));
  EXPECT_EQ(lf->hidden[1], (std::pair<std::string, std::string>{"login", "go"}));
  EXPECT_EQ(html_title(html), "Web&nbsp;Login & Setup");
}

TEST(Forms, ChangePasswordFormIsNotALoginFormAndPasswordOnlyIs) {
  const char* change =
      "<form method=post><input type=password name=old><input type=password name=new></form>"
      "<form><input type=password name=pin></form>";
  auto lf = find_login_form(change);
  ASSERT_TRUE(lf);
  EXPECT_EQ(lf->password_field, "pin");
  EXPECT_EQ(lf->user_field, "");
  EXPECT_EQ(lf->method, "get");
  EXPECT_FALSE(find_login_form("<form><input type=password name=a><input type=password name=b></form>"));
  EXPECT_FALSE(find_login_form("<input type=text name=u><input type=password name=p>"));  // no <form>
  EXPECT_TRUE(has_password_input("<input type=text name=u><input type=password name=p>"));
}

TEST(Forms, HostileInputIsBounded) {
  EXPECT_TRUE(parse_forms("").empty());
  EXPECT_TRUE(parse_forms("<<<<>>>><form").size() <= 1);
  EXPECT_FALSE(find_login_form("<form action=\"/x"));
  EXPECT_EQ(html_title("<title>never closed"), "never closed");
  std::string many;
  for (int i = 0; i < 1000; ++i) many += "<form><input type=password name=p" + std::to_string(i) + ">";
  EXPECT_EQ(parse_forms(many).size(), kMaxForms);
  std::string inputs = "<form>";
  for (int i = 0; i < 1000; ++i) inputs += "<input name=i" + std::to_string(i) + ">";
  EXPECT_EQ(parse_forms(inputs)[0].inputs.size(), kMaxInputs);
  std::string huge = "<form action=\"" + std::string(1 << 20, 'a') + "\">";
  auto f = parse_forms(huge);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_LE(f[0].action.size(), kMaxAttr);
  std::string garbage;
  for (int i = 0; i < 100000; ++i) garbage.push_back(static_cast<char>((i * 7919) % 256));
  parse_forms(garbage);
  html_title(garbage);
  // A password input past the scanned prefix is not seen: the scan is bounded.
  EXPECT_FALSE(has_password_input(std::string(kMaxHtml, ' ') + "<input type=password>"));
  EXPECT_EQ(html_title("<title>" + std::string(5000, 'x') + "</title>").size(), 256u);
}

TEST(AdminHeuristic, TitleOrTwoControls) {
  std::string why;
  EXPECT_TRUE(looks_like_admin_page("Router Setup", "<h1>Welcome</h1>", &why));
  EXPECT_EQ(why, "title: setup");
  EXPECT_TRUE(looks_like_admin_page("IPCAM", "<a href=/reboot.cgi>Reboot</a> <label>SSID</label>", &why));
  EXPECT_TRUE(looks_like_admin_page("Printer", "<b>Wireless settings</b><b>Firmware update</b>"));
  // A public page, a device information page with a logout link: not enough.
  EXPECT_FALSE(looks_like_admin_page("It works!", "<h1>It works!</h1><p>Apache default page</p>"));
  EXPECT_FALSE(looks_like_admin_page("Sonos One SL",
                                     "<table><tr><td>Firmware Version</td></tr><tr><td>Serial Number</td></tr>"
                                     "</table><a href=\"/logout\">Logout</a>"));
  EXPECT_FALSE(looks_like_admin_page("Welcome", "<p>Reboot</p>"));  // one control only
  // A login page is never an open admin page, whatever its title.
  EXPECT_FALSE(looks_like_admin_page("Router Admin", kLabLogin));
}

TEST(Actions, Resolve) {
  auto none = [](std::string_view) { return std::string(); };
  auto ours = [](std::string_view a) { return a == "http://127.0.0.1/x" ? std::string("/x") : std::string(); };
  EXPECT_EQ(resolve_action("", "/login.htm", none), "/login.htm");
  EXPECT_EQ(resolve_action("/login", "/", none), "/login");
  EXPECT_EQ(resolve_action("check.cgi", "/cgi-bin/login.htm?x=1", none), "/cgi-bin/check.cgi");
  EXPECT_EQ(resolve_action("./check.cgi", "/a/b", none), "/a/check.cgi");
  EXPECT_EQ(resolve_action("?do=login", "/index.php?old", none), "/index.php?do=login");
  EXPECT_EQ(resolve_action("/x#frag", "/", none), "/x");
  EXPECT_EQ(resolve_action("/a b", "/", none), "/a%20b");
  EXPECT_EQ(resolve_action("http://127.0.0.1/x", "/", ours), "/x");
  EXPECT_FALSE(resolve_action("http://evil.example/x", "/", ours));
  EXPECT_FALSE(resolve_action("//evil.example/x", "/", ours));
  EXPECT_FALSE(resolve_action("javascript:login()", "/", ours));
  EXPECT_FALSE(resolve_action("/a\r\nb", "/", ours));
}

TEST(FormBody, Encodes) {
  EXPECT_EQ(form_body({{"user name", "a&b=c"}, {"p", "100%"}}), "user+name=a%26b%3Dc&p=100%25");
}

TEST(LoginLike, Paths) {
  EXPECT_TRUE(login_like_path("/login"));
  EXPECT_TRUE(login_like_path("/cgi-bin/LOGON.cgi?err=1"));
  EXPECT_TRUE(login_like_path("/index.html?error=1"));
  EXPECT_FALSE(login_like_path("/"));
  EXPECT_FALSE(login_like_path("/admin/status.htm"));
}

}  // namespace
}  // namespace mamori::creds::http
