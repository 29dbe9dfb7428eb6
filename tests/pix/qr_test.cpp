#include "pix/qr.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "br_code_generator.hpp"
#include "pix/br_code.hpp"
#include "subprocess.hpp"

namespace cambista::pix {
namespace {

using pix::testing::FindOnPath;
using pix::testing::RunProcess;
using pix::testing::TempDir;
using pix::testing::WriteFile;

constexpr std::string_view kSpecVector =
    "00020126510014br.gov.bcb.pix0115thalesog@me.com0210Pedido 123520400005303986540510.005802BR"
    "5914THALES OGLIARI6015SAO MIGUEL DO O62070503***63040DC6";

uint32_t BigEndian32(std::string_view bytes, size_t offset) {
  uint32_t value = 0;
  for (size_t i = 0; i < 4; ++i) value = (value << 8) | static_cast<uint8_t>(bytes[offset + i]);
  return value;
}

// A minimal PNG reader for what QrPng writes: checks every chunk's CRC and returns the
// greyscale 1-bit pixels (true = black).
struct Image {
  uint32_t width = 0;
  uint32_t height = 0;
  std::vector<bool> black;
};

Image DecodePng(std::string_view png) {
  Image image;
  if (!png.starts_with("\x89PNG\r\n\x1a\n")) throw std::runtime_error("no PNG signature");
  size_t offset = 8;
  std::string idat;
  std::vector<std::string> chunk_types;
  while (offset < png.size()) {
    const uint32_t length = BigEndian32(png, offset);
    const std::string_view type = png.substr(offset + 4, 4);
    const std::string_view data = png.substr(offset + 8, length);
    const uint32_t stored_crc = BigEndian32(png, offset + 8 + length);
    const auto* covered = reinterpret_cast<const Bytef*>(png.data() + offset + 4);
    if (crc32(0, covered, length + 4) != stored_crc) {
      throw std::runtime_error("bad CRC in chunk " + std::string(type));
    }
    chunk_types.emplace_back(type);
    if (type == "IHDR") {
      image.width = BigEndian32(data, 0);
      image.height = BigEndian32(data, 4);
      if (data.substr(8) != std::string_view("\x01\x00\x00\x00\x00", 5)) {
        throw std::runtime_error("not 1-bit greyscale, deflate, no interlace");
      }
    } else if (type == "IDAT") {
      idat += data;
    }
    offset += 12 + length;
  }
  if (chunk_types != std::vector<std::string>{"IHDR", "IDAT", "IEND"}) {
    throw std::runtime_error("unexpected chunk sequence");
  }
  const size_t row_bytes = (image.width + 7) / 8;
  std::string raw((1 + row_bytes) * image.height, '\0');
  uLongf raw_size = raw.size();
  if (uncompress(reinterpret_cast<Bytef*>(raw.data()), &raw_size,
                 reinterpret_cast<const Bytef*>(idat.data()), idat.size()) != Z_OK ||
      raw_size != raw.size()) {
    throw std::runtime_error("IDAT does not inflate to the image size");
  }
  for (uint32_t y = 0; y < image.height; ++y) {
    const size_t row = y * (1 + row_bytes);
    if (raw[row] != 0) throw std::runtime_error("filter type other than None");
    for (uint32_t x = 0; x < image.width; ++x) {
      const auto byte = static_cast<uint8_t>(raw[row + 1 + x / 8]);
      image.black.push_back(((byte >> (7 - x % 8)) & 1u) == 0);
    }
  }
  return image;
}

TEST(QrEncode, GivesASquareSymbolOfAValidVersion) {
  const QrModules modules = QrEncode(kSpecVector);
  // 147 bytes in 8-bit mode at level M need version 8 (up to 152 bytes; version 7 holds 122):
  // 17 + 4 × 8 = 49 modules a side.
  EXPECT_EQ(modules.size, 49);
  EXPECT_EQ(modules.dark.size(), 49u * 49u);
  // Finder patterns: the top-left corner's 7×7 ring is dark, its inner ring light.
  EXPECT_TRUE(modules.IsDark(0, 0));
  EXPECT_TRUE(modules.IsDark(6, 6));
  EXPECT_FALSE(modules.IsDark(1, 1));
  EXPECT_TRUE(modules.IsDark(3, 3));
  EXPECT_FALSE(modules.IsDark(7, 7));  // separator
}

TEST(QrEncode, RejectsWhatCannotBeEncoded) {
  EXPECT_THROW(QrEncode(""), std::invalid_argument);
  EXPECT_THROW(QrEncode(std::string(3000, 'x')), std::invalid_argument);  // > 2331 at level M
  EXPECT_THROW(QrPng(kSpecVector, 0), std::invalid_argument);
  EXPECT_THROW(QrPng(kSpecVector, kQrModulePixelsMax + 1), std::invalid_argument);
  EXPECT_THROW(QrPng(kSpecVector, 4, -1), std::invalid_argument);
  EXPECT_THROW(QrSvg(kSpecVector, kQrMarginModulesMax + 1), std::invalid_argument);
}

TEST(QrPng, PixelsAreTheModulesScaledWithAQuietZone) {
  for (int module_pixels : {1, 3, 8}) {
    for (int margin : {0, 4}) {
      const QrModules modules = QrEncode(kSpecVector);
      const Image image = DecodePng(QrPng(kSpecVector, module_pixels, margin));
      const uint32_t side = static_cast<uint32_t>((modules.size + 2 * margin) * module_pixels);
      ASSERT_EQ(image.width, side);
      ASSERT_EQ(image.height, side);
      size_t mismatches = 0;
      for (uint32_t y = 0; y < side; ++y) {
        for (uint32_t x = 0; x < side; ++x) {
          const int module_x = static_cast<int>(x) / module_pixels - margin;
          const int module_y = static_cast<int>(y) / module_pixels - margin;
          const bool inside =
              module_x >= 0 && module_y >= 0 && module_x < modules.size && module_y < modules.size;
          const bool expected = inside && modules.IsDark(module_x, module_y);
          if (image.black[y * side + x] != expected) ++mismatches;
        }
      }
      EXPECT_EQ(mismatches, 0u) << "module_pixels " << module_pixels << " margin " << margin;
    }
  }
}

TEST(QrSvg, OnePathWhoseRectanglesAreTheDarkModules) {
  const int margin = 4;
  const QrModules modules = QrEncode(kSpecVector);
  const std::string svg = QrSvg(kSpecVector, margin);
  const std::string side = std::to_string(modules.size + 2 * margin);
  EXPECT_NE(svg.find("viewBox=\"0 0 " + side + " " + side + "\""), std::string::npos) << svg;
  EXPECT_NE(svg.find("shape-rendering=\"crispEdges\""), std::string::npos);
  const size_t path = svg.find("<path");
  ASSERT_NE(path, std::string::npos);
  EXPECT_EQ(svg.find("<path", path + 1), std::string::npos) << "more than one path";

  // Paint the path's "M x y h n v1 h-n z" rectangles onto a grid and compare with the symbol.
  const size_t d_start = svg.find(" d=\"", path) + 4;
  const std::string d = svg.substr(d_start, svg.find('"', d_start) - d_start);
  std::vector<int> painted(modules.dark.size(), 0);
  size_t position = 0;
  int rectangles = 0;
  while (position < d.size()) {
    int x = 0, y = 0, run = 0, back = 0;
    int consumed = 0;
    ASSERT_EQ(
        std::sscanf(d.c_str() + position, "M%d %dh%dv1h-%dz%n", &x, &y, &run, &back, &consumed), 4)
        << d.substr(position, 40);
    ASSERT_EQ(run, back);
    for (int k = 0; k < run; ++k) {
      const int module_x = x - margin + k;
      const int module_y = y - margin;
      ASSERT_TRUE(module_x >= 0 && module_x < modules.size && module_y >= 0 &&
                  module_y < modules.size);
      ++painted[static_cast<size_t>(module_y * modules.size + module_x)];
    }
    position += static_cast<size_t>(consumed);
    ++rectangles;
  }
  EXPECT_GT(rectangles, 0);
  for (size_t i = 0; i < painted.size(); ++i) {
    EXPECT_EQ(painted[i], modules.dark[i] ? 1 : 0) << "module " << i;
  }
}

// The acceptance test that matters: a real QR reader gets the exact text back.
TEST(QrPng, ZbarimgReadsBackTheExactText) {
  const auto zbarimg = FindOnPath("zbarimg");
  ASSERT_TRUE(zbarimg.has_value())
      << "zbarimg not found on PATH: install the Debian package zbar-tools (./dev install)";

  std::vector<std::string> texts = {std::string(kSpecVector)};
  pix::testing::BrCodeGenerator generator(99);
  while (texts.size() < 6) {
    auto encoded = EncodeBrCode(generator.Next().input);
    ASSERT_TRUE(encoded.ok()) << encoded.error();
    texts.push_back(encoded.value());
  }
  // Lower case and symbols survive (8-bit mode, not alphanumeric mode).
  texts.push_back("mixed Case text: ~!@#$%^&*()_+{}|:<>?");

  TempDir dir;
  for (size_t i = 0; i < texts.size(); ++i) {
    const auto path = dir.path() / ("code" + std::to_string(i) + ".png");
    WriteFile(path, QrPng(texts[i], 4 + static_cast<int>(i % 3), 4));
    const auto result = RunProcess(*zbarimg, {"--quiet", "--raw", path.string()}, "");
    ASSERT_EQ(result.exit_code, 0) << "zbarimg failed on " << path << ": " << result.err;
    EXPECT_EQ(result.out, texts[i] + "\n");
  }
}

}  // namespace
}  // namespace cambista::pix
