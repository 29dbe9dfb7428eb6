#include "security/md5.hpp"

#include <gtest/gtest.h>

#include "security/hmac.hpp"

namespace cambista {
namespace {

// RFC 1321, appendix A.5.
TEST(Md5, MatchesTheRfcTestSuite) {
  EXPECT_EQ(HexEncode(Md5("")), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(HexEncode(Md5("abc")), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(HexEncode(Md5("message digest")), "f96b697d7cb7938d525a2f31aaf161d0");
  EXPECT_EQ(HexEncode(Md5("12345678901234567890123456789012345678901234567890123456789012345678"
                          "901234567890")),
            "57edf4a22be3c955ac49da2e2107b67a");
}

}  // namespace
}  // namespace cambista
