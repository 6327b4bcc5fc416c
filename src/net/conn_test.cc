#include "net/conn.h"

#include <gtest/gtest.h>

namespace mamori::net {
namespace {

TEST(Printable, EscapesControlAndHighBytes) {
  EXPECT_EQ(printable("SSH-2.0-x\r\n"), "SSH-2.0-x\\r\\n");
  EXPECT_EQ(printable(std::string("\xff\xfb\x01", 3)), "\\xff\\xfb\\x01");
  EXPECT_EQ(printable("a\\b"), "a\\\\b");
  EXPECT_EQ(printable(std::string(1000, 'x')).size(), 256u);
}

}  // namespace
}  // namespace mamori::net
